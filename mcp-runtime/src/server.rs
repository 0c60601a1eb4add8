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
    /// No tool is registered, or none passes [`ServerBuilder::tools_where`],
    /// and [`ServerBuilder::allow_no_tools`] was not called.
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
                "no MCP tools are registered in this binary, so the server would serve nothing. \
                 Most likely the crate that defines the `#[mcp_tool]` functions is not linked: \
                 a crate nothing uses is left out, so add `use my_tools as _;` (your tool \
                 crate's name) to main.rs; or the module holding them is never compiled: \
                 declare it with `mod tools;`. If a server without tools is intended, call \
                 `.allow_no_tools()` on the builder",
            ),
            BuildError::NoTools { registered } => write!(
                f,
                "none of the {registered} registered MCP tools passes `tools_where`, so the \
                 server would serve nothing: check the filter, or call `.allow_no_tools()` on \
                 the builder if a server without tools is intended"
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

impl ServerBuilder {
    fn new(name: &str, version: &str) -> Self {
        ServerBuilder {
            info: ServerInfo {
                name: name.to_owned(),
                version: version.to_owned(),
                title: None,
                instructions: None,
            },
            state: StateMap::default(),
            dispatch: DispatchConfig::default(),
            rate_per_key: None,
            rate_per_tenant: None,
            shared_state: None,
            state_unreachable: None,
            concurrent_per_key: None,
            concurrent_per_tenant: Some(DEFAULT_CONCURRENT_PER_TENANT),
            filter: None,
            #[cfg(feature = "metrics")]
            metrics: MetricsConfig::default(),
            allow_no_tools: false,
            call_timeout_set: false,
            shutdown_timeout_set: false,
            serving: Serving {
                http: HttpConfig::default(),
                hosts_set: false,
                limits: Limits::default(),
                conn: ConnConfig::default(),
                app: AppParts::default(),
                auth: AuthConfig {
                    keys: Vec::new(),
                    oauth: None,
                    oauth_flags: OAuthSettings::default(),
                    from_env: true,
                    file: None,
                    none: false,
                },
                shutdown_timeout: Duration::from_secs(30),
                shutdown_grace: Duration::ZERO,
            },
        }
    }

    /// Human display name of the server.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.info.title = Some(title.into());
        self
    }

    /// Guidance for the model on how to use the server's tools.
    pub fn instructions(mut self, text: impl Into<String>) -> Self {
        self.info.instructions = Some(text.into());
        self
    }

    /// Shared state for tools, read with `ctx.state::<T>()`; one value per type.
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(value);
        self
    }

    /// Serve only the registered tools whose name passes `keep`.
    pub fn tools_where(mut self, keep: impl Fn(&str) -> bool + 'static) -> Self {
        self.filter = Some(Box::new(keep));
        self
    }

    /// Build even when no tool is registered (or none passes `tools_where`).
    /// Without it, [`build`](ServerBuilder::build) refuses an empty server:
    /// a binary that does not link its tool crate would otherwise start and
    /// serve `tools: 0` without a word.
    pub fn allow_no_tools(mut self) -> Self {
        self.allow_no_tools = true;
        self
    }

    /// Act for this tenant in every call, for a process that serves one
    /// tenant: a desktop agent over stdio, or a development server on
    /// loopback (serving HTTP elsewhere is refused). A call without
    /// `tenantId` gets this one; a call naming another is refused with
    /// `permission_denied` before the tool runs. [`Server::run`] lets
    /// `--tenant` or `MCP_TENANT` set it too; see the README, "A desktop agent
    /// over stdio".
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.dispatch.scope.tenant = Some(tenant.into());
        self
    }

    /// Act for this workspace in every call, as [`tenant`](ServerBuilder::tenant)
    /// does for the tenant (`--workspace`, `MCP_WORKSPACE`).
    pub fn workspace(mut self, workspace: impl Into<String>) -> Self {
        self.dispatch.scope.workspace = Some(workspace.into());
        self
    }

    /// Tools per `tools/list` page (default 100).
    pub fn page_size(mut self, n: usize) -> Self {
        self.dispatch.page_size = n.max(1);
        self
    }

    /// Longest a tool may run before it is cancelled and the call answers
    /// `server_error`. Without this call: `MCP_CALL_TIMEOUT_SECS`, else 60 s.
    pub fn call_timeout(mut self, d: Duration) -> Self {
        self.dispatch.call_timeout = d;
        self.call_timeout_set = true;
        self
    }

    /// `ttlMs` of `tools/list` and `server/discover` results (default 5 min).
    pub fn list_ttl(mut self, d: Duration) -> Self {
        self.dispatch.list_ttl_ms = d.as_millis() as u64;
        self
    }

    /// Longest string accepted in tool arguments (default 256 KiB).
    pub fn max_argument_string_bytes(mut self, n: usize) -> Self {
        self.dispatch.max_string_bytes = n;
        self
    }

    /// Most values (objects, arrays, their items and scalars together) in
    /// one call's arguments (default 100,000); more is a `validation_error`,
    /// found while the arguments are read.
    pub fn max_argument_values(mut self, n: usize) -> Self {
        self.dispatch.max_argument_values = n.max(1);
        self
    }

    /// Whether `tools/list` shows a caller that holds scopes (an access
    /// token, a key with `scopes=`) only the tools whose scopes it holds
    /// (default on). Off, every caller sees every tool, and a call without
    /// the scope is still refused.
    pub fn list_only_permitted_tools(mut self, on: bool) -> Self {
        self.dispatch.list_permitted_only = on;
        self
    }

    /// Largest request body (default 4 MiB; larger → 413).
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.serving.limits.max_message_bytes = n;
        self
    }

    /// Deepest JSON nesting accepted (default 64).
    pub fn max_json_depth(mut self, n: usize) -> Self {
        self.serving.limits.max_json_depth = n.max(2);
        self
    }

    /// Requests handled at once over HTTP (default 1024); more wait up to
    /// `queue_timeout` (default 10 s), then get 503 with `Retry-After`.
    pub fn max_concurrent_requests(mut self, n: usize, queue_timeout: Duration) -> Self {
        self.serving.http.max_concurrent = n.max(1);
        self.serving.http.queue_timeout = queue_timeout;
        self
    }

    /// HTTP connections open at once (default 4096). A connection beyond
    /// is answered `503` with `Retry-After` and closed, without reading it.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.serving.conn.max_connections = n.max(1);
        self
    }

    /// Longest time from the first byte of a request to the end of its
    /// headers (default 10 s); a slower client is disconnected.
    pub fn header_read_timeout(mut self, d: Duration) -> Self {
        self.serving.conn.header_read_timeout = d;
        self
    }

    /// Longest time to receive a request body once its headers are in
    /// (default 30 s); a slower body gets `408` and the connection is closed.
    pub fn body_read_timeout(mut self, d: Duration) -> Self {
        self.serving.http.body_read_timeout = d;
        self
    }

    /// How long a kept-alive connection may wait for its next request
    /// (default 60 s).
    pub fn idle_timeout(mut self, d: Duration) -> Self {
        self.serving.conn.idle_timeout = d;
        self
    }

    /// Largest request head, request line and headers together (default
    /// 64 KiB; at least 8 KiB); larger → `431`.
    pub fn max_header_bytes(mut self, n: usize) -> Self {
        self.serving.conn.max_header_bytes = n.max(8192);
        self
    }

    /// Bytes of request bodies held in memory at once, over all requests
    /// (default 64 MiB, never less than `max_body_bytes`). A body that does
    /// not fit waits up to the queue timeout, then gets `503`.
    pub fn body_budget_bytes(mut self, n: usize) -> Self {
        self.serving.http.body_budget_bytes = n;
        self
    }

    /// Calls in flight at once for one tenant (default 256: a quarter of
    /// the server's requests); beyond, a call answers `rate_limit` at once.
    /// `None` lifts the cap.
    pub fn max_concurrent_calls_per_tenant(mut self, n: Option<usize>) -> Self {
        self.concurrent_per_tenant = n.map(|n| n.max(1));
        self
    }

    /// Calls in flight at once for one API key (default: no cap; the hub's
    /// one key carries every tenant's calls).
    pub fn max_concurrent_calls_per_key(mut self, n: Option<usize>) -> Self {
        self.concurrent_per_key = n.map(|n| n.max(1));
        self
    }

    /// Serve Prometheus metrics at `http://ADDR/metrics`, on a listener of
    /// their own (never the MCP port); also `MCP_METRICS_ADDR`. Off unless
    /// set. Needs the `metrics` feature.
    #[cfg(feature = "metrics")]
    pub fn metrics_addr(mut self, addr: impl Into<String>) -> Self {
        self.metrics.addr = Some(addr.into());
        self
    }

    /// Label `mcp_tool_calls_total` with the tenant too (off by default: one
    /// series per tenant and tool can be many).
    #[cfg(feature = "metrics")]
    pub fn metrics_tenant_label(mut self, on: bool) -> Self {
        self.metrics.tenant_label = on;
        self
    }

    /// Calls allowed per API key (`rate_limit` with a retry hint beyond).
    /// Without this call: `MCP_RATE_LIMIT_PER_KEY` (e.g. `600/min`), else off.
    pub fn rate_limit_per_key(mut self, rate: Rate) -> Self {
        self.rate_per_key = Some(rate);
        self
    }

    /// Calls allowed per tenant (`rate_limit` with a retry hint beyond).
    /// Without this call: `MCP_RATE_LIMIT_PER_TENANT`, else off.
    pub fn rate_limit_per_tenant(mut self, rate: Rate) -> Self {
        self.rate_per_tenant = Some(rate);
        self
    }

    /// Count the rate limits in `state`, shared by every replica (e.g. a
    /// [`RedisState`](crate::state::RedisState)), instead of in this process.
    /// Also `MCP_STATE_URL=redis://…` (feature `redis`), its keys under
    /// `mcp:{server name}:`, each round trip bounded by
    /// `MCP_STATE_TIMEOUT_MS` (default 250).
    pub fn shared_state(mut self, state: Arc<dyn crate::state::SharedState>) -> Self {
        self.shared_state = Some(state);
        self
    }

    /// What a call meets when the shared state does not answer: allowed,
    /// with a warning (the default), or refused with `server_error`. Also
    /// `MCP_STATE_UNREACHABLE=allow|refuse`.
    pub fn when_state_unreachable(mut self, policy: crate::state::Unreachable) -> Self {
        self.state_unreachable = Some(policy);
        self
    }

    /// The HTTP path of the MCP endpoint (default `/mcp`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let p = path.into();
        self.serving.http.path = if p.starts_with('/') {
            p
        } else {
            format!("/{p}")
        };
        self
    }

    /// Host names (no port) accepted in the `Host` header, against DNS
    /// rebinding. Default: the loopback names when serving on loopback, any
    /// host otherwise.
    pub fn allowed_hosts<I: IntoIterator<Item = S>, S: Into<String>>(mut self, hosts: I) -> Self {
        self.serving.http.allowed_hosts = hosts.into_iter().map(Into::into).collect();
        self.serving.hosts_set = true;
        self
    }

    /// Browser origins accepted (exact, e.g. `https://app.example.com`).
    /// Requests with any other `Origin` get 403; requests without one are fine.
    pub fn allowed_origins<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        origins: I,
    ) -> Self {
        self.serving.http.allowed_origins = origins.into_iter().map(Into::into).collect();
        self
    }

    /// Wrap the MCP endpoint in a tower layer (CORS, compression, your own
    /// middleware). The server's own checks run inside it: authentication,
    /// Host/Origin, limits and the drain at shutdown are kept. Layers added
    /// later wrap those added earlier. `/healthz`, `/readyz` and the routes
    /// of [`routes`](Self::routes) are outside it.
    ///
    /// ```no_run
    /// # fn f(b: mcp_runtime::ServerBuilder) -> mcp_runtime::ServerBuilder {
    /// // e.g. with tower-http: b.layer(tower_http::cors::CorsLayer::permissive())
    /// b.layer(tower::layer::util::Identity::new())
    /// # }
    /// ```
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: tower::Layer<axum::routing::Route> + Clone + Send + Sync + 'static,
        L::Service: tower::Service<axum::extract::Request, Error = std::convert::Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Response:
            axum::response::IntoResponse + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Future: Send + 'static,
    {
        self.serving
            .app
            .layers
            .push(Arc::new(move |router: axum::Router| {
                router.layer(layer.clone())
            }));
        self
    }

    /// Serve the application's own axum routes beside MCP (a status page, a
    /// webhook). They have no MCP authentication (add your own); a route
    /// overlapping the MCP path, `/healthz` or `/readyz` stops the start with
    /// an error.
    pub fn routes(mut self, router: axum::Router) -> Self {
        self.serving.app.routes = Some(match self.serving.app.routes.take() {
            Some(existing) => existing.merge(router),
            None => router,
        });
        self
    }

    /// A readiness check for `/readyz` (the database answers, the cache is
    /// reachable). `/readyz` answers 200 when every check passes within 2 s,
    /// else 503 naming the failing ones (their detail is logged, not shown);
    /// and 503 while the server drains at shutdown. `/healthz` never runs
    /// checks: it is a liveness probe.
    pub fn readiness_check<F, Fut>(mut self, name: impl Into<String>, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.serving.app.checks.push(Check {
            name: name.into(),
            run: Arc::new(move || -> ReadinessFuture { Box::pin(check()) }),
        });
        self
    }

    /// Accept this API key (several may be active, for rotation).
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.serving.auth.keys.push(key);
        self
    }

    /// Accept OAuth 2.1 access tokens (JWTs) beside API keys: a bearer
    /// value that is a JWT is verified as a token, anything else as a key.
    /// Also from the environment (`MCP_OAUTH_ISSUER`, `MCP_OAUTH_AUDIENCE`,
    /// `MCP_OAUTH_TENANT_CLAIM`, `MCP_OAUTH_JWKS_URL`) unless
    /// [`keys_from_env`](Self::keys_from_env) is off; the builder's wins.
    /// With OAuth, no API key needs to be configured, on any address.
    pub fn oauth(mut self, oauth: OAuth) -> Self {
        self.serving.auth.oauth = Some(oauth);
        self
    }

    /// OAuth settings from command-line flags (`cli::ServeArgs::apply`):
    /// each wins over its `MCP_OAUTH_*` variable; an [`oauth`](Self::oauth)
    /// configuration wins over both.
    #[cfg(feature = "clap")]
    pub(crate) fn oauth_flags(mut self, flags: OAuthSettings) -> Self {
        self.serving.auth.oauth_flags = flags;
        self
    }

    /// Whether to read keys from `MCP_API_KEYS` (and a key file from
    /// `MCP_API_KEYS_FILE`), and OAuth from `MCP_OAUTH_*`, when serving;
    /// on by default.
    pub fn keys_from_env(mut self, on: bool) -> Self {
        self.serving.auth.from_env = on;
        self
    }

    /// Read keys from this file; it is re-read on SIGHUP and when it changes.
    pub fn key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.serving.auth.file = Some(path.into());
        self
    }

    /// Serve HTTP with **no authentication at all**. Allowed only on a
    /// loopback address (serving elsewhere fails), and announced loudly in the
    /// log. For local test fixtures whose clients send no credentials.
    pub fn dangerously_serve_without_authentication(mut self) -> Self {
        self.serving.auth.none = true;
        self
    }

    /// How long the server goes on serving after a shutdown signal, with
    /// `/readyz` failing, before it stops accepting connections (default 0):
    /// time for a load balancer to stop sending it requests.
    pub fn shutdown_grace(mut self, d: Duration) -> Self {
        self.serving.shutdown_grace = d;
        self
    }

    /// How long a shutdown waits for calls in flight. Without this call:
    /// `MCP_SHUTDOWN_TIMEOUT_SECS`, else 30 s.
    pub fn shutdown_timeout(mut self, d: Duration) -> Self {
        self.serving.shutdown_timeout = d;
        self.shutdown_timeout_set = true;
        self
    }
    /// The shared state the limits are counted in, from the builder or
    /// `MCP_STATE_URL` (`MCP_STATE_TIMEOUT_MS`, `MCP_STATE_UNREACHABLE`).
    fn shared_state_from_env(&mut self) -> Result<Option<SharedLimits>, BuildError> {
        let env = |name| {
            std::env::var(name)
                .ok()
                .filter(|v: &String| !v.trim().is_empty())
        };
        let unreachable = match (self.state_unreachable, env("MCP_STATE_UNREACHABLE")) {
            (Some(p), _) => p,
            (None, Some(v)) => v
                .parse()
                .map_err(|e| BuildError::State(format!("MCP_STATE_UNREACHABLE={v}: {e}")))?,
            (None, None) => crate::state::Unreachable::default(),
        };
        if let Some(state) = self.shared_state.take() {
            return Ok(Some((state, unreachable)));
        }
        let Some(url) = env("MCP_STATE_URL") else {
            return Ok(None);
        };
        #[cfg(feature = "redis")]
        {
            let timeout = match env("MCP_STATE_TIMEOUT_MS") {
                None => crate::state::DEFAULT_STATE_TIMEOUT,
                Some(v) => match v.trim().parse::<u64>() {
                    Ok(ms) if ms > 0 => Duration::from_millis(ms),
                    _ => {
                        return Err(BuildError::State(format!(
                            "MCP_STATE_TIMEOUT_MS={v}: a number of milliseconds above 0"
                        )));
                    }
                },
            };
            if !(url.starts_with("redis://")
                || url.starts_with("rediss://")
                || url.starts_with("redis+unix://"))
            {
                return Err(BuildError::State(
                    "MCP_STATE_URL must be a redis:// URL (the only shared state there is)".into(),
                ));
            }
            let state = crate::state::RedisState::new(&url, format!("mcp:{}:", self.info.name))
                .map_err(|e| BuildError::State(format!("MCP_STATE_URL: {e}")))?
                .timeout(timeout);
            Ok(Some((Arc::new(state), unreachable)))
        }
        #[cfg(not(feature = "redis"))]
        {
            let _ = url;
            Err(BuildError::State(
                "MCP_STATE_URL is set, but this server was built without the `redis` feature \
                 (rate limits would silently be counted per replica)"
                    .into(),
            ))
        }
    }

    /// The variables of what the builder was not given (see
    /// [`build`](Self::build)). Each is checked even where the builder's
    /// value wins, so a bad one never goes unnoticed.
    fn read_env(&mut self) -> Result<(), String> {
        let per_key = config::parsed(config::RATE_LIMIT_PER_KEY, config::parse_rate)?;
        let per_tenant = config::parsed(config::RATE_LIMIT_PER_TENANT, config::parse_rate)?;
        let call = config::parsed(config::CALL_TIMEOUT_SECS, config::parse_secs)?;
        let shutdown = config::parsed(config::SHUTDOWN_TIMEOUT_SECS, config::parse_secs)?;
        self.rate_per_key = self.rate_per_key.or(per_key);
        self.rate_per_tenant = self.rate_per_tenant.or(per_tenant);
        if let Some(d) = call.filter(|_| !self.call_timeout_set) {
            self.dispatch.call_timeout = d;
        }
        if let Some(d) = shutdown.filter(|_| !self.shutdown_timeout_set) {
            self.serving.shutdown_timeout = d;
        }
        Ok(())
    }

    /// Collect the tools, generate and check every schema, check that each
    /// tool's state was given; report every problem at once. A server with
    /// no tools is refused unless [`allow_no_tools`](ServerBuilder::allow_no_tools)
    /// says it is intended.
    ///
    /// What the builder was not given is read from its variable here:
    /// `MCP_RATE_LIMIT_PER_KEY`, `MCP_RATE_LIMIT_PER_TENANT`,
    /// `MCP_CALL_TIMEOUT_SECS`, `MCP_SHUTDOWN_TIMEOUT_SECS`,
    /// `MCP_METRICS_ADDR`; a bad value is refused ([`BuildError::Config`],
    /// naming the variable).
    pub fn build(mut self) -> Result<Server, BuildError> {
        self.read_env().map_err(BuildError::Config)?;
        let registry = match &self.filter {
            Some(keep) => Registry::from_inventory_filtered(keep),
            None => Registry::from_inventory(),
        }
        .map_err(BuildError::Tools)?;
        let missing = registry.missing_state(&self.state);
        if !missing.is_empty() {
            return Err(BuildError::Tools(RegistryError { problems: missing }));
        }
        if registry.is_empty() && !self.allow_no_tools {
            let registered = inventory::iter::<crate::__private::ToolDescriptor>
                .into_iter()
                .count();
            return Err(BuildError::NoTools { registered });
        }
        let scope = std::mem::take(&mut self.dispatch.scope);
        self.dispatch.scope =
            ProcessScope::new(scope.tenant, scope.workspace).map_err(BuildError::Tenant)?;
        let guard = match self.shared_state_from_env()? {
            Some((state, unreachable)) => {
                tracing::info!(state = state.kind(), policy = ?unreachable, "rate limits counted in shared state");
                crate::state::SharedRateLimiter::new(
                    state,
                    self.rate_per_key,
                    self.rate_per_tenant,
                    unreachable,
                )
                .map(|r| Arc::new(r) as Arc<dyn CallGate>)
            }
            None => RateLimiter::new(self.rate_per_key, self.rate_per_tenant)
                .map(|r| Arc::new(r) as Arc<dyn CallGate>),
        };
        let concurrency =
            ConcurrencyLimits::new(self.concurrent_per_key, self.concurrent_per_tenant);
        #[cfg(feature = "metrics")]
        let metrics = self
            .metrics
            .addr
            .clone()
            .or_else(|| {
                std::env::var("MCP_METRICS_ADDR")
                    .ok()
                    .filter(|a| !a.is_empty())
            })
            .map(|addr| {
                let names: Vec<&'static str> = registry.tools().iter().map(|t| t.name()).collect();
                let m = crate::telemetry::Metrics::new(
                    &names,
                    &self.info.name,
                    &self.info.version,
                    self.metrics.tenant_label,
                );
                (addr, Arc::new(m))
            });
        #[cfg(not(feature = "metrics"))]
        if std::env::var_os("MCP_METRICS_ADDR").is_some() {
            tracing::warn!(
                "MCP_METRICS_ADDR is set, but this server was built without the `metrics` feature"
            );
        }
        #[allow(unused_mut)]
        let mut dispatcher = Dispatcher::new(
            Arc::new(registry),
            Arc::new(self.state),
            self.info,
            self.dispatch,
            guard,
            concurrency,
        );
        #[cfg(feature = "metrics")]
        let metrics_addr = metrics.map(|(addr, m)| {
            dispatcher.metrics = Some(m);
            addr
        });
        Ok(Server {
            dispatcher: Arc::new(dispatcher),
            serving: self.serving,
            #[cfg(feature = "metrics")]
            metrics_addr,
        })
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

impl Server {
    /// Start building a server with the name and version clients see
    /// (usually your crate's: `env!("CARGO_PKG_NAME")`, `env!("CARGO_PKG_VERSION")`).
    pub fn builder(name: &str, version: &str) -> ServerBuilder {
        ServerBuilder::new(name, version)
    }

    /// The tools this server serves.
    pub fn registry(&self) -> &Registry {
        &self.dispatcher.registry
    }

    /// An in-process client that sends JSON-RPC through this server's dispatcher.
    pub fn client(&self) -> Client {
        Client::new(self.dispatcher.clone())
    }

    /// Act for this tenant and workspace in every call, as
    /// [`ServerBuilder::tenant`] and [`ServerBuilder::workspace`] do, for a
    /// program that parses its own flags after building the server
    /// (`None` keeps what the builder set). [`Server::run`] uses it for
    /// `--tenant` and `MCP_TENANT`. Clients made before keep the old scope.
    ///
    /// ```
    /// # fn f(server: mcp_runtime::Server) -> Result<(), mcp_runtime::BuildError> {
    /// let tenant = std::env::var("MCP_TENANT").ok();
    /// let server = server.for_tenant(tenant, None)?;
    /// # Ok(()) }
    /// ```
    pub fn for_tenant(
        mut self,
        tenant: Option<String>,
        workspace: Option<String>,
    ) -> Result<Server, BuildError> {
        if tenant.is_none() && workspace.is_none() {
            return Ok(self);
        }
        let current = self.dispatcher.scope();
        let scope = ProcessScope::new(
            tenant.or_else(|| current.tenant.clone()),
            workspace.or_else(|| current.workspace.clone()),
        )
        .map_err(BuildError::Tenant)?;
        self.dispatcher = Arc::new(self.dispatcher.rescoped(scope));
        Ok(self)
    }

    /// A process-wide tenant is for stdio and loopback: a deployed server
    /// gets each call's tenant from the hub, and a default there would answer
    /// every caller that forgot `tenantId` with that tenant's data.
    fn check_scope_address(&self, addr: &SocketAddr) -> Result<(), ServeError> {
        if self.dispatcher.scope().is_set() && !http::is_loopback(addr) {
            return Err(ServeError::Refused(format!(
                "refusing to serve on {addr} for one tenant (`--tenant`, `MCP_TENANT`, \
                 `.tenant(..)`, or a workspace): acting for one tenant is allowed over stdio \
                 and on loopback addresses only; a deployed server gets each call's tenant \
                 from the hub"
            )));
        }
        Ok(())
    }

    fn plan_auth(&self, addr: &SocketAddr) -> Result<AuthPlan, ServeError> {
        self.check_scope_address(addr)?;
        let loopback = http::is_loopback(addr);
        let auth = &self.serving.auth;
        if auth.none {
            if !loopback {
                return Err(ServeError::Refused(format!(
                    "refusing to serve without authentication on {addr}: \
                     `dangerously_serve_without_authentication` is allowed on loopback addresses only"
                )));
            }
            tracing::warn!(
                "AUTHENTICATION IS OFF: any local process can call every tool (loopback only)"
            );
            return Ok(AuthPlan::None);
        }
        let mut keys = auth.keys.clone();
        let mut file = auth.file.clone();
        let mut file_from_env = false;
        if auth.from_env {
            if let Ok(v) = std::env::var("MCP_API_KEYS") {
                keys.extend(auth::parse_env_keys(&v).map_err(ServeError::Keys)?);
            }
            if file.is_none() {
                file = std::env::var_os("MCP_API_KEYS_FILE")
                    .filter(|f| !f.is_empty())
                    .map(PathBuf::from);
                file_from_env = file.is_some();
            }
        }
        let store = KeyStore::new(keys, file).map_err(|e| {
            ServeError::Keys(if file_from_env {
                KeyError(format!("MCP_API_KEYS_FILE: {}", e.0))
            } else {
                e
            })
        })?;
        let oauth = match &auth.oauth {
            Some(o) => Some(o.clone()),
            None => {
                let settings = if auth.from_env {
                    auth.oauth_flags.clone().or(OAuthSettings::from_env())
                } else {
                    auth.oauth_flags.clone()
                };
                OAuth::from_settings(settings)
                    .map_err(|e| ServeError::Refused(format!("OAuth: {e}")))?
            }
        };
        let oauth = match oauth {
            Some(o) => {
                let scopes = self.dispatcher.registry.scopes();
                Some(Arc::new(
                    o.verifier(&scopes)
                        .map_err(|e| ServeError::Refused(format!("OAuth: {e}")))?,
                ))
            }
            None => None,
        };
        if !store.is_empty() || oauth.is_some() {
            return Ok(AuthPlan::Keys(Arc::new(store), None, oauth));
        }
        if !loopback {
            return Err(ServeError::Refused(format!(
                "refusing to serve on {addr} without API keys. Configure at least one: \
                 MCP_API_KEYS=name:secret (comma-separated for several; add :tenantA|tenantB to bind \
                 a key to tenants), or a key file via MCP_API_KEYS_FILE or `.key_file(path)`"
            )));
        }
        let secret = auth::generate_secret()?;
        let store = KeyStore::new(
            vec![ApiKey::new("generated", &secret).map_err(ServeError::Keys)?],
            None,
        )
        .map_err(ServeError::Keys)?;
        Ok(AuthPlan::Keys(Arc::new(store), Some(secret), None))
    }

    fn http_state(
        &self,
        addr: &SocketAddr,
        keys: Option<Arc<KeyStore>>,
        oauth: Option<Arc<Verifier>>,
    ) -> Arc<HttpState> {
        let mut config = self.serving.http.clone();
        if !self.serving.hosts_set && http::is_loopback(addr) {
            config.allowed_hosts = http::loopback_names();
        }
        Arc::new(HttpState {
            dispatcher: self.dispatcher.clone(),
            keys,
            oauth,
            limits: self.serving.limits,
            permits: Arc::new(Semaphore::new(config.max_concurrent)),
            // One body of the largest size always fits.
            body_budget: Arc::new(Semaphore::new(
                config
                    .body_budget_bytes
                    .max(self.serving.limits.max_message_bytes)
                    .min(Semaphore::MAX_PERMITS),
            )),
            refusal_log: LogLimiter::per_minute(10),
            config,
        })
    }

    /// Serve over HTTP on `addr` until SIGTERM or ctrl-c, then drain the
    /// calls in flight (up to the shutdown timeout) and return.
    pub async fn serve(self, addr: impl tokio::net::ToSocketAddrs) -> Result<(), ServeError> {
        let listener = TcpListener::bind(addr).await?;
        self.serve_listener(listener, shutdown_signal()).await
    }

    /// Serve over HTTP on a bound listener until `shutdown` completes, then
    /// drain the calls in flight (up to the shutdown timeout).
    ///
    /// With traces exported (feature `otel`), the spans still queued are
    /// then sent, waiting 5 s at most for the collector.
    pub async fn serve_listener(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let addr = listener.local_addr()?;
        let plan = self.plan_auth(&addr)?;
        let url = format!("http://{addr}{}", self.serving.http.path);
        let (keys, oauth) = match plan {
            AuthPlan::Keys(store, generated, oauth) => {
                if let Some(secret) = generated {
                    // Printed once, to stderr, so a quick start is authenticated too.
                    eprintln!(
                        "No API keys configured (MCP_API_KEYS); generated one for this run.\n\
                         Connect with:\n  URL:    {url}\n  Header: Authorization: Bearer {secret}"
                    );
                }
                (Some(store), oauth)
            }
            AuthPlan::None => (None, None),
        };
        let state = self.http_state(&addr, keys.clone(), oauth);
        let tracker = Arc::new(Tracker::default());
        let app = http::router(state, &self.serving.app, Some(tracker.clone()))
            .map_err(ServeError::Refused)?;
        let watcher = Some(match keys.clone() {
            Some(k) => tokio::spawn(watch_keys(k)),
            // Nothing to reload, but SIGHUP must not end the process either.
            None => tokio::spawn(ignore_hangups()),
        });
        #[cfg(feature = "metrics")]
        let metrics_task = match (&self.metrics_addr, &self.dispatcher.metrics) {
            (Some(addr), Some(m)) => Some(
                crate::telemetry::serve(addr, m.clone())
                    .await
                    .map_err(|e| {
                        ServeError::Io(std::io::Error::new(
                            e.kind(),
                            format!(
                                "cannot serve metrics on {addr} (MCP_METRICS_ADDR, `.metrics_addr`): {e}"
                            ),
                        ))
                    })?,
            ),
            _ => None,
        };
        tracing::info!(
            %url,
            tools = self.dispatcher.registry.len(),
            server = %self.dispatcher.info().name,
            "MCP server listening"
        );
        let (drain_tx, drain_rx) = tokio::sync::oneshot::channel::<()>();
        let draining = tracker.clone();
        let grace = self.serving.shutdown_grace;
        let serve = conn::serve(
            listener,
            app,
            self.serving.conn.clone(),
            tracker.clone(),
            #[cfg(feature = "metrics")]
            self.dispatcher.metrics.clone(),
            async move {
                shutdown.await;
                draining.start_draining();
                if !grace.is_zero() {
                    tracing::info!(
                        grace_ms = grace.as_millis() as u64,
                        "shutting down: not ready; still serving during the grace period"
                    );
                    tokio::time::sleep(grace).await;
                }
                tracing::info!(
                    requests_in_flight = draining.requests_in_flight(),
                    open_connections = draining.open_connections(),
                    "shutting down: no new connections; closing idle connections, finishing requests in flight"
                );
                let _ = drain_tx.send(());
            },
        );
        let deadline = self.serving.shutdown_timeout;
        let result = tokio::select! {
            r = serve => {
                if tracker.is_shutting_down() {
                    tracing::info!("shutdown complete: every connection closed");
                }
                r.map_err(ServeError::Io)
            }
            _ = async move {
                if drain_rx.await.is_ok() {
                    tokio::time::sleep(deadline).await;
                } else {
                    std::future::pending::<()>().await;
                }
            } => {
                tracing::warn!(
                    timeout_ms = deadline.as_millis() as u64,
                    requests_in_flight = tracker.requests_in_flight(),
                    "shutdown deadline passed with requests still in flight; they are abandoned"
                );
                Ok(())
            }
        };
        if let Some(w) = watcher {
            w.abort();
        }
        #[cfg(feature = "metrics")]
        if let Some(t) = metrics_task {
            t.abort();
        }
        #[cfg(feature = "otel")]
        crate::otel::flush_async().await;
        result
    }

    /// The axum router of this server with authentication as configured
    /// (keys from the builder and environment; none → error), for mounting
    /// in an existing application. `addr` decides the DNS-rebinding default.
    pub fn router(&self, addr: SocketAddr) -> Result<axum::Router, ServeError> {
        let (keys, oauth) = match self.plan_auth(&addr)? {
            AuthPlan::Keys(store, None, oauth) => (Some(store), oauth),
            AuthPlan::Keys(_, Some(_), _) => {
                return Err(ServeError::Refused(
                    "no API keys configured: give the builder a key (`.api_key(...)`) or set MCP_API_KEYS".into(),
                ));
            }
            AuthPlan::None => (None, None),
        };
        http::router(self.http_state(&addr, keys, oauth), &self.serving.app, None)
            .map_err(ServeError::Refused)
    }

    /// Serve over stdin/stdout until stdin ends. Logs must go to stderr
    /// (as [`init_logging`](crate::init_logging) sets up).
    pub async fn serve_stdio(self) -> std::io::Result<()> {
        let stdin = tokio::io::BufReader::new(tokio::io::stdin());
        self.serve_io(stdin, tokio::io::stdout()).await
    }

    /// Serve on any reader/writer pair, newline-delimited.
    ///
    /// With traces exported (feature `otel`), the spans still queued are
    /// sent when the input ends, waiting 5 s at most for the collector.
    pub async fn serve_io<R, W>(self, reader: R, writer: W) -> std::io::Result<()>
    where
        R: tokio::io::AsyncBufRead + Unpin,
        W: tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let served =
            crate::transport::stdio::serve(self.dispatcher, reader, writer, self.serving.limits)
                .await;
        #[cfg(feature = "otel")]
        crate::otel::flush_async().await;
        served
    }

    /// Run as a command-line program: `--stdio` serves stdio; otherwise HTTP
    /// on `--addr ADDR`, else `MCP_ADDR`, else `127.0.0.1:8080`. `--tenant T`
    /// (else `MCP_TENANT`) and `--workspace W` (else `MCP_WORKSPACE`) make every
    /// call act for that tenant and workspace ([`ServerBuilder::tenant`]).
    /// `--help` prints the usage on stdout and returns `Ok`.
    /// Sets up logging to stderr (`MCP_LOG`/`RUST_LOG`, default `info`).
    ///
    /// **Options of the application.** `run` knows only the options above
    /// (also as `--addr=ADDR`, `--tenant=T`, `--workspace=W`). Every other
    /// argument is the application's: `run` leaves it alone, logging each
    /// unknown option at debug level (`MCP_LOG=mcp_runtime=debug`), and does
    /// not try to guess whether the argument after it is its value. An option
    /// of `run`'s own is still checked: one that needs a value and has none
    /// (it ends the line, or the next argument starts with `--`) is refused,
    /// and so is a bad tenant or workspace, a log filter that does not parse,
    /// and an address that cannot be bound.
    ///
    /// A failure's `Debug` is its message, so `main` can return it:
    ///
    /// ```no_run
    /// # use mcp_runtime::Server;
    /// #[tokio::main]
    /// async fn main() -> Result<(), Box<dyn std::error::Error>> {
    ///     let server = Server::builder("my-shop", env!("CARGO_PKG_VERSION")).build()?;
    ///     server.run().await?; // `shop --addr` prints `Error: --addr needs a value, e.g. --addr 127.0.0.1:8080`, exits 1
    ///     Ok(())
    /// }
    /// ```
    pub async fn run(self) -> Result<(), ServeError> {
        self.run_with_args(std::env::args().skip(1)).await
    }

    /// [`run`](Server::run) with explicit arguments (without the program
    /// name); arguments that are not `run`'s own are left to the
    /// application, as [`run`](Server::run) says.
    pub async fn run_with_args(
        self,
        args: impl IntoIterator<Item = String>,
    ) -> Result<(), ServeError> {
        crate::try_init_logging_with(None).map_err(ServeError::Refused)?;
        let mut args = args.into_iter().peekable();
        let (mut stdio, mut addr, mut tenant, mut workspace) = (false, None, None, None);
        while let Some(arg) = args.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n, Some(v.to_owned())),
                _ => (arg.as_str(), None),
            };
            let slot = match name {
                "--addr" => Some((&mut addr, "127.0.0.1:8080")),
                "--tenant" => Some((&mut tenant, "acme")),
                "--workspace" => Some((&mut workspace, "main")),
                _ => None,
            };
            if let Some((slot, example)) = slot {
                let value = inline
                    .or_else(|| args.next_if(|v| !v.starts_with("--")))
                    .ok_or_else(|| {
                        ServeError::Refused(format!("{name} needs a value, e.g. {name} {example}"))
                    })?;
                *slot = Some(value);
                continue;
            }
            match name {
                "--stdio" if inline.is_none() => stdio = true,
                "--stdio" => {
                    return Err(ServeError::Refused(format!(
                        "--stdio takes no value (not `{arg}`)"
                    )));
                }
                "-h" | "--help" => {
                    println!(
                        "usage: {} [--stdio] [--addr HOST:PORT] [--tenant ID] [--workspace ID]\n\
                         env: MCP_ADDR (default {DEFAULT_ADDR}), MCP_TENANT, MCP_WORKSPACE, \
                         MCP_API_KEYS, MCP_API_KEYS_FILE, MCP_LOG,\n     \
                         MCP_OAUTH_ISSUER, MCP_OAUTH_AUDIENCE, MCP_OAUTH_TENANT_CLAIM, MCP_OAUTH_JWKS_URL,\n     \
                         MCP_RATE_LIMIT_PER_KEY, MCP_RATE_LIMIT_PER_TENANT, MCP_CALL_TIMEOUT_SECS, \
                         MCP_SHUTDOWN_TIMEOUT_SECS, MCP_METRICS_ADDR\n\
                         other arguments are the program's own and are left to it",
                        self.dispatcher.info().name
                    );
                    return Ok(());
                }
                other if other.starts_with('-') => tracing::debug!(
                    option = arg.as_str(),
                    "not an option of Server::run: left to the application"
                ),
                _ => {}
            }
        }
        let (tenant, workspace) = process_scope(tenant, workspace)?;
        let server = self
            .for_tenant(tenant, workspace)
            .map_err(|e| ServeError::Refused(e.to_string()))?;
        if stdio {
            return server.serve_stdio().await.map_err(ServeError::Io);
        }
        let (addr, from_env) = address(addr);
        let listener = bind(&addr, from_env).await?;
        server.serve_listener(listener, shutdown_signal()).await
    }
}

