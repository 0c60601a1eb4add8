use mcp_runtime::prelude::*;

type Result = std::result::Result<u32, McpError>;

/// An alias of `Result` that hides its success type.
#[mcp_tool]
async fn opaque() -> Result {
    Ok(1)
}

fn main() {}
