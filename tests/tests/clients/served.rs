//! What the official TypeScript SDK clients (1.32.2 in the handshake era,
//! v2 in 2026-07-28) must read, get and complete as a key bound to acme, and
//! what must never reach it from globex: shared by `js_clients.rs` and
//! `js_clients_v2.rs` (each includes this file as a module), whose driver
//! scripts print the same `served` object.

use base64::Engine as _;
use serde_json::{Value, json};

/// The shop's money: EUR with a decimal string.
pub(crate) fn money(amount: &str) -> Value {
    json!({ "amount": amount, "currency": "EUR" })
}

/// What the SDK read, got and completed as the acme-bound key.
pub(crate) fn check_served(served: &Value) {
    assert_eq!(served["capabilities"]["completions"], json!({}), "{served}");
    let uris = |list: &Value, key: &str| -> Vec<String> {
        list.as_array()
            .expect("a list")
            .iter()
            .map(|r| r[key].as_str().expect("a string").to_owned())
            .collect()
    };
    assert_eq!(
        uris(&served["resources"]["resources"], "uri"),
        ["shop://policies/returns", "shop://policies/shipping"]
    );
    assert_eq!(
        uris(&served["templates"]["resourceTemplates"], "uriTemplate"),
        [
            "shop://orders/{orderNumber}",
            "shop://products/{productId}",
            "shop://products/{productId}/image"
        ]
    );
    assert_eq!(
        uris(&served["prompts"]["prompts"], "name"),
        ["draft_order_reply"]
    );
    let returns = &served["returns"]["contents"][0];
    assert_eq!(returns["mimeType"], "text/markdown");
    assert!(
        returns["text"]
            .as_str()
            .expect("text")
            .contains("within **30 days** of the authorization"),
        "{returns}"
    );
    let product: Value = serde_json::from_str(
        served["product"]["contents"][0]["text"]
            .as_str()
            .expect("text"),
    )
    .unwrap();
    assert_eq!(
        product,
        json!({ "productId": "PRD-1003", "name": "Alpine 45L Backpack",
                "description": "45-litre trekking backpack with adjustable back system and rain cover.",
                "category": "Backpacks", "price": money("139.90"), "availableQuantity": 27, "inStock": true })
    );
    let image = &served["image"]["contents"][0];
    assert_eq!(
        (&image["uri"], &image["mimeType"]),
        (
            &json!("shop://products/PRD-1003/image"),
            &json!("image/png")
        )
    );
    let png = base64::engine::general_purpose::STANDARD
        .decode(image["blob"].as_str().expect("blob"))
        .expect("the blob is base64");
    assert_eq!(png[..8], *b"\x89PNG\r\n\x1a\n", "the PNG signature");
    assert_eq!(&png[12..16], b"IHDR");
    let dimension = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().expect("4 bytes"));
    assert_eq!((dimension(16), dimension(20)), (48, 48), "a 48×48 picture");
    assert_eq!(served["globexProduct"]["code"], -32602, "{served}");
    assert!(
        served["globexProduct"]["message"]
            .as_str()
            .expect("message")
            .contains("resource not found: shop://products/PRD-2003"),
        "{served}"
    );
    let reply = &served["reply"];
    assert_eq!(
        reply["description"],
        "A friendly reply about order ORD-10004"
    );
    assert_eq!(
        reply["messages"][0]["content"]["resource"]["uri"],
        "shop://orders/ORD-10004"
    );
    assert_eq!(
        served["completeProduct"]["completion"],
        json!({ "values": ["PRD-1010"], "total": 1, "hasMore": false })
    );
    assert_eq!(served["completeGlobex"]["completion"]["values"], json!([]));
    assert_eq!(
        served["completeOrder"]["completion"]["values"],
        json!([
            "ORD-10001",
            "ORD-10002",
            "ORD-10003",
            "ORD-10004",
            "ORD-10005"
        ])
    );
    assert_eq!(served["unknownPrompt"]["code"], -32602, "{served}");
}
