#![doc = include_str!("../README.md")]

#[doc(hidden)]
#[allow(unreachable_pub, missing_docs)]
pub mod __private;
pub mod auth;
pub mod context;
mod dispatch;
pub mod error;
mod jsonrpc;
pub mod limits;
mod notify;
pub mod oauth;
pub mod output;
pub mod registry;
mod schema;
pub mod schema_lint;
pub mod server;
#[cfg(feature = "metrics")]
mod telemetry;
pub mod testing;
mod transport;

pub use auth::{ApiKey, KeyIdentity, TokenSubject};
pub use context::{CancellationToken, Interrupt, LogLevel, StateKey, ToolContext};
pub use dispatch::ServerInfo;
pub use dispatch::era::SUPPORTED_VERSIONS;
pub use error::{ErrorKind, McpError};
pub use jsonrpc::codes;
pub use limits::Rate;
pub use mcp_macros::{ToolError, mcp_tool};
pub use oauth::OAuth;
pub use output::{Content, ResourceBody, ToolOutput, ToolReturn};
pub use registry::{Registry, RegistryError, ToolInfo};
pub use server::{BuildError, ServeError, Server, ServerBuilder};

pub use schemars;
pub use serde;
pub use serde_json;

/// Everything a tool module needs: `use mcp_runtime::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Content, ErrorKind, LogLevel, McpError, Server, ToolContext, ToolError, ToolOutput,
        mcp_tool,
    };
    pub use schemars::JsonSchema;
    pub use serde::{Deserialize, Serialize};
}

/// Log to stderr with `tracing` (filter from `MCP_LOG`, else `RUST_LOG`,
/// else `info`). Does nothing if a global subscriber is already set.
/// stdout stays free for the stdio transport.
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = std::env::var("MCP_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "info".to_owned());
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info")))
        // Colours only for a person at a terminal, not in files or journald.
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .with_target(false)
        .try_init();
}

/// The repository README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// The `#[mcp_tool]` guide's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../mcp-macros/src/mcp_tool.md")]
pub struct McpToolDocTests;
