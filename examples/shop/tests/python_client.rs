//! The real `shop` binary, driven over Streamable HTTP by the **official MCP
//! Python SDK client** (`mcp` 2.3.0, through `tests/py/mcp_client_driver.py`),
//! in both protocol eras: the `initialize` handshake (legacy) and stateless
//! 2026-07-28 (`server/discover`, per-request `_meta`).
//!
//! Each test starts the shop as a child process over a fresh SQLite file in a
//! temp dir, on `127.0.0.1:0` (it prints the address it bound, which is
//! parsed), with two bearer keys: `hub` (any tenant, as the platform's hub)
//! and `acme-only` (bound to `acme`). Like the hub, the client puts
//! `tenantId` into every call's arguments. The session calls the eight tools
//! with seed data, the three error kinds, and checks that the two demo
//! tenants never see each other's records; a second run with the bound key
//! checks that it cannot act for `globex`.
//!
//! The SDK checks every result against the negotiated revision's schema and
//! structured results against the tool's `outputSchema`, so a slot that
//! parsed at all is already evidence; the assertions then pin the values.
//!
//! Two more sessions run against a real OpenID provider on loopback
//! (`scripts/oidc-provider.sh`): the shop trusts its tokens
//! (`MCP_OAUTH_ISSUER`, `MCP_OAUTH_AUDIENCE`, `MCP_OAUTH_TENANT_CLAIM`), and the
//! SDK client sends a client-credentials token as its bearer: one with both
//! scopes (all nine tools, a write, bound to `acme`), one with `shop:read`
//! (six tools listed).
//!
//! Needs python >= 3.10 (the first test runs `scripts/py-venv.sh`, which
//! creates `.tools/venv` once). Without python3 the tests print `SKIPPED:
//! python3 not found` and pass, unless `CI` is set, in which case they fail.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use mcp_runtime::Registry;
use mcp_tests::py_sdk::{DriverRun, Mode, run_driver, venv_python};
use serde_json::{Value, json};

/// The secret of the hub's key, which may act for any tenant.
const HUB_SECRET: &str = "hub-7c1e94a05bd2f36e81a9c04d2b5f";
/// The secret of a key bound to `acme`.
const ACME_SECRET: &str = "acme-3f8b0d6a92e1c47b5d0e8a13f6c";
const _: () = assert!(HUB_SECRET.len() == 32 && ACME_SECRET.len() == 32);
/// How long the shop may take to print its address and answer `/healthz`.
const STARTUP_DEADLINE: Duration = Duration::from_secs(30);

// ------------------------------------------------------------ the shop process

/// The shop binary running as a child process; killed (and its temp dir
/// removed) on drop, also when a test panics.
struct ShopProcess {
    child: Child,
    dir: PathBuf,
    /// Everything the shop wrote to stderr so far.
    log: Arc<Mutex<String>>,
    /// `http://127.0.0.1:<port>/mcp`.
    url: String,
}

impl ShopProcess {
    /// Start the shop over a new database with the bearer keys `keys`
    /// (`MCP_API_KEYS` syntax); return once `/healthz` answers.
    fn start(keys: &str) -> ShopProcess {
        ShopProcess::start_with(keys, "127.0.0.1:0", &[])
    }

