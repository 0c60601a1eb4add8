use mcp_runtime::prelude::*;

/// Not an enum or a struct.
#[derive(ToolError)]
union Bits {
    a: u32,
    b: f32,
}

fn main() {}
