use mcp_runtime::prelude::*;

#[derive(Deserialize)]
struct Item {
    sku: String,
}

/// Arguments.
#[derive(Deserialize, JsonSchema)]
struct Args {
    /// The item.
    item: Item,
}

/// The arguments struct's own derive reports its field; the macro adds no
/// error of its own.
#[mcp_tool]
async fn tool(args: Args) -> String {
    args.item.sku
}

fn main() {}
