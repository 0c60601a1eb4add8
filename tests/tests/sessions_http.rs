//! Handshake-era sessions over real HTTP: off by default (nothing changes),
//! and when on: `Mcp-Session-Id` from `initialize`, 400 without it, 404 for
//! an unknown, ended, expired or another caller's session, `DELETE`, the
//! session's `GET` stream with `notifications/resources/updated` for its
//! subscriptions (tenant-scoped announcements), event ids and
//! `Last-Event-ID` resumption (a `GET` stream's, and a `POST`'s that the
//! tool closed mid-call), the 2026-07-28 era untouched; two replicas sharing
//! sessions in a real Redis, and what they do when Redis is gone.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_runtime::prelude::*;
use mcp_runtime::session::RedisSessions;
use mcp_runtime::state::{RedisState, Unreachable};
use mcp_runtime::{ApiKey, Server};
use mcp_tests::redis::{Redis, free_port};
use mcp_tests::sse::SseStream;
use mcp_tests::{
    HttpResponse, Post, Revision, TestServer, assert_valid_message, check_against_spec, meta_2026,
};
use serde_json::{Value, json};

const ALICE: &str = "sessions-test-alice-key-0123456789";
const BOB: &str = "sessions-test-bob-key-0123456789ab";
const GLOBEX: &str = "sessions-test-globex-key-012345678";
const V: &str = "2025-11-25";
const WAIT: Duration = Duration::from_secs(5);

/// A document clients subscribe to.
#[mcp_resource(uri = "test://watched", mime_type = "text/plain")]
async fn watched() -> &'static str {
    "watched"
}

/// A second one.
#[mcp_resource(uri = "test://other", mime_type = "text/plain")]
async fn other() -> &'static str {
    "other"
}

/// The session the call came in.
#[mcp_tool(read_only)]
async fn which_session(ctx: ToolContext) -> ToolOutput {
    ToolOutput::text(ctx.session_id().unwrap_or("none"))
}

/// Closes its SSE stream (SEP-1699 polling), then answers after a pause.
#[mcp_tool(read_only)]
async fn slow_poll(ctx: ToolContext) -> ToolOutput {
    ctx.close_sse_stream().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    ToolOutput::text("done after polling")
}

/// Reports progress once, then answers.
#[mcp_tool(read_only)]
async fn one_step(ctx: ToolContext) -> ToolOutput {
    ctx.progress(1.0, Some(1.0), None).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    ToolOutput::text("stepped")
}

fn builder() -> mcp_runtime::ServerBuilder {
    Server::builder("sessions-test", "1.0.0")
        .api_key(ApiKey::new("alice", ALICE).unwrap())
        .api_key(ApiKey::new("bob", BOB).unwrap().with_tenants(["acme"]))
        .api_key(
            ApiKey::new("globex", GLOBEX)
                .unwrap()
                .with_tenants(["globex"]),
        )
        .keys_from_env(false)
}

fn on(idle: Duration) -> Server {
    builder()
        .sessions(true)
        .session_idle(idle)
        .build()
        .expect("builds")
}

fn initialize() -> Value {
    json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
        "protocolVersion": V, "capabilities": {},
        "clientInfo": {"name": "sessions-test", "version": "1"}}})
}

fn request(id: u64, method: &str, params: Value) -> Value {
    json!({"jsonrpc":"2.0","id":id,"method":method,"params":params})
}

fn post(key: &str, body: &Value, session: Option<&str>) -> Post {
    let p = Post::json(body)
        .bearer(key)
        .header("MCP-Protocol-Version", V);
    match session {
        Some(s) => p.header("Mcp-Session-Id", s),
        None => p,
    }
}

async fn open_session(s: &TestServer, key: &str) -> String {
    let r = post(key, &initialize(), None).send(s.addr).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let id = r.header("mcp-session-id").expect("a session id").to_owned();
    let n = post(
        key,
        &json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
        Some(&id),
    )
    .send(s.addr)
    .await;
    assert_eq!(n.status, 202, "{}", n.text());
    id
}

fn get(key: &str, session: &str) -> Post {
    Post::new(Vec::new())
        .method("GET")
        .without("Content-Type")
        .header("Accept", "text/event-stream")
        .bearer(key)
        .header("MCP-Protocol-Version", V)
        .header("Mcp-Session-Id", session)
}

