use mcp_runtime::prelude::*;

async fn too_few(value: String) -> Vec<String> {
    vec![value]
}

async fn wrong_return(_: String, _: CompletionArguments, _: ToolContext) -> Vec<u32> {
    Vec::new()
}

fn not_async(_: String, _: CompletionArguments, _: ToolContext) -> Vec<String> {
    Vec::new()
}

/// A product.
#[mcp_resource(uri_template = "shop://products/{productId}", complete(productId = too_few))]
async fn product(product_id: String) -> String {
    product_id
}

/// A reply.
#[mcp_prompt(complete(order_number = wrong_return, tone = not_async))]
async fn reply(
    /// The order.
    order_number: String,
    /// The tone.
    tone: String,
) -> String {
    format!("{order_number} {tone}")
}

fn main() {}
