//! The protocol over stdio: newline-delimited JSON-RPC through
//! `Server::serve_io` on in-process pipes, and the `stdio-server` binary as a
//! real process (stdout carries only protocol messages, logs go to stderr, the
//! process exits 0 when stdin ends).
//!
//! Every line the server writes is validated against the official schema of
//! the revision in use (see [`mcp_tests::assert_valid_message`]).

use std::io::{BufRead, BufReader as StdBufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mcp_runtime::prelude::*;
use mcp_tests::{Revision, assert_valid_message, meta_2026};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines};
use tokio::task::JoinHandle;

// The shared protocol test tools: add, log_levels, progress_steps, slow.
#[path = "../fixtures/protocol_tools.rs"]
mod tools;

use tools::Probe;

const LEGACY: Revision = Revision::R2025_11_25;
const STATELESS: Revision = Revision::R2026_07_28;
const INSTRUCTIONS: &str = "Stdio protocol test tools.";

// ----------------------------------------------------------------- helpers

/// The client end of a server running `serve_io` on two in-process pipes.
struct Pipe {
    /// What the server reads (dropped: EOF).
    to_server: Option<DuplexStream>,
    /// What the server writes, line by line.
    from_server: Lines<BufReader<DuplexStream>>,
    task: JoinHandle<std::io::Result<()>>,
    rev: Revision,
}

fn build(probe: &Arc<Probe>) -> Server {
    Server::builder("proto-stdio", "0.9.0")
        .instructions(INSTRUCTIONS)
        .keys_from_env(false)
        .page_size(2)
        .state(probe.clone())
        .build()
        .expect("valid tools")
}

fn serve() -> (Pipe, Arc<Probe>) {
    let probe = Arc::new(Probe::default());
    let server = build(&probe);
    let (to_server, server_reads) = tokio::io::duplex(64 * 1024);
    let (server_writes, from_server) = tokio::io::duplex(64 * 1024);
    let task = tokio::spawn(server.serve_io(BufReader::new(server_reads), server_writes));
    let pipe = Pipe {
        to_server: Some(to_server),
        from_server: BufReader::new(from_server).lines(),
        task,
        rev: LEGACY,
    };
    (pipe, probe)
}

impl Pipe {
    /// Write one raw line (a newline is added).
    async fn line(&mut self, text: &str) {
        let w = self.to_server.as_mut().expect("not closed");
        w.write_all(text.as_bytes()).await.expect("write");
        w.write_all(b"\n").await.expect("write");
        w.flush().await.expect("flush");
    }

    async fn send(&mut self, msg: &Value) {
        self.line(&msg.to_string()).await;
    }

    /// The next line the server wrote: one JSON-RPC message, validated.
    async fn recv(&mut self, result_def: Option<&str>) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(5), self.from_server.next_line())
            .await
            .expect("a line within 5 s")
            .expect("read")
            .expect("the server is still writing");
        let msg: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}"));
        assert_valid_message(self.rev, &msg, result_def);
        msg
    }

    /// Assert the server writes nothing for `ms` milliseconds.
    async fn silent_for(&mut self, ms: u64) {
        if let Ok(line) =
            tokio::time::timeout(Duration::from_millis(ms), self.from_server.next_line()).await
        {
            panic!("expected no output, got {line:?}");
        }
    }

    /// Close the server's input; returns every line written after that (each
    /// validated) and what `serve_io` returned.
    async fn close(mut self, result_def: Option<&str>) -> (Vec<Value>, std::io::Result<()>) {
        drop(self.to_server.take());
        let mut rest = Vec::new();
        loop {
            let line = tokio::time::timeout(Duration::from_secs(5), self.from_server.next_line())
                .await
                .expect("output ends within 5 s of EOF")
                .expect("read");
            let Some(line) = line else { break };
            let msg: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}"));
            assert_valid_message(self.rev, &msg, result_def);
            rest.push(msg);
        }
        let result = tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("serve_io returns at EOF")
            .expect("no panic");
        (rest, result)
    }
}

