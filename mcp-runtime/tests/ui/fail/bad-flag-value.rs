use mcp_runtime::prelude::*;

/// A flag with a non-bool value, a name with a non-string value.
#[mcp_tool(read_only = "yes", destructive = 1, name = get_order)]
async fn flags() -> u32 {
    1
}

fn main() {}
