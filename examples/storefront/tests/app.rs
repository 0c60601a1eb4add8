//! The storefront over real HTTP: its CORS and compression layers and its own
//! route work, and the server keeps authentication, Origin checks,
//! readiness and the drain at shutdown.

use std::time::Duration;

use mcp_runtime::ApiKey;
use mcp_tests::{Post, TestServer, raw_request};
use serde_json::json;
use storefront::{FRONT_END, StockFeed, server};

const KEY: &str = "storefront-test-key-0123456789";

async fn start(feed: &StockFeed, grace: Duration) -> TestServer {
    let built = server(feed.clone())
        .keys_from_env(false)
        .api_key(ApiKey::new("front", KEY).unwrap())
        .shutdown_grace(grace)
        .build()
        .unwrap();
    TestServer::start(built).await
}

fn stock(sku: &str, delay_ms: u64) -> Post {
    Post::json(&json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": { "name": "stock_level", "arguments": { "sku": sku, "delayMs": delay_ms } }
    }))
}

fn get(path: &str, host: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").into_bytes()
}

#[tokio::test]
async fn cors_preflight_and_calls_from_the_front_end_get_cors_headers() {
    let feed = StockFeed::up();
    let s = start(&feed, Duration::ZERO).await;
    let host = s.addr.to_string();
    let preflight = format!(
        "OPTIONS /mcp HTTP/1.1\r\nHost: {host}\r\nOrigin: {FRONT_END}\r\n\
         Access-Control-Request-Method: POST\r\n\
         Access-Control-Request-Headers: authorization, content-type\r\nConnection: close\r\n\r\n"
    );
    let r = raw_request(s.addr, preflight.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some(FRONT_END));
    assert_eq!(r.header("access-control-allow-methods"), Some("POST"));
    let r = stock("SKU-1", 0)
        .bearer(KEY)
        .header("Origin", FRONT_END)
        .send(s.addr)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some(FRONT_END));
    assert_eq!(r.json()["result"]["content"][0]["text"], "35");
}

#[tokio::test]
async fn the_layers_keep_authentication_and_the_origin_check() {
    let feed = StockFeed::up();
    let s = start(&feed, Duration::ZERO).await;
    let r = stock("SKU-1", 0)
        .header("Origin", FRONT_END)
        .send(s.addr)
        .await;
    assert_eq!(r.status, 401, "{}", r.text());
    let r = stock("SKU-1", 0)
        .bearer(KEY)
        .header("Origin", "https://evil.example")
        .send(s.addr)
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(
        r.json()["error"]["message"],
        "forbidden: Origin not allowed"
    );
}

#[tokio::test]
async fn responses_are_compressed_for_clients_that_ask() {
    let feed = StockFeed::up();
    let s = start(&feed, Duration::ZERO).await;
    let list = Post::json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }))
        .bearer(KEY)
        .header("Accept-Encoding", "gzip");
    let r = list.send(s.addr).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
}

#[tokio::test]
async fn the_applications_route_and_the_probes_answer() {
    let feed = StockFeed::up();
    let s = start(&feed, Duration::ZERO).await;
    let host = s.addr.to_string();
    let r = raw_request(s.addr, &get("/status", &host)).await;
    assert_eq!((r.status, r.text()), (200, "storefront: open".to_owned()));
    let r = raw_request(s.addr, &get("/readyz", &host)).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({ "status": "ready", "checks": { "stock_feed": "ok" } })
    );
    feed.set_up(false);
    let r = raw_request(s.addr, &get("/readyz", &host)).await;
    assert_eq!(r.status, 503);
    assert_eq!(
        r.json(),
        json!({ "status": "not_ready", "checks": { "stock_feed": "failing" } })
    );
    // Liveness does not depend on the feed.
    let r = raw_request(s.addr, &get("/healthz", &host)).await;
    assert_eq!((r.status, r.json()), (200, json!({ "status": "ok" })));
}

#[tokio::test]
async fn at_shutdown_readiness_fails_during_the_grace_and_calls_in_flight_finish() {
    let feed = StockFeed::up();
    let s = start(&feed, Duration::from_millis(800)).await;
    let addr = s.addr;
    let host = addr.to_string();
    let in_flight = tokio::spawn(async move { stock("SKU-22", 1200).bearer(KEY).send(addr).await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let stopping = tokio::spawn(s.stop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = raw_request(addr, &get("/readyz", &host)).await;
    assert_eq!((r.status, r.json()), (503, json!({ "status": "draining" })));
    let r = in_flight.await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["result"]["content"][0]["text"], "42");
    stopping.await.unwrap().unwrap();
}
