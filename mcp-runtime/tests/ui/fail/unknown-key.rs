use mcp_runtime::prelude::*;

/// A typo in a key.
#[mcp_tool(readonly, tilte = "Typo")]
async fn typo() -> u32 {
    1
}

fn main() {}
