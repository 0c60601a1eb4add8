//! Every supported `#[mcp_resource]` shape compiles and reads what it should
//! through the in-process client.
use mcp_runtime::output::{ResourceContent, ResourceContents};
use mcp_runtime::prelude::*;
use mcp_runtime::serde_json::{Value, json};

/// Plain text, no context.
#[mcp_resource(uri = "x://text")]
async fn text() -> String {
    "hello".to_owned()
}

#[mcp_resource(
    uri = "x://bytes",
    name = "bytes",
    title = "Bytes",
    description = "Some bytes.",
    mime_type = "application/octet-stream",
    size = 2,
    priority = 1,
    audience = ["assistant"]
)]
async fn raw_bytes(ctx: ToolContext) -> Result<Vec<u8>, McpError> {
    let _ = ctx.tenant_id();
    Ok(vec![0, 255])
}

/// Two typed variables and the context, in any order.
#[mcp_resource(uri_template = "x://orders/{orderNumber}/lines/{line}")]
async fn order_line(line: u16, ctx: ToolContext, order_number: String) -> Value {
    let _ = ctx;
    json!({ "order": order_number, "line": line })
}

/// Several contents, with a `Result` alias.
#[mcp_resource(uri_template = "x://docs/{id}")]
async fn docs(id: u64) -> std::io::Result<ResourceContents> {
    Ok(vec![ResourceContent::text(id.to_string()), ResourceContent::blob(vec![1])].into())
}

/// Nothing.
#[mcp_tool]
async fn noop() {}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = Server::builder("t", "0").build().unwrap().client();
    assert_eq!(client.read_resource("x://text").await.unwrap()[0]["text"], "hello");
    assert_eq!(client.read_resource("x://bytes").await.unwrap()[0]["blob"], "AP8=");
    let line = client.read_resource("x://orders/A-1/lines/3").await.unwrap();
    assert_eq!(line[0]["text"], r#"{"line":3,"order":"A-1"}"#);
    assert_eq!(client.read_resource("x://docs/9").await.unwrap().len(), 2);
    let listed = client.list_resources().await.unwrap();
    assert_eq!(listed[0]["title"], "Bytes");
    assert_eq!(listed[0]["annotations"], json!({ "audience": ["assistant"], "priority": 1.0 }));
}
