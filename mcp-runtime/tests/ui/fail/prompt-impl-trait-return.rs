use mcp_runtime::prelude::*;

/// Messages of a type the prompt does not name.
#[mcp_prompt]
async fn vague() -> impl Into<String> {
    "hello"
}

fn main() {}
