//! The shop on Postgres as replicas run it: several shops on one database
//! (three processes starting at once on a fresh database; two pools in
//! process racing one idempotency key), and a database outage and recovery.
//! Each test uses a throwaway cluster (`mcp_tests::postgres`); without
//! Postgres installed they print SKIPPED, unless `CI` is set.

use std::time::{Duration, Instant};

use mcp_runtime::ErrorKind;
use mcp_runtime::testing::Client;
use mcp_tests::Post;
use mcp_tests::postgres::Postgres;
use mcp_tests::process::Proc;
use serde_json::{Value, json};
use shop::Shop;
use shop::db::{DbConfig, Target};

const HUB: &str = "shop-postgres-hub-key-0123456789";

async fn shop_on(url: &str) -> Shop {
    Shop::connect(DbConfig::new(Target::Postgres(url.to_owned())))
        .await
        .expect("the shop connects, migrates and seeds")
}

fn acme(shop: Shop) -> Client {
    shop::server(shop)
        .expect("the tools are valid")
        .client()
        .tenant("acme")
}

async fn answer(client: &Client, tool: &str, args: Value) -> Result<Value, (ErrorKind, String)> {
    let r = client.call(tool, args).await.expect("no JSON-RPC error");
    match r.error_kind() {
        None => Ok(r.structured().expect("structured content").clone()),
        Some(kind) => Err((kind, r.error_message().unwrap_or_default())),
    }
}

