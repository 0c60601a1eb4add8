//! The server builder: who the server is, its state and limits, how callers
//! authenticate; then `serve` over HTTP or stdio.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::auth::{self, ApiKey, KeyError, KeyStore, ProcessScope};
use crate::config;
use crate::context::StateMap;
use crate::dispatch::{DispatchConfig, Dispatcher, ServerInfo};
use crate::limits::{CallGate, ConcurrencyLimits, Limits, LogLimiter, Rate, RateLimiter};
use crate::oauth::{OAuth, OAuthSettings, Verifier};
use crate::registry::{Registry, RegistryError};
use crate::transport::conn::{self, ConnConfig, Tracker};
use crate::transport::http::{self, AppParts, HttpConfig, HttpState};
use crate::transport::in_process::Client;
use crate::transport::ops::{Check, ReadinessFuture};

/// Default of [`ServerBuilder::max_concurrent_calls_per_tenant`].
const DEFAULT_CONCURRENT_PER_TENANT: usize = 256;

/// The default address: loopback only.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// Which registered tools a server serves, by name.
type ToolFilter = Box<dyn Fn(&str) -> bool>;

/// Builds a [`Server`].
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// struct Db;
/// let server = mcp_runtime::Server::builder("shop", env!("CARGO_PKG_VERSION"))
///     .instructions("Tools for the shop's orders and products.")
///     .state(Db)
///     .build()?;
/// server.serve("127.0.0.1:8080").await?;
/// # Ok(()) }
/// ```
#[must_use]
pub struct ServerBuilder {
    info: ServerInfo,
    state: StateMap,
    dispatch: DispatchConfig,
    rate_per_key: Option<Rate>,
    rate_per_tenant: Option<Rate>,
    shared_state: Option<Arc<dyn crate::state::SharedState>>,
    state_unreachable: Option<crate::state::Unreachable>,
    sessions: sessions::SessionOptions,
    concurrent_per_key: Option<usize>,
    concurrent_per_tenant: Option<usize>,
    filter: Option<ToolFilter>,
    #[cfg(feature = "metrics")]
    metrics: MetricsConfig,
    allow_no_tools: bool,
    /// Whether `call_timeout` / `shutdown_timeout` were given (else their
    /// variables are read at build).
    call_timeout_set: bool,
    shutdown_timeout_set: bool,
    /// Whether `request_state_keys` / `input_timeout` were given.
    request_state_set: bool,
    input_timeout_set: bool,
    /// Where tasks live (the tasks extension); this process's memory by default.
    task_store: Option<Arc<dyn crate::task::TaskStore>>,
    serving: Serving,
}

/// Where and how metrics are served (feature `metrics`).
#[cfg(feature = "metrics")]
#[derive(Default)]
struct MetricsConfig {
    addr: Option<String>,
    tenant_label: bool,
}

/// How a built server serves: collected by the builder, moved into the [`Server`].
struct Serving {
    http: HttpConfig,
    /// Whether `allowed_hosts` was set (else loopback servers get the loopback names).
    hosts_set: bool,
    limits: Limits,
    conn: ConnConfig,
    app: AppParts,
    auth: AuthConfig,
    shutdown_timeout: Duration,
    shutdown_grace: Duration,
}

/// Where API keys come from, and how access tokens are verified.
struct AuthConfig {
    keys: Vec<ApiKey>,
    oauth: Option<OAuth>,
    /// OAuth settings from flags (`cli::ServeArgs`), over the variables.
    pub(crate) oauth_flags: OAuthSettings,
    from_env: bool,
    file: Option<PathBuf>,
    none: bool,
}

impl fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// The shared state rate limits are counted in, and what happens without it.
type SharedLimits = (
    Arc<dyn crate::state::SharedState>,
    crate::state::Unreachable,
);

