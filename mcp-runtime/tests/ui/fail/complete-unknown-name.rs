use mcp_runtime::prelude::*;

async fn ids(_: String, _: CompletionArguments, _: ToolContext) -> Vec<String> {
    Vec::new()
}

/// A product.
#[mcp_resource(uri_template = "shop://products/{productId}", complete(product = ids))]
async fn product(product_id: String) -> String {
    product_id
}

/// A static resource has no variables.
#[mcp_resource(uri = "shop://policies/returns", complete(id = ids))]
async fn returns() -> &'static str {
    "30 days"
}

/// A reply.
#[mcp_prompt(complete(orderNumber = ids, tone = ids, tone = ids))]
async fn reply(
    /// The order.
    order_number: String,
    /// The mood.
    mood: String,
) -> String {
    format!("{order_number} {mood}")
}

/// Not a list.
#[mcp_prompt(complete = ids)]
async fn other(
    /// The order.
    order: String,
) -> String {
    order
}

fn main() {}
