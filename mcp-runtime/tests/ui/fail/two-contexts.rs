use mcp_runtime::prelude::*;

/// Two contexts.
#[mcp_tool]
async fn twice(a: ToolContext, b: mcp_runtime::ToolContext) -> u32 {
    let _ = (a, b);
    1
}

fn main() {}
