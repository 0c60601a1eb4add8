use mcp_runtime::prelude::*;

#[mcp_tool(description = "   ")]
async fn blank() -> u32 {
    1
}

///
///
#[mcp_tool]
async fn blank_doc() -> u32 {
    1
}

fn main() {}
