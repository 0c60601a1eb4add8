use mcp_runtime::prelude::*;

/// The calling tenant.
#[mcp_tool(read_only)]
async fn whoami(ctx: ToolContext) -> Result<String, McpError> {
    Ok(ctx.require_tenant()?.to_owned())
}

fn main() {}
