//! Tools defined with `#[mcp_tool]`, served through the in-process client:
//! published schemas (compared as JSON values) and the full call path.

use std::collections::BTreeMap;
use std::time::Duration;

use mcp_runtime::prelude::*;
use mcp_runtime::testing::Client;
use serde_json::{Value, json};

// ----------------------------------------------------------------- tools

/// A line of an order.
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Line {
    /// Product id.
    product_id: String,
    /// How many, 1 to 100.
    #[schemars(range(min = 1, max = 100))]
    quantity: u32,
}

/// How to ship.
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Speed {
    /// Cheapest.
    Standard,
    /// Next day.
    Express,
}

/// Arguments of `place_order`.
// `note`, `gift` and `reference` exist for their published schemas.
#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PlaceOrder {
    /// The customer, e.g. `CUST-1`.
    #[schemars(regex(pattern = r"^CUST-\d+$"), length(max = 20))]
    customer_id: String,
    /// The lines, at least one.
    #[schemars(length(min = 1))]
    lines: Vec<Line>,
    /// Shipping speed.
    speed: Option<Speed>,
    /// A note for the warehouse.
    note: Option<String>,
    /// Gift wrap.
    #[serde(default)]
    gift: bool,
    /// Renamed on the wire.
    #[serde(rename = "ref")]
    reference: Option<String>,
}

/// A placed order.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Placed {
    /// The customer.
    customer_id: String,
    /// Item count.
    items: u32,
    /// Tenant that placed it.
    tenant: Option<String>,
    /// Workspace.
    workspace: Option<String>,
    /// Speed, if chosen.
    speed: Option<Speed>,
}

/// Place an order for a customer. Returns the order summary.
#[mcp_tool(idempotent, title = "Place order")]
async fn place_order(args: PlaceOrder, ctx: ToolContext) -> Result<Placed, McpError> {
    Ok(Placed {
        customer_id: args.customer_id,
        items: args.lines.iter().map(|l| l.quantity).sum(),
        tenant: ctx.tenant_id().map(str::to_owned),
        workspace: ctx.workspace_id().map(str::to_owned),
        speed: args.speed,
    })
}

/// Fail with the error kind named in `kind`.
#[mcp_tool]
async fn fail_with(
    /// One of the six wire names.
    kind: String,
    /// Message to fail with.
    message: Option<String>,
) -> Result<(), McpError> {
    let msg = message.unwrap_or_else(|| "it failed".into());
    Err(match kind.as_str() {
        "not_found" => McpError::not_found(msg),
        "validation_error" => McpError::validation(msg),
        "authentication_error" => McpError::authentication(msg),
        "permission_denied" => McpError::permission_denied(msg),
        "rate_limit" => McpError::rate_limit(msg, 250),
        "io" => std::fs::read("/definitely/not/here/secret.txt")
            .map(|_| ())?
            .into_err(),
        _ => McpError::server(msg),
    })
}

trait IntoErr {
    fn into_err(self) -> McpError;
}
impl IntoErr for () {
    fn into_err(self) -> McpError {
        McpError::server("unreachable")
    }
}

/// Panic, to show the server survives.
#[mcp_tool]
async fn explode() -> String {
    panic!("boom with secret detail")
}

/// Sleep for a while (for timeouts).
#[mcp_tool]
async fn nap(
    /// Milliseconds.
    ms: u64,
    /// Unused.
    _pad: Option<bool>,
) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

/// Counter shared by the server.
struct Counter(std::sync::atomic::AtomicU64);

/// Count calls, with shared state. Returns the new count.
#[mcp_tool(name = "count.up", read_only = false)]
async fn count_up(ctx: ToolContext) -> Result<u64, McpError> {
    let c = ctx.state::<Counter>()?;
    Ok(c.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1)
}

/// A map-returning tool (object-shaped output without fixed fields).
#[mcp_tool(read_only)]
async fn tally() -> BTreeMap<String, u32> {
    BTreeMap::from([("a".to_owned(), 1), ("b".to_owned(), 2)])
}

