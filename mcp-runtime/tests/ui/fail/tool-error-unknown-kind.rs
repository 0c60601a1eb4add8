use mcp_runtime::prelude::*;

/// A typo in a kind, a kind that does not exist, and a misspelt key.
#[derive(Debug, thiserror::Error, ToolError)]
enum InventoryError {
    #[error("no such item")]
    #[tool_error(not_fund)]
    NoSuchItem,
    #[error("I'm a teapot")]
    #[tool_error(teapot)]
    Teapot,
    #[error("busy")]
    #[tool_error(rate_limit)]
    Busy(#[tool_error(retry_afer)] u64),
}

fn main() {}
