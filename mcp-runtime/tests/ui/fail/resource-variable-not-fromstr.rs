use mcp_runtime::prelude::*;

struct Sku(String);

/// A product by SKU.
#[mcp_resource(uri_template = "shop://skus/{sku}")]
async fn by_sku(sku: Sku) -> String {
    sku.0
}

fn main() {}