fn scalar(pg: &Postgres, url: &str, sql: &str) -> String {
    let db = url.rsplit('/').next().unwrap();
    pg.psql(db, sql)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_shops_starting_at_once_on_a_fresh_database_migrate_and_seed_once() {
    let Some(pg) = Postgres::shared() else {
        return;
    };
    let url = pg.new_database();
    let shops: Vec<Proc> = (0..3)
        .map(|_| {
            Proc::spawn(
                env!("CARGO_BIN_EXE_shop"),
                &[
                    ("SHOP_DATABASE_URL", url.as_str()),
                    ("MCP_ADDR", "127.0.0.1:0"),
                    ("MCP_API_KEYS", &format!("hub:{HUB}")),
                    ("MCP_LOG", "info"),
                ],
            )
        })
        .collect();
    let mut addrs = Vec::new();
    for shop in &shops {
        addrs.push(shop.addr().await);
    }
    assert_eq!(
        scalar(pg, &url, "SELECT COUNT(*) FROM _sqlx_migrations"),
        "1"
    );
    assert_eq!(
        scalar(
            pg,
            &url,
            "SELECT COUNT(*) FROM _sqlx_migrations WHERE success"
        ),
        "1"
    );
    assert_eq!(scalar(pg, &url, "SELECT COUNT(*) FROM seed_applied"), "1");
    assert_eq!(scalar(pg, &url, "SELECT COUNT(*) FROM tenants"), "2");
    assert_eq!(scalar(pg, &url, "SELECT COUNT(*) FROM products"), "19");
    assert_eq!(scalar(pg, &url, "SELECT COUNT(*) FROM orders"), "9");

    // Every replica serves the one database: the same key sent to all three
    // at once makes one quote, and all three answer it.
    let args = json!({
        "tenantId": "acme", "customerId": "CUS-1002", "idempotencyKey": "three-replicas-1",
        "items": [{ "productId": "PRD-1003", "quantity": 2 }]
    });
    let calls: Vec<_> = addrs
        .iter()
        .enumerate()
        .map(|(i, addr)| {
            let post = Post::json(&json!({
                "jsonrpc": "2.0", "id": i + 1, "method": "tools/call",
                "params": { "name": "create_quote", "arguments": args }
            }))
            .bearer(HUB);
            let addr = *addr;
            tokio::spawn(async move { post.send(addr).await })
        })
        .collect();
    let mut quotes = Vec::new();
    for c in calls {
        let r = c.await.unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        let result = r.json()["result"].clone();
        assert_ne!(result["isError"], json!(true), "{result}");
        quotes.push(result["structuredContent"].clone());
    }
    let number = quotes[0]["quoteNumber"].as_str().unwrap();
    assert!(
        ["QUO-000001", "QUO-000002", "QUO-000003"].contains(&number),
        "{number}"
    );
    assert!(quotes.iter().all(|q| *q == quotes[0]), "{quotes:?}");
    assert_eq!(scalar(pg, &url, "SELECT COUNT(*) FROM quotes"), "1");
    assert_eq!(scalar(pg, &url, "SELECT COUNT(*) FROM quote_lines"), "1");
    drop(shops);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_key_sent_to_two_replicas_at_once_creates_one_record() {
    let Some(pg) = Postgres::shared() else {
        return;
    };
    let url = pg.new_database();
    let replicas = [acme(shop_on(&url).await), acme(shop_on(&url).await)];
    let quote = json!({
        "customerId": "CUS-1001", "idempotencyKey": "race-quote-0001",
        "items": [{ "productId": "PRD-1006", "quantity": 1 }, { "productId": "PRD-1001", "quantity": 3 }]
    });
    let ret = json!({
        "orderNumber": "ORD-10001", "idempotencyKey": "race-return-0001",
        "items": [{ "productId": "PRD-1008", "quantity": 1, "reason": "damaged" }]
    });
    for (tool, args, table, number) in [
        ("create_quote", quote, "quotes", "quoteNumber"),
        ("submit_return", ret, "returns", "rmaNumber"),
    ] {
        let calls: Vec<_> = (0..16)
            .map(|i| {
                let client = replicas[i % 2].clone();
                let args = args.clone();
                tokio::spawn(async move { answer(&client, tool, args).await })
            })
            .collect();
        let mut answers = Vec::new();
        for c in calls {
            answers.push(c.await.unwrap().unwrap_or_else(|e| panic!("{tool}: {e:?}")));
        }
        assert!(
            answers.iter().all(|a| *a == answers[0]),
            "{tool}: {answers:?}"
        );
        // The racers that lost took sequence values too: the number is
        // one of the first 16, not necessarily the first.
        let n = answers[0][number].as_str().unwrap();
        let digits: u32 = n[4..].parse().unwrap_or_else(|_| panic!("{tool}: {n}"));
        assert!(n.len() == 10 && (1..=16).contains(&digits), "{tool}: {n}");
        assert_eq!(
            scalar(pg, &url, &format!("SELECT COUNT(*) FROM {table}")),
            "1",
            "{tool}"
        );
    }
    assert_eq!(scalar(pg, &url, "SELECT COUNT(*) FROM return_items"), "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_returns_with_different_keys_never_return_more_than_was_ordered() {
    let Some(pg) = Postgres::shared() else {
        return;
    };
    let url = pg.new_database();
    let replicas = [acme(shop_on(&url).await), acme(shop_on(&url).await)];
    // ORD-10001 has 2 units of PRD-1008: of 6 returns of one unit each,
    // with different keys, at once on two replicas, exactly 2 pass.
    let calls: Vec<_> = (0..6)
        .map(|i| {
            let client = replicas[i % 2].clone();
            let args = json!({
                "orderNumber": "ORD-10001", "idempotencyKey": format!("split-return-{i:04}"),
                "items": [{ "productId": "PRD-1008", "quantity": 1, "reason": "damaged" }]
            });
            tokio::spawn(async move { answer(&client, "submit_return", args).await })
        })
        .collect();
    let (mut authorized, mut refused) = (0, 0);
    for c in calls {
        match c.await.unwrap() {
            Ok(_) => authorized += 1,
            Err((ErrorKind::Validation, m)) => {
                assert!(m.contains("already returned 2"), "{m}");
                refused += 1;
            }
            Err(e) => panic!("neither authorized nor refused: {e:?}"),
        }
    }
    assert_eq!((authorized, refused), (2, 4));
    assert_eq!(
        scalar(
            pg,
            &url,
            "SELECT SUM(quantity) FROM return_items WHERE product_id = 'PRD-1008'"
        ),
        "2"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_answers_server_error_quickly_and_the_shop_recovers_by_itself() {
    // A cluster of its own: this test stops it.
    let Some(pg) = Postgres::start_or_skip() else {
        return;
    };
    let url = pg.new_database();
    let acquire = Duration::from_millis(500);
    let shop = Shop::connect(DbConfig {
        acquire_timeout: acquire,
        ..DbConfig::new(Target::Postgres(url.clone()))
    })
    .await
    .unwrap();
    let client = acme(shop);
    let order = json!({ "orderNumber": "ORD-10002" });
    let before = answer(&client, "get_order", order.clone()).await.unwrap();
    assert_eq!(before["orderNumber"], "ORD-10002");

    pg.stop();
    for (tool, args) in [
        ("get_order", order.clone()),
        (
            "create_quote",
            json!({ "customerId": "CUS-1001", "idempotencyKey": "during-outage-1",
                    "items": [{ "productId": "PRD-1001", "quantity": 1 }] }),
        ),
    ] {
        let started = Instant::now();
        let (kind, message) = answer(&client, tool, args).await.unwrap_err();
        let took = started.elapsed();
        assert_eq!(kind, ErrorKind::Server, "{tool}: {message}");
        assert!(took < acquire + Duration::from_secs(2), "{tool}: {took:?}");
        println!("{tool} during the outage: server_error in {took:?}");
        // Nothing of the database's error reaches the client.
        for secret in [
            "127.0.0.1",
            "postgres",
            &pg.port().to_string(),
            "SELECT",
            "refused",
        ] {
            assert!(!message.contains(secret), "{tool}: {message}");
        }
    }

    pg.restart();
    let started = Instant::now();
    let after = answer(&client, "get_order", order).await.unwrap();
    println!(
        "first call after the restart: ok in {:?}",
        started.elapsed()
    );
    assert_eq!(after, before);
    let quote = answer(
        &client,
        "create_quote",
        json!({ "customerId": "CUS-1001", "idempotencyKey": "after-outage-1",
                "items": [{ "productId": "PRD-1001", "quantity": 1 }] }),
    )
    .await
    .unwrap();
    assert_eq!(quote["quoteNumber"], "QUO-000001");
    assert_eq!(scalar(&pg, &url, "SELECT COUNT(*) FROM quotes"), "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_stuck_behind_a_lock_fails_at_the_statement_timeout() {
    let Some(pg) = Postgres::shared() else {
        return;
    };
    let url = pg.new_database();
    let shop = Shop::connect(DbConfig {
        statement_timeout: Duration::from_millis(300),
        ..DbConfig::new(Target::Postgres(url.clone()))
    })
    .await
    .unwrap();
    let client = acme(shop);
    let db = url.rsplit('/').next().unwrap().to_owned();
    // Another session holds the quotes table for 4 s.
    let mut holder = pg.psql_background(
        &db,
        "BEGIN; LOCK TABLE quotes IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT;",
    );
    let deadline = Instant::now() + Duration::from_secs(3);
    while scalar(
        pg,
        &url,
        "SELECT COUNT(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND relation = 'quotes'::regclass",
    ) != "1"
    {
        assert!(Instant::now() < deadline, "the lock was not taken");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let args = json!({ "customerId": "CUS-1001", "idempotencyKey": "behind-a-lock-1",
                       "items": [{ "productId": "PRD-1001", "quantity": 1 }] });
    let started = Instant::now();
    let (kind, message) = answer(&client, "create_quote", args.clone())
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(kind, ErrorKind::Server, "{message}");
    assert!(
        !message.contains("statement timeout") && !message.contains("quotes"),
        "{message}"
    );
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(2),
        "{took:?}"
    );
    let _ = holder.kill();
    let _ = holder.wait();
    // Once the lock is gone, the same request goes through.
    let deadline = Instant::now() + Duration::from_secs(10);
    let quote = loop {
        match answer(&client, "create_quote", args.clone()).await {
            Ok(q) => break q,
            Err(e) => assert!(Instant::now() < deadline, "{e:?}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(quote["customerId"], "CUS-1001");
    assert_eq!(scalar(pg, &url, "SELECT COUNT(*) FROM quotes"), "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_never_opens_more_connections_than_its_size() {
    let Some(pg) = Postgres::shared() else {
        return;
    };
    let url = pg.new_database();
    let db = url.rsplit('/').next().unwrap().to_owned();
    let shop = Shop::connect(DbConfig {
        pool_size: std::num::NonZeroU32::new(2).unwrap(),
        ..DbConfig::new(Target::Postgres(url.clone()))
    })
    .await
    .unwrap();
    let client = acme(shop);
    let sessions = format!("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '{db}'");
    let calls: Vec<_> = (0..24)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                answer(
                    &client,
                    "search_products",
                    json!({ "query": "*", "pageSize": 50 }),
                )
                .await
            })
        })
        .collect();
    let mut most = 0;
    while calls.iter().any(|c| !c.is_finished()) {
        most = most.max(scalar(pg, &url, &sessions).parse::<u32>().unwrap());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for c in calls {
        let page = c.await.unwrap().unwrap();
        assert_eq!(page["pagination"]["totalItems"], 10);
    }
    // psql's own session is one of those counted.
    assert!((1..=3).contains(&most), "{most} sessions");
    assert!(scalar(pg, &url, &sessions).parse::<u32>().unwrap() <= 3);
}
