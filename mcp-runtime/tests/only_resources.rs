//! A binary with resources and no tools or prompts (this test binary):
//! the server builds without `.allow_no_tools()` and serves its resources.

use mcp_runtime::prelude::*;
use serde_json::json;

/// The shipping policy.
#[mcp_resource(uri = "shop://policies/shipping", mime_type = "text/markdown")]
async fn shipping_policy() -> &'static str {
    "Orders ship within 2 days."
}

#[tokio::test]
async fn a_server_of_resources_only_builds_and_serves_them() {
    let server = Server::builder("resources-only", "1.0.0")
        .build()
        .expect("resources are something to serve");
    assert!(server.registry().is_empty());
    let client = server.client();
    let contents = client
        .read_resource("shop://policies/shipping")
        .await
        .unwrap();
    assert_eq!(contents[0]["text"], "Orders ship within 2 days.");
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
    assert_eq!(init["capabilities"].get("prompts"), None);
}
