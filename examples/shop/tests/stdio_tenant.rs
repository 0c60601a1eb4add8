//! The real `shop` binary over stdio for one tenant (`shop --stdio --tenant
//! acme`, or `MCP_TENANT=acme`), driven by the **official MCP Python SDK
//! stdio client**, as a desktop agent (Claude Desktop) runs it: no hub injects
//! `tenantId` and the agent cannot send one (it is not in the schema), so
//! the process's tenant answers. The calls carry no `tenantId` and get
//! acme's records, exactly; globex's records stay out of reach, also for a
//! call that names `globex`. Without a tenant, the same call is refused.
//!
//! Needs python >= 3.10 (see `python_client.rs`); without python3 the tests
//! print `SKIPPED` and pass, unless `CI` is set.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use mcp_tests::py_sdk::{Mode, run_driver, venv_python};
use serde_json::{Value, json};
use shop::Shop;

/// A fresh database directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "shop-stdio-tenant-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Driver arguments: the shop over stdio on a new database, with `shop_args`
/// after `--stdio` and `env` (`K=V`) for the process.
fn stdio_args(db: &TempDir, shop_args: &[&str], env: &[&str], mode: Mode) -> Vec<String> {
    let mut a: Vec<String> = [
        "--transport",
        "stdio",
        "--command",
        env!("CARGO_BIN_EXE_shop"),
    ]
    .map(str::to_owned)
    .to_vec();
    let db_path = db.0.join("shop.db").display().to_string();
    for arg in ["--db", db_path.as_str(), "--stdio"]
        .iter()
        .chain(shop_args)
    {
        a.extend(["--arg".to_owned(), (*arg).to_owned()]);
    }
    // The SDK passes the server only an allow-list of variables, plus these.
    for kv in ["MCP_LOG=warn"].iter().chain(env) {
        a.extend(["--env".to_owned(), (*kv).to_owned()]);
    }
    a.extend(["--mode", mode.flag(), "--exclude-unset", "--timeout", "20"].map(str::to_owned));
    a
}

fn call(name: &str, arguments: Value) -> Value {
    json!({ "op": "call", "name": name, "arguments": arguments })
}

/// The script: acme's order and customer search, globex's order, and
/// globex's order again naming `tenantId: globex`.
fn script() -> Value {
    json!([
        { "op": "list" },
        call("get_order", json!({ "orderNumber": "ORD-10001" })),
        call("search_products", json!({ "query": "tent" })),
        call("get_order", json!({ "orderNumber": "ORD-20003" })),
        call("get_order", json!({ "orderNumber": "ORD-20003", "tenantId": "globex" })),
        call("get_customer", json!({ "customerId": "CUS-2001", "tenantId": "globex" })),
    ])
}

fn money(amount: &str, currency: &str) -> Value {
    json!({ "amount": amount, "currency": currency })
}

/// The result of slot `i`, checked to be one the SDK accepted.
fn slot(doc: &Value, i: usize) -> &Value {
    let s = &doc["results"][i];
    assert!(
        s.get("error").is_none() && s.get("exception").is_none(),
        "slot {i} failed in the SDK client: {s}"
    );
    &s["result"]
}

/// The typed error of a call result: `(type, message)`.
fn tool_error(result: &Value) -> (String, String) {
    assert_eq!(result["isError"], true, "{result}");
    let text = result["content"][0]["text"].as_str().expect("error text");
    let err: Value = serde_json::from_str(text).expect("error text is JSON");
    (
        err["error"]["type"].as_str().expect("type").to_owned(),
        err["error"]["message"]
            .as_str()
            .expect("message")
            .to_owned(),
    )
}

const OTHER_TENANT: &str = "this server acts for one tenant only, set when it was started; the \
    call's `tenantId` `globex` is not it";

/// The value of `tool` called in process for `acme` over a new database,
/// with `tenantId` injected as the platform's hub does.
fn as_hub_for_acme(tool: &str, arguments: Value) -> Value {
    let db = TempDir::new();
    tokio::runtime::Runtime::new()
        .expect("a runtime")
        .block_on(async {
            let shop = Shop::open(db.0.join("shop.db"))
                .await
                .expect("open the database");
            let server = shop::server(shop).expect("the tools are valid");
            server
                .client()
                .tenant("acme")
                .call_ok(tool, arguments)
                .await
        })
}

fn check_acme_session(doc: &Value) {
    // No tool publishes tenantId: the agent could not send one if it tried.
    for t in slot(doc, 0)["tools"].as_array().expect("tools") {
        assert!(
            t["inputSchema"]["properties"].get("tenantId").is_none(),
            "{t}"
        );
    }
    // Acme's order, exactly as the hub's path (tenantId injected) gives it.
    let order = &slot(doc, 1)["structuredContent"];
    assert_eq!(
        *order,
        as_hub_for_acme("get_order", json!({ "orderNumber": "ORD-10001" }))
    );
    assert_eq!(
        (
            &order["orderNumber"],
            &order["customerId"],
            &order["total"],
            &order["shippingAddress"]["name"]
        ),
        (
            &json!("ORD-10001"),
            &json!("CUS-1001"),
            &money("360.45", "EUR"),
            &json!("Anna Schmidt")
        )
    );
    // Acme's tents only, in EUR.
    let products = &slot(doc, 2)["structuredContent"]["products"];
    let ids: Vec<&str> = products
        .as_array()
        .expect("products")
        .iter()
        .map(|p| p["productId"].as_str().expect("productId"))
        .collect();
    assert_eq!(ids, ["PRD-1002", "PRD-1001"]);
    assert!(
        products
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["price"]["currency"] == "EUR"),
        "{products}"
    );
    // Globex's order: refused as another tenant's, none of its data shown.
    let (kind, message) = tool_error(slot(doc, 3));
    assert_eq!(
        (kind.as_str(), message.as_str()),
        (
            "permission_denied",
            "order ORD-20003 belongs to another tenant; tenant `acme` may not access it"
        )
    );
    // Naming globex does not switch the tenant: refused before any query.
    for i in [4, 5] {
        let (kind, message) = tool_error(slot(doc, i));
        assert_eq!(
            (kind.as_str(), message.as_str()),
            ("permission_denied", OTHER_TENANT),
            "slot {i}"
        );
    }
    let text = doc["results"].to_string();
    for globex in ["CUS-2003", "Maria Garcia", "USD", "Chicago"] {
        assert!(!text.contains(globex), "no globex data ({globex}): {text}");
    }
}

