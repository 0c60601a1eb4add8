//! A binary that links no tools (this test binary defines none): building a
//! server refuses, naming the likely cause and the fix, unless the builder
//! says an empty server is intended.

use mcp_runtime::{BuildError, Server};

const MESSAGE: &str = "no MCP tools, resources or prompts are registered in this binary, so the \
    server would serve nothing. Most likely the crate that defines the `#[mcp_tool]` \
    (`#[mcp_resource]`, `#[mcp_prompt]`) functions is not linked: a \
    crate nothing uses is left out, so add `use my_tools as _;` (your tool crate's name) to \
    main.rs; or the module holding them is never compiled: declare it with `mod tools;`. If a \
    server without tools is intended, call `.allow_no_tools()` on the builder";

#[test]
fn a_server_without_tools_is_refused_with_the_cause_and_the_fix() {
    let err = Server::builder("empty", "1.0.0").build().unwrap_err();
    assert!(
        matches!(err, BuildError::NoTools { registered: 0 }),
        "{err:#?}"
    );
    assert_eq!(err.to_string(), MESSAGE);
    // `main` returning the error prints its Debug: the message, not the variant.
    assert_eq!(format!("{err:?}"), MESSAGE);
    assert_eq!(format!("{err:#?}"), "NoTools {\n    registered: 0,\n}");
    let boxed: Box<dyn std::error::Error> = Box::new(err);
    assert_eq!(format!("{boxed:?}"), MESSAGE);
}

#[tokio::test]
async fn allow_no_tools_builds_an_empty_server() {
    let server = Server::builder("empty", "1.0.0")
        .allow_no_tools()
        .build()
        .expect("an empty server, as asked");
    assert!(server.registry().is_empty());
    assert_eq!(
        server.client().list_tools().await.unwrap(),
        Vec::<serde_json::Value>::new()
    );
}

#[tokio::test]
async fn without_resources_or_prompts_none_are_advertised_or_served() {
    let client = Server::builder("empty", "1.0.0")
        .allow_no_tools()
        .build()
        .unwrap()
        .client();
    let init = client
        .request(
            "initialize",
            serde_json::json!({ "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "t", "version": "1" } }),
        )
        .await
        .unwrap();
    for capability in ["resources", "prompts", "completions"] {
        assert_eq!(init["capabilities"].get(capability), None, "{init}");
    }
    for method in [
        "resources/list",
        "resources/templates/list",
        "resources/read",
        "prompts/list",
        "prompts/get",
        "completion/complete",
    ] {
        let e = client
            .request(method, serde_json::json!({ "uri": "x://a", "name": "p" }))
            .await
            .unwrap_err();
        assert_eq!(e.code, -32601, "{method}");
    }
}
