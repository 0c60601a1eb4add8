//! A tool with one documented parameter and a context: the parameter is an
//! inline argument, published with its doc comment as its description.

use mcp_runtime::prelude::*;
use serde_json::{Value, json};

/// An item of the catalogue.
#[derive(Serialize, JsonSchema)]
struct Item {
    /// The SKU.
    sku: String,
}

/// Look up an item by SKU. Returns the item.
#[mcp_tool(read_only)]
async fn get_item(
    /// The SKU, e.g. SKU-1.
    sku: String,
    ctx: ToolContext,
) -> Result<Item, McpError> {
    let _ = ctx;
    Ok(Item { sku })
}

/// Arguments of `find_items`.
#[derive(Deserialize, JsonSchema)]
struct FindItems {
    /// Words in the item's name.
    query: String,
}

/// Find items by name. Returns their SKUs.
#[mcp_tool(read_only)]
async fn find_items(args: FindItems, ctx: ToolContext) -> Vec<String> {
    let _ = ctx;
    vec![args.query]
}

async fn input_schema(name: &str) -> Value {
    let server = Server::builder("single-argument", "0.0.0").build().unwrap();
    let tools = server.client().list_tools().await.unwrap();
    let tool = tools.into_iter().find(|t| t["name"] == name).unwrap();
    tool["inputSchema"].clone()
}

#[tokio::test]
async fn a_documented_parameter_is_an_inline_argument() {
    assert_eq!(
        input_schema("get_item").await,
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["sku"],
            "properties": {
                "sku": { "type": "string", "description": "The SKU, e.g. SKU-1." }
            }
        })
    );
}

#[tokio::test]
async fn the_documented_parameter_is_called_with_its_value() {
    let server = Server::builder("single-argument", "0.0.0").build().unwrap();
    let result = server
        .client()
        .call("get_item", json!({ "sku": "SKU-1" }))
        .await
        .unwrap();
    assert_eq!(result.structured(), Some(&json!({ "sku": "SKU-1" })));

    let refused = server
        .client()
        .call("get_item", json!({ "sku": "SKU-1", "extra": true }))
        .await;
    let refused = match refused {
        Ok(r) => r.error_kind(),
        Err(e) => panic!("a tool error, not a protocol error: {e}"),
    };
    assert_eq!(refused, Some(ErrorKind::Validation));
}

#[tokio::test]
async fn an_undocumented_single_parameter_is_the_arguments_struct() {
    assert_eq!(
        input_schema("find_items").await,
        json!({
            "type": "object",
            "description": "Arguments of `find_items`.",
            "required": ["query"],
            "properties": {
                "query": { "type": "string", "description": "Words in the item's name." }
            }
        })
    );
}
