use mcp_runtime::prelude::*;

#[derive(JsonSchema)]
#[schemars(crate = "mcp_runtime::schemars")]
struct Out {
    n: u32,
}

/// Returns something that cannot be serialized.
#[mcp_tool]
async fn tool() -> Result<Out, McpError> {
    Ok(Out { n: 1 })
}

fn main() {}
