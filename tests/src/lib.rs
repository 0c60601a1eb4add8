//! Support for the workspace's integration tests: a server on a real
//! loopback socket, a raw HTTP/1.1 client (so every byte and status is
//! visible), SSE parsing, validation against the official MCP schemas, and
//! the official MCP Python SDK client as a test driver ([`py_sdk`]).
//!
//! The library defines no tools: every test binary that links it serves only
//! its own `#[mcp_tool]`s (tools register themselves with every binary their
//! module is linked into).

pub mod oidc;
pub mod postgres;
pub mod process;
pub mod py_sdk;
pub mod redis;
pub mod shop;
pub mod sse;
pub mod streaming;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A server serving on `127.0.0.1:<ephemeral>` in this process.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<Result<(), mcp_runtime::ServeError>>>,
}

impl TestServer {
    /// Serve `server` on a fresh loopback port.
    pub async fn start(server: mcp_runtime::Server) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(server.serve_listener(listener, async move {
            let _ = rx.await;
        }));
        TestServer {
            addr,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    /// `http://127.0.0.1:<port>/mcp`.
    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    /// Signal shutdown and wait for the server to finish draining.
    pub async fn stop(mut self) -> Result<(), mcp_runtime::ServeError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.handle
            .take()
            .expect("not yet stopped")
            .await
            .expect("server task did not panic")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A parsed HTTP response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (panics with the body text if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `data:` payloads of an SSE body, parsed as JSON.
    pub fn sse_messages(&self) -> Vec<Value> {
        parse_sse(&self.text())
    }

    /// Every JSON-RPC message in the body: the JSON body, or each SSE event.
    pub fn messages(&self) -> Vec<Value> {
        if self
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/event-stream"))
        {
            self.sse_messages()
        } else if self.body.is_empty() {
            Vec::new()
        } else {
            vec![self.json()]
        }
    }
}

/// Parse an SSE stream's `data:` fields into JSON values.
pub fn parse_sse(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for event in text.split("\n\n") {
        let data: Vec<&str> = event
            .lines()
            .filter_map(|l| {
                l.strip_prefix("data:")
                    .map(|d| d.strip_prefix(' ').unwrap_or(d))
            })
            .collect();
        if !data.is_empty() {
            let joined = data.join("\n");
            out.push(
                serde_json::from_str(&joined)
                    .unwrap_or_else(|e| panic!("SSE data is not JSON ({e}): {joined}")),
            );
        }
    }
    out
}

/// Send one raw HTTP/1.1 request (`Connection: close`) and read the whole response.
pub async fn raw_request(addr: SocketAddr, request: &[u8]) -> HttpResponse {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write request");
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut buf))
        .await
        .expect("response within 30 s")
        .expect("read response");
    parse_response(&buf)
}

