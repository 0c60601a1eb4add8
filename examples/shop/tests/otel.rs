//! OpenTelemetry traces of the real shop binary, received by a collector in
//! this test that decodes OTLP/HTTP with the official protobuf definitions
//! (`opentelemetry-proto`): a call's span continues the caller's trace (from
//! `params._meta.traceparent`, or the HTTP `traceparent` header through the
//! HTTP span), carries the MCP attributes and the wire error kind, the
//! shop's own database span nests under it, other requests have spans of
//! their own, and no argument value is exported. With a collector that never answers, calls answer as usual and
//! the shop still stops at once.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use mcp_tests::Post;
use mcp_tests::process::Proc;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::{Span, span::SpanKind, status::StatusCode};
use prost::Message;
use serde_json::{Value, json};

const KEY: &str = "shop-otel-test-key-0123456789abcdef";

/// The caller's trace, sent in `params._meta`.
const META_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const META_PARENT: &str = "00f067aa0ba902b7";
/// The caller's trace, sent as the HTTP `traceparent` header.
const HEADER_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const HEADER_PARENT: &str = "b7ad6b7169203331";
/// The trace of the requests other than calls.
const LIST_TRACE: &str = "5bf92f3577b34da6a3ce929d0e0e4737";

/// Argument values: they must appear nowhere in what is exported.
const FOUND_ORDER: &str = "ORD-10001";
const MISSING_ORDER: &str = "ORD-99999";

/// Every export request the collector received.
type Received = Arc<Mutex<Vec<ExportTraceServiceRequest>>>;

async fn traces(
    State(received): State<Received>,
    body: Bytes,
) -> impl axum::response::IntoResponse {
    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf trace export");
    received.lock().unwrap().push(request);
    (
        [(axum::http::header::CONTENT_TYPE, "application/x-protobuf")],
        ExportTraceServiceResponse::default().encode_to_vec(),
    )
}

/// A collector on loopback taking `POST /v1/traces`.
async fn collector() -> (SocketAddr, Received) {
    let received = Received::default();
    let app = axum::Router::new()
        .route("/v1/traces", axum::routing::post(traces))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, received)
}

/// A fresh database directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("shop-otel-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The shop binary exporting to `endpoint`.
fn shop(dir: &TempDir, endpoint: &str, extra: &[(&str, &str)]) -> Proc {
    let db = dir.0.join("shop.db");
    let keys = format!("hub:{KEY}");
    let mut env = vec![
        ("MCP_ADDR", "127.0.0.1:0"),
        ("MCP_API_KEYS", keys.as_str()),
        ("SHOP_DB", db.to_str().unwrap()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_SERVICE_NAME", "shop-otel-test"),
        ("OTEL_TRACES_SAMPLER", "parentbased_always_on"),
    ];
    env.extend_from_slice(extra);
    Proc::spawn(env!("CARGO_BIN_EXE_shop"), &env)
}

fn get_order(id: &str, number: &str, meta: Option<Value>) -> Value {
    let mut params = json!({
        "name": "get_order",
        "arguments": { "tenantId": "acme", "orderNumber": number }
    });
    if let Some(m) = meta {
        params["_meta"] = m;
    }
    json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params })
}

/// The `error.type` of a failed call's result, or `None` for a success.
fn error_kind(response: &Value) -> Option<String> {
    let result = &response["result"];
    if result["isError"] != true {
        return None;
    }
    let text = result["content"][0]["text"].as_str().expect("error text");
    let error: Value = serde_json::from_str(text).expect("error JSON");
    Some(
        error["error"]["type"]
            .as_str()
            .expect("error type")
            .to_owned(),
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attr<'s>(attributes: &'s [KeyValue], key: &str) -> Option<&'s any_value::Value> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn str_attr<'s>(span: &'s Span, key: &str) -> Option<&'s str> {
    match attr(&span.attributes, key) {
        Some(any_value::Value::StringValue(s)) => Some(s),
        _ => None,
    }
}

fn spans(received: &Received) -> Vec<Span> {
    received
        .lock()
        .unwrap()
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| s.spans.clone())
        .collect()
}

fn find<'s>(spans: &'s [Span], name: &str, trace: &str) -> &'s Span {
    spans
        .iter()
        .find(|s| s.name == name && hex(&s.trace_id) == trace)
        .unwrap_or_else(|| {
            let seen: Vec<_> = spans
                .iter()
                .map(|s| format!("{} (trace {})", s.name, hex(&s.trace_id)))
                .collect();
            panic!("no span `{name}` in trace {trace}; received: {seen:#?}")
        })
}