fn delete(key: &str, session: &str) -> Post {
    Post::new(Vec::new())
        .method("DELETE")
        .without("Content-Type")
        .bearer(key)
        .header("Mcp-Session-Id", session)
}

fn tools_list(key: &str, session: Option<&str>) -> Post {
    post(key, &request(2, "tools/list", json!({})), session)
}

/// A 404 of an unknown (or another caller's) session, in JSON-RPC.
fn assert_not_found(r: &HttpResponse) {
    assert_eq!(r.status, 404, "{}", r.text());
    let body = r.json();
    assert_eq!(body["error"]["code"], -32600, "{body}");
    assert_eq!(
        body["error"]["message"],
        "session not found: it expired or was ended; send `initialize` to start a new one"
    );
}

#[tokio::test]
async fn sessions_are_off_by_default_and_nothing_changes() {
    let s = TestServer::start(builder().build().unwrap()).await;
    let r = post(ALICE, &initialize(), None).send(s.addr).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("mcp-session-id"), None);
    assert_eq!(
        r.json()["result"]["capabilities"]["resources"],
        json!({"listChanged": false})
    );
    // Later requests need no session.
    assert_eq!(tools_list(ALICE, None).send(s.addr).await.status, 200);
    for method in ["GET", "DELETE"] {
        let r = get(ALICE, "whatever").method(method).send(s.addr).await;
        assert_eq!(r.status, 405, "{method}: {}", r.text());
        assert_eq!(r.header("allow"), Some("POST"));
    }
}

#[tokio::test]
async fn a_session_is_issued_required_bound_to_its_caller_and_ended() {
    let s = TestServer::start(on(Duration::from_secs(60))).await;
    let r = post(ALICE, &initialize(), None).send(s.addr).await;
    assert_eq!(r.status, 200);
    let init = r.json();
    assert_valid_message(Revision::R2025_11_25, &init, Some("InitializeResult"));
    assert_eq!(
        init["result"]["capabilities"]["resources"],
        json!({"listChanged": false, "subscribe": true})
    );
    let id = r.header("mcp-session-id").expect("issued").to_owned();
    // Visible ASCII, as the spec asks: 256 random bits in hex.
    assert!(
        id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    let again = post(ALICE, &initialize(), None).send(s.addr).await;
    assert_ne!(
        again.header("mcp-session-id"),
        Some(id.as_str()),
        "a new one each time"
    );

    // Used: the tool sees it.
    let call = post(
        ALICE,
        &request(3, "tools/call", json!({"name": "which_session"})),
        Some(&id),
    )
    .send(s.addr)
    .await;
    assert_eq!(call.status, 200, "{}", call.text());
    assert_eq!(call.json()["result"]["content"][0]["text"], id.as_str());

    // Missing: 400; unknown: 404; another key's: 404, for every method.
    let missing = tools_list(ALICE, None).send(s.addr).await;
    assert_eq!(missing.status, 400, "{}", missing.text());
    assert_eq!(
        missing.json()["error"]["message"],
        "bad request: this server keeps sessions; send the `Mcp-Session-Id` header `initialize` \
         answered with"
    );
    let note = post(
        ALICE,
        &json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
        None,
    )
    .send(s.addr)
    .await;
    assert_eq!(note.status, 400);
    assert_not_found(
        &tools_list(ALICE, Some("no-such-session"))
            .send(s.addr)
            .await,
    );
    assert_not_found(&tools_list(BOB, Some(&id)).send(s.addr).await);
    assert_not_found(&get(BOB, &id).send(s.addr).await);
    assert_not_found(&delete(BOB, &id).send(s.addr).await);
    assert_eq!(
        tools_list(ALICE, Some(&id)).send(s.addr).await.status,
        200,
        "BOB ended nothing"
    );

    // The 2026-07-28 era stays stateless on the same server.
    let discover = Post::json(&request(
        4,
        "server/discover",
        json!({"_meta": meta_2026()}),
    ))
    .bearer(ALICE)
    .stateless("server/discover", None)
    .send(s.addr)
    .await;
    assert_eq!(discover.status, 200, "{}", discover.text());
    assert_eq!(discover.header("mcp-session-id"), None);
    assert_eq!(
        discover.json()["result"]["capabilities"]["resources"],
        json!({"listChanged": false}),
        "no subscriptions without sessions"
    );
    let list = Post::json(&request(5, "tools/list", json!({"_meta": meta_2026()})))
        .bearer(ALICE)
        .stateless("tools/list", None)
        .send(s.addr)
        .await;
    assert_eq!(list.status, 200, "{}", list.text());

    // DELETE ends it: then 404, for requests, streams and a second DELETE.
    let ended = delete(ALICE, &id).send(s.addr).await;
    assert_eq!(ended.status, 200, "{}", ended.text());
    assert_not_found(&tools_list(ALICE, Some(&id)).send(s.addr).await);
    assert_not_found(&get(ALICE, &id).send(s.addr).await);
    assert_not_found(&delete(ALICE, &id).send(s.addr).await);
    // A GET or DELETE without the header is a bad request.
    let bare = delete(ALICE, &id)
        .without("Mcp-Session-Id")
        .send(s.addr)
        .await;
    assert_eq!(bare.status, 400);
    // Other methods: 405, naming the three.
    let put = get(ALICE, &id).method("PUT").send(s.addr).await;
    assert_eq!(put.status, 405);
    assert_eq!(put.header("allow"), Some("GET, POST, DELETE"));
}

#[tokio::test]
async fn an_idle_session_expires_and_use_keeps_it_alive() {
    let s = TestServer::start(on(Duration::from_millis(2000))).await;
    let id = open_session(&s, ALICE).await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(tools_list(ALICE, Some(&id)).send(s.addr).await.status, 200);
    }
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert_not_found(&tools_list(ALICE, Some(&id)).send(s.addr).await);
}