/// Parse a complete HTTP/1.1 response.
pub fn parse_response(buf: &[u8]) -> HttpResponse {
    let head_end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("complete response head");
    let head = std::str::from_utf8(&buf[..head_end]).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .expect("status code")
        .parse()
        .expect("numeric status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let raw = &buf[head_end + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked { dechunk(raw) } else { raw.to_vec() };
    HttpResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = raw.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_str = std::str::from_utf8(&raw[..line_end]).expect("chunk size");
        let size = usize::from_str_radix(size_str.split(';').next().unwrap_or("0").trim(), 16)
            .expect("hex size");
        raw = &raw[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

/// A request builder for the MCP endpoint.
#[derive(Debug, Clone)]
pub struct Post {
    path: String,
    method: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Post {
    /// `POST /mcp` with `Content-Type: application/json` and the
    /// Streamable HTTP `Accept` header.
    pub fn new(body: impl Into<Vec<u8>>) -> Post {
        Post {
            path: "/mcp".into(),
            method: "POST".into(),
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                (
                    "Accept".into(),
                    "application/json, text/event-stream".into(),
                ),
            ],
            body: body.into(),
        }
    }

    /// `POST` a JSON value.
    pub fn json(v: &Value) -> Post {
        Post::new(serde_json::to_vec(v).expect("serializable"))
    }

    /// Another HTTP method (GET, DELETE …).
    pub fn method(mut self, m: &str) -> Post {
        self.method = m.into();
        self
    }

    /// Another path.
    pub fn path(mut self, p: &str) -> Post {
        self.path = p.into();
        self
    }

    /// Set (replace) a header.
    pub fn header(mut self, name: &str, value: &str) -> Post {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Remove a header.
    pub fn without(mut self, name: &str) -> Post {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    /// `Authorization: Bearer <key>`.
    pub fn bearer(self, key: &str) -> Post {
        self.header("Authorization", &format!("Bearer {key}"))
    }

    /// The headers of a 2026-07-28 request for `method` (and `Mcp-Name`).
    pub fn stateless(self, method: &str, name: Option<&str>) -> Post {
        let p = self
            .header("MCP-Protocol-Version", "2026-07-28")
            .header("Mcp-Method", method);
        match name {
            Some(n) => p.header("Mcp-Name", n),
            None => p,
        }
    }

    /// The raw request bytes for `host`.
    pub fn to_bytes(&self, host: &str) -> Vec<u8> {
        let mut req = format!(
            "{} {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n",
            self.method, self.path
        );
        for (n, v) in &self.headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        req.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// Send it to `addr` (Host header: the address).
    pub async fn send(&self, addr: SocketAddr) -> HttpResponse {
        raw_request(addr, &self.to_bytes(&addr.to_string())).await
    }
}

/// `_meta` of a 2026-07-28 request.
pub fn meta_2026() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": { "name": "mcp-tests", "version": "1.0.0" },
        "io.modelcontextprotocol/clientCapabilities": {}
    })
}

// ------------------------------------------------------------ official schemas

/// A protocol revision whose official schema the tests validate against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revision {
    /// 2025-11-25 (handshake era).
    R2025_11_25,
    /// 2026-07-28 (stateless).
    R2026_07_28,
}

impl Revision {
    fn dir(self) -> &'static str {
        match self {
            Revision::R2025_11_25 => "2025-11-25",
            Revision::R2026_07_28 => "2026-07-28",
        }
    }
}

fn spec_defs(rev: Revision) -> &'static Value {
    static A: OnceLock<Value> = OnceLock::new();
    static B: OnceLock<Value> = OnceLock::new();
    let cell = match rev {
        Revision::R2025_11_25 => &A,
        Revision::R2026_07_28 => &B,
    };
    cell.get_or_init(|| {
        let path = repo_root()
            .join("../shared/mcp-spec")
            .join(rev.dir())
            .join("schema.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("official schema {} not readable: {e}", path.display()));
        serde_json::from_str(&text).expect("official schema is JSON")
    })
}

/// Check `value` against the official definition `def` (e.g. `"CallToolResult"`,
/// `"JSONRPCResponse"`) of revision `rev`; `Err` lists every violation.
pub fn check_against_spec(rev: Revision, def: &str, value: &Value) -> Result<(), String> {
    let defs = spec_defs(rev).get("$defs").expect("schema has $defs");
    assert!(
        defs.get(def).is_some(),
        "no definition {def} in {}",
        rev.dir()
    );
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/$defs/{def}"),
        "$defs": defs,
    });
    let validator = jsonschema::draft202012::new(&schema).expect("official schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{def} ({}) violations: {}\nvalue: {value}",
            rev.dir(),
            errors.join("; ")
        ))
    }
}

/// Assert a server message is valid: as a JSON-RPC message of the revision,
/// and its `result` as `result_def` when given.
pub fn assert_valid(rev: Revision, message: &Value, result_def: Option<&str>) {
    if let Err(e) = check_against_spec(rev, "JSONRPCMessage", message) {
        panic!("{e}");
    }
    if let (Some(def), Some(result)) = (result_def, message.get("result"))
        && let Err(e) = check_against_spec(rev, def, result)
    {
        panic!("{e}");
    }
}

// ------------------------------------------------------------ chunked bodies, fallible requests

impl Post {
    /// The raw request bytes for `host` with the body sent as
    /// `Transfer-Encoding: chunked` in chunks of `chunk` bytes (no `Content-Length`).
    pub fn to_chunked_bytes(&self, host: &str, chunk: usize) -> Vec<u8> {
        let mut req = format!(
            "{} {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n",
            self.method, self.path
        );
        for (n, v) in &self.headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        req.push_str("Transfer-Encoding: chunked\r\n\r\n");
        let mut bytes = req.into_bytes();
        for part in self.body.chunks(chunk.max(1)) {
            bytes.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
            bytes.extend_from_slice(part);
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"0\r\n\r\n");
        bytes
    }

    /// Send it chunked to `addr`.
    pub async fn send_chunked(&self, addr: SocketAddr, chunk: usize) -> HttpResponse {
        raw_request(addr, &self.to_chunked_bytes(&addr.to_string(), chunk)).await
    }

