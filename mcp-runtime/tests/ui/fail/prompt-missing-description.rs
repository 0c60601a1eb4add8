use mcp_runtime::prelude::*;

#[mcp_prompt(title = "Greet")]
async fn greet() -> &'static str {
    "Hello"
}

fn main() {}
