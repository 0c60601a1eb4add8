use mcp_runtime::prelude::*;

/// Scopes given as one string.
#[mcp_tool(scopes = "orders:write")]
async fn write() -> u32 {
    1
}

fn main() {}
