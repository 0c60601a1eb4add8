//! `completion/complete` served in process: completers of prompt arguments
//! and template variables, the other arguments they receive (only those
//! declared), the caller's tenant, the cap of 100 with `total`/`hasMore`,
//! an argument without a completer, every bad request's message, and the
//! `completions` capability in both eras.

use mcp_runtime::prelude::*;
use serde_json::{Value, json};

const SKUS: [&str; 4] = ["mug-blue", "mug-red", "shirt-s", "shirt-m"];

/// Product ids starting with the value, of the caller's tenant only.
async fn product_ids(
    value: String,
    _: CompletionArguments,
    ctx: ToolContext,
) -> Result<Vec<String>, McpError> {
    let tenant = ctx
        .tenant_id()
        .ok_or_else(|| McpError::permission_denied("completion needs a tenant"))?;
    Ok(SKUS
        .iter()
        .filter(|s| s.starts_with(&value))
        .map(|s| format!("{tenant}-{s}"))
        .collect())
}

/// 250 sizes, to be capped.
async fn many(value: String, _: CompletionArguments, _: ToolContext) -> Vec<String> {
    (0..250).map(|i| format!("{value}{i}")).collect()
}

/// Echoes what the completer was given.
async fn echo(value: String, given: CompletionArguments, _: ToolContext) -> Vec<String> {
    let mut out = vec![format!("value={value}")];
    out.extend(given.iter().map(|(k, v)| format!("{k}={v}")));
    out
}

/// Panics.
async fn panicking(_: String, _: CompletionArguments, _: ToolContext) -> Vec<String> {
    panic!("completer exploded")
}

/// A product.
#[mcp_resource(
    uri_template = "shop://products/{productId}/sizes/{size}",
    complete(productId = product_ids, size = many)
)]
async fn product_size(product_id: String, size: String) -> String {
    format!("{product_id} {size}")
}

/// The returns policy.
#[mcp_resource(uri = "shop://policies/returns")]
async fn returns() -> &'static str {
    "30 days"
}

/// Draft a reply.
#[mcp_prompt(complete(order_number = echo, tone = panicking))]
async fn draft_reply(
    /// The order.
    order_number: String,
    /// The tone.
    tone: Option<String>,
    /// Without a completer.
    language: Option<String>,
) -> String {
    format!("{order_number} {tone:?} {language:?}")
}

/// Nothing.
#[mcp_tool]
async fn noop() {}

fn acme() -> mcp_runtime::testing::Client {
    Server::builder("complete-test", "1.0.0")
        .build()
        .unwrap()
        .client()
        .as_key("acme-key", Some(vec!["acme".into()]))
}

fn template() -> Value {
    json!({ "type": "ref/resource", "uri": "shop://products/{productId}/sizes/{size}" })
}

fn prompt() -> Value {
    json!({ "type": "ref/prompt", "name": "draft_reply" })
}

#[tokio::test]
async fn a_template_variable_completes_for_the_callers_tenant() {
    let got = acme()
        .complete(template(), "productId", "mug", json!({}))
        .await
        .unwrap();
    assert_eq!(
        got,
        json!({ "values": ["acme-mug-blue", "acme-mug-red"], "total": 2, "hasMore": false })
    );
    // A forged `tenantId` among the arguments changes nothing.
    let forged = acme()
        .complete(
            template(),
            "productId",
            "shirt",
            json!({ "tenantId": "globex" }),
        )
        .await
        .unwrap();
    assert_eq!(forged["values"], json!(["acme-shirt-s", "acme-shirt-m"]));
    // Without a tenant the completer refuses, with its own kind.
    let anonymous = Server::builder("complete-test", "1.0.0")
        .build()
        .unwrap()
        .client();
    let e = anonymous
        .complete(template(), "productId", "", json!({}))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (-32602, "completion needs a tenant")
    );
    let process = Server::builder("complete-test", "1.0.0")
        .tenant("initech")
        .build()
        .unwrap()
        .client();
    let got = process
        .complete(template(), "productId", "mug-r", json!({}))
        .await
        .unwrap();
    assert_eq!(got["values"], json!(["initech-mug-red"]));
}

