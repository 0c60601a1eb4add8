//! Serving a built [`Server`]: HTTP with its accept loop, drain and key
//! reload, stdio, `run` from the command line, and the signals.

use super::*;

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

    /// Announces resource changes to the sessions subscribed to them (with
    /// [sessions](ServerBuilder::sessions) on; otherwise it does nothing).
    /// Clone it into the code that changes resources.
    pub fn notifier(&self) -> crate::session::Notifier {
        self.dispatcher.notifier()
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
        // A listen stream holds its request's permit: at most half of them.
        self.dispatcher
            .listeners
            .limit_total((config.max_concurrent / 2).max(1));
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
        let listeners = self.dispatcher.listeners.clone();
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
                // The `subscriptions/listen` streams answer their result and end.
                listeners.close_all();
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
