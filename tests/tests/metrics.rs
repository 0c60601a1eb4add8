//! Prometheus metrics, scraped by a real Prometheus (Debian's package,
//! installed by `scripts/prometheus.sh`) after a known sequence of calls:
//! every count exact, the exposition clean under `promtool check metrics`,
//! and nothing on the MCP port.

use std::net::{SocketAddr, TcpListener as StdListener};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mcp_runtime::ApiKey;
use mcp_runtime::prelude::*;
use mcp_tests::{Post, TestServer, raw_request};
use serde_json::{Value, json};

const KEY: &str = "metrics-test-key-0123456789abcd";

/// Arguments of `lookup`.
#[derive(Deserialize, JsonSchema)]
struct LookupArgs {
    /// The SKU, `SKU-` and digits.
    #[schemars(regex(pattern = r"^SKU-\d+$"))]
    sku: String,
}

/// Find a product; `SKU-0` does not exist.
#[mcp_tool(read_only)]
async fn lookup(args: LookupArgs) -> Result<String, McpError> {
    if args.sku == "SKU-0" {
        return Err(McpError::not_found("no such product"));
    }
    Ok(format!("{} found", args.sku))
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn lookup_call(sku: &str) -> Post {
    Post::json(&json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": { "name": "lookup", "arguments": { "sku": sku, "tenantId": "acme" } }
    }))
    .bearer(KEY)
}

/// Whether the Prometheus tools are here; in CI they must be.
fn prometheus_available() -> bool {
    let found = Command::new("promtool")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found && std::env::var_os("CI").is_some() {
        panic!("promtool/prometheus not installed: run scripts/prometheus.sh");
    }
    if !found {
        println!("SKIPPED: prometheus not found (scripts/prometheus.sh installs it)");
    }
    found
}

async fn get(addr: SocketAddr, path: &str) -> mcp_tests::HttpResponse {
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    raw_request(addr, req.as_bytes()).await
}

/// The series lines of the exposition that start with `name{`.
fn series<'t>(text: &'t str, name: &str) -> Vec<&'t str> {
    let prefix = format!("{name}{{");
    text.lines().filter(|l| l.starts_with(&prefix)).collect()
}

/// Runs Prometheus against the metrics listener; killed when dropped.
struct Prometheus {
    child: std::process::Child,
    addr: SocketAddr,
    _dir: tempdir::Dir,
}

mod tempdir {
    /// A fresh directory removed when dropped.
    pub(super) struct Dir(pub(super) std::path::PathBuf);

    impl Dir {
        pub(super) fn new(tag: &str) -> Dir {
            let path =
                std::env::temp_dir().join(format!("{tag}-{}-{}", std::process::id(), rand()));
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }
    }

