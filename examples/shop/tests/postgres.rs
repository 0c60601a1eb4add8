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

/// Many writers on one tenant at once, every write with its own key, on
/// three pools of one database, as the replicas behind nginx write under
/// load: not one write may answer `server_error` (the shop's retries are for
/// rare conflicts, not for the ordinary contention of a busy tenant), and
/// the returns still never exceed what was ordered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_writers_on_one_tenant_never_answer_server_error() {
    let Some(pg) = Postgres::shared() else {
        return;
    };
    let url = pg.new_database();
    let replicas = [
        acme(shop_on(&url).await),
        acme(shop_on(&url).await),
        acme(shop_on(&url).await),
    ];
    // Acme's delivered order lines and their units: 9 in all.
    const LINES: [(&str, &str, u32); 4] = [
        ("ORD-10001", "PRD-1001", 1),
        ("ORD-10001", "PRD-1008", 2),
        ("ORD-10004", "PRD-1002", 2),
        ("ORD-10004", "PRD-1007", 4),
    ];
    // Each writer sends its writes one after the other, as a client does;
    // every fourth write is a return (of one unit, from each line in turn).
    let (writers, each) = (36, 8);
    let stray_rollbacks = || {
        pg.log()
            .matches("there is no transaction in progress")
            .count()
    };
    let strays_before = stray_rollbacks();
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let client = replicas[w % replicas.len()].clone();
            tokio::spawn(async move {
                let mut answers = Vec::new();
                for n in 0..each {
                    let key = format!("busy-{w:02}-{n:02}");
                    let (tool, args) = if (w + n) % 4 == 0 {
                        let (order, product, _) = LINES[(w / 4 + n) % LINES.len()];
                        let items = json!([{ "productId": product, "quantity": 1, "reason": "damaged" }]);
                        let args = json!({ "orderNumber": order, "idempotencyKey": key, "items": items });
                        ("submit_return", args)
                    } else {
                        let items = json!([
                            { "productId": format!("PRD-100{}", 1 + (w + n) % 9), "quantity": 1 + n % 4 },
                            { "productId": "PRD-1010", "quantity": 2 }
                        ]);
                        let customer = format!("CUS-100{}", 1 + w % 3);
                        let args = json!({ "customerId": customer, "idempotencyKey": key, "items": items });
                        ("create_quote", args)
                    };
                    answers.push((tool, answer(&client, tool, args).await));
                }
                answers
            })
        })
        .collect();
    let (mut quotes, mut returns, mut refused) = (0, 0, 0);
    let mut server_errors = Vec::new();
    for t in tasks {
        for answer in t.await.unwrap() {
            match answer {
                ("create_quote", Ok(_)) => quotes += 1,
                (_, Ok(_)) => returns += 1,
                (_, Err((ErrorKind::Server, m))) => server_errors.push(m),
                ("submit_return", Err((ErrorKind::Validation, m))) => {
                    assert!(m.contains("can still be returned"), "{m}");
                    refused += 1;
                }
                (tool, Err(e)) => panic!("{tool}: {e:?}"),
            }
        }
    }
    // No ROLLBACK was sent after a failed COMMIT (sqlx logs Postgres's
    // warning about it as WARN in the shop's log).
    assert_eq!(
        stray_rollbacks() - strays_before,
        0,
        "ROLLBACKs without a transaction"
    );
    assert!(
        server_errors.is_empty(),
        "{} of {} writes answered server_error ({:?})",
        server_errors.len(),
        writers * each,
        server_errors
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
    );
    assert_eq!(quotes + returns + refused, writers * each);
    assert_eq!(returns, 9, "every unit returned once, none twice");
    assert_eq!(
        scalar(pg, &url, "SELECT COUNT(*) FROM quotes"),
        quotes.to_string()
    );
    for (order, product, units) in LINES {
        let returned = format!(
            "SELECT SUM(ri.quantity) FROM return_items ri JOIN returns r ON r.id = ri.return_id
             WHERE r.order_number = '{order}' AND ri.product_id = '{product}'"
        );
        assert_eq!(
            scalar(pg, &url, &returned),
            units.to_string(),
            "{order} {product}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "{:?}",
        started.elapsed()
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