fn server() -> Server {
    Server::builder("dispatch-test", "9.9.9")
        .state(Counter(Default::default()))
        .call_timeout(Duration::from_millis(300))
        .build()
        .expect("valid tools")
}

fn client() -> Client {
    server().client()
}

async fn tool(name: &str) -> Value {
    client()
        .list_tools()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("tool {name} listed"))
}

// ----------------------------------------------------------------- schemas

#[tokio::test]
async fn tools_are_listed_sorted_without_registration_code() {
    let names: Vec<String> = client()
        .list_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "count.up",
            "explode",
            "fail_with",
            "nap",
            "place_order",
            "tally"
        ]
    );
}

#[tokio::test]
async fn input_schema_is_inlined_with_plain_optionals() {
    let t = tool("place_order").await;
    assert_eq!(t["title"], "Place order");
    assert_eq!(
        t["description"],
        "Place an order for a customer. Returns the order summary."
    );
    assert_eq!(
        t["annotations"],
        json!({ "idempotentHint": true, "title": "Place order" })
    );
    assert_eq!(
        t["inputSchema"],
        json!({
            "type": "object",
            "description": "Arguments of `place_order`.",
            "additionalProperties": false,
            "required": ["customerId", "lines"],
            "properties": {
                "customerId": {
                    "type": "string",
                    "description": "The customer, e.g. `CUST-1`.",
                    "pattern": "^CUST-\\d+$",
                    "maxLength": 20
                },
                "lines": {
                    "type": "array",
                    "description": "The lines, at least one.",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "description": "A line of an order.",
                        "required": ["productId", "quantity"],
                        "properties": {
                            "productId": { "type": "string", "description": "Product id." },
                            "quantity": {
                                "type": "integer",
                                "description": "How many, 1 to 100.",
                                "minimum": 1,
                                "maximum": 100
                            }
                        }
                    }
                },
                "speed": {
                    "description": "Shipping speed.",
                    "oneOf": [
                        { "type": "string", "const": "standard", "description": "Cheapest." },
                        { "type": "string", "const": "express", "description": "Next day." }
                    ]
                },
                "note": { "type": "string", "description": "A note for the warehouse." },
                "gift": { "type": "boolean", "description": "Gift wrap.", "default": false },
                "ref": { "type": "string", "description": "Renamed on the wire." }
            }
        })
    );
    let input = t["inputSchema"].to_string();
    assert!(
        !input.contains("$ref") && !input.contains("$defs") && !input.contains("null"),
        "{input}"
    );
    let all = t.to_string();
    assert!(!all.contains("$ref") && !all.contains("$defs"), "{all}");
}

#[tokio::test]
async fn inline_arguments_and_no_arguments() {
    let t = tool("nap").await;
    assert_eq!(
        t["inputSchema"],
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["ms"],
            "properties": {
                "ms": { "type": "integer", "minimum": 0, "description": "Milliseconds." },
                "pad": { "type": "boolean", "description": "Unused." }
            }
        })
    );
    let t = tool("count.up").await;
    assert_eq!(
        t["inputSchema"],
        json!({ "type": "object", "additionalProperties": false })
    );
    assert_eq!(t["annotations"], json!({ "readOnlyHint": false }));
}

#[tokio::test]
async fn output_schema_only_for_object_shaped_returns() {
    let t = tool("place_order").await;
    let out = &t["outputSchema"];
    assert_eq!(out["type"], "object");
    assert_eq!(
        out["required"],
        json!(["customerId", "items", "tenant", "workspace", "speed"])
    );
    // Nullable, spelled portably: one `type` per `anyOf` branch.
    assert_eq!(
        out["properties"]["tenant"],
        json!({ "anyOf": [{ "type": "string" }, { "type": "null" }], "description": "Tenant that placed it." })
    );
    assert!(
        tool("nap").await.get("outputSchema").is_none(),
        "integers are not objects"
    );
    assert_eq!(tool("tally").await["outputSchema"]["type"], "object");
}

