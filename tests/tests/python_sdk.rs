//! Our server driven by the **official MCP Python SDK client** (`mcp` 2.3.0,
//! through `tests/py/mcp_client_driver.py`), over Streamable HTTP (in-process
//! server, bearer key) and stdio (the `py-stdio-server` binary as a real
//! subprocess), in both protocol eras: the `initialize` handshake (legacy) and
//! stateless 2026-07-28 (`server/discover`, per-request `_meta`).
//!
//! The SDK validates every result against the negotiated revision's schema
//! and structured output against the tool's `outputSchema`, so a slot that
//! parsed at all is already evidence; the assertions then pin the values.
//!
//! Needs python >= 3.10: the first test runs `scripts/py-venv.sh` (creates
//! `.tools/venv` once). Without python3 the tests print `SKIPPED: python3 not
//! found` and pass, unless `CI` is set, in which case they fail (see
//! `mcp_tests::py_sdk`).

// The tools both servers serve (the stdio binary includes the same file).
#[path = "../fixtures/py_sdk_tools.rs"]
mod tools;

use mcp_runtime::{ApiKey, Registry, Server};
use mcp_tests::TestServer;
use mcp_tests::py_sdk::{self, DriverRun, Mode, run_driver_async, venv_python};
use serde_json::{Value, json};

/// The bearer secret of the HTTP server's one key.
const SECRET: &str = "py-sdk-secret-7f3a9c0e5b21";
const HTTP_NAME: &str = "py-sdk-http-server";
const HTTP_VERSION: &str = "3.1.4";
/// What `tests/src/bin/py-stdio-server.rs` calls itself.
const STDIO_NAME: &str = "py-stdio-server";
const STDIO_VERSION: &str = "2.7.1";
const TOOL_NAMES: [&str; 4] = ["add", "emit_logs", "fail", "report_progress"];

/// Driver flags for `mode`: the era, results as sent (`--exclude-unset`: no
/// SDK defaults filled in), and the 2026 log opt-in at `info`.
fn mode_args(mode: Mode) -> Vec<String> {
    let mut a: Vec<String> = vec!["--mode".into(), mode.flag().into()];
    if mode == Mode::Stateless {
        a.extend(["--log-level".into(), "info".into()]);
    }
    a.extend(["--exclude-unset".into(), "--timeout".into(), "20".into()]);
    a
}

fn http_args(url: &str, key: &str) -> Vec<String> {
    vec![
        "--transport".into(),
        "http".into(),
        "--url".into(),
        url.into(),
        "--header".into(),
        format!("Authorization: Bearer {key}"),
    ]
}

fn stdio_args() -> Vec<String> {
    vec![
        "--transport".into(),
        "stdio".into(),
        "--command".into(),
        env!("CARGO_BIN_EXE_py-stdio-server").into(),
        // The SDK passes only an allow-list of variables to the server.
        "--env".into(),
        "MCP_LOG=warn".into(),
    ]
}

fn http_server() -> Server {
    Server::builder(HTTP_NAME, HTTP_VERSION)
        .api_key(ApiKey::new("py", SECRET).expect("valid key"))
        .keys_from_env(false)
        .build()
        .expect("the test tools are valid")
}

/// The session every positive test runs: list, a structured result, a
/// validation error, a tool error, progress with and without a token, logs.
fn script(mode: Mode) -> Value {
    let mut steps = vec![
        json!({ "op": "list" }),
        json!({ "op": "call", "name": "add", "arguments": { "a": 2, "b": 3 } }),
        json!({ "op": "call", "name": "add", "arguments": { "a": "two", "b": 3 } }),
        json!({ "op": "call", "name": "fail", "arguments": { "message": "no order ORD-9" } }),
        json!({ "op": "call", "name": "report_progress", "arguments": { "steps": 3 }, "progress": true }),
        json!({ "op": "call", "name": "report_progress", "arguments": { "steps": 2 } }),
    ];
    if mode == Mode::Legacy {
        steps.push(json!({ "op": "setLevel", "level": "info" }));
    }
    steps.push(json!({ "op": "call", "name": "emit_logs" }));
    if mode == Mode::Legacy {
        steps.push(json!({ "op": "ping" }));
    }
    Value::Array(steps)
}

