//! The tasks extension (SEP-2663, protocol 2026-07-28) over real HTTP:
//! a task's life (working with progress, completed with the result
//! inlined), a question answered through `tasks/update`, cancellation
//! reaching the handler, TTL expiry, the extension's gating and `Mcp-Name`,
//! one key never reading, answering or cancelling another's task, and a
//! task run by one replica served by another through a real Redis. Every
//! server message is validated as a JSON-RPC message of 2026-07-28.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mcp_runtime::prelude::*;
use mcp_runtime::{ApiKey, Elicitation};
use mcp_tests::{HttpResponse, Post, Revision, TestServer, assert_valid_message, meta_2026};
use serde_json::{Value, json};

const ALICE: &str = "tasks-alice-key-0123456789abcdef";
const MALLORY: &str = "tasks-mallory-key-0123456789abcd";
const EXT: &str = "io.modelcontextprotocol/tasks";

/// Arguments of `crunch`.
#[derive(Deserialize, JsonSchema)]
struct Crunch {
    /// Steps of 100 ms.
    steps: u32,
}

/// The `steps` of each `crunch` handler dropped before it finished
/// (cancelled, stopped): each test uses its own number of steps.
static CRUNCH_DROPPED: Mutex<Vec<u32>> = Mutex::new(Vec::new());

fn dropped(steps: u32) -> usize {
    CRUNCH_DROPPED
        .lock()
        .unwrap()
        .iter()
        .filter(|s| **s == steps)
        .count()
}

/// Records its handler's `steps` when dropped unfinished.
struct CountDrop(Option<u32>);

impl Drop for CountDrop {
    fn drop(&mut self) {
        if let Some(steps) = self.0 {
            CRUNCH_DROPPED.lock().unwrap().push(steps);
        }
    }
}

