use mcp_runtime::prelude::*;

/// A product's reviews.
#[mcp_resource(uri_template = "shop://products/{productId}/reviews/{reviewId}")]
async fn review(product_id: String) -> String {
    product_id
}

fn main() {}
