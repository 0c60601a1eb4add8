use mcp_runtime::prelude::*;

#[derive(Serialize)]
struct Item {
    sku: String,
}

/// Out.
#[derive(Serialize, JsonSchema)]
struct Out {
    /// The item.
    item: Item,
}

/// The return type's own derive reports its field; the macro adds no error
/// of its own.
#[mcp_tool]
async fn tool() -> Out {
    Out { item: Item { sku: String::new() } }
}

fn main() {}
