//! The protocol over Streamable HTTP, byte by byte: JSON-RPC core, the
//! handshake era (validated against the official 2025-11-25 schema), the
//! stateless era (2026-07-28 schema) and the HTTP transport rules.
//!
//! Every message the server sends is validated against the official schema of
//! the revision in use, errors included (see [`mcp_tests::assert_valid_message`]
//! for the one place where JSON-RPC 2.0 and the MCP schema disagree: `"id": null`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mcp_runtime::ApiKey;
use mcp_runtime::prelude::*;
use mcp_tests::{
    HttpResponse, Post, Revision, TestServer, assert_valid_message, meta_2026, raw_request,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

// ----------------------------------------------------------------- tools

/// A 32-character bearer secret for the test key.
const SECRET: &str = "proto-test-secret-0123456789abcd";
const INSTRUCTIONS: &str =
    "Protocol test tools: add numbers, count with progress, log, fail, wait.";
const LEGACY: Revision = Revision::R2025_11_25;
const STATELESS: Revision = Revision::R2026_07_28;
const ALL_VERSIONS: [&str; 5] = [
    "2026-07-28",
    "2025-11-25",
    "2025-06-18",
    "2025-03-26",
    "2024-11-05",
];

// The shared protocol test tools (add, log_levels, progress_steps, slow) and
// this suite's own `fail`: the five tools this binary serves.
#[path = "../fixtures/protocol_tools.rs"]
mod tools;

use tools::Probe;

/// Always fails with `not_found`.
#[mcp_tool(read_only)]
async fn fail() -> Result<ToolOutput, McpError> {
    Err(McpError::not_found("the thing does not exist"))
}

// ----------------------------------------------------------------- helpers

fn build(probe: &Arc<Probe>) -> Server {
    Server::builder("proto-test", "1.2.3")
        .instructions(INSTRUCTIONS)
        .api_key(ApiKey::new("test", SECRET).expect("a valid key"))
        .keys_from_env(false)
        .page_size(2)
        .state(probe.clone())
        .build()
        .expect("valid tools")
}

async fn start() -> (TestServer, Arc<Probe>) {
    let probe = Arc::new(Probe::default());
    (TestServer::start(build(&probe)).await, probe)
}

/// A JSON-RPC request.
fn rpc(id: Value, method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

/// A 2026-07-28 request: `params` with the standard `_meta` merged in (keys
/// of `params._meta` win).
fn srpc(id: Value, method: &str, mut params: Value) -> Value {
    let mut meta = meta_2026();
    if let Some(Value::Object(extra)) = params.get("_meta") {
        for (k, v) in extra {
            meta[k] = v.clone();
        }
    }
    params["_meta"] = meta;
    rpc(id, method, params)
}

/// A handshake-era POST (after initialize: with the negotiated version header).
fn legacy(body: &Value) -> Post {
    Post::json(body)
        .bearer(SECRET)
        .header("MCP-Protocol-Version", "2025-11-25")
}

/// A 2026-07-28 POST with the headers the body calls for.
fn stateless(body: &Value) -> Post {
    let method = body["method"].as_str().expect("a request");
    let name = body["params"]["name"].as_str();
    Post::json(body)
        .bearer(SECRET)
        .stateless(method, if method == "tools/call" { name } else { None })
}

/// Validate one server message against the official schema of `rev` (see
/// [`mcp_tests::assert_valid_message`], also for the `"id": null` allowance);
/// the only notifications this server sends are progress and log messages.
fn validate(rev: Revision, msg: &Value, result_def: Option<&str>) {
    assert_valid_message(rev, msg, result_def);
    if let Some(method) = msg.get("method").and_then(Value::as_str) {
        assert!(
            ["notifications/progress", "notifications/message"].contains(&method),
            "unexpected notification: {msg}"
        );
    }
}

/// Every message of a response, each validated (see [`validate`]).
fn checked(rev: Revision, resp: &HttpResponse, result_def: Option<&str>) -> Vec<Value> {
    let msgs = resp.messages();
    for m in &msgs {
        validate(rev, m, result_def);
    }
    msgs
}

/// The one message of a plain JSON response, validated.
fn single(rev: Revision, resp: &HttpResponse, result_def: Option<&str>) -> Value {
    assert_eq!(
        resp.header("content-type"),
        Some("application/json"),
        "{resp:?}"
    );
    let msgs = checked(rev, resp, result_def);
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    msgs.into_iter().next().expect("one message")
}

/// Assert `msg` is exactly the error `{code, message, data?}` for `id`, where the
/// message is any non-empty text; returns the message.
fn error_of(msg: &Value, id: Value, code: i64, data: Option<Value>) -> String {
    let text = msg["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("an error message: {msg}"))
        .to_owned();
    assert!(!text.is_empty(), "{msg}");
    let mut error = json!({ "code": code, "message": text });
    if let Some(d) = data {
        error["data"] = d;
    }
    assert_eq!(
        msg,
        &json!({ "jsonrpc": "2.0", "id": id, "error": error }),
        "for code {code}"
    );
    text
}

/// A result response for `id`.
fn result_of(id: Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

/// Poll `flag` until it is set (5 s at most).
async fn wait_for(flag: &AtomicBool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !flag.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The text of the error result a tool error becomes.
fn error_result(kind: &str, message: &str) -> Value {
    let text = json!({ "error": { "type": kind, "message": message } }).to_string();
    json!({ "content": [{ "type": "text", "text": text }], "isError": true })
}

fn server_info_meta() -> Value {
    json!({ "io.modelcontextprotocol/serverInfo": { "name": "proto-test", "version": "1.2.3" } })
}

fn progress(token: Value, n: f64, total: Option<f64>, message: &str) -> Value {
    let mut params = json!({ "progressToken": token, "progress": n, "message": message });
    if let Some(t) = total {
        params["total"] = json!(t);
    }
    json!({ "jsonrpc": "2.0", "method": "notifications/progress", "params": params })
}

fn log_message(level: &str) -> Value {
    json!({
        "jsonrpc": "2.0",
        "method": "notifications/message",
        "params": { "level": level, "logger": "log_levels", "data": format!("{level} message") }
    })
}

// ------------------------------------------------------ JSON-RPC core

#[tokio::test]
async fn malformed_json_is_a_parse_error_with_a_null_id() {
    let (srv, _) = start().await;
    for body in [
        &b"{"[..],
        b"not json",
        br#"{"jsonrpc":"2.0","id":1,"method":"ping""#,
        br#"{"jsonrpc":"2.0","id":1,"method":"ping"} trailing"#,
        br#"{"jsonrpc":"2.0","id":1,"method":"ping",}"#,
        b"",
        b"[",
        br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
        br#"[1, 2,]"#,
    ] {
        let resp = Post::new(body.to_vec())
            .bearer(SECRET)
            .header("MCP-Protocol-Version", "2025-11-25")
            .send(srv.addr)
            .await;
        assert_eq!(resp.status, 400, "{}", String::from_utf8_lossy(body));
        let msg = single(LEGACY, &resp, None);
        let text = error_of(&msg, Value::Null, -32700, None);
        assert!(text.starts_with("parse error: "), "{text}");
    }
}

#[tokio::test]
async fn invalid_requests_are_rejected_with_32600() {
    let (srv, _) = start().await;
    let cases = [
        // (body, the id the error must carry)
        (json!({ "id": 1, "method": "ping" }), json!(1)),
        (
            json!({ "jsonrpc": "1.0", "id": 2, "method": "ping" }),
            json!(2),
        ),
        (
            json!({ "jsonrpc": 2.0, "id": 3, "method": "ping" }),
            json!(3),
        ),
        (json!({ "jsonrpc": "2.0", "id": 4 }), json!(4)),
        (json!({ "jsonrpc": "2.0", "id": 5, "method": 5 }), json!(5)),
        (
            json!({ "jsonrpc": "2.0", "id": 6, "method": null }),
            json!(6),
        ),
        (
            json!({ "jsonrpc": "2.0", "id": 7, "method": "ping", "params": "x" }),
            json!(7),
        ),
        (
            json!({ "jsonrpc": "2.0", "id": 8, "method": "ping", "params": 8 }),
            json!(8),
        ),
        (
            json!({ "jsonrpc": "2.0", "id": 9, "method": "ping", "params": [] }),
            json!(9),
        ),
        (
            json!({ "jsonrpc": "2.0", "id": 10, "method": "tools/list", "params": [{}] }),
            json!(10),
        ),
        (
            json!({ "jsonrpc": "2.0", "id": true, "method": "ping" }),
            Value::Null,
        ),
        (
            json!({ "jsonrpc": "2.0", "id": { "n": 1 }, "method": "ping" }),
            Value::Null,
        ),
        (
            json!({ "jsonrpc": "2.0", "id": [1], "method": "ping" }),
            Value::Null,
        ),
        (
            json!({ "jsonrpc": "2.0", "id": 1.5, "method": "ping" }),
            Value::Null,
        ),
        (
            json!({ "jsonrpc": "2.0", "id": null, "method": "ping" }),
            Value::Null,
        ),
        (json!("ping"), Value::Null),
        (json!(42), Value::Null),
        (Value::Null, Value::Null),
    ];
    for (body, id) in cases {
        let resp = legacy(&body).send(srv.addr).await;
        assert_eq!(resp.status, 400, "{body}");
        let msg = single(LEGACY, &resp, None);
        let text = error_of(&msg, id, -32600, None);
        assert!(text.starts_with("invalid request"), "{body}: {text}");
    }
    // A float with an exponent is not an integer id either.
    let resp = Post::new(br#"{"jsonrpc":"2.0","id":1e3,"method":"ping"}"#.to_vec())
        .bearer(SECRET)
        .send(srv.addr)
        .await;
    assert_eq!(resp.status, 400);
    error_of(&single(LEGACY, &resp, None), Value::Null, -32600, None);
}

#[tokio::test]
async fn batch_arrays_are_refused_with_a_clear_message() {
    let (srv, _) = start().await;
    let ping = rpc(json!(1), "ping", json!({}));
    let seven: Vec<Value> = (0..7).map(|i| rpc(json!(i), "ping", json!({}))).collect();
    for body in [
        json!([ping]),
        json!([ping, rpc(json!(2), "tools/list", json!({}))]),
        json!([]),
        json!(seven),
        json!([1, 2, 3]),
    ] {
        let resp = legacy(&body).send(srv.addr).await;
        assert_eq!(resp.status, 400, "{body}");
        let msg = single(LEGACY, &resp, None);
        assert_eq!(
            error_of(&msg, Value::Null, -32600, None),
            "invalid request: batch arrays are not supported; send one JSON-RPC message per request",
            "{body}"
        );
    }
}

#[tokio::test]
async fn unknown_methods_are_32601_with_http_200_in_the_handshake_era() {
    let (srv, _) = start().await;
    for (id, method) in [
        (json!(1), "no/such/method"),
        (json!("x"), "resources/list"),
        (json!(3), "prompts/get"),
        (json!(4), "server/hello"),
    ] {
        let resp = legacy(&rpc(id.clone(), method, json!({})))
            .send(srv.addr)
            .await;
        assert_eq!(resp.status, 200, "{method}");
        let msg = single(LEGACY, &resp, None);
        assert_eq!(
            error_of(&msg, id, -32601, None),
            format!("method not found: {method}")
        );
    }
}

#[tokio::test]
async fn request_ids_are_echoed_exactly() {
    let (srv, _) = start().await;
    for (raw, id) in [
        (r#""abc""#, json!("abc")),
        (r#""""#, json!("")),
        (
            r#""id with \"quotes\" and ü""#,
            json!("id with \"quotes\" and ü"),
        ),
        ("7", json!(7)),
        ("0", json!(0)),
        ("-12", json!(-12)),
        ("9007199254740993", json!(9_007_199_254_740_993_u64)),
        ("-9007199254740993", json!(-9_007_199_254_740_993_i64)),
    ] {
        let body = format!(r#"{{"jsonrpc":"2.0","id":{raw},"method":"ping"}}"#);
        let resp = Post::new(body.into_bytes())
            .bearer(SECRET)
            .header("MCP-Protocol-Version", "2025-11-25")
            .send(srv.addr)
            .await;
        assert_eq!(resp.status, 200, "{raw}");
        // The id comes back byte for byte, not re-encoded through a float.
        let text = resp.text();
        assert!(text.contains(&format!(r#""id":{raw}"#)), "{raw}: {text}");
        let msg = single(LEGACY, &resp, Some("EmptyResult"));
        assert_eq!(msg, result_of(id.clone(), json!({})));
        // And in errors.
        let body = format!(r#"{{"jsonrpc":"2.0","id":{raw},"method":"nope"}}"#);
        let resp = Post::new(body.into_bytes())
            .bearer(SECRET)
            .send(srv.addr)
            .await;
        error_of(&single(LEGACY, &resp, None), id, -32601, None);
    }
}

#[tokio::test]
async fn invalid_params_are_32602() {
    let (srv, _) = start().await;
    let cases = [
        (
            json!({ "name": "nope", "arguments": {} }),
            "unknown tool: nope",
        ),
        (
            json!({ "name": "add", "arguments": [1, 2] }),
            "tools/call `arguments` must be an object",
        ),
        (
            json!({ "name": "add", "arguments": "a=1" }),
            "tools/call `arguments` must be an object",
        ),
        (
            json!({ "name": "add", "arguments": 3 }),
            "tools/call `arguments` must be an object",
        ),
    ];
    for (i, (params, message)) in cases.into_iter().enumerate() {
        let id = json!(i);
        let resp = legacy(&rpc(id.clone(), "tools/call", params.clone()))
            .send(srv.addr)
            .await;
        assert_eq!(resp.status, 200, "{params}");
        assert_eq!(
            error_of(&single(LEGACY, &resp, None), id, -32602, None),
            message
        );
    }
    // Params the method cannot use at all: message not pinned.
    for params in [
        json!({ "arguments": {} }),
        json!({ "name": 5 }),
        json!({ "name": null, "arguments": {} }),
    ] {
        let resp = legacy(&rpc(json!("p"), "tools/call", params.clone()))
            .send(srv.addr)
            .await;
        assert_eq!(resp.status, 200, "{params}");
        error_of(&single(LEGACY, &resp, None), json!("p"), -32602, None);
    }
    let resp = legacy(&json!({ "jsonrpc": "2.0", "id": 40, "method": "tools/call" }))
        .send(srv.addr)
        .await;
    assert_eq!(resp.status, 200);
    error_of(&single(LEGACY, &resp, None), json!(40), -32602, None);
    // Bad cursors.
    for cursor in [
        json!("garbage"),
        json!(""),
        json!("o1"),
        json!("o99"),
        json!(2),
    ] {
        let resp = legacy(&rpc(json!(50), "tools/list", json!({ "cursor": cursor })))
            .send(srv.addr)
            .await;
        assert_eq!(resp.status, 200, "{cursor}");
        let text = error_of(&single(LEGACY, &resp, None), json!(50), -32602, None);
        assert!(text.starts_with("invalid cursor"), "{cursor}: {text}");
    }
}

#[tokio::test]
async fn notifications_and_client_responses_get_202_with_an_empty_body() {
    let (srv, _) = start().await;
    for body in [
        json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
        json!({ "jsonrpc": "2.0", "method": "notifications/initialized", "params": {} }),
        json!({ "jsonrpc": "2.0", "method": "notifications/cancelled", "params": { "requestId": 99 } }),
        json!({ "jsonrpc": "2.0", "method": "notifications/progress", "params": { "progressToken": 1, "progress": 1 } }),
        json!({ "jsonrpc": "2.0", "method": "notifications/roots/list_changed" }),
        json!({ "jsonrpc": "2.0", "method": "some/unknown/notification" }),
        // Responses from the client: this server sends no requests, nothing awaits them.
        json!({ "jsonrpc": "2.0", "id": 5, "result": {} }),
        json!({ "jsonrpc": "2.0", "id": "s-1", "error": { "code": -1, "message": "no" } }),
    ] {
        let resp = legacy(&body).send(srv.addr).await;
        assert_eq!(resp.status, 202, "{body}");
        assert!(resp.body.is_empty(), "{body}: {}", resp.text());
        assert!(resp.messages().is_empty());
    }
}

// ------------------------------------------------------ handshake era

fn initialize(id: i64, version: &str) -> Value {
    rpc(
        json!(id),
        "initialize",
        json!({
            "protocolVersion": version,
            "capabilities": { "sampling": {}, "elicitation": {} },
            "clientInfo": { "name": "mcp-tests", "version": "1.0.0" }
        }),
    )
}

fn initialize_result(version: &str) -> Value {
    json!({
        "protocolVersion": version,
        "capabilities": { "tools": { "listChanged": false }, "logging": {} },
        "serverInfo": { "name": "proto-test", "version": "1.2.3" },
        "instructions": INSTRUCTIONS
    })
}

#[tokio::test]
async fn initialize_echoes_supported_versions_and_offers_the_newest_otherwise() {
    let (srv, _) = start().await;
    let cases = [
        ("2024-11-05", "2024-11-05"),
        ("2025-03-26", "2025-03-26"),
        ("2025-06-18", "2025-06-18"),
        ("2025-11-25", "2025-11-25"),
        ("2099-01-01", "2025-11-25"),
        ("2026-07-28", "2025-11-25"),
        ("1.0", "2025-11-25"),
    ];
    for (i, (asked, answered)) in cases.into_iter().enumerate() {
        let id = i as i64 + 1;
        // The initialize request carries no protocol header: nothing is negotiated yet.
        let resp = Post::json(&initialize(id, asked))
            .bearer(SECRET)
            .send(srv.addr)
            .await;
        assert_eq!(resp.status, 200, "{asked}");
        assert_eq!(resp.header("mcp-session-id"), None, "stateless: no session");
        let msg = single(LEGACY, &resp, Some("InitializeResult"));
        assert_eq!(
            msg,
            result_of(json!(id), initialize_result(answered)),
            "{asked}"
        );
    }
    // No params, or no version, is invalid.
    for (id, body) in [
        (
            json!(20),
            json!({ "jsonrpc": "2.0", "id": 20, "method": "initialize" }),
        ),
        (
            json!(21),
            rpc(json!(21), "initialize", json!({ "capabilities": {} })),
        ),
        (
            json!(22),
            rpc(json!(22), "initialize", json!({ "protocolVersion": 2025 })),
        ),
    ] {
        let resp = Post::json(&body).bearer(SECRET).send(srv.addr).await;
        assert_eq!(resp.status, 200, "{body}");
        error_of(&single(LEGACY, &resp, None), id, -32602, None);
    }
}

#[tokio::test]
async fn a_full_handshake_session() {
    let (srv, _) = start().await;
    let resp = Post::json(&initialize(0, "2025-11-25"))
        .bearer(SECRET)
        .send(srv.addr)
        .await;
    assert_eq!(
        single(LEGACY, &resp, Some("InitializeResult")),
        result_of(json!(0), initialize_result("2025-11-25"))
    );
    let resp = legacy(&json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }))
        .send(srv.addr)
        .await;
    assert_eq!((resp.status, resp.body.len()), (202, 0));
    for (id, params) in [(json!(1), Some(json!({}))), (json!(2), None)] {
        let mut body = json!({ "jsonrpc": "2.0", "id": id, "method": "ping" });
        if let Some(p) = params {
            body["params"] = p;
        }
        let resp = legacy(&body).send(srv.addr).await;
        assert_eq!(resp.status, 200);
        // Exactly `{}`: not even `_meta`.
        assert_eq!(
            single(LEGACY, &resp, Some("EmptyResult")),
            result_of(id, json!({}))
        );
    }
    let resp = legacy(&rpc(
        json!(3),
        "tools/call",
        json!({ "name": "add", "arguments": { "a": 1, "b": 2 } }),
    ))
    .send(srv.addr)
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        single(LEGACY, &resp, Some("CallToolResult"))["result"]["structuredContent"],
        json!({ "sum": 3 })
    );
}

#[tokio::test]
async fn set_level_filters_the_log_notifications_of_later_calls() {
    let (srv, _) = start().await;
    let call = |id: i64| {
        rpc(
            json!(id),
            "tools/call",
            json!({ "name": "log_levels", "arguments": {} }),
        )
    };
    let set_level =
        |id: i64, level: &str| rpc(json!(id), "logging/setLevel", json!({ "level": level }));

    let resp = legacy(&set_level(1, "warning")).send(srv.addr).await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        single(LEGACY, &resp, Some("EmptyResult")),
        result_of(json!(1), json!({}))
    );
    let done = json!({ "content": [{ "type": "text", "text": "logged" }] });
    let resp = legacy(&call(2)).send(srv.addr).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("text/event-stream"));
    let msgs = checked(LEGACY, &resp, Some("CallToolResult"));
    assert_eq!(
        msgs,
        [
            log_message("warning"),
            log_message("error"),
            result_of(json!(2), done.clone())
        ]
    );

    let resp = legacy(&set_level(3, "debug")).send(srv.addr).await;
    assert_eq!(
        single(LEGACY, &resp, Some("EmptyResult")),
        result_of(json!(3), json!({}))
    );
    let resp = legacy(&call(4)).send(srv.addr).await;
    let msgs = checked(LEGACY, &resp, Some("CallToolResult"));
    assert_eq!(
        msgs,
        [
            log_message("debug"),
            log_message("info"),
            log_message("notice"),
            log_message("warning"),
            log_message("error"),
            result_of(json!(4), done.clone())
        ]
    );

    // Above every message the tool sends: a plain JSON answer.
    let resp = legacy(&set_level(5, "emergency")).send(srv.addr).await;
    single(LEGACY, &resp, Some("EmptyResult"));
    let resp = legacy(&call(6)).send(srv.addr).await;
    assert_eq!(
        single(LEGACY, &resp, Some("CallToolResult")),
        result_of(json!(6), done)
    );

    // Unknown levels are invalid params.
    for (id, params) in [
        (7, json!({ "level": "verbose" })),
        (8, json!({ "level": 3 })),
        (9, json!({})),
    ] {
        let resp = legacy(&rpc(json!(id), "logging/setLevel", params))
            .send(srv.addr)
            .await;
        assert_eq!(resp.status, 200);
        error_of(&single(LEGACY, &resp, None), json!(id), -32602, None);
    }
}

fn add_definition() -> Value {
    json!({
        "name": "add",
        "description": "Add two integers.",
        "inputSchema": {
            "type": "object",
            "additionalProperties": false,
            "required": ["a", "b"],
            "properties": {
                "a": { "type": "integer", "description": "The first addend." },
                "b": { "type": "integer", "description": "The second addend." }
            }
        },
        "outputSchema": {
            "type": "object",
            "description": "A sum.",
            "required": ["sum"],
            "properties": {
                "sum": { "type": "integer", "description": "`a + b`." }
            }
        },
        "annotations": { "readOnlyHint": true, "idempotentHint": true }
    })
}

/// Walk `tools/list` pages from the first; returns each page's result.
async fn walk_pages(srv: &TestServer, rev: Revision) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut cursor: Option<Value> = None;
    for id in 1.. {
        assert!(id < 10, "pagination does not end");
        let params = match &cursor {
            Some(c) => json!({ "cursor": c }),
            None => json!({}),
        };
        let resp = if rev == LEGACY {
            legacy(&rpc(json!(id), "tools/list", params))
                .send(srv.addr)
                .await
        } else {
            stateless(&srpc(json!(id), "tools/list", params))
                .send(srv.addr)
                .await
        };
        assert_eq!(resp.status, 200);
        let msg = single(rev, &resp, Some("ListToolsResult"));
        assert_eq!(msg["id"], json!(id));
        let result = msg["result"].clone();
        cursor = result.get("nextCursor").cloned();
        pages.push(result);
        if cursor.is_none() {
            break;
        }
    }
    pages
}

#[tokio::test]
async fn tools_list_pages_through_every_tool_in_name_order() {
    let probe = Arc::new(Probe::default());
    let server = build(&probe);
    let definitions: Vec<Value> = server
        .registry()
        .tools()
        .iter()
        .map(|t| t.definition().clone())
        .collect();
    let srv = TestServer::start(server).await;
    let pages = walk_pages(&srv, LEGACY).await;
    let names: Vec<Vec<&str>> = pages
        .iter()
        .map(|p| {
            p["tools"]
                .as_array()
                .expect("tools")
                .iter()
                .map(|t| t["name"].as_str().expect("a name"))
                .collect()
        })
        .collect();
    assert_eq!(
        names,
        [
            vec!["add", "fail"],
            vec!["log_levels", "progress_steps"],
            vec!["slow"]
        ]
    );
    // Each page is exactly the tools and the cursor to the next page.
    let c1 = pages[0]["nextCursor"].clone();
    let c2 = pages[1]["nextCursor"].clone();
    assert!(c1.is_string() && c2.is_string() && c1 != c2, "{c1} {c2}");
    assert_eq!(
        pages,
        [
            json!({ "tools": definitions[0..2], "nextCursor": c1 }),
            json!({ "tools": definitions[2..4], "nextCursor": c2 }),
            json!({ "tools": definitions[4..5] }),
        ]
    );
    assert_eq!(pages[0]["tools"][0], add_definition());
    // A cursor is reusable: the second page again.
    let resp = legacy(&rpc(json!(9), "tools/list", json!({ "cursor": c1 })))
        .send(srv.addr)
        .await;
    assert_eq!(
        single(LEGACY, &resp, Some("ListToolsResult")),
        result_of(json!(9), pages[1].clone())
    );
    // No params at all is the first page.
    let resp = legacy(&json!({ "jsonrpc": "2.0", "id": 10, "method": "tools/list" }))
        .send(srv.addr)
        .await;
    assert_eq!(
        single(LEGACY, &resp, Some("ListToolsResult")),
        result_of(json!(10), pages[0].clone())
    );
}

#[tokio::test]
async fn tools_call_returns_json_text_and_structured_content() {
    let (srv, _) = start().await;
    let resp = legacy(&rpc(
        json!("c1"),
        "tools/call",
        json!({ "name": "add", "arguments": { "a": 40, "b": 2 } }),
    ))
    .send(srv.addr)
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        single(LEGACY, &resp, Some("CallToolResult")),
        result_of(
            json!("c1"),
            json!({
                "content": [{ "type": "text", "text": "{\"sum\":42}" }],
                "structuredContent": { "sum": 42 }
            })
        )
    );
}

#[tokio::test]
async fn tool_errors_are_error_results_not_protocol_errors() {
    let (srv, _) = start().await;
    let resp = legacy(&rpc(
        json!(1),
        "tools/call",
        json!({ "name": "fail", "arguments": {} }),
    ))
    .send(srv.addr)
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        single(LEGACY, &resp, Some("CallToolResult")),
        result_of(
            json!(1),
            error_result("not_found", "the thing does not exist")
        )
    );
    // Arguments that do not match the schema: a validation error result.
    let resp = legacy(&rpc(
        json!(2),
        "tools/call",
        json!({ "name": "add", "arguments": { "a": "one", "b": 2 } }),
    ))
    .send(srv.addr)
    .await;
    assert_eq!(resp.status, 200);
    let msg = single(LEGACY, &resp, Some("CallToolResult"));
    assert_eq!(msg["result"]["isError"], json!(true));
    let text: Value =
        serde_json::from_str(msg["result"]["content"][0]["text"].as_str().expect("text"))
            .expect("JSON text");
    assert_eq!(text["error"]["type"], "validation_error");
    assert_eq!(
        text["error"]["details"]["errors"][0]["path"],
        json!("a"),
        "{text}"
    );
}

#[tokio::test]
async fn progress_streams_notifications_before_the_result() {
    let (srv, _) = start().await;
    for token in [json!("tok-1"), json!(42)] {
        let resp = legacy(&rpc(
            json!(1),
            "tools/call",
            json!({ "name": "progress_steps", "arguments": { "steps": 3 }, "_meta": { "progressToken": token } }),
        ))
        .send(srv.addr)
        .await;
        assert_eq!(resp.status, 200);
        assert_eq!(resp.header("content-type"), Some("text/event-stream"));
        let msgs = checked(LEGACY, &resp, Some("CallToolResult"));
        assert_eq!(
            msgs,
            [
                progress(token.clone(), 1.0, Some(3.0), "step 1"),
                progress(token.clone(), 2.0, Some(3.0), "step 2"),
                progress(token.clone(), 3.0, Some(3.0), "step 3"),
                result_of(
                    json!(1),
                    json!({ "content": [{ "type": "text", "text": "counted to 3" }] })
                )
            ],
            "{token}"
        );
    }
}

#[tokio::test]
async fn without_a_progress_token_the_answer_is_plain_json() {
    let (srv, _) = start().await;
    let expected = result_of(
        json!(1),
        json!({ "content": [{ "type": "text", "text": "counted to 3" }] }),
    );
    let body = rpc(
        json!(1),
        "tools/call",
        json!({ "name": "progress_steps", "arguments": { "steps": 3 } }),
    );
    let resp = legacy(&body).send(srv.addr).await;
    assert_eq!(resp.status, 200);
    assert_eq!(single(LEGACY, &resp, Some("CallToolResult")), expected);
    // A token, but a client that takes JSON only: no stream, no notifications.
    let mut with_token = body.clone();
    with_token["params"]["_meta"] = json!({ "progressToken": "t" });
    let resp = legacy(&with_token)
        .header("Accept", "application/json")
        .send(srv.addr)
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(single(LEGACY, &resp, Some("CallToolResult")), expected);
}

#[tokio::test]
async fn cancelled_notification_stops_an_in_flight_call() {
    let (srv, probe) = start().await;
    let addr = srv.addr;
    let call = rpc(
        json!("slow-1"),
        "tools/call",
        json!({ "name": "slow", "arguments": { "ms": 30_000 } }),
    );
    let started = Instant::now();
    let pending = tokio::spawn(async move { legacy(&call).send(addr).await });
    wait_for(&probe.started, "the slow tool to start").await;
    // Another connection; a cancel for a different id changes nothing.
    let cancel = |id: Value| json!({ "jsonrpc": "2.0", "method": "notifications/cancelled", "params": { "requestId": id, "reason": "user" } });
    let resp = legacy(&cancel(json!("slow-2"))).send(addr).await;
    assert_eq!((resp.status, resp.body.len()), (202, 0));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!probe.interrupted.load(Ordering::SeqCst));
    let resp = legacy(&cancel(json!("slow-1"))).send(addr).await;
    assert_eq!((resp.status, resp.body.len()), (202, 0));
    let resp = tokio::time::timeout(Duration::from_secs(5), pending)
        .await
        .expect("the cancelled call answers promptly")
        .expect("no panic");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(resp.status, 200);
    // `slow` watches `ctx.cancelled()` and answers for itself; the runtime
    // passes a tool's own answer through rather than masking what it returned.
    assert_eq!(
        single(LEGACY, &resp, Some("CallToolResult")),
        result_of(
            json!("slow-1"),
            error_result("server_error", "stopped early")
        )
    );
    wait_for(&probe.interrupted, "the tool to see the cancellation").await;
    assert!(!probe.completed.load(Ordering::SeqCst));
}

#[tokio::test]
async fn an_unsupported_protocol_version_header_is_400() {
    let (srv, _) = start().await;
    for version in ["1999-01-01", "2025-11-26", "latest"] {
        let resp = Post::json(&rpc(json!(1), "ping", json!({})))
            .bearer(SECRET)
            .header("MCP-Protocol-Version", version)
            .send(srv.addr)
            .await;
        assert_eq!(resp.status, 400, "{version}");
        let msg = single(LEGACY, &resp, None);
        error_of(
            &msg,
            json!(1),
            -32022,
            Some(json!({ "requested": version, "supported": ALL_VERSIONS })),
        );
        // Notifications too: the server cannot accept the message.
        let resp = Post::json(&json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }))
            .bearer(SECRET)
            .header("MCP-Protocol-Version", version)
            .send(srv.addr)
            .await;
        assert_eq!(resp.status, 400, "notification with {version}");
        let msg = single(LEGACY, &resp, None);
        error_of(
            &msg,
            Value::Null,
            -32022,
            Some(json!({ "requested": version, "supported": ALL_VERSIONS })),
        );
    }
    // Every handshake-era version is accepted in the header.
    for version in ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"] {
        let resp = Post::json(&rpc(json!(2), "ping", json!({})))
            .bearer(SECRET)
            .header("MCP-Protocol-Version", version)
            .send(srv.addr)
            .await;
        assert_eq!(resp.status, 200, "{version}");
        single(LEGACY, &resp, Some("EmptyResult"));
    }
}

// ------------------------------------------------------ stateless era (2026-07-28)

fn discover_result() -> Value {
    json!({
        "supportedVersions": ALL_VERSIONS,
        "capabilities": { "tools": { "listChanged": false }, "logging": {} },
        "instructions": INSTRUCTIONS,
        "ttlMs": 300_000,
        "cacheScope": "public",
        "resultType": "complete",
        "_meta": server_info_meta()
    })
}

#[tokio::test]
async fn server_discover_describes_the_server() {
    let (srv, _) = start().await;
    let resp = stateless(&srpc(json!(1), "server/discover", json!({})))
        .send(srv.addr)
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        single(STATELESS, &resp, Some("DiscoverResult")),
        result_of(json!(1), discover_result())
    );
    // clientInfo is optional.
    let mut body = srpc(json!("d"), "server/discover", json!({}));
    body["params"]["_meta"]
        .as_object_mut()
        .expect("meta")
        .remove("io.modelcontextprotocol/clientInfo");
    let resp = stateless(&body).send(srv.addr).await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        single(STATELESS, &resp, Some("DiscoverResult")),
        result_of(json!("d"), discover_result())
    );
}

