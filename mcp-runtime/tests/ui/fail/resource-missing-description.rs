use mcp_runtime::prelude::*;

#[mcp_resource(uri = "shop://policies/returns")]
async fn returns() -> &'static str {
    ""
}

fn main() {}
