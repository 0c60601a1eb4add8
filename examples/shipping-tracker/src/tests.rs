//! Calls the tool in process: real JSON-RPC through the server's dispatcher, no network.

use mcp_runtime::ErrorKind;
use serde_json::json;

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
    let result = client
        .call(
            "get_shipping_status",
            json!({ "trackingNumber": "1Z999AA10123456784" }),
        )
        .await
        .unwrap();
    assert!(!result.is_error(), "{:?}", result.text());
    assert_eq!(
        result.structured().unwrap(),
        &json!({
            "trackingNumber": "1Z999AA10123456784",
            "carrier": "UPS",
            "status": "in_transit",
            "estimatedDelivery": "2026-11-24"
        })
    );
    let delivered = client
        .call(
            "get_shipping_status",
            json!({ "trackingNumber": "9400111899223197428490" }),
        )
        .await
        .unwrap();
    assert_eq!(
        delivered.structured().unwrap()["estimatedDelivery"],
        json!(null)
    );
}

#[tokio::test]
async fn unknown_tracking_number_is_not_found() {
    let result = server()
        .client()
        .call(
            "get_shipping_status",
            json!({ "trackingNumber": "NOPE000000" }),
        )
        .await
        .unwrap();
    assert_eq!(result.error_kind(), Some(ErrorKind::NotFound));
    assert!(result.error_message().unwrap().contains("NOPE000000"));
}

#[tokio::test]
async fn bad_arguments_are_validation_errors_naming_the_field() {
    let client = server().client();
    let missing = client.call("get_shipping_status", json!({})).await.unwrap();
    assert_eq!(missing.error_kind(), Some(ErrorKind::Validation));
    assert!(missing.error_message().unwrap().contains("trackingNumber"));
    let short = client
        .call("get_shipping_status", json!({ "trackingNumber": "1Z" }))
        .await
        .unwrap();
    assert_eq!(short.error_kind(), Some(ErrorKind::Validation));
    assert!(short.error_message().unwrap().contains("trackingNumber"));
}

#[test]
fn contracts_hold() {
    mcp_runtime::testing::check_contracts().expect("every argument is documented");
}