#[tokio::test]
async fn missing_meta_is_32602_with_http_400() {
    let (srv, _) = start().await;
    let v = "io.modelcontextprotocol/protocolVersion";
    let c = "io.modelcontextprotocol/clientCapabilities";
    let without = |key: &str| {
        let mut meta = meta_2026();
        meta.as_object_mut().expect("meta").remove(key);
        json!({ "_meta": meta })
    };
    let mut bad_caps = meta_2026();
    bad_caps[c] = json!("all");
    let mut bad_version = meta_2026();
    bad_version[v] = json!(20260728);
    let cases = [
        Some(json!({})),
        None,
        Some(json!({ "_meta": {} })),
        Some(without(v)),
        Some(without(c)),
        Some(json!({ "_meta": bad_caps })),
        Some(json!({ "_meta": bad_version })),
    ];
    for (i, params) in cases.into_iter().enumerate() {
        for method in ["server/discover", "tools/list"] {
            let id = json!(format!("m-{i}"));
            let mut body = json!({ "jsonrpc": "2.0", "id": id, "method": method });
            if let Some(p) = &params {
                body["params"] = p.clone();
            }
            let resp = Post::json(&body)
                .bearer(SECRET)
                .stateless(method, None)
                .send(srv.addr)
                .await;
            assert_eq!(resp.status, 400, "{body}");
            error_of(&single(STATELESS, &resp, None), id, -32602, None);
        }
    }
}