    /// [`ShopProcess::start`] on `addr`, with more environment `env`.
    fn start_with(keys: &str, addr: &str, env: &[(&str, &str)]) -> ShopProcess {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "shop-py-client-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the temp dir");
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_shop"))
            .arg("--db")
            .arg(dir.join("shop.db"))
            .env("MCP_ADDR", addr)
            .env("MCP_API_KEYS", keys)
            .env("MCP_LOG", "info")
            .env_remove("MCP_API_KEYS_FILE")
            .env_remove("MCP_OAUTH_ISSUER")
            .env_remove("MCP_OAUTH_AUDIENCE")
            .env_remove("MCP_OAUTH_TENANT_CLAIM")
            .env_remove("MCP_OAUTH_JWKS_URL")
            .envs(env.iter().copied())
            .env_remove("RUST_LOG")
            .env_remove("SHOP_DB")
            .env_remove("SHOP_DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the shop binary");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (url_tx, url_rx) = mpsc::channel();
        {
            // Keep draining stderr for the life of the process, so the shop
            // never blocks on a full pipe; hand over the URL it announces.
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(url) = line.split("serving MCP (Streamable HTTP) at ").nth(1) {
                        let _ = url_tx.send(url.trim().to_owned());
                    }
                    let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let mut shop = ShopProcess {
            child,
            dir,
            log,
            url: String::new(),
        };
        shop.url = loop {
            match url_rx.recv_timeout(Duration::from_millis(50)) {
                Ok(url) => break url,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("the shop closed stderr without announcing its address")
                }
            }
            if let Some(status) = shop.child.try_wait().expect("poll the shop") {
                panic!("the shop exited at start ({status})");
            }
            assert!(
                started.elapsed() < STARTUP_DEADLINE,
                "the shop announced no address within {STARTUP_DEADLINE:?}"
            );
        };
        let addr = shop
            .url
            .strip_prefix("http://")
            .and_then(|a| a.strip_suffix("/mcp"))
            .unwrap_or_else(|| panic!("unexpected MCP URL `{}`", shop.url))
            .to_owned();
        loop {
            if let Some(response) = http_get(&addr, "/healthz") {
                assert!(response.starts_with("HTTP/1.1 200"), "/healthz: {response}");
                assert!(
                    response.ends_with(r#"{"status":"ok"}"#),
                    "/healthz: {response}"
                );
                break;
            }
            assert!(
                started.elapsed() < STARTUP_DEADLINE,
                "/healthz did not answer within {STARTUP_DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!(
            "shop up at {} in {} ms",
            shop.url,
            started.elapsed().as_millis()
        );
        shop
    }

    /// Whether it still answers `/healthz`.
    fn is_serving(&self) -> bool {
        let addr = self
            .url
            .trim_start_matches("http://")
            .trim_end_matches("/mcp");
        http_get(addr, "/healthz").is_some_and(|r| r.starts_with("HTTP/1.1 200"))
    }

    fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for ShopProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- the shop's stderr:\n{}", self.log());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A plain HTTP/1.1 GET; `None` while nothing answers.
fn http_get(addr: &str, path: &str) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&addr.parse().ok()?, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    s.read_to_string(&mut response).ok()?;
    Some(response)
}

// --------------------------------------------------------------- the sessions

/// Driver arguments for the shop at `url`, authenticated with `secret`.
fn args(url: &str, secret: &str, mode: Mode) -> Vec<String> {
    [
        "--transport",
        "http",
        "--url",
        url,
        "--header",
        &format!("Authorization: Bearer {secret}"),
        "--mode",
        mode.flag(),
        // Results as sent: no SDK defaults filled in.
        "--exclude-unset",
        "--timeout",
        "20",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// A script: labelled steps, so that results are looked up by name, and
/// the labels of the steps expected to end in a JSON-RPC error.
#[derive(Default)]
struct Script(Vec<(&'static str, Value)>, Vec<&'static str>);

impl Script {
    /// Any step of the driver (`readResource`, `complete`, ...).
    fn step(&mut self, label: &'static str, step: Value) -> &mut Self {
        assert!(
            self.0.iter().all(|(l, _)| *l != label),
            "duplicate label {label}"
        );
        self.0.push((label, step));
        self
    }

    /// A step whose answer is a JSON-RPC error (its slot's `error`).
    fn failing(&mut self, label: &'static str, step: Value) -> &mut Self {
        self.1.push(label);
        self.step(label, step)
    }

    fn list(&mut self, label: &'static str) -> &mut Self {
        self.0.push((label, json!({ "op": "list" })));
        self
    }

    /// A `tools/call` with `tenantId` injected into the arguments, as the
    /// platform's hub does (`None`: no tenant).
    fn call(
        &mut self,
        label: &'static str,
        tenant: Option<&str>,
        tool: &str,
        mut arguments: Value,
    ) -> &mut Self {
        if let Some(t) = tenant {
            arguments["tenantId"] = json!(t);
        }
        assert!(
            self.0.iter().all(|(l, _)| *l != label),
            "duplicate label {label}"
        );
        self.0.push((
            label,
            json!({ "op": "call", "name": tool, "arguments": arguments }),
        ));
        self
    }

    fn steps(&self) -> Value {
        Value::Array(self.0.iter().map(|(_, s)| s.clone()).collect())
    }

    fn ops(&self) -> Vec<&str> {
        self.0
            .iter()
            .map(|(_, s)| s["op"].as_str().expect("op"))
            .collect()
    }

    /// Run it, and check what every run must satisfy.
    fn run(&self, shop: &ShopProcess, secret: &str, mode: Mode, python: &Path) -> Session {
        let run: DriverRun = run_driver(python, &args(&shop.url, secret, mode), &self.steps());
        let doc = run.json();
        eprintln!(
            "{mode:?}: {} steps in {} ms of python",
            self.0.len(),
            run.elapsed.as_millis()
        );
        assert!(
            run.stderr.trim().is_empty(),
            "the driver warned:\n{}",
            run.stderr
        );
        check_handshake(&doc, mode);
        check_http(&doc, mode, &self.ops());
        let results = doc["results"].as_array().expect("results");
        assert_eq!(results.len(), self.0.len(), "one slot per step: {doc}");
        let slots = self
            .0
            .iter()
            .zip(results)
            .map(|((label, step), slot)| {
                assert_eq!(slot["op"], step["op"], "{label}: {slot}");
                assert!(
                    slot.get("exception").is_none(),
                    "{label} failed in the SDK client: {slot}"
                );
                if self.1.contains(label) {
                    assert!(slot.get("error").is_some(), "{label} should fail: {slot}");
                    return (*label, slot["error"].clone());
                }
                assert!(slot.get("error").is_none(), "{label} failed: {slot}");
                if mode == Mode::Stateless && slot["op"] != "call" {
                    assert_eq!(slot["result"]["resultType"], "complete", "{label}: {slot}");
                }
                if slot["op"] == "call" {
                    assert_eq!(slot["progress"], json!([]), "{label}");
                    assert_eq!(slot["logs"], json!([]), "{label}");
                    if mode == Mode::Stateless {
                        let r = &slot["result"];
                        assert_eq!(r["resultType"], "complete", "{label}: {r}");
                        assert_eq!(
                            r["_meta"]["io.modelcontextprotocol/serverInfo"],
                            server_info(),
                            "{label}"
                        );
                    }
                }
                (*label, slot["result"].clone())
            })
            .collect();
        Session { slots }
    }
}

/// The results of a run, by label.
struct Session {
    slots: HashMap<&'static str, Value>,
}

impl Session {
    fn result(&self, label: &str) -> &Value {
        self.slots
            .get(label)
            .unwrap_or_else(|| panic!("no step {label}"))
    }

    /// A successful call's structured result, checked to equal its text.
    fn ok(&self, label: &str) -> &Value {
        let r = self.result(label);
        assert!(
            r.get("isError").is_none_or(|e| e == false),
            "{label} failed: {r}"
        );
        let structured = r
            .get("structuredContent")
            .unwrap_or_else(|| panic!("{label}: no structuredContent: {r}"));
        let text: Value = serde_json::from_str(only_text(r, label)).expect("the text is JSON");
        assert_eq!(
            text, *structured,
            "{label}: text and structured result agree"
        );
        structured
    }

    /// A tool error of `kind` (`{"error":{"type":kind,"message":..}}` as the
    /// text, `isError`, nothing structured); returns the message.
    fn tool_error(&self, label: &str, kind: &str) -> String {
        let r = self.result(label);
        assert_eq!(r["isError"], true, "{label}: {r}");
        assert!(r.get("structuredContent").is_none(), "{label}: {r}");
        let err: Value = serde_json::from_str(only_text(r, label)).expect("error text is JSON");
        assert_eq!(err["error"]["type"], kind, "{label}: {err}");
        let fields: Vec<&String> = err["error"]
            .as_object()
            .expect("error object")
            .keys()
            .collect();
        assert!(
            fields
                .iter()
                .all(|f| ["type", "message", "details"].contains(&f.as_str())),
            "{label}: {err}"
        );
        err["error"]["message"]
            .as_str()
            .expect("message")
            .to_owned()
    }
}

/// The text of a call result's only content block.
fn only_text<'r>(result: &'r Value, label: &str) -> &'r str {
    let content = result["content"].as_array().expect("content is an array");
    assert_eq!(content.len(), 1, "{label}: one content block: {result}");
    assert_eq!(content[0]["type"], "text", "{label}: {result}");
    content[0]["text"].as_str().expect("text block has text")
}

fn server_info() -> Value {
    json!({ "name": "shop", "title": "Demo Shop", "version": env!("CARGO_PKG_VERSION") })
}

fn check_handshake(doc: &Value, mode: Mode) {
    assert_eq!(doc["protocolVersion"], mode.protocol_version(), "{doc}");
    assert_eq!(doc["serverInfo"], server_info());
    assert_eq!(doc["instructions"], shop::INSTRUCTIONS);
    // 2026-07-28 adds the extensions of `server/discover`: tasks, for
    // `export_invoices`.
    let mut capabilities = json!({
        "completions": {},
        "logging": {},
        "prompts": { "listChanged": false },
        "resources": { "listChanged": false },
        "tools": { "listChanged": false }
    });
    if mode.protocol_version() == "2026-07-28" {
        capabilities["extensions"] = json!({ "io.modelcontextprotocol/tasks": {} });
    }
    assert_eq!(doc["serverCapabilities"], capabilities);
    match mode {
        Mode::Legacy => assert_eq!(doc["handshake"]["protocolVersion"], "2025-11-25"),
        Mode::Stateless => {
            assert_eq!(doc["handshake"]["supportedVersions"][0], "2026-07-28");
            assert_eq!(doc["handshake"]["resultType"], "complete");
        }
    }
    assert!(doc.get("connectLogs").is_none(), "{doc}");
}

/// Every HTTP exchange, in order: one per request, all plain JSON (nothing
/// to stream: no progress, no logs), none refused.
fn check_http(doc: &Value, mode: Mode, ops: &[&str]) {
    let got: Vec<(u64, &str, &str)> = doc["http"]
        .as_array()
        .expect("http exchanges")
        .iter()
        .map(|x| {
            (
                x["status"].as_u64().expect("status"),
                x["contentType"]
                    .as_str()
                    .unwrap_or("")
                    .split(';')
                    .next()
                    .unwrap_or(""),
                x["mcpMethod"].as_str().unwrap_or(""),
            )
        })
        .collect();
    const JSON: &str = "application/json";
    let method = |op: &str| match op {
        "list" => "tools/list",
        "call" => "tools/call",
        "listResources" => "resources/list",
        "listResourceTemplates" => "resources/templates/list",
        "readResource" => "resources/read",
        "listPrompts" => "prompts/list",
        "getPrompt" => "prompts/get",
        "complete" => "completion/complete",
        other => panic!("no method for {other}"),
    };
    let expected: Vec<(u64, &str, &str)> = match mode {
        Mode::Legacy => [(200, JSON, ""), (202, "", "")]
            .into_iter()
            .chain(ops.iter().map(|_| (200, JSON, "")))
            .collect(),
        Mode::Stateless => std::iter::once((200, JSON, "server/discover"))
            .chain(ops.iter().map(|op| (200, JSON, method(op))))
            .collect(),
    };
    assert_eq!(got, expected, "HTTP (status, content type, Mcp-Method)");
}

fn money(amount: &str, currency: &str) -> Value {
    json!({ "amount": amount, "currency": currency })
}

fn ids<'v>(list: &'v Value, key: &str) -> Vec<&'v str> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|v| v[key].as_str().expect("id is a string"))
        .collect()
}

