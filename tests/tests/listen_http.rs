//! `subscriptions/listen` (2026-07-28) over real HTTP: the acknowledgement
//! names only what the server honours, resource updates from the
//! `Notifier` arrive once, tagged with the subscription id, on every
//! listener subscribed to the URI and acting for the changed tenant (never
//! another tenant's), listeners are bounded per key and dropped when the
//! client goes away, bad params are -32602, and graceful shutdown answers
//! each stream with its `SubscriptionsListenResult`. Every message is
//! checked against the official 2026-07-28 schema.

use std::time::Duration;

use mcp_runtime::prelude::*;
use mcp_runtime::{ApiKey, Server};
use mcp_tests::sse::SseStream;
use mcp_tests::{Post, Revision, TestServer, assert_valid_message, check_against_spec, meta_2026};
use serde_json::{Value, json};

const ALICE: &str = "listen-test-alice-key-0123456789ab";
const ACME: &str = "listen-test-acme-key-0123456789abc";
const GLOBEX: &str = "listen-test-globex-key-0123456789a";
const WAIT: Duration = Duration::from_secs(5);
/// How long a test waits to be sure nothing more arrives.
const QUIET: Duration = Duration::from_millis(300);
const SUB: &str = "io.modelcontextprotocol/subscriptionId";
const R: Revision = Revision::R2026_07_28;

/// A document clients listen to.
#[mcp_resource(uri = "test://watched", mime_type = "text/plain")]
async fn watched() -> &'static str {
    "watched"
}

/// Documents by name.
#[mcp_resource(uri_template = "test://docs/{name}", mime_type = "text/plain")]
async fn doc(name: String) -> String {
    name
}

/// Waits for the test's go, asks a name, then greets; only as a task.
#[mcp_tool(read_only, task = "required")]
async fn gated_greeting(ctx: ToolContext) -> Result<ToolOutput, McpError> {
    GATE.notified().await;
    Ok(ToolOutput::text(
        match ctx.elicit::<Name>("Your name?").key("name").await? {
            Elicitation::Accept(n) => format!("hello {}", n.name),
            _ => "no name".to_owned(),
        },
    ))
}

/// Lets `gated_greeting` go on (one permit).
static GATE: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// A name.
#[derive(serde::Deserialize, schemars::JsonSchema, ElicitForm)]
struct Name {
    /// The name.
    name: String,
}

const EXT: &str = "io.modelcontextprotocol/tasks";

/// `_meta` of a 2026-07-28 request declaring the tasks extension.
fn tasks_meta() -> Value {
    let mut m = meta_2026();
    m["io.modelcontextprotocol/clientCapabilities"] =
        json!({ "elicitation": {}, "extensions": { EXT: {} } });
    m
}

fn server() -> Server {
    Server::builder("listen-test", "1.0.0")
        .api_key(ApiKey::new("alice", ALICE).unwrap())
        .api_key(ApiKey::new("acme", ACME).unwrap().with_tenants(["acme"]))
        .api_key(
            ApiKey::new("globex", GLOBEX)
                .unwrap()
                .with_tenants(["globex"]),
        )
        .keys_from_env(false)
        .build()
        .expect("builds")
}

fn listen(key: &str, id: Value, notifications: Value) -> Post {
    let body = json!({"jsonrpc":"2.0","id":id,"method":"subscriptions/listen",
        "params":{"_meta": tasks_meta(), "notifications": notifications}});
    Post::json(&body)
        .bearer(key)
        .stateless("subscriptions/listen", None)
}

/// The next message on `stream`, checked against the schema (as `def`).
async fn next(stream: &mut SseStream, def: &str) -> Value {
    let ev = stream.next(WAIT).await.expect("a message in time");
    let v: Value =
        serde_json::from_str(&ev.data).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", ev.data));
    assert_valid_message(R, &v, None);
    if let Err(e) = check_against_spec(R, def, &v) {
        panic!("{e}");
    }
    v
}

/// Open a listener and read its acknowledgement.
async fn open(s: &TestServer, key: &str, id: Value, notifications: Value) -> (SseStream, Value) {
    let mut stream = SseStream::open(s.addr, &listen(key, id.clone(), notifications)).await;
    assert_eq!(stream.status, 200);
    assert_eq!(stream.header("content-type"), Some("text/event-stream"));
    let ack = next(&mut stream, "SubscriptionsAcknowledgedNotification").await;
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(ack["params"]["_meta"][SUB], id);
    (stream, ack["params"]["notifications"].clone())
}

