use mcp_runtime::prelude::*;

// Every mistake is reported at once.
#[mcp_tool(name = "bad name", titel = "x")]
fn everything_wrong<T>(&self, (a, b): (u8, u8), ctx: &ToolContext) {}

fn main() {}
