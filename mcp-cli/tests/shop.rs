//! `mcp` against the shop binary: every subcommand over Streamable HTTP in
//! both eras and over stdio, with exact outputs and exit codes, and each
//! kind of failure as its one line.
//!
//! What the shop publishes is read from its own registry (this test links
//! the shop's tools), and call results are compared with the same call made
//! in process, so "exact" means: byte for byte what the framework answers.

mod support;

use mcp_runtime::Registry;
use mcp_runtime::testing::contract_of;
use serde_json::{Value, json};
use shop as _;
use support::{RunExt, Way, closed_port, in_era, mcp, mcp_in, with_command};

/// The shop's bearer key (`MCP_API_KEYS` syntax): the hub's, any tenant.
const KEYS: &str = "hub:hub-2f7c90b1d4e6a8c3b5d7e9f1a3c5";
const SECRET: &str = "hub-2f7c90b1d4e6a8c3b5d7e9f1a3c5";

fn ways(shop: &mcp_tests::shop::Shop) -> Vec<Way> {
    let bearer = ["--bearer", SECRET];
    vec![
        Way::http("HTTP, auto (stateless)", &shop.url, &bearer, true),
        Way::http(
            "HTTP, handshake",
            &shop.url,
            &["--bearer", SECRET, "--era", "handshake"],
            false,
        ),
        Way::stdio(
            "stdio, stateless",
            shop.stdio_command(),
            &["--era", "stateless"],
            true,
        ),
        Way::stdio(
            "stdio, handshake",
            shop.stdio_command(),
            &["--era", "handshake"],
            false,
        ),
    ]
}

/// A result of the shop in the era of `way`.
fn in_era_of(way: &Way, result: &Value) -> Value {
    let info =
        json!({ "name": "shop", "title": "Demo Shop", "version": env!("CARGO_PKG_VERSION") });
    in_era(way.stateless, result.clone(), info)
}

/// The shop's answer to a call, made in process over a fresh database.
fn in_process(tool: &str, tenant: &str, arguments: Value) -> Value {
    let dir = support::TempDir::new("shop-in-process");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let shop = shop::Shop::open(dir.0.join("shop.db"))
            .await
            .expect("open the database");
        let server = shop::server(shop).expect("build the shop");
        server.client().tenant(tenant).call(tool, arguments).await
    })
    .expect("no JSON-RPC error")
    .raw
}

const TABLE: &str = "\
NAME                 TITLE                ANNOTATIONS                  REQUIRED
check_inventory      Check inventory      read-only                    productIds
create_quote         Create quote         non-destructive, idempotent  customerId, items, idempotencyKey
export_invoices      Export invoices      read-only                    -
get_customer         Get customer         read-only                    customerId
get_order            Get order            read-only                    orderNumber
get_shipping_status  Get shipping status  read-only                    trackingNumber
list_invoices        List invoices        read-only                    -
search_products      Search products      read-only                    query
submit_return        Submit return        non-destructive, idempotent  orderNumber, items, idempotencyKey
";

