use mcp_runtime::prelude::*;

/// `impl Trait` in argument position.
#[mcp_tool]
async fn show(a: impl std::fmt::Display, b: Vec<impl std::fmt::Debug>) -> String {
    format!("{a} {b:?}")
}

/// `impl Trait` as the return type.
#[mcp_tool]
async fn hidden() -> impl Serialize {
    1
}

fn main() {}