fn updated(uri: &str) -> Value {
    json!({"jsonrpc":"2.0","method":"notifications/resources/updated","params":{"uri": uri}})
}

/// The next event's data, parsed; panics when none comes within `WAIT`.
async fn next_message(stream: &mut SseStream) -> (String, Value) {
    let ev = stream.next(WAIT).await.expect("an event");
    let v: Value =
        serde_json::from_str(&ev.data).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", ev.data));
    (ev.id.expect("every event has an id"), v)
}

#[tokio::test]
async fn updates_of_subscribed_resources_arrive_on_the_get_stream() {
    let server = on(Duration::from_secs(60));
    let notifier = server.notifier();
    let s = TestServer::start(server).await;
    let id = open_session(&s, ALICE).await;
    let mut stream = SseStream::open(s.addr, &get(ALICE, &id)).await;
    assert_eq!(stream.status, 200);
    assert_eq!(stream.header("content-type"), Some("text/event-stream"));
    let priming = stream.next(WAIT).await.expect("a priming event");
    assert_eq!((priming.data.as_str(), priming.retry), ("", Some(1000)));
    assert!(priming.id.is_some());

    let sub = post(
        ALICE,
        &request(7, "resources/subscribe", json!({"uri": "test://watched"})),
        Some(&id),
    )
    .send(s.addr)
    .await;
    assert_eq!(sub.json(), json!({"jsonrpc":"2.0","id":7,"result":{}}));
    assert_valid_message(Revision::R2025_11_25, &sub.json(), Some("EmptyResult"));
    let unknown = post(
        ALICE,
        &request(8, "resources/subscribe", json!({"uri": "test://nope"})),
        Some(&id),
    )
    .send(s.addr)
    .await
    .json();
    assert_eq!(unknown["error"]["code"], -32602, "{unknown}");
    assert_eq!(unknown["error"]["data"]["uri"], "test://nope");
    assert_valid_message(Revision::R2025_11_25, &unknown, None);
    let no_uri = post(
        ALICE,
        &request(9, "resources/subscribe", json!({})),
        Some(&id),
    )
    .send(s.addr)
    .await
    .json();
    assert_eq!(
        no_uri["error"]["message"],
        "resources/subscribe needs params with a string `uri`"
    );

    assert_eq!(
        notifier.resource_updated("test://other"),
        0,
        "nobody subscribed to it"
    );
    assert_eq!(notifier.resource_updated("test://watched"), 1);
    let (_, msg) = next_message(&mut stream).await;
    assert_eq!(msg, updated("test://watched"));
    assert_valid_message(Revision::R2025_11_25, &msg, None);
    check_against_spec(Revision::R2025_11_25, "ResourceUpdatedNotification", &msg).unwrap();

    // Unsubscribed: nothing more of it; a later update of another URI is
    // the next event, so the first was never sent.
    let unsub = post(
        ALICE,
        &request(
            10,
            "resources/unsubscribe",
            json!({"uri": "test://watched"}),
        ),
        Some(&id),
    )
    .send(s.addr)
    .await;
    assert_eq!(unsub.json(), json!({"jsonrpc":"2.0","id":10,"result":{}}));
    assert_eq!(notifier.resource_updated("test://watched"), 0);
    post(
        ALICE,
        &request(11, "resources/subscribe", json!({"uri": "test://other"})),
        Some(&id),
    )
    .send(s.addr)
    .await;
    assert_eq!(notifier.resource_updated("test://other"), 1);
    assert_eq!(next_message(&mut stream).await.1, updated("test://other"));

    // DELETE ends the stream.
    assert_eq!(delete(ALICE, &id).send(s.addr).await.status, 200);
    assert!(
        stream.ends_within(WAIT).await,
        "the stream ends with its session"
    );
    assert_eq!(notifier.resource_updated("test://other"), 0);
}

