//! JSON-RPC 2.0 and the MCP methods of a tools server, for both protocol eras:
//! the handshake era (`initialize`, 2024-11-05 … 2025-11-25) and the stateless
//! era (2026-07-28: per-request `_meta`, `server/discover`, `resultType`).
//!
//! Transport-agnostic: HTTP, stdio and the in-process test client all call
//! [`Dispatcher::handle`] with the bytes of one message.

use std::borrow::Cow;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use tracing::Instrument;

use crate::context::{
    CancellationToken, KeyIdentity, LogLevel, NotificationSender, StateMap, ToolContext,
};
use crate::error::McpError;
use crate::output::{Content, ToolOutput};
use crate::registry::{INJECTED, Registry, ToolInfo};

/// Protocol revisions of the handshake era, newest first.
pub const LEGACY_VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];
/// Protocol revisions of the stateless era.
pub const STATELESS_VERSIONS: [&str; 1] = ["2026-07-28"];
/// Every revision this server speaks, newest first.
pub const SUPPORTED_VERSIONS: [&str; 5] = [
    "2026-07-28",
    "2025-11-25",
    "2025-06-18",
    "2025-03-26",
    "2024-11-05",
];

pub(crate) const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub(crate) const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub(crate) const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
pub(crate) const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

/// JSON-RPC and MCP error codes.
pub mod codes {
    /// Invalid JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// Not a valid request object.
    pub const INVALID_REQUEST: i64 = -32600;
    /// Unknown method.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// Invalid method parameters (also: unknown tool, bad cursor).
    pub const INVALID_PARAMS: i64 = -32602;
    /// Internal JSON-RPC error.
    pub const INTERNAL_ERROR: i64 = -32603;
    /// HTTP headers disagree with the body (2026-07-28).
    pub const HEADER_MISMATCH: i64 = -32020;
    /// A client capability the request needs was not declared (2026-07-28).
    pub const MISSING_CAPABILITY: i64 = -32021;
    /// Unsupported protocol version (2026-07-28).
    pub const UNSUPPORTED_VERSION: i64 = -32022;
    /// Authentication required (our server-level code for HTTP 401 bodies).
    pub const UNAUTHORIZED: i64 = -32001;
    /// Request cancelled.
    pub const REQUEST_CANCELLED: i64 = -32800;
}

/// Who the server is: shown to clients in `serverInfo`.
#[derive(Debug, Clone)]
pub struct ServerInfo {
    /// The server's name (the user's, not the framework's).
    pub name: String,
    /// The server's version.
    pub version: String,
    /// Human display name.
    pub title: Option<String>,
    /// Guidance for the model on how to use the tools.
    pub instructions: Option<String>,
}

impl ServerInfo {
    fn implementation(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        m.insert("version".into(), json!(self.version));
        if let Some(t) = &self.title {
            m.insert("title".into(), json!(t));
        }
        Value::Object(m)
    }
}

/// Knobs of the dispatcher.
#[derive(Debug, Clone)]
pub(crate) struct DispatchConfig {
    pub(crate) page_size: usize,
    pub(crate) call_timeout: Duration,
    pub(crate) list_ttl_ms: u64,
    pub(crate) max_string_bytes: usize,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            page_size: 100,
            call_timeout: Duration::from_secs(60),
            list_ttl_ms: 300_000,
            max_string_bytes: 256 * 1024,
        }
    }
}

/// Checks run before a tool is called: tenant binding, rate limits.
pub(crate) trait CallGuard: Send + Sync {
    fn check(&self, key: Option<&KeyIdentity>, tenant: Option<&str>) -> Result<(), McpError>;
}

/// The transport a message came over, with what it knows beyond the body.
#[derive(Debug, Clone, Default)]
pub(crate) enum Transport {
    /// Streamable HTTP, with the MCP headers of the request.
    Http {
        protocol_version: Option<String>,
        mcp_method: Option<String>,
        mcp_name: Option<String>,
        /// `Mcp-Param-<Name>` headers: (lowercased name, trimmed value).
        params: Vec<(String, String)>,
    },
    /// stdio.
    Stdio,
    /// The in-process test client.
    #[default]
    InProcess,
}

/// Everything about a message besides its bytes.
#[derive(Clone, Default)]
pub(crate) struct Env {
    pub(crate) key: Option<Arc<KeyIdentity>>,
    pub(crate) notifier: Option<NotificationSender>,
    pub(crate) cancel: CancellationToken,
    pub(crate) transport: Transport,
}

/// What the transport should send back.
#[derive(Debug)]
pub(crate) enum Reply {
    /// A JSON-RPC response, and the HTTP status it calls for.
    Response { status: u16, body: Vec<u8> },
    /// A notification (or a response from the client) was taken; nothing to answer.
    Accepted,
}

impl Reply {
    pub(crate) fn body(&self) -> Option<&[u8]> {
        match self {
            Reply::Response { body, .. } => Some(body),
            Reply::Accepted => None,
        }
    }
}

/// A JSON-RPC error on its way out.
#[derive(Debug)]
pub(crate) struct RpcError {
    pub(crate) code: i64,
    pub(crate) message: String,
    pub(crate) data: Option<Value>,
    pub(crate) status: u16,
}

impl RpcError {
    pub(crate) fn new(code: i64, message: impl Into<String>) -> Self {
        let status = match code {
            codes::PARSE_ERROR | codes::INVALID_REQUEST => 400,
            codes::HEADER_MISMATCH | codes::UNSUPPORTED_VERSION | codes::MISSING_CAPABILITY => 400,
            codes::INTERNAL_ERROR => 500,
            _ => 200,
        };
        RpcError {
            code,
            message: message.into(),
            data: None,
            status,
        }
    }

    pub(crate) fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub(crate) fn invalid_params(message: impl Into<String>) -> Self {
        RpcError::new(codes::INVALID_PARAMS, message)
    }

    fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("code".into(), json!(self.code));
        m.insert("message".into(), json!(self.message));
        if let Some(d) = &self.data {
            m.insert("data".into(), d.clone());
        }
        Value::Object(m)
    }
}

/// Writes a JSON-RPC error response for `id` (raw JSON; `null` when unknown).
pub(crate) fn error_body(id: Option<&RawValue>, err: &RpcError) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + err.message.len());
    out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    out.extend_from_slice(id.map_or("null", RawValue::get).as_bytes());
    out.extend_from_slice(br#","error":"#);
    serde_json::to_writer(&mut out, &err.to_value()).expect("serializing a Value cannot fail");
    out.push(b'}');
    out
}