// ------------------------------------------------------ the hub's session

/// The session of the hub's key: every tool, the error kinds, isolation.
fn hub_script() -> Script {
    let (acme, globex) = (Some("acme"), Some("globex"));
    let quote = |customer: &str, items: Value| json!({ "customerId": customer, "items": items, "idempotencyKey": "py-quote-0001" });
    let mug_return = |order: &str, key: &str| {
        json!({
            "orderNumber": order,
            "items": [{ "productId": "PRD-1008", "quantity": 1, "reason": "damaged" }],
            "idempotencyKey": key
        })
    };
    let mut s = Script::default();
    s.list("list")
        // The eight tools, with seed data.
        .call("get_order", acme, "get_order", json!({ "orderNumber": "ORD-10001" }))
        .call("get_order/globex", globex, "get_order", json!({ "orderNumber": "ORD-20003" }))
        .call("search_products", acme, "search_products", json!({ "query": "tent" }))
        .call(
            "create_quote",
            acme,
            "create_quote",
            quote(
                "CUS-1001",
                json!([{ "productId": "PRD-1001", "quantity": 2 }, { "productId": "PRD-1009", "quantity": 1 }]),
            ),
        )
        .call(
            "create_quote/retry",
            acme,
            "create_quote",
            quote(
                "CUS-1001",
                json!([{ "productId": "PRD-1001", "quantity": 2 }, { "productId": "PRD-1009", "quantity": 1 }]),
            ),
        )
        .call(
            "check_inventory",
            acme,
            "check_inventory",
            json!({ "productIds": ["PRD-1001", "PRD-1005"] }),
        )
        .call(
            "get_customer",
            acme,
            "get_customer",
            json!({ "customerId": "CUS-1001", "includeHistory": true }),
        )
        .call("list_invoices", acme, "list_invoices", json!({}))
        .call("submit_return", acme, "submit_return", mug_return("ORD-10001", "py-return-0001"))
        .call(
            "get_shipping_status",
            acme,
            "get_shipping_status",
            json!({ "trackingNumber": "1ZA4E5790312345671" }),
        )
        .call(
            "get_shipping_status/globex",
            globex,
            "get_shipping_status",
            json!({ "trackingNumber": "794612345678" }),
        )
        // The three error kinds.
        .call("malformed", acme, "get_order", json!({ "orderNumber": "ORD-1" }))
        .call("unknown", acme, "get_order", json!({ "orderNumber": "ORD-99999" }))
        .call("other tenant's", acme, "get_order", json!({ "orderNumber": "ORD-20001" }))
        .call("no tenant", None, "get_order", json!({ "orderNumber": "ORD-10001" }))
        // Tenant isolation: the same questions, different answers.
        .call("acme products", acme, "search_products", json!({ "query": "*", "pageSize": 100 }))
        .call("globex products", globex, "search_products", json!({ "query": "*", "pageSize": 100 }))
        .call("globex tent", globex, "search_products", json!({ "query": "tent" }))
        .call("acme invoices", acme, "list_invoices", json!({ "pageSize": 100 }))
        .call("globex invoices", globex, "list_invoices", json!({ "pageSize": 100 }))
        // ... and the other tenant's identifiers refused, by every kind of tool.
        .call("globex: acme customer", globex, "get_customer", json!({ "customerId": "CUS-1001" }))
        .call(
            "globex: acme product",
            globex,
            "check_inventory",
            json!({ "productIds": ["PRD-1001"] }),
        )
        .call(
            "globex: acme parcel",
            globex,
            "get_shipping_status",
            json!({ "trackingNumber": "1ZA4E5790312345671" }),
        )
        .call(
            "acme: globex customer's invoices",
            acme,
            "list_invoices",
            json!({ "customerId": "CUS-2001" }),
        )
        .call(
            "globex: quote for acme customer",
            globex,
            "create_quote",
            quote("CUS-1001", json!([{ "productId": "PRD-2008", "quantity": 1 }])),
        )
        .call("acme: return of globex order", acme, "submit_return", mug_return("ORD-20001", "py-return-0002"))
        // globex's own quote with acme's idempotency key: keys are per tenant,
        // and the refused quote above wrote nothing (else this is QUO-000003).
        .call(
            "globex quote",
            globex,
            "create_quote",
            quote("CUS-2002", json!([{ "productId": "PRD-2008", "quantity": 3 }])),
        );
    s
}