#[tokio::test]
async fn values_are_capped_at_100_with_total_and_has_more() {
    let got = acme()
        .complete(template(), "size", "x", json!({}))
        .await
        .unwrap();
    let values = got["values"].as_array().unwrap();
    assert_eq!(values.len(), 100);
    assert_eq!((&values[0], &values[99]), (&json!("x0"), &json!("x99")));
    assert_eq!(
        (&got["total"], &got["hasMore"]),
        (&json!(250), &json!(true))
    );
}

#[tokio::test]
async fn a_completer_gets_the_declared_arguments_already_given() {
    let got = acme()
        .complete(
            prompt(),
            "orderNumber",
            "A-",
            json!({ "tone": "formal", "orderNumber": "ignored", "tenantId": "globex", "other": "x" }),
        )
        .await
        .unwrap();
    assert_eq!(got["values"], json!(["value=A-", "tone=formal"]));
}

#[tokio::test]
async fn an_argument_without_a_completer_completes_to_nothing() {
    let got = acme()
        .complete(prompt(), "language", "e", json!({}))
        .await
        .unwrap();
    assert_eq!(got, json!({ "values": [], "total": 0, "hasMore": false }));
}

#[tokio::test]
async fn a_panicking_completer_is_an_internal_error() {
    let e = acme()
        .complete(prompt(), "tone", "f", json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code, -32603);
}

#[tokio::test]
async fn bad_requests_get_clear_errors() {
    let client = acme();
    let cases = [
        (
            json!({ "type": "ref/prompt", "name": "nope" }),
            "x",
            "unknown prompt: nope",
        ),
        (
            json!({ "type": "ref/resource", "uri": "shop://nope/{id}" }),
            "id",
            "unknown resource template: shop://nope/{id}",
        ),
        (
            prompt(),
            "mood",
            "prompt `draft_reply` has no argument `mood`; its arguments are: `orderNumber`, `tone`, `language`",
        ),
        (
            template(),
            "colour",
            "resource template `shop://products/{productId}/sizes/{size}` has no variable `colour`; its variables are: `productId`, `size`",
        ),
        (
            json!({ "type": "ref/resource", "uri": "shop://policies/returns" }),
            "id",
            "resource template `shop://policies/returns` has no variables to complete, but `id` was asked for",
        ),
        (
            json!({ "type": "ref/tool", "name": "noop" }),
            "x",
            "unknown reference type `ref/tool`; use `ref/prompt` or `ref/resource`",
        ),
        (
            json!({ "name": "draft_reply" }),
            "x",
            "`ref` of completion/complete needs a string `type`: `ref/prompt` or `ref/resource`",
        ),
    ];
    for (reference, argument, message) in cases {
        let e = client
            .complete(reference.clone(), argument, "", json!({}))
            .await
            .unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (-32602, message),
            "{reference}"
        );
    }
    let e = client
        .request("completion/complete", json!({ "ref": prompt() }))
        .await
        .unwrap_err();
    assert_eq!(e.code, -32602);
    assert!(
        e.message
            .starts_with("completion/complete needs params with `ref`"),
        "{}",
        e.message
    );
    let e = client
        .complete(prompt(), "orderNumber", "", json!({ "tone": 3 }))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (-32602, "`context.arguments.tone` must be a string")
    );
}

#[tokio::test]
async fn completions_are_advertised_and_served_in_both_eras() {
    let client = acme();
    let init = client
        .request(
            "initialize",
            json!({ "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "t", "version": "1" } }),
        )
        .await
        .unwrap();
    assert_eq!(init["capabilities"]["completions"], json!({}));
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": { "name": "t", "version": "1" },
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    let discover = client
        .request("server/discover", json!({ "_meta": meta }))
        .await
        .unwrap();
    assert_eq!(discover["capabilities"]["completions"], json!({}));
    let got = client
        .request(
            "completion/complete",
            json!({
                "ref": template(),
                "argument": { "name": "productId", "value": "mug-b" },
                "_meta": meta,
            }),
        )
        .await
        .unwrap();
    assert_eq!(got["resultType"], "complete");
    assert_eq!(got["completion"]["values"], json!(["acme-mug-blue"]));
    assert!(got["_meta"].is_object());
    let handshake = client
        .request(
            "completion/complete",
            json!({ "ref": template(), "argument": { "name": "productId", "value": "mug-b" } }),
        )
        .await
        .unwrap();
    assert_eq!(handshake.get("resultType"), None);
}
