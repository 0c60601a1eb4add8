use mcp_runtime::prelude::*;

/// A variant without a kind, and no default on the enum.
#[derive(Debug, thiserror::Error, ToolError)]
enum InventoryError {
    #[error("no such item")]
    #[tool_error(not_found)]
    NoSuchItem,
    #[error("database failed")]
    Database(#[source] std::io::Error),
}

/// A struct without a kind.
#[derive(Debug, thiserror::Error, ToolError)]
#[error("closed")]
struct Closed;

fn main() {}
