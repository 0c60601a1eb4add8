//! The bad-input corpus: every case of `tests/corpus/bad_input.json` sent
//! over real HTTP to a server with a few typed tools, each answer checked
//! exactly (status, JSON-RPC error or tool error, id), validated against the
//! official schema, and no answer larger than twice its request plus a
//! small constant (nothing huge is echoed back, and never more than once).
//! After the whole corpus the server must still answer a normal call and
//! `/healthz`.
//!
//! Case format (see the corpus file's `format` member):
//! - `name`, `covers` (what it is about);
//! - the request: `body` (text), `body_base64` (bytes that are not UTF-8), or
//!   `body_parts` (`[{"text": …} | {"repeat": …, "times": n}]`, for bodies
//!   of megabytes); `http_method` (default POST); `path` (default /mcp);
//!   `headers` (set, or remove with `null`); `auth` (`main` default, `acme`
//!   for a key bound to tenant acme, `wrong`, `none`); `revision` (the
//!   schema to validate against, default 2025-11-25); `send`
//!   (`{"declared_length": n}`: declare `n` bytes, send the body, half-close;
//!   with `"head_only": true`, send no body at all);
//! - `expect`: `status`, and one of `error` (`{code, message}`, with `data`
//!   when given; `message_prefix` instead of `message` is supported but no
//!   case uses it), `tool_error` (`{type, message}`), `structured`
//!   (the exact `structuredContent` of a successful call), `result` (the
//!   exact `result`), `empty_body`; plus `id` (the response's id, default 1)
//!   and `headers` (exact values).
//!
//! `BAD_INPUT_PRINT=1 cargo test -p mcp-tests --test bad_input -- --nocapture`
//! prints every actual answer (to write a new case); `BAD_INPUT_ONLY=<name>`
//! runs one case.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use mcp_runtime::ApiKey;
use mcp_runtime::prelude::*;
use mcp_tests::{HttpResponse, Post, Revision, TestServer, assert_valid_message, raw_request};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MAIN_SECRET: &str = "bad-input-main-secret-0123456789";
const ACME_SECRET: &str = "bad-input-acme-secret-0123456789";

// ------------------------------------------------------------------ tools

/// A colour of the product.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Color {
    /// Red.
    Red,
    /// Green.
    Green,
    /// Blue.
    Blue,
}

/// Arguments of `place_order`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PlaceArgs {
    /// Stock-keeping unit: `SKU-` and four digits.
    #[schemars(regex(pattern = r"^SKU-\d{4}$"))]
    sku: String,
    /// Units, 1 to 100.
    #[schemars(range(min = 1, max = 100))]
    quantity: u32,
    /// Colour; default none.
    color: Option<Color>,
    /// A gift note of at most 200 characters.
    #[schemars(length(max = 200))]
    note: Option<String>,
    /// Express shipping; default false.
    express: Option<bool>,
}

/// A placed order.
#[derive(Debug, Serialize, JsonSchema)]
struct Placed {
    /// The SKU.
    sku: String,
    /// Units.
    quantity: u32,
    /// Colour, `null` if none.
    color: Option<Color>,
    /// Gift note, `null` if none.
    note: Option<String>,
    /// Express shipping.
    express: bool,
}

/// Place an order for `quantity` units of `sku` (typed arguments with a
/// pattern, a range, an enum and optional fields; unknown fields refused).
#[mcp_tool]
async fn place_order(args: PlaceArgs) -> Placed {
    Placed {
        sku: args.sku,
        quantity: args.quantity,
        color: args.color,
        note: args.note,
        express: args.express.unwrap_or(false),
    }
}

/// Arguments of `echo` (unknown fields are ignored, as serde does by default).
#[derive(Debug, Deserialize, JsonSchema)]
struct EchoArgs {
    /// Any text.
    text: String,
}

/// The echoed text.
#[derive(Debug, Serialize, JsonSchema)]
struct Echoed {
    /// The text, exactly as received.
    text: String,
    /// Its length in Unicode scalar values.
    chars: usize,
    /// Its length in UTF-8 bytes.
    bytes: usize,
}

