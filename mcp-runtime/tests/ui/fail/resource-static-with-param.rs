use mcp_runtime::prelude::*;

/// The returns policy.
#[mcp_resource(uri = "shop://policies/returns")]
async fn returns(lang: String) -> String {
    lang
}

fn main() {}