fn result_body(id: &RawValue, result: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(40 + id.get().len() + result.len());
    out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    out.extend_from_slice(id.get().as_bytes());
    out.extend_from_slice(br#","result":"#);
    out.extend_from_slice(result);
    out.push(b'}');
    out
}

/// An `id` that remembers whether it was present at all (`null` is present).
#[derive(Default)]
struct MaybeId<'a>(Option<&'a RawValue>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeId<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&RawValue>::deserialize(d).map(|r| MaybeId(Some(r)))
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    jsonrpc: Option<&'a RawValue>,
    #[serde(borrow, default)]
    id: MaybeId<'a>,
    /// `null` is kept (as `Some("null")`): a null method is not a missing one.
    #[serde(borrow, default)]
    method: MaybeId<'a>,
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct CallParams<'a> {
    name: String,
    /// Kept raw: parsed by [`parse_arguments`], which refuses duplicate keys
    /// and reports bad values as a `validation_error` naming the argument.
    #[serde(borrow, default)]
    arguments: Option<&'a RawValue>,
    #[serde(default, rename = "_meta")]
    meta: Option<Value>,
}

/// The `arguments` of a `tools/call`: raw, to be parsed once the tool is
/// found; or already parsed by [`FastCall`].
enum CallArgs<'a> {
    Raw(&'a RawValue),
    Parsed(Map<String, Value>),
}

/// A `tools/call` request read in one pass: the common case, parsed without
/// scanning the body three times (envelope, params, arguments). Anything
/// unusual fails this parse, and the message then takes the general path,
/// which gives every answer (and error) its exact form: an escaped string, a
/// field the envelope does not need, a duplicate key, `arguments` that are not
/// an object or do not parse strictly, an id that is not a string or integer.
/// What a successful parse yields is what the general path would have found.
struct FastCall<'a> {
    id: &'a RawValue,
    name: &'a str,
    arguments: Option<Map<String, Value>>,
    meta: Option<Value>,
}

impl<'a> FastCall<'a> {
    fn parse(body: &'a [u8]) -> Option<FastCall<'a>> {
        let text = std::str::from_utf8(body).ok()?;
        let call: FastCall<'a> = serde_json::from_str(text).ok()?;
        valid_id(Some(call.id))?;
        Some(call)
    }
}

/// Fails the fast parse; the general path takes the message instead.
fn not_fast<E: serde::de::Error>() -> E {
    E::custom("not the common tools/call shape")
}

impl<'de> Deserialize<'de> for FastCall<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = FastCall<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a tools/call request")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Self::Value, A::Error> {
                let (mut version, mut method) = (false, false);
                let mut id = None;
                let mut params: Option<FastParams<'de>> = None;
                while let Some(key) = m.next_key::<&'de str>()? {
                    match key {
                        "jsonrpc" if !version => {
                            version = m.next_value::<&'de str>()? == "2.0";
                            if !version {
                                return Err(not_fast());
                            }
                        }
                        "method" if !method => {
                            method = m.next_value::<&'de str>()? == "tools/call";
                            if !method {
                                return Err(not_fast());
                            }
                        }
                        "id" if id.is_none() => id = Some(m.next_value::<&'de RawValue>()?),
                        "params" if params.is_none() => params = Some(m.next_value()?),
                        _ => return Err(not_fast()),
                    }
                }
                match (version, method, id, params) {
                    (true, true, Some(id), Some(p)) => Ok(FastCall {
                        id,
                        name: p.name.ok_or_else(not_fast)?,
                        arguments: p.arguments,
                        meta: p.meta,
                    }),
                    _ => Err(not_fast()),
                }
            }
        }
        d.deserialize_map(V)
    }
}

/// The `params` of a [`FastCall`]: an object (unknown keys ignored, as
/// [`CallParams`] does) whose `arguments`, if any, parse strictly to an object.
struct FastParams<'a> {
    name: Option<&'a str>,
    arguments: Option<Map<String, Value>>,
    meta: Option<Value>,
}

impl<'de> Deserialize<'de> for FastParams<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = FastParams<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("tools/call params")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Self::Value, A::Error> {
                let mut p = FastParams {
                    name: None,
                    arguments: None,
                    meta: None,
                };
                let mut meta_seen = false;
                while let Some(key) = m.next_key::<&'de str>()? {
                    match key {
                        "name" if p.name.is_none() => p.name = Some(m.next_value()?),
                        "arguments" if p.arguments.is_none() => {
                            let ctx = StrictContext::default();
                            match m.next_value_seed(StrictValue(&ctx))? {
                                Value::Object(args) => p.arguments = Some(args),
                                _ => return Err(not_fast()),
                            }
                        }
                        "_meta" if !meta_seen => {
                            meta_seen = true;
                            p.meta = m.next_value()?;
                        }
                        "name" | "arguments" | "_meta" => return Err(not_fast()),
                        _ => {
                            m.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(p)
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize, Default)]
struct MetaOnly {
    #[serde(default, rename = "_meta")]
    meta: Option<Value>,
}

/// How the request is to be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Era {
    /// Handshake era, at the given version.
    Legacy,
    /// 2026-07-28: results carry `resultType`, lists carry cache hints.
    Stateless,
}

/// Per-request view of `_meta`.
struct RequestMeta<'m> {
    meta: Option<&'m Value>,
}

impl RequestMeta<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.meta.and_then(|m| m.get(key))
    }
}

/// The JSON-RPC dispatcher of one server: registry, state, precomputed lists.
pub(crate) struct Dispatcher {
    pub(crate) registry: Arc<Registry>,
    state: Arc<StateMap>,
    info: ServerInfo,
    config: DispatchConfig,
    guard: Option<Arc<dyn CallGuard>>,
    /// Minimum level for `notifications/message` in the handshake era
    /// (set by `logging/setLevel`); 0xff = not set.
    legacy_log_level: AtomicU8,
    pages_legacy: Vec<Vec<u8>>,
    pages_stateless: Vec<Vec<u8>>,
    /// `{"io.modelcontextprotocol/serverInfo": …}`, serialized once.
    server_meta_json: Vec<u8>,
    inflight: Mutex<HashMap<String, CancellationToken>>,
}