    /// Send it to `addr`, with failures (refused, reset, incomplete
    /// response) as `Err` instead of panics.
    pub async fn try_send(&self, addr: SocketAddr) -> Result<HttpResponse, String> {
        try_raw_request(addr, &self.to_bytes(&addr.to_string())).await
    }
}

/// [`raw_request`] that reports failures as `Err`: connection refused or
/// reset, or a response that is not complete.
pub async fn try_raw_request(addr: SocketAddr, request: &[u8]) -> Result<HttpResponse, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    stream
        .write_all(request)
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut buf))
        .await
        .map_err(|_| "no response within 60 s".to_owned())?
        .map_err(|e| format!("read: {e}"))?;
    let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Err(format!("incomplete response ({} bytes)", buf.len()));
    };
    let response = parse_response(&buf);
    let complete = match response
        .header("content-length")
        .and_then(|l| l.parse::<usize>().ok())
    {
        Some(len) => buf.len() - head_end - 4 == len,
        None => buf.ends_with(b"0\r\n\r\n") || response.header("transfer-encoding").is_none(),
    };
    if complete {
        Ok(response)
    } else {
        Err("truncated response body".to_owned())
    }
}

/// Assert `message`, as the server sent it, is valid for revision `rev`: as a
/// `JSONRPCMessage` and by kind. A result is checked as `result_def` (when
/// given); an error as `JSONRPCErrorResponse` and, for 2026-07-28 (which
/// defines one shape per code), as the definition of its code; a progress or
/// log notification as `ProgressNotification` / `LoggingMessageNotification`.
/// A request from the server (a tool's question to its client) is checked as
/// `ElicitRequest`, `CreateMessageRequest` or `ListRootsRequest`; any other fails.
///
/// One allowance: an error answering a message whose id could not be read
/// carries `"id": null`, as JSON-RPC 2.0 requires (and the MCP Python SDK
/// expects), while the MCP schemas model that case as an absent `id`
/// (`RequestId` is a string or an integer). Such a message is validated without
/// its `id`; callers assert the `null` itself.
pub fn assert_valid_message(rev: Revision, message: &Value, result_def: Option<&str>) {
    let check = |def: &str, v: &Value| {
        if let Err(e) = check_against_spec(rev, def, v) {
            panic!("{e}");
        }
    };
    if let Some(error) = message.get("error") {
        let mut m = message.clone();
        if m.get("id") == Some(&Value::Null) {
            m.as_object_mut()
                .expect("an error response is an object")
                .remove("id");
        }
        check("JSONRPCMessage", &m);
        check("JSONRPCErrorResponse", &m);
        assert!(
            message.get("result").is_none(),
            "both result and error: {message}"
        );
        if rev == Revision::R2026_07_28 {
            match error.get("code").and_then(Value::as_i64) {
                Some(-32700) => check("ParseError", error),
                Some(-32600) => check("InvalidRequestError", error),
                Some(-32601) => check("MethodNotFoundError", error),
                Some(-32602) => check("InvalidParamsError", error),
                Some(-32603) => check("InternalError", error),
                Some(-32020) => check("HeaderMismatchError", &m),
                Some(-32021) => check("MissingRequiredClientCapabilityError", &m),
                Some(-32022) => check("UnsupportedProtocolVersionError", &m),
                _ => {}
            }
        }
    } else if let Some(method) = message.get("method")
        && message.get("id").is_some()
    {
        // The server's only requests: a tool's questions to its client (2025-11-25).
        check("JSONRPCMessage", message);
        check("JSONRPCRequest", message);
        match method.as_str() {
            Some("elicitation/create") => check("ElicitRequest", message),
            Some("sampling/createMessage") => check("CreateMessageRequest", message),
            Some("roots/list") => check("ListRootsRequest", message),
            other => panic!("the server sent an unexpected request {other:?}: {message}"),
        }
    } else if let Some(method) = message.get("method") {
        check("JSONRPCMessage", message);
        check("JSONRPCNotification", message);
        match method.as_str() {
            Some("notifications/progress") => check("ProgressNotification", message),
            Some("notifications/message") => check("LoggingMessageNotification", message),
            Some("notifications/cancelled") => check("CancelledNotification", message),
            Some("notifications/resources/updated") => {
                check("ResourceUpdatedNotification", message)
            }
            Some("notifications/subscriptions/acknowledged") => {
                check("SubscriptionsAcknowledgedNotification", message)
            }
            _ => {}
        }
    } else {
        check("JSONRPCResultResponse", message);
        assert_valid(rev, message, result_def);
    }
}
