use mcp_runtime::prelude::*;

/// Not async.
#[mcp_resource(uri = "shop://policies/returns")]
fn returns() -> &'static str {
    ""
}

fn main() {
    let _: &str = returns();
}
