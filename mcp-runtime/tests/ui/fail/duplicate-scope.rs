use mcp_runtime::prelude::*;

/// A scope listed twice.
#[mcp_tool(scopes = ["orders:write", "shop:read", "orders:write"])]
async fn write() -> u32 {
    1
}

fn main() {}
