use mcp_runtime::prelude::*;

/// A product.
#[mcp_resource(uri_template = "shop://products/{productId}")]
async fn product(product_id: String, sku: String) -> String {
    product_id + &sku
}

fn main() {}
