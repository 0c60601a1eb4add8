//! Calls the tool in process: real JSON-RPC through the server's dispatcher, no network.

use mcp_runtime::ErrorKind;
use serde_json::{Value, json};

fn server() -> mcp_runtime::Server {
    mcp_runtime::Server::builder("shipping-tracker", "test")
        .build()
        .expect("the tools are valid")
}

#[tokio::test]
async fn lists_the_tool_with_its_schema() {
    let tools = server().client().list_tools().await.unwrap();
    assert_eq!(tools.len(), 1);
    assert_eq!(tools[0]["name"], "get_shipping_status");
    assert_eq!(tools[0]["annotations"]["readOnlyHint"], true);
    assert_eq!(
        tools[0]["inputSchema"]["required"],
        json!(["trackingNumber"])
    );
}

#[tokio::test]
async fn finds_a_shipment() {
    let client = server().client();
    // `call_ok` expects success and decodes the value (here as JSON).
    let shipment: Value = client
        .call_ok(
            "get_shipping_status",
            json!({ "trackingNumber": "1Z999AA10123456784" }),
        )
        .await;
    assert_eq!(
        shipment,
        json!({
            "trackingNumber": "1Z999AA10123456784",
            "carrier": "UPS",
            "status": "in_transit",
            "estimatedDelivery": "2026-11-24"
        })
    );
    let delivered: Value = client
        .call_ok(
            "get_shipping_status",
            json!({ "trackingNumber": "9400111899223197428490" }),
        )
        .await;
    assert_eq!(delivered["estimatedDelivery"], json!(null));
}

#[tokio::test]
async fn unknown_tracking_number_is_not_found() {
    // `call_err` expects an error of this kind and returns its message.
    let message = server()
        .client()
        .call_err(
            "get_shipping_status",
            json!({ "trackingNumber": "NOPE000000" }),
            ErrorKind::NotFound,
        )
        .await;
    assert_eq!(message, "no shipment with tracking number NOPE000000");
}

#[tokio::test]
async fn bad_arguments_are_validation_errors_naming_the_field() {
    let client = server().client();
    for arguments in [json!({}), json!({ "trackingNumber": "1Z" })] {
        let message = client
            .call_err("get_shipping_status", arguments, ErrorKind::Validation)
            .await;
        assert!(message.contains("trackingNumber"), "{message}");
    }
}

#[test]
fn contracts_hold() {
    mcp_runtime::testing::check_contracts().expect("every argument is documented");
}
