//! The JSON-RPC dispatcher: one message in, one [`Reply`] out, for both
//! protocol eras. Transports (HTTP, stdio, the in-process client) hand it the
//! bytes of a message and a [`Delivery`] (who sent it, where notifications
//! go, its cancellation, and any MCP request headers).
//!
//! One route: [`Incoming::parse`] makes one value of every message,
//! [`negotiate`] decides its era, and [`Dispatcher::request`] picks the
//! method's room: `lifecycle` (initialize, discover, ping, logging), `list`
//! (pages), `call` (tools/call). A new method family is a new module here
//! plus one arm in `request`.

mod arguments;
mod call;
pub(crate) mod era;
pub(crate) mod headers;
mod incoming;
mod lifecycle;
mod list;

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;

use self::call::Inflight;
use self::era::{Era, RequestMeta, header_version_error, negotiate};
use self::headers::McpHeaders;
use self::incoming::{Incoming, Request};
pub use self::lifecycle::ServerInfo;
use self::list::{Pages, StatelessExtras};
use crate::auth::{KeyIdentity, ProcessScope};
use crate::context::{CancellationToken, LogLevel, StateMap};
use crate::jsonrpc::{Reply, RpcError, codes, to_bytes, truncate};
use crate::limits::CallGate;
use crate::notify::NotificationSender;
use crate::registry::Registry;

/// Knobs of the dispatcher.
#[derive(Debug, Clone)]
pub(crate) struct DispatchConfig {
    pub(crate) page_size: usize,
    pub(crate) call_timeout: Duration,
    pub(crate) list_ttl_ms: u64,
    pub(crate) max_string_bytes: usize,
    /// The tenant and workspace of the whole process, if it acts for one.
    pub(crate) scope: ProcessScope,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            page_size: 100,
            call_timeout: Duration::from_secs(60),
            list_ttl_ms: 300_000,
            max_string_bytes: 256 * 1024,
            scope: ProcessScope::default(),
        }
    }
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
}

/// The JSON-RPC dispatcher of one server: registry, state, precomputed lists.
pub(crate) struct Dispatcher {
    pub(crate) registry: Arc<Registry>,
    state: Arc<StateMap>,
    info: ServerInfo,
    config: DispatchConfig,
    gate: Option<Arc<dyn CallGate>>,
    /// Minimum level for `notifications/message` in the handshake era
    /// (set by `logging/setLevel`); 0xff = not set.
    log_level: AtomicU8,
    tools: Pages,
    /// `{"io.modelcontextprotocol/serverInfo": …}`, serialized once.
    server_meta_json: Vec<u8>,
    inflight: Inflight,
}

impl Dispatcher {
    pub(crate) fn new(
        registry: Arc<Registry>,
        state: Arc<StateMap>,
        info: ServerInfo,
        config: DispatchConfig,
        gate: Option<Arc<dyn CallGate>>,
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
        Dispatcher {
            registry,
            state,
            info,
            config,
            gate,
            log_level: AtomicU8::new(0xff),
            tools,
            server_meta_json: to_bytes(&server_meta),
            inflight: Inflight::default(),
        }
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
        Dispatcher::new(
            self.registry.clone(),
            self.state.clone(),
            self.info.clone(),
            DispatchConfig {
                scope,
                ..self.config.clone()
            },
            self.gate.clone(),
        )
    }

    /// Handle one JSON-RPC message.
    pub(crate) async fn handle(&self, body: &[u8], delivery: Delivery) -> Reply {
        let request = match Incoming::parse(body) {
            Ok(Incoming::Request(r)) => r,
            Ok(Incoming::Notification { method, params }) => {
                if let Some(e) = header_version_error(delivery.headers.as_ref()) {
                    return Reply::error(None, e);
                }
                self.notification(&method, params, &delivery);
                return Reply::Accepted;
            }
            // A response from the client: this server sends no requests, so nothing awaits it.
            Ok(Incoming::Response) => {
                return match header_version_error(delivery.headers.as_ref()) {
                    Some(e) => Reply::error(None, e),
                    None => Reply::Accepted,
                };
            }
            Err(refused) => return Reply::error(refused.id, refused.error),
        };
        let id = request.id;
        match self.request(request, delivery).await {
            Ok(result) => Reply::result(id, &result),
            Err(e) => Reply::error(Some(id), e),
        }
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
                self.inflight.cancel(delivery.key.as_deref(), c.request_id);
            }
        }
        // `notifications/initialized`, progress and anything else: nothing to do.
    }

    async fn request(
        &self,
        request: Request<'_>,
        delivery: Delivery,
    ) -> Result<Cow<'_, [u8]>, RpcError> {
        let meta = RequestMeta(request.meta.as_ref());
        let era = negotiate(&request.method, meta, delivery.headers.as_ref())?;
        match (era, &*request.method) {
            (Era::Handshake, "initialize") => {
                lifecycle::initialize(&self.info, request.params).map(Cow::Owned)
            }
            (Era::Handshake, "ping") => Ok(Cow::Borrowed(b"{}")),
            (Era::Handshake, "logging/setLevel") => {
                let level = lifecycle::requested_level(request.params)?;
                self.log_level.store(level as u8, Ordering::Relaxed);
                Ok(Cow::Borrowed(b"{}"))
            }
            (Era::Stateless, "server/discover") => Ok(Cow::Owned(lifecycle::discover(
                &self.info,
                self.config.list_ttl_ms,
            ))),
            // The precomputed page, borrowed: copied once, into the response.
            (_, "tools/list") => self.tools.page(request.params, era).map(Cow::Borrowed),
            (_, "tools/call") => {
                // Both parses read a `tools/call` with its call.
                let Some(call) = request.call else {
                    return Err(RpcError::invalid_params("tools/call needs params"));
                };
                self.call(request.id, call, meta, era, delivery)
                    .await
                    .map(Cow::Owned)
            }
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

    /// The level `logging/setLevel` set; every level until one is set.
    fn handshake_log_level(&self) -> Option<LogLevel> {
        match self.log_level.load(Ordering::Relaxed) {
            0xff => Some(LogLevel::Debug),
            n => LogLevel::ALL.get(usize::from(n)).copied(),
        }
    }
}
