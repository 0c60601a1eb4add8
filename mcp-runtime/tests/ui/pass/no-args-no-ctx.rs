use mcp_runtime::prelude::*;

/// Liveness check; returns nothing.
#[mcp_tool]
async fn ping() {}

/// Explicit unit.
#[mcp_tool]
async fn ping_unit() -> () {}

/// The server time, in seconds since the epoch.
#[mcp_tool(name = "time.now")]
async fn now() -> u64 {
    0
}

fn main() {}
