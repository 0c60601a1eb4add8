//! Soak test: a mixed, faulty load for a configurable time against the shop
//! example (data checks) and the fault server (panicking, slow and failing
//! tools), both as real processes over real HTTP; then the checks.
//!
//! ```text
//! cargo build --release -p shop -p mcp-tests --bins
//! target/release/soak --seconds 300
//! ```
//!
//! Options: `--seconds N` (default 300), `--warmup N` seconds before the RSS
//! baseline is taken (default 30, at most a third of the run), `--workers N`
//! concurrent clients (default 8), `--pause-ms N` between a worker's requests
//! (default 2), `--rss-bound-mib N` (default 30), `--shop PATH` and
//! `--fault-server PATH` (default: beside this binary), `--report FILE` (the
//! figures as JSON), `--keep` (keep the temporary directory with the
//! database and both servers' logs).
//!
//! Checks at the end (exit status 1 if any fails):
//! 1. both servers are alive (process running, `/healthz` answers 200);
//! 2. the RSS of each server after warm-up stayed within the bound of its
//!    value at the end of warm-up (peak − baseline ≤ bound);
//! 3. zero wrong-tenant data: every identifier (`ORD-`, `CUS-`, `PRD-`,
//!    `INV-`) and currency in every answer belongs to the calling tenant, and
//!    the echo tool saw exactly the tenant injected;
//! 4. every acknowledged write (quote, return) is in the SQLite database with
//!    the number it was acknowledged with, its lines, for its tenant; no row
//!    exists for a key never sent; idempotent retries returned the same quote;
//!    `PRAGMA integrity_check` is ok;
//! 5. error counts match what was injected: every request got exactly the
//!    answer its kind calls for (no unexpected outcome at all), and the
//!    servers' own per-call log lines count the same outcomes per tool.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcp_tests::{HttpResponse, Post};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ------------------------------------------------------------------ options

struct Options {
    seconds: u64,
    warmup: u64,
    workers: usize,
    pause_ms: u64,
    rss_bound_mib: u64,
    shop: PathBuf,
    fault_server: PathBuf,
    report: Option<PathBuf>,
    keep: bool,
}

fn parse_options() -> Result<Options, String> {
    let here = std::env::current_exe()
        .map_err(|e| e.to_string())?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut o = Options {
        seconds: 300,
        warmup: 30,
        workers: 8,
        pause_ms: 2,
        rss_bound_mib: 30,
        shop: here.join("shop"),
        fault_server: here.join("fault-server"),
        report: None,
        keep: false,
    };
    let mut args = std::env::args().skip(1);
    let mut warmup_set = false;
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
        let num = |v: String| v.parse::<u64>().map_err(|e| format!("{v}: {e}"));
        match a.as_str() {
            "--seconds" => o.seconds = num(value()?)?,
            "--warmup" => {
                o.warmup = num(value()?)?;
                warmup_set = true;
            }
            "--workers" => o.workers = num(value()?)? as usize,
            "--pause-ms" => o.pause_ms = num(value()?)?,
            "--rss-bound-mib" => o.rss_bound_mib = num(value()?)?,
            "--shop" => o.shop = value()?.into(),
            "--fault-server" => o.fault_server = value()?.into(),
            "--report" => o.report = Some(value()?.into()),
            "--keep" => o.keep = true,
            "-h" | "--help" => {
                return Err("usage: soak [--seconds N] [--warmup N] [--workers N] [--pause-ms N] \
                     [--rss-bound-mib N] [--shop PATH] [--fault-server PATH] [--report FILE] [--keep]"
                    .into());
            }
            other => return Err(format!("unknown option {other} (try --help)")),
        }
    }
    if !warmup_set {
        o.warmup = o.warmup.min(o.seconds / 3);
    }
    o.workers = o.workers.max(1);
    Ok(o)
}

// ------------------------------------------------------------------ servers

const ACME_SECRET: &str = "soak-acme-secret-0123456789abcdef";
const GLOBEX_SECRET: &str = "soak-globex-secret-0123456789abcd";
const OPS_SECRET: &str = "soak-ops-secret-0123456789abcdefg";
const FAULT_SECRET: &str = "soak-fault-secret-0123456789abcde";
const FAULT_TIMEOUT_MS: u64 = 1000;

struct Proc {
    name: &'static str,
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Proc {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
}

fn spawn(
    name: &'static str,
    bin: &Path,
    args: &[&str],
    env: &[(&str, String)],
    dir: &Path,
) -> Result<Proc, String> {
    if !bin.exists() {
        return Err(format!(
            "{} not found: build it first (cargo build --release -p shop -p mcp-tests --bins) or pass its path",
            bin.display()
        ));
    }
    let addr = free_addr();
    let log = dir.join(format!("{name}.log"));
    let file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env("MCP_ADDR", addr.to_string())
        .env("MCP_LOG", "info")
        .env_remove("MCP_API_KEYS_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(file);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().map_err(|e| format!("{}: {e}", bin.display()))?;
    Ok(Proc {
        name,
        child,
        addr,
        log,
    })
}

async fn healthz(addr: SocketAddr) -> bool {
    let req = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    matches!(mcp_tests::try_raw_request(addr, req.as_bytes()).await, Ok(r) if r.status == 200)
}

async fn wait_healthy(p: &mut Proc) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if !p.running() {
            return Err(format!(
                "{} exited at start; see {}",
                p.name,
                p.log.display()
            ));
        }
        if healthz(p.addr).await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{} did not become healthy in 30 s", p.name))
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

// ------------------------------------------------------------------ tenants

struct Tenant {
    name: &'static str,
    /// The digit after the dash of this tenant's identifiers (`ORD-1…`).
    digit: char,
    currency: &'static str,
    secret: &'static str,
    customers: &'static [&'static str],
    products: &'static [&'static str],
    orders: &'static [&'static str],
    /// Delivered orders and their (product, units) lines: what can be returned.
    returnable: &'static [(&'static str, &'static [(&'static str, u32)])],
}

