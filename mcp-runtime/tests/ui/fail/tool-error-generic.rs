use mcp_runtime::prelude::*;

/// Generic: the mapping is registered for one concrete type.
#[derive(Debug, thiserror::Error, ToolError)]
enum Wrapper<E: std::error::Error + 'static> {
    #[error("inner")]
    #[tool_error(server_error)]
    Inner(#[source] E),
}

fn main() {}
