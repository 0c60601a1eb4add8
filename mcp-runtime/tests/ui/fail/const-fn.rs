use mcp_runtime::prelude::*;

/// A const fn.
#[mcp_tool]
const fn constant() -> u32 {
    1
}

fn main() {
    let _: u32 = constant();
}
