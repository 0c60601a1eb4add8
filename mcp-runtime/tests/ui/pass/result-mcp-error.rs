use mcp_runtime::prelude::*;
use mcp_runtime::serde_json::{Value, json};

/// Free-form JSON.
#[mcp_tool]
async fn echo(ctx: ToolContext) -> Result<Value, McpError> {
    Ok(json!({ "request": ctx.request_id() }))
}

/// The error path through a qualified path.
#[mcp_tool]
async fn fail() -> Result<u8, mcp_runtime::McpError> {
    Err(McpError::not_found("nothing here"))
}

fn main() {}
