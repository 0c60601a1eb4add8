use mcp_runtime::prelude::*;

/// Contents of a type the resource does not name, in a `Result`.
#[mcp_resource(uri = "shop://vague")]
async fn vague() -> Result<impl AsRef<str>, McpError> {
    Ok("hello")
}

fn main() {}