fn rpc(id: Value, method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

fn result_of(id: Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

/// Assert `msg` is exactly the error `{code, message}` for `id` (any
/// non-empty message); returns the message.
fn error_of(msg: &Value, id: Value, code: i64) -> String {
    let text = msg["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("an error message: {msg}"))
        .to_owned();
    assert!(!text.is_empty(), "{msg}");
    assert_eq!(
        msg,
        &json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": text } })
    );
    text
}

fn text_result(text: &str) -> Value {
    json!({ "content": [{ "type": "text", "text": text }] })
}

async fn wait_for(flag: &AtomicBool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !flag.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

// ----------------------------------------------------------------- in process

#[tokio::test]
async fn a_session_over_newline_delimited_json() {
    let (mut pipe, probe) = serve();
    let definitions: Vec<Value> = build(&probe)
        .registry()
        .tools()
        .iter()
        .map(|t| t.definition().clone())
        .collect();
    pipe.send(&rpc(
        json!(0),
        "initialize",
        json!({
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": { "name": "mcp-tests", "version": "1.0.0" }
        }),
    ))
    .await;
    assert_eq!(
        pipe.recv(Some("InitializeResult")).await,
        result_of(
            json!(0),
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": { "tools": { "listChanged": false }, "logging": {} },
                "serverInfo": { "name": "proto-stdio", "version": "0.9.0" },
                "instructions": INSTRUCTIONS
            })
        )
    );
    pipe.send(&json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }))
        .await;
    pipe.send(&rpc(json!(1), "ping", json!({}))).await;
    assert_eq!(
        pipe.recv(Some("EmptyResult")).await,
        result_of(json!(1), json!({}))
    );
    // tools/list, two per page.
    let mut tools = Vec::new();
    let mut cursor = None;
    for id in 2..10 {
        let params = match &cursor {
            Some(c) => json!({ "cursor": c }),
            None => json!({}),
        };
        pipe.send(&rpc(json!(id), "tools/list", params)).await;
        let msg = pipe.recv(Some("ListToolsResult")).await;
        assert_eq!(msg["id"], json!(id));
        tools.extend(msg["result"]["tools"].as_array().expect("tools").clone());
        cursor = msg["result"].get("nextCursor").cloned();
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(tools, definitions);
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, ["add", "log_levels", "progress_steps", "slow"]);
    pipe.send(&rpc(
        json!("call"),
        "tools/call",
        json!({ "name": "add", "arguments": { "a": 20, "b": 22 } }),
    ))
    .await;
    assert_eq!(
        pipe.recv(Some("CallToolResult")).await,
        result_of(
            json!("call"),
            json!({
                "content": [{ "type": "text", "text": "{\"sum\":42}" }],
                "structuredContent": { "sum": 42 }
            })
        )
    );
    // Protocol errors come back on the same stream.
    pipe.send(&rpc(json!(7), "nope", json!({}))).await;
    error_of(&pipe.recv(None).await, json!(7), -32601);
    pipe.send(&rpc(json!(8), "tools/call", json!({ "name": "nope" })))
        .await;
    error_of(&pipe.recv(None).await, json!(8), -32602);
    let (rest, result) = pipe.close(None).await;
    assert_eq!(rest, Vec::<Value>::new());
    result.expect("serve_io ends cleanly at EOF");
}

#[tokio::test]
async fn notifications_and_client_responses_produce_no_output() {
    let (mut pipe, _) = serve();
    for msg in [
        json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
        json!({ "jsonrpc": "2.0", "method": "notifications/cancelled", "params": { "requestId": 3 } }),
        json!({ "jsonrpc": "2.0", "method": "notifications/progress", "params": { "progressToken": 1, "progress": 1 } }),
        json!({ "jsonrpc": "2.0", "method": "some/other/notification" }),
        json!({ "jsonrpc": "2.0", "id": 1, "result": {} }),
        json!({ "jsonrpc": "2.0", "id": 2, "error": { "code": -1, "message": "no" } }),
    ] {
        pipe.send(&msg).await;
    }
    pipe.silent_for(150).await;
    pipe.send(&rpc(json!("p"), "ping", json!({}))).await;
    assert_eq!(
        pipe.recv(Some("EmptyResult")).await,
        result_of(json!("p"), json!({}))
    );
    let (rest, result) = pipe.close(None).await;
    assert!(rest.is_empty(), "{rest:?}");
    result.expect("clean EOF");
}

