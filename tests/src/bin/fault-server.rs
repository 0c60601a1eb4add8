//! A server of faulty tools for the soak test (`soak`): tools that panic,
//! sleep past the call timeout, fail with each error kind, echo, and
//! allocate. The shop example has no such tools (and its tool list is
//! locked by its contract test), so the soak runs this beside it.
//!
//! Configured like a deployed server: `MCP_ADDR`, `MCP_API_KEYS`, `MCP_LOG`;
//! plus `FAULT_CALL_TIMEOUT_MS` (default 1000), the per-call timeout.

use std::process::ExitCode;
use std::time::Duration;

use mcp_runtime::prelude::*;

/// Panic, always (the runtime must answer `server_error` and carry on).
#[mcp_tool]
async fn fault_panic() -> ToolOutput {
    panic!("fault_panic: injected panic")
}

/// Arguments of `fault_sleep`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SleepArgs {
    /// Milliseconds to sleep, at most 60000.
    #[schemars(range(max = 60000))]
    ms: u64,
}

/// What `fault_sleep` did.
#[derive(Debug, Serialize, JsonSchema)]
struct Slept {
    /// Milliseconds slept.
    ms: u64,
}

/// Sleep `ms` milliseconds (past the call timeout: the call is cut off).
/// With a `progressToken`, a progress notification says the sleep began.
#[mcp_tool(read_only)]
async fn fault_sleep(args: SleepArgs, ctx: ToolContext) -> Slept {
    ctx.progress(0.0, None, Some("sleeping")).await;
    tokio::time::sleep(Duration::from_millis(args.ms)).await;
    Slept { ms: args.ms }
}

/// The error kinds `fault_error` can fail with.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Kind {
    /// `not_found`.
    NotFound,
    /// `validation_error`.
    ValidationError,
    /// `authentication_error`.
    AuthenticationError,
    /// `permission_denied`.
    PermissionDenied,
    /// `rate_limit`.
    RateLimit,
    /// `server_error`.
    ServerError,
}

/// Arguments of `fault_error`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ErrorArgs {
    /// The kind of error to fail with.
    kind: Kind,
}

/// Fail with the given kind of error (message: `injected <kind>`).
#[mcp_tool(read_only)]
async fn fault_error(args: ErrorArgs) -> Result<ToolOutput, McpError> {
    let e = match args.kind {
        Kind::NotFound => McpError::not_found("injected not_found"),
        Kind::ValidationError => McpError::validation("injected validation_error"),
        Kind::AuthenticationError => McpError::authentication("injected authentication_error"),
        Kind::PermissionDenied => McpError::permission_denied("injected permission_denied"),
        Kind::RateLimit => McpError::rate_limit("injected rate_limit", 1000),
        Kind::ServerError => McpError::server("injected server_error"),
    };
    Err(e)
}

/// What `fault_echo` received.
#[derive(Debug, Serialize, JsonSchema)]
struct Echo {
    /// The text, as received.
    text: String,
    /// The injected tenant.
    tenant: Option<String>,
}

/// Arguments of `fault_echo`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct EchoArgs {
    /// Any text.
    text: String,
}

/// Return the text and the injected tenant.
#[mcp_tool(read_only)]
async fn fault_echo(args: EchoArgs, ctx: ToolContext) -> Echo {
    Echo {
        text: args.text,
        tenant: ctx.tenant_id().map(str::to_owned),
    }
}

/// What `fault_alloc` allocated.
#[derive(Debug, Serialize, JsonSchema)]
struct Allocated {
    /// Bytes allocated, touched and freed.
    bytes: usize,
}

/// Arguments of `fault_alloc`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AllocArgs {
    /// KiB to allocate, at most 16384.
    #[schemars(range(max = 16384))]
    kib: usize,
}

/// Allocate and touch `kib` KiB, then free it: memory churn.
#[mcp_tool(read_only)]
async fn fault_alloc(args: AllocArgs) -> Allocated {
    let v = vec![0xA5u8; args.kib * 1024];
    let bytes = std::hint::black_box(&v).len();
    Allocated { bytes }
}

#[tokio::main]
async fn main() -> ExitCode {
    let timeout = std::env::var("FAULT_CALL_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    // A panicking tool is answered with `server_error`; keep the default
    // panic report off stderr so that the log stays readable under load.
    std::panic::set_hook(Box::new(|_| {}));
    let server = match Server::builder("fault-server", env!("CARGO_PKG_VERSION"))
        .call_timeout(Duration::from_millis(timeout))
        .build()
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fault-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    match server.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fault-server: {e}");
            ExitCode::FAILURE
        }
    }
}
