//! Cancellation and time limits over real HTTP: blocking work answers for
//! itself (a "cancelled" or "timed out" answer means no effect; an effect is
//! never hidden behind one), a cancel reaches only its own caller's call and
//! never an ambiguous one, and `logging/setLevel` is the caller's own.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_runtime::prelude::*;
use mcp_runtime::{ApiKey, ServerBuilder};
use mcp_tests::{HttpResponse, Post, TestServer};
use serde_json::{Value, json};

const HUB: &str = "cancel-tests-hub-key-0123456789";
const OTHER: &str = "cancel-tests-other-key-987654321";

/// What the tools committed, and how many blocking runs began.
#[derive(Default)]
struct Ledger {
    committed: Mutex<Vec<String>>,
    started: AtomicU32,
}

/// Arguments of `commit_after`.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct CommitArgs {
    /// What to record.
    entry: String,
    /// How long the blocking work takes before it commits.
    work_ms: u64,
    /// Whether the work looks at the interrupt before committing.
    honours_cancel: bool,
}

/// Record `entry` after `workMs` of blocking work, as a transaction would.
#[mcp_tool]
async fn commit_after(args: CommitArgs, ctx: ToolContext) -> Result<String, McpError> {
    let ledger = ctx.state::<Arc<Ledger>>()?.clone();
    ctx.run_blocking(move |interrupt| {
        ledger.started.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(args.work_ms));
        if args.honours_cancel {
            interrupt.check()?;
        }
        ledger.committed.lock().unwrap().push(args.entry.clone());
        Ok(format!("committed {}", args.entry))
    })
    .await
}

/// Record `entry` after `workMs` of async work that must not be cut off
/// (`run_uninterrupted`), as an async database transaction would.
#[mcp_tool]
async fn commit_after_async(args: CommitArgs, ctx: ToolContext) -> Result<String, McpError> {
    let ledger = ctx.state::<Arc<Ledger>>()?.clone();
    ctx.run_uninterrupted(|interrupt| async move {
        ledger.started.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(args.work_ms)).await;
        if args.honours_cancel {
            interrupt.check()?;
        }
        ledger.committed.lock().unwrap().push(args.entry.clone());
        Ok(format!("committed {}", args.entry))
    })
    .await
}

/// Arguments of `wait_for_cancel`.
#[derive(Deserialize, JsonSchema)]
struct WaitArgs {
    /// A label echoed back.
    label: String,
}

/// Wait until cancelled (or 5 s), then say which.
#[mcp_tool]
async fn wait_for_cancel(args: WaitArgs, ctx: ToolContext) -> String {
    tokio::select! {
        () = ctx.cancelled() => format!("{} cancelled", args.label),
        () = tokio::time::sleep(Duration::from_secs(5)) => format!("{} finished", args.label),
    }
}

/// Log at every level, then return.
#[mcp_tool]
async fn chatty(ctx: ToolContext) -> String {
    for level in LogLevel::ALL {
        ctx.log(level, level.as_str()).await;
    }
    "done".to_owned()
}

fn builder(ledger: &Arc<Ledger>) -> ServerBuilder {
    Server::builder("cancellation-tests", "1.0.0")
        .tools_where(|n| {
            matches!(
                n,
                "commit_after" | "commit_after_async" | "wait_for_cancel" | "chatty"
            )
        })
        .keys_from_env(false)
        .api_key(ApiKey::new("hub", HUB).unwrap())
        .api_key(ApiKey::new("other", OTHER).unwrap())
        .state(ledger.clone())
}

fn call(id: u64, tool: &str, args: Value, key: &str) -> Post {
    Post::json(&json!({
        "jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": { "name": tool, "arguments": args }
    }))
    .bearer(key)
}

fn cancel(id: u64, key: &str) -> Post {
    Post::json(&json!({
        "jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": { "requestId": id, "reason": "test" }
    }))
    .bearer(key)
}

/// The tool's text answer, and whether it is an error.
fn answer(r: &HttpResponse) -> (String, bool) {
    assert_eq!(r.status, 200, "{}", r.text());
    let result = &r.json()["result"];
    let text = result["content"][0]["text"].as_str().unwrap().to_owned();
    (text, result["isError"] == json!(true))
}

