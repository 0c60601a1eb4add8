//! The builder's options and `build`: the checks of everything at once
//! and the one `Serving` config it moves into [`Server`] (the variables it
//! reads are in `env.rs`).

use super::*;

impl ServerBuilder {
    pub(super) fn new(name: &str, version: &str) -> Self {
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
            sessions: super::sessions::SessionOptions::default(),
            concurrent_per_key: None,
            concurrent_per_tenant: Some(DEFAULT_CONCURRENT_PER_TENANT),
            filter: None,
            #[cfg(feature = "metrics")]
            metrics: MetricsConfig::default(),
            allow_no_tools: false,
            call_timeout_set: false,
            shutdown_timeout_set: false,
            request_state_set: false,
            input_timeout_set: false,
            task_store: None,
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

    /// The keys that seal the `requestState` of input-required calls
    /// (protocol 2026-07-28): give every replica the same ones, so that any
    /// of them opens a state another issued. Without this call:
    /// `MCP_REQUEST_STATE_KEY` (and `MCP_REQUEST_STATE_PREVIOUS_KEY` with
    /// `MCP_REQUEST_STATE_PREVIOUS_UNTIL` during a rotation), else a random
    /// key per process (logged: fine for one replica only).
    pub fn request_state_keys(mut self, keys: crate::input::RequestStateKeys) -> Self {
        self.dispatch.request_state = keys;
        self.request_state_set = true;
        self
    }

    /// How long a question a tool sends on its call's stream (protocol
    /// 2025-11-25: elicitation, sampling, roots) waits for the client's
    /// answer before the tool gets a `server_error` and the client a
    /// `notifications/cancelled`. Without this call: `MCP_INPUT_TIMEOUT_SECS`,
    /// else 60 s. The call's own timeout still bounds the whole call.
    pub fn input_timeout(mut self, d: Duration) -> Self {
        self.dispatch.input_timeout = d;
        self.input_timeout_set = true;
        self
    }

    /// How long a task (`#[mcp_tool(task = ...)]`, the tasks extension of
    /// 2026-07-28) is kept after its creation, its `ttlMs`; a handler still
    /// running then is stopped and the task `failed`. Default 1 hour.
    pub fn task_ttl(mut self, d: Duration) -> Self {
        self.dispatch.task_limits.ttl = d;
        self
    }

    /// The `pollIntervalMs` suggested to clients polling a task (default 500 ms).
    pub fn task_poll_interval(mut self, d: Duration) -> Self {
        self.dispatch.task_limits.poll_interval = d;
        self
    }

    /// Keep tasks in `store` instead of this process's memory
    /// ([`MemoryTaskStore`](crate::task::MemoryTaskStore), 10 000 live tasks
    /// at most): a store shared by every replica lets any of them answer
    /// `tasks/get`, `tasks/update` and `tasks/cancel` of a task another runs.
    /// Without this call, `MCP_STATE_URL=redis://…` (feature `redis`) keeps
    /// them in that Redis (`RedisTaskStore`, keys under `mcp:{server name}:task:`).
    pub fn task_store(mut self, store: Arc<dyn crate::task::TaskStore>) -> Self {
        self.task_store = Some(store);
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

    /// Keep sessions in the handshake era (2025-11-25 and before): an
    /// `Mcp-Session-Id` from `initialize`, required on later requests,
    /// ended by `DELETE` or `idle` without use; a `GET` stream per session
    /// and resource subscriptions (see [`crate::session`]). Off by default
    /// (stateless, any replica answers anything); the 2026-07-28 era is
    /// stateless either way. Without this call: `MCP_SESSIONS=on|off`.
    ///
    /// The sessions are kept in this process, or in Redis when the shared
    /// state is (`MCP_STATE_URL`), or in [`session_store`](Self::session_store).
    pub fn sessions(mut self, on: bool) -> Self {
        self.sessions.on = Some(on);
        self
    }

    /// How long an unused session lives (each request, and a `GET` stream's
    /// keep-alives, renew it). Without this call: `MCP_SESSION_IDLE_SECS`,
    /// else 30 minutes.
    pub fn session_idle(mut self, idle: Duration) -> Self {
        self.sessions.idle = Some(idle);
        self
    }

    /// Keep sessions (when on) in `store` instead: e.g. a
    /// `session::RedisSessions` on a `RedisState` of
    /// your own (feature `redis`), which `MCP_STATE_URL` otherwise makes.
    pub fn session_store(mut self, store: Arc<dyn crate::session::SessionStore>) -> Self {
        self.sessions.store = Some(store);
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

    /// Collect the tools, generate and check every schema, check that each
    /// tool's state was given; report every problem at once. A server with
    /// no tools, resources or prompts is refused unless
    /// [`allow_no_tools`](ServerBuilder::allow_no_tools) says it is intended;
    /// one with only resources or only prompts needs no such call.
    ///
    /// What the builder was not given is read from its variable here:
    /// `MCP_RATE_LIMIT_PER_KEY`, `MCP_RATE_LIMIT_PER_TENANT`,
    /// `MCP_CALL_TIMEOUT_SECS`, `MCP_SHUTDOWN_TIMEOUT_SECS`,
    /// `MCP_INPUT_TIMEOUT_SECS`, `MCP_REQUEST_STATE_KEY` (with
    /// `MCP_REQUEST_STATE_PREVIOUS_KEY`, `MCP_REQUEST_STATE_PREVIOUS_UNTIL`),
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
        let serves_nothing =
            registry.is_empty() && registry.resources().is_empty() && registry.prompts().is_empty();
        if serves_nothing && !self.allow_no_tools {
            let registered = inventory::iter::<crate::__private::ToolDescriptor>
                .into_iter()
                .count();
            return Err(BuildError::NoTools { registered });
        }
        let scope = std::mem::take(&mut self.dispatch.scope);
        self.dispatch.scope =
            ProcessScope::new(scope.tenant, scope.workspace).map_err(BuildError::Tenant)?;
        let shared = self.shared_state_from_env()?;
        let policy = shared.as_ref().map(|(_, u)| *u).or(self.state_unreachable);
        let sessions = self.sessions.build(policy);
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
        let guard = match shared {
            Some((state, unreachable)) => {
                tracing::info!(state = state.kind(), policy = ?unreachable, "rate limits counted in shared state");
                crate::state::SharedRateLimiter::new(
                    state,
                    self.rate_per_key,
                    self.rate_per_tenant,
                    unreachable,
                )
                .map(|r| {
                    #[cfg(feature = "metrics")]
                    let r = match &metrics {
                        Some((_, m)) => {
                            let m = Arc::clone(m);
                            r.on_outage(Box::new(move |policy| {
                                m.state_unreachable(policy == crate::state::Unreachable::Refuse)
                            }))
                        }
                        None => r,
                    };
                    Arc::new(r) as Arc<dyn CallGate>
                })
            }
            None => RateLimiter::new(self.rate_per_key, self.rate_per_tenant)
                .map(|r| Arc::new(r) as Arc<dyn CallGate>),
        };
        #[allow(unused_mut)]
        let mut dispatcher = Dispatcher::new(
            Arc::new(registry),
            Arc::new(self.state),
            self.info,
            self.dispatch,
            guard,
            concurrency,
            sessions,
        );
        if let Some(store) = self.task_store {
            dispatcher.set_task_store(store);
        }
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
