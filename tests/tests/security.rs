//! Security guarantees over real HTTP: bearer keys (missing, wrong scheme,
//! wrong, rotated, revoked by reload), tenant-bound keys, limits (body size,
//! JSON depth, string size, concurrency, timeout, rate), failure isolation
//! (panic, disconnect), graceful shutdown, and logs that never hold a key.
//!
//! In-process servers serve on loopback sockets; the start-up policies, SIGHUP
//! and SIGTERM are tested on the `secure-server` binary run as a real process.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcp_runtime::prelude::*;
use mcp_runtime::{ApiKey, Rate, ServerBuilder};
use mcp_tests::process::Proc;
use mcp_tests::{HttpResponse, Post, TestServer, raw_request};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ------------------------------------------------------------------ tools

/// What the tools saw: runs, starts, completions and cancellations.
#[derive(Clone, Default)]
struct Probe(Arc<ProbeInner>);

#[derive(Default)]
struct ProbeInner {
    /// Handlers entered (every tool).
    runs: AtomicUsize,
    /// `nap` calls that started sleeping.
    started: AtomicUsize,
    /// `nap` calls that slept to the end.
    finished: AtomicUsize,
    /// `nap` calls dropped before the end (cancelled).
    cancelled: AtomicUsize,
}

impl Probe {
    fn runs(&self) -> usize {
        self.0.runs.load(SeqCst)
    }
    fn started(&self) -> usize {
        self.0.started.load(SeqCst)
    }
    fn finished(&self) -> usize {
        self.0.finished.load(SeqCst)
    }
    fn cancelled(&self) -> usize {
        self.0.cancelled.load(SeqCst)
    }
}

/// The verified tenant and key of a call.
#[derive(Debug, Serialize, JsonSchema)]
struct Caller {
    /// `ctx.tenant_id()`.
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<String>,
    /// `ctx.key().name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
}

/// The tenant and API key name the call was authenticated as.
#[mcp_tool(read_only)]
async fn whoami(ctx: ToolContext) -> Result<Caller, McpError> {
    ctx.state::<Probe>()?.0.runs.fetch_add(1, SeqCst);
    Ok(Caller {
        tenant: ctx.tenant_id().map(str::to_owned),
        key: ctx.key().map(|k| k.name.clone()),
    })
}

/// Arguments of `note`.
#[derive(Debug, Deserialize, JsonSchema)]
struct NoteArgs {
    /// The note's text.
    text: String,
}

/// How long the note was.
#[derive(Debug, Serialize, JsonSchema)]
struct Noted {
    /// Its length in bytes.
    bytes: usize,
}

/// Take a note and say how long it was.
#[mcp_tool]
async fn note(args: NoteArgs, ctx: ToolContext) -> Result<Noted, McpError> {
    ctx.state::<Probe>()?.0.runs.fetch_add(1, SeqCst);
    tracing::info!(bytes = args.text.len(), "note taken");
    Ok(Noted {
        bytes: args.text.len(),
    })
}

/// Arguments of `nap`.
#[derive(Debug, Deserialize, JsonSchema)]
struct NapArgs {
    /// How long to sleep, in milliseconds.
    ms: u64,
}

/// How long the nap was.
#[derive(Debug, Serialize, JsonSchema)]
struct Napped {
    /// Milliseconds slept.
    slept_ms: u64,
}

/// Counts a nap as finished when it completes, as cancelled when dropped first.
struct NapWatch {
    probe: Probe,
    done: bool,
}

impl Drop for NapWatch {
    fn drop(&mut self) {
        if self.done {
            self.probe.0.finished.fetch_add(1, SeqCst);
        } else {
            self.probe.0.cancelled.fetch_add(1, SeqCst);
        }
    }
}

/// Sleep for `ms` milliseconds.
#[mcp_tool(read_only)]
async fn nap(args: NapArgs, ctx: ToolContext) -> Result<Napped, McpError> {
    let probe = ctx.state::<Probe>()?.clone();
    probe.0.runs.fetch_add(1, SeqCst);
    probe.0.started.fetch_add(1, SeqCst);
    let mut watch = NapWatch { probe, done: false };
    tokio::time::sleep(Duration::from_millis(args.ms)).await;
    watch.done = true;
    Ok(Napped { slept_ms: args.ms })
}

/// Report progress, then sleep for half a minute.
#[mcp_tool(read_only)]
async fn nap_with_progress(ctx: ToolContext) -> Result<Napped, McpError> {
    let probe = ctx.state::<Probe>()?.clone();
    probe.0.started.fetch_add(1, SeqCst);
    let mut watch = NapWatch { probe, done: false };
    ctx.progress(0.0, Some(1.0), Some("napping")).await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    watch.done = true;
    Ok(Napped { slept_ms: 30_000 })
}

/// Panic (a bug in a tool).
#[mcp_tool]
async fn boom(ctx: ToolContext) -> Result<String, McpError> {
    ctx.state::<Probe>()?.0.runs.fetch_add(1, SeqCst);
    panic!("deliberate panic in a test tool");
}

// ------------------------------------------------------------------ helpers

const KEY_A: &str = "test-key-A-0f9e8d7c6b5a49382716";
const KEY_B: &str = "test-key-B-1a2b3c4d5e6f70819203";
const KEY_C: &str = "test-key-C-99887766554433221100";

/// A builder with the probe as state and keys only from the builder.
fn builder(probe: &Probe) -> ServerBuilder {
    Server::builder("security-tests", "1.0.0")
        .keys_from_env(false)
        .state(probe.clone())
}

async fn start(b: ServerBuilder) -> TestServer {
    TestServer::start(b.build().expect("server builds")).await
}

fn call(id: u64, tool: &str, args: Value) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "method": "tools/call",
        "params": { "name": tool, "arguments": args }
    })
}

fn call_post(id: u64, tool: &str, args: Value, key: &str) -> Post {
    Post::json(&call(id, tool, args)).bearer(key)
}

/// The head of `post` announcing a body of `len` bytes, without the body.
fn head_only(post: &Post, addr: SocketAddr, len: usize) -> Vec<u8> {
    let bytes = post.to_bytes(&addr.to_string());
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(bytes[..end].to_vec()).unwrap();
    let head: Vec<&str> = head
        .split("\r\n")
        .filter(|l| !l.starts_with("Content-Length:"))
        .collect();
    format!("{}\r\nContent-Length: {len}\r\n\r\n", head.join("\r\n")).into_bytes()
}

