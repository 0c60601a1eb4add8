//! Resources and prompts over Streamable HTTP in both eras: every message
//! the server sends is validated against the official schema of its
//! revision (the `initialize` and `server/discover` results, the lists, the
//! reads, the prompts, the errors), and a key bound to one tenant reads only
//! that tenant's data, and completes only that tenant's ids.

use mcp_runtime::ApiKey;
use mcp_runtime::output::ResourceContents;
use mcp_runtime::prelude::*;
use mcp_tests::{Post, Revision, TestServer, assert_valid_message, meta_2026};
use serde_json::{Value, json};

const SECRET: &str = "resources-test-secret-0123456789";
const ACME: &str = "resources-test-acme-key-01234567";

/// The returns policy.
#[mcp_resource(
    uri = "shop://policies/returns",
    mime_type = "text/markdown",
    audience = ["user"],
    priority = 0.5
)]
async fn returns_policy() -> &'static str {
    "Returns within 30 days."
}

/// The shop's logo.
#[mcp_resource(uri = "shop://logo.png", mime_type = "image/png", size = 4)]
async fn logo() -> Vec<u8> {
    vec![0x89, b'P', b'N', b'G']
}

const CATALOGUE: &[(&str, &str)] = &[("acme", "anvil"), ("acme", "anchor"), ("globex", "globe")];

/// The ids of the caller's tenant's products that start with the value.
async fn product_ids(
    value: String,
    _: CompletionArguments,
    ctx: ToolContext,
) -> Result<Vec<String>, McpError> {
    let tenant = ctx.require_tenant()?;
    Ok(CATALOGUE
        .iter()
        .filter(|(t, p)| *t == tenant && p.starts_with(&value))
        .map(|(_, p)| (*p).to_owned())
        .collect())
}

/// The tones a reply can take.
async fn tones(value: String, _: CompletionArguments, _: ToolContext) -> Vec<String> {
    ["formal", "friendly"]
        .into_iter()
        .filter(|t| t.starts_with(&value))
        .map(String::from)
        .collect()
}

/// A product of the caller's tenant.
#[mcp_resource(
    uri_template = "shop://products/{productId}",
    mime_type = "application/json",
    complete(productId = product_ids)
)]
async fn product(product_id: String, ctx: ToolContext) -> Result<ResourceContents, McpError> {
    let tenant = ctx.require_tenant()?;
    match CATALOGUE
        .iter()
        .find(|(t, p)| *t == tenant && *p == product_id)
    {
        Some((t, p)) => ResourceContents::json(&json!({ "id": p, "tenant": t })),
        None => Err(McpError::not_found(format!("no product {product_id}"))),
    }
}

/// Ask about an order, with the order embedded.
#[mcp_prompt(complete(tone = tones))]
async fn ask_about_order(
    /// The order number.
    order_number: String,
    /// `formal` or `friendly`.
    tone: Option<String>,
) -> Vec<PromptMessage> {
    vec![
        PromptMessage::user(Content::resource_text(
            format!("shop://orders/{order_number}"),
            "text/plain",
            format!("order {order_number}"),
        )),
        PromptMessage::user(Content::image("iVBORw==", "image/png")),
        PromptMessage::assistant(Content::text(format!(
            "A {} answer.",
            tone.as_deref().unwrap_or("friendly")
        ))),
    ]
}

/// Nothing.
#[mcp_tool(read_only)]
async fn noop() {}

async fn start() -> TestServer {
    let server = Server::builder("res-http", "1.0.0")
        .api_key(ApiKey::new("admin", SECRET).unwrap())
        .api_key(ApiKey::new("acme", ACME).unwrap().with_tenants(["acme"]))
        .keys_from_env(false)
        .page_size(1)
        .build()
        .expect("valid resources");
    TestServer::start(server).await
}