const TENANTS: [Tenant; 2] = [
    Tenant {
        name: "acme",
        digit: '1',
        currency: "EUR",
        secret: ACME_SECRET,
        customers: &["CUS-1001", "CUS-1002", "CUS-1003"],
        products: &[
            "PRD-1001", "PRD-1002", "PRD-1003", "PRD-1004", "PRD-1005", "PRD-1006", "PRD-1007",
            "PRD-1008", "PRD-1009", "PRD-1010",
        ],
        orders: &[
            "ORD-10001",
            "ORD-10002",
            "ORD-10003",
            "ORD-10004",
            "ORD-10005",
        ],
        returnable: &[
            ("ORD-10001", &[("PRD-1001", 1), ("PRD-1008", 2)]),
            ("ORD-10004", &[("PRD-1002", 2), ("PRD-1007", 4)]),
        ],
    },
    Tenant {
        name: "globex",
        digit: '2',
        currency: "USD",
        secret: GLOBEX_SECRET,
        customers: &["CUS-2001", "CUS-2002", "CUS-2003"],
        products: &[
            "PRD-2001", "PRD-2002", "PRD-2003", "PRD-2004", "PRD-2005", "PRD-2006", "PRD-2007",
            "PRD-2008", "PRD-2009",
        ],
        orders: &["ORD-20001", "ORD-20002", "ORD-20003", "ORD-20004"],
        returnable: &[
            ("ORD-20001", &[("PRD-2001", 1), ("PRD-2008", 1)]),
            ("ORD-20004", &[("PRD-2005", 1)]),
        ],
    },
];

/// Every identifier and currency in `v` belongs to `t`; else a description.
fn foreign_data(t: &Tenant, v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            let (prefix, rest) = s.split_once('-')?;
            if matches!(prefix, "ORD" | "CUS" | "PRD" | "INV")
                && rest.bytes().all(|b| b.is_ascii_digit())
                && !rest.starts_with(t.digit)
            {
                return Some(format!("{s} in an answer for {}", t.name));
            }
            None
        }
        Value::Array(items) => items.iter().find_map(|i| foreign_data(t, i)),
        Value::Object(m) => m.iter().find_map(|(k, v)| {
            if k == "currency" && v.as_str() != Some(t.currency) {
                return Some(format!("currency {v} in an answer for {}", t.name));
            }
            foreign_data(t, v)
        }),
        _ => None,
    }
}

// ------------------------------------------------------------------ statistics

#[derive(Default)]
struct OpStats {
    sent: u64,
    expected: u64,
    unexpected: u64,
    examples: Vec<String>,
    latencies_us: Vec<u32>,
}

struct AckQuote {
    tenant: &'static str,
    key: String,
    number: String,
    lines: usize,
}

struct AckReturn {
    tenant: &'static str,
    key: String,
    rma: String,
}

#[derive(Default)]
struct Ledger {
    quotes: Vec<AckQuote>,
    returns: Vec<AckReturn>,
    /// (tenant, key) of every write request sent, answered or not.
    sent_keys: HashSet<(String, String)>,
    /// Writes whose client went away before the answer.
    abandoned: Vec<(String, String)>,
    idempotency_violations: Vec<String>,
    returns_exhausted: u64,
    tool_errors_by_kind: BTreeMap<String, u64>,
}

struct Shared {
    shop: SocketAddr,
    fault: SocketAddr,
    stats: Mutex<BTreeMap<&'static str, OpStats>>,
    ledger: Mutex<Ledger>,
    wrong_tenant: Mutex<Vec<String>>,
    next_id: AtomicU64,
    stop: AtomicBool,
}

impl Shared {
    fn record(&self, op: &'static str, outcome: Result<(), String>, latency: Duration) {
        let mut stats = self.stats.lock().expect("stats");
        let s = stats.entry(op).or_default();
        s.sent += 1;
        match outcome {
            Ok(()) => {
                s.expected += 1;
                s.latencies_us
                    .push(latency.as_micros().min(u128::from(u32::MAX)) as u32);
            }
            Err(e) => {
                s.unexpected += 1;
                if s.examples.len() < 5 {
                    s.examples.push(e);
                }
            }
        }
    }

    fn wrong_tenant(&self, what: String) {
        let mut w = self.wrong_tenant.lock().expect("wrong_tenant");
        if w.len() < 1000 {
            w.push(what);
        }
    }
}

// ------------------------------------------------------------------ requests

/// xorshift64*: a small deterministic generator per worker.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// What a call came back with (the fields are read through `Debug`, in
/// the descriptions of unexpected answers).
#[derive(Debug)]
#[allow(dead_code)]
enum Answer {
    Ok(Value),
    ToolError { kind: String, message: String },
    Rpc { code: i64, message: String },
    Http { status: u16, body: String },
}

fn classify(resp: &HttpResponse) -> Result<Answer, String> {
    if resp.status != 200 {
        return Ok(Answer::Http {
            status: resp.status,
            body: resp.text().chars().take(300).collect(),
        });
    }
    let msg: Value = serde_json::from_slice(&resp.body).map_err(|e| {
        format!(
            "not JSON ({e}): {}",
            resp.text().chars().take(300).collect::<String>()
        )
    })?;
    if let Some(e) = msg.get("error") {
        return Ok(Answer::Rpc {
            code: e["code"].as_i64().unwrap_or(0),
            message: e["message"].as_str().unwrap_or("").to_owned(),
        });
    }
    let result = &msg["result"];
    if result.get("isError") == Some(&Value::Bool(true)) {
        let text = result["content"][0]["text"].as_str().unwrap_or("");
        let body: Value =
            serde_json::from_str(text).map_err(|e| format!("error text not JSON: {e}"))?;
        return Ok(Answer::ToolError {
            kind: body["error"]["type"].as_str().unwrap_or("").to_owned(),
            message: body["error"]["message"].as_str().unwrap_or("").to_owned(),
        });
    }
    if let Some(s) = result.get("structuredContent") {
        return Ok(Answer::Ok(s.clone()));
    }
    Ok(Answer::Ok(result.clone()))
}

