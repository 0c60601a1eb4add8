use mcp_runtime::prelude::*;

type Result<T> = std::result::Result<T, McpError>;

/// Through a one-argument alias.
#[mcp_tool]
async fn aliased(ctx: ToolContext) -> Result<u32> {
    let _ = ctx.tool_name();
    Ok(7)
}

fn main() {}
