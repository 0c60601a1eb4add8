//! `#[mcp_resource]` served in process: lists (order, pages, entries),
//! reads of static resources and templates (text, JSON, binary, several
//! contents), the errors of a read, and the tenant a read acts for.

use mcp_runtime::output::{ResourceContent, ResourceContents};
use mcp_runtime::prelude::*;
use serde_json::{Value, json};

/// The returns policy.
#[mcp_resource(
    uri = "shop://policies/returns",
    mime_type = "text/markdown",
    title = "Returns policy",
    audience = ["user", "assistant"],
    priority = 0.8,
    size = 23
)]
async fn returns_policy() -> &'static str {
    "Returns within 30 days."
}

/// The shop's logo.
#[mcp_resource(uri = "shop://logo.png", mime_type = "image/png")]
async fn logo() -> Vec<u8> {
    vec![0x89, b'P', b'N', b'G']
}

/// A product, for the caller's tenant.
#[mcp_resource(
    uri_template = "shop://products/{productId}",
    mime_type = "application/json"
)]
async fn product(product_id: u32, ctx: ToolContext) -> Result<ResourceContents, McpError> {
    if product_id == 0 {
        return Err(McpError::not_found("no product 0"));
    }
    ResourceContents::json(&json!({ "id": product_id, "tenant": ctx.tenant_id() }))
}

/// An order and its invoice.
#[mcp_resource(uri_template = "shop://orders/{number}/documents")]
async fn order_documents(number: String) -> ResourceContents {
    ResourceContents::from(vec![
        ResourceContent::text(format!("order {number}"))
            .with_uri(format!("shop://orders/{number}")),
        ResourceContent::blob(vec![1, 2, 3])
            .with_uri(format!("shop://orders/{number}/invoice.pdf"))
            .with_mime_type("application/pdf"),
    ])
}

/// Panics.
#[mcp_resource(uri = "shop://broken")]
async fn broken() -> String {
    panic!("the disk is on fire")
}

/// Count nothing.
#[mcp_tool]
async fn noop() {}

fn server() -> Server {
    Server::builder("res-test", "1.0.0")
        .page_size(2)
        .build()
        .expect("valid resources")
}