/// Why a server could not be built: every problem at once.
///
/// Its `Debug` (`{:?}`) is its message, so that `fn main() -> Result<(), Box<dyn Error>>`
/// prints `Error: ` and the message, not the variant; `{:#?}` shows the variant.
pub enum BuildError {
    /// Problems with the tools or their state.
    Tools(RegistryError),
    /// A key could not be configured.
    Keys(KeyError),
    /// Nothing would be served: no tool is registered (or none passes
    /// [`ServerBuilder::tools_where`]), nor any resource or prompt, and
    /// [`ServerBuilder::allow_no_tools`] was not called.
    NoTools {
        /// How many tools the binary registers (before any `tools_where`).
        registered: usize,
    },
    /// The tenant or workspace to act for cannot be used (empty or too long).
    Tenant(String),
    /// The shared state (`MCP_STATE_URL` and its settings) cannot be used.
    State(String),
    /// A variable's value cannot be used; the message names the variable.
    Config(String),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // One problem a line, without the list's trailing newline.
            BuildError::Tools(e) => f.write_str(e.to_string().trim_end()),
            BuildError::Keys(e) => write!(f, "API keys: {e}"),
            BuildError::NoTools { registered: 0 } => f.write_str(
                "no MCP tools, resources or prompts are registered in this binary, so the server \
                 would serve nothing. Most likely the crate that defines the `#[mcp_tool]` \
                 (`#[mcp_resource]`, `#[mcp_prompt]`) functions is not linked: \
                 a crate nothing uses is left out, so add `use my_tools as _;` (your tool \
                 crate's name) to main.rs; or the module holding them is never compiled: \
                 declare it with `mod tools;`. If a server without tools is intended, call \
                 `.allow_no_tools()` on the builder",
            ),
            BuildError::NoTools { registered } => write!(
                f,
                "none of the {registered} registered MCP tools passes `tools_where` and no \
                 resource or prompt is registered, so the server would serve nothing: check the \
                 filter, or call `.allow_no_tools()` on the builder if a server without tools is \
                 intended"
            ),
            BuildError::Tenant(m) | BuildError::Config(m) => f.write_str(m),
            BuildError::State(m) => write!(f, "shared state: {m}"),
        }
    }
}

impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            return fmt::Display::fmt(self, f);
        }
        match self {
            BuildError::Tools(e) => f.debug_tuple("Tools").field(e).finish(),
            BuildError::Keys(e) => f.debug_tuple("Keys").field(e).finish(),
            BuildError::NoTools { registered } => f
                .debug_struct("NoTools")
                .field("registered", registered)
                .finish(),
            BuildError::Tenant(m) => f.debug_tuple("Tenant").field(m).finish(),
            BuildError::State(m) => f.debug_tuple("State").field(m).finish(),
            BuildError::Config(m) => f.debug_tuple("Config").field(m).finish(),
        }
    }
}

impl std::error::Error for BuildError {}

/// Why serving failed or was refused.
///
/// Like [`BuildError`], its `Debug` (`{:?}`) is its message, for `main`'s
/// `Error: …` line; `{:#?}` shows the variant.
pub enum ServeError {
    /// Refused by policy (e.g. no keys on a public address); says what to do.
    Refused(String),
    /// Binding or serving failed.
    Io(std::io::Error),
    /// Key configuration failed.
    Keys(KeyError),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Refused(m) => f.write_str(m),
            ServeError::Io(e) => write!(f, "{e}"),
            ServeError::Keys(e) => write!(f, "API keys: {e}"),
        }
    }
}

impl fmt::Debug for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            return fmt::Display::fmt(self, f);
        }
        match self {
            ServeError::Refused(m) => f.debug_tuple("Refused").field(m).finish(),
            ServeError::Io(e) => f.debug_tuple("Io").field(e).finish(),
            ServeError::Keys(e) => f.debug_tuple("Keys").field(e).finish(),
        }
    }
}

impl std::error::Error for ServeError {}

impl From<std::io::Error> for ServeError {
    fn from(e: std::io::Error) -> Self {
        ServeError::Io(e)
    }
}

/// A built MCP server: serve it over HTTP or stdio, or call it in process.
pub struct Server {
    dispatcher: Arc<Dispatcher>,
    serving: Serving,
    #[cfg(feature = "metrics")]
    metrics_addr: Option<String>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("name", &self.dispatcher.info().name)
            .field("tools", &self.dispatcher.registry)
            .finish_non_exhaustive()
    }
}

/// How the HTTP server authenticates, decided at start.
enum AuthPlan {
    /// API keys (and the generated secret, if the key was generated), and
    /// OAuth access tokens when configured.
    Keys(Arc<KeyStore>, Option<String>, Option<Arc<Verifier>>),
    None,
}

mod builder;
mod env;
mod serve;
mod sessions;

pub use self::serve::shutdown_signal;
#[cfg(feature = "clap")]
pub(crate) use self::serve::{address, bind, process_scope};
