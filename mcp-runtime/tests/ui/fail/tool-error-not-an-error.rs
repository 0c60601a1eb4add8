use mcp_runtime::prelude::*;

/// Has kinds, but is not a `std::error::Error`.
#[derive(Debug, ToolError)]
enum InventoryError {
    #[tool_error(not_found)]
    NoSuchItem,
}

fn main() {}
