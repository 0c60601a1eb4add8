//! A stdio MCP server for `tests/protocol_stdio.rs` to run as a real process:
//! newline-delimited JSON-RPC on stdin/stdout, logs (`init_logging`) on
//! stderr, exit status 0 when stdin ends.

use std::process::ExitCode;
use std::time::Duration;

use mcp_runtime::prelude::*;

// The shared protocol test tools, of which this server serves only `add`
// (see `TOOLS`).
#[path = "../../fixtures/protocol_tools.rs"]
mod tools;

/// What this server serves: the shared `add`, and its own `count` and `wait`.
const TOOLS: [&str; 3] = ["add", "count", "wait"];

/// Arguments of `count`.
#[derive(Deserialize, JsonSchema)]
struct Count {
    /// How far to count.
    to: u32,
}

/// Count to `to`, reporting progress at each number.
#[mcp_tool(read_only)]
async fn count(args: Count, ctx: ToolContext) -> ToolOutput {
    for i in 1..=args.to {
        tokio::time::sleep(Duration::from_millis(5)).await;
        ctx.progress(f64::from(i), Some(f64::from(args.to)), None)
            .await;
    }
    ToolOutput::text(format!("counted to {}", args.to))
}

/// Arguments of `wait`.
#[derive(Deserialize, JsonSchema)]
struct Wait {
    /// How long to wait, in milliseconds.
    ms: u64,
}

/// Wait `ms` milliseconds, then answer.
#[mcp_tool(read_only)]
async fn wait(args: Wait) -> ToolOutput {
    tokio::time::sleep(Duration::from_millis(args.ms)).await;
    ToolOutput::text(format!("waited {} ms", args.ms))
}

#[tokio::main]
async fn main() -> ExitCode {
    mcp_runtime::init_logging();
    let server = match Server::builder("stdio-server", "3.1.4")
        .instructions("Process-level stdio test tools.")
        .keys_from_env(false)
        .tools_where(|name| TOOLS.contains(&name))
        .build()
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("stdio-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    match server.serve_stdio().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stdio-server: {e}");
            ExitCode::FAILURE
        }
    }
}
