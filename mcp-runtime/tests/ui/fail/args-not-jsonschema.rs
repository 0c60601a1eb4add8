use mcp_runtime::prelude::*;

#[derive(Deserialize)]
#[serde(crate = "mcp_runtime::serde")]
struct Args {
    n: u32,
}

/// Arguments without a schema.
#[mcp_tool]
async fn tool(ctx: ToolContext, args: Args) -> u32 {
    let _ = ctx;
    args.n
}

fn main() {}
