use mcp_runtime::prelude::*;

#[mcp_tool(
    name = "orders.delete-all_v2",
    title = "Delete all orders",
    description = "Delete every order of the tenant. Irreversible.",
    read_only = false,
    destructive,
    idempotent = true,
    open_world = false
)]
async fn delete_all_orders(ctx: ToolContext) -> Result<u64, McpError> {
    let _ = ctx;
    Ok(0)
}

/// The attribute's description wins over the doc comment.
#[mcp_tool(description = "From the attribute.", read_only = true)]
async fn both_descriptions() {}

/// A name of exactly 64 characters.
#[mcp_tool(name = "a234567890123456789012345678901234567890123456789012345678901234")]
async fn long_name() {}

fn main() {}