/// What the tools of this binary publish: the same module the stdio binary
/// serves, so the same definitions.
fn published_tools() -> Vec<Value> {
    Registry::from_inventory()
        .expect("the test tools are valid")
        .tools()
        .iter()
        .map(|t| t.definition().clone())
        .collect()
}

/// The `op`'s slot at `index`, checked to have a result (not an error or a
/// client-side rejection).
fn result<'d>(doc: &'d Value, index: usize, op: &str) -> &'d Value {
    let slot = &doc["results"][index];
    assert_eq!(slot["op"], op, "slot {index}: {slot}");
    assert!(
        slot.get("error").is_none() && slot.get("exception").is_none(),
        "slot {index} ({op}) failed in the SDK client: {slot}"
    );
    &slot["result"]
}

/// The text of a call result's only content block.
fn only_text(result: &Value) -> &str {
    let content = result["content"].as_array().expect("content is an array");
    assert_eq!(content.len(), 1, "one content block: {result}");
    assert_eq!(content[0]["type"], "text", "{result}");
    content[0]["text"].as_str().expect("text block has text")
}

fn assert_success(result: &Value) {
    assert!(
        result.get("isError").is_none_or(|e| e == false),
        "not an error: {result}"
    );
}

/// Every assertion on a session run with [`script`], for either transport.
fn check_session(doc: &Value, mode: Mode, name: &str, version: &str) {
    assert_eq!(doc["protocolVersion"], mode.protocol_version(), "{doc}");
    let info = json!({ "name": name, "version": version });
    // Legacy: from the initialize result; 2026: from the discover result's _meta.
    assert_eq!(doc["serverInfo"], info, "serverInfo as the client saw it");
    assert_eq!(
        doc["serverCapabilities"],
        json!({ "logging": {}, "tools": { "listChanged": false } })
    );
    match mode {
        Mode::Legacy => assert_eq!(doc["handshake"]["protocolVersion"], "2025-11-25"),
        Mode::Stateless => {
            assert_eq!(doc["handshake"]["supportedVersions"][0], "2026-07-28");
            assert_eq!(doc["handshake"]["resultType"], "complete");
        }
    }
    let ops: Vec<&str> = doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|s| s["op"].as_str().unwrap_or("?"))
        .collect();
    let expected_ops: &[&str] = match mode {
        Mode::Legacy => &[
            "list", "call", "call", "call", "call", "call", "setLevel", "call", "ping",
        ],
        Mode::Stateless => &["list", "call", "call", "call", "call", "call", "call"],
    };
    assert_eq!(ops, expected_ops);

    // tools/list, as the SDK parsed it: exactly what the server publishes.
    let list = result(doc, 0, "list");
    let tools = list["tools"].as_array().expect("tools");
    let names: Vec<&str> = tools
        .iter()
        .map(|t| t["name"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(names, TOOL_NAMES);
    assert_eq!(*tools, published_tools(), "tools as the client parsed them");
    let add = &tools[0];
    assert_eq!(add["title"], "Add");
    assert_eq!(add["description"], "Add two integers. Returns their sum.");
    assert_eq!(
        add["inputSchema"],
        json!({
            "type": "object",
            "properties": {
                "a": { "type": "integer", "description": "The first addend." },
                "b": { "type": "integer", "description": "The second addend." }
            },
            "required": ["a", "b"],
            "additionalProperties": false
        })
    );
    assert_eq!(add["outputSchema"]["properties"]["sum"]["type"], "integer");
    assert_eq!(add["annotations"]["readOnlyHint"], true);
    // 2026 cache hints. (In legacy the SDK drops 2026-only fields before it
    // parses, so their absence would prove nothing here.)
    if mode == Mode::Stateless {
        assert_eq!(list["resultType"], "complete");
        assert_eq!(list["ttlMs"], 300_000);
        assert_eq!(list["cacheScope"], "public");
    }

    // add 2 + 3: structured (checked by the SDK against outputSchema) and as text.
    let sum = result(doc, 1, "call");
    assert_success(sum);
    assert_eq!(sum["structuredContent"], json!({ "sum": 5 }));
    assert_eq!(only_text(sum), r#"{"sum":5}"#);

    // Arguments that do not match the schema: a tool error, not a JSON-RPC error.
    let invalid = result(doc, 2, "call");
    assert_eq!(invalid["isError"], true, "{invalid}");
    let err: Value = serde_json::from_str(only_text(invalid)).expect("error text is JSON");
    assert_eq!(err["error"]["type"], "validation_error", "{err}");
    let msg = err["error"]["message"].as_str().expect("message");
    assert!(msg.contains("`a`") && msg.contains("integer"), "{msg}");
    assert!(invalid.get("structuredContent").is_none(), "{invalid}");

    // A tool that fails: isError with the typed error as text.
    let failed = result(doc, 3, "call");
    assert_eq!(failed["isError"], true, "{failed}");
    assert!(failed.get("structuredContent").is_none(), "{failed}");
    let err: Value = serde_json::from_str(only_text(failed)).expect("error text is JSON");
    assert_eq!(
        err,
        json!({ "error": { "type": "not_found", "message": "no order ORD-9" } })
    );

    // Progress: every notification, in order, matched to the call by its token.
    let with_token = &doc["results"][4];
    assert_success(result(doc, 4, "call"));
    assert_eq!(only_text(&with_token["result"]), "reported 3 steps");
    assert_eq!(
        with_token["progress"],
        json!([
            { "progress": 1.0, "total": 3.0, "message": "step 1 of 3" },
            { "progress": 2.0, "total": 3.0, "message": "step 2 of 3" },
            { "progress": 3.0, "total": 3.0, "message": "step 3 of 3" }
        ])
    );
    // No progress callback, so no progressToken: the server must stay silent.
    let without_token = &doc["results"][5];
    assert_eq!(only_text(result(doc, 5, "call")), "reported 2 steps");
    assert_eq!(without_token["progress"], json!([]));

    // Logs at `info` and above (legacy: logging/setLevel; 2026: _meta logLevel).
    let logs_index = match mode {
        Mode::Legacy => {
            assert_eq!(*result(doc, 6, "setLevel"), json!({}));
            7
        }
        Mode::Stateless => 6,
    };
    let logs = &doc["results"][logs_index];
    assert_eq!(only_text(result(doc, logs_index, "call")), "logged");
    assert_eq!(
        logs["logs"],
        json!([
            { "level": "info", "logger": "emit_logs", "data": "info message" },
            { "level": "warning", "logger": "emit_logs",
              "data": { "detail": "disk almost full", "percent": 93 } }
        ]),
        "debug is below the requested level"
    );
    if mode == Mode::Legacy {
        assert_eq!(*result(doc, 8, "ping"), json!({}));
    }
    // No notification outside a call, and none stray into other calls.
    assert!(doc.get("connectLogs").is_none(), "{doc}");
    for (i, slot) in doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .enumerate()
    {
        if slot["op"] == "call" && i != logs_index {
            assert_eq!(slot["logs"], json!([]), "slot {i}: {slot}");
        }
    }

    // 2026: every call result says it is complete and who answered.
    if mode == Mode::Stateless {
        for (i, slot) in doc["results"]
            .as_array()
            .expect("results")
            .iter()
            .enumerate()
        {
            if slot["op"] == "call" {
                let r = &slot["result"];
                assert_eq!(r["resultType"], "complete", "slot {i}: {r}");
                assert_eq!(
                    r["_meta"]["io.modelcontextprotocol/serverInfo"], info,
                    "slot {i}"
                );
            }
        }
    }
}

/// The HTTP exchanges the driver saw, in order: `(status, content type
/// without parameters, the request's Mcp-Method header)` per response.
fn http_exchanges(doc: &Value) -> Vec<(u64, String, String)> {
    doc["http"]
        .as_array()
        .expect("http exchanges")
        .iter()
        .map(|x| {
            (
                x["status"].as_u64().expect("status"),
                x["contentType"]
                    .as_str()
                    .unwrap_or("")
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .to_owned(),
                x["mcpMethod"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn check_http(doc: &Value, mode: Mode) {
    const JSON: &str = "application/json";
    const SSE: &str = "text/event-stream";
    let x = http_exchanges(doc);
    let expected: Vec<(u64, &str, &str)> = match mode {
        Mode::Legacy => vec![
            (200, JSON, ""), // initialize
            (202, "", ""),   // notifications/initialized
            (200, JSON, ""), // tools/list
            (200, JSON, ""), // add
            (200, JSON, ""), // add, invalid
            (200, JSON, ""), // fail
            (200, SSE, ""),  // progress with a token: streamed
            (200, JSON, ""), // progress without a token: nothing to stream
            (200, JSON, ""), // logging/setLevel
            (200, SSE, ""),  // emit_logs
            (200, JSON, ""), // ping
        ],
        Mode::Stateless => vec![
            (200, JSON, "server/discover"),
            (200, JSON, "tools/list"),
            (200, JSON, "tools/call"),
            (200, JSON, "tools/call"),
            (200, JSON, "tools/call"),
            (200, SSE, "tools/call"),
            (200, JSON, "tools/call"),
            (200, SSE, "tools/call"),
        ],
    };
    let got: Vec<(u64, &str, &str)> = x
        .iter()
        .map(|(s, c, m)| (*s, c.as_str(), m.as_str()))
        .collect();
    assert_eq!(
        got, expected,
        "HTTP responses (status, content type, Mcp-Method)"
    );
}

fn unwrap_doc(run: &DriverRun) -> Value {
    let doc = run.json();
    eprintln!("python driver took {} ms", run.elapsed.as_millis());
    doc
}

async fn http_session(mode: Mode) {
    let Some(python) = venv_python() else { return };
    let server = TestServer::start(http_server()).await;
    let mut args = http_args(&server.url(), SECRET);
    args.extend(mode_args(mode));
    let run = run_driver_async(python, args, script(mode)).await;
    let doc = unwrap_doc(&run);
    check_session(&doc, mode, HTTP_NAME, HTTP_VERSION);
    check_http(&doc, mode);
    server.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_legacy_session() {
    http_session(Mode::Legacy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_2026_session() {
    http_session(Mode::Stateless).await;
}

/// 2026-07-28: logs only for requests that opt in with `_meta` logLevel; a
/// logging callback alone is no opt-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_2026_sends_no_logs_without_opt_in() {
    let Some(python) = venv_python() else { return };
    let server = TestServer::start(http_server()).await;
    let mut args = http_args(&server.url(), SECRET);
    args.extend(["--mode".into(), "2026".into(), "--exclude-unset".into()]);
    let script = json!([{ "op": "call", "name": "emit_logs" }]);
    let doc = unwrap_doc(&run_driver_async(python, args, script).await);
    assert_eq!(only_text(result(&doc, 0, "call")), "logged");
    assert_eq!(doc["results"][0]["logs"], json!([]));
    // Nothing to stream, so a plain JSON answer.
    let calls: Vec<_> = http_exchanges(&doc)
        .into_iter()
        .filter(|x| x.2 == "tools/call")
        .collect();
    assert_eq!(
        calls[0],
        (200, "application/json".into(), "tools/call".into())
    );
    server.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_wrong_key_is_refused_with_401() {
    let Some(python) = venv_python() else { return };
    let server = TestServer::start(http_server()).await;
    for mode in [Mode::Legacy, Mode::Stateless] {
        let mut args = http_args(&server.url(), "py-sdk-wrong-secret-000000");
        args.extend(mode_args(mode));
        let run = run_driver_async(python, args, json!([{ "op": "list" }])).await;
        assert_eq!(
            run.code,
            Some(2),
            "{mode:?}: exit 2 (could not connect)\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("401"),
            "{mode:?}: stderr names the 401:\n{}",
            run.stderr
        );
        assert!(
            run.stdout.trim().is_empty(),
            "{mode:?}: no result document: {}",
            run.stdout
        );
    }
    server.stop().await.expect("clean shutdown");
}

fn stdio_session(mode: Mode) {
    let Some(python) = venv_python() else { return };
    let mut args = stdio_args();
    args.extend(mode_args(mode));
    let run = py_sdk::run_driver(python, &args, &script(mode));
    let doc = unwrap_doc(&run);
    check_session(&doc, mode, STDIO_NAME, STDIO_VERSION);
    assert!(doc.get("http").is_none());
}

#[test]
fn stdio_legacy_session() {
    stdio_session(Mode::Legacy);
}

#[test]
fn stdio_2026_session() {
    stdio_session(Mode::Stateless);
}