#[test]
fn every_subcommand_over_http_in_both_eras_and_over_stdio() {
    let shop = mcp_tests::shop::Shop::start(mcp_tests::shop::shop_binary(), KEYS);
    let registry = Registry::from_inventory().expect("the shop's tools");
    let definitions: Vec<Value> = registry
        .tools()
        .iter()
        .map(|t| t.definition().clone())
        .collect();
    let lock_path = mcp_tests::repo_root().join("examples/shop/tests/mcp-contract.lock.json");
    let committed_lock = std::fs::read_to_string(&lock_path).expect("the shop's lock");
    let order = in_process("get_order", "acme", json!({ "orderNumber": "ORD-10001" }));
    let missing = in_process("get_order", "acme", json!({ "orderNumber": "ORD-99999" }));
    assert_eq!(missing["isError"], true, "{missing}");
    for way in ways(&shop) {
        let w = &way.name;
        let tools = way.run("tools", &["--json"]);
        tools.expect_code(0);
        assert_eq!(tools.json(), Value::Array(definitions.clone()), "{w}");
        assert_eq!(way.run("tools", &[]).expect_code(0).stdout, TABLE, "{w}");

        let call = way.run(
            "call",
            &[
                "get_order",
                "orderNumber=ORD-10001",
                "--tenant",
                "acme",
                "--json",
            ],
        );
        call.expect_code(0);
        assert_eq!(call.json(), in_era_of(&way, &order), "{w}");
        assert_eq!(call.stderr, "", "{w}");
        // Without --json: the structured content, pretty.
        let plain = way.run(
            "call",
            &["get_order", "orderNumber=ORD-10001", "--tenant", "acme"],
        );
        assert_eq!(
            plain.expect_code(0).stdout,
            format!(
                "{}\n",
                serde_json::to_string_pretty(&order["structuredContent"]).unwrap()
            ),
            "{w}"
        );
        // A tool's error: isError, exit 1, the result still printed.
        let error = way.run(
            "call",
            &[
                "get_order",
                r#"{"orderNumber": "ORD-99999"}"#,
                "--tenant",
                "acme",
                "--json",
            ],
        );
        error.expect_code(1);
        assert_eq!(error.json(), in_era_of(&way, &missing), "{w}");
        assert_eq!(
            error.stderr, "mcp: the tool `get_order` returned an error (isError)\n",
            "{w}"
        );

        let lint = way.run("lint", &[]);
        assert_eq!(
            lint.expect_code(0).stdout,
            "no findings in 9 tools\n",
            "{w}"
        );
        assert_eq!(
            way.run("lint", &["--json"]).expect_code(0).json(),
            json!([]),
            "{w}"
        );

        let lock = way.run("lock", &[]);
        assert_eq!(
            lock.expect_code(0).stdout,
            committed_lock,
            "{w}: the lock cargo test keeps"
        );
        assert_eq!(
            lock.stdout,
            format!(
                "{}\n",
                serde_json::to_string_pretty(&contract_of(&registry)).unwrap()
            ),
            "{w}"
        );

        let lock_arg = lock_path.display().to_string();
        let diff = way.run("diff", &[&lock_arg]);
        assert_eq!(
            diff.expect_code(0).stdout,
            format!("no changes: the 9 tools match {lock_arg}\n"),
            "{w}"
        );
        let diff = way.run("diff", &[&lock_arg, "--json"]);
        assert_eq!(
            diff.expect_code(0).json(),
            json!({ "breaking": [], "compatible": [] }),
            "{w}"
        );
    }
}

#[test]
fn the_era_is_negotiated_as_asked() {
    let shop = mcp_tests::shop::Shop::start(mcp_tests::shop::shop_binary(), KEYS);
    let version = env!("CARGO_PKG_VERSION");
    for (era, said) in [
        ("auto", "stateless era, protocol version 2026-07-28"),
        ("stateless", "stateless era, protocol version 2026-07-28"),
        ("handshake", "handshake era, protocol version 2025-11-25"),
    ] {
        let run = mcp(&["tools", "-v", "--era", era, "--bearer", SECRET, &shop.url]);
        assert_eq!(
            run.expect_code(0).stderr,
            format!("mcp: {said}, server shop {version}\n"),
            "--era {era}"
        );
        let stdio = mcp(&with_command(
            &["tools", "-v", "--era", era],
            &shop.stdio_command(),
        ));
        assert!(
            stdio
                .expect_code(0)
                .stderr
                .contains(&format!("mcp: {said}, server shop {version}\n")),
            "--era {era} over stdio:\n{}",
            stdio.stderr
        );
    }
}

