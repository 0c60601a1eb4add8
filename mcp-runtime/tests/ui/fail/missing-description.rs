use mcp_runtime::prelude::*;

#[mcp_tool(read_only)]
async fn undocumented() -> u32 {
    1
}

fn main() {
    // The fn is still emitted.
    let _ = undocumented();
}