/// The body as JSON, `null` if it is not (never panics: workers must not die).
fn json_of(resp: &HttpResponse) -> Value {
    serde_json::from_slice(&resp.body).unwrap_or(Value::Null)
}

fn call_body(id: u64, tool: &str, args: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": { "name": tool, "arguments": args } })
}

impl Shared {
    fn id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    async fn call(
        &self,
        addr: SocketAddr,
        secret: &str,
        tool: &str,
        args: Value,
    ) -> Result<Answer, String> {
        let resp = Post::json(&call_body(self.id(), tool, args))
            .bearer(secret)
            .try_send(addr)
            .await?;
        classify(&resp)
    }

    /// Connect, send the request, and go away after `after` without reading
    /// the answer; with `started`, first wait for the first SSE event (the
    /// tool's progress notification: the call is running).
    async fn abandon(
        &self,
        addr: SocketAddr,
        post: Post,
        after: Duration,
        started: bool,
    ) -> Result<(), String> {
        let mut stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        stream
            .write_all(&post.to_bytes(&addr.to_string()))
            .await
            .map_err(|e| format!("write: {e}"))?;
        if started {
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            while !seen.windows(5).any(|w| w == b"data:") {
                let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
                    .await
                    .map_err(|_| "no progress event within 10 s".to_owned())?
                    .map_err(|e| format!("read: {e}"))?;
                if n == 0 {
                    return Err(format!(
                        "closed before a progress event: {}",
                        String::from_utf8_lossy(&seen)
                    ));
                }
                seen.extend_from_slice(&buf[..n]);
            }
        }
        tokio::time::sleep(after).await;
        drop(stream);
        Ok(())
    }
}

fn expect_tool_error(a: Answer, kind: &str, message: &str) -> Result<(), String> {
    match a {
        Answer::ToolError {
            kind: k,
            message: m,
        } if k == kind && m.starts_with(message) => Ok(()),
        other => Err(format!("expected {kind} \"{message}…\", got {other:?}")),
    }
}

// ------------------------------------------------------------------ operations

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    // shop
    List,
    ReadOrder,
    Search,
    Customer,
    Invoices,
    CrossTenant,
    KeyForOtherTenant,
    NotFound,
    Validation,
    Quote,
    Return,
    ShopInvalidKey,
    ShopDisconnect,
    WriteDisconnect,
    // fault server
    Panic,
    SlowOk,
    SlowTimeout,
    ToolError,
    Echo,
    Alloc,
    SlowDisconnect,
    Malformed,
    FaultNoKey,
}

const MIX: &[(Op, u64)] = &[
    (Op::List, 5),
    (Op::ReadOrder, 12),
    (Op::Search, 8),
    (Op::Customer, 6),
    (Op::Invoices, 6),
    (Op::CrossTenant, 4),
    (Op::KeyForOtherTenant, 3),
    (Op::NotFound, 3),
    (Op::Validation, 3),
    (Op::Quote, 12),
    (Op::Return, 1),
    (Op::ShopInvalidKey, 3),
    (Op::ShopDisconnect, 2),
    (Op::WriteDisconnect, 1),
    (Op::Panic, 4),
    (Op::SlowOk, 3),
    (Op::SlowTimeout, 1),
    (Op::ToolError, 5),
    (Op::Echo, 4),
    (Op::Alloc, 2),
    (Op::SlowDisconnect, 2),
    (Op::Malformed, 3),
    (Op::FaultNoKey, 2),
];

fn op_name(op: Op) -> &'static str {
    match op {
        Op::List => "shop tools/list",
        Op::ReadOrder => "shop get_order",
        Op::Search => "shop search_products",
        Op::Customer => "shop get_customer",
        Op::Invoices => "shop list_invoices",
        Op::CrossTenant => "shop other tenant's order (permission_denied)",
        Op::KeyForOtherTenant => "shop key bound to the other tenant (permission_denied)",
        Op::NotFound => "shop unknown order (not_found)",
        Op::Validation => "shop malformed order number (validation_error)",
        Op::Quote => "shop create_quote",
        Op::Return => "shop submit_return",
        Op::ShopInvalidKey => "shop invalid key (401)",
        Op::ShopDisconnect => "shop client disconnects mid-call",
        Op::WriteDisconnect => "shop client disconnects mid-write",
        Op::Panic => "fault panicking tool (server_error)",
        Op::SlowOk => "fault slow call within the timeout",
        Op::SlowTimeout => "fault slow call past the timeout (server_error)",
        Op::ToolError => "fault tool error of each kind",
        Op::Echo => "fault echo with tenant",
        Op::Alloc => "fault allocate 1-8 MiB",
        Op::SlowDisconnect => "fault client disconnects mid-call (cancelled)",
        Op::Malformed => "fault malformed JSON (400 -32700)",
        Op::FaultNoKey => "fault missing key (401)",
    }
}