/// Return the text exactly as received, with its length.
#[mcp_tool(read_only)]
async fn echo(args: EchoArgs) -> Echoed {
    Echoed {
        chars: args.text.chars().count(),
        bytes: args.text.len(),
        text: args.text,
    }
}

/// The notes database (SQLite in memory).
struct Notes(Mutex<rusqlite::Connection>);

/// Arguments of `find_note`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct FindNote {
    /// The exact title of the note.
    #[schemars(length(min = 1, max = 200))]
    title: String,
}

/// A note.
#[derive(Debug, Serialize, JsonSchema)]
struct Note {
    /// Its title.
    title: String,
    /// Its text.
    body: String,
    /// Notes in the table (shows that no injected statement changed it).
    total_notes: i64,
}

/// Look a note up by its exact title in SQLite (a bound parameter).
#[mcp_tool(read_only)]
async fn find_note(args: FindNote, ctx: ToolContext) -> Result<Note, McpError> {
    let notes = ctx.state::<Notes>()?;
    let conn = notes.0.lock().unwrap_or_else(|e| e.into_inner());
    let total_notes: i64 = conn.query_row("SELECT COUNT(*) FROM notes", [], |r| r.get(0))?;
    let found = conn.query_row(
        "SELECT title, body FROM notes WHERE title = ?1",
        [&args.title],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
    );
    match found {
        Ok((title, body)) => Ok(Note {
            title,
            body,
            total_notes,
        }),
        Err(rusqlite::Error::QueryReturnedNoRows) => {
            Err(McpError::not_found("no note has that title"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Arguments of `read_doc`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReadDoc {
    /// The document's path, e.g. `guide.md`.
    path: String,
}

/// A document.
#[derive(Debug, Serialize, JsonSchema)]
struct Doc {
    /// Its path.
    path: String,
    /// Its text.
    text: String,
}

/// Read one of the server's documents by path (a lookup, never the file system).
#[mcp_tool(read_only)]
async fn read_doc(args: ReadDoc) -> Result<Doc, McpError> {
    match args.path.as_str() {
        "guide.md" => Ok(Doc {
            path: args.path,
            text: "# Guide".into(),
        }),
        _ => Err(McpError::not_found("no such document")),
    }
}

/// Arguments of `tags`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct TagArgs {
    /// Free-form tags: any names, string values.
    tags: BTreeMap<String, String>,
}

/// The tags received.
#[derive(Debug, Serialize, JsonSchema)]
struct Tags {
    /// How many.
    count: usize,
    /// The tags, as received.
    tags: BTreeMap<String, String>,
}

/// Return the tags as received.
#[mcp_tool(read_only)]
async fn tags(args: TagArgs) -> Tags {
    Tags {
        count: args.tags.len(),
        tags: args.tags,
    }
}

/// Arguments of `measure`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct MeasureArgs {
    /// Any 64-bit float.
    value: f64,
    /// Any 64-bit signed integer.
    count: i64,
}

/// The numbers received.
#[derive(Debug, Serialize, JsonSchema)]
struct Measured {
    /// `value`, as parsed.
    value: f64,
    /// `count`, as parsed.
    count: i64,
}

/// Return the numbers as parsed.
#[mcp_tool(read_only)]
async fn measure(args: MeasureArgs) -> Measured {
    Measured {
        value: args.value,
        count: args.count,
    }
}

/// Who is calling.
#[derive(Debug, Serialize, JsonSchema)]
struct Caller {
    /// The injected tenant, `null` if none.
    tenant: Option<String>,
    /// The injected workspace, `null` if none.
    workspace: Option<String>,
    /// The name of the key that authenticated the call.
    key: Option<String>,
}

/// The injected tenant and workspace and the key name of the call.
#[mcp_tool(read_only)]
async fn whoami(ctx: ToolContext) -> Caller {
    Caller {
        tenant: ctx.tenant_id().map(str::to_owned),
        workspace: ctx.workspace_id().map(str::to_owned),
        key: ctx.key().map(|k| k.name.clone()),
    }
}

/// Always panics.
#[mcp_tool]
async fn boom() -> ToolOutput {
    panic!("boom: the tool failed on purpose")
}

/// Arguments of `nap`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NapArgs {
    /// Milliseconds to sleep, at most 10000.
    #[schemars(range(max = 10000))]
    ms: u64,
}

/// Sleep `ms` milliseconds (the server's call timeout is 300 ms).
#[mcp_tool(read_only)]
async fn nap(args: NapArgs) -> ToolOutput {
    tokio::time::sleep(Duration::from_millis(args.ms)).await;
    ToolOutput::text("rested")
}

fn notes() -> Notes {
    let conn = rusqlite::Connection::open_in_memory().expect("in-memory SQLite");
    conn.execute_batch(
        "CREATE TABLE notes (title TEXT PRIMARY KEY, body TEXT NOT NULL);
         INSERT INTO notes VALUES ('groceries', 'milk, eggs'), ('todo', 'fix the fence');",
    )
    .expect("schema");
    Notes(Mutex::new(conn))
}

fn server() -> Server {
    Server::builder("bad-input", "1.0.0")
        .api_key(ApiKey::new("main", MAIN_SECRET).expect("valid key"))
        .api_key(
            ApiKey::new("acme-only", ACME_SECRET)
                .expect("valid key")
                .with_tenants(["acme"]),
        )
        .keys_from_env(false)
        .call_timeout(Duration::from_millis(300))
        .state(notes())
        .build()
        .expect("valid tools")
}

// ------------------------------------------------------------------ cases

fn load_cases() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/bad_input.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} not readable: {e}", path.display()));
    let corpus: Value = serde_json::from_str(&text).expect("the corpus is JSON");
    corpus["cases"]
        .as_array()
        .expect("`cases` is an array")
        .clone()
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("bad base64 character {c}"),
        }
    };
    let bytes: Vec<u8> = s.bytes().filter(|&b| b != b'=').collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= val(c) << (18 - 6 * i);
        }
        let b = n.to_be_bytes();
        out.extend_from_slice(&b[1..chunk.len()]);
    }
    out
}

