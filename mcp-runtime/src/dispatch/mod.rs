//! The JSON-RPC dispatcher: one message in, one [`Reply`] out, for both
//! protocol eras. Transports (HTTP, stdio, the in-process client) hand it the
//! bytes of a message and a [`Delivery`] (who sent it, where notifications
//! go, its cancellation, and any MCP request headers).
//!
//! One route: [`Incoming::parse`] makes one value of every message,
//! [`negotiate`] decides its era, and [`Dispatcher::request`] picks the
//! method's room: `lifecycle` (initialize, discover, ping, logging), `list`
//! (pages), `call` (tools/call), `sessions` (the handshake era's optional
//! sessions: the one a message names, resource subscriptions). A new method
//! family is a new module here plus one arm in `request`.

pub(crate) mod arguments;
mod ask;
mod call;
mod callers;
mod completion;
pub(crate) mod era;
pub(crate) mod headers;
mod incoming;
mod lifecycle;
mod list;
mod listen;
mod prompts;
mod resources;
mod result;
mod scopes;
mod sessions;
mod tasks;

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;

use self::call::Inflight;
use self::callers::{ClientCapabilities, LogLevels, caller};
use self::era::{Era, RequestMeta, header_version_error, negotiate};
use self::headers::McpHeaders;
use self::incoming::{Incoming, Request};
pub use self::lifecycle::ServerInfo;
use self::list::{Pages, StatelessExtras};
use crate::auth::{KeyIdentity, ProcessScope};
use crate::context::{CancellationToken, StateMap};
use crate::jsonrpc::{Reply, RpcError, codes, to_bytes, truncate};
use crate::limits::{CallGate, ConcurrencyLimits};
use crate::notify::NotificationSender;
use crate::registry::Registry;

/// Knobs of the dispatcher.
#[derive(Debug, Clone)]
pub(crate) struct DispatchConfig {
    pub(crate) page_size: usize,
    pub(crate) call_timeout: Duration,
    pub(crate) list_ttl_ms: u64,
    pub(crate) max_string_bytes: usize,
    /// Values (objects, arrays, their items, scalars) in one call's arguments.
    pub(crate) max_argument_values: usize,
    /// The tenant and workspace of the whole process, if it acts for one.
    pub(crate) scope: ProcessScope,
    /// `tools/list` shows a caller with scopes only the tools it may call.
    pub(crate) list_permitted_only: bool,
    /// The keys that seal `requestState` (2026-07-28).
    pub(crate) request_state: crate::input::RequestStateKeys,
    /// How long a question sent to a client (2025-11-25) waits for its answer.
    pub(crate) input_timeout: Duration,
    /// How long tasks live, how often clients poll them.
    pub(crate) task_limits: crate::task::TaskLimits,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            page_size: 100,
            call_timeout: Duration::from_secs(60),
            list_ttl_ms: 300_000,
            max_string_bytes: 256 * 1024,
            max_argument_values: 100_000,
            scope: ProcessScope::default(),
            list_permitted_only: true,
            // Random per process: fine for one replica (the builder warns).
            request_state: crate::input::RequestStateKeys::new(
                crate::input::RequestStateKey::random(),
            ),
            input_timeout: Duration::from_secs(60),
            task_limits: crate::task::TaskLimits::default(),
        }
    }
}

/// What a later round of a request brings back (2026-07-28, SEP-2322).
#[derive(Default, Clone, Copy)]
pub(crate) struct InputEcho<'a> {
    /// `inputResponses`, as sent.
    pub(crate) responses: Option<&'a RawValue>,
    /// `requestState`, as sent.
    pub(crate) state: Option<&'a RawValue>,
}

/// Everything a transport knows about a message besides its bytes.
#[derive(Default)]
pub(crate) struct Delivery {
    /// The key that authenticated the message, if any.
    pub(crate) key: Option<Arc<KeyIdentity>>,
    /// Where the call's notifications go; `None` when they cannot be sent.
    pub(crate) notifier: Option<NotificationSender>,
    /// Set when the client goes away (or the server gives up on the call).
    pub(crate) cancel: CancellationToken,
    /// The MCP request headers, for a transport that has headers.
    pub(crate) headers: Option<McpHeaders>,
    /// The connection or client the message came from, where the transport
    /// can tell (stdio, the in-process client); 0 over HTTP, where each
    /// request stands alone. Cancellation and `logging/setLevel` are scoped
    /// by it and by the key.
    pub(crate) scope: u64,
    /// The handshake-era session the message came in (its `Mcp-Session-Id`),
    /// once checked.
    pub(crate) session: Option<Arc<str>>,
    /// Whether the store vouched for `session` (not only the `allow` policy).
    pub(crate) session_verified: bool,
    /// Where the transport learns the session the message was checked in
    /// (set before any tool runs, so before any notification).
    pub(crate) entered: Option<Arc<std::sync::OnceLock<Arc<str>>>>,
}