/// A JSON-RPC error body with `id: null`, exactly.
fn rpc_error_body(code: i64, message: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":null,"error":{{"code":{code},"message":{}}}}}"#,
        serde_json::to_string(message).unwrap()
    )
}

fn assert_json_error(r: &HttpResponse, status: u16, code: i64, message: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.text(), rpc_error_body(code, message));
}

/// A successful tool result: returns `structuredContent`.
fn ok_result(r: &HttpResponse, id: u64) -> Value {
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["jsonrpc"], "2.0");
    assert_eq!(v["id"], id);
    let result = &v["result"];
    assert!(result.get("isError").is_none(), "{v}");
    let structured = result["structuredContent"].clone();
    assert_eq!(
        result["content"],
        json!([{ "type": "text", "text": structured.to_string() }]),
        "{v}"
    );
    structured
}

/// A tool error result: checks the whole response and returns the error object.
fn tool_error(r: &HttpResponse, id: u64) -> Value {
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.json();
    let text = v["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text content: {v}"))
        .to_owned();
    assert_eq!(
        v,
        json!({
            "jsonrpc": "2.0",
            "id": id,
            "result": { "content": [{ "type": "text", "text": text }], "isError": true }
        })
    );
    let structured: Value = serde_json::from_str(&text).expect("error text is JSON");
    let keys: Vec<&String> = structured.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["error"], "{structured}");
    structured["error"].clone()
}

fn assert_tool_error(r: &HttpResponse, id: u64, kind: &str, message: &str) {
    assert_eq!(
        tool_error(r, id),
        json!({ "type": kind, "message": message }),
        "{}",
        r.text()
    );
}

