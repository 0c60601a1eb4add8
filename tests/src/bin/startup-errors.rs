//! A server whose `main` is the README's (`fn main() -> Result<(), Box<dyn
//! Error>>`, `?` on `build` and on `run`), for `tests/startup_errors.rs` to
//! run as a real process: what a user sees when it does not start (the
//! message on stderr, exit status 1) and what `--help` prints (stdout, 0).
//!
//! `STARTUP_ERRORS_CASE` picks the builder: unset, a valid server run with the
//! command line; `missing-state`, its two tools read state it was not given;
//! `no-tools`, `tools_where` keeps none of them; `env`, a valid server that
//! also reads keys and OAuth from the environment (the others do not).

use mcp_runtime::prelude::*;

/// The database the tools read.
struct Db;

/// A cache the tools read.
struct Cache;

/// Count the rows of the database.
#[mcp_tool(read_only)]
async fn count_rows(ctx: ToolContext) -> Result<u64, McpError> {
    ctx.state::<Db>()?;
    Ok(0)
}

/// Count the entries of the cache.
#[mcp_tool(read_only)]
async fn count_cached(ctx: ToolContext) -> Result<u64, McpError> {
    ctx.state::<Cache>()?;
    Ok(0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let case = std::env::var("STARTUP_ERRORS_CASE");
    let builder =
        Server::builder("startup-errors", "1.0.0").keys_from_env(case.as_deref() == Ok("env"));
    let builder = match case.as_deref() {
        Ok("missing-state") => builder,
        Ok("no-tools") => builder.state(Db).state(Cache).tools_where(|_| false),
        _ => builder.state(Db).state(Cache),
    };
    let server = builder.build()?;
    server.run().await?;
    Ok(())
}