async fn assert_quiet(stream: &mut SseStream) {
    if let Some(ev) = stream.next(QUIET).await {
        panic!("nothing more was due, got {:?}", ev.data);
    }
}

#[tokio::test]
async fn the_acknowledgement_names_only_what_the_server_honours() {
    let s = TestServer::start(server()).await;
    let (_a, honoured) = open(
        &s,
        ALICE,
        json!(1),
        json!({"resourceSubscriptions": ["test://watched", "test://nope", "test://docs/a"],
               "toolsListChanged": true, "promptsListChanged": true,
               "resourcesListChanged": true, "someFutureKind": {"x": 1}}),
    )
    .await;
    assert_eq!(
        honoured,
        json!({"resourceSubscriptions": ["test://docs/a", "test://watched"]}),
        "served URIs only (listed or matching a template); no list changes: the lists are fixed"
    );
    let (_b, honoured) = open(&s, ALICE, json!("two"), json!({"toolsListChanged": true})).await;
    assert_eq!(honoured, json!({}));
    let (_c, honoured) = open(&s, ALICE, json!(3), json!({})).await;
    assert_eq!(honoured, json!({}));
}

#[tokio::test]
async fn a_resource_update_arrives_once_tagged_on_every_listener_of_the_uri() {
    let server = server();
    let notifier = server.notifier();
    let s = TestServer::start(server).await;
    let (mut one, _) = open(
        &s,
        ALICE,
        json!(10),
        json!({"resourceSubscriptions": ["test://watched"]}),
    )
    .await;
    let (mut two, _) = open(
        &s,
        ALICE,
        json!("b"),
        json!({"resourceSubscriptions": ["test://watched"]}),
    )
    .await;
    let (mut other, _) = open(
        &s,
        ALICE,
        json!(12),
        json!({"resourceSubscriptions": ["test://docs/x"]}),
    )
    .await;

    assert_eq!(notifier.resource_updated("test://watched"), 2);
    for (stream, id) in [(&mut one, json!(10)), (&mut two, json!("b"))] {
        let n = next(stream, "ResourceUpdatedNotification").await;
        assert_eq!(n["method"], "notifications/resources/updated");
        assert_eq!(n["params"]["uri"], "test://watched");
        assert_eq!(n["params"]["_meta"][SUB], id);
        assert_quiet(stream).await;
    }
    assert_quiet(&mut other).await;
    assert_eq!(notifier.resource_updated("test://docs/x"), 1);
    let n = next(&mut other, "ResourceUpdatedNotification").await;
    assert_eq!(n["params"]["uri"], "test://docs/x");
    assert_eq!(n["params"]["_meta"][SUB], 12);
    assert_quiet(&mut one).await;

    // The client goes away: its listener is gone (soon).
    drop(one);
    let deadline = tokio::time::Instant::now() + WAIT;
    while notifier.resource_updated("test://watched") != 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the closed listener stays"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn one_tenant_never_hears_of_another_tenants_change() {
    let server = server();
    let notifier = server.notifier();
    let s = TestServer::start(server).await;
    let watch = json!({"resourceSubscriptions": ["test://watched"]});
    let (mut acme, _) = open(&s, ACME, json!(1), watch.clone()).await;
    let (mut globex, _) = open(&s, GLOBEX, json!(1), watch.clone()).await;
    // A key of every tenant acts for none: it hears only changes of all tenants.
    let (mut alice, _) = open(&s, ALICE, json!(1), watch).await;

    assert_eq!(
        notifier.resource_updated_for_tenant("acme", "test://watched"),
        1
    );
    let n = next(&mut acme, "ResourceUpdatedNotification").await;
    assert_eq!(n["params"]["uri"], "test://watched");
    assert_quiet(&mut globex).await;
    assert_quiet(&mut alice).await;

    assert_eq!(notifier.resource_updated("test://watched"), 3);
    for stream in [&mut acme, &mut globex, &mut alice] {
        next(stream, "ResourceUpdatedNotification").await;
        assert_quiet(stream).await;
    }
}

