//! Scopes on resources, templates and prompts in process: the lists show a
//! caller with scopes only what it may use (each with its scopes in
//! `_meta`), a read, a get or a completion without a scope is refused (a
//! key: `permission_denied`; a token: `-32003` with the scopes, 403 over
//! HTTP) before its fn runs, and the contract locks the scopes.

use std::sync::atomic::{AtomicUsize, Ordering};

use mcp_runtime::prelude::*;
use mcp_runtime::{KeyIdentity, TokenSubject};
use serde_json::{Value, json};

/// The fns that ran for the key `ro` (the tests run at once: only its count).
static RAN: AtomicUsize = AtomicUsize::new(0);

fn ran(ctx: &ToolContext) {
    if ctx.key().is_some_and(|k| k.name == "ro") {
        RAN.fetch_add(1, Ordering::SeqCst);
    }
}

/// The public returns policy.
#[mcp_resource(uri = "shop://policies/returns")]
async fn returns() -> &'static str {
    "30 days"
}

/// The supplier price list.
#[mcp_resource(uri = "shop://prices/suppliers", scopes = ["catalog:admin"])]
async fn supplier_prices(ctx: ToolContext) -> &'static str {
    ran(&ctx);
    "secret"
}

async fn skus(value: String, _: CompletionArguments, ctx: ToolContext) -> Vec<String> {
    ran(&ctx);
    vec![format!("{value}-1")]
}

/// A product's cost breakdown.
#[mcp_resource(
    uri_template = "shop://costs/{sku}",
    scopes = ["catalog:admin", "finance:read"],
    complete(sku = skus)
)]
async fn cost(sku: String, ctx: ToolContext) -> String {
    ran(&ctx);
    sku
}

/// Draft a price change.
#[mcp_prompt(scopes = ["catalog:admin"], complete(sku = skus))]
async fn reprice(
    /// The product.
    sku: String,
    ctx: ToolContext,
) -> String {
    ran(&ctx);
    format!("Reprice {sku}")
}

/// Greet.
#[mcp_prompt]
async fn greet() -> &'static str {
    "Hello"
}

fn server() -> Server {
    Server::builder("served-scopes", "1.0.0").build().unwrap()
}

fn reader_key() -> KeyIdentity {
    KeyIdentity::api_key("ro", None).with_scopes(["catalog:read"])
}

fn reader_token() -> KeyIdentity {
    KeyIdentity::api_key("oauth:agent", None)
        .with_scopes(["catalog:admin"])
        .with_token(TokenSubject::new(
            "https://id.example",
            Some("svc".into()),
            Some("agent".into()),
            u64::MAX,
        ))
}

