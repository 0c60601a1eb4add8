#![doc = include_str!("../README.md")]

#[doc(hidden)]
#[allow(unreachable_pub, missing_docs)]
pub mod __private;
pub mod auth;
#[cfg(feature = "clap")]
pub mod cli;
pub mod client;
pub mod completion;
pub mod config;
pub mod context;
mod dispatch;
pub mod error;
mod input;
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
pub mod session;
pub mod state;
pub mod task;
#[cfg(feature = "metrics")]
mod telemetry;
pub mod testing;
mod transport;

pub use auth::{ApiKey, KeyIdentity, TokenSubject};
pub use completion::CompletionArguments;
pub use context::{CancellationToken, Interrupt, LogLevel, StateKey, ToolContext};
pub use dispatch::ServerInfo;
pub use dispatch::era::SUPPORTED_VERSIONS;
pub use error::{ErrorKind, McpError};
pub use input::form::ElicitForm;
pub use input::{
    Ask, Elicitation, RequestStateKey, RequestStateKeys, Root, SampledMessage, Sampling,
    UrlElicitation,
};
pub use jsonrpc::{TOOL_SCOPES_META, codes};
pub use limits::Rate;
pub use mcp_macros::{ElicitForm, ToolError, mcp_prompt, mcp_resource, mcp_tool};
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
        CompletionArguments, Content, ElicitForm, Elicitation, ErrorKind, LogLevel, McpError,
        PromptMessage, PromptMessages, ResourceContent, ResourceContents, Sampling, Server,
        ToolContext, ToolError, ToolOutput, mcp_prompt, mcp_resource, mcp_tool,
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
/// served is logged, and the server runs without export. (`Server::run`
/// refuses to start instead, as on a log filter that does not parse.)
pub fn init_logging() {
    init_logging_with(None);
}

/// [`init_logging`] with an explicit filter (e.g. from `--log`), which wins
/// over `MCP_LOG` and `RUST_LOG`. A filter that does not parse is logged as
/// a warning and `info` is used; [`Server::run`] refuses it instead.
pub fn init_logging_with(filter: Option<&str>) {
    let (filter, bad) = match log_filter(filter) {
        Ok(f) => (f, None),
        Err(e) => (tracing_subscriber::EnvFilter::new("info"), Some(e)),
    };
    let traces = install_logging(filter, false);
    if let Some(e) = bad {
        tracing::warn!("{e}; logging at `info`");
    }
    if let Err(e) = traces {
        tracing::warn!(error = %e, "traces are not exported");
    }
}

/// [`init_logging_with`], but a configuration that cannot be used is an
/// error, and nothing is installed: a log filter that does not parse (the
/// message names `--log`, `MCP_LOG` or `RUST_LOG`), and with the `otel`
/// feature an `OTEL_*` value that cannot be served.
pub(crate) fn try_init_logging_with(filter: Option<&str>) -> Result<(), String> {
    install_logging(log_filter(filter)?, true).map_err(|e| format!("traces: {e}"))
}

/// The log filter: `explicit` (from `--log`), else `MCP_LOG`, else
/// `RUST_LOG`, else `info`.
fn log_filter(explicit: Option<&str>) -> Result<tracing_subscriber::EnvFilter, String> {
    let (source, filter) = match explicit {
        Some(f) => ("--log", f.to_owned()),
        None => match (config::var("MCP_LOG"), config::var("RUST_LOG")) {
            (Some(f), _) => ("MCP_LOG", f),
            (None, Some(f)) => ("RUST_LOG", f),
            (None, None) => return Ok(tracing_subscriber::EnvFilter::new("info")),
        },
    };
    tracing_subscriber::EnvFilter::try_new(&filter).map_err(|e| {
        format!(
            "{source}: `{filter}` is not a log filter ({e}); write e.g. `info` or `info,mcp_runtime=debug`"
        )
    })
}

/// Install the log (and the OpenTelemetry layer when configured). With
/// `strict`, an OpenTelemetry configuration that cannot be served is
/// returned before anything is installed; otherwise the log is installed
/// without export and the error returned for the caller to log.
fn install_logging(filter: tracing_subscriber::EnvFilter, strict: bool) -> Result<(), String> {
    // Colours only for a person at a terminal, not in files or journald.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none();
    #[cfg(feature = "otel")]
    let filter = match otel::layer() {
        Ok(Some(otel)) => {
            init_with_otel(filter, ansi, otel);
            return Ok(());
        }
        Ok(None) => filter,
        Err(e) if strict => return Err(e.to_string()),
        Err(e) => {
            init_log(filter, ansi);
            return Err(e.to_string());
        }
    };
    #[cfg(not(feature = "otel"))]
    let _ = strict;
    init_log(filter, ansi);
    #[cfg(not(feature = "otel"))]
    if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some() {
        tracing::warn!(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set, but this server was built without the `otel` feature: no traces are exported"
        );
    }
    Ok(())
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

/// Guide: a tool's questions to its client (elicitation, sampling, roots)
/// in both protocol eras, the re-run model of 2026-07-28 and its sealed
/// `requestState`.
#[doc = include_str!("../docs/interactive-tools.md")]
pub mod interactive_tools {}

/// Guide: long-running tools as tasks (the tasks extension, SEP-2663).
#[doc = include_str!("../docs/tasks.md")]
pub mod tasks_guide {}

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
