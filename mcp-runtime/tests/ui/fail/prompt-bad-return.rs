use mcp_runtime::prelude::*;

/// A number is not messages.
#[mcp_prompt]
async fn count() -> u32 {
    3
}

/// Nor is nothing.
#[mcp_prompt]
async fn nothing() {}

fn main() {}
