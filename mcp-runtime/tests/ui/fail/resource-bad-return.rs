use mcp_runtime::prelude::*;

/// A count is not resource contents.
#[mcp_resource(uri = "shop://count")]
async fn count() -> u32 {
    3
}

/// Nor is nothing.
#[mcp_resource(uri = "shop://nothing")]
async fn nothing() {}

fn main() {}