#[tokio::test]
async fn header_and_meta_versions_must_agree() {
    let (srv, _) = start().await;
    // The header says one thing, `_meta` another.
    let mut meta = meta_2026();
    meta["io.modelcontextprotocol/protocolVersion"] = json!("v999.0.0");
    let body = rpc(json!(302), "server/discover", json!({ "_meta": meta }));
    let resp = stateless(&body).send(srv.addr).await;
    assert_eq!(resp.status, 400);
    error_of(&single(STATELESS, &resp, None), json!(302), -32020, None);
    // `_meta` says 2026-07-28, the header is a handshake-era version.
    let body = srpc(json!(303), "tools/list", json!({}));
    let resp = stateless(&body)
        .header("MCP-Protocol-Version", "2025-11-25")
        .send(srv.addr)
        .await;
    assert_eq!(resp.status, 400);
    error_of(&single(STATELESS, &resp, None), json!(303), -32020, None);
    // `_meta` says 2026-07-28 and there is no header.
    let resp = stateless(&srpc(json!(304), "tools/list", json!({})))
        .without("MCP-Protocol-Version")
        .send(srv.addr)
        .await;
    assert_eq!(resp.status, 400);
    error_of(&single(STATELESS, &resp, None), json!(304), -32020, None);
}

#[tokio::test]
async fn an_unsupported_version_is_32022_with_the_supported_ones() {
    let (srv, _) = start().await;
    for (id, version) in [(301, "v999.0.0"), (305, "2099-01-01")] {
        let mut meta = meta_2026();
        meta["io.modelcontextprotocol/protocolVersion"] = json!(version);
        for method in ["server/discover", "tools/list"] {
            let body = rpc(json!(id), method, json!({ "_meta": meta }));
            let resp = stateless(&body)
                .header("MCP-Protocol-Version", version)
                .send(srv.addr)
                .await;
            assert_eq!(resp.status, 400, "{version} {method}");
            error_of(
                &single(STATELESS, &resp, None),
                json!(id),
                -32022,
                Some(json!({ "requested": version, "supported": ALL_VERSIONS })),
            );
        }
    }
}

