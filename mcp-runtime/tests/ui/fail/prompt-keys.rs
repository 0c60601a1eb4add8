use mcp_runtime::prelude::*;

/// An unknown key and a duplicate one.
#[mcp_prompt(nmae = "x", title = "A", title = "B")]
async fn greet() -> &'static str {
    "Hello"
}

fn main() {}
