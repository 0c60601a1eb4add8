use mcp_runtime::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(crate = "mcp_runtime::serde")]
#[schemars(crate = "mcp_runtime::schemars")]
struct AddArgs {
    a: i64,
    b: i64,
}

/// Add two numbers.
#[mcp_tool]
async fn add(args: AddArgs) -> Result<i64, McpError> {
    args.a
        .checked_add(args.b)
        .ok_or_else(|| McpError::validation("overflow"))
}

/// Mutable binding of the arguments.
#[mcp_tool]
async fn add_mut(mut args: AddArgs) -> i64 {
    args.a += 1;
    args.a + args.b
}

fn main() {}