    fn rand() -> u128 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Prometheus {
    fn start(target: SocketAddr) -> Prometheus {
        let dir = tempdir::Dir::new("mcp-prometheus");
        let config = dir.0.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: mcp\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.0.join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus starts");
        Prometheus {
            child,
            addr,
            _dir: dir,
        }
    }

    /// The value of an instant query with one result, once it is `want`
    /// (Prometheus scrapes every second); fails after 30 s.
    async fn wait_for(&self, query: &str, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut last = Value::Null;
        while Instant::now() < deadline {
            let path = format!("/api/v1/query?query={}", encode(query));
            if let Ok(r) = mcp_tests::try_raw_request(
                self.addr,
                format!(
                    "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                    self.addr
                )
                .as_bytes(),
            )
            .await
                && r.status == 200
            {
                last = r.json();
                if last["data"]["result"][0]["value"][1] == want {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("Prometheus query `{query}` did not reach {want}: last answer {last}");
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Percent-encoding for a query string.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_real_prometheus_scrapes_exact_counts() {
    if !prometheus_available() {
        return;
    }
    let metrics_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let server = Server::builder("metrics-tests", "2.1.0")
        .tools_where(|n| n == "lookup")
        .keys_from_env(false)
        .api_key(ApiKey::new("hub", KEY).unwrap())
        .metrics_addr(metrics_addr.to_string())
        .build()
        .unwrap();
    let server = TestServer::start(server).await;
    let addr = server.addr;
    // The known sequence: 3 ok, 2 validation errors, 1 not_found, 2 lists,
    // 1 refused for a bad key.
    for sku in ["SKU-1", "SKU-2", "SKU-3"] {
        assert_eq!(lookup_call(sku).send(addr).await.status, 200);
    }
    for sku in ["nope", "SKU-x"] {
        assert_eq!(lookup_call(sku).send(addr).await.status, 200);
    }
    assert_eq!(lookup_call("SKU-0").send(addr).await.status, 200);
    for _ in 0..2 {
        let list =
            Post::json(&json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list" })).bearer(KEY);
        assert_eq!(list.send(addr).await.status, 200);
    }
    let bad = lookup_call("SKU-1").header("Authorization", "Bearer wrong-key-0123456789");
    assert_eq!(bad.send(addr).await.status, 401);

    // The exposition itself.
    let r = get(metrics_addr, "/metrics").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = r.text();
    let mut calls = series(&text, "mcp_tool_calls_total");
    calls.retain(|l| !l.ends_with(" 0"));
    calls.sort();
    assert_eq!(
        calls,
        [
            "mcp_tool_calls_total{tool=\"lookup\",outcome=\"not_found\"} 1",
            "mcp_tool_calls_total{tool=\"lookup\",outcome=\"ok\"} 3",
            "mcp_tool_calls_total{tool=\"lookup\",outcome=\"validation_error\"} 2",
        ],
        "{text}"
    );
    let mut requests = series(&text, "mcp_requests_total");
    requests.sort();
    assert_eq!(
        requests,
        [
            "mcp_requests_total{method=\"http\",status=\"401\"} 1",
            "mcp_requests_total{method=\"tools/call\",status=\"200\"} 6",
            "mcp_requests_total{method=\"tools/list\",status=\"200\"} 2",
        ],
        "{text}"
    );
    assert!(
        text.contains("mcp_requests_refused_total{reason=\"auth\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("mcp_tool_call_duration_seconds_count{tool=\"lookup\"} 6"),
        "{text}"
    );
    assert!(text.contains("mcp_tool_calls_in_flight 0"), "{text}");
    assert!(
        text.contains(
            "mcp_build_info{server=\"metrics-tests\",server_version=\"2.1.0\",framework_version=\""
        ),
        "{text}"
    );
    assert!(
        !text.contains("acme"),
        "no tenant label unless asked for: {text}"
    );
    // promtool's lint of the exposition.
    let mut check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    check
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = check.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Not on the MCP port.
    assert_eq!(get(addr, "/metrics").await.status, 404);

    // What a real Prometheus scrapes.
    let prometheus = Prometheus::start(metrics_addr);
    prometheus
        .wait_for(r#"mcp_tool_calls_total{tool="lookup",outcome="ok"}"#, "3")
        .await;
    prometheus
        .wait_for(
            r#"mcp_tool_calls_total{tool="lookup",outcome="validation_error"}"#,
            "2",
        )
        .await;
    prometheus
        .wait_for(
            r#"mcp_requests_total{method="tools/list",status="200"}"#,
            "2",
        )
        .await;
    prometheus
        .wait_for(r#"mcp_requests_refused_total{reason="auth"}"#, "1")
        .await;
    prometheus
        .wait_for(
            r#"mcp_tool_call_duration_seconds_count{tool="lookup"}"#,
            "6",
        )
        .await;
    // One more call shows up in the next scrape.
    assert_eq!(lookup_call("SKU-9").send(addr).await.status, 200);
    prometheus
        .wait_for(r#"mcp_tool_calls_total{tool="lookup",outcome="ok"}"#, "4")
        .await;
}