/// Works `steps` × 100 ms, reporting progress at each step.
#[mcp_tool(read_only, task = "optional")]
async fn crunch(args: Crunch, ctx: ToolContext) -> Result<ToolOutput, McpError> {
    let mut guard = CountDrop(Some(args.steps));
    for step in 0..args.steps {
        ctx.progress(
            f64::from(step + 1),
            Some(f64::from(args.steps)),
            Some(&format!("step {}", step + 1)),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    guard.0 = None;
    Ok(ToolOutput::text(format!("crunched {} steps", args.steps)))
}

/// A name.
#[derive(Deserialize, JsonSchema, ElicitForm)]
struct Name {
    /// The name.
    name: String,
}

/// Asks a name, then greets; only as a task.
#[mcp_tool(read_only, task = "required")]
async fn ask_name(ctx: ToolContext) -> Result<ToolOutput, McpError> {
    Ok(ToolOutput::text(
        match ctx.elicit::<Name>("Your name?").key("name").await? {
            Elicitation::Accept(n) => format!("hello {}", n.name),
            _ => "no name".to_owned(),
        },
    ))
}

async fn start(ttl: Duration) -> TestServer {
    let server = Server::builder("tasks-http", "1.0.0")
        .api_key(ApiKey::new("alice", ALICE).unwrap())
        .api_key(ApiKey::new("mallory", MALLORY).unwrap())
        .keys_from_env(false)
        .task_ttl(ttl)
        .task_poll_interval(Duration::from_millis(50))
        .build()
        .expect("valid tools");
    TestServer::start(server).await
}

fn meta(with_extension: bool) -> Value {
    let mut m = meta_2026();
    m["io.modelcontextprotocol/clientCapabilities"] = if with_extension {
        json!({ "elicitation": {}, "extensions": { EXT: {} } })
    } else {
        json!({ "elicitation": {} })
    };
    m
}

/// A 2026-07-28 request of `key`; its message is validated and returned.
async fn request(
    addr: SocketAddr,
    key: &str,
    method: &str,
    name: Option<&str>,
    mut params: Value,
    with_extension: bool,
) -> (HttpResponse, Value) {
    params["_meta"] = meta(with_extension);
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let resp = Post::json(&body)
        .stateless(method, name)
        .bearer(key)
        .send(addr)
        .await;
    let message = resp.json();
    assert_valid_message(Revision::R2026_07_28, &message, None);
    (resp, message)
}

async fn call(addr: SocketAddr, key: &str, tool: &str, args: Value, ext: bool) -> Value {
    let (_, m) = request(
        addr,
        key,
        "tools/call",
        Some(tool),
        json!({ "name": tool, "arguments": args }),
        ext,
    )
    .await;
    m
}

async fn task(addr: SocketAddr, key: &str, method: &str, id: &str, extra: Value) -> Value {
    let mut params = json!({ "taskId": id });
    if let Value::Object(e) = extra {
        params.as_object_mut().unwrap().extend(e);
    }
    request(addr, key, method, Some(id), params, true).await.1
}

/// Poll `tasks/get` until `done` holds (at most 10 s).
async fn until(addr: SocketAddr, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = task(addr, ALICE, "tasks/get", id, json!({})).await;
        if done(&got["result"]) {
            return got["result"].clone();
        }
        assert!(Instant::now() < deadline, "task never got there: {got}");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

fn is_rfc3339(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 24 && s.ends_with('Z') && s.as_bytes()[10] == b'T' && s.starts_with("20")
    })
}

#[tokio::test]
async fn a_task_works_with_progress_and_completes_with_its_result_inlined() {
    let server = start(Duration::from_secs(60)).await;
    let created = call(server.addr, ALICE, "crunch", json!({ "steps": 5 }), true).await;
    let r = &created["result"];
    assert_eq!(r["resultType"], "task", "{created}");
    assert_eq!(r["status"], "working");
    assert_eq!(r["ttlMs"], 60_000);
    assert_eq!(r["pollIntervalMs"], 50);
    assert!(
        is_rfc3339(&r["createdAt"]) && is_rfc3339(&r["lastUpdatedAt"]),
        "{r}"
    );
    for absent in [
        "result",
        "error",
        "inputRequests",
        "requestState",
        "task",
        "content",
    ] {
        assert!(
            r.get(absent).is_none(),
            "CreateTaskResult carries {absent}: {r}"
        );
    }
    let id = r["taskId"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32, "128 random bits, hex: {id}");

    // Progress is recorded on the task while it works.
    let working = until(server.addr, &id, |t| {
        t["status"] == "working" && t["_meta"]["dev.mcp-runtime/progress"]["progress"].is_number()
    })
    .await;
    assert_eq!(working["resultType"], "complete");
    assert_eq!(working["_meta"]["dev.mcp-runtime/progress"]["total"], 5.0);
    assert!(
        working["statusMessage"]
            .as_str()
            .unwrap()
            .starts_with("step ")
    );
    assert!(working.get("result").is_none());

    let done = until(server.addr, &id, |t| t["status"] == "completed").await;
    assert_eq!(done["result"]["content"][0]["text"], "crunched 5 steps");
    assert!(done["result"].get("isError").is_none());
    assert!(done.get("error").is_none());
    mcp_tests::check_against_spec(Revision::R2026_07_28, "CallToolResult", &done["result"])
        .unwrap();

    // The same call without the extension is answered synchronously.
    let sync = call(server.addr, ALICE, "crunch", json!({ "steps": 1 }), false).await;
    assert_eq!(sync["result"]["resultType"], "complete");
    assert_eq!(sync["result"]["content"][0]["text"], "crunched 1 steps");
    assert!(sync["result"].get("taskId").is_none());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_question_waits_in_the_task_until_tasks_update_answers_it() {
    let server = start(Duration::from_secs(60)).await;
    let created = call(server.addr, ALICE, "ask_name", json!({}), true).await;
    let id = created["result"]["taskId"].as_str().unwrap().to_owned();
    let waiting = until(server.addr, &id, |t| t["status"] == "input_required").await;
    let q = &waiting["inputRequests"]["name"];
    assert_eq!(q["method"], "elicitation/create", "{waiting}");
    assert_eq!(q["params"]["message"], "Your name?");
    mcp_tests::check_against_spec(Revision::R2026_07_28, "ElicitRequestParams", &q["params"])
        .unwrap();

    // A malformed answer is refused; one to a question not asked is ignored.
    let bad = task(
        server.addr,
        ALICE,
        "tasks/update",
        &id,
        json!({ "inputResponses": [1] }),
    )
    .await;
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    let stray = json!({ "inputResponses": { "other": { "action": "accept" } } });
    let ack = task(server.addr, ALICE, "tasks/update", &id, stray).await;
    assert_eq!(
        ack["result"],
        json!({ "resultType": "complete", "_meta": ack["result"]["_meta"] })
    );
    let still = task(server.addr, ALICE, "tasks/get", &id, json!({})).await;
    assert_eq!(still["result"]["status"], "input_required");

    let answer = json!({ "inputResponses": {
        "name": { "action": "accept", "content": { "name": "Ada" } }
    }});
    let ack = task(server.addr, ALICE, "tasks/update", &id, answer).await;
    assert_eq!(ack["result"]["resultType"], "complete");
    assert!(ack["result"].get("status").is_none());
    let done = until(server.addr, &id, |t| t["status"] == "completed").await;
    assert_eq!(done["result"]["content"][0]["text"], "hello Ada");
    assert!(done.get("inputRequests").is_none());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn cancellation_reaches_the_handler_and_is_idempotent() {
    let server = start(Duration::from_secs(60)).await;
    let created = call(server.addr, ALICE, "crunch", json!({ "steps": 300 }), true).await;
    let id = created["result"]["taskId"].as_str().unwrap().to_owned();
    let ack = task(server.addr, ALICE, "tasks/cancel", &id, json!({})).await;
    assert_eq!(ack["result"]["resultType"], "complete", "{ack}");
    assert!(ack["result"].get("taskId").is_none());
    let cancelled = until(server.addr, &id, |t| t["status"] == "cancelled").await;
    assert!(cancelled.get("result").is_none() && cancelled.get("error").is_none());
    // The handler was dropped mid-work, not left running.
    assert_eq!(dropped(300), 1);
    let again = task(server.addr, ALICE, "tasks/cancel", &id, json!({})).await;
    assert_eq!(again["result"]["resultType"], "complete");
    let still = task(server.addr, ALICE, "tasks/get", &id, json!({})).await;
    assert_eq!(still["result"]["status"], "cancelled");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn another_key_can_neither_read_answer_nor_cancel_a_task() {
    let server = start(Duration::from_secs(60)).await;
    let created = call(server.addr, ALICE, "ask_name", json!({}), true).await;
    let id = created["result"]["taskId"].as_str().unwrap().to_owned();
    until(server.addr, &id, |t| t["status"] == "input_required").await;
    let answer = json!({ "inputResponses": {
        "name": { "action": "accept", "content": { "name": "Mallory" } }
    }});
    for (method, extra) in [
        ("tasks/get", json!({})),
        ("tasks/update", answer),
        ("tasks/cancel", json!({})),
    ] {
        let m = task(server.addr, MALLORY, method, &id, extra).await;
        assert_eq!(m["error"]["code"], -32602, "{method}: {m}");
        assert!(
            m["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("unknown task"),
            "the same answer as for no task at all: {m}"
        );
    }
    // Alice's task is untouched: still waiting for her answer.
    let mine = task(server.addr, ALICE, "tasks/get", &id, json!({})).await;
    assert_eq!(mine["result"]["status"], "input_required");
    assert!(mine["result"]["inputRequests"]["name"].is_object());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_task_is_gone_once_its_ttl_has_passed() {
    let server = start(Duration::from_millis(800)).await;
    let created = call(server.addr, ALICE, "crunch", json!({ "steps": 1 }), true).await;
    let id = created["result"]["taskId"].as_str().unwrap().to_owned();
    assert_eq!(created["result"]["ttlMs"], 800);
    until(server.addr, &id, |t| t["status"] == "completed").await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    let gone = task(server.addr, ALICE, "tasks/get", &id, json!({})).await;
    assert_eq!(gone["error"]["code"], -32602, "{gone}");

    // A handler still running at its TTL is stopped (dropped mid-work),
    // and its task is gone with it.
    let created = call(server.addr, ALICE, "crunch", json!({ "steps": 50 }), true).await;
    let id = created["result"]["taskId"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let running = task(server.addr, ALICE, "tasks/get", &id, json!({})).await;
    assert_eq!(running["result"]["status"], "working", "{running}");
    assert_eq!(dropped(50), 0);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        dropped(50),
        1,
        "the handler runs no longer than its task lives"
    );
    let late = task(server.addr, ALICE, "tasks/get", &id, json!({})).await;
    assert_eq!(late["error"]["code"], -32602, "{late}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_extension_is_negotiated_per_request_and_mcp_name_must_be_the_task() {
    let server = start(Duration::from_secs(60)).await;
    let (_, discover) = request(
        server.addr,
        ALICE,
        "server/discover",
        None,
        json!({}),
        false,
    )
    .await;
    assert_eq!(
        discover["result"]["capabilities"]["extensions"][EXT],
        json!({})
    );
    assert!(discover["result"]["capabilities"].get("tasks").is_none());

    // A required task tool without the extension: -32021 naming it.
    let refused = call(server.addr, ALICE, "ask_name", json!({}), false).await;
    assert_eq!(refused["error"]["code"], -32021, "{refused}");
    assert_eq!(
        refused["error"]["data"]["requiredCapabilities"]["extensions"][EXT],
        json!({})
    );
    for method in ["tasks/get", "tasks/update", "tasks/cancel"] {
        let params = json!({ "taskId": "x", "inputResponses": {} });
        let (_, m) = request(server.addr, ALICE, method, Some("x"), params, false).await;
        assert_eq!(m["error"]["code"], -32021, "{method}: {m}");
    }
    for removed in ["tasks/list", "tasks/result"] {
        let (_, m) = request(
            server.addr,
            ALICE,
            removed,
            None,
            json!({ "taskId": "x" }),
            true,
        )
        .await;
        assert_eq!(m["error"]["code"], -32601, "{removed}: {m}");
    }

    let created = call(server.addr, ALICE, "crunch", json!({ "steps": 2 }), true).await;
    let id = created["result"]["taskId"].as_str().unwrap().to_owned();
    let (resp, wrong) = request(
        server.addr,
        ALICE,
        "tasks/get",
        Some("another-task"),
        json!({ "taskId": id }),
        true,
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(wrong["error"]["code"], -32020, "{wrong}");
    let (resp, missing) = request(
        server.addr,
        ALICE,
        "tasks/get",
        None,
        json!({ "taskId": id }),
        true,
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(missing["error"]["code"], -32020, "{missing}");
    let unknown = task(server.addr, ALICE, "tasks/get", "0123", json!({})).await;
    assert_eq!(unknown["error"]["code"], -32602);
    server.stop().await.unwrap();
}

/// A replica keeping its tasks in the Redis at `url`, under `prefix`.
async fn replica(url: &str, prefix: &str) -> TestServer {
    let store = mcp_runtime::task::RedisTaskStore::new(url, prefix)
        .unwrap()
        .timeout(Duration::from_millis(500));
    let server = Server::builder("tasks-http", "1.0.0")
        .api_key(ApiKey::new("alice", ALICE).unwrap())
        .api_key(ApiKey::new("mallory", MALLORY).unwrap())
        .keys_from_env(false)
        .task_store(std::sync::Arc::new(store))
        .task_poll_interval(Duration::from_millis(50))
        .build()
        .expect("valid tools");
    TestServer::start(server).await
}

#[tokio::test]
async fn a_task_run_by_one_replica_is_served_by_another_through_redis() {
    let port = mcp_tests::redis::free_port();
    let Some(redis) = mcp_tests::redis::Redis::start(port) else {
        return;
    };
    let prefix = format!("mcp:tasks-http-{}:", std::process::id());
    let a = replica(&redis.url(), &prefix).await;
    let b = replica(&redis.url(), &prefix).await;

    // Created on A (which runs the handler), polled and answered on B.
    let created = call(a.addr, ALICE, "ask_name", json!({}), true).await;
    let id = created["result"]["taskId"].as_str().unwrap().to_owned();
    let on_b = task(b.addr, ALICE, "tasks/get", &id, json!({})).await;
    assert_eq!(
        on_b["result"]["taskId"],
        id.as_str(),
        "durable before the answer: {on_b}"
    );
    let waiting = until(b.addr, &id, |t| t["status"] == "input_required").await;
    assert!(waiting["inputRequests"]["name"].is_object(), "{waiting}");
    for method in ["tasks/get", "tasks/cancel"] {
        let m = task(b.addr, MALLORY, method, &id, json!({})).await;
        assert_eq!(
            m["error"]["code"], -32602,
            "{method} for another key on B: {m}"
        );
    }
    let answer = json!({ "inputResponses": {
        "name": { "action": "accept", "content": { "name": "Grace" } }
    }});
    let ack = task(b.addr, ALICE, "tasks/update", &id, answer).await;
    assert_eq!(ack["result"]["resultType"], "complete", "{ack}");
    // At once, B shows the question answered.
    let after = task(b.addr, ALICE, "tasks/get", &id, json!({})).await;
    assert_ne!(after["result"]["status"], "input_required", "{after}");
    let done = until(b.addr, &id, |t| t["status"] == "completed").await;
    assert_eq!(done["result"]["content"][0]["text"], "hello Grace");
    let on_a = task(a.addr, ALICE, "tasks/get", &id, json!({})).await;
    assert_eq!(on_a["result"]["status"], "completed");

    // Cancelled through B while A runs it: A's handler is dropped.
    let created = call(a.addr, ALICE, "crunch", json!({ "steps": 301 }), true).await;
    let id = created["result"]["taskId"].as_str().unwrap().to_owned();
    until(b.addr, &id, |t| {
        t["_meta"]["dev.mcp-runtime/progress"].is_object()
    })
    .await;
    let ack = task(b.addr, ALICE, "tasks/cancel", &id, json!({})).await;
    assert_eq!(ack["result"]["resultType"], "complete");
    let cancelled = until(a.addr, &id, |t| t["status"] == "cancelled").await;
    assert!(cancelled.get("result").is_none());
    assert_eq!(dropped(301), 1, "the handler on A was stopped");
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}