fn check_hub_session(s: &Session) {
    // tools/list as the SDK parsed it: exactly what the shop publishes.
    let tools = s.result("list")["tools"].as_array().expect("tools");
    let names: Vec<&str> = tools
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "check_inventory",
            "create_quote",
            "export_invoices",
            "get_customer",
            "get_order",
            "get_shipping_status",
            "list_invoices",
            "search_products",
            "submit_return"
        ]
    );
    let published: Vec<Value> = Registry::from_inventory()
        .expect("the shop's tools are valid")
        .tools()
        .iter()
        .map(|t| t.definition().clone())
        .collect();
    assert_eq!(*tools, published, "tools as the client parsed them");
    for t in tools {
        let props = t["inputSchema"]["properties"]
            .as_object()
            .expect("properties");
        assert!(
            !props.contains_key("tenantId"),
            "tenantId is injected, not published: {}",
            t["name"]
        );
    }

    // get_order
    assert_eq!(
        *s.ok("get_order"),
        json!({
            "orderNumber": "ORD-10001",
            "customerId": "CUS-1001",
            "status": "delivered",
            "placedAt": "2026-10-28T09:14:00Z",
            "items": [
                { "productId": "PRD-1001", "name": "Trailblazer 2 Tent", "quantity": 1,
                  "unitPrice": money("249.00", "EUR"), "lineTotal": money("249.00", "EUR") },
                { "productId": "PRD-1008", "name": "Titanium Camping Mug", "quantity": 2,
                  "unitPrice": money("24.50", "EUR"), "lineTotal": money("49.00", "EUR") }
            ],
            "subtotal": money("298.00", "EUR"),
            "shippingCost": money("4.90", "EUR"),
            "tax": money("57.55", "EUR"),
            "total": money("360.45", "EUR"),
            "shippingAddress": {
                "name": "Anna Schmidt", "line1": "Kastanienallee 21", "line2": null,
                "city": "Berlin", "postalCode": "10435", "region": null, "country": "DE"
            },
            "estimatedDelivery": "2026-10-31",
            "trackingNumber": "1ZA4E5790312345671",
            "carrier": "UPS"
        })
    );
    let order = s.ok("get_order/globex");
    assert_eq!(order["orderNumber"], "ORD-20003");
    assert_eq!(order["status"], "pending");
    assert_eq!(order["customerId"], "CUS-2003");
    assert_eq!(order["total"]["currency"], "USD");
    assert_eq!(order["shippingAddress"]["name"], "Lakeside Dental Group");
    // Not shipped yet: null, not missing.
    assert_eq!(order["trackingNumber"], Value::Null);
    assert_eq!(order["carrier"], Value::Null);

    // search_products
    let found = s.ok("search_products");
    assert_eq!(
        ids(&found["products"], "productId"),
        ["PRD-1002", "PRD-1001"]
    );
    assert_eq!(
        found["pagination"],
        json!({ "page": 1, "pageSize": 20, "totalItems": 2, "totalPages": 1 })
    );
    assert_eq!(
        found["products"][1],
        json!({
            "productId": "PRD-1001",
            "name": "Trailblazer 2 Tent",
            "description": "Two-person, three-season backpacking tent; 1.9 kg, aluminium poles, two vestibules.",
            "category": "Tents",
            "price": money("249.00", "EUR"),
            "availableQuantity": 18,
            "inStock": true
        })
    );

    // create_quote: gold tier, 5 % off 537.95 = 26.90; 19 % VAT on 511.05 = 97.10.
    let q = s.ok("create_quote");
    assert_eq!(q["quoteNumber"], "QUO-000001");
    assert_eq!(q["customerId"], "CUS-1001");
    assert_eq!(q["status"], "open");
    assert_eq!(
        q["lines"],
        json!([
            { "productId": "PRD-1001", "name": "Trailblazer 2 Tent", "quantity": 2,
              "unitPrice": money("249.00", "EUR"), "lineTotal": money("498.00", "EUR") },
            { "productId": "PRD-1009", "name": "Headlamp 400", "quantity": 1,
              "unitPrice": money("39.95", "EUR"), "lineTotal": money("39.95", "EUR") }
        ])
    );
    assert_eq!(q["subtotal"], money("537.95", "EUR"));
    assert_eq!(q["discount"], money("26.90", "EUR"));
    assert_eq!(q["tax"], money("97.10", "EUR"));
    assert_eq!(q["total"], money("608.15", "EUR"));
    let created = q["createdAt"].as_str().expect("createdAt");
    assert!(created.len() == 20 && created.ends_with('Z'), "{created}");
    // The retry with the same idempotency key: the same quote, not a new one.
    assert_eq!(s.ok("create_quote/retry"), q);

    // check_inventory
    assert_eq!(
        *s.ok("check_inventory"),
        json!({ "products": [
            { "productId": "PRD-1001", "name": "Trailblazer 2 Tent", "totalAvailable": 18, "warehouses": [
                { "warehouseId": "WH-BER", "name": "Berlin Central", "city": "Berlin", "onHand": 14, "reserved": 2, "available": 12 },
                { "warehouseId": "WH-HAM", "name": "Hamburg Port", "city": "Hamburg", "onHand": 6, "reserved": 0, "available": 6 }
            ]},
            { "productId": "PRD-1005", "name": "Ridge Hiking Boots", "totalAvailable": 6, "warehouses": [
                { "warehouseId": "WH-BER", "name": "Berlin Central", "city": "Berlin", "onHand": 0, "reserved": 0, "available": 0 },
                { "warehouseId": "WH-HAM", "name": "Hamburg Port", "city": "Hamburg", "onHand": 7, "reserved": 1, "available": 6 }
            ]}
        ]})
    );

    // get_customer, with the order history (acme orders only, newest first).
    let c = s.ok("get_customer");
    assert_eq!(c["customerId"], "CUS-1001");
    assert_eq!(c["name"], "Anna Schmidt");
    assert_eq!(c["email"], "anna.schmidt@example.com");
    assert_eq!(c["tier"], "gold");
    assert_eq!(c["company"], Value::Null);
    assert_eq!(c["orderCount"], 2);
    assert_eq!(c["lifetimeValue"], money("626.83", "EUR"));
    assert_eq!(c["openBalance"], money("266.38", "EUR"));
    assert_eq!(
        ids(&c["orderHistory"], "orderNumber"),
        ["ORD-10002", "ORD-10001"]
    );
    assert_eq!(c["orderHistory"][1]["total"], money("360.45", "EUR"));

    // list_invoices
    let inv = s.ok("list_invoices");
    let statuses: Vec<(&str, &str)> = inv["invoices"]
        .as_array()
        .expect("invoices")
        .iter()
        .map(|i| {
            (
                i["invoiceNumber"].as_str().expect("number"),
                i["status"].as_str().expect("status"),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("INV-10004", "draft"),
            ("INV-10002", "open"),
            ("INV-10005", "void"),
            ("INV-10001", "paid"),
            ("INV-10003", "overdue")
        ]
    );
    assert_eq!(
        inv["invoices"][3],
        json!({
            "invoiceNumber": "INV-10001", "customerId": "CUS-1001", "orderNumber": "ORD-10001",
            "status": "paid", "issuedOn": "2026-10-28", "dueOn": "2026-11-27", "paidOn": "2026-10-28",
            "total": money("360.45", "EUR"), "amountDue": money("0.00", "EUR")
        })
    );
    assert_eq!(inv["invoices"][4]["amountDue"], money("2396.66", "EUR"));
    assert_eq!(
        inv["pagination"],
        json!({ "page": 1, "pageSize": 20, "totalItems": 5, "totalPages": 1 })
    );

    // submit_return
    let rma = s.ok("submit_return");
    let number = rma["rmaNumber"].as_str().expect("rmaNumber");
    assert!(
        number.len() == 10
            && number.starts_with("RMA-")
            && number[4..].bytes().all(|b| b.is_ascii_digit()),
        "RMA-NNNNNN: {number}"
    );
    assert_eq!(number, "RMA-000001");
    assert_eq!(rma["orderNumber"], "ORD-10001");
    assert_eq!(rma["status"], "authorized");
    assert_eq!(
        rma["items"],
        json!([{ "productId": "PRD-1008", "name": "Titanium Camping Mug", "quantity": 1,
                 "reason": "damaged", "refundAmount": money("24.50", "EUR") }])
    );
    assert_eq!(rma["refundTotal"], money("24.50", "EUR"));
    assert!(
        rma["returnAddress"]
            .as_str()
            .expect("returnAddress")
            .contains("13407 Berlin"),
        "{rma}"
    );

    // get_shipping_status
    let ship = s.ok("get_shipping_status");
    assert_eq!(ship["trackingNumber"], "1ZA4E5790312345671");
    assert_eq!(ship["orderNumber"], "ORD-10001");
    assert_eq!(ship["carrier"], "UPS");
    assert_eq!(ship["service"], "UPS Standard");
    assert_eq!(ship["status"], "delivered");
    assert_eq!(ship["deliveredAt"], "2026-10-31T13:21:00Z");
    let events = ship["events"].as_array().expect("events");
    assert_eq!(events.len(), 5);
    assert_eq!(events[0]["status"], "delivered", "newest first");
    assert_eq!(events[4]["status"], "label_created");
    let ship = s.ok("get_shipping_status/globex");
    assert_eq!(ship["orderNumber"], "ORD-20001");
    assert_eq!(ship["carrier"], "FedEx");
    assert_eq!(ship["service"], "FedEx 2Day");
    assert_eq!(ship["status"], "delivered");

    // The three error kinds.
    let m = s.tool_error("malformed", "validation_error");
    assert!(
        m.contains("orderNumber") && m.contains(r"^ORD-\d{5}$"),
        "{m}"
    );
    // Rejected by the published inputSchema, with the failing field named.
    let err: Value = serde_json::from_str(only_text(s.result("malformed"), "malformed"))
        .expect("error text is JSON");
    assert_eq!(
        err["error"]["details"]["errors"][0]["path"], "orderNumber",
        "{err}"
    );
    let m = s.tool_error("unknown", "not_found");
    assert!(m.contains("ORD-99999"), "{m}");
    let m = s.tool_error("other tenant's", "permission_denied");
    assert!(m.contains("another tenant"), "{m}");
    assert!(
        !m.contains("Garcia") && !m.contains("CUS-2001"),
        "leaks nothing: {m}"
    );
    // Without the injected tenant, no tool answers.
    let m = s.tool_error("no tenant", "validation_error");
    assert!(m.contains("tenantId"), "{m}");

    // Tenant isolation.
    let acme_products = ids(&s.ok("acme products")["products"], "productId");
    let globex_products = ids(&s.ok("globex products")["products"], "productId");
    assert_eq!(acme_products.len(), 10, "{acme_products:?}");
    assert_eq!(globex_products.len(), 9, "{globex_products:?}");
    assert!(
        acme_products.iter().all(|p| p.starts_with("PRD-1")),
        "{acme_products:?}"
    );
    assert!(
        globex_products.iter().all(|p| p.starts_with("PRD-2")),
        "{globex_products:?}"
    );
    let tent = s.ok("globex tent");
    assert_eq!(tent["products"], json!([]), "acme's tents are not globex's");
    assert_eq!(tent["pagination"]["totalItems"], 0);

    let acme_invoices = s.ok("acme invoices");
    assert_eq!(
        ids(&acme_invoices["invoices"], "invoiceNumber"),
        [
            "INV-10004",
            "INV-10002",
            "INV-10005",
            "INV-10001",
            "INV-10003"
        ]
    );
    let customers = ids(&acme_invoices["invoices"], "customerId");
    assert!(
        customers
            .iter()
            .all(|c| ["CUS-1001", "CUS-1002", "CUS-1003"].contains(c)),
        "{customers:?}"
    );
    let globex_invoices = s.ok("globex invoices");
    assert_eq!(
        ids(&globex_invoices["invoices"], "invoiceNumber").len(),
        4,
        "{globex_invoices}"
    );
    assert!(
        ids(&globex_invoices["invoices"], "invoiceNumber")
            .iter()
            .all(|n| n.starts_with("INV-2")),
        "{globex_invoices}"
    );
    assert!(
        ids(&globex_invoices["invoices"], "customerId")
            .iter()
            .all(|c| c.starts_with("CUS-2")),
        "{globex_invoices}"
    );
    assert!(
        globex_invoices["invoices"]
            .as_array()
            .expect("invoices")
            .iter()
            .all(|i| i["total"]["currency"] == "USD"),
        "{globex_invoices}"
    );

    for label in [
        "globex: acme customer",
        "globex: acme product",
        "globex: acme parcel",
        "acme: globex customer's invoices",
        "globex: quote for acme customer",
        "acme: return of globex order",
    ] {
        s.tool_error(label, "permission_denied");
    }
    let q = s.ok("globex quote");
    assert_eq!(q["quoteNumber"], "QUO-000002");
    assert_eq!(q["customerId"], "CUS-2002");
    assert_eq!(q["subtotal"], money("149.97", "USD"));
    assert_eq!(q["tax"], money("12.37", "USD"));
    assert_eq!(q["total"], money("162.34", "USD"));
}

