use mcp_runtime::prelude::*;

/// Borrowed arguments cannot be deserialized from a request.
#[mcp_tool]
async fn greet(name: &str, greeting: &'static str) -> String {
    format!("{greeting}, {name}")
}

fn main() {}
