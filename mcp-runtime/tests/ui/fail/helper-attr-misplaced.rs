use mcp_runtime::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(crate = "mcp_runtime::serde")]
#[schemars(crate = "mcp_runtime::schemars")]
struct Args {
    n: u32,
}

/// `#[serde]` on the arguments struct parameter, `#[cfg]` on a parameter.
#[mcp_tool]
async fn tool(#[serde(default)] args: Args, #[cfg(test)] ctx: ToolContext) -> u32 {
    args.n
}

fn main() {}
