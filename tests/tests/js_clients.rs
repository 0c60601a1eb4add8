//! The real `shop` binary, read by the official Node clients at the versions
//! `scripts/js-clients.sh` pins: the **MCP Inspector** CLI's `--strict`
//! schema portability lint finds nothing in its `tools/list` (0 warnings,
//! 0 errors, in both protocol eras), and the **TypeScript SDK** client lists
//! the tools and calls four of them without printing a single warning (its
//! validator warns about every `format` it does not know) and gets the exact
//! results, each checked by the SDK against the tool's `outputSchema`.
//!
//! A second server, in process, publishes schemas that are not portable on
//! purpose: the Inspector's findings there are exactly what
//! `mcp_runtime::schema_lint` reports for the rules both have.
//!
//! Needs npm once (the first test runs `scripts/js-clients.sh`, which
//! installs Node 22 and the clients into `.tools/js-clients`); without it the
//! tests print `SKIPPED: npm not found` and pass, unless `CI` is set.

mod clients;
#[path = "clients/served.rs"]
mod served;

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use clients::{Run, node, run_node_script, start_shop};
use mcp_runtime::prelude::*;
use mcp_runtime::schema_lint::{Finding, lint_tool};
use mcp_runtime::{ApiKey, Registry};
use mcp_tests::TestServer;
use schemars::{Schema, SchemaGenerator, json_schema};
use serde_json::{Value, json};
use served::{check_served, money};

/// The bearer secret of the key the shop is started with for any tenant.
const SECRET: &str = "js-clients-5d1f8a2c9e7b3046";
/// The bearer secret of a key bound to `acme`.
const ACME_SECRET: &str = "js-clients-acme-0b7e24d9c16a5f38";

/// Run the Inspector CLI's `tools/list --strict` against `url`, with JSON
/// output (`{"result": …, "schemaFindings": …}`) in the protocol `era`.
fn inspector_tools_list(node: &Path, url: &str, era: &str) -> Run {
    let cli = clients::node::tools_dir()
        .join("node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js");
    let mut cmd = clients::node::node_command(node);
    cmd.arg(cli)
        .args(["--cli", url, "--transport", "http", "--header"])
        .arg(format!("Authorization: Bearer {SECRET}"))
        .args(["--method", "tools/list", "--strict", "--format", "json"])
        .args(["--protocol-era", era]);
    clients::run(cmd, Duration::from_secs(90))
}

/// The lines of the Inspector's `--strict` report on stderr.
fn report_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| {
            l.starts_with("Warning:")
                || l.starts_with("Error:")
                || l.contains("Path:")
                || l.contains(" across ")
        })
        .collect()
}

