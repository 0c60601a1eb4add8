//! Driving the real `shop` binary with clients written in other languages:
//! the process (`shop.rs`), the Node 22 toolchain with the official MCP
//! Inspector and TypeScript SDK (`node.rs`), and one bounded run of a child
//! process.
//!
//! Used by `js_clients.rs` (the Inspector's portability lint, the TypeScript
//! client) and `readme_clients.rs` (every client snippet of the README).

pub(crate) mod node;
mod shop;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use mcp_tests::{Post, parse_response};
use serde_json::{Value, json};

pub(crate) use node::{node, run_node_script};
pub(crate) use shop::Shop;

/// The shop binary, started with the bearer keys `keys` (see `shop.rs`).
pub(crate) fn start_shop(keys: &str) -> Shop {
    Shop::start(shop_binary(), keys)
}

/// The shop binary, as `cargo build -p shop` leaves it (fresh: under
/// `cargo test --workspace` it was just built, so this is a no-op).
fn shop_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args([
            "build",
            "-p",
            "shop",
            "--bin",
            "shop",
            "--message-format=json",
        ])
        .current_dir(mcp_tests::repo_root());
        let out = run(cmd, Duration::from_secs(600));
        out.assert_success("cargo build -p shop");
        out.stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "shop")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo names the shop executable")
    })
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

/// One finished child process.
#[derive(Debug)]
pub(crate) struct Run {
    /// Exit code (`None`: killed by a signal, or by the deadline).
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// Panic, showing everything it printed, unless it exited with 0.
    pub(crate) fn assert_success(&self, what: &str) {
        assert_eq!(
            self.code,
            Some(0),
            "{what} failed\n--- stderr:\n{}\n--- stdout:\n{}",
            self.stderr,
            self.stdout
        );
    }
}

/// Run `cmd` (stdin closed, output captured) and wait for it; killed, and
/// the test failed, when it runs past `deadline`.
pub(crate) fn run(mut cmd: Command, deadline: Duration) -> Run {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {cmd:?}: {e}"));
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = reader(Box::new(child.stdout.take().expect("piped stdout")));
    let err = reader(Box::new(child.stderr.take().expect("piped stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for the child") {
            break Some(s);
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let run = Run {
        code: status.and_then(|s| s.code()),
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    };
    assert!(
        status.is_some(),
        "{cmd:?} ran past {deadline:?}\n--- stderr:\n{}\n--- stdout:\n{}",
        run.stderr,
        run.stdout
    );
    run
}