async fn run_op(sh: &Shared, rng: &mut Rng, op: Op) -> Result<(), String> {
    let t = &TENANTS[rng.below(2) as usize];
    let other = &TENANTS[if t.name == "acme" { 1 } else { 0 }];
    let shop = sh.shop;
    let fault = sh.fault;
    match op {
        Op::List => {
            let resp = Post::json(&json!({"jsonrpc":"2.0","id":sh.id(),"method":"tools/list"}))
                .bearer(t.secret)
                .try_send(shop)
                .await?;
            let n = json_of(&resp)
                .pointer("/result/tools")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            if resp.status == 200 && n == 8 {
                Ok(())
            } else {
                Err(format!("tools/list: {} with {n} tools", resp.status))
            }
        }
        Op::ReadOrder | Op::Search | Op::Customer | Op::Invoices => {
            let (tool, args) = match op {
                Op::ReadOrder => ("get_order", json!({ "orderNumber": rng.pick(t.orders) })),
                Op::Search => ("search_products", json!({ "query": "*", "pageSize": 100 })),
                Op::Customer => (
                    "get_customer",
                    json!({ "customerId": rng.pick(t.customers), "includeHistory": true }),
                ),
                _ => ("list_invoices", json!({ "pageSize": 100 })),
            };
            let mut args = args;
            args["tenantId"] = json!(t.name);
            match sh.call(shop, t.secret, tool, args).await? {
                Answer::Ok(v) => {
                    if let Some(w) = foreign_data(t, &v) {
                        sh.wrong_tenant(format!("{tool}: {w}"));
                    }
                    Ok(())
                }
                other => Err(format!("{tool}: {other:?}")),
            }
        }
        Op::CrossTenant => {
            let order = rng.pick(other.orders);
            let a = sh
                .call(
                    shop,
                    t.secret,
                    "get_order",
                    json!({ "tenantId": t.name, "orderNumber": order }),
                )
                .await?;
            if let Answer::Ok(v) = &a {
                sh.wrong_tenant(format!("get_order {order} for {} answered {v}", t.name));
            }
            expect_tool_error(
                a,
                "permission_denied",
                &format!("order {order} belongs to another tenant"),
            )
        }
        Op::KeyForOtherTenant => {
            let a = sh
                .call(
                    shop,
                    t.secret,
                    "get_order",
                    json!({ "tenantId": other.name, "orderNumber": rng.pick(other.orders) }),
                )
                .await?;
            if let Answer::Ok(v) = &a {
                sh.wrong_tenant(format!("{}'s key read {}'s order: {v}", t.name, other.name));
            }
            expect_tool_error(
                a,
                "permission_denied",
                &format!("this API key may not act for tenant `{}`", other.name),
            )
        }
        Op::NotFound => {
            let a = sh
                .call(
                    shop,
                    OPS_SECRET,
                    "get_order",
                    json!({ "tenantId": t.name, "orderNumber": "ORD-99999" }),
                )
                .await?;
            expect_tool_error(a, "not_found", "order ORD-99999 does not exist")
        }
        Op::Validation => {
            let a = sh
                .call(
                    shop,
                    t.secret,
                    "get_order",
                    json!({ "tenantId": t.name, "orderNumber": "ORD-1'; --" }),
                )
                .await?;
            expect_tool_error(a, "validation_error", "invalid arguments: `orderNumber`")
        }
        Op::Quote => {
            let key = format!("soak-{}-{:016x}", t.name, rng.next());
            let n = 1 + rng.below(3) as usize;
            let mut products: Vec<&str> = Vec::new();
            while products.len() < n {
                let p = *rng.pick(t.products);
                if !products.contains(&p) {
                    products.push(p);
                }
            }
            let items: Vec<Value> = products
                .iter()
                .map(|p| json!({ "productId": p, "quantity": 1 + rng.below(5) }))
                .collect();
            let args = json!({ "tenantId": t.name, "customerId": rng.pick(t.customers),
                               "items": items, "idempotencyKey": key });
            sh.ledger
                .lock()
                .expect("ledger")
                .sent_keys
                .insert((t.name.to_owned(), key.clone()));
            let number = match sh
                .call(shop, t.secret, "create_quote", args.clone())
                .await?
            {
                Answer::Ok(v) => {
                    if let Some(w) = foreign_data(t, &v) {
                        sh.wrong_tenant(format!("create_quote: {w}"));
                    }
                    let number = v["quoteNumber"].as_str().unwrap_or("").to_owned();
                    sh.ledger.lock().expect("ledger").quotes.push(AckQuote {
                        tenant: t.name,
                        key: key.clone(),
                        number: number.clone(),
                        lines: n,
                    });
                    number
                }
                other => return Err(format!("create_quote: {other:?}")),
            };
            // One in ten is retried with the same key: the same quote comes back.
            if rng.below(10) == 0 {
                match sh.call(shop, t.secret, "create_quote", args).await? {
                    Answer::Ok(v) if v["quoteNumber"] == json!(number) => {}
                    other => sh
                        .ledger
                        .lock()
                        .expect("ledger")
                        .idempotency_violations
                        .push(format!("retry of {key} (quote {number}): {other:?}")),
                }
            }
            Ok(())
        }
        Op::Return => {
            let (order, lines) = rng.pick(t.returnable);
            let (product, _) = rng.pick(lines);
            let key = format!("soak-rma-{}-{:016x}", t.name, rng.next());
            sh.ledger
                .lock()
                .expect("ledger")
                .sent_keys
                .insert((t.name.to_owned(), key.clone()));
            let args = json!({ "tenantId": t.name, "orderNumber": order, "idempotencyKey": key,
                               "items": [{ "productId": product, "quantity": 1, "reason": "damaged" }] });
            match sh.call(shop, t.secret, "submit_return", args).await? {
                Answer::Ok(v) => {
                    if let Some(w) = foreign_data(t, &v) {
                        sh.wrong_tenant(format!("submit_return: {w}"));
                    }
                    sh.ledger.lock().expect("ledger").returns.push(AckReturn {
                        tenant: t.name,
                        key,
                        rma: v["rmaNumber"].as_str().unwrap_or("").to_owned(),
                    });
                    Ok(())
                }
                // Each delivered unit can be returned once: then this is expected.
                Answer::ToolError { kind, message }
                    if kind == "validation_error" && message.contains("exceeds the 0 unit(s)") =>
                {
                    sh.ledger.lock().expect("ledger").returns_exhausted += 1;
                    Ok(())
                }
                other => Err(format!("submit_return: {other:?}")),
            }
        }
        Op::ShopInvalidKey | Op::FaultNoKey => {
            let addr = if op == Op::ShopInvalidKey {
                shop
            } else {
                fault
            };
            let mut post = Post::json(&json!({"jsonrpc":"2.0","id":sh.id(),"method":"tools/list"}));
            if op == Op::ShopInvalidKey {
                post = post.bearer(&format!("wrong-key-{:016x}", rng.next()));
            }
            let resp = post.try_send(addr).await?;
            if resp.status == 401 && resp.header("www-authenticate").is_some() {
                Ok(())
            } else {
                Err(format!("expected 401, got {} {}", resp.status, resp.text()))
            }
        }
        Op::ShopDisconnect => {
            let post = Post::json(&call_body(
                sh.id(),
                "get_customer",
                json!({ "tenantId": t.name, "customerId": rng.pick(t.customers), "includeHistory": true }),
            ))
            .bearer(t.secret);
            sh.abandon(shop, post, Duration::from_millis(rng.below(3)), false)
                .await
        }
        Op::WriteDisconnect => {
            let key = format!("soak-gone-{}-{:016x}", t.name, rng.next());
            sh.ledger
                .lock()
                .expect("ledger")
                .sent_keys
                .insert((t.name.to_owned(), key.clone()));
            let post = Post::json(&call_body(
                sh.id(),
                "create_quote",
                json!({ "tenantId": t.name, "customerId": rng.pick(t.customers),
                        "items": [{ "productId": rng.pick(t.products), "quantity": 1 }],
                        "idempotencyKey": key }),
            ))
            .bearer(t.secret);
            sh.abandon(shop, post, Duration::from_millis(rng.below(3)), false)
                .await?;
            sh.ledger
                .lock()
                .expect("ledger")
                .abandoned
                .push((t.name.to_owned(), key));
            Ok(())
        }
        Op::Panic => {
            let a = sh
                .call(fault, FAULT_SECRET, "fault_panic", json!({}))
                .await?;
            expect_tool_error(a, "server_error", "internal server error")
        }
        Op::SlowOk => {
            let ms = 50 + rng.below(250);
            match sh
                .call(fault, FAULT_SECRET, "fault_sleep", json!({ "ms": ms }))
                .await?
            {
                Answer::Ok(v) if v == json!({ "ms": ms }) => Ok(()),
                other => Err(format!("fault_sleep {ms}: {other:?}")),
            }
        }
        Op::SlowTimeout => {
            let a = sh
                .call(fault, FAULT_SECRET, "fault_sleep", json!({ "ms": 5000 }))
                .await?;
            expect_tool_error(
                a,
                "server_error",
                &format!("the tool call timed out after {FAULT_TIMEOUT_MS} ms"),
            )
        }
        Op::ToolError => {
            let kind = *rng.pick(&[
                "not_found",
                "validation_error",
                "authentication_error",
                "permission_denied",
                "rate_limit",
                "server_error",
            ]);
            *sh.ledger
                .lock()
                .expect("ledger")
                .tool_errors_by_kind
                .entry(kind.to_owned())
                .or_default() += 1;
            let a = sh
                .call(fault, FAULT_SECRET, "fault_error", json!({ "kind": kind }))
                .await?;
            expect_tool_error(a, kind, &format!("injected {kind}"))
        }
        Op::Echo => {
            let text = format!("héllo {} \u{1F600} \"{}\"", t.name, rng.next());
            match sh
                .call(
                    fault,
                    FAULT_SECRET,
                    "fault_echo",
                    json!({ "tenantId": t.name, "text": text }),
                )
                .await?
            {
                Answer::Ok(v) => {
                    if v["tenant"] != json!(t.name) {
                        sh.wrong_tenant(format!("fault_echo for {}: {v}", t.name));
                    }
                    if v["text"] == json!(text) {
                        Ok(())
                    } else {
                        Err(format!("fault_echo: {v}"))
                    }
                }
                other => Err(format!("fault_echo: {other:?}")),
            }
        }
        Op::Alloc => {
            let kib = 1024 + rng.below(7 * 1024);
            match sh
                .call(fault, FAULT_SECRET, "fault_alloc", json!({ "kib": kib }))
                .await?
            {
                Answer::Ok(v) if v == json!({ "bytes": kib * 1024 }) => Ok(()),
                other => Err(format!("fault_alloc: {other:?}")),
            }
        }
        Op::SlowDisconnect => {
            let mut body = call_body(sh.id(), "fault_sleep", json!({ "ms": 3000 }));
            body["params"]["_meta"] = json!({ "progressToken": "soak" });
            let post = Post::json(&body).bearer(FAULT_SECRET);
            sh.abandon(fault, post, Duration::from_millis(rng.below(50)), true)
                .await
        }
        Op::Malformed => {
            let bodies: [&[u8]; 4] = [
                br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"#,
                b"\xff\xfe not json",
                br#"{"jsonrpc":"2.0","id":1,"method":"ping",}"#,
                b"",
            ];
            let resp = Post::new(rng.pick(&bodies).to_vec())
                .bearer(FAULT_SECRET)
                .try_send(fault)
                .await?;
            let code = json_of(&resp)
                .pointer("/error/code")
                .and_then(Value::as_i64);
            if resp.status == 400 && code == Some(-32700) {
                Ok(())
            } else {
                Err(format!("malformed: {} {}", resp.status, resp.text()))
            }
        }
    }
}

