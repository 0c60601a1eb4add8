//! The generated call shims, run through the in-process client: arguments
//! reach the fn in its declared order, results and errors come back.
use mcp_runtime::prelude::*;
use mcp_runtime::serde_json::{Value, json};

struct Greeting(&'static str);

#[derive(Deserialize, JsonSchema)]
#[serde(crate = "mcp_runtime::serde")]
#[schemars(crate = "mcp_runtime::schemars")]
struct AddArgs {
    a: i64,
    b: i64,
}

/// Add two numbers.
#[mcp_tool(read_only)]
async fn add(ctx: ToolContext, args: AddArgs) -> Result<i64, McpError> {
    let _ = ctx;
    Ok(args.a + args.b)
}

#[derive(Serialize, JsonSchema)]
#[serde(crate = "mcp_runtime::serde")]
#[schemars(crate = "mcp_runtime::schemars")]
struct Greeted {
    text: String,
    tenant: Option<String>,
}

/// Greet someone: inline arguments around the context.
#[mcp_tool]
async fn greet(
    /// Who to greet.
    first_name: String,
    ctx: ToolContext,
    /// How often (default once).
    times: Option<u32>,
    /// Upper-case the greeting.
    #[serde(default)]
    shout: bool,
) -> Result<Greeted, McpError> {
    let greeting = ctx.state::<Greeting>()?;
    let mut text = format!("{}, {first_name}!", greeting.0).repeat(times.unwrap_or(1) as usize);
    if shout {
        text = text.to_uppercase();
    }
    Ok(Greeted {
        text,
        tenant: ctx.tenant_id().map(str::to_owned),
    })
}

/// Subtract: inline arguments without a context, plain return.
#[mcp_tool]
async fn sub(left: i64, right: i64) -> i64 {
    left - right
}

/// Nothing in, nothing out.
#[mcp_tool]
async fn noop() {}

/// Always fails.
#[mcp_tool]
async fn fails(ctx: ToolContext) -> std::result::Result<u8, McpError> {
    let _ = ctx;
    Err(McpError::not_found("no such thing"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let server = Server::builder("calls", "0.0.0")
        .state(Greeting("Hello"))
        .build()
        .expect("the server builds");
    let client = server.client().tenant("acme");

    let r = client.call("add", json!({"a": 40, "b": 2})).await.unwrap();
    assert_eq!(r.value::<i64>(), Ok(42));

    let r = client
        .call("greet", json!({"firstName": "Ada", "times": 2}))
        .await
        .unwrap();
    assert_eq!(
        r.structured(),
        Some(&json!({"text": "Hello, Ada!Hello, Ada!", "tenant": "acme"})),
        "{r:?}"
    );
    let r = client
        .call("greet", json!({"firstName": "Ada", "shout": true}))
        .await
        .unwrap();
    assert_eq!(r.structured().unwrap()["text"], json!("HELLO, ADA!"));

    let r = client
        .call("sub", json!({"left": 5, "right": 7}))
        .await
        .unwrap();
    assert_eq!(r.value::<i64>(), Ok(-2));

    let r = client.call("noop", json!({})).await.unwrap();
    assert!(!r.is_error(), "{r:?}");
    assert_eq!(r.json(), Some(Value::Null));

    let r = client.call("fails", json!({})).await.unwrap();
    assert_eq!(r.error_kind(), Some(ErrorKind::NotFound));
    assert_eq!(r.error_message().as_deref(), Some("no such thing"));

    let tools = client.list_tools().await.unwrap();
    let greet = tools.iter().find(|t| t["name"] == "greet").unwrap();
    assert_eq!(greet["inputSchema"]["required"], json!(["firstName"]));
    assert_eq!(
        greet["inputSchema"]["properties"]["times"]["description"],
        json!("How often (default once).")
    );
    let add = tools.iter().find(|t| t["name"] == "add").unwrap();
    assert_eq!(add["annotations"]["readOnlyHint"], json!(true));
}