async fn eventually(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mcp-security-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A fresh secret, different in every test and every run.
fn fresh_secret(tag: &str) -> String {
    use std::hash::{BuildHasher, RandomState};
    let a = RandomState::new().hash_one(tag);
    let b = RandomState::new().hash_one(Instant::now());
    format!("sec-{tag}-{a:016x}{b:016x}")
}

// ------------------------------------------------------------------ authentication

const MISSING_WWW: &str = r#"Bearer realm="mcp""#;
const INVALID_WWW: &str = r#"Bearer realm="mcp", error="invalid_token""#;
const MISSING_MSG: &str = "unauthorized: send `Authorization: Bearer <key>`";
const INVALID_MSG: &str = "unauthorized: the bearer key is not valid";

fn assert_401(r: &HttpResponse, invalid: bool) {
    let (www, msg) = if invalid {
        (INVALID_WWW, INVALID_MSG)
    } else {
        (MISSING_WWW, MISSING_MSG)
    };
    assert_json_error(r, 401, -32001, msg);
    assert_eq!(r.header("www-authenticate"), Some(www));
}

#[tokio::test]
async fn requests_without_a_valid_bearer_key_get_401_and_no_tool_runs() {
    let probe = Probe::default();
    let server = start(builder(&probe).api_key(ApiKey::new("a", KEY_A).unwrap())).await;
    let body = call(1, "whoami", json!({}));

    // No header.
    let r = Post::json(&body).send(server.addr).await;
    assert_401(&r, false);
    // Wrong scheme, even with the right secret.
    let r = Post::json(&body)
        .header("Authorization", &format!("Basic {KEY_A}"))
        .send(server.addr)
        .await;
    assert_401(&r, false);
    // Scheme without a key.
    let r = Post::json(&body)
        .header("Authorization", "Bearer")
        .send(server.addr)
        .await;
    assert_401(&r, false);
    // Wrong key: never echoed.
    let wrong = "not-the-key-0000000000000000000";
    let r = Post::json(&body).bearer(wrong).send(server.addr).await;
    assert_401(&r, true);
    assert!(!r.text().contains(wrong));
    assert!(r.headers.iter().all(|(_, v)| !v.contains(wrong)));
    // A prefix, a suffix, another case of the right key.
    for near in [
        &KEY_A[..KEY_A.len() - 1],
        &format!("{KEY_A}x"),
        &KEY_A.to_uppercase(),
    ] {
        let r = Post::json(&body).bearer(near).send(server.addr).await;
        assert_401(&r, true);
    }
    // Authentication comes before the body is even read: a body that is not
    // JSON still gets 401, and so does a request announcing a body larger
    // than any limit without sending it (were it read, this would hang or 413).
    let r = Post::new(&b"{not json"[..])
        .bearer(wrong)
        .send(server.addr)
        .await;
    assert_401(&r, true);
    let r = raw_request(
        server.addr,
        &head_only(&Post::json(&body), server.addr, 999_999_999),
    )
    .await;
    assert_401(&r, false);
    assert_eq!(
        probe.runs(),
        0,
        "no tool ran for an unauthenticated request"
    );

    // The right key works, and the tool learns which key it was.
    let r = Post::json(&body).bearer(KEY_A).send(server.addr).await;
    assert_eq!(ok_result(&r, 1), json!({ "key": "a" }));
    // The scheme is case-insensitive.
    let r = Post::json(&body)
        .header("Authorization", &format!("bearer {KEY_A}"))
        .send(server.addr)
        .await;
    assert_eq!(ok_result(&r, 1), json!({ "key": "a" }));
    assert_eq!(probe.runs(), 2);
}

#[tokio::test]
async fn several_keys_are_active_at_once_for_rotation() {
    let probe = Probe::default();
    let server = start(
        builder(&probe)
            .api_key(ApiKey::new("old", KEY_A).unwrap())
            .api_key(ApiKey::new("new", KEY_B).unwrap()),
    )
    .await;
    for (key, name) in [(KEY_A, "old"), (KEY_B, "new")] {
        let r = call_post(7, "whoami", json!({}), key)
            .send(server.addr)
            .await;
        assert_eq!(ok_result(&r, 7), json!({ "key": name }));
    }
}

#[tokio::test]
async fn a_key_file_given_as_digests_is_reloaded_when_it_changes_and_revoked_keys_get_401() {
    let probe = Probe::default();
    let path = temp_path("reload-keys.txt");
    let a = fresh_secret("file-a");
    let b = fresh_secret("file-b");
    let c = fresh_secret("file-c");
    let digest = mcp_runtime::auth::sha256_hex;
    std::fs::write(
        &path,
        format!(
            "# name secret [tenants]\nkey-a sha256:{}\nkey-b {b}\n",
            digest(&a)
        ),
    )
    .unwrap();
    let server = start(builder(&probe).key_file(&path)).await;
    let who = |key: &str| call_post(1, "whoami", json!({}), key);
    assert_eq!(
        ok_result(&who(&a).send(server.addr).await, 1),
        json!({ "key": "key-a" })
    );
    assert_eq!(
        ok_result(&who(&b).send(server.addr).await, 1),
        json!({ "key": "key-b" })
    );
    assert_401(&who(&c).send(server.addr).await, true);

    // Rotate: drop A, add C. No restart, no signal: the file is watched.
    std::fs::write(
        &path,
        format!("key-b {b}\nkey-c sha256:{} acme\n", digest(&c)),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = who(&a).send(server.addr).await;
        if r.status == 401 {
            assert_401(&r, true);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "key A still accepted 10 s after its removal"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        ok_result(&who(&b).send(server.addr).await, 1),
        json!({ "key": "key-b" })
    );
    let r = call_post(2, "whoami", json!({ "tenantId": "acme" }), &c)
        .send(server.addr)
        .await;
    assert_eq!(
        ok_result(&r, 2),
        json!({ "key": "key-c", "tenant": "acme" })
    );

    // A broken file keeps the previous keys.
    std::fs::write(&path, "key-b short\n").unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        ok_result(&who(&b).send(server.addr).await, 1),
        json!({ "key": "key-b" })
    );
    let _ = std::fs::remove_file(&path);
}

// ------------------------------------------------------------------ tenants

#[tokio::test]
async fn a_tenant_bound_key_cannot_act_for_another_tenant_or_for_none() {
    let probe = Probe::default();
    let server = start(
        builder(&probe)
            .api_key(
                ApiKey::new("hub", KEY_A)
                    .unwrap()
                    .with_tenants(["acme", "initech"]),
            )
            .api_key(ApiKey::new("ops", KEY_B).unwrap()),
    )
    .await;

    // Spoofing another tenant: refused before the handler runs.
    let r = call_post(1, "whoami", json!({ "tenantId": "globex" }), KEY_A)
        .send(server.addr)
        .await;
    assert_tool_error(
        &r,
        1,
        "permission_denied",
        "this API key may not act for tenant `globex`",
    );
    let r = call_post(
        2,
        "note",
        json!({ "tenantId": "globex", "text": "x" }),
        KEY_A,
    )
    .send(server.addr)
    .await;
    assert_tool_error(
        &r,
        2,
        "permission_denied",
        "this API key may not act for tenant `globex`",
    );
    // No tenant at all: refused too.
    let r = call_post(3, "whoami", json!({}), KEY_A)
        .send(server.addr)
        .await;
    assert_tool_error(
        &r,
        3,
        "permission_denied",
        "this API key is bound to tenants, so the call must carry a `tenantId`",
    );
    let r = call_post(4, "whoami", json!({ "tenantId": null }), KEY_A)
        .send(server.addr)
        .await;
    assert_tool_error(
        &r,
        4,
        "permission_denied",
        "this API key is bound to tenants, so the call must carry a `tenantId`",
    );
    assert_eq!(probe.runs(), 0, "no handler ran for a refused tenant");

    // Its own tenants: the handler sees the verified tenant.
    for (id, tenant) in [(5, "acme"), (6, "initech")] {
        let r = call_post(id, "whoami", json!({ "tenantId": tenant }), KEY_A)
            .send(server.addr)
            .await;
        assert_eq!(ok_result(&r, id), json!({ "tenant": tenant, "key": "hub" }));
    }
    // A key bound to no tenant may act for any, or none.
    let r = call_post(7, "whoami", json!({ "tenantId": "globex" }), KEY_B)
        .send(server.addr)
        .await;
    assert_eq!(
        ok_result(&r, 7),
        json!({ "tenant": "globex", "key": "ops" })
    );
    let r = call_post(8, "whoami", json!({}), KEY_B)
        .send(server.addr)
        .await;
    assert_eq!(ok_result(&r, 8), json!({ "key": "ops" }));
    assert_eq!(probe.runs(), 4);
}

// ------------------------------------------------------------------ rate limits

#[tokio::test]
async fn rate_limits_per_key_and_per_tenant_answer_rate_limit_with_a_retry_hint() {
    let probe = Probe::default();
    let server = start(
        builder(&probe)
            .api_key(ApiKey::new("a", KEY_A).unwrap())
            .api_key(ApiKey::new("b", KEY_B).unwrap())
            .api_key(ApiKey::new("c", KEY_C).unwrap())
            .rate_limit_per_key(Rate::per_minute(3))
            .rate_limit_per_tenant(Rate::per_minute(2)),
    )
    .await;
    let who = |id: u64, key: &str, tenant: Option<&str>| {
        let args = tenant.map_or(json!({}), |t| json!({ "tenantId": t }));
        call_post(id, "whoami", args, key)
    };
    // Per key: three calls, then rate_limit.
    for id in 1..=3 {
        ok_result(&who(id, KEY_A, None).send(server.addr).await, id);
    }
    let r = who(4, KEY_A, None).send(server.addr).await;
    let e = tool_error(&r, 4);
    assert_eq!(e["type"], "rate_limit");
    let ms = e["retryAfterMs"]
        .as_u64()
        .expect("retryAfterMs is a number");
    assert!((1..=20_000).contains(&ms), "{e}");
    assert_eq!(
        e,
        json!({
            "type": "rate_limit",
            "message": format!("too many calls for this API key; retry in {ms} ms"),
            "retryAfterMs": ms
        })
    );
    assert_eq!(probe.runs(), 3);
    // Another key has its own budget; per tenant: two calls, then rate_limit.
    ok_result(&who(5, KEY_B, Some("acme")).send(server.addr).await, 5);
    ok_result(&who(6, KEY_B, Some("acme")).send(server.addr).await, 6);
    let e = tool_error(&who(7, KEY_B, Some("acme")).send(server.addr).await, 7);
    let ms = e["retryAfterMs"].as_u64().expect("retryAfterMs");
    assert_eq!(
        e,
        json!({
            "type": "rate_limit",
            "message": format!("too many calls for this tenant; retry in {ms} ms"),
            "retryAfterMs": ms
        })
    );
    ok_result(&who(8, KEY_C, Some("globex")).send(server.addr).await, 8);
    assert_eq!(probe.runs(), 6);
}

// ------------------------------------------------------------------ request limits

#[tokio::test]
async fn bodies_over_the_limit_get_413_with_or_without_content_length() {
    let probe = Probe::default();
    let server = start(
        builder(&probe)
            .api_key(ApiKey::new("a", KEY_A).unwrap())
            .max_body_bytes(1024),
    )
    .await;
    let big = call(1, "note", json!({ "text": "x".repeat(2000) }));
    let msg = "payload too large: the limit is 1024 bytes";
    // Declared by Content-Length: refused before the body is read.
    let r = Post::json(&big).bearer(KEY_A).send(server.addr).await;
    assert_json_error(&r, 413, -32600, msg);
    // Chunked, no Content-Length: refused once the limit is crossed.
    let r = Post::json(&big)
        .bearer(KEY_A)
        .send_chunked(server.addr, 100)
        .await;
    assert_json_error(&r, 413, -32600, msg);
    // A large Content-Length is refused from the head alone: the body is
    // never awaited.
    let r = raw_request(
        server.addr,
        &head_only(&Post::json(&big).bearer(KEY_A), server.addr, 1 << 40),
    )
    .await;
    assert_json_error(&r, 413, -32600, msg);
    assert_eq!(probe.runs(), 0);

    // Right at the limit is fine (Content-Length and chunked).
    let mut small = call(2, "note", json!({ "text": "" }));
    let base = serde_json::to_vec(&small).unwrap().len();
    small["params"]["arguments"]["text"] = json!("y".repeat(1024 - base));
    assert_eq!(serde_json::to_vec(&small).unwrap().len(), 1024);
    let r = Post::json(&small).bearer(KEY_A).send(server.addr).await;
    assert_eq!(ok_result(&r, 2), json!({ "bytes": 1024 - base }));
    let r = Post::json(&small)
        .bearer(KEY_A)
        .send_chunked(server.addr, 100)
        .await;
    assert_eq!(ok_result(&r, 2), json!({ "bytes": 1024 - base }));
}

#[tokio::test]
async fn json_nested_10000_deep_gets_400() {
    let probe = Probe::default();
    let server = start(builder(&probe).api_key(ApiKey::new("a", KEY_A).unwrap())).await;
    let msg = "invalid request: JSON nested deeper than 64 levels";
    // Deep inside the arguments of a well-formed call.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"note","arguments":{{"text":"a","x":{deep}}}}}}}"#
    );
    let r = Post::new(body).bearer(KEY_A).send(server.addr).await;
    assert_json_error(&r, 400, -32600, msg);
    // A bare deep document, even unterminated.
    let r = Post::new("[".repeat(10_000))
        .bearer(KEY_A)
        .send(server.addr)
        .await;
    assert_json_error(&r, 400, -32600, msg);
    let r = Post::new(r#"{"a":"#.repeat(10_000))
        .bearer(KEY_A)
        .send(server.addr)
        .await;
    assert_json_error(&r, 400, -32600, msg);
    assert_eq!(probe.runs(), 0);
    // Brackets inside strings do not count; moderate nesting is fine.
    let args = json!({ "text": "[".repeat(10_000), "x": [[[[[[[[[[1]]]]]]]]]] });
    let r = call_post(2, "note", args, KEY_A).send(server.addr).await;
    assert_eq!(ok_result(&r, 2), json!({ "bytes": 10_000 }));
}

#[tokio::test]
async fn a_1mb_string_argument_over_the_limit_is_a_validation_error_naming_the_field() {
    let probe = Probe::default();
    let server = start(
        builder(&probe)
            .api_key(ApiKey::new("a", KEY_A).unwrap())
            .max_argument_string_bytes(64 * 1024),
    )
    .await;
    let text = "z".repeat(1024 * 1024);
    let r = call_post(1, "note", json!({ "text": text }), KEY_A)
        .send(server.addr)
        .await;
    assert_tool_error(
        &r,
        1,
        "validation_error",
        "argument `text` is 1048576 bytes long; the limit is 65536 bytes",
    );
    assert!(r.body.len() < 1024, "the string is not echoed back");
    assert_eq!(probe.runs(), 0);
    let r = call_post(2, "note", json!({ "text": "z".repeat(64 * 1024) }), KEY_A)
        .send(server.addr)
        .await;
    assert_eq!(ok_result(&r, 2), json!({ "bytes": 65536 }));
}

#[tokio::test]
async fn over_the_concurrency_limit_requests_queue_then_get_503_with_retry_after() {
    let probe = Probe::default();
    let server = start(
        builder(&probe)
            .api_key(ApiKey::new("a", KEY_A).unwrap())
            .max_concurrent_requests(1, Duration::from_millis(100)),
    )
    .await;
    let addr = server.addr;
    let slow = tokio::spawn(async move {
        call_post(1, "nap", json!({ "ms": 1500 }), KEY_A)
            .send(addr)
            .await
    });
    eventually("the slow call started", Duration::from_secs(5), || {
        probe.started() == 1
    })
    .await;
    let t0 = Instant::now();
    let r = call_post(2, "whoami", json!({}), KEY_A).send(addr).await;
    assert_json_error(
        &r,
        503,
        -32603,
        "server busy: too many concurrent requests; retry later",
    );
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(
        t0.elapsed() >= Duration::from_millis(90),
        "it waited in the queue first"
    );
    assert_eq!(
        ok_result(&slow.await.unwrap(), 1),
        json!({ "slept_ms": 1500 })
    );
    // Once the slot is free, requests are served again.
    let r = call_post(3, "whoami", json!({}), KEY_A).send(addr).await;
    ok_result(&r, 3);

    // With a longer queue a request waits for the slot instead.
    let probe2 = Probe::default();
    let queued = start(
        builder(&probe2)
            .api_key(ApiKey::new("a", KEY_A).unwrap())
            .max_concurrent_requests(1, Duration::from_secs(10)),
    )
    .await;
    let addr = queued.addr;
    let slow = tokio::spawn(async move {
        call_post(1, "nap", json!({ "ms": 400 }), KEY_A)
            .send(addr)
            .await
    });
    eventually("the slow call started", Duration::from_secs(5), || {
        probe2.started() == 1
    })
    .await;
    let r = call_post(2, "whoami", json!({}), KEY_A).send(addr).await;
    ok_result(&r, 2);
    assert_eq!(
        probe2.finished(),
        1,
        "the queued request ran after the first finished"
    );
    ok_result(&slow.await.unwrap(), 1);
}

#[tokio::test]
async fn a_call_over_the_timeout_answers_server_error_and_its_handler_is_cancelled() {
    let probe = Probe::default();
    let server = start(
        builder(&probe)
            .api_key(ApiKey::new("a", KEY_A).unwrap())
            .call_timeout(Duration::from_millis(200)),
    )
    .await;
    let t0 = Instant::now();
    let r = call_post(1, "nap", json!({ "ms": 10_000 }), KEY_A)
        .send(server.addr)
        .await;
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert_tool_error(
        &r,
        1,
        "server_error",
        "the tool call timed out after 200 ms",
    );
    assert_eq!(probe.started(), 1);
    assert_eq!(probe.cancelled(), 1, "the handler was dropped");
    assert_eq!(probe.finished(), 0);
    // The server goes on.
    let r = call_post(2, "nap", json!({ "ms": 10 }), KEY_A)
        .send(server.addr)
        .await;
    assert_eq!(ok_result(&r, 2), json!({ "slept_ms": 10 }));
}

// ------------------------------------------------------------------ failure isolation

#[tokio::test]
async fn a_panicking_tool_answers_server_error_and_the_server_keeps_serving() {
    let probe = Probe::default();
    let server = start(builder(&probe).api_key(ApiKey::new("a", KEY_A).unwrap())).await;
    let addr = server.addr;
    // A call in flight while another panics is unaffected.
    let parallel = tokio::spawn(async move {
        call_post(9, "nap", json!({ "ms": 300 }), KEY_A)
            .send(addr)
            .await
    });
    for id in 1..=3 {
        let r = call_post(id, "boom", json!({}), KEY_A).send(addr).await;
        assert_tool_error(&r, id, "server_error", "internal server error");
        assert!(
            !r.text().contains("deliberate"),
            "the panic message stays in the log"
        );
    }
    let r = call_post(4, "whoami", json!({}), KEY_A).send(addr).await;
    assert_eq!(ok_result(&r, 4), json!({ "key": "a" }));
    assert_eq!(
        ok_result(&parallel.await.unwrap(), 9),
        json!({ "slept_ms": 300 })
    );
}

#[tokio::test]
async fn a_client_that_disconnects_cancels_its_call_and_nothing_else() {
    let probe = Probe::default();
    let server = start(builder(&probe).api_key(ApiKey::new("a", KEY_A).unwrap())).await;
    let addr = server.addr;
    let parallel = tokio::spawn(async move {
        call_post(2, "nap", json!({ "ms": 1200 }), KEY_A)
            .send(addr)
            .await
    });
    eventually("the parallel call started", Duration::from_secs(5), || {
        probe.started() == 1
    })
    .await;
    // Send a long call on a raw socket, wait until it runs, then hang up.
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = call_post(1, "nap", json!({ "ms": 30_000 }), KEY_A).to_bytes(&addr.to_string());
    stream.write_all(&req).await.unwrap();
    eventually("the abandoned call started", Duration::from_secs(5), || {
        probe.started() == 2
    })
    .await;
    drop(stream);
    eventually(
        "the abandoned call was cancelled",
        Duration::from_secs(5),
        || probe.cancelled() == 1,
    )
    .await;
    // The other call was not touched.
    assert_eq!(
        ok_result(&parallel.await.unwrap(), 2),
        json!({ "slept_ms": 1200 })
    );
    assert_eq!(probe.finished(), 1);
    assert_eq!(probe.cancelled(), 1);

    // Same for a streamed (SSE) answer: the client reads the first progress
    // event, then hangs up.
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = json!({
        "jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": { "name": "nap_with_progress", "arguments": {}, "_meta": { "progressToken": "p3" } }
    });
    stream
        .write_all(&Post::json(&body).bearer(KEY_A).to_bytes(&addr.to_string()))
        .await
        .unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&head).contains("notifications/progress") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("a progress event within 5 s")
            .unwrap();
        assert!(n > 0, "{}", String::from_utf8_lossy(&head));
        head.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&head).contains("content-type: text/event-stream"));
    drop(stream);
    eventually(
        "the streamed call was cancelled",
        Duration::from_secs(5),
        || probe.cancelled() == 2,
    )
    .await;
    assert_eq!(probe.finished(), 1);
}

