use mcp_runtime::prelude::*;

#[derive(Deserialize)]
struct Item {
    sku: String,
}

/// An inline argument whose type holds one without a schema: the message
/// names the argument.
#[mcp_tool]
async fn tool(
    /// The items.
    items: Vec<Item>,
) -> usize {
    items.len()
}

fn main() {}