#[tokio::test]
async fn bad_params_are_invalid_params_and_listeners_are_bounded_per_key() {
    let s = TestServer::start(server()).await;
    for (params, why) in [
        (json!({"_meta": meta_2026()}), "notifications"),
        (
            json!({"_meta": meta_2026(), "notifications": [1]}),
            "must be an object",
        ),
        (
            json!({"_meta": meta_2026(), "notifications": {"toolsListChanged": "yes"}}),
            "boolean",
        ),
        (
            json!({"_meta": meta_2026(), "notifications": {"resourceSubscriptions": "test://watched"}}),
            "array",
        ),
    ] {
        let body = json!({"jsonrpc":"2.0","id":5,"method":"subscriptions/listen","params":params});
        let r = Post::json(&body)
            .bearer(ALICE)
            .stateless("subscriptions/listen", None)
            .send(s.addr)
            .await;
        let v = r.json();
        assert_valid_message(R, &v, None);
        assert_eq!(v["error"]["code"], -32602, "{v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains(why), "{message}");
    }

    let mut open_ones = Vec::new();
    for i in 0..16 {
        open_ones.push(open(&s, ALICE, json!(i), json!({})).await.0);
    }
    let r = listen(ALICE, json!(99), json!({})).send(s.addr).await;
    let v = r.json();
    assert_eq!(r.status, 503, "{v}");
    assert_valid_message(R, &v, None);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("16 listeners"),
        "{v}"
    );
    // Another key is not held back by alice's.
    let _acme = open(&s, ACME, json!(1), json!({})).await;
}

#[tokio::test]
async fn graceful_shutdown_answers_every_listener_with_its_result() {
    let s = TestServer::start(server()).await;
    let (mut one, _) = open(
        &s,
        ALICE,
        json!(41),
        json!({"resourceSubscriptions": ["test://watched"]}),
    )
    .await;
    let (mut two, _) = open(&s, ACME, json!("x"), json!({})).await;
    let stopping = tokio::spawn(s.stop());
    for (stream, id) in [(&mut one, json!(41)), (&mut two, json!("x"))] {
        let result = next(stream, "JSONRPCResultResponse").await;
        assert_eq!(result["id"], id);
        if let Err(e) = check_against_spec(R, "SubscriptionsListenResult", &result["result"]) {
            panic!("{e}");
        }
        assert_eq!(result["result"]["_meta"][SUB], id);
        assert_eq!(result["result"]["resultType"], "complete");
        assert!(
            stream.ends_within(WAIT).await,
            "the stream ends after its result"
        );
    }
    tokio::time::timeout(WAIT, stopping)
        .await
        .expect("shutdown does not wait on the listeners")
        .unwrap()
        .expect("served");
}

/// A 2026-07-28 request of `key` declaring the tasks extension: its message, validated.
async fn request(s: &TestServer, key: &str, method: &str, name: &str, mut params: Value) -> Value {
    params["_meta"] = tasks_meta();
    let body = json!({"jsonrpc":"2.0","id":1,"method":method,"params":params});
    let r = Post::json(&body)
        .stateless(method, Some(name))
        .bearer(key)
        .send(s.addr)
        .await;
    let v = r.json();
    assert_valid_message(R, &v, None);
    v
}

#[tokio::test]
async fn a_tasks_status_changes_reach_its_keys_listener_and_no_other_key() {
    let s = TestServer::start(server()).await;
    let created = request(
        &s,
        ALICE,
        "tools/call",
        "gated_greeting",
        json!({"name": "gated_greeting", "arguments": {}}),
    )
    .await;
    assert_eq!(created["result"]["resultType"], "task", "{created}");
    let id = created["result"]["taskId"].as_str().unwrap().to_owned();

    let filter = json!({"taskIds": [id, "no-such-task"]});
    let (mut mine, honoured) = open(&s, ALICE, json!(1), filter.clone()).await;
    assert_eq!(honoured, json!({"taskIds": [id]}), "its own live task only");
    let (mut theirs, honoured) = open(&s, GLOBEX, json!(1), filter).await;
    assert_eq!(honoured, json!({}), "another key's task is unknown to it");

    GATE.notify_one();
    let status = |n: &Value| n["params"]["status"].as_str().unwrap().to_owned();
    let asked = next(&mut mine, "JSONRPCNotification").await;
    assert_eq!(asked["method"], "notifications/tasks");
    assert_eq!(asked["params"]["taskId"], id.as_str());
    assert_eq!(status(&asked), "input_required");
    assert_eq!(asked["params"]["_meta"][SUB], 1);
    assert_eq!(
        asked["params"]["inputRequests"]["name"]["method"], "elicitation/create",
        "{asked}"
    );

    let answer = json!({"taskId": id, "inputResponses": {
        "name": {"action": "accept", "content": {"name": "Ada"}}}});
    let ack = request(&s, ALICE, "tasks/update", &id, answer).await;
    assert_eq!(ack["result"]["resultType"], "complete", "{ack}");
    let mut seen = Vec::new();
    let done = loop {
        let n = next(&mut mine, "JSONRPCNotification").await;
        assert_eq!(n["method"], "notifications/tasks");
        assert_eq!(n["params"]["_meta"][SUB], 1);
        seen.push(status(&n));
        if status(&n) != "working" {
            break n;
        }
    };
    assert_eq!(
        seen.last().map(String::as_str),
        Some("completed"),
        "{seen:?}"
    );
    assert!(seen.len() <= 2, "each change once: {seen:?}");
    if let Err(e) = check_against_spec(R, "CallToolResult", &done["params"]["result"]) {
        panic!("{e}");
    }
    assert_eq!(done["params"]["result"]["content"][0]["text"], "hello Ada");
    assert_quiet(&mut mine).await;
    assert_quiet(&mut theirs).await;
}