fn body_of(case: &Value) -> Vec<u8> {
    if let Some(b) = case.get("body").and_then(Value::as_str) {
        return b.as_bytes().to_vec();
    }
    if let Some(b) = case.get("body_base64").and_then(Value::as_str) {
        return base64_decode(b);
    }
    if let Some(parts) = case.get("body_parts").and_then(Value::as_array) {
        let mut out = Vec::new();
        for p in parts {
            if let Some(t) = p.get("text").and_then(Value::as_str) {
                out.extend_from_slice(t.as_bytes());
            } else {
                let unit = p["repeat"].as_str().expect("`repeat` or `text`");
                let times = p["times"].as_u64().expect("`times`") as usize;
                out.extend_from_slice(unit.repeat(times).as_bytes());
            }
        }
        return out;
    }
    panic!("case {} has no body", case["name"]);
}

fn request_of(case: &Value) -> Post {
    let mut post = Post::new(body_of(case));
    if let Some(m) = case.get("http_method").and_then(Value::as_str) {
        post = post.method(m);
    }
    if let Some(p) = case.get("path").and_then(Value::as_str) {
        post = post.path(p);
    }
    post = match case.get("auth").and_then(Value::as_str).unwrap_or("main") {
        "main" => post.bearer(MAIN_SECRET),
        "acme" => post.bearer(ACME_SECRET),
        "wrong" => post.bearer("not-the-key-0123456789abcdef"),
        "none" => post,
        other => panic!("unknown auth {other}"),
    };
    if let Some(Value::Object(h)) = case.get("headers") {
        for (name, value) in h {
            post = match value {
                Value::Null => post.without(name),
                Value::String(v) => post.header(name, v),
                other => panic!("header {name}: {other}"),
            };
        }
    }
    post
}