// ------------------------------------------------------ the bound key's session

fn bound_script() -> Script {
    let mut s = Script::default();
    s.list("list")
        .call(
            "acme",
            Some("acme"),
            "get_order",
            json!({ "orderNumber": "ORD-10001" }),
        )
        .call(
            "globex",
            Some("globex"),
            "get_order",
            json!({ "orderNumber": "ORD-20001" }),
        )
        .call(
            "globex search",
            Some("globex"),
            "search_products",
            json!({ "query": "*" }),
        )
        .call(
            "no tenant",
            None,
            "get_order",
            json!({ "orderNumber": "ORD-10001" }),
        );
    s
}

fn check_bound_session(s: &Session) {
    assert_eq!(s.result("list")["tools"].as_array().map(Vec::len), Some(9));
    let order = s.ok("acme");
    assert_eq!(order["orderNumber"], "ORD-10001");
    assert_eq!(order["status"], "delivered");
    let m = s.tool_error("globex", "permission_denied");
    assert!(m.contains("may not act for tenant `globex`"), "{m}");
    let m = s.tool_error("globex search", "permission_denied");
    assert!(m.contains("may not act for tenant `globex`"), "{m}");
    let m = s.tool_error("no tenant", "permission_denied");
    assert!(m.contains("tenantId"), "{m}");
}

