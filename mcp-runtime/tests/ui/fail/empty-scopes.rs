use mcp_runtime::prelude::*;

/// An empty list of scopes.
#[mcp_tool(scopes = [])]
async fn write() -> u32 {
    1
}

fn main() {}
