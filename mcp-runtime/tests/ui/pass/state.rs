use std::sync::Arc;

use mcp_runtime::prelude::*;

struct Db {
    name: String,
}

struct Cache;

mod config {
    pub struct Settings {
        pub limit: u32,
    }
}

/// Reads shared state.
#[mcp_tool(read_only)]
async fn uses_state(ctx: ToolContext) -> Result<String, McpError> {
    let db = ctx.state::<Db>()?;
    let again: &Db = ctx.state::<Db>()?;
    let settings = ctx.state::<config::Settings>()?;
    let shared = ctx.state::<Arc<Cache>>()?;
    let _ = (again, shared);
    Ok(format!("{} {}", db.name, settings.limit))
}

/// The context under another name, state read inside a closure and a macro.
#[mcp_tool]
async fn renamed(a: u32, c: ToolContext, b: u32) -> Result<u32, McpError> {
    let f = || c.state::<Cache>().map(|_| a + b);
    assert!(c.state::<Db>().is_err() || f().is_ok());
    f()
}

fn main() {}
