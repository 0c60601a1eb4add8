use mcp_runtime::prelude::*;

/// Borrows the context.
#[mcp_tool]
async fn borrowed(ctx: &ToolContext) -> u32 {
    ctx.tool_name().len() as u32
}

/// Borrows it mutably.
#[mcp_tool]
async fn borrowed_mut(ctx: &mut ToolContext) -> u32 {
    ctx.tool_name().len() as u32
}

fn main() {}
