use mcp_runtime::prelude::*;

/// A `transparent` variant whose field is not an error.
#[derive(Debug, thiserror::Error, ToolError)]
enum AppError {
    #[error("{0}")]
    #[tool_error(transparent)]
    Message(String),
}

fn main() {}