// ----------------------------------------------------------------- calls

#[tokio::test]
async fn injected_ids_reach_the_context_even_with_deny_unknown_fields() {
    let r = client()
        .tenant("acme")
        .workspace("ws-1")
        .call(
            "place_order",
            json!({ "customerId": "CUST-7", "lines": [{ "productId": "P1", "quantity": 2 }, { "productId": "P2", "quantity": 3 }], "speed": "express" }),
        )
        .await
        .unwrap();
    assert!(!r.is_error(), "{:?}", r.raw);
    let expected = json!({ "customerId": "CUST-7", "items": 5, "tenant": "acme", "workspace": "ws-1", "speed": "express" });
    assert_eq!(r.structured().unwrap(), &expected);
    assert_eq!(
        r.json().unwrap(),
        expected,
        "content[0] carries the same JSON as text"
    );
    assert_eq!(r.raw["content"][0]["type"], "text");
}

#[tokio::test]
async fn null_for_optional_arguments_is_accepted() {
    let r = client()
        .call("place_order", json!({ "customerId": "CUST-7", "lines": [{ "productId": "P", "quantity": 1 }], "speed": null, "note": null }))
        .await
        .unwrap();
    assert!(!r.is_error(), "{:?}", r.raw);
    assert_eq!(r.structured().unwrap()["speed"], Value::Null);
}

#[tokio::test]
async fn schema_constraints_are_enforced_with_field_paths() {
    let c = client();
    let cases = [
        (
            json!({ "customerId": "CUST-1", "lines": [{ "productId": "P", "quantity": 0 }] }),
            "`lines[0].quantity`: 0 is less than the minimum of 1",
        ),
        (
            json!({ "customerId": "CUST-1", "lines": [{ "productId": "P", "quantity": 101 }] }),
            "`lines[0].quantity`: 101 is greater than the maximum of 100",
        ),
        (
            json!({ "customerId": "nope", "lines": [{ "productId": "P", "quantity": 1 }] }),
            "`customerId`: ",
        ),
        (json!({ "customerId": "CUST-1", "lines": [] }), "`lines`: "),
        (
            json!({ "customerId": "CUST-1" }),
            "\"lines\" is a required property",
        ),
        (
            json!({ "customerId": "CUST-1", "lines": [{ "productId": "P", "quantity": 1 }], "extra": 1 }),
            "extra",
        ),
        (
            json!({ "customerId": "CUST-1", "lines": [{ "productId": "P", "quantity": "two" }] }),
            "`lines[0].quantity`: ",
        ),
        (
            json!({ "customerId": "CUST-1", "lines": [{ "productId": "P", "quantity": 1 }], "speed": "warp" }),
            "`speed`: ",
        ),
    ];
    for (args, expected) in cases {
        let r = c.call("place_order", args.clone()).await.unwrap();
        assert_eq!(
            r.error_kind(),
            Some(ErrorKind::Validation),
            "{args} -> {:?}",
            r.raw
        );
        let msg = r.error_message().unwrap();
        assert!(msg.starts_with("invalid arguments: "), "{msg}");
        assert!(
            msg.contains(expected),
            "{args}: expected {expected:?} in {msg:?}"
        );
    }
}

#[tokio::test]
async fn injected_ids_of_the_wrong_type_are_validation_errors() {
    let r = client()
        .call("count.up", json!({ "tenantId": 42 }))
        .await
        .unwrap();
    assert_eq!(r.error_kind(), Some(ErrorKind::Validation));
    assert_eq!(r.error_message().unwrap(), "`tenantId` must be a string");
}