/// `v` with every number as a float: JavaScript reads `300.0` as `300`.
fn numbers_as_floats(v: &Value) -> Value {
    match v {
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        Value::Array(items) => Value::Array(items.iter().map(numbers_as_floats).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), numbers_as_floats(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Assert that a Node client read the tools exactly as published.
fn assert_same_tools(read: &Value, published: &[Value], who: &str) {
    let read = read.as_array().expect("tools");
    assert_eq!(read.len(), published.len(), "{who}");
    for (r, p) in read.iter().zip(published) {
        assert!(
            numbers_as_floats(r) == numbers_as_floats(p),
            "{who} read tool {} differently:\n{r}\npublished:\n{p}",
            p["name"]
        );
    }
}

/// `tools/list` as the shop answers it over plain HTTP (one page: the shop
/// has nine tools).
fn raw_tools_list(addr: SocketAddr) -> Vec<Value> {
    let result = clients::rpc(addr, SECRET, "tools/list", json!({}));
    assert!(result.get("nextCursor").is_none(), "{result}");
    result["tools"].as_array().expect("tools").clone()
}

#[test]
fn the_inspectors_strict_lint_finds_nothing_in_the_shop() {
    let Some(node) = node() else { return };
    let shop = start_shop(&format!("inspector:{SECRET}"));
    let published = raw_tools_list(shop.addr());
    assert_eq!(published.len(), 9);
    for era in ["legacy", "modern"] {
        let run = inspector_tools_list(node, &shop.url, era);
        run.assert_success(&format!("the Inspector ({era})"));
        assert_eq!(
            report_lines(&run.stderr),
            Vec::<&str>::new(),
            "{era}: the Inspector reported schema problems:\n{}",
            run.stderr
        );
        let out: Value = serde_json::from_str(run.stdout.trim()).expect("one JSON document");
        assert!(out.get("schemaFindings").is_none(), "{era}: {out}");
        assert_same_tools(
            &out["result"]["tools"],
            &published,
            &format!("the Inspector ({era})"),
        );
    }
    // Our own rules agree: nothing to report either.
    for tool in &published {
        assert_eq!(lint_tool(tool), [], "{}", tool["name"]);
    }
    let text = Value::Array(published).to_string();
    assert!(
        !text.contains("\"format\":\"uint") && !text.contains("\"format\":\"int"),
        "no non-standard numeric formats"
    );
}

#[test]
fn the_typescript_client_warns_about_nothing_and_gets_every_result() {
    let Some(node) = node() else { return };
    let shop = start_shop(&format!("ts:{SECRET},ts-acme:{ACME_SECRET}:acme"));
    let source = std::fs::read_to_string(mcp_tests::repo_root().join("tests/js/shop_client.mts"))
        .expect("read tests/js/shop_client.mts");
    let run = run_node_script(
        node,
        "shop_client.mts",
        &source,
        &[
            ("MCP_URL", &shop.url),
            ("MCP_KEY", SECRET),
            ("MCP_ACME_KEY", ACME_SECRET),
        ],
    );
    run.assert_success("the TypeScript client");
    // Before the schemas were portable the SDK printed 36 lines here, such
    // as `unknown format "uint32" ignored in schema at path ...`.
    assert_eq!(run.stderr, "", "the TypeScript client printed warnings");
    let out: Value = serde_json::from_str(run.stdout.trim()).expect("one JSON document");
    assert_eq!(
        out["server"],
        json!({ "name": "shop", "title": "Demo Shop", "version": env!("CARGO_PKG_VERSION") })
    );
    assert_same_tools(
        &out["tools"],
        &raw_tools_list(shop.addr()),
        "the TypeScript SDK",
    );
    let results = &out["results"];
    let structured = |name: &str| {
        let r = &results[name];
        assert!(r.get("isError").is_none(), "{name}: {r}");
        let text: Value = serde_json::from_str(r["content"][0]["text"].as_str().expect("text"))
            .expect("the text is JSON");
        assert_eq!(
            text, r["structuredContent"],
            "{name}: text and structured agree"
        );
        r["structuredContent"].clone()
    };

    let order = structured("getOrder");
    assert_eq!(order["orderNumber"], "ORD-10001");
    assert_eq!(order["status"], "delivered");
    assert_eq!(order["carrier"], "UPS");
    assert_eq!(order["trackingNumber"], "1ZA4E5790312345671");
    assert_eq!(order["estimatedDelivery"], "2026-10-31");
    assert_eq!(order["total"], money("360.45"));
    assert_eq!(
        order["shippingAddress"],
        json!({ "name": "Anna Schmidt", "line1": "Kastanienallee 21", "line2": null,
                "postalCode": "10435", "city": "Berlin", "region": null, "country": "DE" })
    );
    assert_eq!(order["items"][1]["quantity"], 2);

    let customer = structured("getCustomer");
    assert_eq!(customer["customerId"], "CUS-1001");
    assert_eq!(customer["company"], Value::Null);
    assert_eq!(customer["phone"], "+49 30 5550 1234");
    assert_eq!(customer["orderCount"], 2);
    assert_eq!(customer["orderHistory"], Value::Null);
    assert_eq!(customer["openBalance"], money("266.38"));

    assert_eq!(
        structured("checkInventory"),
        json!({ "products": [
            { "productId": "PRD-1001", "name": "Trailblazer 2 Tent", "totalAvailable": 18, "warehouses": [
                { "warehouseId": "WH-BER", "name": "Berlin Central", "city": "Berlin", "onHand": 14, "reserved": 2, "available": 12 },
                { "warehouseId": "WH-HAM", "name": "Hamburg Port", "city": "Hamburg", "onHand": 6, "reserved": 0, "available": 6 }
            ]},
            { "productId": "PRD-1003", "name": "Alpine 45L Backpack", "totalAvailable": 27, "warehouses": [
                { "warehouseId": "WH-BER", "name": "Berlin Central", "city": "Berlin", "onHand": 22, "reserved": 4, "available": 18 },
                { "warehouseId": "WH-HAM", "name": "Hamburg Port", "city": "Hamburg", "onHand": 9, "reserved": 0, "available": 9 }
            ]}
        ]})
    );

    let invoices = structured("listInvoices");
    assert_eq!(
        invoices["invoices"][0],
        json!({ "invoiceNumber": "INV-10002", "customerId": "CUS-1001", "orderNumber": "ORD-10002",
                "status": "open", "issuedOn": "2026-11-17", "dueOn": "2026-12-17", "paidOn": null,
                "total": money("266.38"), "amountDue": money("266.38") })
    );
    assert_eq!(invoices["invoices"][1]["paidOn"], "2026-10-28");
    assert_eq!(
        invoices["pagination"],
        json!({ "page": 1, "pageSize": 20, "totalItems": 2, "totalPages": 1 })
    );

    // An argument beyond its published maximum is refused, as before.
    let refused = &results["tooMany"];
    assert_eq!(refused["isError"], true, "{refused}");
    let err: Value =
        serde_json::from_str(refused["content"][0]["text"].as_str().expect("text")).unwrap();
    assert_eq!(err["error"]["type"], "validation_error");
    assert_eq!(
        err["error"]["message"],
        "invalid arguments: `items[0].quantity`: 4294967296 is greater than the maximum of 1000"
    );
    check_served(&out["served"]);
    assert!(!shop.log().contains(SECRET), "the secret reached the log");
}

/// The same reads, prompt and completions with the 1.32.2 client over
/// stdio, from `shop --stdio --tenant acme` (the process acts for acme as
/// the bound key does over HTTP).
#[test]
fn the_typescript_client_reads_gets_and_completes_over_stdio() {
    let Some(node) = node() else { return };
    let shop = start_shop(&format!("ts:{SECRET}"));
    let source = std::fs::read_to_string(mcp_tests::repo_root().join("tests/js/shop_client.mts"))
        .expect("read tests/js/shop_client.mts");
    let mut cmd = shop.stdio_command();
    cmd.extend(["--tenant".to_owned(), "acme".to_owned()]);
    let cmd = serde_json::to_string(&cmd).expect("a JSON array");
    let run = run_node_script(node, "shop_client.mts", &source, &[("MCP_STDIO", &cmd)]);
    run.assert_success("the TypeScript client over stdio");
    assert_eq!(run.stderr, "", "the TypeScript client printed warnings");
    let out: Value = serde_json::from_str(run.stdout.trim()).expect("one JSON document");
    assert_eq!(
        out["acmeServer"],
        json!({ "name": "shop", "title": "Demo Shop", "version": env!("CARGO_PKG_VERSION") })
    );
    assert!(
        out.get("tools").is_none(),
        "the tools part runs over HTTP only"
    );
    check_served(&out["served"]);
}

// ----------------------------------------- schemas that are not portable

/// Arguments whose hand-written schema (with its own `$schema`, so published
/// as written) breaks the Inspector's rules.
#[derive(Deserialize)]
struct Unportable {}

impl JsonSchema for Unportable {
    fn schema_name() -> Cow<'static, str> {
        "Unportable".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "when": { "type": ["string", "null"], "description": "When." },
                "any": true,
                "loose": { "description": "Anything." },
                "ids": { "type": "array", "items": { "type": ["integer", "string"] }, "description": "Ids." },
                "never": { "not": true, "description": "Never sent." },
                "one": { "type": ["boolean"], "description": "A flag." }
            },
            "additionalProperties": false
        })
    }
}