#[tokio::test]
async fn resources_are_listed_sorted_by_uri_over_pages() {
    let client = server().client();
    let first = client.request("resources/list", json!({})).await.unwrap();
    let uris: Vec<&str> = first["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    assert_eq!(uris, ["shop://broken", "shop://logo.png"]);
    assert!(first["nextCursor"].is_string(), "{first}");
    let all = client.list_resources().await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(
        all[2],
        json!({
            "uri": "shop://policies/returns",
            "name": "returns_policy",
            "title": "Returns policy",
            "description": "The returns policy.",
            "mimeType": "text/markdown",
            "size": 23,
            "annotations": { "audience": ["user", "assistant"], "priority": 0.8 }
        })
    );
    let bad = client
        .request("resources/list", json!({ "cursor": "garbage" }))
        .await
        .unwrap_err();
    assert_eq!((bad.code, bad.message.as_str()), (-32602, "invalid cursor"));
}

#[tokio::test]
async fn templates_are_listed_sorted_by_template() {
    let client = server().client();
    let templates = client.list_resource_templates().await.unwrap();
    assert_eq!(
        templates,
        [
            json!({
                "uriTemplate": "shop://orders/{number}/documents",
                "name": "order_documents",
                "description": "An order and its invoice."
            }),
            json!({
                "uriTemplate": "shop://products/{productId}",
                "name": "product",
                "description": "A product, for the caller's tenant.",
                "mimeType": "application/json"
            }),
        ]
    );
}

#[tokio::test]
async fn static_reads_give_text_and_base64_blobs() {
    let client = server().client();
    assert_eq!(
        client
            .read_resource("shop://policies/returns")
            .await
            .unwrap(),
        [
            json!({ "uri": "shop://policies/returns", "mimeType": "text/markdown", "text": "Returns within 30 days." })
        ]
    );
    assert_eq!(
        client.read_resource("shop://logo.png").await.unwrap(),
        [json!({ "uri": "shop://logo.png", "mimeType": "image/png", "blob": "iVBORw==" })]
    );
}

#[tokio::test]
async fn a_template_binds_typed_variables_by_name() {
    let client = server().client();
    let contents = client.read_resource("shop://products/42").await.unwrap();
    assert_eq!(contents[0]["uri"], "shop://products/42");
    assert_eq!(contents[0]["mimeType"], "application/json");
    let text: Value = serde_json::from_str(contents[0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text, json!({ "id": 42, "tenant": null }));

    let docs = client
        .read_resource("shop://orders/A%2F7/documents")
        .await
        .unwrap();
    assert_eq!(
        docs,
        [
            json!({ "uri": "shop://orders/A/7", "mimeType": "text/plain", "text": "order A/7" }),
            json!({ "uri": "shop://orders/A/7/invoice.pdf", "mimeType": "application/pdf", "blob": "AQID" }),
        ]
    );
}

#[tokio::test]
async fn bad_reads_get_clear_errors() {
    let client = server().client();
    let unknown = client.read_resource("shop://nothing").await.unwrap_err();
    assert_eq!(unknown.code, -32602);
    assert_eq!(unknown.message, "resource not found: shop://nothing");
    assert_eq!(unknown.data, Some(json!({ "uri": "shop://nothing" })));

    let typed = client
        .read_resource("shop://products/abc")
        .await
        .unwrap_err();
    assert_eq!(typed.code, -32602);
    assert_eq!(
        typed.message,
        "invalid resource URI: `productId` = \"abc\": invalid digit found in string"
    );
    assert_eq!(typed.data.as_ref().unwrap()["uri"], "shop://products/abc");

    let missing = client.read_resource("shop://products/0").await.unwrap_err();
    assert_eq!(
        (missing.code, missing.message.as_str()),
        (-32602, "no product 0")
    );
    assert_eq!(missing.data.unwrap()["error"]["type"], "not_found");

    let panicked = client.read_resource("shop://broken").await.unwrap_err();
    assert_eq!(panicked.code, -32603);
    assert!(!panicked.message.contains("fire"), "{}", panicked.message);

    let no_uri = client
        .request("resources/read", json!({}))
        .await
        .unwrap_err();
    assert_eq!(
        (no_uri.code, no_uri.message.as_str()),
        (-32602, "resources/read needs params with a string `uri`")
    );
}

#[tokio::test]
async fn a_read_acts_for_the_server_or_the_keys_single_tenant_only() {
    let tenant_of = |contents: Vec<Value>| -> Value {
        let text: Value = serde_json::from_str(contents[0]["text"].as_str().unwrap()).unwrap();
        text["tenant"].clone()
    };
    let uri = "shop://products/7";
    // The hub's `tenantId` is for tool calls: a read carries none.
    let hub = server().client().tenant("globex");
    assert_eq!(
        tenant_of(hub.read_resource(uri).await.unwrap()),
        Value::Null
    );
    let one = server()
        .client()
        .as_key("acme-key", Some(vec!["acme".into()]));
    assert_eq!(
        tenant_of(one.read_resource(uri).await.unwrap()),
        json!("acme")
    );
    let two = server()
        .client()
        .as_key("both", Some(vec!["acme".into(), "globex".into()]));
    assert_eq!(
        tenant_of(two.read_resource(uri).await.unwrap()),
        Value::Null
    );
    let process = Server::builder("res-test", "1.0.0")
        .tenant("initech")
        .build()
        .unwrap()
        .client();
    assert_eq!(
        tenant_of(process.read_resource(uri).await.unwrap()),
        json!("initech")
    );
}

#[tokio::test]
async fn resources_are_advertised_in_both_eras() {
    let client = server().client();
    let init = client
        .request(
            "initialize",
            json!({ "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "t", "version": "1" } }),
        )
        .await
        .unwrap();
    assert_eq!(
        init["capabilities"]["resources"],
        json!({ "listChanged": false })
    );
    // Nothing here has a completer: no `completions`, and no method.
    assert_eq!(init["capabilities"].get("completions"), None);
    let complete = client
        .request(
            "completion/complete",
            json!({ "ref": { "type": "ref/resource", "uri": "shop://products/{productId}" }, "argument": { "name": "productId", "value": "" } }),
        )
        .await
        .unwrap_err();
    assert_eq!(complete.code, -32601);
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": { "name": "t", "version": "1" },
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    let discover = client
        .request("server/discover", json!({ "_meta": meta }))
        .await
        .unwrap();
    assert_eq!(
        discover["capabilities"]["resources"],
        json!({ "listChanged": false })
    );
    let read = client
        .request(
            "resources/read",
            json!({ "uri": "shop://policies/returns", "_meta": meta }),
        )
        .await
        .unwrap();
    assert_eq!(
        (&read["resultType"], &read["ttlMs"], &read["cacheScope"]),
        (&json!("complete"), &json!(0), &json!("private"))
    );
    let list = client
        .request("resources/templates/list", json!({ "_meta": meta }))
        .await
        .unwrap();
    assert_eq!(
        (&list["cacheScope"], list["ttlMs"].is_u64()),
        (&json!("public"), true)
    );
}

#[test]
fn the_contract_locks_resources_and_templates() {
    use mcp_runtime::testing::{compare_contracts, contract_of};
    let current = contract_of(server().registry());
    assert_eq!(
        current["resources"]["shop://logo.png"],
        json!({ "name": "logo", "description": "The shop's logo.", "mimeType": "image/png" })
    );
    assert_eq!(
        current["resourceTemplates"]["shop://products/{productId}"]["name"],
        "product"
    );
    let mut locked = current.clone();
    locked["resourceTemplates"]["shop://products/{id}"] =
        locked["resourceTemplates"]["shop://products/{productId}"].take();
    locked["resourceTemplates"]
        .as_object_mut()
        .unwrap()
        .remove("shop://products/{productId}");
    let diff = compare_contracts(&locked, &current);
    assert_eq!(
        diff.breaking,
        ["resource template `shop://products/{id}` removed (or changed)"]
    );
    assert_eq!(
        diff.compatible,
        ["resource template `shop://products/{productId}` added"]
    );
}
