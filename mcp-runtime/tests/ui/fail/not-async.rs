use mcp_runtime::prelude::*;

/// Not async.
#[mcp_tool]
fn not_async() -> u32 {
    1
}

fn main() {
    // The fn is still emitted: calling it does not cascade into more errors.
    let _: u32 = not_async();
}
