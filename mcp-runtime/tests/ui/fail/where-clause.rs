use mcp_runtime::prelude::*;

/// A where clause, even a trivial one, makes the fn generic in spirit.
#[mcp_tool]
async fn with_where() -> u32
where
    u32: Copy,
{
    1
}

fn main() {}
