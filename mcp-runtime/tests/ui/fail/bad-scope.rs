use mcp_runtime::prelude::*;

/// A scope with a space in it.
#[mcp_tool(scopes = ["orders write"])]
async fn write() -> u32 {
    1
}

fn main() {}