#[tokio::test]
async fn with_sessions_in_redis_another_replicas_update_reaches_the_listeners_of_its_tenant() {
    use mcp_runtime::session::RedisSessions;
    use mcp_runtime::state::RedisState;
    use mcp_tests::redis::{Redis, free_port};
    use std::sync::Arc;
    let Some(redis) = Redis::start(free_port()) else {
        return;
    };
    let prefix = format!("mcp:listen-test-{}:", std::process::id());
    let replica = || {
        let state = RedisState::new(&redis.url(), prefix.clone())
            .unwrap()
            .timeout(Duration::from_millis(300));
        Server::builder("listen-test", "1.0.0")
            .api_key(ApiKey::new("acme", ACME).unwrap().with_tenants(["acme"]))
            .api_key(
                ApiKey::new("globex", GLOBEX)
                    .unwrap()
                    .with_tenants(["globex"]),
            )
            .keys_from_env(false)
            .sessions(true)
            .session_store(Arc::new(RedisSessions::new(Arc::new(state))))
            .build()
            .expect("builds")
    };
    let a_server = replica();
    let a_notifier = a_server.notifier();
    let _a = TestServer::start(a_server).await;
    let b = TestServer::start(replica()).await;
    let watch = json!({"resourceSubscriptions": ["test://watched"]});
    let (mut acme, _) = open(&b, ACME, json!(1), watch.clone()).await;
    let (mut globex, _) = open(&b, GLOBEX, json!(2), watch).await;
    // B subscribes to the channel in the background: announce until heard.
    let started = tokio::time::Instant::now();
    let heard = loop {
        assert_eq!(
            a_notifier.resource_updated_for_tenant("acme", "test://watched"),
            0,
            "no listener of A's own"
        );
        if let Some(ev) = acme.next(Duration::from_millis(250)).await {
            break serde_json::from_str::<Value>(&ev.data).unwrap();
        }
        assert!(
            started.elapsed() < WAIT,
            "B's listener never heard A's update"
        );
    };
    assert_valid_message(R, &heard, None);
    assert_eq!(heard["params"]["uri"], "test://watched");
    assert_eq!(heard["params"]["_meta"][SUB], 1);
    assert_quiet(&mut globex).await;
}

#[tokio::test]
async fn listeners_take_at_most_half_the_concurrent_requests() {
    let server = Server::builder("listen-test", "1.0.0")
        .api_key(ApiKey::new("alice", ALICE).unwrap())
        .api_key(ApiKey::new("acme", ACME).unwrap().with_tenants(["acme"]))
        .keys_from_env(false)
        .max_concurrent_requests(4, Duration::from_secs(1))
        .build()
        .expect("builds");
    let s = TestServer::start(server).await;
    let _one = open(&s, ALICE, json!(1), json!({})).await;
    let _two = open(&s, ACME, json!(2), json!({})).await;
    let r = listen(ALICE, json!(3), json!({})).send(s.addr).await;
    let v = r.json();
    assert_eq!(r.status, 503, "{v}");
    assert_valid_message(R, &v, None);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2 listeners are open"),
        "{v}"
    );
    // The other permits still serve requests.
    let list = request(&s, ALICE, "tools/list", "tools/list", json!({})).await;
    assert!(list["result"]["tools"].is_array(), "{list}");
}
