//! The shop over a real socket, in conditions the in-process tests do not
//! make: the database's write lock held by another connection (as another
//! process would), cancels and time limits racing the commits of
//! `create_quote` and `submit_return`, one tenant's stalled write beside
//! reads of every tenant, and hostile search text.
//!
//! Each test starts the shop's server on `127.0.0.1:0` over a freshly seeded
//! SQLite file in a temp dir and calls it as the platform's hub does: one
//! bearer key, `tenantId` in every call's arguments.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mcp_runtime::{ApiKey, ServerBuilder};
use mcp_tests::{HttpResponse, Post, TestServer};
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use shop::Shop;
use shop::db::DbConfig;

const HUB: &str = "shop-over-http-hub-key-0123456789";

/// The shop served over HTTP on a new database, removed on drop.
struct Served {
    server: TestServer,
    dir: PathBuf,
}

impl Served {
    /// Serve the shop over a new database; `configure` may set the call
    /// timeout and such on the shop's builder.
    async fn start(configure: impl FnOnce(ServerBuilder) -> ServerBuilder) -> Served {
        Served::start_with(DbConfig::sqlite, configure).await
    }

    /// [`Served::start`] with the shop opened by `open`.
    async fn start_with(
        database: impl FnOnce(PathBuf) -> DbConfig,
        configure: impl FnOnce(ServerBuilder) -> ServerBuilder,
    ) -> Served {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "shop-over-http-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let shop = Shop::connect(database(dir.join("shop.db")))
            .await
            .expect("the database opens and is seeded");
        let builder = shop::builder(shop)
            .keys_from_env(false)
            .api_key(ApiKey::new("hub", HUB).unwrap());
        let server = TestServer::start(configure(builder).build().expect("the shop builds")).await;
        Served { server, dir }
    }

    fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    fn db(&self) -> PathBuf {
        self.dir.join("shop.db")
    }

    /// A number read from the database directly, not through the tools.
    fn count(&self, sql: &str, key: &str) -> i64 {
        let conn = Connection::open(self.db()).unwrap();
        conn.query_row(sql, params![key], |r| r.get(0)).unwrap()
    }

    /// Call `tool` for `tenant` and wait for the answer.
    async fn call(&self, id: u64, tenant: &str, tool: &str, args: Value) -> Answer {
        Answer::of(&call(id, tenant, tool, args).send(self.addr()).await)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `tools/call` as the hub sends it: `tenantId` injected into the arguments.
fn call(id: u64, tenant: &str, tool: &str, mut args: Value) -> Post {
    args["tenantId"] = json!(tenant);
    Post::json(&json!({
        "jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": { "name": tool, "arguments": args }
    }))
    .bearer(HUB)
}

/// Send `post` in a task of its own; its response is awaited later.
fn in_flight(addr: SocketAddr, post: Post) -> tokio::task::JoinHandle<HttpResponse> {
    tokio::spawn(async move { post.send(addr).await })
}

fn cancel(id: u64) -> Post {
    Post::json(&json!({
        "jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": { "requestId": id, "reason": "the user gave up" }
    }))
    .bearer(HUB)
}

/// What a tool call answered.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    /// Its structured result.
    Ok(Value),
    /// A tool error: its type (`server_error` …) and message.
    Err(String, String),
}

impl Answer {
    fn of(r: &HttpResponse) -> Answer {
        assert_eq!(r.status, 200, "{}", r.text());
        let body = r.json();
        let result = &body["result"];
        assert!(result.is_object(), "not a tool result: {body}");
        if result["isError"] == json!(true) {
            let text = result["content"][0]["text"].as_str().unwrap();
            let e: Value = serde_json::from_str(text).unwrap();
            let field = |k: &str| e["error"][k].as_str().unwrap().to_owned();
            Answer::Err(field("type"), field("message"))
        } else {
            Answer::Ok(result["structuredContent"].clone())
        }
    }

    fn ok(self) -> Value {
        match self {
            Answer::Ok(v) => v,
            Answer::Err(kind, message) => panic!("expected a result, got {kind}: {message}"),
        }
    }
}

fn cancelled() -> Answer {
    Answer::Err("server_error".into(), "the call was cancelled".into())
}

fn money(amount: &str, currency: &str) -> Value {
    json!({ "amount": amount, "currency": currency })
}

/// A write transaction held open on the shop's file by a second connection,
/// as another process would hold it; rolled back on drop.
struct WriteLock(Connection);

impl WriteLock {
    fn take(db: &Path) -> WriteLock {
        let conn = Connection::open(db).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        WriteLock(conn)
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        self.0.execute_batch("ROLLBACK").unwrap();
    }
}

/// The shop's two writes, with what each leaves in the database.
#[derive(Clone, Copy)]
enum Write {
    Quote,
    Return,
}

impl Write {
    fn tool(self) -> &'static str {
        match self {
            Write::Quote => "create_quote",
            Write::Return => "submit_return",
        }
    }