// ------------------------------------------------------------------ shutdown (in process)

#[tokio::test]
async fn shutdown_lets_calls_in_flight_finish_then_stops_accepting() {
    let probe = Probe::default();
    let server = start(builder(&probe).api_key(ApiKey::new("a", KEY_A).unwrap())).await;
    let addr = server.addr;
    let in_flight = tokio::spawn(async move {
        call_post(1, "nap", json!({ "ms": 600 }), KEY_A)
            .send(addr)
            .await
    });
    eventually("the call started", Duration::from_secs(5), || {
        probe.started() == 1
    })
    .await;
    let t0 = Instant::now();
    server.stop().await.expect("clean shutdown");
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "it waited for the call"
    );
    assert_eq!(
        probe.finished(),
        1,
        "the call finished before the server stopped"
    );
    assert_eq!(
        ok_result(&in_flight.await.unwrap(), 1),
        json!({ "slept_ms": 600 })
    );
    let after = call_post(2, "whoami", json!({}), KEY_A)
        .try_send(addr)
        .await;
    assert!(after.is_err(), "no longer accepting: {after:?}");
}

#[tokio::test]
async fn shutdown_gives_up_on_calls_after_the_deadline() {
    let probe = Probe::default();
    let server = start(
        builder(&probe)
            .api_key(ApiKey::new("a", KEY_A).unwrap())
            .shutdown_timeout(Duration::from_millis(300)),
    )
    .await;
    let addr = server.addr;
    let stuck = tokio::spawn(async move {
        call_post(1, "nap", json!({ "ms": 60_000 }), KEY_A)
            .try_send(addr)
            .await
    });
    eventually("the call started", Duration::from_secs(5), || {
        probe.started() == 1
    })
    .await;
    let t0 = Instant::now();
    server
        .stop()
        .await
        .expect("shutdown returns Ok after the deadline");
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_secs(5),
        "{took:?}"
    );
    stuck.abort();
}