/// Declare `declared` bytes of body, then send the body and half-close
/// (`head_only`: send no body and keep the connection open); read the answer.
async fn send_declared(
    addr: std::net::SocketAddr,
    post: &Post,
    declared: usize,
    head_only: bool,
) -> HttpResponse {
    let full = post.to_bytes(&addr.to_string());
    let text = String::from_utf8_lossy(&full).into_owned();
    let head_end = text.find("\r\n\r\n").expect("head") + 4;
    let body = &full[head_end..];
    let head = text[..head_end].replace(
        &format!("Content-Length: {}\r\n", body.len()),
        &format!("Content-Length: {declared}\r\n"),
    );
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write head");
    if !head_only {
        stream.write_all(body).await.expect("write body");
        stream.shutdown().await.expect("half-close");
    }
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf))
        .await
        .expect("an answer within 10 s")
        .expect("read");
    if buf.is_empty() {
        // The connection was closed without an answer.
        return HttpResponse {
            status: 0,
            headers: Vec::new(),
            body: Vec::new(),
        };
    }
    mcp_tests::parse_response(&buf)
}

fn revision_of(case: &Value) -> Revision {
    match case.get("revision").and_then(Value::as_str) {
        None | Some("2025-11-25") => Revision::R2025_11_25,
        Some("2026-07-28") => Revision::R2026_07_28,
        Some(other) => panic!("unknown revision {other}"),
    }
}

/// Check one answer against its case; `Err` says what differs.
fn check(case: &Value, request_len: usize, resp: &HttpResponse) -> Result<(), String> {
    let expect = &case["expect"];
    let status = expect["status"].as_u64().expect("expect.status") as u16;
    if resp.status != status {
        return Err(format!("status {} (expected {status})", resp.status));
    }
    if let Some(Value::Object(h)) = expect.get("headers") {
        for (name, value) in h {
            let got = resp.header(name);
            if got != value.as_str() {
                return Err(format!("header {name}: {got:?} (expected {value})"));
            }
        }
    }
    // Nothing the client sent is echoed back at length (a successful result
    // carries its value twice: as `structuredContent` and as text).
    if resp.body.len() > 2 * request_len + 4096 {
        return Err(format!(
            "answer of {} bytes to a request of {request_len}",
            resp.body.len()
        ));
    }
    if expect.get("empty_body") == Some(&json!(true)) {
        return if resp.body.is_empty() {
            Ok(())
        } else {
            Err(format!("expected no body, got {}", resp.text()))
        };
    }
    let ct = resp.header("content-type").unwrap_or("");
    if ct != "application/json" {
        return Err(format!("content-type {ct:?}: {}", resp.text()));
    }
    let msg: Value = serde_json::from_slice(&resp.body)
        .map_err(|e| format!("body is not JSON ({e}): {}", resp.text()))?;
    let rev = revision_of(case);
    let result_def = if expect.get("tool_error").is_some() || expect.get("structured").is_some() {
        Some("CallToolResult")
    } else {
        None
    };
    std::panic::catch_unwind(|| assert_valid_message(rev, &msg, result_def))
        .map_err(|_| format!("not valid against the {rev:?} schema: {msg}"))?;
    let id = expect.get("id").cloned().unwrap_or(json!(1));
    if msg.get("id") != Some(&id) {
        return Err(format!("id {:?} (expected {id}): {msg}", msg.get("id")));
    }
    if let Some(err) = expect.get("error") {
        let got = msg
            .get("error")
            .ok_or_else(|| format!("expected an error: {msg}"))?;
        if got["code"] != err["code"] {
            return Err(format!(
                "error code {} (expected {}): {msg}",
                got["code"], err["code"]
            ));
        }
        let message = got["message"].as_str().unwrap_or("");
        match (err.get("message"), err.get("message_prefix")) {
            (Some(m), _) if m.as_str() != Some(message) => {
                return Err(format!("error message {message:?} (expected {m})"));
            }
            (None, Some(p)) if !message.starts_with(p.as_str().unwrap_or("")) => {
                return Err(format!("error message {message:?} (expected prefix {p})"));
            }
            (None, None) => panic!(
                "case {}: expect.error needs message or message_prefix",
                case["name"]
            ),
            _ => {}
        }
        if let Some(data) = err.get("data")
            && got.get("data") != Some(data)
        {
            return Err(format!(
                "error data {:?} (expected {data})",
                got.get("data")
            ));
        }
        return Ok(());
    }
    let result = msg
        .get("result")
        .ok_or_else(|| format!("expected a result: {msg}"))?;
    if let Some(want) = expect.get("result") {
        return if result == want {
            Ok(())
        } else {
            Err(format!("result {result} (expected {want})"))
        };
    }
    let is_error = result.get("isError") == Some(&json!(true));
    if let Some(te) = expect.get("tool_error") {
        if !is_error {
            return Err(format!("expected a tool error: {result}"));
        }
        let text = result
            .pointer("/content/0/text")
            .and_then(Value::as_str)
            .unwrap_or("");
        let parsed: Value = serde_json::from_str(text)
            .map_err(|e| format!("error text is not JSON ({e}): {text}"))?;
        let e = &parsed["error"];
        if e["type"] != te["type"] {
            return Err(format!(
                "tool error type {} (expected {})",
                e["type"], te["type"]
            ));
        }
        let message = e["message"].as_str().unwrap_or("");
        match (te.get("message"), te.get("message_prefix")) {
            (Some(m), _) if m.as_str() != Some(message) => {
                return Err(format!("tool error message {message:?} (expected {m})"));
            }
            (None, Some(p)) if !message.starts_with(p.as_str().unwrap_or("")) => {
                return Err(format!(
                    "tool error message {message:?} (expected prefix {p})"
                ));
            }
            (None, None) => panic!("case {}: expect.tool_error needs message", case["name"]),
            _ => {}
        }
        return Ok(());
    }
    if let Some(want) = expect.get("structured") {
        if is_error {
            return Err(format!("unexpected tool error: {result}"));
        }
        let got = result.get("structuredContent").unwrap_or(&Value::Null);
        return if got == want {
            Ok(())
        } else {
            Err(format!("structuredContent {got} (expected {want})"))
        };
    }
    panic!(
        "case {}: expect needs error, tool_error, structured, result or empty_body",
        case["name"]
    );
}