#[tokio::test]
async fn progress_notifications_precede_the_result() {
    let (mut pipe, _) = serve();
    pipe.send(&rpc(
        json!(5),
        "tools/call",
        json!({ "name": "progress_steps", "arguments": { "steps": 3 }, "_meta": { "progressToken": "tok" } }),
    ))
    .await;
    let mut msgs = Vec::new();
    for _ in 0..4 {
        msgs.push(pipe.recv(Some("CallToolResult")).await);
    }
    let progress = |n: f64| {
        json!({
            "jsonrpc": "2.0",
            "method": "notifications/progress",
            "params": { "progressToken": "tok", "progress": n, "total": 3.0, "message": format!("step {n}") }
        })
    };
    assert_eq!(
        msgs,
        [
            progress(1.0),
            progress(2.0),
            progress(3.0),
            result_of(json!(5), text_result("counted to 3"))
        ]
    );
    // Without a token: the result alone.
    pipe.send(&rpc(
        json!(6),
        "tools/call",
        json!({ "name": "progress_steps", "arguments": { "steps": 2 } }),
    ))
    .await;
    assert_eq!(
        pipe.recv(Some("CallToolResult")).await,
        result_of(json!(6), text_result("counted to 2"))
    );
    pipe.close(None).await.1.expect("clean EOF");
}

#[tokio::test]
async fn set_level_filters_log_notifications() {
    let (mut pipe, _) = serve();
    pipe.send(&rpc(
        json!(1),
        "logging/setLevel",
        json!({ "level": "warning" }),
    ))
    .await;
    assert_eq!(
        pipe.recv(Some("EmptyResult")).await,
        result_of(json!(1), json!({}))
    );
    pipe.send(&rpc(
        json!(2),
        "tools/call",
        json!({ "name": "log_levels", "arguments": {} }),
    ))
    .await;
    let log = |level: &str| {
        json!({
            "jsonrpc": "2.0",
            "method": "notifications/message",
            "params": { "level": level, "logger": "log_levels", "data": format!("{level} message") }
        })
    };
    let mut msgs = Vec::new();
    for _ in 0..3 {
        msgs.push(pipe.recv(Some("CallToolResult")).await);
    }
    assert_eq!(
        msgs,
        [
            log("warning"),
            log("error"),
            result_of(json!(2), text_result("logged"))
        ]
    );
    pipe.close(None).await.1.expect("clean EOF");
}