// ------------------------------------------------------------------ logs

/// Everything written to a log, shared with the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// One span as recorded: name, fields (values as text), closed or not.
#[derive(Debug, Clone)]
struct SpanSeen {
    name: String,
    level: tracing::Level,
    fields: BTreeMap<String, String>,
    closed: bool,
}

#[derive(Clone, Default)]
struct SpanLog(Arc<Mutex<Vec<SpanSeen>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

/// Index of the span in the `SpanLog`, kept in the span's extensions.
struct SpanIndex(usize);

impl<S> tracing_subscriber::Layer<S> for SpanLog
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let mut log = self.0.lock().unwrap();
        log.push(SpanSeen {
            name: attrs.metadata().name().to_owned(),
            level: *attrs.metadata().level(),
            fields,
            closed: false,
        });
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanIndex(log.len() - 1));
        }
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let Some(span) = ctx.span(id) else { return };
        let Some(SpanIndex(i)) = span.extensions().get::<SpanIndex>().map(|i| SpanIndex(i.0))
        else {
            return;
        };
        values.record(&mut Fields(&mut self.0.lock().unwrap()[i].fields));
    }

    fn on_close(&self, id: tracing::span::Id, ctx: tracing_subscriber::layer::Context<'_, S>) {
        if let Some(i) = ctx
            .span(&id)
            .and_then(|s| s.extensions().get::<SpanIndex>().map(|i| i.0))
        {
            self.0.lock().unwrap()[i].closed = true;
        }
    }
}