fn describe(resp: &HttpResponse) -> String {
    let mut text = resp.text();
    if text.len() > 2000 {
        let mut end = 2000;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    format!("{} {:?} {text}", resp.status, resp.header("content-type"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_corpus() {
    let cases = load_cases();
    let only = std::env::var("BAD_INPUT_ONLY").ok();
    let print = std::env::var_os("BAD_INPUT_PRINT").is_some();
    if only.is_none() {
        assert!(cases.len() >= 60, "the corpus has {} cases", cases.len());
    }
    let mut names = std::collections::HashSet::new();
    for c in &cases {
        let name = c["name"].as_str().expect("every case has a name");
        assert!(names.insert(name.to_owned()), "duplicate case name {name}");
        assert!(c.get("expect").is_some(), "case {name} has no expect");
    }
    let srv = TestServer::start(server()).await;
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let post = request_of(case);
        let request_len = post.to_bytes(&srv.addr.to_string()).len();
        let resp = match case
            .pointer("/send/declared_length")
            .and_then(Value::as_u64)
        {
            Some(n) => {
                let head_only = case.pointer("/send/head_only") == Some(&json!(true));
                send_declared(srv.addr, &post, n as usize, head_only).await
            }
            None => post.send(srv.addr).await,
        };
        if print {
            println!("{name}: {}", describe(&resp));
        }
        if let Err(e) = check(case, request_len, &resp) {
            failures.push(format!("{name}: {e}\n    got: {}", describe(&resp)));
        }
    }
    // The server is still up and serving normal calls.
    let ok = Post::json(&json!({
        "jsonrpc": "2.0", "id": "after", "method": "tools/call",
        "params": { "name": "find_note", "arguments": { "title": "todo" } }
    }))
    .bearer(MAIN_SECRET)
    .send(srv.addr)
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let msg = ok.json();
    assert_valid_message(Revision::R2025_11_25, &msg, Some("CallToolResult"));
    assert_eq!(
        msg["result"]["structuredContent"],
        json!({ "title": "todo", "body": "fix the fence", "total_notes": 2 }),
        "the notes table is intact after the injection attempts"
    );
    let health = raw_request(
        srv.addr,
        format!(
            "GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            srv.addr
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(health.status, 200);
    srv.stop().await.expect("clean shutdown");
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