/// A result with values of any shape.
#[derive(Serialize, JsonSchema)]
struct Loose {
    /// Whatever it is.
    raw: Value,
    /// A list of whatever.
    list: Vec<Value>,
}

/// Take anything. Returns it loosely.
#[mcp_tool(read_only)]
async fn loose(_args: Unportable) -> Loose {
    Loose {
        raw: Value::Null,
        list: Vec::new(),
    }
}

/// (tool, rule, severity, location) of a finding.
type Key = (String, String, String, String);

fn our_findings(tools: &[Value]) -> BTreeSet<Key> {
    tools
        .iter()
        .flat_map(|t| {
            lint_tool(t)
                .into_iter()
                .filter(|f: &Finding| f.rule.is_inspector_rule())
                .map(|f| {
                    (
                        t["name"].as_str().unwrap_or("").to_owned(),
                        f.rule.id().to_owned(),
                        f.severity.as_str().to_owned(),
                        f.location(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn inspector_findings(out: &Value) -> BTreeSet<Key> {
    let mut keys = BTreeSet::new();
    for tool in out["schemaFindings"].as_array().expect("schemaFindings") {
        for f in tool["findings"].as_array().expect("findings") {
            let path = f["path"].as_str().expect("path");
            let schema = f["schema"].as_str().expect("schema");
            keys.insert((
                tool["toolName"].as_str().expect("toolName").to_owned(),
                f["rule"].as_str().expect("rule").to_owned(),
                f["severity"].as_str().expect("severity").to_owned(),
                if path.is_empty() {
                    schema.to_owned()
                } else {
                    format!("{schema}.{path}")
                },
            ));
        }
    }
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inspector_and_schema_lint_agree_where_schemas_are_not_portable() {
    let Some(node) = node() else { return };
    let server = Server::builder("unportable", "1.0.0")
        .api_key(ApiKey::new("inspector", SECRET).expect("a valid key"))
        .keys_from_env(false)
        .build()
        .expect("the tools build");
    let srv = TestServer::start(server).await;
    let url = srv.url();
    let run = tokio::task::spawn_blocking(move || inspector_tools_list(node, &url, "legacy"))
        .await
        .expect("the Inspector run");
    // `--strict` exits 6 when a finding is an error (the bare `true`s).
    assert_eq!(run.code, Some(6), "{}\n{}", run.stderr, run.stdout);
    let out: Value = serde_json::from_str(run.stdout.trim()).expect("one JSON document");
    let tools = Registry::from_inventory()
        .expect("the tools build")
        .tools()
        .iter()
        .map(|t| t.definition().clone())
        .collect::<Vec<_>>();
    assert_same_tools(&out["result"]["tools"], &tools, "the Inspector");
    let ours = our_findings(&tools);
    let key = |rule: &str, severity: &str, at: &str| {
        (
            "loose".to_owned(),
            rule.to_owned(),
            severity.to_owned(),
            at.to_owned(),
        )
    };
    assert_eq!(
        ours,
        BTreeSet::from([
            key("type-union", "warning", "inputSchema.properties.when"),
            key("type-union", "warning", "inputSchema.properties.ids.items"),
            key("type-union", "warning", "inputSchema.properties.one"),
            key("boolean-schema", "error", "inputSchema.properties.any"),
            key("untyped-schema", "warning", "inputSchema.properties.loose"),
            key(
                "boolean-schema",
                "error",
                "inputSchema.properties.never.not"
            ),
            // The output is derived: its type unions are respelled, its
            // `serde_json::Value`s are not (they are what the user wrote).
            key("untyped-schema", "warning", "outputSchema.properties.raw"),
            key(
                "boolean-schema",
                "error",
                "outputSchema.properties.list.items"
            ),
        ])
    );
    assert_eq!(inspector_findings(&out), ours, "{}", run.stderr);
    srv.stop().await.expect("clean stop");
}

/// The TypeScript SDK (2025-11-25 only: it has no MRTR) answers the
/// shop's confirmation of `submit_return`: accepted, the return is in the
/// database; declined, nothing is.
#[test]
fn the_typescript_client_confirms_and_declines_a_return() {
    let Some(node) = node() else { return };
    let shop = start_shop(&format!("ts:{SECRET}"));
    let source =
        std::fs::read_to_string(mcp_tests::repo_root().join("tests/js/confirm_return.mts"))
            .expect("read tests/js/confirm_return.mts");
    let answers =
        json!([{ "action": "accept", "content": { "confirm": true } }, { "action": "decline" }])
            .to_string();
    let run = run_node_script(
        node,
        "confirm_return.mts",
        &source,
        &[
            ("MCP_URL", &shop.url),
            ("MCP_KEY", SECRET),
            ("MCP_ANSWERS", &answers),
        ],
    );
    run.assert_success("the TypeScript client");
    assert_eq!(run.stderr, "", "the TypeScript client printed warnings");
    let out: Value = serde_json::from_str(run.stdout.trim()).expect("one JSON document");
    let question = json!({
        "mode": "form",
        "message": "Submit a return of 1 unit(s) from order ORD-10001?",
        "requestedSchema": {
            "type": "object",
            "properties": { "confirm": { "type": "boolean", "description": "Tick to submit the return." } },
            "required": ["confirm"]
        }
    });
    assert_eq!(out["asked"], json!([question, question]));
    let accepted = &out["results"][0];
    assert!(accepted.get("isError").is_none(), "{accepted}");
    assert_eq!(accepted["structuredContent"]["orderNumber"], "ORD-10001");
    let declined = &out["results"][1];
    assert_eq!(declined["isError"], true, "{declined}");
    assert!(
        declined["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("did not confirm"),
        "{declined}"
    );
    let db = rusqlite::Connection::open(shop.db()).expect("open the shop's database");
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
    assert_eq!(rows("ts-confirm-accept"), (1, 1));
    assert_eq!(rows("ts-confirm-decline"), (0, 0));
}
