use mcp_runtime::prelude::*;

/// Not async.
#[mcp_prompt]
fn greet() -> &'static str {
    "Hello"
}

fn main() {
    let _: &str = greet();
}
