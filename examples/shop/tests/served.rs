//! The shop's resources, prompt and completions in process, each test on
//! its own freshly seeded SQLite file: the policies (with the caller's
//! return address and tax), a product and its picture, an order, the
//! `draft_order_reply` prompt with the order embedded, and completion of
//! product ids and order numbers, all for the caller's tenant only: a
//! globex id read, got or completed by an acme caller is not found.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use mcp_runtime::Server;
use mcp_runtime::testing::Client;
use serde_json::{Value, json};
use shop::Shop;

struct Fixture {
    server: Server,
    dir: PathBuf,
}

impl Fixture {
    async fn new() -> Fixture {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "shop-served-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let shop = Shop::open(dir.join("shop.db"))
            .await
            .expect("the database opens and is seeded");
        let server = shop::server(shop).expect("the shop is valid");
        Fixture { server, dir }
    }

    /// A caller whose key is bound to one tenant: reads act for it.
    fn key_of(&self, tenant: &str) -> Client {
        self.server
            .client()
            .as_key(format!("{tenant}-key"), Some(vec![tenant.to_owned()]))
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn text(contents: &[Value]) -> &str {
    contents[0]["text"].as_str().unwrap()
}

#[tokio::test]
async fn the_policies_are_markdown_with_the_callers_terms() {
    let f = Fixture::new().await;
    let acme = f
        .key_of("acme")
        .read_resource("shop://policies/returns")
        .await
        .unwrap();
    assert_eq!(acme[0]["mimeType"], "text/markdown");
    let policy = text(&acme);
    assert!(
        policy.starts_with("# Returns policy\n\n- Only **delivered** orders can be returned."),
        "{policy}"
    );
    assert!(policy.contains(
        "The items must be sent within **30 days** of the authorization: its `shipBy` date."
    ));
    assert!(policy.contains(
        "- Send the items to: **Acme Outdoor GmbH, Returns, Lagerstraße 12, 13407 Berlin, DE**.\n"
    ));
    // No tenant (a key for every tenant): the general text, no address.
    let anyone = f
        .server
        .client()
        .read_resource("shop://policies/returns")
        .await
        .unwrap();
    assert!(
        text(&anyone).contains("- The return address is printed on each return authorization.\n")
    );
    let shipping = f
        .key_of("globex")
        .read_resource("shop://policies/shipping")
        .await
        .unwrap();
    assert!(text(&shipping).starts_with("# Shipping policy\n"));
    assert!(
        text(&shipping)
            .contains("- Tax (8.25 % in USD) applies to the shipping cost as to the goods.\n")
    );
    let shipping = f
        .key_of("acme")
        .read_resource("shop://policies/shipping")
        .await
        .unwrap();
    assert!(text(&shipping).contains("- Tax (19 % in EUR) applies"));
}

#[tokio::test]
async fn a_product_and_its_picture_are_the_callers_tenants_only() {
    let f = Fixture::new().await;
    let acme = f.key_of("acme");
    let got = acme
        .read_resource("shop://products/PRD-1008")
        .await
        .unwrap();
    assert_eq!(got[0]["mimeType"], "application/json");
    let product: Value = serde_json::from_str(text(&got)).unwrap();
    assert_eq!(product["productId"], "PRD-1008");
    assert_eq!(product["name"], "Titanium Camping Mug");
    assert_eq!(product["category"], "Accessories");
    assert_eq!(
        product["price"],
        json!({ "amount": "24.50", "currency": "EUR" })
    );
    let image = acme
        .read_resource("shop://products/PRD-1001/image")
        .await
        .unwrap();
    assert_eq!(image[0]["mimeType"], "image/png");
    let blob = image[0]["blob"].as_str().unwrap();
    assert_eq!(blob, base64(&shop::image::category_png("Tents")));
    assert!(blob.starts_with("iVBORw0KGgo"), "a PNG: {blob}");
    // A globex product is "not found" for acme, as an id that does not exist.
    for uri in [
        "shop://products/PRD-2001",
        "shop://products/PRD-2001/image",
        "shop://products/PRD-9999",
    ] {
        let e = acme.read_resource(uri).await.unwrap_err();
        assert_eq!(
            (e.code, e.message.clone()),
            (-32602, format!("resource not found: {uri}"))
        );
        assert_eq!(e.data.unwrap()["uri"], uri);
    }
    let globex = f
        .key_of("globex")
        .read_resource("shop://products/PRD-2001")
        .await
        .unwrap();
    assert!(text(&globex).contains("\"name\":\"Globex ProBook 14\""));
}

#[tokio::test]
async fn an_order_reads_as_get_order_returns_it() {
    let f = Fixture::new().await;
    let acme = f.key_of("acme");
    let read = acme.read_resource("shop://orders/ORD-10001").await.unwrap();
    let order: Value = serde_json::from_str(text(&read)).unwrap();
    let called: Value = f
        .server
        .client()
        .tenant("acme")
        .call_ok("get_order", json!({ "orderNumber": "ORD-10001" }))
        .await;
    assert_eq!(order, called);
    let e = acme
        .read_resource("shop://orders/ORD-20001")
        .await
        .unwrap_err();
    assert_eq!(e.message, "resource not found: shop://orders/ORD-20001");
}

#[tokio::test]
async fn the_reply_prompt_embeds_the_order() {
    let f = Fixture::new().await;
    let acme = f.key_of("acme");
    let got = acme
        .get_prompt(
            "draft_order_reply",
            json!({ "orderNumber": "ORD-10001", "tone": "formal" }),
        )
        .await
        .unwrap();
    assert_eq!(got["description"], "A formal reply about order ORD-10001");
    let embedded = &got["messages"][0]["content"];
    assert_eq!(embedded["type"], "resource");
    assert_eq!(embedded["resource"]["uri"], "shop://orders/ORD-10001");
    assert_eq!(embedded["resource"]["mimeType"], "application/json");
    let order: Value =
        serde_json::from_str(embedded["resource"]["text"].as_str().unwrap()).unwrap();
    let read = acme.read_resource("shop://orders/ORD-10001").await.unwrap();
    assert_eq!(order, serde_json::from_str::<Value>(text(&read)).unwrap());
    assert_eq!(
        got["messages"][1]["content"]["text"],
        "Draft a formal reply to customer CUS-1001 about order ORD-10001, which is delivered. Use \
         only the facts of the order above; if the customer needs something the order does not \
         show, say what you will check. Sign as the shop's customer service."
    );
    let friendly = acme
        .get_prompt("draft_order_reply", json!({ "orderNumber": "ORD-10002" }))
        .await
        .unwrap();
    assert_eq!(
        friendly["description"],
        "A friendly reply about order ORD-10002"
    );
    let e = acme
        .get_prompt("draft_order_reply", json!({ "orderNumber": "ORD-20001" }))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (-32602, "order ORD-20001 not found")
    );
    let e = acme
        .get_prompt(
            "draft_order_reply",
            json!({ "orderNumber": "ORD-10001", "tone": "rude" }),
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "invalid argument `tone` = \"rude\": use `formal`, `friendly` or `apologetic`"
    );
}

#[tokio::test]
async fn ids_complete_for_the_callers_tenant_only() {
    let f = Fixture::new().await;
    let product = json!({ "type": "ref/resource", "uri": "shop://products/{productId}" });
    let prompt = json!({ "type": "ref/prompt", "name": "draft_order_reply" });
    let acme = f.key_of("acme");
    let got = acme
        .complete(product.clone(), "productId", "prd-100", json!({}))
        .await
        .unwrap();
    assert_eq!(
        got,
        json!({
            "values": ["PRD-1001", "PRD-1002", "PRD-1003", "PRD-1004", "PRD-1005",
                       "PRD-1006", "PRD-1007", "PRD-1008", "PRD-1009"],
            "total": 9,
            "hasMore": false
        })
    );
    // Whatever acme types, no globex id comes back.
    for typed in ["", "PRD", "PRD-2", "PRD-2001"] {
        let got = acme
            .complete(product.clone(), "productId", typed, json!({}))
            .await
            .unwrap();
        assert!(
            got["values"]
                .as_array()
                .unwrap()
                .iter()
                .all(|v| v.as_str().unwrap().starts_with("PRD-1")),
            "{typed}: {got}"
        );
    }
    let orders = acme
        .complete(prompt.clone(), "orderNumber", "ORD-", json!({}))
        .await
        .unwrap();
    assert_eq!(
        orders["values"],
        json!([
            "ORD-10001",
            "ORD-10002",
            "ORD-10003",
            "ORD-10004",
            "ORD-10005"
        ])
    );
    let globex = f
        .key_of("globex")
        .complete(prompt.clone(), "orderNumber", "", json!({}))
        .await
        .unwrap();
    assert_eq!(
        globex["values"],
        json!(["ORD-20001", "ORD-20002", "ORD-20003", "ORD-20004"])
    );
    let tones = acme.complete(prompt, "tone", "f", json!({})).await.unwrap();
    assert_eq!(tones["values"], json!(["formal", "friendly"]));
    let image = json!({ "type": "ref/resource", "uri": "shop://products/{productId}/image" });
    let got = f
        .key_of("globex")
        .complete(image, "productId", "PRD-200", json!({}))
        .await
        .unwrap();
    assert_eq!(got["total"], 9);
}

/// Standard base64 with padding, as `blob` is written.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