impl Dispatcher {
    pub(crate) fn new(
        registry: Arc<Registry>,
        state: Arc<StateMap>,
        info: ServerInfo,
        config: DispatchConfig,
        guard: Option<Arc<dyn CallGuard>>,
    ) -> Dispatcher {
        let page_size = config.page_size.max(1);
        let chunks: Vec<&[ToolInfo]> = if registry.is_empty() {
            vec![&[]]
        } else {
            registry.tools().chunks(page_size).collect()
        };
        let server_meta = json!({ META_SERVER_INFO: info.implementation() });
        let mut pages_legacy = Vec::with_capacity(chunks.len());
        let mut pages_stateless = Vec::with_capacity(chunks.len());
        for (i, chunk) in chunks.iter().enumerate() {
            let mut m = Map::new();
            m.insert(
                "tools".into(),
                Value::Array(chunk.iter().map(|t| t.definition().clone()).collect()),
            );
            if (i + 1) * page_size < registry.len() {
                m.insert(
                    "nextCursor".into(),
                    json!(encode_cursor((i + 1) * page_size)),
                );
            }
            pages_legacy.push(serde_json::to_vec(&m).expect("serializing a Value cannot fail"));
            m.insert("resultType".into(), json!("complete"));
            m.insert("ttlMs".into(), json!(config.list_ttl_ms));
            m.insert("cacheScope".into(), json!("public"));
            m.insert("_meta".into(), server_meta.clone());
            pages_stateless.push(serde_json::to_vec(&m).expect("serializing a Value cannot fail"));
        }
        Dispatcher {
            registry,
            state,
            info,
            config,
            guard,
            legacy_log_level: AtomicU8::new(0xff),
            pages_legacy,
            pages_stateless,
            server_meta_json: serde_json::to_vec(&server_meta)
                .expect("serializing a Value cannot fail"),
            inflight: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn info(&self) -> &ServerInfo {
        &self.info
    }

    /// Handle one JSON-RPC message.
    pub(crate) async fn handle(&self, body: &[u8], env: Env) -> Reply {
        // Checked before the envelope: a short array would parse as one (serde's
        // sequence form of a struct), a long one as a syntax error.
        if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            return Reply::from_error(None, batch_error(body));
        }
        if let Some(call) = FastCall::parse(body) {
            // What `request` does for a `tools/call`, with the parsing done.
            let meta = RequestMeta {
                meta: call.meta.as_ref(),
            };
            let result = match self.era("tools/call", &meta, &env) {
                Ok(era) => {
                    let args = call.arguments.map(CallArgs::Parsed);
                    self.call(call.id, call.name, args, &meta, era, env).await
                }
                Err(e) => Err(e),
            };
            return match result {
                Ok(result) => Reply::Response {
                    status: 200,
                    body: result_body(call.id, &result),
                },
                Err(e) => Reply::from_error(Some(call.id), e),
            };
        }
        let env_msg = match serde_json::from_slice::<Envelope<'_>>(body) {
            Ok(e) => e,
            Err(e) => return Reply::from_error(None, envelope_error(&e, body)),
        };
        let id = env_msg.id.0;
        if !env_msg.jsonrpc.is_some_and(is_version_2) {
            return Reply::from_error(
                valid_id(id),
                RpcError::new(
                    codes::INVALID_REQUEST,
                    "invalid request: `jsonrpc` must be \"2.0\"",
                ),
            );
        }
        let Some(method_raw) = env_msg.method.0 else {
            if env_msg.result.is_some() || env_msg.error.is_some() {
                // A response from the client: this server sends no requests, so nothing awaits it.
                return match header_version_error(&env) {
                    Some(e) => Reply::from_error(None, e),
                    None => Reply::Accepted,
                };
            }
            return Reply::from_error(
                valid_id(id),
                RpcError::new(
                    codes::INVALID_REQUEST,
                    "invalid request: `method` is missing",
                ),
            );
        };
        let method = match serde_json::from_str::<std::borrow::Cow<'_, str>>(method_raw.get()) {
            Ok(m) => m,
            Err(e) => {
                // A string that does not decode (a lone surrogate escape) is not "not a string".
                let message = if method_raw.get().starts_with('"') {
                    format!(
                        "invalid request: `method` is not a valid string: {}",
                        strip_location(&e)
                    )
                } else {
                    "invalid request: `method` must be a string".to_owned()
                };
                return Reply::from_error(
                    valid_id(id),
                    RpcError::new(codes::INVALID_REQUEST, message),
                );
            }
        };
        if let Some(p) = env_msg.params
            && p.get().as_bytes().first() != Some(&b'{')
        {
            return Reply::from_error(
                valid_id(id),
                RpcError::new(
                    codes::INVALID_REQUEST,
                    "invalid request: `params` must be an object",
                ),
            );
        }
        let Some(id) = id else {
            if let Some(e) = header_version_error(&env) {
                return Reply::from_error(None, e);
            }
            self.notification(&method, env_msg.params, &env);
            return Reply::Accepted;
        };
        if valid_id(Some(id)).is_none() {
            return Reply::from_error(
                None,
                RpcError::new(
                    codes::INVALID_REQUEST,
                    "invalid request: `id` must be a string or an integer",
                ),
            );
        }
        match self.request(id, &method, env_msg.params, env).await {
            Ok(result) => Reply::Response {
                status: 200,
                body: result_body(id, &result),
            },
            Err(e) => Reply::from_error(Some(id), e),
        }
    }

    fn notification(&self, method: &str, params: Option<&RawValue>, env: &Env) {
        if method == "notifications/cancelled" {
            #[derive(Deserialize)]
            struct Cancelled<'a> {
                #[serde(rename = "requestId", borrow)]
                request_id: &'a RawValue,
            }
            if let Some(c) =
                params.and_then(|p| serde_json::from_str::<Cancelled<'_>>(p.get()).ok())
            {
                let key = inflight_key(env.key.as_deref(), c.request_id);
                let token = self
                    .inflight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&key)
                    .cloned();
                if let Some(t) = token {
                    tracing::debug!(
                        request_id = c.request_id.get(),
                        "call cancelled by the client"
                    );
                    t.cancel();
                }
            }
        }
        // `notifications/initialized`, progress and anything else: nothing to do.
    }

    async fn request(
        &self,
        id: &RawValue,
        method: &str,
        params: Option<&RawValue>,
        env: Env,
    ) -> Result<Cow<'_, [u8]>, RpcError> {
        // `tools/call` params are parsed once, with `_meta`; other methods only need `_meta`.
        let (call, meta_value) = if method == "tools/call" {
            let p = params.ok_or_else(|| RpcError::invalid_params("tools/call needs params"))?;
            let mut call: CallParams<'_> = serde_json::from_str(p.get()).map_err(|e| {
                RpcError::invalid_params(format!(
                    "invalid tools/call params: {}",
                    strip_location(&e)
                ))
            })?;
            let meta = call.meta.take();
            (Some(call), meta)
        } else {
            let m: MetaOnly = match params {
                Some(p) => serde_json::from_str(p.get()).map_err(|e| {
                    RpcError::invalid_params(format!("invalid params: {}", strip_location(&e)))
                })?,
                None => MetaOnly::default(),
            };
            (None, m.meta)
        };
        let meta = RequestMeta {
            meta: meta_value.as_ref(),
        };
        let era = self.era(method, &meta, &env)?;
        match (era, method) {
            (Era::Legacy, "initialize") => self.initialize(params).map(Cow::Owned),
            (Era::Legacy, "ping") => Ok(Cow::Borrowed(b"{}")),
            (Era::Legacy, "logging/setLevel") => {
                #[derive(Deserialize)]
                struct SetLevel {
                    level: String,
                }
                let p: SetLevel = params
                    .and_then(|p| serde_json::from_str(p.get()).ok())
                    .ok_or_else(|| RpcError::invalid_params("logging/setLevel needs a `level`"))?;
                let level = LogLevel::parse(&p.level).ok_or_else(|| {
                    RpcError::invalid_params(format!(
                        "unknown log level `{}`",
                        truncate(&p.level, 40)
                    ))
                })?;
                self.legacy_log_level.store(level as u8, Ordering::Relaxed);
                Ok(Cow::Borrowed(b"{}"))
            }
            (Era::Stateless, "server/discover") => Ok(Cow::Owned(self.discover())),
            // The precomputed page, borrowed: copied once, into the response.
            (_, "tools/list") => self.list(params, era).map(Cow::Borrowed),
            (_, "tools/call") => {
                let call = call.expect("parsed above");
                self.call(
                    id,
                    &call.name,
                    call.arguments.map(CallArgs::Raw),
                    &meta,
                    era,
                    env,
                )
                .await
                .map(Cow::Owned)
            }
            (era, _) => {
                let err = RpcError::new(
                    codes::METHOD_NOT_FOUND,
                    format!("method not found: {}", truncate(method, 80)),
                );
                // The stateless revision answers removed and unknown methods with 404.
                Err(if era == Era::Stateless {
                    err.with_status(404)
                } else {
                    err
                })
            }
        }
    }

    /// Decide the era of a request and check its version, `_meta` and
    /// headers, in the order the 2026-07-28 revision prescribes: missing
    /// `_meta` keys (-32602), header mismatch (-32020), unsupported version
    /// (-32022), then method headers (-32020).
    fn era(&self, method: &str, meta: &RequestMeta<'_>, env: &Env) -> Result<Era, RpcError> {
        let http = match &env.transport {
            Transport::Http {
                protocol_version,
                mcp_method,
                ..
            } => Some((protocol_version.as_deref(), mcp_method.as_deref())),
            _ => None,
        };
        let header_version = http.and_then(|h| h.0);
        let meta_version = meta.get(META_VERSION);
        let stateless_shaped = meta_version.is_some()
            || header_version.is_some_and(|h| STATELESS_VERSIONS.contains(&h))
            || method == "server/discover";
        if !stateless_shaped {
            if let Some(h) = header_version
                && !SUPPORTED_VERSIONS.contains(&h)
            {
                return Err(unsupported_version(h));
            }
            return Ok(Era::Legacy);
        }
        let missing = |what: &str| {
            RpcError::invalid_params(format!(
                "protocol version 2026-07-28 requires `params._meta[\"{what}\"]`"
            ))
            .with_status(400)
        };
        let version = match meta_version {
            Some(Value::String(v)) => v.as_str(),
            Some(_) => {
                return Err(RpcError::invalid_params(format!(
                    "`_meta[\"{META_VERSION}\"]` must be a string"
                ))
                .with_status(400));
            }
            None => return Err(missing(META_VERSION)),
        };
        let legacy_in_meta = LEGACY_VERSIONS.contains(&version);
        if !legacy_in_meta {
            match meta.get(META_CAPABILITIES) {
                Some(Value::Object(_)) => {}
                Some(_) => {
                    return Err(RpcError::invalid_params(format!(
                        "`_meta[\"{META_CAPABILITIES}\"]` must be an object"
                    ))
                    .with_status(400));
                }
                None => return Err(missing(META_CAPABILITIES)),
            }
        }
        if let Some((header, _)) = http {
            match header {
                Some(h) if h == version => {}
                Some(h) => {
                    return Err(RpcError::new(
                        codes::HEADER_MISMATCH,
                        format!(
                            "MCP-Protocol-Version header `{}` does not match `_meta` protocol version `{}`",
                            truncate(h, 40),
                            truncate(version, 40)
                        ),
                    ));
                }
                None => {
                    return Err(RpcError::new(
                        codes::HEADER_MISMATCH,
                        "the MCP-Protocol-Version header is required and must match the `_meta` protocol version",
                    ));
                }
            }
        }
        if !SUPPORTED_VERSIONS.contains(&version) {
            return Err(unsupported_version(version));
        }
        if legacy_in_meta {
            return Ok(Era::Legacy);
        }
        if let Some((_, header_method)) = http {
            match header_method {
                Some(h) if h == method => {}
                Some(h) => {
                    return Err(RpcError::new(
                        codes::HEADER_MISMATCH,
                        format!(
                            "Mcp-Method header `{}` does not match the body's method `{}`",
                            truncate(h, 80),
                            truncate(method, 80)
                        ),
                    ));
                }
                None => {
                    return Err(RpcError::new(
                        codes::HEADER_MISMATCH,
                        "the Mcp-Method header is required with protocol version 2026-07-28",
                    ));
                }
            }
        }
        Ok(Era::Stateless)
    }

    fn initialize(&self, params: Option<&RawValue>) -> Result<Vec<u8>, RpcError> {
        #[derive(Deserialize)]
        struct Init {
            #[serde(rename = "protocolVersion")]
            protocol_version: Value,
        }
        let p: Init = params
            .ok_or_else(|| {
                RpcError::invalid_params("initialize needs params with a `protocolVersion`")
            })
            .and_then(|p| {
                serde_json::from_str(p.get()).map_err(|e| {
                    RpcError::invalid_params(format!(
                        "invalid initialize params: {}",
                        strip_location(&e)
                    ))
                })
            })?;
        let requested = p
            .protocol_version
            .as_str()
            .ok_or_else(|| RpcError::invalid_params("`protocolVersion` must be a string"))?;
        let version = if LEGACY_VERSIONS.contains(&requested) {
            requested
        } else {
            LEGACY_VERSIONS[0]
        };
        let mut m = Map::new();
        m.insert("protocolVersion".into(), json!(version));
        m.insert(
            "capabilities".into(),
            json!({ "tools": { "listChanged": false }, "logging": {} }),
        );
        m.insert("serverInfo".into(), self.info.implementation());
        if let Some(i) = &self.info.instructions {
            m.insert("instructions".into(), json!(i));
        }
        Ok(serde_json::to_vec(&m).expect("serializing a Value cannot fail"))
    }

    fn discover(&self) -> Vec<u8> {
        let mut m = Map::new();
        m.insert("supportedVersions".into(), json!(SUPPORTED_VERSIONS));
        m.insert(
            "capabilities".into(),
            json!({ "tools": { "listChanged": false }, "logging": {} }),
        );
        if let Some(i) = &self.info.instructions {
            m.insert("instructions".into(), json!(i));
        }
        m.insert("ttlMs".into(), json!(self.config.list_ttl_ms));
        m.insert("cacheScope".into(), json!("public"));
        self.finish_simple(Era::Stateless, m)
    }

    fn finish_simple(&self, era: Era, mut m: Map<String, Value>) -> Vec<u8> {
        if era == Era::Stateless {
            m.insert("resultType".into(), json!("complete"));
            m.insert(
                "_meta".into(),
                json!({ META_SERVER_INFO: self.info.implementation() }),
            );
        }
        serde_json::to_vec(&m).expect("serializing a Value cannot fail")
    }

    fn list(&self, params: Option<&RawValue>, era: Era) -> Result<&[u8], RpcError> {
        #[derive(Deserialize, Default)]
        struct ListParams {
            #[serde(default)]
            cursor: Option<Value>,
        }
        let p: ListParams = match params {
            Some(p) => serde_json::from_str(p.get()).unwrap_or_default(),
            None => ListParams::default(),
        };
        let page = match p.cursor {
            None | Some(Value::Null) => 0,
            Some(Value::String(c)) => decode_cursor(&c)
                .filter(|off| off % self.config.page_size.max(1) == 0 && *off < self.registry.len())
                .map(|off| off / self.config.page_size.max(1))
                .ok_or_else(|| RpcError::invalid_params("invalid cursor"))?,
            Some(_) => return Err(RpcError::invalid_params("invalid cursor: must be a string")),
        };
        let pages = match era {
            Era::Legacy => &self.pages_legacy,
            Era::Stateless => &self.pages_stateless,
        };
        pages
            .get(page)
            .map(Vec::as_slice)
            .ok_or_else(|| RpcError::invalid_params("invalid cursor"))
    }

    fn log_level(&self, era: Era, meta: &RequestMeta<'_>) -> Option<LogLevel> {
        match era {
            Era::Stateless => meta
                .get(META_LOG_LEVEL)
                .and_then(Value::as_str)
                .and_then(LogLevel::parse),
            Era::Legacy => match self.legacy_log_level.load(Ordering::Relaxed) {
                0xff => Some(LogLevel::Debug),
                n => LogLevel::ALL.get(usize::from(n)).copied(),
            },
        }
    }

    async fn call(
        &self,
        id: &RawValue,
        name: &str,
        arguments: Option<CallArgs<'_>>,
        meta: &RequestMeta<'_>,
        era: Era,
        env: Env,
    ) -> Result<Vec<u8>, RpcError> {
        if era == Era::Stateless
            && let Transport::Http { mcp_name, .. } = &env.transport
        {
            match mcp_name.as_deref() {
                Some(h) if h == name => {}
                Some(h) => {
                    return Err(RpcError::new(
                        codes::HEADER_MISMATCH,
                        format!(
                            "Mcp-Name header `{}` does not match the tool name `{}`",
                            truncate(h, 80),
                            truncate(name, 80)
                        ),
                    ));
                }
                None => {
                    return Err(RpcError::new(
                        codes::HEADER_MISMATCH,
                        "the Mcp-Name header is required on tools/call with protocol version 2026-07-28",
                    ));
                }
            }
        }
        let Some(tool) = self.registry.get(name) else {
            return Err(RpcError::invalid_params(format!(
                "unknown tool: {}",
                truncate(name, 80)
            )));
        };
        let args = match arguments {
            None => Map::new(),
            Some(CallArgs::Parsed(m)) => m,
            Some(CallArgs::Raw(raw)) if raw.get().starts_with('{') => {
                match parse_arguments(raw.get()) {
                    Ok(m) => m,
                    Err(e) => {
                        let mut log = CallLog::new(tool.name(), env.key.as_deref());
                        log.finish(e.kind().as_str());
                        return Ok(self.call_result((Err(e), None, env.key), era));
                    }
                }
            }
            Some(CallArgs::Raw(_)) => {
                return Err(RpcError::invalid_params(
                    "tools/call `arguments` must be an object",
                ));
            }
        };
        if era == Era::Stateless
            && let Transport::Http { params, .. } = &env.transport
        {
            check_param_headers(tool, &args, params)?;
        }
        // One span per call: tool, key name and (once checked for shape) tenant;
        // outcome and duration are recorded when it ends. Never argument values.
        let mut log = CallLog::new(tool.name(), env.key.as_deref());
        let progress_token = meta
            .get("progressToken")
            .filter(|t| t.is_string() || t.is_i64() || t.is_u64())
            .cloned();
        let log_level = self.log_level(era, meta);
        let outcome = self
            .run(
                tool,
                args,
                id,
                progress_token,
                log_level,
                meta.meta.cloned(),
                env,
            )
            .instrument(log.span.clone())
            .await;
        log.finish(match &outcome.0 {
            Ok(_) => "ok",
            Err(e) => e.kind().as_str(),
        });
        if let (Era::Stateless, Err(e)) = (era, &outcome.0)
            && let Some(caps) = e.required_capabilities()
        {
            return Err(RpcError::new(
                codes::MISSING_CAPABILITY,
                format!("this call needs client capabilities the request did not declare: {caps}"),
            )
            .with_data(json!({ "requiredCapabilities": caps })));
        }
        Ok(self.call_result(outcome, era))
    }

    #[allow(clippy::too_many_arguments)]
    async fn run(
        &self,
        tool: &ToolInfo,
        mut args: Map<String, Value>,
        id: &RawValue,
        progress_token: Option<Value>,
        log_level: Option<LogLevel>,
        meta: Option<Value>,
        env: Env,
    ) -> (
        Result<ToolOutput, McpError>,
        Option<String>,
        Option<Arc<KeyIdentity>>,
    ) {
        let tenant = match take_injected(&mut args, INJECTED[0]) {
            Ok(t) => t,
            Err(e) => return (Err(e), None, env.key),
        };
        if let Some(t) = &tenant {
            tracing::Span::current().record("tenant", t.as_str());
        }
        let result = self
            .run_checked(
                tool,
                args,
                id,
                tenant.clone(),
                progress_token,
                log_level,
                meta,
                &env,
            )
            .await;
        (result, tenant, env.key)
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_checked(
        &self,
        tool: &ToolInfo,
        mut args: Map<String, Value>,
        id: &RawValue,
        tenant: Option<String>,
        progress_token: Option<Value>,
        log_level: Option<LogLevel>,
        meta: Option<Value>,
        env: &Env,
    ) -> Result<ToolOutput, McpError> {
        let workspace = take_injected(&mut args, INJECTED[1])?;
        if let Some(k) = env.key.as_deref() {
            check_tenant(k, tenant.as_deref())?;
        }
        if let Some(g) = &self.guard {
            g.check(env.key.as_deref(), tenant.as_deref())?;
        }
        let args = Value::Object(args);
        check_strings(&args, self.config.max_string_bytes)?;
        validate(tool, &args)?;
        let ctx = ToolContext {
            request_id: serde_json::from_str(id.get()).unwrap_or(Value::Null),
            tool: tool.name(),
            tenant_id: tenant,
            workspace_id: workspace,
            key: env.key.clone(),
            state: self.state.clone(),
            progress_token,
            log_level,
            notifier: env.notifier.clone(),
            cancel: env.cancel.clone(),
            meta,
        };
        let _inflight =
            InflightGuard::register(self, inflight_key(env.key.as_deref(), id), &env.cancel);
        let fut = AssertUnwindSafe((tool.desc.call)(args, ctx)).catch_unwind();
        let timeout = self.config.call_timeout;
        // A call cancelled before it starts does not run. Otherwise the tool is
        // polled first: a call that completes at once never waits on the token.
        if env.cancel.is_cancelled() {
            return Err(McpError::server("the call was cancelled"));
        }
        let outcome = tokio::select! {
            biased;
            r = tokio::time::timeout(timeout, fut) => match r {
                Ok(Ok(result)) => result,
                Ok(Err(panic)) => {
                    let msg = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "non-string panic payload".to_owned());
                    Err(McpError::internal(format_args!("tool `{}` panicked: {msg}", tool.name())))
                }
                Err(_) => {
                    env.cancel.cancel();
                    Err(McpError::server(format!(
                        "the tool call timed out after {} ms",
                        timeout.as_millis()
                    )))
                }
            },
            _ = env.cancel.cancelled() => Err(McpError::server("the call was cancelled")),
        };
        outcome
    }

    /// The `CallToolResult`, written directly: the bytes serializing it as a
    /// `Map` would give (keys sorted: `_meta`, `content`, `isError`,
    /// `resultType`, `structuredContent`), without building and cloning one.
    fn call_result(
        &self,
        (outcome, _tenant, _key): (
            Result<ToolOutput, McpError>,
            Option<String>,
            Option<Arc<KeyIdentity>>,
        ),
        era: Era,
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(160);
        out.push(b'{');
        if era == Era::Stateless {
            out.extend_from_slice(br#""_meta":"#);
            out.extend_from_slice(&self.server_meta_json);
            out.push(b',');
        }
        out.extend_from_slice(br#""content":["#);
        let structured = match &outcome {
            Ok(o) => {
                for (i, block) in o.content().iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    match block {
                        Content::Text { text } => write_text_block(&mut out, text),
                        other => write_json(&mut out, &other.to_json()),
                    }
                }
                out.push(b']');
                o.structured()
            }
            Err(e) => {
                let structured = json!({ "error": e.to_json() });
                write_text_block(&mut out, &structured.to_string());
                out.extend_from_slice(br#"],"isError":true"#);
                None
            }
        };
        if era == Era::Stateless {
            out.extend_from_slice(br#","resultType":"complete""#);
        }
        if let Some(s) = structured {
            out.extend_from_slice(br#","structuredContent":"#);
            write_json(&mut out, s);
        }
        out.push(b'}');
        out
    }
}

/// `{"text":<text>,"type":"text"}`, as serializing `Content::to_json` gives it.
fn write_text_block(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(br#"{"text":"#);
    write_json(out, text);
    out.extend_from_slice(br#","type":"text"}"#);
}

fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    serde_json::to_writer(out, v).expect("serializing JSON into a Vec cannot fail");
}

/// The `tools/call` span of one call. `finish` records the outcome and the
/// duration and logs one line at info; a call dropped before it finished (the
/// client went away) is logged as `cancelled`.
struct CallLog {
    span: tracing::Span,
    /// When the call started; not read when the span is disabled.
    started: Option<Instant>,
    finished: bool,
}

impl CallLog {
    fn new(tool: &str, key: Option<&KeyIdentity>) -> CallLog {
        let span = tracing::info_span!(
            "tools/call",
            tool,
            key = key.map(|k| k.name.as_str()),
            tenant = tracing::field::Empty,
            outcome = tracing::field::Empty,
            duration_us = tracing::field::Empty,
        );
        // With the span filtered out, its fields are never recorded: the
        // clock is not read.
        let started = (!span.is_disabled()).then(Instant::now);
        CallLog {
            span,
            started,
            finished: false,
        }
    }

    fn finish(&mut self, outcome: &str) {
        self.finished = true;
        if let Some(started) = self.started {
            self.span.record("outcome", outcome);
            self.span
                .record("duration_us", started.elapsed().as_micros() as u64);
        }
        tracing::info!(parent: &self.span, "call finished");
    }
}

impl Drop for CallLog {
    fn drop(&mut self) {
        if !self.finished {
            self.finish("cancelled");
        }
    }
}

/// Removes a call's cancellation token from the in-flight map when the call ends.
struct InflightGuard<'d> {
    dispatcher: &'d Dispatcher,
    key: String,
}

impl<'d> InflightGuard<'d> {
    fn register(dispatcher: &'d Dispatcher, key: String, token: &CancellationToken) -> Self {
        dispatcher
            .inflight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.clone(), token.clone());
        InflightGuard { dispatcher, key }
    }
}

impl Drop for InflightGuard<'_> {
    fn drop(&mut self) {
        self.dispatcher
            .inflight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.key);
    }
}

