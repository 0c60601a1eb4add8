use mcp_runtime::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(crate = "mcp_runtime::serde")]
#[schemars(crate = "mcp_runtime::schemars")]
struct GetOrderArgs {
    /// The order number, e.g. `ORD-1`.
    order_number: String,
}

#[derive(Serialize, JsonSchema)]
#[serde(crate = "mcp_runtime::serde")]
#[schemars(crate = "mcp_runtime::schemars")]
struct Order {
    id: String,
    tenant: String,
}

/// Look up an order by order number. Returns the order status, line items
/// with quantities and prices, shipping address and estimated delivery date.
#[mcp_tool(read_only)]
async fn get_order(args: GetOrderArgs, ctx: ToolContext) -> Result<Order, McpError> {
    let tenant = ctx.require_tenant()?;
    Ok(Order {
        id: args.order_number,
        tenant: tenant.to_owned(),
    })
}

fn main() {}
