//! Per-tool scopes in process: who may call what, what `tools/list` shows,
//! and that a refused call never reaches its arguments or its handler.

use std::sync::atomic::{AtomicUsize, Ordering};

use mcp_runtime::prelude::*;
use mcp_runtime::{ErrorKind, KeyIdentity, TokenSubject};
use serde_json::json;

static WRITES: AtomicUsize = AtomicUsize::new(0);

/// Read the stock of a product. Returns how many are left.
#[mcp_tool(read_only, scopes = ["shop:read"])]
async fn stock(
    /// The product.
    product: String,
) -> u32 {
    let _ = product;
    7
}

/// Order a product. Returns the order number.
#[mcp_tool(scopes = ["shop:read", "orders:write"])]
async fn order(
    /// The product.
    product: String,
) -> String {
    WRITES.fetch_add(1, Ordering::SeqCst);
    format!("ORD-{product}")
}

/// Say hello. Returns a greeting.
#[mcp_tool(read_only)]
async fn hello() -> String {
    "hello".into()
}

/// Tell who is calling. Returns the caller's name, client and scopes.
#[mcp_tool(read_only)]
async fn whoami(ctx: ToolContext) -> String {
    let Some(k) = ctx.key() else {
        return "nobody".into();
    };
    let token = k.token.as_ref();
    format!(
        "{} client={:?} subject={:?} scopes={:?}",
        k.name,
        token.and_then(|t| t.client_id.as_deref()),
        token.and_then(|t| t.subject.as_deref()),
        k.scopes
    )
}

fn server(list_permitted_only: bool) -> Server {
    Server::builder("scopes", "0.0.0")
        .list_only_permitted_tools(list_permitted_only)
        .build()
        .unwrap()
}

fn reader_key() -> KeyIdentity {
    KeyIdentity::api_key("ro", None).with_scopes(["shop:read"])
}

fn reader_token() -> KeyIdentity {
    KeyIdentity::api_key("oauth:agent", None)
        .with_scopes(["shop:read"])
        .with_token(TokenSubject::new(
            "https://id.example",
            Some("svc".into()),
            Some("agent".into()),
            u64::MAX,
        ))
}

async fn names(client: &mcp_runtime::testing::Client) -> Vec<String> {
    client
        .list_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn who_may_call_what() {
    let s = server(true);
    assert_eq!(s.registry().scopes(), ["orders:write", "shop:read"]);
    assert_eq!(
        s.registry().get("order").unwrap().scopes(),
        ["shop:read", "orders:write"]
    );

    // No key (stdio, in process) and a key without scopes: every tool.
    for client in [s.client(), s.client().as_key("hub", None)] {
        assert_eq!(names(&client).await, ["hello", "order", "stock", "whoami"]);
        let r = client
            .call("order", json!({ "product": "1" }))
            .await
            .unwrap();
        assert_eq!(r.value::<String>().unwrap(), "ORD-1");
    }

    // A key with scopes: what it may call is listed; the rest is a tool error.
    let before = WRITES.load(Ordering::SeqCst);
    let key = s.client().as_caller(reader_key());
    assert_eq!(names(&key).await, ["hello", "stock", "whoami"]);
    assert_eq!(
        key.call("stock", json!({ "product": "1" }))
            .await
            .unwrap()
            .value::<u32>()
            .unwrap(),
        7
    );
    // Refused before the arguments are looked at: these are not even valid.
    let r = key
        .call("order", json!({ "nonsense": true }))
        .await
        .unwrap();
    assert_eq!(r.error_kind(), Some(ErrorKind::PermissionDenied));
    assert_eq!(
        r.error_message().unwrap(),
        "tool `order` needs the scope `orders:write`, which this API key does not hold"
    );

    // A token: a protocol error (HTTP 403 over HTTP) naming the scopes.
    let token = s.client().as_caller(reader_token());
    assert_eq!(names(&token).await, ["hello", "stock", "whoami"]);
    let e = token
        .call("order", json!({ "nonsense": true }))
        .await
        .unwrap_err();
    assert_eq!(e.code, -32003);
    assert_eq!(
        e.message,
        "forbidden: tool `order` needs the scope `orders:write`, which the access token does not hold"
    );
    assert_eq!(
        e.data,
        Some(json!({ "requiredScopes": ["shop:read", "orders:write"] }))
    );
    // The handler sees who called: the token's client and subject, its scopes.
    let who = token.call("whoami", json!({})).await.unwrap();
    assert_eq!(
        who.value::<String>().unwrap(),
        r#"oauth:agent client=Some("agent") subject=Some("svc") scopes=Some(["shop:read"])"#
    );
    // A caller holding no scope at all may still call the tools that need none.
    let none = s
        .client()
        .as_caller(KeyIdentity::api_key("none", None).with_scopes(Vec::<String>::new()));
    assert_eq!(names(&none).await, ["hello", "whoami"]);
    assert_eq!(WRITES.load(Ordering::SeqCst), before, "no refused call ran");
}

#[tokio::test]
async fn the_full_list_when_filtering_is_off_calls_still_checked() {
    let s = server(false);
    let key = s.client().as_caller(reader_key());
    assert_eq!(names(&key).await, ["hello", "order", "stock", "whoami"]);
    let r = key.call("order", json!({ "product": "1" })).await.unwrap();
    assert_eq!(r.error_kind(), Some(ErrorKind::PermissionDenied));
}
