use mcp_runtime::prelude::*;

/// A name with a space.
#[mcp_prompt(name = "has space")]
async fn greet() -> &'static str {
    "Hello"
}

fn main() {}