#[tokio::test]
async fn the_mcp_method_header_must_match_exactly() {
    let (srv, _) = start().await;
    let body = srpc(json!(100), "tools/list", json!({}));
    for header in [
        Some("prompts/list"),
        None,
        Some("TOOLS/LIST"),
        Some("tools/call"),
    ] {
        let mut post = stateless(&body).without("Mcp-Method");
        if let Some(h) = header {
            post = post.header("Mcp-Method", h);
        }
        let resp = post.send(srv.addr).await;
        assert_eq!(resp.status, 400, "{header:?}");
        error_of(&single(STATELESS, &resp, None), json!(100), -32020, None);
    }
    // Header names are case-insensitive; values are trimmed.
    for (name, value) in [
        ("mcp-method", "tools/list"),
        ("MCP-METHOD", "tools/list"),
        ("Mcp-Method", "  tools/list "),
    ] {
        let resp = stateless(&body)
            .without("Mcp-Method")
            .header(name, value)
            .send(srv.addr)
            .await;
        assert_eq!(resp.status, 200, "{name}: {value}");
        single(STATELESS, &resp, Some("ListToolsResult"));
    }
}

#[tokio::test]
async fn the_mcp_name_header_must_match_the_tool() {
    let (srv, _) = start().await;
    let body = srpc(
        json!(102),
        "tools/call",
        json!({ "name": "add", "arguments": { "a": 1, "b": 1 } }),
    );
    for header in [Some("wrong_tool_name"), None, Some("ADD"), Some("add2")] {
        let mut post = stateless(&body).without("Mcp-Name");
        if let Some(h) = header {
            post = post.header("Mcp-Name", h);
        }
        let resp = post.send(srv.addr).await;
        assert_eq!(resp.status, 400, "{header:?}");
        error_of(&single(STATELESS, &resp, None), json!(102), -32020, None);
    }
    // Whitespace around the value is not part of it.
    let resp = stateless(&body)
        .header("Mcp-Name", "  add  ")
        .send(srv.addr)
        .await;
    assert_eq!(resp.status, 200);
    let msg = single(STATELESS, &resp, Some("CallToolResult"));
    assert_eq!(msg["result"]["structuredContent"], json!({ "sum": 2 }));
}