#[tokio::test]
async fn a_tenant_scoped_update_reaches_only_that_tenants_sessions() {
    let server = on(Duration::from_secs(60));
    let notifier = server.notifier();
    let s = TestServer::start(server).await;
    let mut streams = Vec::new();
    for key in [BOB, GLOBEX] {
        let id = open_session(&s, key).await;
        let sub = post(
            key,
            &request(2, "resources/subscribe", json!({"uri": "test://watched"})),
            Some(&id),
        )
        .send(s.addr)
        .await;
        assert_eq!(sub.status, 200, "{}", sub.text());
        let mut st = SseStream::open(s.addr, &get(key, &id)).await;
        st.next(WAIT).await.expect("priming");
        streams.push(st);
    }
    // BOB's key acts for acme only, GLOBEX's for globex only.
    assert_eq!(
        notifier.resource_updated_for_tenant("acme", "test://watched"),
        1
    );
    assert_eq!(
        next_message(&mut streams[0]).await.1,
        updated("test://watched")
    );
    assert!(
        streams[1].next(Duration::from_millis(300)).await.is_none(),
        "globex heard nothing"
    );
    // Untargeted: every subscriber.
    assert_eq!(notifier.resource_updated("test://watched"), 2);
    for st in &mut streams {
        assert_eq!(next_message(st).await.1, updated("test://watched"));
    }
}

#[tokio::test]
async fn last_event_id_resumes_exactly_the_missed_events() {
    let server = on(Duration::from_secs(60));
    let notifier = server.notifier();
    let s = TestServer::start(server).await;
    let id = open_session(&s, ALICE).await;
    post(
        ALICE,
        &request(2, "resources/subscribe", json!({"uri": "test://watched"})),
        Some(&id),
    )
    .send(s.addr)
    .await;
    let mut first = SseStream::open(s.addr, &get(ALICE, &id)).await;
    let priming = first.next(WAIT).await.unwrap().id.unwrap();
    assert_eq!(notifier.resource_updated("test://watched"), 1);
    let (seen, _) = next_message(&mut first).await;
    drop(first);
    // Three updates while disconnected: buffered for the stream.
    for _ in 0..3 {
        assert_eq!(notifier.resource_updated("test://watched"), 1);
    }
    let mut resumed =
        SseStream::open(s.addr, &get(ALICE, &id).header("Last-Event-ID", &seen)).await;
    assert_eq!(resumed.status, 200);
    let stream_no = priming.split('-').next().unwrap().to_owned();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (eid, msg) = next_message(&mut resumed).await;
        assert_eq!(msg, updated("test://watched"));
        ids.push(eid);
    }
    assert_eq!(
        ids,
        (2..=4)
            .map(|q| format!("{stream_no}-{q}"))
            .collect::<Vec<_>>(),
        "the missed events, in order, on the same stream"
    );
    assert!(
        resumed.next(Duration::from_millis(300)).await.is_none(),
        "nothing more"
    );
    drop(resumed);
    let mut late = SseStream::open(s.addr, &get(ALICE, &id).header("Last-Event-ID", &ids[1])).await;
    assert_eq!(
        next_message(&mut late).await.0,
        ids[2],
        "exactly the one after"
    );
    assert!(late.next(Duration::from_millis(300)).await.is_none());
    // Another caller cannot resume it.
    assert_not_found(
        &get(BOB, &id)
            .header("Last-Event-ID", &ids[0])
            .send(s.addr)
            .await,
    );
}

