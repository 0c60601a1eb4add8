use mcp_runtime::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(crate = "mcp_runtime::serde")]
#[schemars(crate = "mcp_runtime::schemars")]
struct CancelArgs {
    order_number: String,
}

/// Cancel an order that has not shipped yet.
#[mcp_tool(destructive)]
async fn cancel_order(ctx: ToolContext, args: CancelArgs) -> Result<bool, McpError> {
    Ok(ctx.tenant_id().is_some() && !args.order_number.is_empty())
}

fn main() {}