#[tokio::test]
async fn handshake_only_methods_are_404_in_the_stateless_era() {
    let (srv, _) = start().await;
    for (i, method) in [
        "initialize",
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "resources/unsubscribe",
        "unknown/method",
        "prompts/list",
    ]
    .into_iter()
    .enumerate()
    {
        let id = json!(500 + i);
        let mut params = json!({});
        if method == "logging/setLevel" {
            params["level"] = json!("info");
        }
        let resp = stateless(&srpc(id.clone(), method, params))
            .send(srv.addr)
            .await;
        assert_eq!(resp.status, 404, "{method}");
        assert_eq!(
            error_of(&single(STATELESS, &resp, None), id, -32601, None),
            format!("method not found: {method}")
        );
    }
}

#[tokio::test]
async fn stateless_tools_list_carries_cache_hints() {
    let probe = Arc::new(Probe::default());
    let server = build(&probe);
    let definitions: Vec<Value> = server
        .registry()
        .tools()
        .iter()
        .map(|t| t.definition().clone())
        .collect();
    let srv = TestServer::start(server).await;
    let pages = walk_pages(&srv, STATELESS).await;
    assert_eq!(pages.len(), 3);
    let hints = |mut page: Value| {
        page["resultType"] = json!("complete");
        page["ttlMs"] = json!(300_000);
        page["cacheScope"] = json!("public");
        page["_meta"] = server_info_meta();
        page
    };
    assert_eq!(
        pages,
        [
            hints(json!({ "tools": definitions[0..2], "nextCursor": pages[0]["nextCursor"] })),
            hints(json!({ "tools": definitions[2..4], "nextCursor": pages[1]["nextCursor"] })),
            hints(json!({ "tools": definitions[4..5] })),
        ]
    );
    // A bad cursor is invalid params here too.
    let resp = stateless(&srpc(json!(7), "tools/list", json!({ "cursor": "nope" })))
        .send(srv.addr)
        .await;
    assert_eq!(resp.status, 200);
    error_of(&single(STATELESS, &resp, None), json!(7), -32602, None);
}

