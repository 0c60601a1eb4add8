//! A binary with prompts and no tools or resources (this test binary):
//! the server builds without `.allow_no_tools()` and serves its prompts.

use mcp_runtime::prelude::*;
use serde_json::json;

/// Greet someone.
#[mcp_prompt]
async fn greet(
    /// Who.
    name: String,
) -> String {
    format!("Hello, {name}.")
}

#[tokio::test]
async fn a_server_of_prompts_only_builds_and_serves_them() {
    let server = Server::builder("prompts-only", "1.0.0")
        .build()
        .expect("prompts are something to serve");
    assert!(server.registry().is_empty());
    let client = server.client();
    let got = client
        .get_prompt("greet", json!({ "name": "Ada" }))
        .await
        .unwrap();
    assert_eq!(got["messages"][0]["content"]["text"], "Hello, Ada.");
    assert_eq!(
        client.list_tools().await.unwrap(),
        Vec::<serde_json::Value>::new()
    );
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
    assert_eq!(init["capabilities"].get("resources"), None);
}
