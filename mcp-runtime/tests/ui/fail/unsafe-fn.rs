use mcp_runtime::prelude::*;

/// An unsafe fn.
#[mcp_tool]
async unsafe fn dangerous() -> u32 {
    1
}

/// An extern fn.
#[mcp_tool]
extern "C" fn foreign() -> u32 {
    1
}

fn main() {}