#[tokio::test]
async fn stateless_tools_call_carries_result_type() {
    let (srv, _) = start().await;
    let resp = stateless(&srpc(
        json!(1),
        "tools/call",
        json!({ "name": "add", "arguments": { "a": 2, "b": 3 } }),
    ))
    .send(srv.addr)
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        single(STATELESS, &resp, Some("CallToolResult")),
        result_of(
            json!(1),
            json!({
                "content": [{ "type": "text", "text": "{\"sum\":5}" }],
                "structuredContent": { "sum": 5 },
                "resultType": "complete",
                "_meta": server_info_meta()
            })
        )
    );
    let resp = stateless(&srpc(json!(2), "tools/call", json!({ "name": "fail" })))
        .send(srv.addr)
        .await;
    assert_eq!(resp.status, 200);
    let mut expected = error_result("not_found", "the thing does not exist");
    expected["resultType"] = json!("complete");
    expected["_meta"] = server_info_meta();
    assert_eq!(
        single(STATELESS, &resp, Some("CallToolResult")),
        result_of(json!(2), expected)
    );
    // An unknown tool is invalid params, with the request's id.
    let resp = stateless(&srpc(
        json!(3),
        "tools/call",
        json!({ "name": "nope", "arguments": {} }),
    ))
    .send(srv.addr)
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        error_of(&single(STATELESS, &resp, None), json!(3), -32602, None),
        "unknown tool: nope"
    );
}

