//! A server for `tests/security.rs` to run as a real process: how it starts
//! with and without keys, key reload on SIGHUP, and shutdown on SIGTERM.
//!
//! Configured entirely by the environment, like a deployed server:
//! - `MCP_ADDR`, `MCP_API_KEYS`, `MCP_API_KEYS_FILE`, `MCP_LOG` (the runtime's own);
//! - `SECURE_SERVER_WRITE_FILE`: the file `append_line` appends to;
//! - `SECURE_SERVER_NO_AUTH=1`: serve with `dangerously_serve_without_authentication`.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use mcp_runtime::prelude::*;

/// Who is calling.
#[derive(Debug, Serialize, JsonSchema)]
struct Caller {
    /// The verified tenant of the call.
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<String>,
    /// The name of the API key that authenticated the call.
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
}

/// The tenant and API key name the call was authenticated as.
#[mcp_tool(read_only)]
async fn whoami(ctx: ToolContext) -> Caller {
    Caller {
        tenant: ctx.tenant_id().map(str::to_owned),
        key: ctx.key().map(|k| k.name.clone()),
    }
}

/// Arguments of `append_line`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AppendArgs {
    /// The line to append (no newlines).
    line: String,
    /// Milliseconds to wait before writing, to keep calls in flight.
    #[serde(default)]
    delay_ms: u64,
}

/// What `append_line` wrote.
#[derive(Debug, Serialize, JsonSchema)]
struct Appended {
    /// The line, now durably in the file.
    written: String,
}

/// Serialises appends to the file.
struct WriteFile {
    path: std::path::PathBuf,
    lock: Mutex<()>,
}

/// Append a line to the server's file and answer only once it is on disk (fsync).
#[mcp_tool]
async fn append_line(args: AppendArgs, ctx: ToolContext) -> Result<Appended, McpError> {
    if args.line.contains('\n') {
        return Err(McpError::validation("`line` must not contain a newline"));
    }
    tokio::time::sleep(Duration::from_millis(args.delay_ms.min(10_000))).await;
    let file = ctx.state::<std::sync::Arc<WriteFile>>()?.clone();
    let line = args.line;
    let written = line.clone();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let _g = file.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file.path)?;
        f.write_all(format!("{line}\n").as_bytes())?;
        f.sync_all()
    })
    .await
    .map_err(McpError::internal)?
    .map_err(McpError::internal)?;
    Ok(Appended { written })
}

#[tokio::main]
async fn main() -> ExitCode {
    let path = std::env::var_os("SECURE_SERVER_WRITE_FILE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("secure-server-writes.txt"));
    let mut builder = Server::builder("secure-server", env!("CARGO_PKG_VERSION"))
        .tools_where(|name| matches!(name, "whoami" | "append_line"))
        .state(std::sync::Arc::new(WriteFile {
            path,
            lock: Mutex::new(()),
        }))
        .shutdown_timeout(Duration::from_secs(20));
    if std::env::var("SECURE_SERVER_NO_AUTH").as_deref() == Ok("1") {
        builder = builder.dangerously_serve_without_authentication();
    }
    let server = match builder.build() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("secure-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    match server.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("secure-server: {e}");
            ExitCode::FAILURE
        }
    }
}