#[tokio::test]
async fn every_error_kind_reaches_the_agent_with_its_wire_type() {
    let c = client();
    for kind in [
        "not_found",
        "validation_error",
        "authentication_error",
        "permission_denied",
        "rate_limit",
        "server_error",
    ] {
        let r = c
            .call(
                "fail_with",
                json!({ "kind": kind, "message": format!("{kind} happened") }),
            )
            .await
            .unwrap();
        assert!(r.is_error());
        assert_eq!(r.error_kind().unwrap().as_str(), kind);
        let mut expected =
            json!({ "error": { "type": kind, "message": format!("{kind} happened") } });
        if kind == "rate_limit" {
            expected["error"]["retryAfterMs"] = json!(250);
        }
        assert_eq!(r.json().unwrap(), expected);
        assert!(r.structured().is_none());
    }
}

#[tokio::test]
async fn converted_internal_errors_do_not_leak() {
    let r = client()
        .call("fail_with", json!({ "kind": "io" }))
        .await
        .unwrap();
    assert_eq!(
        r.json().unwrap(),
        json!({ "error": { "type": "server_error", "message": "internal server error" } })
    );
}

#[tokio::test]
async fn a_panicking_tool_is_a_server_error_and_the_server_keeps_serving() {
    let c = client();
    let r = c.call("explode", json!({})).await.unwrap();
    assert_eq!(r.error_kind(), Some(ErrorKind::Server));
    assert!(
        !r.text().unwrap().contains("secret"),
        "panic text stays in the log"
    );
    let r = c.call("nap", json!({ "ms": 1 })).await.unwrap();
    assert_eq!(r.value::<u64>().unwrap(), 1);
}

#[tokio::test]
async fn a_slow_tool_times_out() {
    let r = client().call("nap", json!({ "ms": 5000 })).await.unwrap();
    assert_eq!(r.error_kind(), Some(ErrorKind::Server));
    assert_eq!(
        r.error_message().unwrap(),
        "the tool call timed out after 300 ms"
    );
}

#[tokio::test]
async fn state_is_shared_between_calls() {
    let c = client();
    assert_eq!(
        c.call("count.up", json!({}))
            .await
            .unwrap()
            .value::<u64>()
            .unwrap(),
        1
    );
    assert_eq!(
        c.call("count.up", json!({}))
            .await
            .unwrap()
            .value::<u64>()
            .unwrap(),
        2
    );
}

#[test]
fn missing_state_is_reported_when_the_server_is_built() {
    let err = Server::builder("x", "1").build().unwrap_err().to_string();
    assert!(err.contains("tool `count.up`: reads state"), "{err}");
    assert!(err.contains("Counter"), "{err}");
    assert!(
        err.contains("tests/dispatch.rs:"),
        "the problem names the source location: {err}"
    );
}

#[tokio::test]
async fn unknown_tool_is_invalid_params() {
    let e = client().call("nope", json!({})).await.unwrap_err();
    assert_eq!(e.code, -32602);
    assert_eq!(e.message, "unknown tool: nope");
}

#[tokio::test]
async fn tenant_bound_keys_refuse_other_tenants_before_the_tool_runs() {
    let s = server();
    let bound = s.client().as_key("hub", Some(vec!["acme".into()]));
    let ok = bound
        .clone()
        .tenant("acme")
        .call("count.up", json!({}))
        .await
        .unwrap();
    assert_eq!(ok.value::<u64>().unwrap(), 1);
    let spoof = bound
        .clone()
        .tenant("globex")
        .call("count.up", json!({}))
        .await
        .unwrap();
    assert_eq!(spoof.error_kind(), Some(ErrorKind::PermissionDenied));
    assert_eq!(
        spoof.error_message().unwrap(),
        "this API key may not act for tenant `globex`"
    );
    let none = bound.call("count.up", json!({})).await.unwrap();
    assert_eq!(none.error_kind(), Some(ErrorKind::PermissionDenied));
    let again = s
        .client()
        .tenant("acme")
        .call("count.up", json!({}))
        .await
        .unwrap();
    assert_eq!(
        again.value::<u64>().unwrap(),
        2,
        "refused calls never reached the tool"
    );
}
