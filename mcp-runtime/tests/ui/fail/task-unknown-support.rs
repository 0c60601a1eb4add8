use mcp_runtime::prelude::*;

/// Task support is "optional" or "required".
#[mcp_tool(task = "sometimes")]
async fn export() -> u32 {
    1
}

/// "forbidden" is what no `task` key says.
#[mcp_tool(task = "forbidden")]
async fn quick() -> u32 {
    1
}

/// The value is a string literal.
#[mcp_tool(task = required)]
async fn report() -> u32 {
    1
}

fn main() {}