/// Take an injected argument (`tenantId`, `workspaceId`) out of the arguments.
fn take_injected(args: &mut Map<String, Value>, name: &str) -> Result<Option<String>, McpError> {
    match args.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 256 => Ok(Some(s)),
        Some(Value::String(_)) => Err(McpError::validation(format!(
            "`{name}` must be a non-empty string of at most 256 bytes"
        ))),
        Some(_) => Err(McpError::validation(format!("`{name}` must be a string"))),
    }
}

/// `"2.0"`, also when written with escapes (`"2\u002e0"`).
fn is_version_2(raw: &RawValue) -> bool {
    let s = raw.get();
    s == r#""2.0""#
        || (s.contains('\\')
            && serde_json::from_str::<std::borrow::Cow<'_, str>>(s).is_ok_and(|v| v == "2.0"))
}

/// Parse the raw `arguments` object of a call. Unlike `serde_json::Value`,
/// which keeps the last of duplicate keys, a duplicate key at any depth is
/// refused: a proxy that checked the first `tenantId` and a server that used
/// the last would disagree on who is calling. Values serde_json cannot
/// represent (numbers beyond f64, lone surrogate escapes) are refused too;
/// every refusal is a `validation_error` naming the argument.
///
/// [`FastParams`] parses the arguments of common `tools/call`s with the same
/// [`StrictValue`] (and leaves anything it refuses to this function): keep
/// the two in step.
fn parse_arguments(raw: &str) -> Result<Map<String, Value>, McpError> {
    use serde::de::DeserializeSeed;
    let ctx = StrictContext::default();
    let mut de = serde_json::Deserializer::from_str(raw);
    let parsed = StrictValue(&ctx)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    match parsed {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(McpError::validation(
            "tools/call `arguments` must be an object",
        )),
        Err(e) => {
            let mut segments = ctx.path.into_inner();
            segments.reverse();
            let path = display_path(&segments);
            Err(McpError::validation(if ctx.duplicate.get() {
                format!(
                    "invalid arguments: duplicate argument `{}`",
                    truncate(&path, 200)
                )
            } else if path.is_empty() {
                format!("invalid arguments: {}", strip_location(&e))
            } else {
                format!(
                    "invalid argument `{}`: {}",
                    truncate(&path, 200),
                    strip_location(&e)
                )
            }))
        }
    }
}

/// Where [`parse_arguments`] failed: path segments, innermost first (pushed
/// while the error unwinds, so a successful parse pays nothing).
#[derive(Default)]
struct StrictContext {
    path: std::cell::RefCell<Vec<String>>,
    duplicate: std::cell::Cell<bool>,
}

/// A `serde_json::Value` that refuses duplicate object keys.
#[derive(Clone, Copy)]
struct StrictValue<'c>(&'c StrictContext);