    fn args(self, key: &str) -> Value {
        match self {
            Write::Quote => json!({
                "customerId": "CUS-1002",
                "items": [{ "productId": "PRD-1004", "quantity": 2 }],
                "idempotencyKey": key
            }),
            Write::Return => json!({
                "orderNumber": "ORD-10001",
                "items": [{ "productId": "PRD-1008", "quantity": 1, "reason": "damaged" }],
                "idempotencyKey": key
            }),
        }
    }

    /// Its tables: the header, the lines, the lines' column naming their
    /// header, and the header's number column.
    fn tables(self) -> [&'static str; 4] {
        match self {
            Write::Quote => ["quotes", "quote_lines", "quote_id", "number"],
            Write::Return => ["returns", "return_items", "return_id", "rma_number"],
        }
    }

    /// How many records the write with idempotency key `key` left: headers, lines.
    fn rows(self, served: &Served, key: &str) -> (i64, i64) {
        let [header, lines, parent, _] = self.tables();
        (
            served.count(
                &format!("SELECT COUNT(*) FROM {header} WHERE idempotency_key = ?1"),
                key,
            ),
            served.count(
                &format!(
                    "SELECT COUNT(*) FROM {lines} l JOIN {header} h ON h.id = l.{parent}
                     WHERE h.idempotency_key = ?1"
                ),
                key,
            ),
        )
    }

    /// The record's number as the database holds it, if any.
    fn stored_number(self, served: &Served, key: &str) -> Option<String> {
        let [header, _, _, number] = self.tables();
        let conn = Connection::open(served.db()).unwrap();
        conn.query_row(
            &format!("SELECT {number} FROM {header} WHERE idempotency_key = ?1"),
            params![key],
            |r| r.get(0),
        )
        .ok()
    }

    /// The number in the tool's result.
    fn answered_number(self, result: &Value) -> String {
        let field = match self {
            Write::Quote => "quoteNumber",
            Write::Return => "rmaNumber",
        };
        result[field].as_str().unwrap().to_owned()
    }

    /// Assert `result` is this write, created fresh (the first of its kind).
    fn assert_created(self, result: &Value) {
        match self {
            Write::Quote => {
                assert_eq!(result["quoteNumber"], "QUO-000001", "{result}");
                assert_eq!(result["customerId"], "CUS-1002");
                assert_eq!(
                    result["lines"],
                    json!([{ "productId": "PRD-1004", "name": "Daypack 20L", "quantity": 2,
                             "unitPrice": money("59.90", "EUR"), "lineTotal": money("119.80", "EUR") }])
                );
                // Standard tier, no discount; 19 % VAT on 119.80 = 22.76.
                assert_eq!(result["subtotal"], money("119.80", "EUR"));
                assert_eq!(result["discount"], money("0.00", "EUR"));
                assert_eq!(result["tax"], money("22.76", "EUR"));
                assert_eq!(result["total"], money("142.56", "EUR"));
            }
            Write::Return => {
                assert_eq!(result["rmaNumber"], "RMA-000001", "{result}");
                assert_eq!(result["orderNumber"], "ORD-10001");
                assert_eq!(
                    result["items"],
                    json!([{ "productId": "PRD-1008", "name": "Titanium Camping Mug", "quantity": 1,
                             "reason": "damaged", "refundAmount": money("24.50", "EUR") }])
                );
                assert_eq!(result["refundTotal"], money("24.50", "EUR"));
            }
        }
    }
}