/// The HTTP address: the flag's, else `MCP_ADDR` (empty counts as unset),
/// else [`DEFAULT_ADDR`]; and whether it came from the variable.
pub(crate) fn address(flag: Option<String>) -> (String, bool) {
    match flag {
        Some(a) => (a, false),
        None => match config::var(config::ADDR) {
            Some(a) => (a, true),
            None => (DEFAULT_ADDR.to_owned(), false),
        },
    }
}

/// Bind `addr`; the message names it, and `MCP_ADDR` when it came from there.
pub(crate) async fn bind(addr: &str, from_env: bool) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr).await.map_err(|e| {
        let source = if from_env { " (MCP_ADDR)" } else { "" };
        ServeError::Io(std::io::Error::new(
            e.kind(),
            format!("cannot listen on {addr}{source}: {e}"),
        ))
    })
}

/// The tenant and workspace a process acts for: the flag's value, else the
/// variable's (`MCP_TENANT`, `MCP_WORKSPACE`; empty counts as unset). A bad
/// value is refused; one from a variable names it.
pub(crate) fn process_scope(
    tenant: Option<String>,
    workspace: Option<String>,
) -> Result<(Option<String>, Option<String>), ServeError> {
    let pick = |flag: Option<String>, var: &str, tenant: bool| {
        let (value, from_env) = match flag {
            Some(v) => (Some(v), false),
            None => (config::var(var), true),
        };
        if let Some(v) = &value {
            let (t, w) = if tenant {
                (Some(v.clone()), None)
            } else {
                (None, Some(v.clone()))
            };
            ProcessScope::new(t, w).map_err(|e| {
                ServeError::Refused(if from_env { format!("{var}: {e}") } else { e })
            })?;
        }
        Ok::<_, ServeError>(value)
    };
    Ok((
        pick(tenant, config::TENANT, true)?,
        pick(workspace, config::WORKSPACE, false)?,
    ))
}

/// Without keys there is nothing to reload: SIGHUP is noted and ignored
/// (its default action would end the process).
async fn ignore_hangups() {
    #[cfg(unix)]
    if let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        while hup.recv().await.is_some() {
            tracing::info!("SIGHUP: no API keys to reload (authentication is off)");
        }
    }
}

async fn watch_keys(keys: Arc<KeyStore>) {
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        #[cfg(unix)]
        {
            let hup_fut = async {
                match hup.as_mut() {
                    Some(h) => {
                        h.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = hup_fut => {
                    if keys.file().is_some() {
                        match keys.reload() {
                            Ok(n) => tracing::info!(keys = n, "API keys reloaded (SIGHUP)"),
                            Err(e) => tracing::error!(error = %e, "API keys not reloaded; keeping the previous keys"),
                        }
                    }
                }
                _ = tick.tick() => keys.reload_if_changed(),
            }
        }
        #[cfg(not(unix))]
        {
            tick.tick().await;
            keys.reload_if_changed();
        }
    }
}

/// Completes on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