async fn worker(sh: Arc<Shared>, seed: u64, pause: Duration) {
    let mut rng = Rng(seed | 1);
    let total: u64 = MIX.iter().map(|(_, w)| w).sum();
    while !sh.stop.load(Ordering::Relaxed) {
        let mut roll = rng.below(total);
        let op = MIX
            .iter()
            .find(|(_, w)| {
                if roll < *w {
                    true
                } else {
                    roll -= w;
                    false
                }
            })
            .map(|(op, _)| *op)
            .expect("a weighted pick");
        let started = Instant::now();
        let outcome = run_op(&sh, &mut rng, op).await;
        sh.record(op_name(op), outcome, started.elapsed());
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
}

// ------------------------------------------------------------------ checks

/// Per (tool, outcome) counts of the `call finished` lines of a server log.
fn log_outcomes(log: &Path) -> BTreeMap<(String, String), u64> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let field = |line: &str, name: &str| -> Option<String> {
        let start = line.find(&format!("{name}="))? + name.len() + 1;
        let rest = &line[start..];
        let v = if let Some(q) = rest.strip_prefix('"') {
            &q[..q.find('"')?]
        } else {
            rest.split([' ', '}', ':']).next()?
        };
        Some(v.to_owned())
    };
    let mut counts = BTreeMap::new();
    for line in text.lines().filter(|l| l.contains("call finished")) {
        if let (Some(tool), Some(outcome)) = (field(line, "tool"), field(line, "outcome")) {
            *counts.entry((tool, outcome)).or_insert(0) += 1;
        }
    }
    counts
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

struct Check {
    name: String,
    ok: bool,
    detail: String,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::process::ExitCode {
    let o = match parse_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    match soak(o).await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("soak: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

async fn soak(o: Options) -> Result<bool, String> {
    let dir = std::env::temp_dir().join(format!("mcp-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let db = dir.join("shop.db");
    let keys = format!("acme:{ACME_SECRET}:acme,globex:{GLOBEX_SECRET}:globex,ops:{OPS_SECRET}");
    let mut shop = spawn(
        "shop",
        &o.shop,
        &["--db", db.to_str().ok_or("temp path not UTF-8")?],
        &[("MCP_API_KEYS", keys)],
        &dir,
    )?;
    let mut fault = spawn(
        "fault-server",
        &o.fault_server,
        &[],
        &[
            ("MCP_API_KEYS", format!("soak:{FAULT_SECRET}")),
            ("FAULT_CALL_TIMEOUT_MS", FAULT_TIMEOUT_MS.to_string()),
        ],
        &dir,
    )?;
    wait_healthy(&mut shop).await?;
    wait_healthy(&mut fault).await?;
    println!(
        "soak: {} s ({} s warm-up), {} workers; shop pid {} at {}, fault-server pid {} at {}; temp dir {}",
        o.seconds,
        o.warmup,
        o.workers,
        shop.pid(),
        shop.addr,
        fault.pid(),
        fault.addr,
        dir.display()
    );

    let sh = Arc::new(Shared {
        shop: shop.addr,
        fault: fault.addr,
        stats: Mutex::new(BTreeMap::new()),
        ledger: Mutex::new(Ledger::default()),
        wrong_tenant: Mutex::new(Vec::new()),
        next_id: AtomicU64::new(1),
        stop: AtomicBool::new(false),
    });
    let rss_start = (rss_kib(shop.pid()), rss_kib(fault.pid()));
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    let mut workers = Vec::new();
    for i in 0..o.workers {
        workers.push(tokio::spawn(worker(
            sh.clone(),
            seed.wrapping_add(0x9E37_79B9_7F4A_7C15u64.wrapping_mul(i as u64 + 1)),
            Duration::from_millis(o.pause_ms),
        )));
    }

    // RSS samples every 2 s: (seconds since start, shop KiB, fault KiB).
    let started = Instant::now();
    let mut samples: Vec<(u64, u64, u64)> = Vec::new();
    let mut baseline: Option<(u64, u64)> = None;
    let mut last_print = 0;
    while started.elapsed() < Duration::from_secs(o.seconds) {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let t = started.elapsed().as_secs();
        let (s, f) = (
            rss_kib(shop.pid()).unwrap_or(0),
            rss_kib(fault.pid()).unwrap_or(0),
        );
        samples.push((t, s, f));
        if baseline.is_none() && t >= o.warmup {
            baseline = Some((s, f));
        }
        if t >= last_print + 30 {
            last_print = t;
            let stats = sh.stats.lock().expect("stats");
            let sent: u64 = stats.values().map(|s| s.sent).sum();
            let bad: u64 = stats.values().map(|s| s.unexpected).sum();
            println!(
                "  t={t:>4}s  requests {sent:>7}  unexpected {bad}  RSS shop {:.1} MiB, fault-server {:.1} MiB",
                s as f64 / 1024.0,
                f as f64 / 1024.0
            );
        }
    }
    sh.stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.await;
    }
    let elapsed = started.elapsed();
    // The last calls cut off by clients (3 s sleeps) finish within the timeout.
    tokio::time::sleep(Duration::from_millis(FAULT_TIMEOUT_MS + 500)).await;
    let rss_end = (
        rss_kib(shop.pid()).unwrap_or(0),
        rss_kib(fault.pid()).unwrap_or(0),
    );
    let baseline = baseline.unwrap_or(rss_end);

    let mut checks: Vec<Check> = Vec::new();
    let mut check = |name: &str, ok: bool, detail: String| {
        checks.push(Check {
            name: name.to_owned(),
            ok,
            detail,
        });
    };

    // 1. Alive.
    let shop_alive = shop.running() && healthz(shop.addr).await;
    let fault_alive = fault.running() && healthz(fault.addr).await;
    check(
        "servers alive",
        shop_alive && fault_alive,
        format!("shop {shop_alive}, fault-server {fault_alive} (process running and /healthz 200)"),
    );

    // 2. RSS.
    let bound = o.rss_bound_mib * 1024;
    let after: Vec<&(u64, u64, u64)> = samples.iter().filter(|s| s.0 >= o.warmup).collect();
    let peak_shop = after
        .iter()
        .map(|s| s.1)
        .max()
        .unwrap_or(rss_end.0)
        .max(rss_end.0);
    let peak_fault = after
        .iter()
        .map(|s| s.2)
        .max()
        .unwrap_or(rss_end.1)
        .max(rss_end.1);
    let growth_shop = peak_shop.saturating_sub(baseline.0);
    let growth_fault = peak_fault.saturating_sub(baseline.1);
    let mib = |k: u64| k as f64 / 1024.0;
    check(
        "RSS growth after warm-up within bound",
        growth_shop <= bound && growth_fault <= bound,
        format!(
            "bound {} MiB; shop start {:.1} / baseline {:.1} / peak {:.1} / end {:.1} MiB (growth {:.1}); \
             fault-server start {:.1} / baseline {:.1} / peak {:.1} / end {:.1} MiB (growth {:.1})",
            o.rss_bound_mib,
            mib(rss_start.0.unwrap_or(0)),
            mib(baseline.0),
            mib(peak_shop),
            mib(rss_end.0),
            mib(growth_shop),
            mib(rss_start.1.unwrap_or(0)),
            mib(baseline.1),
            mib(peak_fault),
            mib(rss_end.1),
            mib(growth_fault)
        ),
    );

    // 3. Tenants.
    let wrong = sh.wrong_tenant.lock().expect("wrong").clone();
    check(
        "zero wrong-tenant data",
        wrong.is_empty(),
        if wrong.is_empty() {
            "every identifier and currency in every answer belonged to the caller's tenant".into()
        } else {
            format!(
                "{} cases, e.g. {:?}",
                wrong.len(),
                &wrong[..wrong.len().min(3)]
            )
        },
    );

    // 4. Writes.
    let ledger = sh.ledger.lock().expect("ledger");
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| format!("open {}: {e}", db.display()))?;
    let mut missing = Vec::new();
    for q in &ledger.quotes {
        let row: Option<(String, i64)> = conn
            .query_row(
                "SELECT q.number, (SELECT COUNT(*) FROM quote_lines l WHERE l.quote_id = q.id)
                 FROM quotes q WHERE q.tenant_id = ?1 AND q.idempotency_key = ?2",
                rusqlite::params![q.tenant, q.key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .ok();
        if row.as_ref() != Some(&(q.number.clone(), q.lines as i64)) {
            missing.push(format!(
                "quote {} ({}, {}): {row:?}",
                q.number, q.tenant, q.key
            ));
        }
    }
    for r in &ledger.returns {
        let row: Option<String> = conn
            .query_row(
                "SELECT rma_number FROM returns WHERE tenant_id = ?1 AND idempotency_key = ?2",
                rusqlite::params![r.tenant, r.key],
                |row| row.get(0),
            )
            .ok();
        if row.as_deref() != Some(r.rma.as_str()) {
            missing.push(format!(
                "return {} ({}, {}): {row:?}",
                r.rma, r.tenant, r.key
            ));
        }
    }
    let mut phantom = Vec::new();
    let mut rows = 0u64;
    for table in ["quotes", "returns"] {
        let mut stmt = conn
            .prepare(&format!("SELECT tenant_id, idempotency_key FROM {table}"))
            .map_err(|e| e.to_string())?;
        let keys = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| e.to_string())?;
        for k in keys {
            let k = k.map_err(|e| e.to_string())?;
            rows += 1;
            if !ledger.sent_keys.contains(&k) {
                phantom.push(format!("{table} {k:?}"));
            }
        }
    }
    let cross: i64 = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM quotes q JOIN customers c ON c.id = q.customer_id
                     WHERE c.tenant_id <> q.tenant_id)
                  + (SELECT COUNT(*) FROM quote_lines l JOIN quotes q ON q.id = l.quote_id
                     JOIN products p ON p.id = l.product_id WHERE p.tenant_id <> q.tenant_id)
                  + (SELECT COUNT(*) FROM returns r JOIN orders o ON o.number = r.order_number
                     WHERE o.tenant_id <> r.tenant_id)",
            [],
            |r| r.get(0),
        )
        .map_err(|e| e.to_string())?;
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    let abandoned_committed = ledger
        .abandoned
        .iter()
        .filter(|(t, k)| {
            conn.query_row(
                "SELECT 1 FROM quotes WHERE tenant_id = ?1 AND idempotency_key = ?2",
                rusqlite::params![t, k],
                |_| Ok(()),
            )
            .is_ok()
        })
        .count();
    check(
        "every acknowledged write is in the database",
        missing.is_empty()
            && phantom.is_empty()
            && cross == 0
            && integrity == "ok"
            && ledger.idempotency_violations.is_empty(),
        format!(
            "{} quotes and {} returns acknowledged, all present with their number and lines: {}; \
             {} write rows, none for a key never sent: {}; rows joining another tenant's records: {cross}; \
             idempotent retries answered differently: {}; {} writes abandoned mid-call, {} of them committed \
             (either is correct); returns refused once every unit was returned: {}; PRAGMA integrity_check: {integrity}",
            ledger.quotes.len(),
            ledger.returns.len(),
            if missing.is_empty() {
                "yes".to_owned()
            } else {
                format!("NO {:?}", &missing[..missing.len().min(3)])
            },
            rows,
            if phantom.is_empty() {
                "yes".to_owned()
            } else {
                format!("NO {:?}", &phantom[..phantom.len().min(3)])
            },
            ledger.idempotency_violations.len(),
            ledger.abandoned.len(),
            abandoned_committed,
            ledger.returns_exhausted
        ),
    );

    // 5. Injected errors == observed, by the client and by the servers' logs.
    let stats = sh.stats.lock().expect("stats");
    let unexpected: u64 = stats.values().map(|s| s.unexpected).sum();
    let sent_of = |op: Op| stats.get(op_name(op)).map_or(0, |s| s.sent);
    let shop_log = log_outcomes(&shop.log);
    let fault_log = log_outcomes(&fault.log);
    let count = |log: &BTreeMap<(String, String), u64>, tool: Option<&str>, outcome: &str| -> u64 {
        log.iter()
            .filter(|((t, o), _)| tool.is_none_or(|x| x == t.as_str()) && o == outcome)
            .map(|(_, n)| n)
            .sum()
    };
    let mut mismatches = Vec::new();
    let mut compare = |what: &str, injected: u64, observed: u64| {
        if injected != observed {
            mismatches.push(format!(
                "{what}: injected {injected}, server logged {observed}"
            ));
        }
    };
    compare(
        "fault_panic server_error",
        sent_of(Op::Panic),
        count(&fault_log, Some("fault_panic"), "server_error"),
    );
    for (kind, n) in &ledger.tool_errors_by_kind {
        compare(
            &format!("fault_error {kind}"),
            *n,
            count(&fault_log, Some("fault_error"), kind),
        );
    }
    compare(
        "fault_sleep ok",
        sent_of(Op::SlowOk),
        count(&fault_log, Some("fault_sleep"), "ok"),
    );
    compare(
        "fault_sleep timeouts",
        sent_of(Op::SlowTimeout),
        count(&fault_log, Some("fault_sleep"), "server_error"),
    );
    compare(
        "fault_sleep cancelled by a client that went away",
        sent_of(Op::SlowDisconnect),
        count(&fault_log, Some("fault_sleep"), "cancelled"),
    );
    compare(
        "shop permission_denied",
        sent_of(Op::CrossTenant) + sent_of(Op::KeyForOtherTenant),
        count(&shop_log, None, "permission_denied"),
    );
    compare(
        "shop not_found",
        sent_of(Op::NotFound),
        count(&shop_log, None, "not_found"),
    );
    compare(
        "shop validation_error",
        sent_of(Op::Validation) + ledger.returns_exhausted,
        count(&shop_log, None, "validation_error"),
    );
    compare(
        "shop server_error",
        0,
        count(&shop_log, None, "server_error"),
    );
    let unexpected_detail: Vec<String> = stats
        .iter()
        .filter(|(_, s)| s.unexpected > 0)
        .map(|(k, s)| format!("{k}: {} unexpected, e.g. {:?}", s.unexpected, s.examples))
        .collect();
    check(
        "error counts match what was injected",
        unexpected == 0 && mismatches.is_empty(),
        format!(
            "unexpected answers: {unexpected} {unexpected_detail:?}; server-log cross-check: {}",
            if mismatches.is_empty() {
                "all equal".to_owned()
            } else {
                mismatches.join("; ")
            }
        ),
    );

    // Report.
    let total: u64 = stats.values().map(|s| s.sent).sum();
    println!(
        "\nsoak: {} requests in {:.0} s ({:.0}/s), {} workers",
        total,
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        o.workers
    );
    println!(
        "{:<58} {:>8} {:>8} {:>6} {:>8} {:>8}",
        "kind", "sent", "expected", "unexp", "p50 ms", "p99 ms"
    );
    let mut kinds = Vec::new();
    for (name, s) in stats.iter() {
        let mut lat = s.latencies_us.clone();
        lat.sort_unstable();
        let (p50, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.99));
        println!(
            "{name:<58} {:>8} {:>8} {:>6} {p50:>8.1} {p99:>8.1}",
            s.sent, s.expected, s.unexpected
        );
        kinds.push(
            json!({ "kind": name, "sent": s.sent, "expected": s.expected,
                           "unexpected": s.unexpected, "p50_ms": p50, "p99_ms": p99,
                           "examples": s.examples }),
        );
    }
    println!();
    let mut all_ok = true;
    for c in &checks {
        all_ok &= c.ok;
        println!(
            "[{}] {}: {}",
            if c.ok { "PASS" } else { "FAIL" },
            c.name,
            c.detail
        );
    }
    if let Some(path) = &o.report {
        let report = json!({
            "seconds": elapsed.as_secs_f64(),
            "warmup_seconds": o.warmup,
            "workers": o.workers,
            "requests": total,
            "kinds": kinds,
            "rss_kib": { "shop": { "start": rss_start.0, "baseline": baseline.0, "peak": peak_shop, "end": rss_end.0 },
                         "fault_server": { "start": rss_start.1, "baseline": baseline.1, "peak": peak_fault, "end": rss_end.1 },
                         "bound_mib": o.rss_bound_mib,
                         "samples": samples },
            "writes": { "quotes_acknowledged": ledger.quotes.len(), "returns_acknowledged": ledger.returns.len(),
                        "returns_exhausted": ledger.returns_exhausted, "abandoned": ledger.abandoned.len(),
                        "abandoned_committed": abandoned_committed, "rows": rows },
            "server_log_outcomes": {
                "shop": shop_log.iter().map(|((t, o), n)| json!([t, o, n])).collect::<Vec<_>>(),
                "fault_server": fault_log.iter().map(|((t, o), n)| json!([t, o, n])).collect::<Vec<_>>(),
            },
            "checks": checks.iter().map(|c| json!({ "name": c.name, "ok": c.ok, "detail": c.detail })).collect::<Vec<_>>(),
            "passed": all_ok,
        });
        std::fs::write(path, serde_json::to_string_pretty(&report).expect("JSON"))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    drop(conn);
    drop(shop);
    drop(fault);
    if o.keep || !all_ok {
        println!("kept {} (database and server logs)", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!("soak: {}", if all_ok { "PASSED" } else { "FAILED" });
    Ok(all_ok)
}
