//! Every supported `#[mcp_prompt]` shape compiles and renders what it
//! should through the in-process client.
use mcp_runtime::prelude::*;
use mcp_runtime::serde_json::json;

/// No arguments, plain text.
#[mcp_prompt]
async fn hello() -> &'static str {
    "Hello"
}

/// Typed arguments around the context, a `Result` with `McpError`.
#[mcp_prompt(name = "order.reply", title = "Reply", description = "Reply about an order.")]
async fn reply(
    /// The order.
    order_number: String,
    ctx: ToolContext,
    /// How many lines.
    lines: Option<u8>,
) -> Result<PromptMessages, McpError> {
    let _ = ctx.tenant_id();
    Ok(PromptMessage::assistant(Content::text(format!("{order_number}:{}", lines.unwrap_or(1)))).into())
}

/// An `io::Result` alias and an undocumented argument.
#[mcp_prompt]
async fn aliased(n: u32) -> std::io::Result<String> {
    Ok(n.to_string())
}

/// Nothing.
#[mcp_tool]
async fn noop() {}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = Server::builder("t", "0").build().unwrap().client();
    let hello = client.get_prompt("hello", json!({})).await.unwrap();
    assert_eq!(hello["messages"][0], json!({ "role": "user", "content": { "type": "text", "text": "Hello" } }));
    let reply = client.get_prompt("order.reply", json!({ "orderNumber": "A", "lines": "4" })).await.unwrap();
    assert_eq!(reply["messages"][0]["content"]["text"], "A:4");
    assert_eq!(client.get_prompt("aliased", json!({ "n": "7" })).await.unwrap()["messages"][0]["content"]["text"], "7");
    let listed = client.list_prompts().await.unwrap();
    assert_eq!(listed[0]["arguments"], json!([{ "name": "n", "required": true }]));
}