/// Logs at every level never contain a key (configured, presented, rotated
/// in by a reload); one `tools/call` span per call carries tool, tenant, key
/// name, duration and outcome; nothing at info carries an argument value.
///
/// A current-thread runtime: the server's tasks run on this thread, where the
/// capturing subscriber is the default.
#[tokio::test(flavor = "current_thread")]
async fn logs_never_contain_keys_and_have_one_span_per_call_without_argument_values() {
    use tracing_subscriber::filter::LevelFilter;
    use tracing_subscriber::fmt::format::FmtSpan;
    use tracing_subscriber::prelude::*;

    let all = Captured::default();
    let info = Captured::default();
    let spans = SpanLog::default();
    let subscriber = tracing_subscriber::registry()
        .with({
            let w = all.clone();
            tracing_subscriber::fmt::layer()
                .with_writer(move || w.clone())
                .with_ansi(false)
                .with_span_events(FmtSpan::FULL)
                .with_filter(LevelFilter::TRACE)
        })
        .with({
            // JSON, as in production; also keeps its span fields apart
            // from the text layer's.
            let w = info.clone();
            tracing_subscriber::fmt::layer()
                .json()
                .with_writer(move || w.clone())
                .with_filter(LevelFilter::INFO)
        })
        .with(spans.clone());
    // With exactly one dispatcher in the process, tracing-core caches a
    // callsite's interest as seen from the thread that hits it first, so an
    // event first emitted by another test's thread would be lost here
    // (tokio-rs/tracing#3611). A second, idle dispatcher avoids that path.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let _guard = tracing::subscriber::set_default(subscriber);

    let builder_secret = fresh_secret("log-builder");
    let file_secret = fresh_secret("log-file");
    let rotated_secret = fresh_secret("log-rotated");
    let wrong_secret = fresh_secret("log-wrong");
    let argument_value = fresh_secret("argument-value");
    let path = temp_path("log-keys.txt");
    std::fs::write(&path, format!("filed {file_secret}\n")).unwrap();

    let probe = Probe::default();
    let server = start(
        builder(&probe)
            .api_key(
                ApiKey::new("hub", &builder_secret)
                    .unwrap()
                    .with_tenants(["acme"]),
            )
            .key_file(&path)
            .call_timeout(Duration::from_millis(200))
            .rate_limit_per_key(Rate::per_minute(100)),
    )
    .await;
    let addr = server.addr;
    let send = |id: u64, tool: &str, args: Value, key: &str| {
        let p = call_post(id, tool, args, key);
        async move { p.send(addr).await }
    };

    // Refusals: no key, a wrong key, a wrong scheme carrying a real key.
    assert_401(
        &Post::json(&call(1, "whoami", json!({}))).send(addr).await,
        false,
    );
    assert_401(&send(1, "whoami", json!({}), &wrong_secret).await, true);
    let r = Post::json(&call(1, "whoami", json!({})))
        .header("Authorization", &format!("Basic {builder_secret}"))
        .send(addr)
        .await;
    assert_401(&r, false);
    // Calls: ok, an argument value, a spoofed tenant, a panic, a timeout.
    let r = send(2, "whoami", json!({ "tenantId": "acme" }), &builder_secret).await;
    assert_eq!(ok_result(&r, 2), json!({ "tenant": "acme", "key": "hub" }));
    let r = send(
        3,
        "note",
        json!({ "tenantId": "acme", "text": argument_value }),
        &builder_secret,
    )
    .await;
    ok_result(&r, 3);
    let r = send(
        4,
        "whoami",
        json!({ "tenantId": "globex" }),
        &builder_secret,
    )
    .await;
    tool_error(&r, 4);
    let r = send(5, "boom", json!({}), &file_secret).await;
    tool_error(&r, 5);
    let r = send(6, "nap", json!({ "ms": 5000 }), &file_secret).await;
    tool_error(&r, 6);
    // Rotate the file's key; wait for the reload.
    std::fs::write(&path, format!("rotated {rotated_secret}\n")).unwrap();
    let t = Instant::now();
    while !all.text().contains("API keys reloaded") {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "not reloaded:\n{}",
            all.text()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_401(&send(7, "whoami", json!({}), &file_secret).await, true);
    let r = send(8, "whoami", json!({}), &rotated_secret).await;
    assert_eq!(ok_result(&r, 8), json!({ "key": "rotated" }));
    // A broken key file: the error is logged, without the line's secret.
    std::fs::write(
        &path,
        format!("rotated {rotated_secret}\nbad entry {wrong_secret} x y\n"),
    )
    .unwrap();
    eventually(
        "the broken key file was reported",
        Duration::from_secs(10),
        || all.text().contains("could not be loaded"),
    )
    .await;
    server.stop().await.unwrap();
    let _ = std::fs::remove_file(&path);

    let all_text = all.text();
    let info_text = info.text();
    for secret in [
        &builder_secret,
        &file_secret,
        &rotated_secret,
        &wrong_secret,
    ] {
        assert!(
            !all_text.contains(secret.as_str()),
            "a key is in the log:\n{all_text}"
        );
    }
    for refused in [
        "request refused: the bearer key matches no active key",
        "request refused: no `Authorization: Bearer` header",
        "tool `boom` panicked: deliberate panic in a test tool",
        "keeping the previous keys",
    ] {
        assert!(
            all_text.contains(refused),
            "`{refused}` not logged:\n{all_text}"
        );
    }
    assert!(
        !info_text.contains(&argument_value),
        "an argument value is logged at info:\n{info_text}"
    );

    // One span per call that passed authentication, with its fields.
    let spans = spans.0.lock().unwrap().clone();
    let calls: Vec<&SpanSeen> = spans.iter().filter(|s| s.name == "tools/call").collect();
    assert_eq!(calls.len(), 6, "{calls:#?}");
    let field = |s: &SpanSeen, f: &str| s.fields.get(f).cloned().unwrap_or_default();
    let summary: Vec<[String; 4]> = calls
        .iter()
        .map(|s| {
            assert!(s.closed, "{s:?}");
            assert_eq!(s.level, tracing::Level::INFO);
            let us: u64 = field(s, "duration_us")
                .parse()
                .expect("duration_us recorded");
            assert!(us < 10_000_000);
            assert!(
                s.fields.values().all(|v| !v.contains(&argument_value)),
                "{s:?}"
            );
            [
                field(s, "tool"),
                field(s, "key"),
                field(s, "tenant"),
                field(s, "outcome"),
            ]
        })
        .collect();
    let row = |a: &str, b: &str, c: &str, d: &str| [a, b, c, d].map(str::to_owned);
    assert_eq!(
        summary,
        [
            row("whoami", "hub", "acme", "ok"),
            row("note", "hub", "acme", "ok"),
            row("whoami", "hub", "globex", "permission_denied"),
            row("boom", "filed", "", "server_error"),
            row("nap", "filed", "", "server_error"),
            row("whoami", "rotated", "", "ok"),
        ][..],
        "{calls:#?}"
    );
    // At info: one line per call, carrying its span's fields.
    let finished: Vec<Value> = info_text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON log line"))
        .filter(|l| l["fields"]["message"] == "call finished")
        .collect();
    assert_eq!(finished.len(), 6, "{info_text}");
    let span = &finished[0]["span"];
    assert_eq!(span["name"], "tools/call");
    assert_eq!(
        [
            &span["tool"],
            &span["key"],
            &span["tenant"],
            &span["outcome"]
        ],
        [
            &json!("whoami"),
            &json!("hub"),
            &json!("acme"),
            &json!("ok")
        ],
        "{}",
        finished[0]
    );
    assert!(span["duration_us"].is_u64(), "{}", finished[0]);
}

// ------------------------------------------------------------------ real processes

const SECURE_SERVER: &str = env!("CARGO_BIN_EXE_secure-server");

#[tokio::test]
async fn without_keys_on_loopback_a_generated_key_is_printed_once_and_required() {
    let mut p = Proc::spawn(SECURE_SERVER, &[("MCP_ADDR", "127.0.0.1:0")]);
    let text = p.wait_stderr("Header: Authorization: Bearer mcp_").await;
    let at = text.find("Authorization: Bearer ").unwrap() + "Authorization: Bearer ".len();
    let secret: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    assert_eq!(secret.len(), 4 + 64, "{text}");
    assert!(
        text.contains("No API keys configured (MCP_API_KEYS); generated one for this run."),
        "{text}"
    );
    let addr = p.addr().await;
    assert!(
        text.contains(&format!("URL:    http://{addr}/mcp")),
        "{text}"
    );

    let who = Post::json(&call(1, "whoami", json!({})));
    assert_401(&who.clone().send(addr).await, false);
    assert_401(&who.clone().bearer("mcp_0000").send(addr).await, true);
    let r = who.clone().bearer(&secret).send(addr).await;
    assert_eq!(ok_result(&r, 1), json!({ "key": "generated" }));

    p.signal("TERM");
    assert!(p.wait_exit(Duration::from_secs(20)).await.success());
    let text = p.stderr();
    assert_eq!(
        text.matches(secret.as_str()).count(),
        1,
        "printed once, never logged:\n{text}"
    );
}

#[tokio::test]
async fn without_keys_on_a_public_address_the_server_refuses_to_start_and_says_how_to_configure() {
    let mut p = Proc::spawn(SECURE_SERVER, &[("MCP_ADDR", "0.0.0.0:0")]);
    let status = p.wait_exit(Duration::from_secs(20)).await;
    assert!(!status.success(), "{status:?}");
    let text = p.stderr();
    for expected in [
        "secure-server: refusing to serve on 0.0.0.0:",
        "without API keys. Configure at least one: MCP_API_KEYS=name:secret",
        "MCP_API_KEYS_FILE",
    ] {
        assert!(text.contains(expected), "`{expected}` missing:\n{text}");
    }
    assert!(
        !text.contains("Bearer mcp_"),
        "no key generated off loopback"
    );
}

#[tokio::test]
async fn serving_without_authentication_is_refused_off_loopback_and_loud_on_it() {
    let mut p = Proc::spawn(
        SECURE_SERVER,
        &[("MCP_ADDR", "0.0.0.0:0"), ("SECURE_SERVER_NO_AUTH", "1")],
    );
    let status = p.wait_exit(Duration::from_secs(20)).await;
    assert!(!status.success(), "{status:?}");
    let text = p.stderr();
    assert!(
        text.contains("refusing to serve without authentication on 0.0.0.0:")
            && text.contains("allowed on loopback addresses only"),
        "{text}"
    );

    let mut p = Proc::spawn(
        SECURE_SERVER,
        &[("MCP_ADDR", "127.0.0.1:0"), ("SECURE_SERVER_NO_AUTH", "1")],
    );
    let addr = p.addr().await;
    assert!(
        p.stderr().contains("AUTHENTICATION IS OFF"),
        "{}",
        p.stderr()
    );
    let r = Post::json(&call(1, "whoami", json!({}))).send(addr).await;
    assert_eq!(ok_result(&r, 1), json!({}));
    // With no keys there is nothing to reload, and SIGHUP does not end the server.
    p.signal("HUP");
    p.wait_stderr("SIGHUP: no API keys to reload").await;
    let r = Post::json(&call(2, "whoami", json!({}))).send(addr).await;
    assert_eq!(ok_result(&r, 2), json!({}));
    p.signal("TERM");
    assert!(p.wait_exit(Duration::from_secs(20)).await.success());
}

#[tokio::test]
async fn mcp_api_keys_bind_a_key_to_a_tenant_and_spoofing_runs_no_tool() {
    let secret = fresh_secret("env-hub");
    let file = temp_path("tenant-writes.txt");
    let _ = std::fs::remove_file(&file);
    let keys = format!("hub:{secret}:acme, ops:{}", fresh_secret("env-ops"));
    let mut p = Proc::spawn(
        SECURE_SERVER,
        &[
            ("MCP_ADDR", "127.0.0.1:0"),
            ("MCP_API_KEYS", &keys),
            ("SECURE_SERVER_WRITE_FILE", file.to_str().unwrap()),
        ],
    );
    let addr = p.addr().await;
    let write = |id: u64, tenant: &str, line: &str| {
        call_post(
            id,
            "append_line",
            json!({ "tenantId": tenant, "line": line }),
            &secret,
        )
    };
    let r = write(1, "globex", "spoofed").send(addr).await;
    assert_tool_error(
        &r,
        1,
        "permission_denied",
        "this API key may not act for tenant `globex`",
    );
    let r = call_post(2, "append_line", json!({ "line": "no-tenant" }), &secret)
        .send(addr)
        .await;
    assert_tool_error(
        &r,
        2,
        "permission_denied",
        "this API key is bound to tenants, so the call must carry a `tenantId`",
    );
    let r = write(3, "acme", "legit").send(addr).await;
    assert_eq!(ok_result(&r, 3), json!({ "written": "legit" }));
    let r = call_post(4, "whoami", json!({ "tenantId": "acme" }), &secret)
        .send(addr)
        .await;
    assert_eq!(ok_result(&r, 4), json!({ "tenant": "acme", "key": "hub" }));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "legit\n");
    p.signal("TERM");
    assert!(p.wait_exit(Duration::from_secs(20)).await.success());
    assert!(!p.stderr().contains(&secret));
    let _ = std::fs::remove_file(&file);
}