// --------------------------------------------------- sessions with a token

fn agent_script() -> Script {
    let mut s = Script::default();
    s.list("list")
        .call(
            "acme",
            Some("acme"),
            "get_order",
            json!({ "orderNumber": "ORD-10001" }),
        )
        .call(
            "quote",
            Some("acme"),
            "create_quote",
            json!({
                "customerId": "CUS-1002",
                "items": [{ "productId": "PRD-1004", "quantity": 1 }],
                "idempotencyKey": "py-oauth-quote-1"
            }),
        )
        .call(
            "globex",
            Some("globex"),
            "get_order",
            json!({ "orderNumber": "ORD-20001" }),
        );
    s
}

fn check_agent_session(s: &Session) {
    assert_eq!(s.result("list")["tools"].as_array().map(Vec::len), Some(9));
    assert_eq!(s.ok("acme")["orderNumber"], "ORD-10001");
    assert_eq!(s.ok("quote")["status"], "open");
    assert_eq!(
        s.tool_error("globex", "permission_denied"),
        "this access token may not act for tenant `globex`"
    );
}

fn reader_script() -> Script {
    let mut s = Script::default();
    s.list("list").call(
        "acme",
        Some("acme"),
        "get_order",
        json!({ "orderNumber": "ORD-10001" }),
    );
    s
}

