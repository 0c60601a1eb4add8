#![doc = include_str!("../README.md")]

#[doc(hidden)]
#[allow(unreachable_pub, missing_docs)]
pub mod __private;
pub mod auth;
#[cfg(feature = "clap")]
pub mod cli;
pub mod client;
pub mod context;
mod dispatch;
pub mod error;
mod jsonrpc;
pub mod limits;
mod notify;
pub mod oauth;
#[cfg(feature = "otel")]
pub mod otel;
pub mod output;
pub mod prompt;
pub mod registry;
pub mod resource;
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
pub use jsonrpc::{TOOL_SCOPES_META, codes};
pub use limits::Rate;
pub use mcp_macros::{ToolError, mcp_prompt, mcp_resource, mcp_tool};
pub use oauth::OAuth;
pub use output::{
    Content, PromptMessage, PromptMessages, ResourceBody, ResourceContent, ResourceContents,
    ToolOutput, ToolReturn,
};
pub use registry::{Registry, RegistryError, ToolInfo};
pub use server::{BuildError, ServeError, Server, ServerBuilder};

pub use schemars;
pub use serde;
pub use serde_json;

/// Everything a tool module needs: `use mcp_runtime::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Content, ErrorKind, LogLevel, McpError, PromptMessage, PromptMessages, ResourceContent,
        ResourceContents, Server, ToolContext, ToolError, ToolOutput, mcp_prompt, mcp_resource,
        mcp_tool,
    };
    pub use schemars::JsonSchema;
    pub use serde::{Deserialize, Serialize};
}

/// Log to stderr with `tracing` (filter from `MCP_LOG`, else `RUST_LOG`,
/// else `info`). Does nothing if a global subscriber is already set.
/// stdout stays free for the stdio transport.
///
/// With the `otel` feature and `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans at
/// `info` and above are also exported as OpenTelemetry traces (see
/// [`otel::layer`] for the variables read); a configuration that cannot be
/// served is logged, and the server runs without export.
pub fn init_logging() {
    init_logging_with(None);
}

/// [`init_logging`] with an explicit filter (e.g. from `--log`), which wins
/// over `MCP_LOG` and `RUST_LOG`.
pub fn init_logging_with(filter: Option<&str>) {
    use tracing_subscriber::EnvFilter;
    let filter = filter
        .map(str::to_owned)
        .or_else(|| std::env::var("MCP_LOG").ok())
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "info".to_owned());
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a person at a terminal, not in files or journald.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none();
    #[cfg(feature = "otel")]
    let filter = match otel::layer() {
        Ok(Some(otel)) => return init_with_otel(filter, ansi, otel),
        Ok(None) => filter,
        Err(e) => {
            init_log(filter, ansi);
            tracing::warn!(error = %e, "traces are not exported");
            return;
        }
    };
    init_log(filter, ansi);
    #[cfg(not(feature = "otel"))]
    if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some() {
        tracing::warn!(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set, but this server was built without the `otel` feature: no traces are exported"
        );
    }
}

fn init_log(filter: tracing_subscriber::EnvFilter, ansi: bool) {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_target(false)
        .try_init();
}

/// The log as [`init_log`] makes it, beside the OpenTelemetry layer: the
/// log keeps its own filter and leaves out the spans made for export only.
#[cfg(feature = "otel")]
fn init_with_otel<L>(filter: tracing_subscriber::EnvFilter, ansi: bool, otel: L)
where
    L: tracing_subscriber::Layer<tracing_subscriber::Registry> + Send + Sync,
{
    use tracing_subscriber::filter::{FilterExt, LevelFilter, filter_fn};
    use tracing_subscriber::prelude::*;
    let log = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .fmt_fields(otel::LogFields)
        .with_filter(filter.and(filter_fn(|m| m.target() != otel::SPAN_TARGET)));
    if tracing_subscriber::registry()
        .with(otel.with_filter(LevelFilter::INFO))
        .with(log)
        .try_init()
        .is_err()
    {
        otel::deactivate();
    }
}

/// The repository README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// The `#[mcp_tool]` guide's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../mcp-macros/src/mcp_tool.md")]
pub struct McpToolDocTests;

/// The `#[mcp_resource]` and `#[mcp_prompt]` guide's examples, compiled and
/// run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../mcp-macros/src/mcp_resource.md")]
pub struct McpResourceDocTests;