impl<'de> serde::de::DeserializeSeed<'de> for StrictValue<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for StrictValue<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        loop {
            match seq.next_element_seed(self) {
                Ok(Some(v)) => items.push(v),
                Ok(None) => return Ok(Value::Array(items)),
                Err(e) => {
                    self.0.path.borrow_mut().push(items.len().to_string());
                    return Err(e);
                }
            }
        }
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if m.contains_key(&key) {
                self.0.duplicate.set(true);
                self.0.path.borrow_mut().push(key);
                return Err(serde::de::Error::custom("duplicate key"));
            }
            match map.next_value_seed(self) {
                Ok(v) => {
                    m.insert(key, v);
                }
                Err(e) => {
                    self.0.path.borrow_mut().push(key);
                    return Err(e);
                }
            }
        }
        Ok(Value::Object(m))
    }
}

/// A tenant-bound key may act only for its tenants, and only with a tenant named.
fn check_tenant(key: &KeyIdentity, tenant: Option<&str>) -> Result<(), McpError> {
    let Some(allowed) = &key.tenants else {
        return Ok(());
    };
    match tenant {
        Some(t) if allowed.iter().any(|a| a == t) => Ok(()),
        Some(t) => Err(McpError::permission_denied(format!(
            "this API key may not act for tenant `{}`",
            truncate(t, 64)
        ))),
        None => Err(McpError::permission_denied(
            "this API key is bound to tenants, so the call must carry a `tenantId`",
        )),
    }
}