fn check_reader_session(s: &Session) {
    let tools = s.result("list")["tools"].as_array().expect("tools").clone();
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(
        names.len(),
        7,
        "only the tools `shop:read` may call: {names:?}"
    );
    assert!(!names.contains(&"create_quote") && !names.contains(&"submit_return"));
    assert_eq!(s.ok("acme")["orderNumber"], "ORD-10001");
}

/// The shop trusting a real OpenID provider on loopback; the SDK client
/// sends the provider's client-credentials tokens as its bearer.
fn token_session(mode: Mode) {
    let Some(python) = venv_python() else { return };
    let Some(provider) = mcp_tests::oidc::Provider::start() else {
        return;
    };
    // The resource URI must be known before the shop binds: a free port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let resource = format!("http://{addr}/mcp");
    let shop = ShopProcess::start_with(
        &format!("hub:{HUB_SECRET}"),
        &addr,
        &[
            ("MCP_OAUTH_ISSUER", &provider.issuer),
            ("MCP_OAUTH_AUDIENCE", &resource),
            ("MCP_OAUTH_TENANT_CLAIM", "tenant"),
        ],
    );
    assert_eq!(shop.url, resource);
    let agent = provider.token("acme-agent", "shop:read orders:write", &resource);
    check_agent_session(&agent_script().run(&shop, &agent, mode, python));
    let reader = provider.token("acme-reader", "shop:read", &resource);
    check_reader_session(&reader_script().run(&shop, &reader, mode, python));
    let log = shop.log();
    assert!(
        !log.contains(&agent) && !log.contains(&reader),
        "a token in the log:\n{log}"
    );
}

// -------------------------------- resources, prompts, completion (bound key)

/// What a key bound to `acme` reads: its reads act for acme, whatever URI
/// it asks for.
fn served_script() -> Script {
    let product = json!({ "type": "ref/resource", "uri": "shop://products/{productId}" });
    let prompt = json!({ "type": "ref/prompt", "name": "draft_order_reply" });
    let complete = |reference: &Value, name: &str, value: &str| json!({ "op": "complete", "ref": reference, "argument": { "name": name, "value": value } });
    let mut s = Script::default();
    s.step("resources", json!({ "op": "listResources" }))
        .step("templates", json!({ "op": "listResourceTemplates" }))
        .step("prompts", json!({ "op": "listPrompts" }))
        .step("returns", json!({ "op": "readResource", "uri": "shop://policies/returns" }))
        .step("product", json!({ "op": "readResource", "uri": "shop://products/PRD-1008" }))
        .step("image", json!({ "op": "readResource", "uri": "shop://products/PRD-1001/image" }))
        .failing("globex product", json!({ "op": "readResource", "uri": "shop://products/PRD-2001" }))
        .step(
            "reply",
            json!({ "op": "getPrompt", "name": "draft_order_reply", "arguments": { "orderNumber": "ORD-10001", "tone": "formal" } }),
        )
        .failing(
            "globex reply",
            json!({ "op": "getPrompt", "name": "draft_order_reply", "arguments": { "orderNumber": "ORD-20001" } }),
        )
        .step("complete product", complete(&product, "productId", "PRD-100"))
        .step("complete globex product", complete(&product, "productId", "PRD-2"))
        .step("complete order", complete(&prompt, "orderNumber", "ORD-1000"))
        .step("complete tone", complete(&prompt, "tone", "f"));
    s
}

fn check_served_session(s: &Session) {
    assert_eq!(
        ids(&s.result("resources")["resources"], "uri"),
        ["shop://policies/returns", "shop://policies/shipping"]
    );
    assert_eq!(
        ids(&s.result("templates")["resourceTemplates"], "uriTemplate"),
        [
            "shop://orders/{orderNumber}",
            "shop://products/{productId}",
            "shop://products/{productId}/image"
        ]
    );
    let prompts = &s.result("prompts")["prompts"];
    assert_eq!(ids(prompts, "name"), ["draft_order_reply"]);
    assert_eq!(
        prompts[0]["arguments"],
        json!([
            { "name": "orderNumber", "description": "The order the customer asks about, e.g. `ORD-10001`.", "required": true },
            { "name": "tone", "description": "`formal`, `friendly` (default) or `apologetic`.", "required": false }
        ])
    );
    let returns = &s.result("returns")["contents"][0];
    assert_eq!(returns["mimeType"], "text/markdown");
    let text = returns["text"].as_str().expect("text");
    assert!(text.starts_with("# Returns policy\n"), "{text}");
    assert!(
        text.contains("Lagerstraße 12, 13407 Berlin"),
        "acme's address: {text}"
    );
    let product = &s.result("product")["contents"][0];
    let product: Value = serde_json::from_str(product["text"].as_str().expect("text")).unwrap();
    assert_eq!(
        (&product["productId"], &product["name"], &product["price"]),
        (
            &json!("PRD-1008"),
            &json!("Titanium Camping Mug"),
            &money("24.50", "EUR")
        )
    );
    let image = &s.result("image")["contents"][0];
    assert_eq!(image["mimeType"], "image/png");
    assert!(
        image["blob"]
            .as_str()
            .expect("blob")
            .starts_with("iVBORw0KGgo"),
        "{image}"
    );
    let e = s.result("globex product");
    assert_eq!(
        (&e["code"], &e["message"]),
        (
            &json!(-32602),
            &json!("resource not found: shop://products/PRD-2001")
        )
    );
    let reply = &s.result("reply");
    assert_eq!(reply["description"], "A formal reply about order ORD-10001");
    let embedded = &reply["messages"][0]["content"]["resource"];
    assert_eq!(embedded["uri"], "shop://orders/ORD-10001");
    let order: Value = serde_json::from_str(embedded["text"].as_str().expect("text")).unwrap();
    assert_eq!(
        (&order["orderNumber"], &order["status"]),
        (&json!("ORD-10001"), &json!("delivered"))
    );
    let e = s.result("globex reply");
    assert_eq!(
        (&e["code"], &e["message"]),
        (&json!(-32602), &json!("order ORD-20001 not found"))
    );
    let values = |label: &str| s.result(label)["completion"]["values"].clone();
    assert_eq!(
        values("complete product"),
        json!([
            "PRD-1001", "PRD-1002", "PRD-1003", "PRD-1004", "PRD-1005", "PRD-1006", "PRD-1007",
            "PRD-1008", "PRD-1009"
        ])
    );
    assert_eq!(
        values("complete globex product"),
        json!([]),
        "no globex id reaches acme"
    );
    assert_eq!(
        values("complete order"),
        json!([
            "ORD-10001",
            "ORD-10002",
            "ORD-10003",
            "ORD-10004",
            "ORD-10005"
        ])
    );
    assert_eq!(values("complete tone"), json!(["formal", "friendly"]));
    assert_eq!(s.result("complete tone")["completion"]["total"], 2);
}