fn ids(list: &[Value], key: &str) -> Vec<String> {
    list.iter()
        .map(|e| e[key].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn lists_show_what_a_caller_may_use_with_its_scopes() {
    let s = server();
    for all in [s.client(), s.client().as_key("hub", None)] {
        let resources = all.list_resources().await.unwrap();
        assert_eq!(
            ids(&resources, "uri"),
            ["shop://policies/returns", "shop://prices/suppliers"]
        );
        assert_eq!(
            resources[1]["_meta"],
            json!({ "dev.mcp-runtime/scopes": ["catalog:admin"] })
        );
        assert_eq!(resources[0].get("_meta"), None);
        let templates = all.list_resource_templates().await.unwrap();
        assert_eq!(
            templates[0]["_meta"],
            json!({ "dev.mcp-runtime/scopes": ["catalog:admin", "finance:read"] })
        );
        assert_eq!(
            ids(&all.list_prompts().await.unwrap(), "name"),
            ["greet", "reprice"]
        );
    }
    let key = s.client().as_caller(reader_key());
    assert_eq!(
        ids(&key.list_resources().await.unwrap(), "uri"),
        ["shop://policies/returns"]
    );
    assert_eq!(
        key.list_resource_templates().await.unwrap(),
        Vec::<Value>::new()
    );
    assert_eq!(ids(&key.list_prompts().await.unwrap(), "name"), ["greet"]);
    // The token holds catalog:admin but not finance:read.
    let token = s.client().as_caller(reader_token());
    assert_eq!(
        ids(&token.list_resources().await.unwrap(), "uri"),
        ["shop://policies/returns", "shop://prices/suppliers"]
    );
    assert_eq!(
        token.list_resource_templates().await.unwrap(),
        Vec::<Value>::new()
    );
    assert_eq!(
        ids(&token.list_prompts().await.unwrap(), "name"),
        ["greet", "reprice"]
    );
}

#[tokio::test]
async fn a_key_without_the_scope_is_refused_before_the_fn_runs() {
    let s = server();
    let key = s.client().as_caller(reader_key());
    let before = RAN.load(Ordering::SeqCst);
    let e = key
        .read_resource("shop://prices/suppliers")
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            -32602,
            "resource `shop://prices/suppliers` needs the scope `catalog:admin`, which this API key does not hold"
        )
    );
    assert_eq!(e.data.unwrap()["error"]["type"], "permission_denied");
    let e = key.read_resource("shop://costs/A").await.unwrap_err();
    assert_eq!(
        e.message,
        "resource `shop://costs/{sku}` needs the scope `catalog:admin`, `finance:read`, which this API key does not hold"
    );
    let e = key
        .get_prompt("reprice", json!({ "sku": "A" }))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            -32602,
            "prompt `reprice` needs the scope `catalog:admin`, which this API key does not hold"
        )
    );
    let e = key
        .complete(
            json!({ "type": "ref/prompt", "name": "reprice" }),
            "sku",
            "A",
            json!({}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.data.unwrap()["error"]["type"], "permission_denied");
    // Refused before its arguments are looked at: they are not told.
    let e = key
        .complete(
            json!({ "type": "ref/prompt", "name": "reprice" }),
            "nope",
            "",
            json!({}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "prompt `reprice` needs the scope `catalog:admin`, which this API key does not hold"
    );
    let template = json!({ "type": "ref/resource", "uri": "shop://costs/{sku}" });
    let e = key
        .complete(template, "sku", "A", json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code, -32602);
    assert_eq!(RAN.load(Ordering::SeqCst), before, "no refused fn ran");
    // What needs no scope is served, and without scopes a key may use all.
    assert_eq!(
        key.read_resource("shop://policies/returns").await.unwrap()[0]["text"],
        "30 days"
    );
    let hub = s.client().as_key("hub", None);
    assert_eq!(
        hub.read_resource("shop://prices/suppliers").await.unwrap()[0]["text"],
        "secret"
    );
}

#[tokio::test]
async fn a_token_without_the_scope_gets_the_forbidden_error_with_the_scopes() {
    let s = server();
    let token = s.client().as_caller(reader_token());
    let e = token.read_resource("shop://costs/A").await.unwrap_err();
    assert_eq!(e.code, -32003);
    assert_eq!(
        e.message,
        "forbidden: resource `shop://costs/{sku}` needs the scope `finance:read`, which the access token does not hold"
    );
    assert_eq!(
        e.data,
        Some(json!({ "requiredScopes": ["catalog:admin", "finance:read"] }))
    );
    let template = json!({ "type": "ref/resource", "uri": "shop://costs/{sku}" });
    let e = token
        .complete(template, "sku", "A", json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code, -32003);
    // It holds catalog:admin: the price list, the prompt and its completion.
    assert_eq!(
        token
            .read_resource("shop://prices/suppliers")
            .await
            .unwrap()[0]["text"],
        "secret"
    );
    let got = token
        .get_prompt("reprice", json!({ "sku": "A" }))
        .await
        .unwrap();
    assert_eq!(got["messages"][0]["content"]["text"], "Reprice A");
    let prompt = json!({ "type": "ref/prompt", "name": "reprice" });
    assert_eq!(
        token.complete(prompt, "sku", "A", json!({})).await.unwrap()["values"],
        json!(["A-1"])
    );
}

#[test]
fn the_contract_locks_the_scopes() {
    let contract = mcp_runtime::testing::contract_of(server().registry());
    assert_eq!(
        contract["resources"]["shop://prices/suppliers"],
        json!({ "name": "supplier_prices", "description": "The supplier price list.", "scopes": ["catalog:admin"] })
    );
    assert_eq!(
        contract["prompts"]["reprice"]["scopes"],
        json!(["catalog:admin"])
    );
    let mut narrower = contract.clone();
    narrower["prompts"]["greet"]["scopes"] = json!(["catalog:admin"]);
    let diff = mcp_runtime::testing::compare_contracts(&contract, &narrower);
    assert_eq!(
        diff.breaking,
        ["prompt `greet`: now requires the scope `catalog:admin` (callers without it are refused)"]
    );
}