fn error_message(r: &HttpResponse) -> String {
    let (text, is_error) = answer(r);
    assert!(is_error, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    v["error"]["message"].as_str().unwrap().to_owned()
}

async fn started(ledger: &Ledger, n: u32) {
    for _ in 0..500 {
        if ledger.started.load(Ordering::SeqCst) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the blocking work did not start");
}

#[tokio::test]
async fn a_cancelled_call_whose_work_sees_it_answers_cancelled_and_commits_nothing() {
    let ledger = Arc::new(Ledger::default());
    let server = TestServer::start(builder(&ledger).build().unwrap()).await;
    let addr = server.addr;
    let args = json!({ "entry": "q1", "workMs": 400, "honoursCancel": true });
    let pending = tokio::spawn(async move { call(1, "commit_after", args, HUB).send(addr).await });
    started(&ledger, 1).await;
    assert_eq!(cancel(1, HUB).send(addr).await.status, 202);
    let r = pending.await.unwrap();
    assert_eq!(error_message(&r), "the call was cancelled");
    assert!(ledger.committed.lock().unwrap().is_empty());
}

#[tokio::test]
async fn uninterrupted_async_work_answers_for_itself_when_cancelled() {
    let ledger = Arc::new(Ledger::default());
    let server = TestServer::start(builder(&ledger).build().unwrap()).await;
    let addr = server.addr;
    for (id, honours, answer_is) in [(1, true, None), (2, false, Some("committed a2"))] {
        let entry = format!("a{id}");
        let args = json!({ "entry": entry, "workMs": 300, "honoursCancel": honours });
        let pending =
            tokio::spawn(async move { call(id, "commit_after_async", args, HUB).send(addr).await });
        started(&ledger, id as u32).await;
        assert_eq!(cancel(id, HUB).send(addr).await.status, 202);
        let r = pending.await.unwrap();
        match answer_is {
            // The work saw the cancel before its commit: cancelled, no effect.
            None => assert_eq!(error_message(&r), "the call was cancelled"),
            // It committed anyway: the call reports it, not "cancelled".
            Some(text) => assert_eq!(answer(&r), (format!("\"{text}\""), false)),
        }
    }
    assert_eq!(*ledger.committed.lock().unwrap(), ["a2"]);
}

#[tokio::test]
async fn a_cancelled_call_whose_work_committed_anyway_reports_its_result() {
    let ledger = Arc::new(Ledger::default());
    let server = TestServer::start(builder(&ledger).build().unwrap()).await;
    let addr = server.addr;
    let args = json!({ "entry": "q2", "workMs": 400, "honoursCancel": false });
    let pending = tokio::spawn(async move { call(1, "commit_after", args, HUB).send(addr).await });
    started(&ledger, 1).await;
    assert_eq!(cancel(1, HUB).send(addr).await.status, 202);
    let r = pending.await.unwrap();
    assert_eq!(answer(&r), ("\"committed q2\"".to_owned(), false));
    assert_eq!(*ledger.committed.lock().unwrap(), ["q2"]);
}

#[tokio::test]
async fn a_timed_out_call_answers_timed_out_only_when_nothing_was_committed() {
    let ledger = Arc::new(Ledger::default());
    let server = TestServer::start(
        builder(&ledger)
            .call_timeout(Duration::from_millis(150))
            .build()
            .unwrap(),
    )
    .await;
    let honest = call(
        1,
        "commit_after",
        json!({ "entry": "t1", "workMs": 400, "honoursCancel": true }),
        HUB,
    )
    .send(server.addr)
    .await;
    assert_eq!(
        error_message(&honest),
        "the tool call timed out after 150 ms"
    );
    assert!(ledger.committed.lock().unwrap().is_empty());
    let late = call(
        2,
        "commit_after",
        json!({ "entry": "t2", "workMs": 400, "honoursCancel": false }),
        HUB,
    )
    .send(server.addr)
    .await;
    assert_eq!(answer(&late), ("\"committed t2\"".to_owned(), false));
    assert_eq!(*ledger.committed.lock().unwrap(), ["t2"]);
}

#[tokio::test]
async fn a_cancel_with_an_id_two_calls_of_one_key_share_cancels_neither() {
    let ledger = Arc::new(Ledger::default());
    let server = TestServer::start(builder(&ledger).build().unwrap()).await;
    let addr = server.addr;
    // Two agents behind the hub's one key, both using id 1.
    let a = tokio::spawn(async move {
        call(1, "wait_for_cancel", json!({ "label": "a" }), HUB)
            .send(addr)
            .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let b = tokio::spawn(async move {
        call(1, "wait_for_cancel", json!({ "label": "b" }), HUB)
            .send(addr)
            .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Another key's cancel of id 1 reaches neither.
    assert_eq!(cancel(1, OTHER).send(addr).await.status, 202);
    // The ambiguous cancel reaches neither either.
    assert_eq!(cancel(1, HUB).send(addr).await.status, 202);
    let (ra, rb) = (a.await.unwrap(), b.await.unwrap());
    assert_eq!(answer(&ra).0, "\"a finished\"");
    assert_eq!(answer(&rb).0, "\"b finished\"");
}

#[tokio::test]
async fn a_second_call_with_the_same_id_does_not_unregister_the_first() {
    let ledger = Arc::new(Ledger::default());
    let server = TestServer::start(builder(&ledger).build().unwrap()).await;
    let addr = server.addr;
    let first = tokio::spawn(async move {
        call(7, "wait_for_cancel", json!({ "label": "first" }), HUB)
            .send(addr)
            .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A quick second call with id 7 comes and goes.
    let quick = call(
        7,
        "commit_after",
        json!({ "entry": "quick", "workMs": 0, "honoursCancel": true }),
        HUB,
    )
    .send(addr)
    .await;
    assert_eq!(answer(&quick).0, "\"committed quick\"");
    // The first is still cancellable by its id.
    assert_eq!(cancel(7, HUB).send(addr).await.status, 202);
    let r = tokio::time::timeout(Duration::from_secs(2), first)
        .await
        .expect("cancelled promptly")
        .unwrap();
    assert_eq!(answer(&r).0, "\"first cancelled\"");
}

fn handshake(id: u64, method: &str, params: Value, key: &str) -> Post {
    Post::json(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }))
        .bearer(key)
        .header("MCP-Protocol-Version", "2025-11-25")
}

/// The levels of the log notifications streamed before a `chatty` result.
async fn levels_seen(addr: std::net::SocketAddr, key: &str) -> Vec<String> {
    let r = handshake(
        9,
        "tools/call",
        json!({ "name": "chatty", "arguments": {} }),
        key,
    )
    .send(addr)
    .await;
    r.messages()
        .iter()
        .filter(|m| m["method"] == "notifications/message")
        .map(|m| m["params"]["level"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn set_level_is_the_callers_own() {
    let ledger = Arc::new(Ledger::default());
    let server = TestServer::start(builder(&ledger).build().unwrap()).await;
    let r = handshake(1, "logging/setLevel", json!({ "level": "error" }), OTHER)
        .send(server.addr)
        .await;
    assert_eq!(r.json()["result"], json!({}));
    assert_eq!(
        levels_seen(server.addr, OTHER).await,
        ["error", "critical", "alert", "emergency"]
    );
    // The hub's key did not set a level: it still receives every level.
    assert_eq!(levels_seen(server.addr, HUB).await.len(), 8);
}

#[tokio::test]
async fn one_tenant_cannot_take_every_slot() {
    let ledger = Arc::new(Ledger::default());
    let server = TestServer::start(
        builder(&ledger)
            .max_concurrent_calls_per_tenant(Some(2))
            .build()
            .unwrap(),
    )
    .await;
    let addr = server.addr;
    let wait = |id: u64, tenant: &'static str| {
        tokio::spawn(async move {
            call(
                id,
                "wait_for_cancel",
                json!({ "label": tenant, "tenantId": tenant }),
                HUB,
            )
            .send(addr)
            .await
        })
    };
    let stalled = [wait(1, "acme"), wait(2, "acme")];
    tokio::time::sleep(Duration::from_millis(150)).await;
    let third = call(
        3,
        "wait_for_cancel",
        json!({ "label": "x", "tenantId": "acme" }),
        HUB,
    )
    .send(addr)
    .await;
    assert_eq!(
        error_message(&third),
        "too many calls in flight for this tenant (at most 2); retry shortly"
    );
    let v: Value = serde_json::from_str(&answer(&third).0).unwrap();
    assert_eq!(v["error"]["type"], "rate_limit");
    assert_eq!(v["error"]["retryAfterMs"], 100);
    // Another tenant is served at once.
    let other = call(
        4,
        "commit_after",
        json!({ "entry": "g", "workMs": 0, "honoursCancel": true, "tenantId": "globex" }),
        HUB,
    )
    .send(addr)
    .await;
    assert_eq!(answer(&other).0, "\"committed g\"");
    for id in [1, 2] {
        assert_eq!(cancel(id, HUB).send(addr).await.status, 202);
    }
    for s in stalled {
        assert_eq!(answer(&s.await.unwrap()).0, "\"acme cancelled\"");
    }
    // The slots are free again.
    let again = call(
        5,
        "commit_after",
        json!({ "entry": "a", "workMs": 0, "honoursCancel": true, "tenantId": "acme" }),
        HUB,
    )
    .send(addr)
    .await;
    assert_eq!(answer(&again).0, "\"committed a\"");
}
