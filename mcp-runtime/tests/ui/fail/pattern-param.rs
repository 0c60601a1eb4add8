use mcp_runtime::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(crate = "mcp_runtime::serde")]
#[schemars(crate = "mcp_runtime::schemars")]
struct Args {
    a: u32,
    b: u32,
}

/// A destructuring pattern as a parameter.
#[mcp_tool]
async fn add(Args { a, b }: Args) -> u32 {
    a + b
}

fn main() {}