#[tokio::test]
async fn stateless_logs_only_when_the_request_asks_for_a_level() {
    let (srv, _) = start().await;
    let done = json!({
        "content": [{ "type": "text", "text": "logged" }],
        "resultType": "complete",
        "_meta": server_info_meta()
    });
    let call = |id: i64, meta: Value| {
        srpc(
            json!(id),
            "tools/call",
            json!({ "name": "log_levels", "arguments": {}, "_meta": meta }),
        )
    };
    let resp = stateless(&call(1, json!({}))).send(srv.addr).await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        single(STATELESS, &resp, Some("CallToolResult")),
        result_of(json!(1), done.clone())
    );
    let resp = stateless(&call(
        2,
        json!({ "io.modelcontextprotocol/logLevel": "warning" }),
    ))
    .send(srv.addr)
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("text/event-stream"));
    assert_eq!(
        checked(STATELESS, &resp, Some("CallToolResult")),
        [
            log_message("warning"),
            log_message("error"),
            result_of(json!(2), done.clone())
        ]
    );
    // The level is per request: the next one without it gets no logs.
    let resp = stateless(&call(3, json!({}))).send(srv.addr).await;
    assert_eq!(
        single(STATELESS, &resp, Some("CallToolResult")),
        result_of(json!(3), done)
    );
}

#[tokio::test]
async fn stateless_progress_is_streamed_before_the_result() {
    let (srv, _) = start().await;
    let resp = stateless(&srpc(
        json!(9),
        "tools/call",
        json!({ "name": "progress_steps", "arguments": { "steps": 2 }, "_meta": { "progressToken": "p-9" } }),
    ))
    .send(srv.addr)
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("text/event-stream"));
    assert_eq!(
        checked(STATELESS, &resp, Some("CallToolResult")),
        [
            progress(json!("p-9"), 1.0, Some(2.0), "step 1"),
            progress(json!("p-9"), 2.0, Some(2.0), "step 2"),
            result_of(
                json!(9),
                json!({
                    "content": [{ "type": "text", "text": "counted to 2" }],
                    "resultType": "complete",
                    "_meta": server_info_meta()
                })
            )
        ]
    );
}

#[tokio::test]
async fn every_stateless_error_echoes_the_request_id() {
    let (srv, _) = start().await;
    let mut v999 = meta_2026();
    v999["io.modelcontextprotocol/protocolVersion"] = json!("v999.0.0");
    for id in [
        json!(1),
        json!("s-1"),
        json!(-3),
        json!(9_007_199_254_740_993_u64),
    ] {
        let no_meta = json!({ "jsonrpc": "2.0", "id": id, "method": "tools/list", "params": {} });
        let probes = [
            (stateless(&no_meta), 400, -32602),
            (
                stateless(&srpc(id.clone(), "tools/list", json!({}))).without("Mcp-Method"),
                400,
                -32020,
            ),
            (
                stateless(&rpc(
                    id.clone(),
                    "server/discover",
                    json!({ "_meta": v999 }),
                ))
                .header("MCP-Protocol-Version", "v999.0.0"),
                400,
                -32022,
            ),
            (stateless(&srpc(id.clone(), "ping", json!({}))), 404, -32601),
            (
                stateless(&srpc(
                    id.clone(),
                    "tools/call",
                    json!({ "name": "add", "arguments": {} }),
                ))
                .header("Mcp-Name", "fail"),
                400,
                -32020,
            ),
            (
                stateless(&srpc(id.clone(), "tools/call", json!({ "name": "nope" }))),
                200,
                -32602,
            ),
        ];
        for (post, status, code) in probes {
            let resp = post.send(srv.addr).await;
            assert_eq!(resp.status, status, "{id} {code}");
            let msg = single(STATELESS, &resp, None);
            assert_eq!(msg["id"], id, "{msg}");
            assert_eq!(msg["error"]["code"], json!(code), "{msg}");
        }
    }
}

// ------------------------------------------------------ Streamable HTTP

#[tokio::test]
async fn get_and_delete_are_405_with_allow_post() {
    let (srv, _) = start().await;
    for method in ["GET", "DELETE", "PUT", "PATCH"] {
        for auth in [true, false] {
            let mut post = Post::new(Vec::new())
                .method(method)
                .header("Accept", "text/event-stream");
            if auth {
                post = post.bearer(SECRET);
            }
            let resp = post.send(srv.addr).await;
            assert_eq!(resp.status, 405, "{method}");
            assert_eq!(resp.header("allow"), Some("POST"), "{method}");
            error_of(&single(LEGACY, &resp, None), Value::Null, -32600, None);
        }
    }
}