#[tokio::test]
async fn sighup_reloads_the_key_file_revoking_removed_keys() {
    let a = fresh_secret("hup-a");
    let b = fresh_secret("hup-b");
    let c = fresh_secret("hup-c");
    let path = temp_path("hup-keys.txt");
    std::fs::write(&path, format!("key-a {a}\nkey-b {b}\n")).unwrap();
    let mut p = Proc::spawn(
        SECURE_SERVER,
        &[
            ("MCP_ADDR", "127.0.0.1:0"),
            ("MCP_API_KEYS_FILE", path.to_str().unwrap()),
        ],
    );
    let addr = p.addr().await;
    let who = |key: &str| call_post(1, "whoami", json!({}), key);
    assert_eq!(
        ok_result(&who(&a).send(addr).await, 1),
        json!({ "key": "key-a" })
    );
    assert_401(&who(&c).send(addr).await, true);

    std::fs::write(
        &path,
        format!(
            "key-b {b}\nkey-c sha256:{}\n",
            mcp_runtime::auth::sha256_hex(&c)
        ),
    )
    .unwrap();
    p.signal("HUP");
    p.wait_stderr("API keys reloaded").await;
    assert_401(&who(&a).send(addr).await, true);
    assert_eq!(
        ok_result(&who(&b).send(addr).await, 1),
        json!({ "key": "key-b" })
    );
    assert_eq!(
        ok_result(&who(&c).send(addr).await, 1),
        json!({ "key": "key-c" })
    );

    p.signal("TERM");
    assert!(p.wait_exit(Duration::from_secs(20)).await.success());
    let text = p.stderr();
    for s in [&a, &b, &c] {
        assert!(!text.contains(s.as_str()), "{text}");
    }
    let _ = std::fs::remove_file(&path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_load_exits_0_and_every_acknowledged_write_is_on_disk() {
    let secret = fresh_secret("writer");
    let file = temp_path("load-writes.txt");
    let _ = std::fs::remove_file(&file);
    let mut p = Proc::spawn(
        SECURE_SERVER,
        &[
            ("MCP_ADDR", "127.0.0.1:0"),
            ("MCP_API_KEYS", &format!("writer:{secret}")),
            ("SECURE_SERVER_WRITE_FILE", file.to_str().unwrap()),
            ("MCP_LOG", "info"),
        ],
    );
    let addr = p.addr().await;
    let acked: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let mut workers = Vec::new();
    for w in 0..16 {
        let acked = acked.clone();
        let secret = secret.clone();
        workers.push(tokio::spawn(async move {
            let mut failures = 0;
            for seq in 0.. {
                let line = format!("w{w}-{seq}");
                let post = call_post(
                    seq,
                    "append_line",
                    json!({ "line": line, "delay_ms": 100 + 13 * w }),
                    &secret,
                );
                match post.try_send(addr).await {
                    Ok(r) if r.status == 200 => {
                        let v = r.json();
                        if v["result"]["structuredContent"]["written"] == line.as_str()
                            && v["result"].get("isError").is_none()
                        {
                            acked.lock().unwrap().push((line, Instant::now()));
                        }
                    }
                    _ => {
                        failures += 1;
                        if failures > 3 {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        }));
    }
    eventually("writes are acknowledged", Duration::from_secs(20), || {
        acked.lock().unwrap().len() >= 40
    })
    .await;
    let killed_at = Instant::now();
    p.signal("TERM");
    let status = p.wait_exit(Duration::from_secs(30)).await;
    assert_eq!(status.code(), Some(0), "{}", p.stderr());
    for w in workers {
        tokio::time::timeout(Duration::from_secs(30), w)
            .await
            .expect("workers stop once the server is gone")
            .unwrap();
    }

    let acked = acked.lock().unwrap().clone();
    let on_disk = std::fs::read_to_string(&file).unwrap();
    let lines: std::collections::HashSet<&str> = on_disk.lines().collect();
    assert_eq!(
        lines.len(),
        on_disk.lines().count(),
        "no line written twice"
    );
    for (line, _) in &acked {
        assert!(
            lines.contains(line.as_str()),
            "acknowledged write `{line}` is lost"
        );
    }
    let after = acked.iter().filter(|(_, t)| *t > killed_at).count();
    eprintln!(
        "{} writes acknowledged, {after} of them after SIGTERM; {} lines on disk",
        acked.len(),
        lines.len()
    );
    assert!(
        after >= 1,
        "calls in flight at SIGTERM were answered after it ({} acked)",
        acked.len()
    );
    let _ = std::fs::remove_file(&file);
}

#[test]
fn key_configuration_errors_never_echo_a_secret() {
    let secret = "sk+live/0123456789abcdefghij==";
    let e = mcp_runtime::auth::parse_env_keys(&format!("{secret}:hub")).unwrap_err();
    assert!(!e.to_string().contains("sk+live"), "{e}");
    let e =
        mcp_runtime::auth::parse_key_file(&format!("{secret} hub-secret-too-short")).unwrap_err();
    assert!(!e.to_string().contains("sk+live"), "{e}");
    let k = ApiKey::new("hub", secret).unwrap();
    assert!(!format!("{k:?}").contains("sk+live"));
}
