use mcp_runtime::prelude::*;

#[derive(JsonSchema)]
#[schemars(crate = "mcp_runtime::schemars")]
struct Args {
    n: u32,
}

/// Arguments that cannot be deserialized.
#[mcp_tool]
async fn tool(args: Args) -> u32 {
    args.n
}

fn main() {}
