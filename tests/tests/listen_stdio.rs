//! `subscriptions/listen` (2026-07-28) over stdio (`Server::serve_io` on
//! in-process pipes): its notifications interleave with other answers on
//! the one channel, each tagged with the subscription id; the client ends
//! one with `notifications/cancelled`; at EOF the open ones end with their
//! result and `serve_io` returns. Every line is validated against the
//! official 2026-07-28 schema.

use std::time::Duration;

use mcp_runtime::Server;
use mcp_runtime::prelude::*;
use mcp_tests::{Revision, assert_valid_message, check_against_spec, meta_2026};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const R: Revision = Revision::R2026_07_28;
const SUB: &str = "io.modelcontextprotocol/subscriptionId";

/// A document clients listen to.
#[mcp_resource(uri = "test://watched", mime_type = "text/plain")]
async fn watched() -> &'static str {
    "watched"
}

fn rpc(id: Value, method: &str, mut params: Value) -> String {
    params["_meta"] = meta_2026();
    json!({"jsonrpc":"2.0","id":id,"method":method,"params":params}).to_string() + "\n"
}

#[tokio::test]
async fn listen_over_stdio_interleaves_tagged_notifications_and_ends_at_eof() {
    let server = Server::builder("listen-stdio", "1.0.0")
        .keys_from_env(false)
        .build()
        .expect("builds");
    let notifier = server.notifier();
    let (mut to_server, server_reads) = tokio::io::duplex(64 * 1024);
    let (server_writes, from_server) = tokio::io::duplex(64 * 1024);
    let task = tokio::spawn(server.serve_io(BufReader::new(server_reads), server_writes));
    let mut lines = BufReader::new(from_server).lines();
    let mut recv = async || -> Option<Value> {
        let line = tokio::time::timeout(Duration::from_secs(5), lines.next_line())
            .await
            .expect("a line within 5 s")
            .expect("read")?;
        let v: Value = serde_json::from_str(&line).expect("a JSON line");
        assert_valid_message(R, &v, None);
        Some(v)
    };
    let watch = json!({"notifications": {"resourceSubscriptions": ["test://watched"]}});
    to_server
        .write_all(rpc(json!(5), "subscriptions/listen", watch.clone()).as_bytes())
        .await
        .unwrap();
    let ack = recv().await.unwrap();
    check_against_spec(R, "SubscriptionsAcknowledgedNotification", &ack).unwrap();
    assert_eq!(ack["params"]["_meta"][SUB], 5);
    assert_eq!(
        ack["params"]["notifications"],
        json!({"resourceSubscriptions": ["test://watched"]})
    );

    // Other requests are answered while it is open.
    to_server
        .write_all(rpc(json!(6), "tools/list", json!({})).as_bytes())
        .await
        .unwrap();
    let listed = recv().await.unwrap();
    assert_eq!(listed["id"], 6, "{listed}");
    assert!(listed["result"]["tools"].is_array(), "{listed}");

    assert_eq!(notifier.resource_updated("test://watched"), 1);
    let updated = recv().await.unwrap();
    assert_eq!(updated["method"], "notifications/resources/updated");
    assert_eq!(updated["params"]["uri"], "test://watched");
    assert_eq!(updated["params"]["_meta"][SUB], 5);

    // The client ends it.
    let cancel = json!({"jsonrpc":"2.0","method":"notifications/cancelled",
        "params":{"requestId": 5, "reason": "done"}});
    to_server
        .write_all((cancel.to_string() + "\n").as_bytes())
        .await
        .unwrap();
    let ended = recv().await.unwrap();
    assert_eq!(ended["id"], 5, "{ended}");
    assert!(ended.get("error").is_some(), "{ended}");
    assert_eq!(
        notifier.resource_updated("test://watched"),
        0,
        "no listener left"
    );

    // One more, then EOF: it answers its result and serve_io returns.
    to_server
        .write_all(rpc(json!("last"), "subscriptions/listen", watch).as_bytes())
        .await
        .unwrap();
    let ack = recv().await.unwrap();
    assert_eq!(ack["params"]["_meta"][SUB], "last");
    drop(to_server);
    let result = recv().await.expect("the listen's result");
    assert_eq!(result["id"], "last", "{result}");
    check_against_spec(R, "SubscriptionsListenResult", &result["result"]).unwrap();
    assert_eq!(result["result"]["_meta"][SUB], "last");
    assert!(recv().await.is_none(), "nothing after");
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("serve_io returns at EOF")
        .expect("no panic")
        .expect("clean EOF");
}