/// Refuse any string argument longer than the limit, naming where it is.
fn check_strings(v: &Value, max: usize) -> Result<(), McpError> {
    /// What is too long; a value's path is collected innermost first while
    /// the error unwinds, so a passing check allocates nothing.
    enum TooLong {
        Name,
        Value(usize, Vec<String>),
    }
    fn within(e: TooLong, seg: impl FnOnce() -> String) -> TooLong {
        match e {
            TooLong::Value(len, mut path) => {
                path.push(seg());
                TooLong::Value(len, path)
            }
            name => name,
        }
    }
    fn walk(v: &Value, max: usize) -> Result<(), TooLong> {
        match v {
            Value::String(s) if s.len() > max => Err(TooLong::Value(s.len(), Vec::new())),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .try_for_each(|(i, item)| walk(item, max).map_err(|e| within(e, || i.to_string()))),
            Value::Object(m) => m.iter().try_for_each(|(k, item)| {
                if k.len() > max {
                    return Err(TooLong::Name);
                }
                walk(item, max).map_err(|e| within(e, || k.clone()))
            }),
            _ => Ok(()),
        }
    }
    match walk(v, max) {
        Ok(()) => Ok(()),
        Err(TooLong::Name) => Err(McpError::validation(format!(
            "an argument name is longer than {max} bytes"
        ))),
        Err(TooLong::Value(len, mut path)) => {
            path.reverse();
            Err(McpError::validation(format!(
                "argument `{}` is {len} bytes long; the limit is {max} bytes",
                display_path(&path)
            )))
        }
    }
}

