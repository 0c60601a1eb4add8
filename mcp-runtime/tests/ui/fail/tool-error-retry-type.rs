use mcp_runtime::prelude::*;

/// A `retry_after` field that is not a time.
#[derive(Debug, thiserror::Error, ToolError)]
enum InventoryError {
    #[error("busy")]
    #[tool_error(rate_limit)]
    Busy {
        #[tool_error(retry_after)]
        retry: String,
    },
}

fn main() {}
