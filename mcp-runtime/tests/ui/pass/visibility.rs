use mcp_runtime::prelude::*;

/// Public.
#[mcp_tool]
pub async fn public_tool() -> u8 {
    1
}

/// Crate-visible.
#[mcp_tool]
pub(crate) async fn crate_tool() -> u8 {
    2
}

/// Documented attributes of the fn stay on it.
#[mcp_tool]
#[allow(clippy::unused_async)]
#[must_use]
async fn attributed() -> u8 {
    3
}

fn main() {
    // The fn stays an ordinary fn, callable as written.
    let _fut = public_tool();
    let _fut = crate_tool();
    let _fut = attributed();
}
