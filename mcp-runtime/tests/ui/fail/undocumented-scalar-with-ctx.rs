use mcp_runtime::prelude::*;

/// Without a doc comment, the single `String` parameter is taken as the
/// arguments struct, whose schema would not be an object.
#[mcp_tool]
async fn get_item(sku: String, ctx: ToolContext) -> String {
    let _ = ctx;
    sku
}

fn main() {}
