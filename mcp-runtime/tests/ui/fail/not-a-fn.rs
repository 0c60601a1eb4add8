use mcp_runtime::prelude::*;

/// A struct is not a tool.
#[mcp_tool]
struct NotATool {
    field: u32,
}

fn main() {
    // The struct is still emitted.
    let _ = NotATool { field: 1 }.field;
}
