//! The in-process client's one-line assertions: `call_ok` (expect success,
//! decode the value) and `call_err` (expect an error of one kind, get its
//! message), and the same on a `CallResult`; each failure panics with a
//! message that names the tool and says what it returned instead.

use mcp_runtime::prelude::*;
use mcp_runtime::testing::{CallResult, Client};
use serde_json::json;

/// An order.
#[derive(Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Order {
    /// Its number.
    order_number: String,
    /// The tenant it belongs to.
    tenant: String,
}

/// Arguments of `get_order`.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct GetOrder {
    /// The order number.
    order_number: String,
}

/// Look up an order; only `ORD-1` exists.
#[mcp_tool(read_only)]
async fn get_order(args: GetOrder, ctx: ToolContext) -> Result<Order, McpError> {
    let tenant = ctx.require_tenant()?.to_owned();
    let order_number = args.order_number;
    if order_number != "ORD-1" {
        return Err(McpError::not_found(format!("no order {order_number}")));
    }
    Ok(Order {
        order_number,
        tenant,
    })
}

/// Say hello, as plain text.
#[mcp_tool(read_only)]
async fn hello() -> ToolOutput {
    ToolOutput::text("hello there")
}

/// Add two integers.
#[mcp_tool(read_only)]
async fn add(
    /// The first addend.
    a: i64,
    /// The second addend.
    b: i64,
) -> i64 {
    a + b
}

/// A client that injects no tenant.
fn bare_client() -> Client {
    Server::builder("assertions", "1.0.0")
        .build()
        .expect("valid tools")
        .client()
}

/// A client that injects `tenantId: acme`, as the hub does.
fn client() -> Client {
    bare_client().tenant("acme")
}

/// The message `fut` panicked with (it must panic).
async fn panic_message<T: Send + 'static>(
    fut: impl std::future::Future<Output = T> + Send + 'static,
) -> String {
    let payload = tokio::spawn(fut)
        .await
        .err()
        .expect("the assertion panics")
        .into_panic();
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => (*p.downcast::<&str>().expect("a text panic")).to_owned(),
    }
}

#[tokio::test]
async fn call_ok_decodes_the_value() {
    let c = client();
    let order: Order = c
        .call_ok("get_order", json!({ "orderNumber": "ORD-1" }))
        .await;
    assert_eq!(
        order,
        Order {
            order_number: "ORD-1".into(),
            tenant: "acme".into()
        }
    );
    assert_eq!(c.call_ok::<i64>("add", json!({ "a": 2, "b": 3 })).await, 5);
    // A plain-text result decodes as its text.
    assert_eq!(c.call_ok::<String>("hello", json!({})).await, "hello there");
}

#[tokio::test]
async fn call_ok_of_a_failing_call_panics_with_the_kind_and_message() {
    let c = client();
    let msg = panic_message(async move {
        c.call_ok::<Order>("get_order", json!({ "orderNumber": "ORD-9" }))
            .await
    })
    .await;
    assert_eq!(
        msg,
        "expected tool `get_order` to succeed, but the tool failed with not_found: no order ORD-9"
    );
}

#[tokio::test]
async fn call_ok_of_a_value_of_another_type_panics_with_the_result() {
    let c = client();
    let msg =
        panic_message(async move { c.call_ok::<Order>("add", json!({ "a": 2, "b": 3 })).await })
            .await;
    assert!(
        msg.starts_with("expected tool `add` to succeed, but the result does not decode as `"),
        "{msg}"
    );
    assert!(msg.ends_with("; the result: 5"), "{msg}");
}

#[tokio::test]
async fn call_ok_of_an_unknown_tool_panics_with_the_protocol_error() {
    let c = client();
    let msg = panic_message(async move { c.call_ok::<i64>("nope", json!({})).await }).await;
    assert_eq!(
        msg,
        "tools/call of `nope` failed: JSON-RPC error -32602: unknown tool: nope"
    );
}

#[tokio::test]
async fn call_err_returns_the_message_of_the_expected_kind() {
    let c = client();
    let message = c
        .call_err(
            "get_order",
            json!({ "orderNumber": "ORD-9" }),
            ErrorKind::NotFound,
        )
        .await;
    assert_eq!(message, "no order ORD-9");
    // Arguments the schema refuses: a validation error naming the argument.
    let message = c
        .call_err("add", json!({ "a": "two", "b": 3 }), ErrorKind::Validation)
        .await;
    assert!(message.contains("`a`"), "{message}");
    // Without a tenant, the tool's own check answers.
    let message = bare_client()
        .call_err(
            "get_order",
            json!({ "orderNumber": "ORD-1" }),
            ErrorKind::Validation,
        )
        .await;
    assert!(message.contains("tenant"), "{message}");
}

#[tokio::test]
async fn call_err_of_a_success_or_another_kind_panics_saying_what_came_back() {
    let c = client();
    let msg = panic_message(async move {
        c.call_err("add", json!({ "a": 2, "b": 3 }), ErrorKind::NotFound)
            .await
    })
    .await;
    assert_eq!(
        msg,
        "expected tool `add` to fail with `not_found`, but the call succeeded: 5"
    );

    let c = client();
    let msg = panic_message(async move {
        c.call_err(
            "get_order",
            json!({ "orderNumber": "ORD-9" }),
            ErrorKind::PermissionDenied,
        )
        .await
    })
    .await;
    assert_eq!(
        msg,
        "expected tool `get_order` to fail with `permission_denied`, but the tool failed with \
         not_found: no order ORD-9"
    );
}

#[tokio::test]
async fn call_result_expect_ok_and_expect_error() {
    let c = client();
    let ok = c.call("add", json!({ "a": 1, "b": 1 })).await.unwrap();
    assert_eq!(ok.expect_ok::<i64>(), 2);
    let failed = c
        .call("get_order", json!({ "orderNumber": "ORD-2" }))
        .await
        .unwrap();
    assert_eq!(failed.expect_error(ErrorKind::NotFound), "no order ORD-2");

    let msg = std::panic::catch_unwind(|| failed.expect_ok::<Order>())
        .err()
        .and_then(|p| p.downcast::<String>().ok())
        .expect("expect_ok panics");
    assert_eq!(
        *msg,
        "expected a successful result, but the tool failed with not_found: no order ORD-2"
    );
    let msg = std::panic::catch_unwind(|| ok.expect_error(ErrorKind::NotFound))
        .err()
        .and_then(|p| p.downcast::<String>().ok())
        .expect("expect_error panics");
    assert_eq!(
        *msg,
        "expected the call to fail with `not_found`, but the call succeeded: 2"
    );
}

#[test]
fn an_error_result_not_made_by_the_runtime_is_shown_raw() {
    let foreign = CallResult {
        raw: json!({ "isError": true, "content": [{ "type": "text", "text": "boom" }] }),
    };
    assert_eq!(
        foreign.value::<i64>(),
        Err("the tool failed with an error: boom".to_owned())
    );
}