fn by_id<'s>(spans: &'s [Span], id: &[u8]) -> &'s Span {
    spans
        .iter()
        .find(|s| s.span_id == id)
        .unwrap_or_else(|| panic!("no span with id {}", hex(id)))
}

#[tokio::test]
async fn call_spans_continue_the_callers_trace_with_mcp_attributes_and_no_arguments() {
    let (collector, received) = collector().await;
    let dir = TempDir::new("export");
    // The batch's default delay is 5 s: what this test receives, the
    // shutdown flush sends.
    let mut proc = shop(&dir, &format!("http://{collector}"), &[]);
    let addr = proc.addr().await;
    assert!(
        !proc.stderr().contains("without the `otel` feature"),
        "{} is a shop built without traces (something rebuilt it without \
         `--features otel`):\n{}",
        env!("CARGO_BIN_EXE_shop"),
        proc.stderr()
    );

    // 2026-07-28, the caller's context in `_meta`.
    let mut meta = mcp_tests::meta_2026();
    meta["traceparent"] = json!(format!("00-{META_TRACE}-{META_PARENT}-01"));
    meta["tracestate"] = json!("shop=test");
    let ok = Post::json(&get_order("call-1", FOUND_ORDER, Some(meta)))
        .bearer(KEY)
        .stateless("tools/call", Some("get_order"))
        .send(addr)
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(error_kind(&ok.json()), None, "{}", ok.text());

    // 2025-11-25, the caller's context in the HTTP header; the order is not there.
    let missing = Post::json(&get_order("call-2", MISSING_ORDER, None))
        .bearer(KEY)
        .header("MCP-Protocol-Version", "2025-11-25")
        .header(
            "traceparent",
            &format!("00-{HEADER_TRACE}-{HEADER_PARENT}-01"),
        )
        .send(addr)
        .await;
    assert_eq!(missing.status, 200, "{}", missing.text());
    assert_eq!(error_kind(&missing.json()).as_deref(), Some("not_found"));

    // Other requests have spans of their own; an unknown method is `_OTHER`.
    for (id, method) in [(3, "tools/list"), (4, "no/such/method")] {
        let response = Post::json(&json!({ "jsonrpc": "2.0", "id": id, "method": method }))
            .bearer(KEY)
            .header("MCP-Protocol-Version", "2025-11-25")
            .header(
                "traceparent",
                &format!("00-{LIST_TRACE}-{HEADER_PARENT}-01"),
            )
            .send(addr)
            .await;
        assert_eq!(response.status, 200, "{}", response.text());
    }

    // Stopping the shop exports what is still queued: all ten spans, each
    // call with its db read and HTTP span, the list and the unknown
    // method with theirs.
    proc.signal("TERM");
    let status = proc.wait_exit(Duration::from_secs(20)).await;
    assert!(status.success(), "{status:?}\n{}", proc.stderr());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while spans(&received).len() < 10 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let spans = spans(&received);
    assert!(
        spans.len() >= 10,
        "the collector received {} spans; the shop's stderr:\n{}",
        spans.len(),
        proc.stderr()
    );

    // The call with `_meta`: child of the caller's span, linked to its HTTP span.
    let call = find(&spans, "tools/call get_order", META_TRACE);
    assert_eq!(call.kind, SpanKind::Server as i32);
    assert_eq!(hex(&call.parent_span_id), META_PARENT);
    for (key, want) in [
        ("mcp.method.name", "tools/call"),
        ("gen_ai.tool.name", "get_order"),
        ("gen_ai.operation.name", "execute_tool"),
        ("mcp.protocol.version", "2026-07-28"),
        ("jsonrpc.request.id", "call-1"),
        ("network.transport", "tcp"),
        ("tenant", "acme"),
        ("key", "hub"),
        ("outcome", "ok"),
    ] {
        assert_eq!(str_attr(call, key), Some(want), "{key} of {call:#?}");
    }
    assert_eq!(str_attr(call, "error.type"), None);
    assert!(
        attr(&call.attributes, "mcp.session.id").is_none(),
        "no sessions yet"
    );
    assert_ne!(
        call.status.as_ref().map_or(0, |s| s.code),
        StatusCode::Error as i32
    );
    let [link] = call.links.as_slice() else {
        panic!("one link, to the HTTP span: {:#?}", call.links)
    };
    let http = by_id(&spans, &link.span_id);
    assert_eq!(http.name, "POST /mcp");
    assert_eq!(http.kind, SpanKind::Server as i32);
    assert_eq!(
        attr(&http.attributes, "http.response.status_code"),
        Some(&any_value::Value::IntValue(200))
    );
    // The shop's own span nests under the call.
    let db = find(&spans, "db read", META_TRACE);
    assert_eq!(db.parent_span_id, call.span_id);
    assert_eq!(str_attr(db, "db.system.name"), Some("sqlite"));

    // The failing call with the header: the HTTP span continues the caller's
    // trace and the call is its child.
    let failed = find(&spans, "tools/call get_order", HEADER_TRACE);
    assert_eq!(failed.kind, SpanKind::Server as i32);
    assert_eq!(str_attr(failed, "error.type"), Some("not_found"));
    assert_eq!(str_attr(failed, "mcp.protocol.version"), Some("2025-11-25"));
    assert_eq!(str_attr(failed, "jsonrpc.request.id"), Some("call-2"));
    assert_eq!(
        failed.status.as_ref().map(|s| s.code),
        Some(StatusCode::Error as i32)
    );
    let http = by_id(&spans, &failed.parent_span_id);
    assert_eq!(http.name, "POST /mcp");
    assert_eq!(hex(&http.trace_id), HEADER_TRACE);
    assert_eq!(hex(&http.parent_span_id), HEADER_PARENT);

    let list = find(&spans, "tools/list", LIST_TRACE);
    assert_eq!(list.kind, SpanKind::Server as i32);
    assert_eq!(str_attr(list, "mcp.method.name"), Some("tools/list"));
    assert_eq!(str_attr(list, "jsonrpc.request.id"), Some("3"));
    assert_eq!(str_attr(list, "error.type"), None);
    assert_eq!(by_id(&spans, &list.parent_span_id).name, "POST /mcp");
    let unknown = find(&spans, "_OTHER", LIST_TRACE);
    assert_eq!(str_attr(unknown, "mcp.method.name"), Some("_OTHER"));
    assert_eq!(str_attr(unknown, "error.type"), Some("-32601"));
    assert_eq!(
        unknown.status.as_ref().map(|s| s.code),
        Some(StatusCode::Error as i32)
    );

    // The service, as named by OTEL_SERVICE_NAME.
    let resources: Vec<_> = received
        .lock()
        .unwrap()
        .iter()
        .flat_map(|r| r.resource_spans.clone())
        .filter_map(|r| r.resource)
        .collect();
    assert!(
        resources.iter().all(|r| matches!(
            attr(&r.attributes, "service.name"),
            Some(any_value::Value::StringValue(s)) if s == "shop-otel-test"
        )),
        "{resources:#?}"
    );

    // Nothing exported (names, attributes, events, links, status, resource)
    // holds an argument value or the key.
    let everything = format!("{:?}", received.lock().unwrap());
    for secret in [FOUND_ORDER, MISSING_ORDER, KEY] {
        assert!(
            !everything.contains(secret),
            "`{secret}` was exported:\n{everything}"
        );
    }
}

#[tokio::test]
async fn a_collector_that_never_answers_delays_no_call_nor_the_shutdown() {
    // Accepts connections (the kernel does) but never reads or answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let dir = TempDir::new("silent");
    // Batches go out at once, so exports are stuck while the calls run.
    let mut proc = shop(&dir, &endpoint, &[("OTEL_BSP_SCHEDULE_DELAY", "10")]);
    let addr = proc.addr().await;
    for i in 0..20 {
        let started = Instant::now();
        let response = Post::json(&get_order(&format!("c{i}"), FOUND_ORDER, None))
            .bearer(KEY)
            .send(addr)
            .await;
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(error_kind(&response.json()), None, "{}", response.text());
        // A hang, not a benchmark: an export waits 10 s for its answer.
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "call {i} took {:?}",
            started.elapsed()
        );
    }
    // The flush at shutdown waits 5 s at most for the collector.
    let stopping = Instant::now();
    proc.signal("TERM");
    let status = proc.wait_exit(Duration::from_secs(15)).await;
    assert!(status.success(), "{status:?}\n{}", proc.stderr());
    assert!(
        stopping.elapsed() < Duration::from_secs(9),
        "stopping took {:?}",
        stopping.elapsed()
    );
    drop(silent);
}