#[tokio::test]
async fn healthz_answers_without_authentication() {
    let (srv, _) = start().await;
    let resp = raw_request(
        srv.addr,
        format!(
            "GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            srv.addr
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(resp.json(), json!({ "status": "ok" }));
}

#[tokio::test]
async fn requests_without_the_key_are_401() {
    let (srv, _) = start().await;
    let ping = rpc(json!(1), "ping", json!({}));
    for post in [
        Post::json(&ping),
        Post::json(&ping).bearer("not-the-secret-not-the-secret-xx"),
    ] {
        let resp = post.send(srv.addr).await;
        assert_eq!(resp.status, 401);
        assert!(
            resp.header("www-authenticate")
                .is_some_and(|h| h.starts_with("Bearer")),
            "{resp:?}"
        );
        error_of(&single(LEGACY, &resp, None), Value::Null, -32001, None);
        assert!(!resp.text().contains(SECRET));
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let (srv, _) = start().await;
    let ping = rpc(json!(1), "ping", json!({}));
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/jsonx"),
        None,
    ] {
        let mut post = legacy(&ping).without("Content-Type");
        if let Some(ct) = content_type {
            post = post.header("Content-Type", ct);
        }
        let resp = post.send(srv.addr).await;
        assert_eq!(resp.status, 415, "{content_type:?}");
        error_of(&single(LEGACY, &resp, None), Value::Null, -32600, None);
    }
    for content_type in ["application/json; charset=utf-8", "Application/JSON"] {
        let resp = legacy(&ping)
            .header("Content-Type", content_type)
            .send(srv.addr)
            .await;
        assert_eq!(resp.status, 200, "{content_type}");
        single(LEGACY, &resp, Some("EmptyResult"));
    }
}

#[tokio::test]
async fn a_client_that_does_not_accept_json_is_406() {
    let (srv, _) = start().await;
    let ping = rpc(json!(1), "ping", json!({}));
    for accept in ["text/html", "text/event-stream", "image/png, text/plain"] {
        let resp = legacy(&ping).header("Accept", accept).send(srv.addr).await;
        assert_eq!(resp.status, 406, "{accept}");
        error_of(&single(LEGACY, &resp, None), Value::Null, -32600, None);
    }
    for accept in [
        "application/json",
        "*/*",
        "application/*",
        "text/event-stream, application/json;q=0.9",
    ] {
        let resp = legacy(&ping).header("Accept", accept).send(srv.addr).await;
        assert_eq!(resp.status, 200, "{accept}");
        single(LEGACY, &resp, Some("EmptyResult"));
    }
}

#[tokio::test]
async fn foreign_hosts_and_origins_are_403() {
    let (srv, _) = start().await;
    let port = srv.addr.port();
    let ping = rpc(json!(1), "ping", json!({}));
    let send = |host: String, origin: Option<String>| {
        let mut post = legacy(&ping);
        if let Some(o) = origin {
            post = post.header("Origin", &o);
        }
        let addr = srv.addr;
        async move { raw_request(addr, &post.to_bytes(&host)).await }
    };
    // DNS rebinding: a foreign Host header.
    for host in [
        "evil.example.com".to_owned(),
        format!("evil.example.com:{port}"),
        format!("127.0.0.1.evil.example.com:{port}"),
    ] {
        let resp = send(host.clone(), None).await;
        assert_eq!(resp.status, 403, "{host}");
        error_of(&single(LEGACY, &resp, None), Value::Null, -32600, None);
    }
    // A browser page of another origin.
    for origin in [
        "http://evil.example.com".to_owned(),
        format!("http://evil.example.com:{port}"),
        "null".to_owned(),
    ] {
        let resp = send(format!("127.0.0.1:{port}"), Some(origin.clone())).await;
        assert_eq!(resp.status, 403, "{origin}");
        error_of(&single(LEGACY, &resp, None), Value::Null, -32600, None);
    }
    // Loopback names, with ports, and matching origins are fine.
    for (host, origin) in [
        (format!("127.0.0.1:{port}"), None),
        (
            format!("127.0.0.1:{port}"),
            Some(format!("http://127.0.0.1:{port}")),
        ),
        (
            format!("localhost:{port}"),
            Some(format!("http://localhost:{port}")),
        ),
        ("localhost".to_owned(), None),
        (
            format!("[::1]:{port}"),
            Some(format!("http://[::1]:{port}")),
        ),
    ] {
        let resp = send(host.clone(), origin.clone()).await;
        assert_eq!(resp.status, 200, "{host} {origin:?}");
        assert_eq!(
            single(LEGACY, &resp, Some("EmptyResult")),
            result_of(json!(1), json!({}))
        );
    }
}

/// Open a connection, send `post`, and return the stream without reading.
async fn open(addr: std::net::SocketAddr, post: &Post) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(&post.to_bytes(&addr.to_string()))
        .await
        .expect("write");
    stream
}

async fn assert_still_serving(srv: &TestServer) {
    let resp = legacy(&rpc(json!("after"), "ping", json!({})))
        .send(srv.addr)
        .await;
    assert_eq!(
        single(LEGACY, &resp, Some("EmptyResult")),
        result_of(json!("after"), json!({}))
    );
    let resp = legacy(&rpc(
        json!("after-call"),
        "tools/call",
        json!({ "name": "add", "arguments": { "a": 1, "b": 2 } }),
    ))
    .send(srv.addr)
    .await;
    assert_eq!(resp.status, 200);
    single(LEGACY, &resp, Some("CallToolResult"));
}

#[tokio::test]
async fn a_client_that_disconnects_mid_call_cancels_the_handler() {
    let (srv, probe) = start().await;
    let call = rpc(
        json!(1),
        "tools/call",
        json!({ "name": "slow", "arguments": { "ms": 30_000 } }),
    );
    let stream = open(srv.addr, &legacy(&call)).await;
    wait_for(&probe.started, "the slow tool to start").await;
    drop(stream);
    wait_for(&probe.interrupted, "the handler to be cancelled").await;
    assert!(!probe.completed.load(Ordering::SeqCst));
    assert_still_serving(&srv).await;
}

#[tokio::test]
async fn a_client_that_disconnects_mid_stream_cancels_the_handler() {
    let (srv, probe) = start().await;
    let call = rpc(
        json!(1),
        "tools/call",
        json!({ "name": "slow", "arguments": { "ms": 30_000 }, "_meta": { "progressToken": "p" } }),
    );
    let mut stream = open(srv.addr, &legacy(&call)).await;
    // Read until the first SSE event (the tool's progress) has arrived.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(5);
    while !String::from_utf8_lossy(&buf).contains("data: ") {
        assert!(
            Instant::now() < deadline,
            "no SSE event: {}",
            String::from_utf8_lossy(&buf)
        );
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .expect("data within 5 s")
            .expect("read");
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&buf));
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{head}"
    );
    assert!(probe.started.load(Ordering::SeqCst));
    drop(stream);
    wait_for(&probe.interrupted, "the handler to be cancelled").await;
    assert!(!probe.completed.load(Ordering::SeqCst));
    assert_still_serving(&srv).await;
}
