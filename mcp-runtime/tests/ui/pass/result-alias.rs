use mcp_runtime::prelude::*;

type Result<T> = std::result::Result<T, McpError>;

/// Through a one-argument alias.
#[mcp_tool]
async fn aliased(ctx: ToolContext) -> Result<u32> {
    let _ = ctx.tool_name();
    Ok(7)
}

mod other {
    pub type ToolResult<T> = std::result::Result<T, mcp_runtime::McpError>;
}

/// An alias not named `Result` is a plain return type; `ToolResult<u32>` is
/// a `Result`, which is `Serialize + JsonSchema` itself.
#[mcp_tool]
async fn other_alias() -> other::ToolResult<u32> {
    Ok(1)
}

fn main() {}
