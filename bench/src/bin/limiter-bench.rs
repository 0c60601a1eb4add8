//! The cost of a `tools/call` with rate limits counted in Redis against the
//! same call with the limits counted in process (and with none), in process
//! (`Server::client`, no HTTP), one thread.
//!
//! ```text
//! cargo run --release -p mcp-bench --bin limiter-bench -- [--rounds 7] [--calls 2000]
//! ```
//!
//! Starts its own `redis-server` on a free loopback port (`scripts/redis.sh`
//! installs it). Each round runs the three servers back to back (their order
//! rotating every round), `calls` calls each, per-tenant and per-key limits
//! both on (one bucket each, far above the load, so every call is admitted);
//! the figures are medians over the rounds of µs per call.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_bench::median;
use mcp_runtime::state::{RedisState, SharedState};
use mcp_runtime::{Rate, Server};
use serde_json::json;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| {
            v.parse().unwrap_or_else(|_| panic!("{name} N"))
        })
}

fn server(shared: Option<Arc<dyn SharedState>>, limited: bool) -> Server {
    let mut b = Server::builder("limiter-bench", "1.0.0")
        .keys_from_env(false)
        .tools_where(|n| n == "add");
    if limited {
        b = b
            .rate_limit_per_key(Rate::per_second(1_000_000))
            .rate_limit_per_tenant(Rate::per_second(1_000_000));
    }
    if let Some(s) = shared {
        b = b.shared_state(s);
    }
    b.build().expect("the bench server builds")
}

fn main() {
    let rounds = arg("--rounds", 7);
    let calls = arg("--calls", 2000);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut redis = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server (scripts/redis.sh installs it)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let url = format!("redis://127.0.0.1:{port}/");
        let state: Arc<dyn SharedState> = Arc::new(
            RedisState::new(&url, "mcp:limiter-bench:").expect("the URL parses"),
        );
        let servers = [
            ("no limits", server(None, false).client()),
            ("in-process limits", server(None, true).client()),
            ("Redis limits", server(Some(state), true).client()),
        ];
        let key = |c: &mcp_runtime::testing::Client| c.clone().as_key("bench", None);
        let servers: Vec<_> = servers.iter().map(|(n, c)| (*n, key(c))).collect();
        // Warm up (and connect to Redis).
        for (_, c) in &servers {
            for i in 0..200 {
                let r = c.call("add", json!({ "a": i, "b": 1, "tenantId": "acme" })).await;
                assert!(!r.expect("a result").is_error(), "every call is admitted");
            }
        }
        let mut per_call: Vec<Vec<f64>> = vec![Vec::new(); servers.len()];
        for round in 0..rounds {
            for k in 0..servers.len() {
                let i = (k + round) % servers.len();
                let c = &servers[i].1;
                let t = Instant::now();
                for n in 0..calls {
                    let r = c
                        .call("add", json!({ "a": n, "b": 1, "tenantId": "acme" }))
                        .await
                        .expect("a result");
                    assert!(!r.is_error(), "every call is admitted");
                }
                per_call[i].push(t.elapsed().as_secs_f64() * 1e6 / calls as f64);
            }
        }
        println!("# tools/call in process: rate limits in Redis vs in process ({rounds} rounds x {calls} calls, median µs/call)");
        println!("| server | µs/call | vs no limits |\n|---|---:|---:|");
        let base = median(&mut per_call[0].clone());
        for (i, (name, _)) in servers.iter().enumerate() {
            let m = median(&mut per_call[i]);
            println!("| {name} | {m:.2} | {:.2}× |", m / base);
        }
    });
    let _ = redis.kill();
    let _ = redis.wait();
}
