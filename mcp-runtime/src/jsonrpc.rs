//! JSON-RPC 2.0 as MCP uses it: error codes, the error value, response and
//! notification bodies, the rules for ids, and the `_meta` keys of the wire.
//! Everything here is bytes and values; nothing knows about tools.

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

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
    /// The access token lacks a scope the call needs (HTTP 403 bodies).
    pub const INSUFFICIENT_SCOPE: i64 = -32003;
    /// Request cancelled.
    pub const REQUEST_CANCELLED: i64 = -32800;
}

/// The requests this server answers and the notifications it reads, as
/// spelled on the wire: the names metrics and traces label them by (any
/// other is one label, so that a caller cannot make labels of its own).
#[cfg(any(feature = "metrics", feature = "otel"))]
pub(crate) const METHODS: [&str; 13] = [
    "initialize",
    "ping",
    "logging/setLevel",
    "server/discover",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "prompts/list",
    "prompts/get",
    "notifications/cancelled",
    "notifications/initialized",
];

/// `_meta` keys of the 2026-07-28 revision.
pub(crate) mod meta {
    pub(crate) const VERSION: &str = "io.modelcontextprotocol/protocolVersion";
    pub(crate) const CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
    pub(crate) const LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
    pub(crate) const SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
}

/// The `_meta` key of a listed tool (resource, resource template, prompt)
/// under which this runtime publishes the OAuth scopes a caller needs for it (so that a client can ask for them,
/// and `mcp lock` reads the same contract as `cargo test`).
pub const TOOL_SCOPES_META: &str = "dev.mcp-runtime/scopes";

/// A JSON-RPC error on its way out, with the HTTP status it calls for.
#[derive(Debug)]
pub(crate) struct RpcError {
    pub(crate) code: i64,
    pub(crate) message: String,
    pub(crate) data: Option<Value>,
    pub(crate) status: u16,
    /// For a `403` refused for want of scopes: the scopes the call needs
    /// (space-separated), for the transport's `WWW-Authenticate` challenge.
    pub(crate) insufficient_scope: Option<Box<str>>,
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
            insufficient_scope: None,
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

    pub(crate) fn invalid_request(message: impl Into<String>) -> Self {
        RpcError::new(codes::INVALID_REQUEST, message)
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

/// What the transport should send back for one message.
#[derive(Debug)]
pub(crate) enum Reply {
    /// A JSON-RPC response, and the HTTP status it calls for.
    Response {
        status: u16,
        body: Vec<u8>,
        /// See [`RpcError::insufficient_scope`].
        insufficient_scope: Option<Box<str>>,
        /// The session `initialize` opened: its `Mcp-Session-Id`.
        session: Option<Box<str>>,
    },
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

    pub(crate) fn result(id: &RawValue, result: &[u8]) -> Reply {
        Reply::Response {
            status: 200,
            body: result_body(id, result),
            insufficient_scope: None,
            session: None,
        }
    }

    pub(crate) fn error(id: Option<&RawValue>, err: RpcError) -> Reply {
        Reply::Response {
            status: err.status,
            body: error_body(id, &err),
            insufficient_scope: err.insufficient_scope,
            session: None,
        }
    }
}

/// Writes a JSON-RPC error response for `id` (raw JSON; `null` when unknown).
pub(crate) fn error_body(id: Option<&RawValue>, err: &RpcError) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + err.message.len());
    out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    out.extend_from_slice(id.map_or("null", RawValue::get).as_bytes());
    out.extend_from_slice(br#","error":"#);
    write_json(&mut out, &err.to_value());
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

/// A JSON-RPC notification from the server.
pub(crate) fn notification(method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "method": method, "params": params })
}

/// Serialize into `out`.
pub(crate) fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    serde_json::to_writer(out, v).expect("serializing JSON into a Vec cannot fail");
}

/// Open a result object written by hand: `{`, then the server's `_meta`
/// (already serialized) when the era carries it, with the comma the next
/// member needs.
pub(crate) fn open_result(out: &mut Vec<u8>, server_meta: Option<&[u8]>) {
    out.push(b'{');
    if let Some(meta) = server_meta {
        out.extend_from_slice(br#""_meta":"#);
        out.extend_from_slice(meta);
        out.push(b',');
    }
}

/// Serialize to bytes.
pub(crate) fn to_bytes<T: serde::Serialize + ?Sized>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    write_json(&mut out, v);
    out
}

/// An id usable in a response: a string or an integer. It is echoed byte for
/// byte, so a string must also decode (a lone surrogate escape such as
/// `"\udc00"` would make the answer unreadable to strict JSON parsers).
pub(crate) fn valid_id(id: Option<&RawValue>) -> Option<&RawValue> {
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

/// `"2.0"`, also when written with escapes (`"2\u002e0"`).
pub(crate) fn is_version_2(raw: &RawValue) -> bool {
    let s = raw.get();
    s == r#""2.0""#
        || (s.contains('\\')
            && serde_json::from_str::<std::borrow::Cow<'_, str>>(s).is_ok_and(|v| v == "2.0"))
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
pub(crate) fn strip_location(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}
