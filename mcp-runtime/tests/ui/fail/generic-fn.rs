use mcp_runtime::prelude::*;

/// Generic.
#[mcp_tool]
async fn generic<T: Default>() -> u32 {
    let _ = T::default();
    1
}

fn main() {}
