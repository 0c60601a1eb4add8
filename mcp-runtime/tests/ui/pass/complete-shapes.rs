//! Every supported completer shape compiles and completes through the
//! in-process client: a plain `Vec<String>`, a `Result` with `McpError` or a
//! `ToolError` type, a path into a module, keys in camelCase or snake_case,
//! with `Result`, `Ok` and `Vec` shadowed at the use site.
use mcp_runtime::prelude::*;
use mcp_runtime::serde_json::json;

mod completers {
    use mcp_runtime::prelude::*;

    #[derive(Debug, thiserror::Error, ToolError)]
    #[tool_error(not_found)]
    #[error("no such order")]
    pub struct NoOrder;

    pub async fn orders(value: String, _: CompletionArguments, _: ToolContext) -> Result<Vec<String>, NoOrder> {
        if value == "zz" { Err(NoOrder) } else { Ok(vec![format!("{value}1")]) }
    }
}

async fn plain(value: String, given: CompletionArguments, _: ToolContext) -> Vec<String> {
    vec![format!("{value}:{}", given.get("orderNumber").unwrap_or("-"))]
}

async fn fallible(value: String, _: CompletionArguments, ctx: ToolContext) -> Result<Vec<String>, McpError> {
    Ok(vec![format!("{value}@{}", ctx.tenant_id().unwrap_or("none"))])
}

mod served {
    use mcp_runtime::prelude::*;

    #[allow(dead_code)]
    struct Result;
    #[allow(dead_code)]
    struct Ok;
    #[allow(dead_code)]
    struct Vec;

    /// A reply.
    #[mcp_prompt(complete(orderNumber = super::completers::orders, tone = super::plain))]
    async fn reply(
        /// The order.
        order_number: String,
        /// The tone.
        tone: Option<String>,
    ) -> String {
        format!("{order_number} {tone:?}")
    }

    /// A product.
    #[mcp_resource(uri_template = "x://products/{productId}", complete(product_id = super::fallible))]
    async fn product(product_id: String) -> String {
        product_id
    }
}

/// Nothing.
#[mcp_tool]
async fn noop() {}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = Server::builder("t", "0").tenant("acme").build().unwrap().client();
    let prompt = json!({ "type": "ref/prompt", "name": "reply" });
    let got = client.complete(prompt.clone(), "orderNumber", "A", json!({})).await.unwrap();
    assert_eq!(got["values"], json!(["A1"]));
    let e = client.complete(prompt.clone(), "orderNumber", "zz", json!({})).await.unwrap_err();
    assert_eq!((e.code, e.message.as_str()), (-32602, "no such order"));
    let got = client.complete(prompt, "tone", "f", json!({ "orderNumber": "A-7" })).await.unwrap();
    assert_eq!(got["values"], json!(["f:A-7"]));
    let template = json!({ "type": "ref/resource", "uri": "x://products/{productId}" });
    let got = client.complete(template, "productId", "m", json!({})).await.unwrap();
    assert_eq!(got["values"], json!(["m@acme"]));
}
