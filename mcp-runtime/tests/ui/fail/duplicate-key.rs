use mcp_runtime::prelude::*;

/// The same key twice.
#[mcp_tool(name = "first", name = "second")]
async fn twice() -> u32 {
    1
}

fn main() {}