/// `["items", "0", "qty"]` → `items[0].qty`.
fn display_path<S: AsRef<str>>(segments: &[S]) -> String {
    let mut out = String::new();
    for seg in segments {
        let seg = seg.as_ref();
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(seg);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
    }
    out
}

/// Check arguments against the tool's compiled schema; every error names its field.
fn validate(tool: &ToolInfo, args: &Value) -> Result<(), McpError> {
    if tool.validator.is_valid(args) {
        return Ok(());
    }
    let mut errors = Vec::new();
    let mut lines = Vec::new();
    for e in tool.validator.iter_errors(args).take(10) {
        let segments: Vec<String> = e
            .instance_path()
            .into_iter()
            .map(|s| s.to_string())
            .collect();
        let path = display_path(&segments);
        // Small offending values are shown (they help the model fix its call);
        // large ones are masked rather than echoed back.
        let small = e.instance().to_string().len() <= 64;
        let mut message = truncate(
            &if small {
                e.to_string()
            } else {
                e.masked().to_string()
            },
            300,
        );
        // "not valid under any of the schemas listed in the 'oneOf' keyword"
        // does not tell the model what to send: name the allowed values.
        if matches!(e.kind().keyword(), "anyOf" | "oneOf")
            && let Some(values) = allowed_values(tool.input_schema(), &segments)
        {
            message = truncate(&format!("{message}; expected one of: {values}"), 400);
        }
        if path.is_empty() {
            lines.push(message.clone());
        } else {
            lines.push(format!("`{path}`: {message}"));
        }
        errors.push(json!({ "path": path, "message": message }));
    }
    Err(
        McpError::validation(format!("invalid arguments: {}", lines.join("; ")))
            .with_details(json!({ "errors": errors })),
    )
}

/// The values an enum-like argument allows, found by following the
/// instance path through the published schema; `None` when the argument is
/// not enum-like.
fn allowed_values(schema: &Value, path: &[String]) -> Option<String> {
    let mut node = schema;
    for seg in path {
        node = node
            .get("properties")
            .and_then(|p| p.get(seg))
            .or_else(|| node.get("items"))
            .or_else(|| node.get("additionalProperties").filter(|v| v.is_object()))?;
    }
    let values = crate::schema::allowed_values(node).filter(|v| !v.is_empty())?;
    let shown: Vec<String> = values.iter().take(20).map(|v| v.to_string()).collect();
    let more = if values.len() > 20 { ", …" } else { "" };
    Some(format!("{}{more}", shown.join(", ")))
}

