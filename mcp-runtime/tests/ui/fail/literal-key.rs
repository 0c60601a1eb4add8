use mcp_runtime::prelude::*;

/// The description given as a bare string instead of `description = "..."`.
#[mcp_tool("Look up an order.")]
async fn get_order() -> u32 {
    1
}

fn main() {}