// ------------------------------------------------------------------ the tests

fn session(mode: Mode) {
    let Some(python) = venv_python() else { return };
    let started = Instant::now();
    let shop = ShopProcess::start(&format!("hub:{HUB_SECRET},acme-only:{ACME_SECRET}:acme"));
    check_hub_session(&hub_script().run(&shop, HUB_SECRET, mode, python));
    check_bound_session(&bound_script().run(&shop, ACME_SECRET, mode, python));
    check_served_session(&served_script().run(&shop, ACME_SECRET, mode, python));
    // Still up, and no secret reached the log.
    assert!(shop.is_serving(), "the shop exited:\n{}", shop.log());
    let log = shop.log();
    assert!(log.contains("tools=9"), "{log}");
    assert!(
        !log.contains(HUB_SECRET) && !log.contains(ACME_SECRET),
        "a secret in the log:\n{log}"
    );
    eprintln!("{mode:?}: done in {} ms", started.elapsed().as_millis());
}

#[test]
fn legacy_session_over_http() {
    session(Mode::Legacy);
}

#[test]
fn stateless_2026_session_over_http() {
    session(Mode::Stateless);
}

#[test]
fn legacy_session_with_an_access_token() {
    token_session(Mode::Legacy);
}

#[test]
fn stateless_2026_session_with_an_access_token() {
    token_session(Mode::Stateless);
}

// ------------------------------------------- submit_return asks the customer

/// The SDK client with an elicitation callback answers `submit_return`'s
/// confirmation: accepted, the return is in the database; declined, nothing is.
fn confirmation_session(mode: Mode) {
    let Some(python) = venv_python() else { return };
    let shop = ShopProcess::start(&format!("hub:{HUB_SECRET}"));
    let mug_return = |key: &str| {
        json!({
            "orderNumber": "ORD-10001",
            "items": [{ "productId": "PRD-1008", "quantity": 1, "reason": "damaged" }],
            "idempotencyKey": key
        })
    };
    let mut s = Script::default();
    s.call(
        "accepted",
        Some("acme"),
        "submit_return",
        mug_return("py-confirm-accept"),
    )
    .call(
        "declined",
        Some("acme"),
        "submit_return",
        mug_return("py-confirm-decline"),
    );
    let mut driver_args = args(&shop.url, HUB_SECRET, mode);
    driver_args.push("--elicit-answers".into());
    driver_args.push(
        json!([{ "action": "accept", "content": { "confirm": true } }, { "action": "decline" }])
            .to_string(),
    );
    let run = run_driver(python, &driver_args, &s.steps());
    let doc = run.json();
    assert!(
        run.stderr.trim().is_empty(),
        "the driver warned:\n{}",
        run.stderr
    );
    check_handshake(&doc, mode);
    let results = doc["results"].as_array().expect("results");
    let question = json!([{
        "mode": "form",
        "message": "Submit a return of 1 unit(s) from order ORD-10001?",
        "requestedSchema": {
            "type": "object",
            "properties": { "confirm": { "type": "boolean", "description": "Tick to submit the return." } },
            "required": ["confirm"]
        }
    }]);
    for slot in results {
        assert_eq!(slot["elicitations"], question, "{slot}");
        assert_eq!(
            slot["result"]["resultType"],
            mode_result_type(mode),
            "{slot}"
        );
    }
    let accepted = &results[0]["result"];
    assert_eq!(accepted["isError"], Value::Null, "{accepted}");
    assert_eq!(accepted["structuredContent"]["orderNumber"], "ORD-10001");
    let declined = &results[1]["result"];
    assert_eq!(declined["isError"], true, "{declined}");
    assert!(
        only_text(declined, "declined").contains("did not confirm"),
        "{declined}"
    );
    // The database, read directly: one return with its line for the accepted
    // key, nothing for the declined one.
    let db = rusqlite::Connection::open(shop.dir.join("shop.db")).expect("open the shop's db");
    let rows = |key: &str| -> (i64, i64) {
        db.query_row(
            "SELECT COUNT(DISTINCT returns.id), COUNT(return_items.return_id) FROM returns \
             LEFT JOIN return_items ON return_items.return_id = returns.id \
             WHERE idempotency_key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("query the returns")
    };
    assert_eq!(rows("py-confirm-accept"), (1, 1));
    assert_eq!(rows("py-confirm-decline"), (0, 0));
}

/// `resultType` as the SDK reports a final result in `mode` (`--exclude-unset`).
fn mode_result_type(mode: Mode) -> Value {
    match mode {
        Mode::Legacy => Value::Null,
        Mode::Stateless => json!("complete"),
    }
}

#[test]
fn legacy_submit_return_confirmation_with_the_sdk_client() {
    confirmation_session(Mode::Legacy);
}

#[test]
fn stateless_2026_submit_return_confirmation_with_the_sdk_client() {
    confirmation_session(Mode::Stateless);
}
