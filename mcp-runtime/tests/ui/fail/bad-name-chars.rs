use mcp_runtime::prelude::*;

/// A space in the name.
#[mcp_tool(name = "get order")]
async fn get_order() -> u32 {
    1
}

/// A slash in the name.
#[mcp_tool(name = "orders/get")]
async fn get_order_2() -> u32 {
    1
}

/// An empty name.
#[mcp_tool(name = "")]
async fn nameless() -> u32 {
    1
}

fn main() {}
