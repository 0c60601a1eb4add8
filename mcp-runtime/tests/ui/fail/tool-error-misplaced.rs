use mcp_runtime::prelude::*;

/// A kind on the enum instead of its variants; `default` on a variant;
/// `retry_after` outside a `rate_limit` variant; two kinds; a kind on a
/// field; `transparent` with two fields.
#[derive(Debug, thiserror::Error, ToolError)]
#[tool_error(server_error)]
enum InventoryError {
    #[error("no such item")]
    #[tool_error(default = not_found)]
    NoSuchItem,
    #[error("bad quantity")]
    #[tool_error(validation_error)]
    BadQuantity(#[tool_error(retry_after)] u64),
    #[error("busy")]
    #[tool_error(rate_limit, server_error)]
    Busy(u64),
    #[error("gone")]
    #[tool_error(not_found)]
    Gone(#[tool_error(not_found)] String),
    #[error("wraps two")]
    #[tool_error(transparent)]
    Two(std::io::Error, std::fmt::Error),
}

/// `default` on a struct.
#[derive(Debug, thiserror::Error, ToolError)]
#[error("closed")]
#[tool_error(default = validation_error)]
struct Closed;

fn main() {}
