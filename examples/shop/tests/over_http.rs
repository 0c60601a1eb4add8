//! The shop over a real socket, in conditions the in-process tests do not
//! make: hostile search text.
//!
//! Each test starts the shop's server on `127.0.0.1:0` over a freshly seeded
//! SQLite file in a temp dir and calls it as the platform's hub does: one
//! bearer key, `tenantId` in every call's arguments.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use mcp_runtime::ApiKey;
use mcp_tests::{HttpResponse, Post, TestServer};
use rusqlite::Connection;
use serde_json::{Value, json};
use shop::Shop;

const HUB: &str = "shop-over-http-hub-key-0123456789";

/// The shop served over HTTP on a new database, removed on drop.
struct Served {
    server: TestServer,
    dir: PathBuf,
}

impl Served {
    /// Serve the shop over a new database.
    async fn start() -> Served {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "shop-over-http-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let shop = Shop::open(dir.join("shop.db")).expect("the database opens and is seeded");
        let builder = shop::builder(shop)
            .keys_from_env(false)
            .api_key(ApiKey::new("hub", HUB).unwrap());
        let server = TestServer::start(builder.build().expect("the shop builds")).await;
        Served { server, dir }
    }

    fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    fn db(&self) -> PathBuf {
        self.dir.join("shop.db")
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

// ---------------------------------------------------------------- search text

#[tokio::test]
async fn search_text_with_control_characters_is_refused() {
    let served = Served::start().await;
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
    let served = Served::start().await;
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
