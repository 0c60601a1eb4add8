use mcp_runtime::prelude::*;

struct MyError;

/// Its error type does not convert into `McpError`.
#[mcp_tool]
async fn tool() -> Result<u32, MyError> {
    Err(MyError)
}

fn main() {}