/// After a write answered "cancelled" or "timed out" and the lock is gone:
/// nothing of it is in the database, and a retry with the same key creates
/// the record afresh.
async fn assert_no_effect_then_retry(served: &Served, write: Write, key: &str) {
    // A read of the same tenant: on a shop that serializes every query on
    // one connection it queues behind the abandoned write, so a commit that
    // write would still make has happened before the rows are counted.
    served
        .call(
            90,
            "acme",
            "get_order",
            json!({ "orderNumber": "ORD-10002" }),
        )
        .await
        .ok();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        write.rows(served, key),
        (0, 0),
        "{} answered that it did not happen, but its records are in the database",
        write.tool()
    );
    let retry = served
        .call(91, "acme", write.tool(), write.args(key))
        .await
        .ok();
    write.assert_created(&retry);
    assert_eq!(write.rows(served, key), (1, 1));
    assert_eq!(
        write.stored_number(served, key),
        Some(write.answered_number(&retry))
    );
}

/// A write waiting for the lock is cancelled: it answers "cancelled" while
/// the lock is still held, and leaves nothing behind once it is released.
async fn cancelled_while_waiting_for_the_lock(write: Write) {
    let served = Served::start(|b| b).await;
    let key = "cancel-me-000001";
    let lock = WriteLock::take(&served.db());
    let addr = served.addr();
    let pending = in_flight(addr, call(1, "acme", write.tool(), write.args(key)));
    // Time for the call to reach the database and wait on the lock.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(cancel(1).send(addr).await.status, 202);
    let r = tokio::time::timeout(Duration::from_secs(3), pending)
        .await
        .expect("a cancel while waiting for the lock is answered without waiting for it")
        .unwrap();
    assert_eq!(Answer::of(&r), cancelled());
    drop(lock);
    assert_no_effect_then_retry(&served, write, key).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_quote_cancelled_behind_a_lock_commits_nothing() {
    cancelled_while_waiting_for_the_lock(Write::Quote).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submit_return_cancelled_behind_a_lock_commits_nothing() {
    cancelled_while_waiting_for_the_lock(Write::Return).await;
}

/// A write waiting for the lock runs over the call's time limit: it answers
/// "timed out" at its limit, and leaves nothing behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_times_out_behind_a_lock_commits_nothing() {
    for write in [Write::Quote, Write::Return] {
        let served = Served::start(|b| b.call_timeout(Duration::from_millis(600))).await;
        let key = "time-me-out-0001";
        let lock = WriteLock::take(&served.db());
        let started = Instant::now();
        let answer = served.call(1, "acme", write.tool(), write.args(key)).await;
        assert_eq!(
            answer,
            Answer::Err(
                "server_error".into(),
                "the tool call timed out after 600 ms".into()
            )
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "answered after {:?}, not at its time limit",
            started.elapsed()
        );
        drop(lock);
        assert_no_effect_then_retry(&served, write, key).await;
    }
}

/// Writes queued behind a lock, cancelled at staggered moments before and
/// after the lock is released: every answer agrees with the database. A
/// cancelled or timed-out answer left nothing; a write that committed
/// answered with exactly what it committed, however late the cancel came.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_of_a_cancelled_write_agrees_with_the_database() {
    const CALLS: u64 = 12;
    let served = Served::start(|b| b).await;
    let addr = served.addr();
    let key = |i: u64| format!("staggered-key-{i:04}");
    let lock = WriteLock::take(&served.db());
    let mut pending = Vec::new();
    for i in 0..CALLS {
        let args = json!({
            "customerId": "CUS-1001",
            "items": [{ "productId": "PRD-1001", "quantity": i + 1 }],
            "idempotencyKey": key(i)
        });
        pending.push(in_flight(addr, call(i, "acme", "create_quote", args)));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    // The first third is cancelled while everything waits on the lock.
    for i in 0..CALLS / 3 {
        assert_eq!(cancel(i).send(addr).await.status, 202);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(lock);
    // The rest race their cancels: some land before the commit, some after.
    for i in CALLS / 3..CALLS {
        assert_eq!(cancel(i).send(addr).await.status, 202);
        tokio::time::sleep(Duration::from_millis(2 * i)).await;
    }
    let mut committed = 0;
    for (i, p) in pending.into_iter().enumerate() {
        let i = i as u64;
        let answer = Answer::of(&p.await.unwrap());
        if i < CALLS / 3 {
            assert_eq!(
                answer,
                cancelled(),
                "call {i} was cancelled while it waited"
            );
        }
        let (headers, lines) = Write::Quote.rows(&served, &key(i));
        match answer {
            Answer::Ok(quote) => {
                committed += 1;
                assert_eq!((headers, lines), (1, 1), "call {i} answered {quote}");
                assert_eq!(
                    Write::Quote.stored_number(&served, &key(i)),
                    Some(Write::Quote.answered_number(&quote))
                );
                assert_eq!(quote["lines"][0]["quantity"], json!(i + 1));
            }
            Answer::Err(kind, message) => {
                assert_eq!(
                    (kind.as_str(), message.as_str()),
                    ("server_error", "the call was cancelled"),
                    "call {i}"
                );
                assert_eq!(
                    (headers, lines),
                    (0, 0),
                    "call {i} answered cancelled, but its quote is in the database"
                );
            }
        }
    }
    let all = served.count(
        "SELECT COUNT(*) FROM quotes WHERE idempotency_key LIKE ?1",
        "staggered-key-%",
    );
    assert_eq!(
        all, committed,
        "the database holds exactly the answered quotes"
    );
    // The late cancels race the commits; the writes they came too late for
    // answered with their quotes.
    assert!(committed >= 1, "no write of the race committed");
}

/// Hold the write lock from a second connection and start an acme
/// `create_quote`, which waits for it; once it waits, return both.
async fn stall_a_write(served: &Served) -> (WriteLock, tokio::task::JoinHandle<HttpResponse>) {
    let lock = WriteLock::take(&served.db());
    let post = call(
        1,
        "acme",
        "create_quote",
        Write::Quote.args("stalled-write"),
    );
    let write = in_flight(served.addr(), post);
    tokio::time::sleep(Duration::from_millis(300)).await;
    (lock, write)
}

/// acme's write waits on a lock held for seconds; globex's reads answer as
/// fast as ever, with exact values, and acme's write then completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_write_of_one_tenant_does_not_delay_another_tenants_reads() {
    let served = Served::start(|b| b).await;
    let (lock, acme) = stall_a_write(&served).await;
    for id in 2..6 {
        let started = Instant::now();
        let order = served
            .call(
                id,
                "globex",
                "get_order",
                json!({ "orderNumber": "ORD-20002" }),
            )
            .await
            .ok();
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(1),
            "globex's get_order took {took:?} behind acme's stalled write"
        );
        assert_eq!(
            order,
            json!({
                "orderNumber": "ORD-20002",
                "customerId": "CUS-2002",
                "status": "shipped",
                "placedAt": "2026-11-18T10:22:00Z",
                "items": [
                    { "productId": "PRD-2003", "name": "UltraView 27 4K Monitor", "quantity": 2,
                      "unitPrice": money("449.99", "USD"), "lineTotal": money("899.98", "USD") }
                ],
                "subtotal": money("899.98", "USD"),
                "shippingCost": money("14.99", "USD"),
                // 8.25 % on 899.98 + 14.99 = 914.97: 75.49.
                "tax": money("75.49", "USD"),
                "total": money("990.46", "USD"),
                "shippingAddress": {
                    "name": "David Chen", "line1": "2210 Elm St", "line2": null,
                    "city": "Dallas", "postalCode": "75201", "region": "TX", "country": "US"
                },
                "estimatedDelivery": "2026-11-22",
                "trackingNumber": "1Z9G1B470312345678",
                "carrier": "UPS"
            })
        );
        // acme's own reads do not wait for its write either.
        let started = Instant::now();
        let found = served
            .call(
                id + 10,
                "acme",
                "search_products",
                json!({ "query": "daypack" }),
            )
            .await
            .ok();
        assert_eq!(found["products"][0]["productId"], "PRD-1004");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "acme's search took {:?} behind its own stalled write",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert!(!acme.is_finished(), "acme's write waits for the lock");
    drop(lock);
    let quote = Answer::of(&acme.await.unwrap()).ok();
    Write::Quote.assert_created(&quote);
}

/// With a pool of two connections, one held by the stalled write,
/// concurrent reads take turns on the other, and all still answer at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_free_connection_is_enough_to_read_beside_a_stalled_write() {
    let served = Served::start_with(
        |path| DbConfig {
            pool_size: std::num::NonZeroU32::new(2).unwrap(),
            ..DbConfig::sqlite(path)
        },
        |b| b,
    )
    .await;
    let addr = served.addr();
    let (lock, acme) = stall_a_write(&served).await;
    let started = Instant::now();
    let reads: Vec<_> = (2..8)
        .map(|id| {
            in_flight(
                addr,
                call(
                    id,
                    "globex",
                    "get_order",
                    json!({ "orderNumber": "ORD-20002" }),
                ),
            )
        })
        .collect();
    for r in reads {
        let order = Answer::of(&r.await.unwrap()).ok();
        assert_eq!(order["total"], money("990.46", "USD"));
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "six reads through one reader took {:?} beside the stalled write",
        started.elapsed()
    );
    drop(lock);
    Write::Quote.assert_created(&Answer::of(&acme.await.unwrap()).ok());
}

