use mcp_runtime::prelude::*;

/// An empty title.
#[mcp_tool(title = "")]
async fn untitled() -> u32 {
    1
}

fn main() {}