#[tokio::test]
async fn a_malformed_line_is_answered_and_the_server_keeps_going() {
    let (mut pipe, _) = serve();
    for line in [
        "{oops",
        "not json at all",
        r#"{"jsonrpc":"2.0","id":1,"method":"ping""#,
    ] {
        pipe.line(line).await;
        let msg = pipe.recv(None).await;
        let text = error_of(&msg, Value::Null, -32700);
        assert!(text.starts_with("parse error: "), "{text}");
    }
    // Valid JSON that is not a request; a batch.
    pipe.line(r#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#)
        .await;
    error_of(&pipe.recv(None).await, Value::Null, -32600);
    pipe.line(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#)
        .await;
    assert_eq!(
        error_of(&pipe.recv(None).await, Value::Null, -32600),
        "invalid request: batch arrays are not supported; send one JSON-RPC message per request"
    );
    // Blank lines are skipped; CRLF line ends are fine.
    pipe.line("").await;
    pipe.line("   ").await;
    pipe.silent_for(100).await;
    pipe.line("{\"jsonrpc\":\"2.0\",\"id\":\"after\",\"method\":\"ping\"}\r")
        .await;
    assert_eq!(
        pipe.recv(Some("EmptyResult")).await,
        result_of(json!("after"), json!({}))
    );
    pipe.close(None).await.1.expect("clean EOF");
}

#[tokio::test]
async fn eof_ends_serve_io_once_the_calls_in_flight_have_answered() {
    let (mut pipe, probe) = serve();
    pipe.send(&rpc(
        json!("slow"),
        "tools/call",
        json!({ "name": "slow", "arguments": { "ms": 300 } }),
    ))
    .await;
    pipe.send(&rpc(
        json!("fast"),
        "tools/call",
        json!({ "name": "add", "arguments": { "a": 1, "b": 1 } }),
    ))
    .await;
    wait_for(&probe.started, "the slow call to start").await;
    let closed = Instant::now();
    let (mut rest, result) = pipe.close(Some("CallToolResult")).await;
    result.expect("serve_io returns Ok at EOF");
    rest.sort_by_key(|m| m["id"].as_str().map(str::to_owned));
    assert_eq!(
        rest,
        [
            result_of(
                json!("fast"),
                json!({
                    "content": [{ "type": "text", "text": "{\"sum\":2}" }],
                    "structuredContent": { "sum": 2 }
                })
            ),
            result_of(json!("slow"), text_result("waited 300 ms")),
        ]
    );
    assert!(!probe.interrupted.load(Ordering::SeqCst));
    assert!(closed.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn eof_with_nothing_in_flight_returns_at_once() {
    let (pipe, _) = serve();
    let (rest, result) = pipe.close(None).await;
    assert!(rest.is_empty());
    result.expect("clean EOF");
    // A last line without a newline is still served.
    let (mut pipe, _) = serve();
    let w = pipe.to_server.as_mut().expect("open");
    w.write_all(br#"{"jsonrpc":"2.0","id":9,"method":"ping"}"#)
        .await
        .expect("write");
    let (rest, result) = pipe.close(Some("EmptyResult")).await;
    assert_eq!(rest, [result_of(json!(9), json!({}))]);
    result.expect("clean EOF");
}

#[tokio::test]
async fn cancelled_notification_stops_an_in_flight_call() {
    let (mut pipe, probe) = serve();
    pipe.send(&rpc(
        json!(11),
        "tools/call",
        json!({ "name": "slow", "arguments": { "ms": 30_000 } }),
    ))
    .await;
    wait_for(&probe.started, "the slow call to start").await;
    let sent = Instant::now();
    pipe.send(&json!({
        "jsonrpc": "2.0",
        "method": "notifications/cancelled",
        "params": { "requestId": 11, "reason": "user" }
    }))
    .await;
    // `slow` watches `ctx.cancelled()` and answers for itself; the runtime
    // passes a tool's own answer through.
    let text =
        json!({ "error": { "type": "server_error", "message": "stopped early" } }).to_string();
    assert_eq!(
        pipe.recv(Some("CallToolResult")).await,
        result_of(
            json!(11),
            json!({ "content": [{ "type": "text", "text": text }], "isError": true })
        )
    );
    assert!(sent.elapsed() < Duration::from_secs(5));
    wait_for(&probe.interrupted, "the tool to see the cancellation").await;
    pipe.close(None).await.1.expect("clean EOF");
}

#[tokio::test]
async fn stateless_requests_over_stdio() {
    let (mut pipe, _) = serve();
    pipe.rev = STATELESS;
    let with_meta = |mut params: Value| {
        params["_meta"] = meta_2026();
        params
    };
    let server_meta = json!({ "io.modelcontextprotocol/serverInfo": { "name": "proto-stdio", "version": "0.9.0" } });
    pipe.send(&rpc(json!(1), "server/discover", with_meta(json!({}))))
        .await;
    assert_eq!(
        pipe.recv(Some("DiscoverResult")).await,
        result_of(
            json!(1),
            json!({
                "supportedVersions": ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"],
                "capabilities": { "tools": { "listChanged": false }, "logging": {} },
                "instructions": INSTRUCTIONS,
                "ttlMs": 300_000,
                "cacheScope": "public",
                "resultType": "complete",
                "_meta": server_meta
            })
        )
    );
    pipe.send(&rpc(
        json!(2),
        "tools/call",
        with_meta(json!({ "name": "add", "arguments": { "a": 2, "b": 2 } })),
    ))
    .await;
    assert_eq!(
        pipe.recv(Some("CallToolResult")).await,
        result_of(
            json!(2),
            json!({
                "content": [{ "type": "text", "text": "{\"sum\":4}" }],
                "structuredContent": { "sum": 4 },
                "resultType": "complete",
                "_meta": server_meta
            })
        )
    );
    pipe.send(&rpc(json!(3), "ping", with_meta(json!({}))))
        .await;
    error_of(&pipe.recv(None).await, json!(3), -32601);
    // `_meta` names the version but not the client's capabilities.
    pipe.send(&rpc(
        json!(4),
        "tools/list",
        json!({ "_meta": { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } }),
    ))
    .await;
    error_of(&pipe.recv(None).await, json!(4), -32602);
    let mut meta = meta_2026();
    meta["io.modelcontextprotocol/protocolVersion"] = json!("v999.0.0");
    pipe.send(&rpc(json!(5), "tools/list", json!({ "_meta": meta })))
        .await;
    let msg = pipe.recv(None).await;
    assert_eq!(
        msg,
        json!({
            "jsonrpc": "2.0",
            "id": 5,
            "error": {
                "code": -32022,
                "message": msg["error"]["message"],
                "data": {
                    "requested": "v999.0.0",
                    "supported": ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]
                }
            }
        })
    );
    pipe.close(None).await.1.expect("clean EOF");
}

// ----------------------------------------------------------------- a real process

/// Lines of a child's stdout, read on a thread so a silent child cannot hang the test.
fn line_reader(out: impl Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in StdBufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server did not exit within {within:?} of stdin's EOF");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_stdio_binary_speaks_only_protocol_on_stdout_and_exits_0_at_eof() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stdio-server"))
        .env("MCP_LOG", "info")
        .env_remove("RUST_LOG")
        .env_remove("MCP_API_KEYS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn stdio-server");
    let mut stdin = child.stdin.take().expect("stdin");
    let lines = line_reader(child.stdout.take().expect("stdout"));
    let mut stderr = child.stderr.take().expect("stderr");
    let stderr_text = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut stdout_lines = Vec::new();
    let mut send = |msg: &Value| {
        writeln!(stdin, "{msg}").expect("write to stdin");
        stdin.flush().expect("flush");
    };
    let recv = |stdout_lines: &mut Vec<String>| -> Value {
        let line = lines
            .recv_timeout(Duration::from_secs(10))
            .expect("a line on stdout within 10 s");
        stdout_lines.push(line.clone());
        let msg: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line:?}"));
        assert_valid_message(LEGACY, &msg, None);
        msg
    };

    send(&rpc(
        json!(0),
        "initialize",
        json!({
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": { "name": "mcp-tests", "version": "1.0.0" }
        }),
    ));
    let init = recv(&mut stdout_lines);
    mcp_tests::assert_valid(LEGACY, &init, Some("InitializeResult"));
    assert_eq!(
        init,
        result_of(
            json!(0),
            json!({
                "protocolVersion": "2025-11-25",
                "capabilities": { "tools": { "listChanged": false }, "logging": {} },
                "serverInfo": { "name": "stdio-server", "version": "3.1.4" },
                "instructions": "Process-level stdio test tools."
            })
        )
    );
    // The notification gets no line: the next line answers the ping.
    send(&json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }));
    send(&rpc(json!(1), "ping", json!({})));
    assert_eq!(recv(&mut stdout_lines), result_of(json!(1), json!({})));
    send(&rpc(
        json!(2),
        "tools/call",
        json!({ "name": "count", "arguments": { "to": 2 }, "_meta": { "progressToken": 7 } }),
    ));
    let progress = |n: f64| {
        json!({
            "jsonrpc": "2.0",
            "method": "notifications/progress",
            "params": { "progressToken": 7, "progress": n, "total": 2.0 }
        })
    };
    let got: Vec<Value> = (0..3).map(|_| recv(&mut stdout_lines)).collect();
    assert_eq!(
        got,
        [
            progress(1.0),
            progress(2.0),
            result_of(json!(2), text_result("counted to 2"))
        ]
    );
    send(&rpc(
        json!(3),
        "tools/call",
        json!({ "name": "add", "arguments": { "a": 3, "b": 4 } }),
    ));
    let add = recv(&mut stdout_lines);
    mcp_tests::assert_valid(LEGACY, &add, Some("CallToolResult"));
    assert_eq!(add["result"]["structuredContent"], json!({ "sum": 7 }));
    // A call still running at EOF, and a malformed line: both answered before exit.
    send(&rpc(
        json!(4),
        "tools/call",
        json!({ "name": "wait", "arguments": { "ms": 300 } }),
    ));
    writeln!(stdin, "{{not json").expect("write");
    drop(stdin);
    let mut tail: Vec<Value> = (0..2).map(|_| recv(&mut stdout_lines)).collect();
    tail.sort_by_key(|m| m["id"].is_null());
    assert_eq!(tail[0], result_of(json!(4), text_result("waited 300 ms")));
    assert_eq!(tail[1]["error"]["code"], json!(-32700));
    assert_eq!(tail[1]["id"], Value::Null);

    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert!(status.success(), "exit status {status:?}");
    assert_eq!(status.code(), Some(0));
    // Nothing more on stdout, and every line was a protocol message.
    if let Ok(line) = lines.recv_timeout(Duration::from_secs(2)) {
        panic!("unexpected stdout line after the last answer: {line:?}");
    }
    for line in &stdout_lines {
        let v: Value = serde_json::from_str(line).expect("JSON");
        assert_eq!(v["jsonrpc"], "2.0", "{line}");
    }
    // The logs went to stderr: one line per call, at least.
    let stderr = stderr_text.join().expect("stderr reader");
    assert!(stderr.contains("tools/call"), "stderr: {stderr}");
    assert!(
        !stderr.contains("\"jsonrpc\""),
        "no protocol messages on stderr: {stderr}"
    );
}