impl Delivery {
    /// What the MCP spans of a trace record of a request.
    #[cfg(feature = "otel")]
    pub(crate) fn mcp_request<'a>(
        &'a self,
        id: &'a RawValue,
        meta: RequestMeta<'a>,
    ) -> crate::otel::McpRequest<'a> {
        crate::otel::McpRequest {
            id,
            meta: meta.0,
            header_version: self
                .headers
                .as_ref()
                .and_then(|h| h.protocol_version.as_deref()),
            http: self.headers.is_some(),
        }
    }
}

/// The metrics label of a method (`other` for unknown ones).
fn label(method: &str) -> &'static str {
    #[cfg(feature = "metrics")]
    return crate::telemetry::method_label(method);
    #[cfg(not(feature = "metrics"))]
    {
        let _ = method;
        ""
    }
}

/// Run CPU-heavy work of one request (parsing, validating a large message)
/// so that it does not hold up the other tasks of an async worker: on a
/// multi-threaded runtime the worker hands its tasks to another thread
/// meanwhile; elsewhere it runs in place.
pub(crate) fn off_the_workers<T>(work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

/// A new [`Delivery::scope`] for a connection or client.
pub(crate) fn new_scope() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The JSON-RPC dispatcher of one server: registry, state, precomputed lists.
pub(crate) struct Dispatcher {
    pub(crate) registry: Arc<Registry>,
    state: Arc<StateMap>,
    info: ServerInfo,
    config: DispatchConfig,
    gate: Option<Arc<dyn CallGate>>,
    concurrency: Option<Arc<ConcurrencyLimits>>,
    #[cfg(feature = "metrics")]
    pub(crate) metrics: Option<Arc<crate::telemetry::Metrics>>,
    /// Minimum levels for `notifications/message` in the handshake era, set
    /// by `logging/setLevel` for its caller.
    log_levels: LogLevels,
    tools: Pages,
    resources: Pages,
    resource_templates: Pages,
    prompts: Pages,
    /// The `capabilities` of `initialize` and `server/discover`.
    capabilities: serde_json::Value,
    /// Whether some prompt argument or template variable has a completer.
    completes: bool,
    /// `{"io.modelcontextprotocol/serverInfo": …}`, serialized once.
    server_meta_json: Vec<u8>,
    inflight: Inflight,
    /// Requests sent to clients, awaiting their answers (2025-11-25).
    pending: Arc<crate::input::stream::Pending>,
    /// The capabilities each caller declared at `initialize` (2025-11-25).
    client_capabilities: ClientCapabilities,
    /// `server/discover`'s capabilities: those of `initialize`, and the
    /// extensions of 2026-07-28 (tasks).
    discover_capabilities: serde_json::Value,
    /// The tasks of the tasks extension.
    tasks: tasks::Tasks,
    /// `tools/list` pages of callers who may call only some tools.
    filtered: scopes::FilteredPages,
    /// Handshake-era sessions, when on.
    pub(crate) sessions: Option<Arc<crate::session::Sessions>>,
    /// The `capabilities` of `initialize` with sessions on (resource subscriptions).
    session_capabilities: serde_json::Value,
    /// The `subscriptions/listen` streams (2026-07-28).
    pub(crate) listeners: Arc<crate::session::listeners::Listeners>,
}

impl Dispatcher {
    pub(crate) fn new(
        registry: Arc<Registry>,
        state: Arc<StateMap>,
        info: ServerInfo,
        config: DispatchConfig,
        gate: Option<Arc<dyn CallGate>>,
        concurrency: Option<ConcurrencyLimits>,
        sessions: Option<Arc<crate::session::Sessions>>,
    ) -> Dispatcher {
        let server_meta = info.result_meta();
        let definitions: Vec<_> = registry
            .tools()
            .iter()
            .map(|t| t.definition().clone())
            .collect();
        let extras = StatelessExtras {
            ttl_ms: config.list_ttl_ms,
            server_meta: &server_meta,
        };
        let tools = Pages::new("tools", &definitions, config.page_size, &extras);
        let listed = |infos: &[crate::resource::ResourceInfo]| -> Vec<_> {
            infos.iter().map(|r| r.definition().clone()).collect()
        };
        let served = registry.resources();
        let resources = Pages::new(
            "resources",
            &listed(served.resources()),
            config.page_size,
            &extras,
        );
        let resource_templates = Pages::new(
            "resourceTemplates",
            &listed(served.templates()),
            config.page_size,
            &extras,
        );
        let prompt_definitions: Vec<_> = registry
            .prompts()
            .prompts()
            .iter()
            .map(|p| p.definition().clone())
            .collect();
        let prompts = Pages::new("prompts", &prompt_definitions, config.page_size, &extras);
        let capabilities = lifecycle::capabilities(
            !served.is_empty(),
            !registry.prompts().is_empty(),
            completion::any_completer(&registry),
        );
        let mut session_capabilities = capabilities.clone();
        if !served.is_empty() {
            session_capabilities["resources"]["subscribe"] = serde_json::Value::Bool(true);
        }
        let mut discover_capabilities = capabilities.clone();
        if registry
            .tools()
            .iter()
            .any(|t| t.desc.task != crate::task::TaskSupport::None)
        {
            discover_capabilities["extensions"] = serde_json::json!({ crate::task::EXTENSION: {} });
        }
        let tasks = tasks::Tasks::new(
            Arc::new(crate::task::MemoryTaskStore::default()),
            config.task_limits,
            server_meta.clone(),
        );
        Dispatcher {
            registry,
            state,
            info,
            config,
            gate,
            concurrency: concurrency.map(Arc::new),
            #[cfg(feature = "metrics")]
            metrics: None,
            log_levels: LogLevels::default(),
            tools,
            resources,
            resource_templates,
            prompts,
            completes: capabilities.get("completions").is_some(),
            capabilities,
            server_meta_json: to_bytes(&server_meta),
            inflight: Inflight::default(),
            pending: Arc::default(),
            client_capabilities: ClientCapabilities::default(),
            discover_capabilities,
            tasks,
            filtered: scopes::FilteredPages::default(),
            sessions,
            session_capabilities,
            listeners: Arc::default(),
        }
    }

    /// Announces resource changes to this server's sessions.
    pub(crate) fn notifier(&self) -> crate::session::Notifier {
        crate::session::Notifier::new(self.sessions.clone(), Some(self.listeners.clone()))
    }

    /// Keep tasks in `store` (shared by replicas) instead of this process's memory.
    pub(crate) fn set_task_store(&mut self, store: Arc<dyn crate::task::TaskStore>) {
        self.tasks = tasks::Tasks::new(store, self.config.task_limits, self.info.result_meta());
    }

    pub(crate) fn info(&self) -> &ServerInfo {
        &self.info
    }

    /// The tenant and workspace every call acts for, if the process has one.
    pub(crate) fn scope(&self) -> &ProcessScope {
        &self.config.scope
    }

    /// The same server acting for `scope`: a new dispatcher (fresh log level
    /// and calls in flight), for a scope known only after the build.
    pub(crate) fn rescoped(&self, scope: ProcessScope) -> Dispatcher {
        let mut d = Dispatcher::new(
            self.registry.clone(),
            self.state.clone(),
            self.info.clone(),
            DispatchConfig {
                scope,
                ..self.config.clone()
            },
            self.gate.clone(),
            None,
            self.sessions.clone(),
        );
        // The same limits and metrics: one server, now acting for a scope.
        d.concurrency = self.concurrency.clone();
        d.tasks = self.tasks.shared();
        d.listeners = self.listeners.clone();
        #[cfg(feature = "metrics")]
        {
            d.metrics = self.metrics.clone();
        }
        d
    }

    /// Handle one JSON-RPC message.
    pub(crate) async fn handle(&self, body: &[u8], delivery: Delivery) -> Reply {
        #[cfg(feature = "metrics")]
        if let Some(m) = &self.metrics {
            let (reply, method) = self.handle_labelled(body, delivery).await;
            let status = match &reply {
                Reply::Response { status, .. } => *status,
                Reply::Accepted => 202,
            };
            m.request(method, status);
            return reply;
        }
        self.handle_labelled(body, delivery).await.0
    }

    /// [`handle`](Self::handle), with the method's metrics label.
    async fn handle_labelled(&self, body: &[u8], mut delivery: Delivery) -> (Reply, &'static str) {
        let max_values = self.config.max_argument_values;
        let parsed = if body.len() > incoming::LARGE_MESSAGE_BYTES {
            off_the_workers(|| Incoming::parse(body, max_values))
        } else {
            Incoming::parse(body, max_values)
        };
        let request = match parsed {
            Ok(Incoming::Request(r)) => r,
            Ok(Incoming::Notification { method, params }) => {
                if let Some(e) = header_version_error(delivery.headers.as_ref()) {
                    return (Reply::error(None, e), "notification");
                }
                if let Err(e) = self
                    .enter_session(message_era(&delivery), &method, &mut delivery)
                    .await
                {
                    return (Reply::error(None, e), "notification");
                }
                self.notification(&method, params, &delivery);
                return (Reply::Accepted, label(&method));
            }
            // A response from the client, to a question of a call (2025-11-25),
            // within the session it names when sessions are on.
            Ok(Incoming::Response { id, answer }) => {
                if let Some(e) = header_version_error(delivery.headers.as_ref()) {
                    return (Reply::error(None, e), "response");
                }
                if let Err(e) = self
                    .enter_session(message_era(&delivery), "", &mut delivery)
                    .await
                {
                    return (Reply::error(None, e), "response");
                }
                self.response(id, answer, &delivery);
                return (Reply::Accepted, "response");
            }
            Err(refused) => return (Reply::error(refused.id, refused.error), "invalid"),
        };
        let id = request.id;
        let method = label(&request.method);
        let mut issued = None;
        // Traced, one span per request; a `tools/call`'s is the call's own (`call.rs`).
        #[cfg(feature = "otel")]
        let outcome = match (request.method != "tools/call")
            .then(|| {
                let meta = RequestMeta(request.meta.as_ref());
                crate::otel::request_span(&request.method, &delivery.mcp_request(id, meta))
            })
            .flatten()
        {
            Some(span) => {
                use tracing::Instrument;
                let outcome = self
                    .request(request, delivery, &mut issued)
                    .instrument(span.clone())
                    .await;
                crate::otel::request_finished(&span, outcome.as_ref().err().map(|e| e.code));
                outcome
            }
            None => self.request(request, delivery, &mut issued).await,
        };
        #[cfg(not(feature = "otel"))]
        let outcome = self.request(request, delivery, &mut issued).await;
        let mut reply = match outcome {
            Ok(result) => Reply::result(id, &result),
            Err(e) => Reply::error(Some(id), e),
        };
        if let (Reply::Response { session, .. }, Some(new)) = (&mut reply, issued) {
            *session = Some(new.into_boxed_str());
        }
        (reply, method)
    }

    fn notification(&self, method: &str, params: Option<&RawValue>, delivery: &Delivery) {
        if method == "notifications/cancelled" {
            #[derive(Deserialize)]
            struct Cancelled<'a> {
                #[serde(rename = "requestId", borrow)]
                request_id: &'a RawValue,
            }
            if let Some(c) =
                params.and_then(|p| serde_json::from_str::<Cancelled<'_>>(p.get()).ok())
            {
                self.inflight
                    .cancel(delivery.scope, delivery.key.as_deref(), c.request_id);
            }
        }
        // `notifications/initialized`, progress and anything else: nothing to do.
    }

    /// Deliver a client's response to the call that asked; one nothing of
    /// this caller waits for (answered, withdrawn, someone else's) is dropped.
    fn response(
        &self,
        id: Option<&RawValue>,
        answer: Result<serde_json::Value, serde_json::Value>,
        delivery: &Delivery,
    ) {
        let Some(id) = id.and_then(|id| serde_json::from_str::<String>(id.get()).ok()) else {
            return;
        };
        if !self.pending.resolve(&caller(delivery), &id, answer) {
            tracing::debug!(
                id,
                "a response no call of this caller waits for was dropped"
            );
        }
    }

    /// One request: `issued` is set to the session an `initialize` opened.
    async fn request(
        &self,
        request: Request<'_>,
        mut delivery: Delivery,
        issued: &mut Option<String>,
    ) -> Result<Cow<'_, [u8]>, RpcError> {
        let meta = RequestMeta(request.meta.as_ref());
        let era = negotiate(&request.method, meta, delivery.headers.as_ref())?;
        self.enter_session(era, &request.method, &mut delivery)
            .await?;
        match (era, &*request.method) {
            (Era::Handshake, "initialize") => {
                let capabilities = match self.sessions_for(era, &delivery) {
                    Some(_) => &self.session_capabilities,
                    None => &self.capabilities,
                };
                let result = lifecycle::initialize(&self.info, capabilities, request.params)?;
                *issued = self.open_session(era, &delivery).await?;
                // The client's capabilities belong to the session it is
                // given, or to its key when sessions are off.
                let mut asking = caller(&delivery);
                if let Some(id) = issued.as_deref() {
                    asking.session = id.to_owned();
                }
                self.client_capabilities.remember(&asking, request.params);
                Ok(Cow::Owned(result))
            }
            (Era::Handshake, "resources/subscribe" | "resources/unsubscribe")
                if self.sessions_for(era, &delivery).is_some()
                    && !self.registry.resources().is_empty() =>
            {
                let on = request.method == "resources/subscribe";
                self.subscribe(request.params, on, &delivery).await?;
                Ok(Cow::Borrowed(b"{}"))
            }
            (Era::Handshake, "ping") => Ok(Cow::Borrowed(b"{}")),
            (Era::Handshake, "logging/setLevel") => {
                let level = lifecycle::requested_level(request.params)?;
                self.log_levels
                    .set(delivery.scope, delivery.key.as_deref(), level);
                Ok(Cow::Borrowed(b"{}"))
            }
            (Era::Stateless, "server/discover") => Ok(Cow::Owned(lifecycle::discover(
                &self.info,
                &self.discover_capabilities,
                self.config.list_ttl_ms,
            ))),
            // The precomputed page, borrowed: copied once, into the response.
            (_, "tools/list") => self.list_tools(request.params, era, delivery.key.as_deref()),
            (_, "tools/call") => {
                // Both parses read a `tools/call` with its call.
                let Some(call) = request.call else {
                    return Err(RpcError::invalid_params("tools/call needs params"));
                };
                self.call(request.id, call, meta, era, delivery, request.large)
                    .await
                    .map(Cow::Owned)
            }
            (Era::Stateless, "subscriptions/listen") => self
                .listen(request.id, request.params, meta, delivery)
                .await
                .map(Cow::Owned),
            (Era::Stateless, "tasks/get" | "tasks/update" | "tasks/cancel") => self
                .task_method(&request.method, request.params, meta, era, &delivery)
                .await
                .map(Cow::Owned),
            // After `tools/call`, so that the call's route is as it was.
            (_, "resources/list") if !self.registry.resources().is_empty() => {
                let served = self.registry.resources().resources();
                let entries = || {
                    served
                        .iter()
                        .map(|r| (r.scopes(), r.definition()))
                        .collect()
                };
                let list = ("resources", &self.resources, entries);
                self.list_permitted(list, request.params, era, delivery.key.as_deref())
            }
            (_, "resources/templates/list") if !self.registry.resources().is_empty() => {
                let served = self.registry.resources().templates();
                let entries = || {
                    served
                        .iter()
                        .map(|r| (r.scopes(), r.definition()))
                        .collect()
                };
                let list = ("resourceTemplates", &self.resource_templates, entries);
                self.list_permitted(list, request.params, era, delivery.key.as_deref())
            }
            (_, "resources/read") if !self.registry.resources().is_empty() => self
                .read_resource(request.id, request.params, meta, era, delivery)
                .await
                .map(Cow::Owned),
            (_, "prompts/list") if !self.registry.prompts().is_empty() => {
                let served = self.registry.prompts().prompts();
                let entries = || {
                    served
                        .iter()
                        .map(|p| (p.scopes(), p.definition()))
                        .collect()
                };
                let list = ("prompts", &self.prompts, entries);
                self.list_permitted(list, request.params, era, delivery.key.as_deref())
            }
            (_, "prompts/get") if !self.registry.prompts().is_empty() => self
                .get_prompt(request.id, request.params, meta, era, delivery)
                .await
                .map(Cow::Owned),
            (_, "completion/complete") if self.completes => self
                .complete(request.id, request.params, meta, era, delivery)
                .await
                .map(Cow::Owned),
            (era, method) => {
                let err = RpcError::new(
                    codes::METHOD_NOT_FOUND,
                    format!("method not found: {}", truncate(method, 80)),
                );
                // The stateless revision answers removed and unknown methods with 404.
                Err(match era {
                    Era::Stateless => err.with_status(404),
                    Era::Handshake => err,
                })
            }
        }
    }
}

/// The era of a notification or response: no `_meta` to go by, so the
/// header's version (none, or a handshake one, is the handshake era).
fn message_era(delivery: &Delivery) -> Era {
    let version = delivery
        .headers
        .as_ref()
        .and_then(|h| h.protocol_version.as_deref())
        .and_then(era::Version::parse);
    match version.map(era::Version::era) {
        Some(Era::Stateless) => Era::Stateless,
        _ => Era::Handshake,
    }
}