impl Reply {
    fn from_error(id: Option<&RawValue>, err: RpcError) -> Reply {
        Reply::Response {
            status: err.status,
            body: error_body(id, &err),
        }
    }
}

/// Arguments mirrored into `Mcp-Param-<Name>` headers (`x-mcp-header`) must
/// match the body: a header whose argument is absent, an argument whose
/// header is absent, a bad `=?base64?…?=` value or a different value → -32020.
fn check_param_headers(
    tool: &ToolInfo,
    args: &Map<String, Value>,
    headers: &[(String, String)],
) -> Result<(), RpcError> {
    for (prop, header) in tool.header_params() {
        let mismatch = |why: String| {
            RpcError::new(codes::HEADER_MISMATCH, format!("Mcp-Param-{header}: {why}"))
        };
        let sent = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(header))
            .map(|(_, v)| v.as_str());
        let arg = match args.get(prop) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => Some(v.to_string()),
            Some(_) => None,
        };
        match (sent, arg) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(mismatch(format!(
                    "header is required when `{prop}` is given"
                )));
            }
            (Some(_), None) => {
                return Err(mismatch(format!("header given but `{prop}` is absent")));
            }
            (Some(h), Some(a)) => {
                let decoded = decode_header_value(h)
                    .ok_or_else(|| mismatch("invalid Base64 value".into()))?;
                if decoded != a {
                    return Err(mismatch(format!(
                        "header does not match the value of `{prop}`"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// A header value: `=?base64?<standard Base64>?=` is decoded (UTF-8), anything else is literal.
fn decode_header_value(v: &str) -> Option<String> {
    match v
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    {
        Some(b64) => String::from_utf8(decode_base64(b64)?).ok(),
        None => Some(v.to_owned()),
    }
}

/// Strict standard Base64 (with padding) decoding.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let chunks = bytes.len() / 4;
    for (i, chunk) in bytes.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != chunks) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = (n << 6) | val(c)?;
        }
        n <<= 6 * pad as u32;
        let b = n.to_be_bytes();
        out.extend_from_slice(&b[1..4 - pad]);
    }
    Some(out)
}

fn unsupported_version(v: &str) -> RpcError {
    RpcError::new(
        codes::UNSUPPORTED_VERSION,
        format!("unsupported protocol version `{}`", truncate(v, 40)),
    )
    .with_data(json!({ "requested": v, "supported": SUPPORTED_VERSIONS }))
}

/// An id usable in a response: a string or an integer. It is echoed byte for
/// byte, so a string must also decode (a lone surrogate escape such as
/// `"\udc00"` would make the answer unreadable to strict JSON parsers).
fn valid_id(id: Option<&RawValue>) -> Option<&RawValue> {
    let id = id?;
    let s = id.get();
    let ok = match s.as_bytes().first() {
        Some(b'"') => {
            !s.contains('\\') || serde_json::from_str::<std::borrow::Cow<'_, str>>(s).is_ok()
        }
        Some(b'-' | b'0'..=b'9') => s.bytes().skip(1).all(|b| b.is_ascii_digit()) && s.len() <= 20,
        _ => false,
    };
    ok.then_some(id)
}

fn inflight_key(key: Option<&KeyIdentity>, id: &RawValue) -> String {
    let mut k = String::with_capacity(32);
    k.push_str(key.map_or("", |k| k.name.as_str()));
    k.push('\0');
    k.push_str(id.get());
    k
}

fn encode_cursor(offset: usize) -> String {
    format!("o{offset}")
}

fn decode_cursor(c: &str) -> Option<usize> {
    let digits = c.strip_prefix('o')?;
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Truncate text from the request before echoing it in a message.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// serde_json's message without "at line 1 column 57".
fn strip_location(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// A JSON array: batches were removed in 2025-06-18 (invalid JSON is still a parse error).
fn batch_error(body: &[u8]) -> RpcError {
    match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        Ok(_) => RpcError::new(
            codes::INVALID_REQUEST,
            "invalid request: batch arrays are not supported; send one JSON-RPC message per request",
        ),
        Err(e) => RpcError::new(codes::PARSE_ERROR, format!("parse error: {e}")),
    }
}

/// A notification or response is refused (HTTP 400) under an unsupported
/// `MCP-Protocol-Version` header, as requests are (those are checked with
/// their `_meta`, in the order of the 2026-07-28 revision, by `era`).
fn header_version_error(env: &Env) -> Option<RpcError> {
    match &env.transport {
        Transport::Http {
            protocol_version: Some(h),
            ..
        } if !SUPPORTED_VERSIONS.contains(&h.as_str()) => Some(unsupported_version(h)),
        _ => None,
    }
}

/// Classify a body that did not parse as an envelope.
fn envelope_error(e: &serde_json::Error, body: &[u8]) -> RpcError {
    if e.is_syntax() || e.is_eof() || e.is_io() {
        return RpcError::new(codes::PARSE_ERROR, format!("parse error: {}", e));
    }
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return RpcError::new(
            codes::INVALID_REQUEST,
            "invalid request: a JSON-RPC message must be a JSON object",
        );
    }
    RpcError::new(
        codes::INVALID_REQUEST,
        format!("invalid request: {}", strip_location(e)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_header_values() {
        assert_eq!(
            decode_header_value("=?base64?SGVsbG8=?=").as_deref(),
            Some("Hello")
        );
        assert_eq!(
            decode_header_value("=?base64?SGVsbG8?="),
            None,
            "bad padding"
        );
        assert_eq!(
            decode_header_value("=?base64?SGVs!!!bG8=?="),
            None,
            "bad characters"
        );
        assert_eq!(
            decode_header_value("SGVsbG8=").as_deref(),
            Some("SGVsbG8="),
            "literal"
        );
        assert_eq!(
            decode_header_value("=?base64?SGVsbG8=").as_deref(),
            Some("=?base64?SGVsbG8=")
        );
        assert_eq!(decode_base64("").as_deref(), Some(&b""[..]));
        assert_eq!(decode_base64("YQ==").as_deref(), Some(&b"a"[..]));
        assert_eq!(decode_base64("YWI=").as_deref(), Some(&b"ab"[..]));
        assert_eq!(decode_base64("YQ==YQ=="), None, "padding only at the end");
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(200)), Some(200));
        for bad in ["", "o", "x1", "o-1", "o1a", "o99999999999999"] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
    }
}