fn rpc(id: i64, method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

/// Send `params` to `method` in `rev` as `key`; the message, validated, and
/// its `result` as `result_def` when it is one.
async fn send(
    server: &TestServer,
    rev: Revision,
    key: &str,
    method: &str,
    mut params: Value,
    result_def: &str,
) -> Value {
    let post = match rev {
        Revision::R2025_11_25 => {
            Post::json(&rpc(1, method, params)).header("MCP-Protocol-Version", "2025-11-25")
        }
        Revision::R2026_07_28 => {
            params["_meta"] = meta_2026();
            let name = params["uri"]
                .as_str()
                .or(params["name"].as_str())
                .map(str::to_owned);
            Post::json(&rpc(1, method, params)).stateless(method, name.as_deref())
        }
    };
    let resp = post.bearer(key).send(server.addr).await;
    let msg = resp.json();
    assert_valid_message(rev, &msg, Some(result_def));
    msg
}

/// A 2025-11-25 `initialize` with SECRET, its response validated.
async fn initialize(server: &TestServer) -> Value {
    send(
        server,
        Revision::R2025_11_25,
        SECRET,
        "initialize",
        json!({ "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "t", "version": "1" } }),
        "InitializeResult",
    )
    .await
}

const BOTH: [Revision; 2] = [Revision::R2025_11_25, Revision::R2026_07_28];

#[tokio::test]
async fn lists_and_capabilities_validate_in_both_eras() {
    let server = start().await;
    let init = initialize(&server).await;
    assert_eq!(
        init["result"]["capabilities"]["resources"],
        json!({ "listChanged": false })
    );
    let discover = send(
        &server,
        Revision::R2026_07_28,
        SECRET,
        "server/discover",
        json!({}),
        "DiscoverResult",
    )
    .await;
    assert_eq!(
        discover["result"]["capabilities"]["resources"],
        json!({ "listChanged": false })
    );
    for rev in BOTH {
        let first = send(
            &server,
            rev,
            SECRET,
            "resources/list",
            json!({}),
            "ListResourcesResult",
        )
        .await;
        assert_eq!(first["result"]["resources"][0]["uri"], "shop://logo.png");
        assert_eq!(first["result"]["resources"][0]["size"], 4);
        let cursor = first["result"]["nextCursor"].clone();
        let second = send(
            &server,
            rev,
            SECRET,
            "resources/list",
            json!({ "cursor": cursor }),
            "ListResourcesResult",
        )
        .await;
        assert_eq!(
            second["result"]["resources"],
            json!([{
                "uri": "shop://policies/returns",
                "name": "returns_policy",
                "description": "The returns policy.",
                "mimeType": "text/markdown",
                "annotations": { "audience": ["user"], "priority": 0.5 }
            }])
        );
        assert_eq!(second["result"].get("nextCursor"), None);
        let templates = send(
            &server,
            rev,
            SECRET,
            "resources/templates/list",
            json!({}),
            "ListResourceTemplatesResult",
        )
        .await;
        assert_eq!(
            templates["result"]["resourceTemplates"][0]["uriTemplate"],
            "shop://products/{productId}"
        );
        if rev == Revision::R2026_07_28 {
            for r in [&first, &templates] {
                assert_eq!(r["result"]["cacheScope"], "public");
                assert_eq!(r["result"]["resultType"], "complete");
                assert!(r["result"]["ttlMs"].is_u64(), "{r}");
            }
        }
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn reads_validate_in_both_eras() {
    let server = start().await;
    for rev in BOTH {
        let text = send(
            &server,
            rev,
            SECRET,
            "resources/read",
            json!({ "uri": "shop://policies/returns" }),
            "ReadResourceResult",
        )
        .await;
        assert_eq!(
            text["result"]["contents"],
            json!([{ "uri": "shop://policies/returns", "mimeType": "text/markdown", "text": "Returns within 30 days." }])
        );
        let blob = send(
            &server,
            rev,
            SECRET,
            "resources/read",
            json!({ "uri": "shop://logo.png" }),
            "ReadResourceResult",
        )
        .await;
        assert_eq!(blob["result"]["contents"][0]["blob"], "iVBORw==");
        if rev == Revision::R2026_07_28 {
            assert_eq!(
                (&text["result"]["ttlMs"], &text["result"]["cacheScope"]),
                (&json!(0), &json!("private"))
            );
        }
        let unknown = send(
            &server,
            rev,
            SECRET,
            "resources/read",
            json!({ "uri": "shop://nope" }),
            "ReadResourceResult",
        )
        .await;
        assert_eq!(unknown["error"]["code"], -32602);
        assert_eq!(unknown["error"]["data"], json!({ "uri": "shop://nope" }));
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_template_read_is_scoped_to_the_keys_tenant() {
    let server = start().await;
    for rev in BOTH {
        let own = send(
            &server,
            rev,
            ACME,
            "resources/read",
            json!({ "uri": "shop://products/anvil" }),
            "ReadResourceResult",
        )
        .await;
        let text: Value =
            serde_json::from_str(own["result"]["contents"][0]["text"].as_str().unwrap()).unwrap();
        assert_eq!(text, json!({ "id": "anvil", "tenant": "acme" }));
        // globex's product does not reach an acme caller.
        let other = send(
            &server,
            rev,
            ACME,
            "resources/read",
            json!({ "uri": "shop://products/globe" }),
            "ReadResourceResult",
        )
        .await;
        assert_eq!(other["error"]["code"], -32602);
        assert_eq!(other["error"]["message"], "no product globe");
        // A key for any tenant names none: the resource refuses.
        let admin = send(
            &server,
            rev,
            SECRET,
            "resources/read",
            json!({ "uri": "shop://products/anvil" }),
            "ReadResourceResult",
        )
        .await;
        assert_eq!(admin["error"]["code"], -32602);
        assert_eq!(admin["error"]["data"]["error"]["type"], "validation_error");
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_stateless_read_needs_a_matching_mcp_name() {
    let server = start().await;
    let mut params = json!({ "uri": "shop://logo.png", "_meta": meta_2026() });
    let body = rpc(1, "resources/read", params.take());
    for (name, why) in [
        (None, "the Mcp-Name header is required"),
        (Some("shop://other"), "does not match the resource URI"),
    ] {
        let resp = Post::json(&body)
            .stateless("resources/read", name)
            .bearer(SECRET)
            .send(server.addr)
            .await;
        let msg = resp.json();
        assert_valid_message(Revision::R2026_07_28, &msg, None);
        assert!(
            msg["error"]["message"].as_str().unwrap().contains(why),
            "{msg}"
        );
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn prompts_validate_in_both_eras() {
    let server = start().await;
    for rev in BOTH {
        let list = send(
            &server,
            rev,
            SECRET,
            "prompts/list",
            json!({}),
            "ListPromptsResult",
        )
        .await;
        assert_eq!(
            list["result"]["prompts"],
            json!([{
                "name": "ask_about_order",
                "description": "Ask about an order, with the order embedded.",
                "arguments": [
                    { "name": "orderNumber", "description": "The order number.", "required": true },
                    { "name": "tone", "description": "`formal` or `friendly`.", "required": false }
                ]
            }])
        );
        let got = send(
            &server,
            rev,
            SECRET,
            "prompts/get",
            json!({ "name": "ask_about_order", "arguments": { "orderNumber": "A-1", "tone": "formal" } }),
            "GetPromptResult",
        )
        .await;
        let messages = &got["result"]["messages"];
        assert_eq!(messages[0]["content"]["resource"]["text"], "order A-1");
        assert_eq!(messages[1]["content"]["type"], "image");
        assert_eq!(messages[2]["content"]["text"], "A formal answer.");
        let missing = send(
            &server,
            rev,
            SECRET,
            "prompts/get",
            json!({ "name": "ask_about_order" }),
            "GetPromptResult",
        )
        .await;
        assert_eq!(missing["error"]["code"], -32602);
        assert_eq!(
            missing["error"]["message"],
            "prompt `ask_about_order` needs the argument `orderNumber`"
        );
        let unknown = send(
            &server,
            rev,
            SECRET,
            "prompts/get",
            json!({ "name": "nope" }),
            "GetPromptResult",
        )
        .await;
        assert_eq!(unknown["error"]["message"], "unknown prompt: nope");
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn completions_validate_in_both_eras_and_keep_to_the_keys_tenant() {
    let server = start().await;
    let init = initialize(&server).await;
    assert_eq!(init["result"]["capabilities"]["completions"], json!({}));
    let template = json!({ "type": "ref/resource", "uri": "shop://products/{productId}" });
    let complete = |reference: &Value, name: &str, value: &str| json!({ "ref": reference, "argument": { "name": name, "value": value } });
    for rev in BOTH {
        let acme = send(
            &server,
            rev,
            ACME,
            "completion/complete",
            complete(&template, "productId", "an"),
            "CompleteResult",
        )
        .await;
        assert_eq!(
            acme["result"]["completion"],
            json!({ "values": ["anvil", "anchor"], "total": 2, "hasMore": false })
        );
        // A globex id never reaches an acme caller, whatever it types.
        let globe = send(
            &server,
            rev,
            ACME,
            "completion/complete",
            complete(&template, "productId", "glo"),
            "CompleteResult",
        )
        .await;
        assert_eq!(globe["result"]["completion"]["values"], json!([]));
        // A key for every tenant has no single tenant to complete for.
        let admin = send(
            &server,
            rev,
            SECRET,
            "completion/complete",
            complete(&template, "productId", ""),
            "CompleteResult",
        )
        .await;
        assert_eq!(admin["error"]["code"], -32602, "{admin}");
        let prompt = json!({ "type": "ref/prompt", "name": "ask_about_order" });
        let tone = send(
            &server,
            rev,
            SECRET,
            "completion/complete",
            complete(&prompt, "tone", "f"),
            "CompleteResult",
        )
        .await;
        assert_eq!(
            tone["result"]["completion"]["values"],
            json!(["formal", "friendly"])
        );
        let none = send(
            &server,
            rev,
            SECRET,
            "completion/complete",
            complete(&prompt, "orderNumber", "A"),
            "CompleteResult",
        )
        .await;
        assert_eq!(
            none["result"]["completion"],
            json!({ "values": [], "total": 0, "hasMore": false })
        );
        let unknown = send(
            &server,
            rev,
            SECRET,
            "completion/complete",
            complete(&json!({ "type": "ref/prompt", "name": "nope" }), "x", ""),
            "CompleteResult",
        )
        .await;
        assert_eq!(unknown["error"]["code"], -32602);
        assert_eq!(unknown["error"]["message"], "unknown prompt: nope");
        if rev == Revision::R2026_07_28 {
            assert_eq!(acme["result"]["resultType"], "complete");
        }
    }
    server.stop().await.unwrap();
}
