//! `export_invoices` as a task (the tasks extension of protocol
//! 2026-07-28) over real HTTP and a real SQLite file: run to completion,
//! the CSV checked against the database row by row; cancelled mid-export
//! with its progress seen first; another tenant's key never sees the task.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mcp_runtime::ApiKey;
use mcp_tests::{Post, Revision, TestServer, assert_valid_message, meta_2026};
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use shop::Shop;

const HUB: &str = "shop-export-hub-key-0123456789ab";
const OTHER: &str = "shop-export-other-key-0123456789";
const EXT: &str = "io.modelcontextprotocol/tasks";

struct Served {
    server: TestServer,
    dir: PathBuf,
}

impl Served {
    /// The shop over a new database with `extra` more invoices for acme.
    async fn start(extra: usize) -> Served {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "shop-export-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let shop = Shop::open(dir.join("shop.db"))
            .await
            .expect("the database opens and is seeded");
        {
            let mut conn = Connection::open(dir.join("shop.db")).unwrap();
            let tx = conn.transaction().unwrap();
            for i in 0..extra {
                tx.execute(
                    "INSERT INTO invoices VALUES (?1, 'acme', 'CUS-1001', NULL, 'open',
                     '2026-01-02', '2026-02-01', NULL, ?2, ?2)",
                    params![format!("INV-X{i:07}"), 1000 + i as i64],
                )
                .unwrap();
            }
            tx.commit().unwrap();
        }
        let server = shop::builder(shop)
            .keys_from_env(false)
            .api_key(ApiKey::new("hub", HUB).unwrap())
            .api_key(ApiKey::new("other", OTHER).unwrap())
            .task_poll_interval(Duration::from_millis(50))
            .build()
            .expect("the shop builds");
        Served {
            server: TestServer::start(server).await,
            dir,
        }
    }

    fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    fn invoices(&self, tenant: &str) -> i64 {
        let conn = Connection::open(self.dir.join("shop.db")).unwrap();
        conn.query_row(
            "SELECT COUNT(*) FROM invoices WHERE tenant_id = ?1",
            params![tenant],
            |r| r.get(0),
        )
        .unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A 2026-07-28 request declaring the tasks extension; the message, validated.
async fn request(
    addr: SocketAddr,
    key: &str,
    method: &str,
    name: &str,
    mut params: Value,
) -> Value {
    let mut meta = meta_2026();
    meta["io.modelcontextprotocol/clientCapabilities"] = json!({ "extensions": { EXT: {} } });
    params["_meta"] = meta;
    let body = json!({ "jsonrpc": "2.0", "id": 7, "method": method, "params": params });
    let resp = Post::json(&body)
        .stateless(method, Some(name))
        .bearer(key)
        .send(addr)
        .await;
    let m = resp.json();
    assert_valid_message(Revision::R2026_07_28, &m, None);
    m
}

async fn export(addr: SocketAddr, tenant: &str) -> String {
    let args = json!({ "name": "export_invoices", "arguments": { "tenantId": tenant } });
    let created = request(addr, HUB, "tools/call", "export_invoices", args).await;
    assert_eq!(created["result"]["resultType"], "task", "{created}");
    created["result"]["taskId"].as_str().unwrap().to_owned()
}

async fn get(addr: SocketAddr, key: &str, id: &str) -> Value {
    request(addr, key, "tasks/get", id, json!({ "taskId": id })).await
}

async fn until(addr: SocketAddr, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let t = get(addr, HUB, id).await["result"].clone();
        if done(&t) {
            return t;
        }
        assert!(Instant::now() < deadline, "the task never got there: {t}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_export_runs_as_a_task_and_its_csv_matches_the_database() {
    let served = Served::start(450).await;
    let id = export(served.addr(), "acme").await;
    let done = until(served.addr(), &id, |t| t["status"] == "completed").await;
    let expected = served.invoices("acme");
    assert!(expected > 450);
    let content = &done["result"]["content"];
    assert_eq!(
        content[0]["text"],
        format!("{expected} invoices exported as CSV")
    );
    let csv = content[1]["resource"]["text"].as_str().unwrap();
    assert_eq!(content[1]["resource"]["mimeType"], "text/csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("invoice_number,customer_id,"));
    assert_eq!(
        lines.len() as i64,
        expected + 1,
        "a header and one line per invoice"
    );
    // Only acme's invoices, each once, in order.
    let conn = Connection::open(served.dir.join("shop.db")).unwrap();
    let mut stmt = conn
        .prepare("SELECT number FROM invoices WHERE tenant_id = 'acme' ORDER BY number")
        .unwrap();
    let numbers: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let exported: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(exported, numbers);
    assert!(lines.contains(&"INV-X0000007,CUS-1001,,open,2026-01-02,2026-02-01,,10.07,10.07"));
    // The last progress is on the task.
    assert_eq!(
        done["_meta"]["dev.mcp-runtime/progress"]["progress"],
        json!(expected as f64)
    );
}

#[tokio::test]
async fn a_cancelled_export_stops_and_another_key_never_sees_it() {
    let served = Served::start(200_000).await;
    let id = export(served.addr(), "acme").await;
    let working = until(served.addr(), &id, |t| {
        t["_meta"]["dev.mcp-runtime/progress"]["progress"]
            .as_f64()
            .is_some_and(|p| p > 0.0)
    })
    .await;
    assert_eq!(working["status"], "working", "{working}");
    assert!(
        working["statusMessage"]
            .as_str()
            .unwrap()
            .starts_with("exported ")
    );

    for method in ["tasks/get", "tasks/cancel"] {
        let m = request(served.addr(), OTHER, method, &id, json!({ "taskId": id })).await;
        assert_eq!(m["error"]["code"], -32602, "{method}: {m}");
    }
    assert_eq!(
        get(served.addr(), HUB, &id).await["result"]["status"],
        "working"
    );

    let ack = request(
        served.addr(),
        HUB,
        "tasks/cancel",
        &id,
        json!({ "taskId": id }),
    )
    .await;
    assert_eq!(ack["result"]["resultType"], "complete");
    let cancelled = until(served.addr(), &id, |t| t["status"] != "working").await;
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert!(cancelled.get("result").is_none());
    // It stopped where it was: its progress no longer moves.
    let at = cancelled["_meta"]["dev.mcp-runtime/progress"]["progress"].clone();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let later = get(served.addr(), HUB, &id).await["result"].clone();
    assert_eq!(later["_meta"]["dev.mcp-runtime/progress"]["progress"], at);
    assert!(at.as_f64().unwrap() < served.invoices("acme") as f64);
}

/// `tests/py/tasks_client.py` (the official Python SDK client with a tasks
/// extension built on its `ClientExtension` API) against the shop: its
/// JSON report, or `None` when Python is not available (skipped).
async fn python_tasks_client(addr: SocketAddr, cancel: bool, args: Value) -> Option<Value> {
    let python = mcp_tests::py_sdk::venv_python()?;
    let script = mcp_tests::repo_root().join("tests/py/tasks_client.py");
    let mut cmd = std::process::Command::new(python);
    cmd.arg(script)
        .arg("--url")
        .arg(format!("http://{addr}/mcp"))
        .arg("--header")
        .arg(format!("Authorization: Bearer {HUB}"));
    if cancel {
        cmd.arg("--cancel-after-progress");
    }
    cmd.arg("export_invoices").arg(args.to_string());
    let run =
        tokio::task::spawn_blocking(move || mcp_tests::process::run(cmd, Duration::from_secs(90)))
            .await
            .unwrap();
    run.assert_success("the Python SDK tasks client");
    Some(serde_json::from_str(&run.stdout).expect("one JSON document"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_runs_the_export_task_to_completion_and_to_cancellation() {
    let served = Served::start(200_000).await;
    // To completion (one customer's invoices: quick).
    let Some(done) = python_tasks_client(
        served.addr(),
        false,
        json!({ "tenantId": "acme", "customerId": "CUS-1002" }),
    )
    .await
    else {
        return;
    };
    assert_eq!(done["created"]["resultType"], "task", "{done}");
    assert_eq!(
        done["statuses"].as_array().unwrap().last().unwrap(),
        "completed"
    );
    let conn = Connection::open(served.dir.join("shop.db")).unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM invoices WHERE tenant_id = 'acme' AND customer_id = 'CUS-1002'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        done["result"]["content"][0]["text"],
        format!("{n} invoices exported as CSV")
    );
    let csv = done["result"]["content"][1]["resource"]["text"]
        .as_str()
        .unwrap();
    assert_eq!(csv.lines().count() as i64, n + 1);

    // To cancellation (every acme invoice: long), cancelled once progress shows.
    let cancelled = python_tasks_client(served.addr(), true, json!({ "tenantId": "acme" }))
        .await
        .expect("python ran once already");
    assert_eq!(
        cancelled["cancelAck"]["resultType"], "complete",
        "{cancelled}"
    );
    assert_eq!(cancelled["final"]["status"], "cancelled", "{cancelled}");
    assert!(cancelled["progress"]["progress"].as_f64().unwrap() > 0.0);
    assert_eq!(cancelled["result"]["isError"], true);
}