#[test]
fn arguments_are_checked_against_the_published_schema_before_sending() {
    let shop = mcp_tests::shop::Shop::start(mcp_tests::shop::shop_binary(), KEYS);
    let call = |args: &[&str]| {
        let mut all = vec!["call", "--bearer", SECRET, &shop.url];
        all.extend(args);
        mcp(&all)
    };
    let bad = call(&["get_order", "orderNumber=ORD-1", "--tenant", "acme"]);
    assert_eq!(
        bad.expect_code(2).stderr,
        "mcp: invalid arguments for `get_order` (not sent): `orderNumber`: \"ORD-1\" does not match \"^ORD-\\d{5}$\"\n"
    );
    assert_eq!(bad.stdout, "");
    let bad = call(&["check_inventory", "productIds=PRD-1001", "--tenant", "acme"]);
    assert_eq!(
        bad.expect_code(2).stderr,
        "mcp: invalid arguments for `check_inventory` (not sent): `productIds`: \"PRD-1001\" is not of type \"array\"\n"
    );
    let bad = call(&["get_order", "--tenant", "acme"]);
    assert_eq!(
        bad.expect_code(2).stderr,
        "mcp: invalid arguments for `get_order` (not sent): \"orderNumber\" is a required property\n"
    );
    let bad = call(&["get_order", "number=1"]);
    assert!(
        bad.expect_code(2)
            .stderr
            .starts_with("mcp: invalid arguments for `get_order` (not sent): "),
        "{}",
        bad.stderr
    );
    // None of them reached a tool (the shop logs each call it finishes).
    assert!(!shop.log().contains("call finished"), "{}", shop.log());
    let unknown = call(&["get_ordr"]);
    assert_eq!(
        unknown.expect_code(2).stderr,
        "mcp: the server has no tool `get_ordr` (it has: check_inventory, create_quote, \
         export_invoices, get_customer, get_order, get_shipping_status, list_invoices, search_products, \
         submit_return)\n"
    );
    // key=value typed by the schema: a JSON array, a boolean, a string.
    let ok = call(&[
        "check_inventory",
        r#"productIds=["PRD-1001"]"#,
        "--tenant",
        "acme",
        "--json",
    ]);
    assert_eq!(
        ok.expect_code(0).json()["isError"],
        Value::Null,
        "{}",
        ok.stdout
    );
    let ok = call(&[
        "get_customer",
        "customerId=CUS-1001",
        "includeHistory=false",
        "--tenant",
        "acme",
    ]);
    assert_eq!(ok.expect_code(0).json()["customerId"], "CUS-1001");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !shop.log().contains("call finished") {
        assert!(
            std::time::Instant::now() < deadline,
            "calls are logged:\n{}",
            shop.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // The injected tenant is the platform's: without it the shop refuses.
    let no_tenant = call(&["get_order", "orderNumber=ORD-10001", "--json"]);
    assert_eq!(
        no_tenant.expect_code(1).json()["content"][0]["text"],
        r#"{"error":{"message":"tenantId is required for this tool","type":"validation_error"}}"#
    );
}

#[test]
fn failures_are_one_line_each() {
    let shop = mcp_tests::shop::Shop::start(mcp_tests::shop::shop_binary(), KEYS);
    let url = &shop.url;
    let one_line = |run: &support::Run, code: i32, expected: &str| {
        run.expect_code(code);
        assert_eq!(run.stderr, format!("mcp: {expected}\n"));
        assert_eq!(run.stdout, "");
    };
    one_line(
        &mcp(&["tools", url]),
        2,
        &format!(
            "unauthorized: {url} requires an `Authorization: Bearer <key>` header, and none was \
             sent (HTTP 401) (WWW-Authenticate: Bearer realm=\"mcp\"); pass --bearer KEY or set \
             MCP_BEARER"
        ),
    );
    one_line(
        &mcp(&["lint", "--bearer", "not-the-key", url]),
        2,
        &format!(
            "unauthorized: {url} refused the `Authorization` header sent (HTTP 401) \
             (WWW-Authenticate: Bearer realm=\"mcp\", error=\"invalid_token\"); check the key \
             given with --bearer or MCP_BEARER"
        ),
    );
    let closed = format!("http://127.0.0.1:{}/mcp", closed_port());
    let refused = mcp(&["tools", &closed]);
    refused.expect_code(2);
    assert!(
        refused
            .stderr
            .starts_with(&format!("mcp: cannot reach the server: {closed}: ")),
        "{}",
        refused.stderr
    );
    assert_eq!(refused.stderr.lines().count(), 1, "{}", refused.stderr);
    let healthz = url.replace("/mcp", "/healthz");
    one_line(
        &mcp(&["tools", "--bearer", SECRET, &healthz]),
        2,
        &format!(
            "not an MCP server: {healthz} answered HTTP 405 Method Not Allowed with no \
             Content-Type, not a JSON-RPC message"
        ),
    );
    one_line(
        &mcp(&["tools", "--", "/nonexistent/mcp-server"]),
        2,
        "cannot reach the server: cannot start `/nonexistent/mcp-server`: No such file or \
         directory (os error 2)",
    );
    one_line(
        &mcp(&[
            "tools",
            "--",
            "sh",
            "-c",
            "echo 'shop: no database' >&2; exit 3",
        ]),
        2,
        "cannot reach the server: `sh -c echo 'shop: no database' >&2; exit 3` exited (exit \
         status: 3) before answering `server/discover`; its last words: shop: no database",
    );
    one_line(
        &mcp(&["tools", "--", "echo", "<html>hello</html>"]),
        2,
        "not an MCP server: `echo <html>hello</html>` wrote a line to stdout that is not a \
         JSON-RPC message (not JSON: expected value): <html>hello</html>",
    );
    // A server that answers every request with a JSON-RPC error.
    let refusing = r#"while read -r line; do
        id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
        [ -n "$id" ] && printf '{"jsonrpc":"2.0","id":%s,"error":{"code":-32603,"message":"database down"}}\n' "$id"
    done"#;
    one_line(
        &mcp(&["tools", "--", "sh", "-c", refusing]),
        2,
        "protocol error: the server refused initialize: JSON-RPC error -32603: database down",
    );
    one_line(
        &mcp(&["tools", "--era", "stateless", "--", "sh", "-c", refusing]),
        2,
        "protocol error: the server refused server/discover: JSON-RPC error -32603: database \
         down; try --era handshake",
    );
    one_line(
        &mcp(&["tools", "ftp://example.invalid/mcp"]),
        2,
        "`ftp://example.invalid/mcp` is not an http:// or https:// URL; to run a stdio \
         server, give its command after `--`",
    );
    one_line(
        &mcp(&["tools"]),
        2,
        "which server? Give its URL, or the command that serves it over stdio after `--`",
    );
    let dir = support::TempDir::new("no-lock");
    one_line(
        &mcp_in(
            &["diff", "missing.lock.json", "--bearer", SECRET, url],
            Some(&dir.0),
        ),
        2,
        "cannot read the lock missing.lock.json: No such file or directory (os error 2)",
    );
}

#[test]
fn help_is_there_for_each_subcommand() {
    for (sub, usage) in [
        (
            "tools",
            "Usage: mcp tools [OPTIONS] [URL] [-- <COMMAND>...]",
        ),
        (
            "call",
            "Usage: mcp call [OPTIONS] <URL> <TOOL> [ARGUMENTS]...",
        ),
        ("lint", "Usage: mcp lint [OPTIONS] [URL] [-- <COMMAND>...]"),
        ("lock", "Usage: mcp lock [OPTIONS] [URL] [-- <COMMAND>...]"),
        ("diff", "Usage: mcp diff [OPTIONS] <LOCK> <URL>"),
    ] {
        let help = mcp(&[sub, "--help"]);
        help.expect_code(0);
        assert!(help.stdout.contains(usage), "{sub}:\n{}", help.stdout);
        for option in ["--bearer", "--header", "--era", "Exit codes"] {
            assert!(help.stdout.contains(option), "{sub} --help names {option}");
        }
    }
}