#[tokio::test]
async fn a_call_that_closes_its_stream_is_resumed_with_its_result() {
    let s = TestServer::start(on(Duration::from_secs(60))).await;
    let id = open_session(&s, ALICE).await;
    let call = post(
        ALICE,
        &request(5, "tools/call", json!({"name": "slow_poll"})),
        Some(&id),
    );
    let mut stream = SseStream::open(s.addr, &call).await;
    assert_eq!(stream.status, 200);
    let priming = stream.next(WAIT).await.expect("priming event");
    assert_eq!((priming.data.as_str(), priming.retry), ("", Some(1000)));
    assert!(stream.ends_within(WAIT).await, "closed mid-call");
    let last = priming.id.unwrap();
    let mut resumed =
        SseStream::open(s.addr, &get(ALICE, &id).header("Last-Event-ID", &last)).await;
    let (eid, result) = next_message(&mut resumed).await;
    assert_eq!(
        result,
        json!({"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"done after polling"}]}})
    );
    assert_valid_message(Revision::R2025_11_25, &result, Some("CallToolResult"));
    assert_eq!(eid, format!("{}-1", last.split('-').next().unwrap()));
    assert!(
        resumed.ends_within(WAIT).await,
        "the call's stream ends after its response"
    );
}

// ------------------------------------------------------------------ Redis

fn replica(store: Arc<RedisState>, idle: Duration, policy: Unreachable) -> Server {
    builder()
        .sessions(true)
        .session_idle(idle)
        .session_store(Arc::new(RedisSessions::new(store)))
        .when_state_unreachable(policy)
        .build()
        .expect("builds")
}

/// The stores of replicas of one server (one key prefix per run).
fn stores(redis: &Redis, name: &str) -> impl Fn() -> Arc<RedisState> + use<> {
    let prefix = format!("mcp:{name}-{}:", std::process::id());
    let url = redis.url();
    move || {
        Arc::new(
            RedisState::new(&url, prefix.clone())
                .unwrap()
                .timeout(Duration::from_millis(300)),
        )
    }
}

#[tokio::test]
async fn replicas_sharing_redis_honour_each_others_sessions() {
    let port = free_port();
    let Some(redis) = Redis::start(port) else {
        return;
    };
    let state = stores(&redis, "sessions-test");
    let idle = Duration::from_secs(2);
    let a_server = replica(state(), idle, Unreachable::Allow);
    let a_notifier = a_server.notifier();
    let a = TestServer::start(a_server).await;
    let b_server = replica(state(), idle, Unreachable::Allow);
    let b_notifier = b_server.notifier();
    let b = TestServer::start(b_server).await;

    let id = open_session(&a, ALICE).await;
    assert_eq!(
        tools_list(ALICE, Some(&id)).send(b.addr).await.status,
        200,
        "B knows A's session"
    );
    assert_not_found(&tools_list(BOB, Some(&id)).send(b.addr).await);
    let sub = post(
        ALICE,
        &request(3, "resources/subscribe", json!({"uri": "test://watched"})),
        Some(&id),
    )
    .send(b.addr)
    .await;
    assert_eq!(sub.status, 200, "{}", sub.text());
    // The stream on A knows the subscription made on B, and hears of an
    // update B announces (Redis pub/sub). A's subscription to the channel
    // is made in the background: announce until it is heard, within 5 s.
    let mut st = SseStream::open(a.addr, &get(ALICE, &id)).await;
    assert_eq!(st.status, 200);
    st.next(WAIT).await.expect("priming");
    let started = Instant::now();
    let heard = loop {
        assert_eq!(
            b_notifier.resource_updated("test://watched"),
            0,
            "no session of B's own"
        );
        if let Some(ev) = st.next(Duration::from_millis(250)).await {
            break ev;
        }
        assert!(started.elapsed() < WAIT, "A never heard B's update");
    };
    assert_eq!(
        serde_json::from_str::<Value>(&heard.data).unwrap(),
        updated("test://watched")
    );
    // Drain what the retries above may have sent after the first was heard.
    while st.next(Duration::from_millis(500)).await.is_some() {}
    // A's own announcement: delivered once, not again when it comes back
    // from Redis.
    assert_eq!(a_notifier.resource_updated("test://watched"), 1);
    assert_eq!(next_message(&mut st).await.1, updated("test://watched"));
    assert!(
        st.next(Duration::from_millis(500)).await.is_none(),
        "delivered once"
    );
    drop(st);
    assert_eq!(delete(ALICE, &id).send(a.addr).await.status, 200);
    assert_not_found(&tools_list(ALICE, Some(&id)).send(b.addr).await);

    // Expiry is Redis's TTL: unused for longer than `idle`, gone everywhere.
    let id = open_session(&b, ALICE).await;
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert_not_found(&tools_list(ALICE, Some(&id)).send(a.addr).await);
}

#[tokio::test]
async fn without_redis_sessions_follow_the_unreachable_policy_without_hanging() {
    let port = free_port();
    let Some(redis) = Redis::start(port) else {
        return;
    };
    let state = stores(&redis, "sessions-outage");
    let idle = Duration::from_secs(60);
    let allow = TestServer::start(replica(state(), idle, Unreachable::Allow)).await;
    let refuse = TestServer::start(replica(state(), idle, Unreachable::Refuse)).await;
    let on_allow = open_session(&allow, ALICE).await;
    let on_refuse = open_session(&refuse, ALICE).await;
    drop(redis);

    let timed = |p: Post, addr| async move {
        let started = Instant::now();
        let r = p.send(addr).await;
        let took = started.elapsed();
        assert!(took < Duration::from_secs(3), "bounded: took {took:?}");
        r
    };
    // allow: requests are served with their session unverified, and a new
    // session is issued; streams and subscriptions are refused (503).
    let r = timed(tools_list(ALICE, Some(&on_allow)), allow.addr).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = timed(post(ALICE, &initialize(), None), allow.addr).await;
    assert_eq!(r.status, 200);
    assert!(r.header("mcp-session-id").is_some());
    for p in [
        get(ALICE, &on_allow),
        post(
            ALICE,
            &request(3, "resources/subscribe", json!({"uri": "test://watched"})),
            Some(&on_allow),
        ),
        delete(ALICE, &on_allow),
    ] {
        let r = timed(p, allow.addr).await;
        assert_eq!(r.status, 503, "{}", r.text());
    }
    // refuse: 503 with a retryable message, initialize included.
    for p in [
        tools_list(ALICE, Some(&on_refuse)),
        post(ALICE, &initialize(), None),
    ] {
        let r = timed(p, refuse.addr).await;
        assert_eq!(r.status, 503, "{}", r.text());
        assert_eq!(
            r.json()["error"]["message"],
            "the server cannot check sessions now (its session store is unreachable); retry shortly"
        );
    }
    // Still 400 without a session, whatever Redis does.
    assert_eq!(timed(tools_list(ALICE, None), allow.addr).await.status, 400);
}

// ------------------------------------------------------ the Python SDK client

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_client_keeps_the_session_and_ends_it() {
    use mcp_tests::py_sdk::{run_driver_async, venv_python};
    let Some(python) = venv_python() else { return };
    let s = TestServer::start(on(Duration::from_secs(60))).await;
    let args: Vec<String> = [
        "--transport",
        "http",
        "--url",
        &s.url(),
        "--header",
        &format!("Authorization: Bearer {ALICE}"),
        "--mode",
        "legacy",
        "--exclude-unset",
        "--timeout",
        "20",
    ]
    .iter()
    .map(|a| (*a).to_owned())
    .collect();
    let script = json!([
        { "op": "list" },
        { "op": "call", "name": "which_session", "arguments": {} },
    ]);
    let doc = run_driver_async(python, args, script).await.json();
    assert_eq!(doc["protocolVersion"], V);
    assert_eq!(
        doc["serverCapabilities"]["resources"]["subscribe"], true,
        "{doc}"
    );
    let http = doc["http"].as_array().expect("exchanges");
    let id = http[0]["issuedSessionId"]
        .as_str()
        .expect("initialize issued a session")
        .to_owned();
    assert_eq!(
        doc["results"][1]["result"]["content"][0]["text"],
        id.as_str(),
        "the tool ran in that session: {doc}"
    );
    for x in &http[1..] {
        assert_eq!(
            x["sessionId"],
            id.as_str(),
            "every later request carries it: {x}"
        );
        assert!(x["status"].as_u64().unwrap() < 300, "{x}");
    }
    let methods: Vec<&str> = http.iter().map(|x| x["method"].as_str().unwrap()).collect();
    assert!(
        http.iter().any(|x| x["method"] == "GET"
            && x["status"] == 200
            && x["contentType"]
                .as_str()
                .is_some_and(|c| c.starts_with("text/event-stream"))),
        "the client opened the session's GET stream: {methods:?}"
    );
    assert_eq!(
        methods.last(),
        Some(&"DELETE"),
        "the client ends its session: {methods:?}"
    );
    assert_not_found(&tools_list(ALICE, Some(&id)).send(s.addr).await);
}

// ------------------------------------------------------- from the environment

#[tokio::test]
async fn mcp_sessions_and_the_idle_variable_turn_sessions_on_in_a_deployed_process() {
    use mcp_tests::process::Proc;
    let key = "envkey:sessions-env-secret-0123456789";
    let mut p = Proc::spawn(
        env!("CARGO_BIN_EXE_secure-server"),
        &[
            ("MCP_ADDR", "127.0.0.1:0"),
            ("MCP_API_KEYS", key),
            ("MCP_SESSIONS", "on"),
            ("MCP_SESSION_IDLE_SECS", "1"),
        ],
    );
    let addr = p.addr().await;
    let secret = "sessions-env-secret-0123456789";
    let r = post(secret, &initialize(), None).send(addr).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let id = r
        .header("mcp-session-id")
        .expect("MCP_SESSIONS=on issues sessions")
        .to_owned();
    assert_eq!(tools_list(secret, Some(&id)).send(addr).await.status, 200);
    assert_eq!(tools_list(secret, None).send(addr).await.status, 400);
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_not_found(&tools_list(secret, Some(&id)).send(addr).await);
    p.signal("TERM");
    assert!(p.wait_exit(Duration::from_secs(20)).await.success());
}

#[tokio::test]
async fn sse_events_carry_ids_in_a_session_and_stateless_requests_stay_stateless() {
    let s = TestServer::start(on(Duration::from_secs(60))).await;
    let id = open_session(&s, ALICE).await;
    let call = |rid: u64, meta: Value| {
        request(
            rid,
            "tools/call",
            json!({"name": "one_step", "arguments": {}, "_meta": meta}),
        )
    };
    let mut st = SseStream::open(
        s.addr,
        &post(ALICE, &call(6, json!({"progressToken": "p"})), Some(&id)),
    )
    .await;
    let mut events = Vec::new();
    while let Some(ev) = st.next(WAIT).await {
        events.push(ev);
    }
    assert_eq!(events.len(), 3, "priming, progress, result: {events:?}");
    let n = events[0]
        .id
        .as_deref()
        .unwrap()
        .split('-')
        .next()
        .unwrap()
        .to_owned();
    for (q, ev) in events.iter().enumerate() {
        assert_eq!(ev.id, Some(format!("{n}-{q}")), "{ev:?}");
    }
    let progress: Value = serde_json::from_str(&events[1].data).unwrap();
    assert_valid_message(Revision::R2025_11_25, &progress, None);
    assert_eq!(progress["params"]["progressToken"], "p");
    let result: Value = serde_json::from_str(&events[2].data).unwrap();
    assert_eq!(result["result"]["content"][0]["text"], "stepped");

    // The same call in the 2026-07-28 era, even naming the session: no
    // session, no ids, no priming event.
    let mut meta = meta_2026();
    meta["progressToken"] = json!("q");
    let stateless = Post::json(&call(7, meta))
        .bearer(ALICE)
        .stateless("tools/call", Some("one_step"))
        .header("Mcp-Session-Id", &id)
        .send(s.addr)
        .await;
    assert_eq!(stateless.status, 200, "{}", stateless.text());
    let text = stateless.text();
    assert!(!text.contains("id: "), "{text}");
    let messages = stateless.sse_messages();
    assert_eq!(messages.len(), 2, "{text}");
    assert_eq!(messages[1]["result"]["content"][0]["text"], "stepped");
}
