//! Driving the real `shop` binary with clients written in other languages:
//! the process (`mcp_tests::shop`), the Node 22 toolchain with the official
//! MCP Inspector and TypeScript SDK (`node.rs`), and one bounded run of a
//! child process (`mcp_tests::process::run`).
//!
//! Used by `js_clients.rs` (the Inspector's portability lint, the TypeScript
//! client) and `readme_clients.rs` (every client snippet of the README).

pub(crate) mod node;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use mcp_tests::{Post, parse_response};
use serde_json::{Value, json};

pub(crate) use mcp_tests::process::{Run, run};
pub(crate) use mcp_tests::shop::Shop;
use mcp_tests::shop::shop_binary;
pub(crate) use node::{node, run_node_script};

/// The shop binary, started with the bearer keys `keys` (see
/// `mcp_tests::shop`).
pub(crate) fn start_shop(keys: &str) -> Shop {
    Shop::start(shop_binary(), keys)
}

/// The `result` of one JSON-RPC request to the MCP endpoint at `addr`, sent
/// as plain HTTP with the bearer `secret` (handshake era, as after
/// `initialize`).
pub(crate) fn rpc(addr: SocketAddr, secret: &str, method: &str, params: Value) -> Value {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let post = Post::json(&body)
        .bearer(secret)
        .header("MCP-Protocol-Version", "2025-11-25");
    let mut s = TcpStream::connect(addr).expect("connect to the server");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    s.write_all(&post.to_bytes(&addr.to_string()))
        .expect("send the request");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).expect("read the response");
    let response = parse_response(&buf).json();
    assert!(response.get("error").is_none(), "{method}: {response}");
    response["result"].clone()
}
