#![no_main]
//! Arbitrary bytes as one JSON-RPC message, twice: through the dispatcher in
//! process (`Client::send_bytes`, no depth pre-scan, so serde_json's own
//! recursion limit applies) and through the real HTTP handler
//! (`Server::router` called as a tower service: headers, authentication,
//! body limit, depth pre-scan, then the dispatcher).
//!
//! One input in eight (by a hash of its bytes) is also sent a third time with
//! spaces appended past the 256 KiB large-message threshold, from a task on
//! a worker of a multi-threaded runtime: such a message is parsed and
//! validated off the async workers (`off_the_workers`, `block_in_place`),
//! and must get the same answer (id, result, error code) as the small one.
//!
//! Invariants (see `mcp_fuzz::check_reply`): nothing panics; every answer is
//! one well-formed JSON-RPC message valid against the official schema; a
//! request's id comes back; a notification gets no answer (HTTP 202 with an
//! empty body) on both paths alike; the padded message is answered as the
//! small one is.

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use mcp_runtime::prelude::*;
use mcp_runtime::testing::Client;
use mcp_runtime::{ApiKey, Server};
use serde_json::Value;
use tower::ServiceExt;

const SECRET: &str = "fuzz-secret-0123456789abcdef";

/// A colour.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Color {
    /// Red.
    Red,
    /// Blue.
    Blue,
}

/// Arguments of `order`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // deserialized (that is the test), not all read
struct OrderArgs {
    /// A SKU like `SKU-0001`.
    #[schemars(regex(pattern = r"^SKU-\d{4}$"))]
    sku: String,
    /// 1 to 100 units.
    #[schemars(range(min = 1, max = 100))]
    qty: u32,
    /// Colour.
    color: Option<Color>,
}

/// The order.
#[derive(Debug, Serialize, JsonSchema)]
struct Ordered {
    /// The SKU.
    sku: String,
    /// Units.
    qty: u32,
}

/// Order `qty` units of `sku`.
#[mcp_tool]
async fn order(args: OrderArgs) -> Ordered {
    Ordered {
        sku: args.sku,
        qty: args.qty,
    }
}

/// Echo `text` `times` times (at most 3).
#[mcp_tool(read_only)]
async fn echo(
    /// Any text.
    text: String,
    /// How many times, 0 to 3.
    times: u8,
) -> String {
    text.repeat(usize::from(times.min(3)))
}

/// The tenant of the call.
#[mcp_tool(read_only)]
async fn whoami(ctx: ToolContext) -> Result<String, McpError> {
    Ok(ctx.require_tenant()?.to_owned())
}

struct Harness {
    rt: tokio::runtime::Runtime,
    client: Client,
    router: axum::Router,
}

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let server = Server::builder("fuzz", "1.0.0")
            .api_key(ApiKey::new("fuzz", SECRET).expect("key"))
            .keys_from_env(false)
            .build()
            .expect("server");
        let client = server.client();
        let router = {
            let _guard = rt.enter();
            server
                .router("127.0.0.1:1".parse().expect("addr"))
                .expect("router")
        };
        Harness { rt, client, router }
    })
}

/// What a padded message's answer must share with the small one's.
fn essence(reply: Option<&[u8]>) -> Option<(Value, Value, Value)> {
    let v: Value = serde_json::from_slice(reply?).expect("JSON");
    Some((
        v["id"].clone(),
        v["result"].clone(),
        v["error"]["code"].clone(),
    ))
}

/// Past `LARGE_MESSAGE_BYTES` (256 KiB).
const PADDED: usize = 256 * 1024 + 100;

fuzz_target!(|data: &[u8]| {
    let h = harness();
    let hash = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |a, &b| {
        (a ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    if hash % 8 == 0 && data.len() < PADDED {
        let mut padded = data.to_vec();
        padded.resize(PADDED, b' ');
        let client = h.client.clone();
        let small = h.rt.block_on(h.client.send_bytes(data));
        // On a worker, so that `block_in_place` hands the worker over.
        let large =
            h.rt.block_on(h.rt.spawn(async move { client.send_bytes(&padded).await }))
                .expect("the task ends");
        assert_eq!(
            essence(small.as_deref()),
            essence(large.as_deref()),
            "padded past 256 KiB, answered otherwise: {}\nsmall: {}\nlarge: {}",
            mcp_fuzz::lossy(data),
            small.as_deref().map(mcp_fuzz::lossy).unwrap_or_default(),
            large.as_deref().map(mcp_fuzz::lossy).unwrap_or_default(),
        );
    }
    h.rt.block_on(async {
        let reply = h.client.send_bytes(data).await;
        mcp_fuzz::check_reply(data, reply.as_deref());

        let req = Request::post("/mcp")
            .header("host", "localhost")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("authorization", format!("Bearer {SECRET}"))
            .body(Body::from(data.to_vec()))
            .expect("request");
        let resp = h.router.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let ctype = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        match status {
            StatusCode::ACCEPTED => {
                assert!(body.is_empty(), "202 with a body");
                assert!(
                    reply.is_none(),
                    "HTTP took as a notification what the dispatcher answered"
                );
            }
            StatusCode::OK | StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND => {
                assert_eq!(ctype, "application/json", "status {status}");
                mcp_fuzz::check_reply(data, Some(&body));
                let depth_refusal = status == StatusCode::BAD_REQUEST
                    && body.windows(11).any(|w| w == b"nested deep");
                assert!(
                    reply.is_some() || depth_refusal,
                    "HTTP answered what the dispatcher took as a notification"
                );
            }
            other => panic!("unexpected HTTP status {other}: {}", mcp_fuzz::lossy(&body)),
        }
    });
});