// ---------------------------------------------------------------- search text

#[tokio::test]
async fn search_text_with_control_characters_is_refused() {
    let served = Served::start(|b| b).await;
    for (field, text) in [
        ("query", "\u{0}zzzzzz"),
        ("query", "tent\u{0}"),
        ("query", "tent\nstove"),
        ("query", "\u{7}"),
        ("query", "tent\u{9f}"),
        ("category", "Tents\u{0}"),
    ] {
        let mut args = json!({ "query": "tent" });
        args[field] = json!(text);
        match served.call(1, "acme", "search_products", args).await {
            Answer::Err(kind, message) => {
                assert_eq!(kind, "validation_error", "{text:?}: {message}");
                assert!(
                    message.contains(&format!("`{field}`"))
                        && message.contains("control character"),
                    "{text:?}: {message}"
                );
            }
            Answer::Ok(found) => panic!("{field} {text:?} was searched: {found}"),
        }
    }
}

#[tokio::test]
async fn like_wildcards_in_a_query_match_themselves() {
    let served = Served::start(|b| b).await;
    {
        let conn = Connection::open(served.db()).unwrap();
        conn.execute_batch(
            "INSERT INTO products (id, tenant_id, name, description, category, price_cents) VALUES
             ('PRD-1090', 'acme', 'Merino Socks', '100% merino wool, two pairs.', 'Socks', 1990),
             ('PRD-1091', 'acme', 'Trail_Gaiters', 'Light gaiters for scree.', 'Socks', 2990);",
        )
        .unwrap();
    }
    let found = |query: &'static str| {
        let served = &served;
        async move {
            let r = served
                .call(1, "acme", "search_products", json!({ "query": query }))
                .await
                .ok();
            r["products"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["productId"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("%").await, ["PRD-1090"]);
    assert_eq!(found("100%").await, ["PRD-1090"]);
    assert_eq!(found("0% wool").await, ["PRD-1090"]);
    assert_eq!(found("_").await, ["PRD-1091"]);
    assert_eq!(found("t_g").await, Vec::<String>::new());
    assert_eq!(found("trail_").await, ["PRD-1091"]);
    assert_eq!(found("\\").await, Vec::<String>::new());
    assert_eq!(found("\\%").await, Vec::<String>::new());
    // Every acme product, for comparison: twelve now.
    let all = found("*").await;
    assert_eq!(all.len(), 12, "{all:?}");
}

// -------------------------------------------------------------- submit_return asks to confirm

fn mug_return(key: &str) -> Value {
    json!({
        "orderNumber": "ORD-10001",
        "items": [{ "productId": "PRD-1008", "quantity": 1, "reason": "damaged" }],
        "idempotencyKey": key
    })
}

/// Rows a return with idempotency key `key` left: returns, and their lines.
fn return_rows(served: &Served, key: &str) -> (i64, i64) {
    (
        served.count(
            "SELECT COUNT(*) FROM returns WHERE idempotency_key = ?1",
            key,
        ),
        served.count(
            "SELECT COUNT(*) FROM return_items JOIN returns ON returns.id = return_id \
             WHERE idempotency_key = ?1",
            key,
        ),
    )
}

#[tokio::test]
async fn submit_return_asks_to_confirm_over_the_stream_in_2025_11_25() {
    use mcp_tests::Revision;
    use mcp_tests::streaming::Streaming;
    let served = Served::start(|b| b).await;
    let init = json!({ "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": { "elicitation": {} },
        "clientInfo": { "name": "shop-test", "version": "1" } } });
    assert_eq!(
        Post::json(&init)
            .bearer(HUB)
            .send(served.addr())
            .await
            .status,
        200
    );
    for (key, answer, written) in [
        (
            "confirm-2025-accept",
            json!({ "action": "accept", "content": { "confirm": true } }),
            (1, 1),
        ),
        (
            "confirm-2025-decline",
            json!({ "action": "decline" }),
            (0, 0),
        ),
        (
            "confirm-2025-unticked",
            json!({ "action": "accept", "content": { "confirm": false } }),
            (0, 0),
        ),
    ] {
        let post = call(1, "acme", "submit_return", mug_return(key))
            .header("MCP-Protocol-Version", "2025-11-25");
        let mut s = Streaming::open(served.addr(), post).await;
        let id = s.request_id().await;
        // Nothing is written while the customer is asked.
        assert_eq!(return_rows(&served, key), (0, 0));
        let reply = json!({ "jsonrpc": "2.0", "id": id, "result": answer });
        assert_eq!(
            Post::json(&reply)
                .bearer(HUB)
                .send(served.addr())
                .await
                .status,
            202
        );
        let (resp, messages) = s.finish(Revision::R2025_11_25).await;
        assert_eq!(messages[0]["method"], "elicitation/create");
        assert_eq!(
            messages[0]["params"]["message"],
            "Submit a return of 1 unit(s) from order ORD-10001?"
        );
        let last = HttpResponse {
            status: resp.status,
            body: serde_json::to_vec(messages.last().unwrap()).unwrap(),
            headers: Vec::new(),
        };
        match Answer::of(&last) {
            Answer::Ok(rma) => {
                assert_eq!(written, (1, 1));
                assert_eq!(rma["refundTotal"], money("24.50", "EUR"));
            }
            Answer::Err(kind, message) => {
                assert_eq!(written, (0, 0));
                assert_eq!(kind, "validation_error");
                assert!(message.contains("did not confirm"), "{message}");
            }
        }
        assert_eq!(return_rows(&served, key), written, "{key}");
    }
}

#[tokio::test]
async fn submit_return_asks_to_confirm_by_input_required_in_2026_07_28() {
    let served = Served::start(|b| b).await;
    let stateless = |params: Value| {
        let mut params = params;
        params["_meta"] = json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": { "name": "shop-test", "version": "1" },
            "io.modelcontextprotocol/clientCapabilities": { "elicitation": {} }
        });
        Post::json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params }))
            .stateless("tools/call", Some("submit_return"))
            .bearer(HUB)
    };
    for (key, answer, written) in [
        (
            "confirm-2026-accept",
            json!({ "action": "accept", "content": { "confirm": true } }),
            (1, 1),
        ),
        (
            "confirm-2026-decline",
            json!({ "action": "decline" }),
            (0, 0),
        ),
        ("confirm-2026-cancel", json!({ "action": "cancel" }), (0, 0)),
    ] {
        let mut args = mug_return(key);
        args["tenantId"] = json!("acme");
        let first = stateless(json!({ "name": "submit_return", "arguments": args }))
            .send(served.addr())
            .await
            .json();
        mcp_tests::assert_valid_message(
            mcp_tests::Revision::R2026_07_28,
            &first,
            Some("InputRequiredResult"),
        );
        assert_eq!(first["result"]["resultType"], "input_required", "{first}");
        assert_eq!(return_rows(&served, key), (0, 0));
        let state = first["result"]["requestState"].clone();
        let second = stateless(json!({ "name": "submit_return", "arguments": args,
                "inputResponses": { "confirm": answer }, "requestState": state }))
        .send(served.addr())
        .await;
        mcp_tests::assert_valid_message(
            mcp_tests::Revision::R2026_07_28,
            &second.json(),
            Some("CallToolResult"),
        );
        match Answer::of(&second) {
            Answer::Ok(rma) => assert_eq!(
                (written, rma["orderNumber"].clone()),
                ((1, 1), json!("ORD-10001"))
            ),
            Answer::Err(kind, _) => {
                assert_eq!((written, kind.as_str()), ((0, 0), "validation_error"))
            }
        }
        assert_eq!(return_rows(&served, key), written, "{key}");
        // The same state replayed for another tenant is refused.
        let mut other = args.clone();
        other["tenantId"] = json!("globex");
        let replay = stateless(json!({ "name": "submit_return", "arguments": other,
                "inputResponses": { "confirm": { "action": "accept", "content": { "confirm": true } } },
                "requestState": state }))
            .send(served.addr())
            .await
            .json();
        assert_eq!(replay["error"]["code"], -32602, "{replay}");
    }
}

#[tokio::test]
async fn submit_return_without_elicitation_proceeds_as_documented() {
    let served = Served::start(|b| b).await;
    // No initialize declaring elicitation: the hub's client cannot show forms.
    let rma = served
        .call(1, "acme", "submit_return", mug_return("no-form-client-1"))
        .await
        .ok();
    assert_eq!(rma["orderNumber"], "ORD-10001");
    assert_eq!(return_rows(&served, "no-form-client-1"), (1, 1));
}