fn acme_session(shop_args: &[&str], env: &[&str]) {
    let Some(python) = venv_python() else { return };
    for mode in [Mode::Legacy, Mode::Stateless] {
        let db = TempDir::new();
        let run = run_driver(python, &stdio_args(&db, shop_args, env, mode), &script());
        let doc = run.json();
        eprintln!("{mode:?}: {} ms of python", run.elapsed.as_millis());
        assert_eq!(doc["protocolVersion"], mode.protocol_version(), "{doc}");
        check_acme_session(&doc);
    }
}

#[test]
fn tenant_flag_scopes_every_call_to_acme() {
    acme_session(&["--tenant", "acme"], &[]);
}

#[test]
fn tenant_variable_scopes_every_call_to_acme() {
    acme_session(&[], &["MCP_TENANT=acme"]);
}

#[test]
fn without_a_tenant_the_call_is_refused() {
    let Some(python) = venv_python() else { return };
    let db = TempDir::new();
    let script = json!([call("get_order", json!({ "orderNumber": "ORD-10001" }))]);
    let doc = run_driver(python, &stdio_args(&db, &[], &[], Mode::Legacy), &script).json();
    let (kind, message) = tool_error(slot(&doc, 0));
    assert_eq!(
        (kind.as_str(), message.as_str()),
        ("validation_error", "tenantId is required for this tool")
    );
}

/// Resources, the prompt and completion over stdio for the process's
/// tenant: the SDK reads acme's product and order, gets the prompt, and
/// completes acme's ids only; globex's product is "not found".
#[test]
fn resources_prompts_and_completion_act_for_the_process_tenant() {
    let Some(python) = venv_python() else { return };
    let product = json!({ "type": "ref/resource", "uri": "shop://products/{productId}" });
    let prompt = json!({ "type": "ref/prompt", "name": "draft_order_reply" });
    let script = json!([
        { "op": "listResourceTemplates" },
        { "op": "readResource", "uri": "shop://products/PRD-1001" },
        { "op": "readResource", "uri": "shop://products/PRD-2001" },
        { "op": "readResource", "uri": "shop://policies/shipping" },
        { "op": "getPrompt", "name": "draft_order_reply", "arguments": { "orderNumber": "ORD-10002", "tone": "apologetic" } },
        { "op": "complete", "ref": product, "argument": { "name": "productId", "value": "" } },
        { "op": "complete", "ref": prompt, "argument": { "name": "orderNumber", "value": "ORD-2" } },
    ]);
    for mode in [Mode::Legacy, Mode::Stateless] {
        let db = TempDir::new();
        let doc = run_driver(
            python,
            &stdio_args(&db, &["--tenant", "acme"], &[], mode),
            &script,
        )
        .json();
        assert_eq!(doc["protocolVersion"], mode.protocol_version(), "{doc}");
        assert_eq!(doc["serverCapabilities"]["completions"], json!({}), "{doc}");
        let templates = &slot(&doc, 0)["resourceTemplates"];
        assert_eq!(templates.as_array().map(Vec::len), Some(3), "{templates}");
        let read = &slot(&doc, 1)["contents"][0];
        let tent: Value = serde_json::from_str(read["text"].as_str().expect("text")).unwrap();
        assert_eq!(
            (&tent["name"], &tent["price"]),
            (&json!("Trailblazer 2 Tent"), &money("249.00", "EUR"))
        );
        let refused = &doc["results"][2]["error"];
        assert_eq!(
            (&refused["code"], &refused["message"]),
            (
                &json!(-32602),
                &json!("resource not found: shop://products/PRD-2001")
            )
        );
        let shipping = slot(&doc, 3)["contents"][0]["text"].as_str().expect("text");
        assert!(
            shipping.contains("- Tax (19 % in EUR) applies to the shipping cost"),
            "{shipping}"
        );
        let reply = slot(&doc, 4);
        assert_eq!(
            reply["description"],
            "An apologetic reply about order ORD-10002"
        );
        assert_eq!(
            reply["messages"][0]["content"]["resource"]["uri"],
            "shop://orders/ORD-10002"
        );
        let ids = &slot(&doc, 5)["completion"];
        assert_eq!(
            ids["values"],
            json!([
                "PRD-1001", "PRD-1002", "PRD-1003", "PRD-1004", "PRD-1005", "PRD-1006", "PRD-1007",
                "PRD-1008", "PRD-1009", "PRD-1010"
            ])
        );
        assert_eq!(
            (&ids["total"], &ids["hasMore"]),
            (&json!(10), &json!(false))
        );
        assert_eq!(
            slot(&doc, 6)["completion"]["values"],
            json!([]),
            "no globex order"
        );
    }
}
