//! `#[mcp_prompt]` served in process: the list (order, pages, arguments
//! with descriptions and `required`), `prompts/get` of text, image and
//! embedded-resource messages, typed and optional arguments, every bad
//! request's message, and the tenant a prompt acts for.

use mcp_runtime::prelude::*;
use serde_json::{Value, json};

/// Draft a reply to a customer about an order.
#[mcp_prompt(title = "Draft order reply")]
async fn draft_order_reply(
    /// The order number, e.g. `A-1`.
    order_number: String,
    /// `formal` or `friendly` (default).
    tone: Option<String>,
    /// How many sentences.
    sentences: Option<u8>,
    ctx: ToolContext,
) -> PromptMessages {
    PromptMessages::default()
        .with(PromptMessage::user(Content::resource_text(
            format!("shop://orders/{order_number}"),
            "application/json",
            json!({ "number": order_number, "tenant": ctx.tenant_id() }).to_string(),
        )))
        .with(PromptMessage::user(Content::text(format!(
            "Write a {} reply in {} sentences.",
            tone.as_deref().unwrap_or("friendly"),
            sentences.unwrap_or(3)
        ))))
        .with_description(format!("Reply about {order_number}"))
}

/// Describe the logo.
#[mcp_prompt(name = "describe-logo")]
async fn logo() -> Vec<PromptMessage> {
    vec![
        PromptMessage::user(Content::image("iVBORw==", "image/png")),
        PromptMessage::assistant(Content::text("A logo.")),
    ]
}

/// Fails.
#[mcp_prompt]
async fn failing() -> Result<String, McpError> {
    Err(McpError::not_found("no such draft"))
}

/// Nothing.
#[mcp_tool]
async fn noop() {}

fn server() -> Server {
    Server::builder("prompt-test", "1.0.0")
        .page_size(2)
        .build()
        .expect("valid prompts")
}

#[tokio::test]
async fn prompts_are_listed_sorted_by_name_with_their_arguments() {
    let client = server().client();
    let first = client.request("prompts/list", json!({})).await.unwrap();
    assert_eq!(first["prompts"].as_array().unwrap().len(), 2);
    assert!(first["nextCursor"].is_string());
    let all = client.list_prompts().await.unwrap();
    let names: Vec<&str> = all.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["describe-logo", "draft_order_reply", "failing"]);
    assert_eq!(
        all[0],
        json!({ "name": "describe-logo", "description": "Describe the logo." })
    );
    assert_eq!(
        all[1],
        json!({
            "name": "draft_order_reply",
            "title": "Draft order reply",
            "description": "Draft a reply to a customer about an order.",
            "arguments": [
                { "name": "orderNumber", "description": "The order number, e.g. `A-1`.", "required": true },
                { "name": "tone", "description": "`formal` or `friendly` (default).", "required": false },
                { "name": "sentences", "description": "How many sentences.", "required": false }
            ]
        })
    );
}

#[tokio::test]
async fn get_renders_messages_from_typed_arguments() {
    let client = server().client().as_key("acme", Some(vec!["acme".into()]));
    let got = client
        .get_prompt(
            "draft_order_reply",
            json!({ "orderNumber": "A-1", "sentences": "2" }),
        )
        .await
        .unwrap();
    assert_eq!(
        got,
        json!({
            "description": "Reply about A-1",
            "messages": [
                { "role": "user", "content": { "type": "resource", "resource": {
                    "uri": "shop://orders/A-1", "mimeType": "application/json",
                    "text": "{\"number\":\"A-1\",\"tenant\":\"acme\"}" } } },
                { "role": "user", "content": { "type": "text", "text": "Write a friendly reply in 2 sentences." } }
            ]
        })
    );
    let logo = client
        .get_prompt("describe-logo", Value::Null)
        .await
        .unwrap();
    assert_eq!(
        logo["messages"],
        json!([
            { "role": "user", "content": { "type": "image", "data": "iVBORw==", "mimeType": "image/png" } },
            { "role": "assistant", "content": { "type": "text", "text": "A logo." } }
        ])
    );
}

#[tokio::test]
async fn bad_gets_get_clear_errors() {
    let client = server().client();
    let cases = [
        ("nope", json!({}), "unknown prompt: nope"),
        (
            "draft_order_reply",
            json!({}),
            "prompt `draft_order_reply` needs the argument `orderNumber`",
        ),
        (
            "draft_order_reply",
            json!({ "orderNumber": "A-1", "colour": "red" }),
            "prompt `draft_order_reply` has no argument `colour`; its arguments are: `orderNumber`, `tone`, `sentences`",
        ),
        (
            "draft_order_reply",
            json!({ "orderNumber": 7 }),
            "the argument `orderNumber` of prompt `draft_order_reply` must be a string",
        ),
        (
            "draft_order_reply",
            json!({ "orderNumber": "A-1", "sentences": "many" }),
            "invalid argument `sentences` = \"many\": invalid digit found in string",
        ),
        (
            "describe-logo",
            json!({ "x": "1" }),
            "prompt `describe-logo` takes no arguments, but `x` was given",
        ),
        ("failing", json!({}), "no such draft"),
    ];
    for (name, args, message) in cases {
        let e = client.get_prompt(name, args).await.unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (-32602, message), "{name}");
    }
    let no_name = client.request("prompts/get", json!({})).await.unwrap_err();
    assert_eq!(
        no_name.message,
        "prompts/get needs params with a string `name`"
    );
}

#[tokio::test]
async fn prompts_are_advertised_with_caching_hints_in_2026() {
    let client = server().client();
    let init = client
        .request(
            "initialize",
            json!({ "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "t", "version": "1" } }),
        )
        .await
        .unwrap();
    assert_eq!(
        init["capabilities"]["prompts"],
        json!({ "listChanged": false })
    );
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": { "name": "t", "version": "1" },
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    let list = client
        .request("prompts/list", json!({ "_meta": meta }))
        .await
        .unwrap();
    assert_eq!(
        (&list["cacheScope"], &list["resultType"]),
        (&json!("public"), &json!("complete"))
    );
    assert!(list["ttlMs"].is_u64());
    let got = client
        .request(
            "prompts/get",
            json!({ "name": "describe-logo", "_meta": meta }),
        )
        .await
        .unwrap();
    assert_eq!(got["resultType"], "complete");
}

#[test]
fn the_contract_locks_prompts_and_a_new_required_argument_breaks_it() {
    use mcp_runtime::testing::{compare_contracts, contract_of};
    let server = server();
    let current = contract_of(server.registry());
    assert_eq!(
        current["prompts"]["describe-logo"],
        json!({ "description": "Describe the logo." })
    );
    assert_eq!(current.get("resources"), None);
    let mut locked = current.clone();
    locked["prompts"]["draft_order_reply"]["arguments"]
        .as_array_mut()
        .unwrap()
        .remove(0);
    locked["prompts"]["gone"] = json!({ "description": "Removed since." });
    let diff = compare_contracts(&locked, &current);
    assert_eq!(
        diff.breaking,
        [
            "prompt `draft_order_reply`: new required argument `orderNumber`",
            "prompt `gone` removed (or changed)",
        ]
    );
}
