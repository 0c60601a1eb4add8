use mcp_runtime::prelude::*;

#[derive(Serialize, JsonSchema)]
#[serde(crate = "mcp_runtime::serde")]
#[schemars(crate = "mcp_runtime::schemars")]
struct Stats {
    orders: u64,
}

/// Order statistics.
#[mcp_tool]
async fn stats(ctx: ToolContext) -> Stats {
    let _ = ctx;
    Stats { orders: 3 }
}

/// A plain string.
#[mcp_tool]
async fn motto() -> &'static str {
    "ship it"
}

fn main() {}
