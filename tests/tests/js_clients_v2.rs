//! The real `shop` binary driven by the official **TypeScript SDK v2**
//! (`@modelcontextprotocol/client`, pinned by `scripts/js-clients.sh`) in
//! protocol 2026-07-28, with `tests/js/shop_client_v2.mts`:
//!
//! - over HTTP and over stdio (`shop --stdio --tenant acme`), a key bound to
//!   acme lists, reads, gets and completes exactly what the 1.32.2 client
//!   does in the handshake era (`clients/served.rs`), and never a globex
//!   product;
//! - `submit_return`'s confirmation, asked with an `input_required` result
//!   (MRTR) and answered by the SDK itself through its `elicitation/create`
//!   handler: accepted, one return with one line in the SQLite file;
//!   declined, none;
//! - `export_invoices` as a real task (the tasks extension, declared by
//!   `@modelcontextprotocol/ext-tasks`): to completion, the CSV checked
//!   against the database; and cancelled once its progress moved.
//!
//! Every message the server sent the SDK is validated against the official
//! 2026-07-28 schema. Without npm the tests are skipped as `js_clients.rs`'s
//! are (see `clients/node.rs`).

mod clients;
#[path = "clients/served.rs"]
mod served;

use clients::{Shop, node, run_node_script, start_shop};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use mcp_tests::{
    Post, Revision, assert_valid_message, check_against_spec, meta_2026, parse_response,
};
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use served::check_served;

/// The bearer secret of a key for any tenant.
const SECRET: &str = "ts-v2-any-7c41e09b2d5a8f36";
/// The bearer secret of a key bound to `acme`.
const ACME_SECRET: &str = "ts-v2-acme-93d0b6a1f4e2c857";
const KEYS: &str = "ts2:ts-v2-any-7c41e09b2d5a8f36,ts2-acme:ts-v2-acme-93d0b6a1f4e2c857:acme";

/// Run the v2 driver in `mode` with `env`; its JSON report, every server
/// message in it validated against the official 2026-07-28 schema.
fn drive(mode: &str, env: &[(&str, &str)]) -> Option<Value> {
    let node = node()?;
    let source =
        std::fs::read_to_string(mcp_tests::repo_root().join("tests/js/shop_client_v2.mts"))
            .expect("read tests/js/shop_client_v2.mts");
    let mut env = env.to_vec();
    env.push(("MCP_MODE", mode));
    let run = run_node_script(node, "shop_client_v2.mts", &source, &env);
    run.assert_success(&format!("the TypeScript SDK v2 ({mode})"));
    assert_eq!(run.stderr, "", "the TypeScript SDK v2 printed warnings");
    let out: Value = serde_json::from_str(run.stdout.trim()).expect("one JSON document");
    assert_eq!(out["era"], "modern", "{out}");
    assert_eq!(
        out["server"],
        json!({ "name": "shop", "title": "Demo Shop", "version": env!("CARGO_PKG_VERSION") })
    );
    let wire = out["wire"].as_array().expect("the server's messages");
    assert!(!wire.is_empty());
    for message in wire {
        assert_valid_message(Revision::R2026_07_28, message, result_def(message));
    }
    Some(out)
}

/// The official result definition a server message's `result` must match,
/// read from its shape (the driver's requests are the SDK's, with its ids).
/// Task results (`resultType: "task"`, `tasks/get`) are the extension's, not
/// the core schema's: they are checked as a `Result` by the message.
fn result_def(message: &Value) -> Option<&'static str> {
    let r = message.get("result")?;
    let has = |k: &str| r.get(k).is_some();
    Some(if has("supportedVersions") {
        "DiscoverResult"
    } else if r["resultType"] == "input_required" {
        "InputRequiredResult"
    } else if has("taskId") {
        return None;
    } else if has("resources") {
        "ListResourcesResult"
    } else if has("resourceTemplates") {
        "ListResourceTemplatesResult"
    } else if has("prompts") {
        "ListPromptsResult"
    } else if has("tools") {
        "ListToolsResult"
    } else if has("contents") {
        "ReadResourceResult"
    } else if has("messages") {
        "GetPromptResult"
    } else if has("completion") {
        "CompleteResult"
    } else if has("content") {
        "CallToolResult"
    } else {
        "Result"
    })
}

/// The methods of the SDK's requests the server answered, from the wire:
/// how many responses matched each definition.
fn answered(out: &Value, def: &str) -> usize {
    out["wire"]
        .as_array()
        .expect("wire")
        .iter()
        .filter(|m| result_def(m) == Some(def))
        .count()
}

#[test]
fn the_v2_client_reads_gets_and_completes_as_acme_over_http() {
    let shop = start_shop(KEYS);
    let Some(out) = drive("read", &[("MCP_URL", &shop.url), ("MCP_KEY", ACME_SECRET)]) else {
        return;
    };
    // Negotiated with `server/discover`, not `initialize`.
    assert_eq!(answered(&out, "DiscoverResult"), 1, "{out}");
    assert_eq!(
        out["capabilities"]["extensions"],
        json!({ "io.modelcontextprotocol/tasks": {} })
    );
    check_served(&out["served"]);
    // 2026-07-28 caching hints: policies are public, a tenant's rows private.
    let served = &out["served"];
    assert_eq!(served["resources"]["cacheScope"], "public");
    assert_eq!(served["product"]["cacheScope"], "private");
    assert_eq!(served["image"]["cacheScope"], "private");
    // Both eras list the same resources and templates.
    for (method, got, key) in [
        ("resources/list", "resources", "resources"),
        ("resources/templates/list", "templates", "resourceTemplates"),
    ] {
        let legacy = clients::rpc(shop.addr(), ACME_SECRET, method, json!({}));
        assert_eq!(served[got][key], legacy[key], "{method}");
    }
    assert_eq!(answered(&out, "ReadResourceResult"), 3);
    assert_eq!(answered(&out, "CompleteResult"), 3);
    assert!(
        !shop.log().contains(ACME_SECRET),
        "the secret reached the log"
    );
}

#[test]
fn the_v2_client_reads_gets_and_completes_over_stdio() {
    let shop = start_shop(KEYS);
    let mut cmd = shop.stdio_command();
    cmd.extend(["--tenant".to_owned(), "acme".to_owned()]);
    let cmd = serde_json::to_string(&cmd).expect("a JSON array");
    let Some(out) = drive("read", &[("MCP_STDIO", &cmd)]) else {
        return;
    };
    // The SDK sends its `server/discover` probe to a short-lived sibling
    // process spawned alike (its stdio transport's documented behaviour),
    // so the transport it keeps carries only the requests below, each
    // answered in 2026-07-28 form.
    assert_eq!(answered(&out, "DiscoverResult"), 0);
    let wire = out["wire"].as_array().expect("wire");
    assert_eq!(wire.len(), 12, "one answer per request");
    assert!(
        wire.iter()
            .filter_map(|m| m.get("result"))
            .all(|r| r["resultType"] == "complete")
    );
    check_served(&out["served"]);
}

/// Returns and return lines left by the calls of idempotency key `key`.
fn return_rows(shop: &Shop, key: &str) -> (i64, i64) {
    let db = Connection::open(shop.db()).expect("open the shop's database");
    db.query_row(
        "SELECT COUNT(DISTINCT returns.id), COUNT(return_items.return_id) FROM returns \
         LEFT JOIN return_items ON return_items.return_id = returns.id \
         WHERE idempotency_key = ?1",
        [key],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .expect("query the returns")
}

#[test]
fn the_v2_client_answers_the_return_confirmation_itself_in_2026() {
    let shop = start_shop(KEYS);
    let answers =
        json!([{ "action": "accept", "content": { "confirm": true } }, { "action": "decline" }])
            .to_string();
    let Some(out) = drive(
        "confirm",
        &[
            ("MCP_URL", &shop.url),
            ("MCP_KEY", SECRET),
            ("MCP_ANSWERS", &answers),
        ],
    ) else {
        return;
    };
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
    // MRTR, not a server-to-client request: each call was first answered
    // `input_required` (validated as InputRequiredResult), then retried by
    // the SDK with the answer.
    assert_eq!(answered(&out, "InputRequiredResult"), 2, "{out}");
    let wire = out["wire"].as_array().expect("wire");
    assert!(wire.iter().all(|m| m.get("method").is_none()), "{out}");
    let asked = wire
        .iter()
        .find(|m| m["result"]["resultType"] == "input_required")
        .expect("an input_required result");
    assert_eq!(
        asked["result"]["inputRequests"]["confirm"],
        json!({ "method": "elicitation/create", "params": question })
    );

    let accepted = &out["results"][0];
    assert!(accepted.get("isError").is_none(), "{accepted}");
    let ret = &accepted["structuredContent"];
    assert_eq!(ret["orderNumber"], "ORD-10001");
    assert_eq!(ret["rmaNumber"], "RMA-000001");
    assert_eq!(ret["status"], "authorized");
    assert_eq!(ret["refundTotal"], served::money("24.50"));
    assert_eq!(
        ret["items"],
        json!([{ "name": "Titanium Camping Mug", "productId": "PRD-1008", "quantity": 1,
                 "reason": "damaged", "refundAmount": served::money("24.50") }])
    );
    let declined = &out["results"][1];
    assert_eq!(declined["isError"], true, "{declined}");
    let err: Value =
        serde_json::from_str(declined["content"][0]["text"].as_str().expect("text")).unwrap();
    assert_eq!(
        err["error"],
        json!({ "type": "validation_error", "details": { "confirmed": false },
                "message": "the customer did not confirm the return from order ORD-10001: nothing was submitted" })
    );

    assert_eq!(return_rows(&shop, "ts2-confirm-accept"), (1, 1));
    assert_eq!(return_rows(&shop, "ts2-confirm-decline"), (0, 0));
    let db = Connection::open(shop.db()).expect("open the shop's database");
    type Row = (String, String, String, String, String, i64, String, i64);
    let row: Row = db
        .query_row(
            "SELECT r.rma_number, r.tenant_id, r.order_number, r.status, i.product_id, \
             i.quantity, i.reason, i.refund_cents \
             FROM returns r JOIN return_items i ON i.return_id = r.id \
             WHERE r.idempotency_key = 'ts2-confirm-accept'",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            },
        )
        .expect("the accepted return");
    let owned = |s: &str| s.to_owned();
    assert_eq!(
        row,
        (
            owned("RMA-000001"),
            owned("acme"),
            owned("ORD-10001"),
            owned("authorized"),
            owned("PRD-1008"),
            1,
            owned("damaged"),
            2450
        )
    );
    let all: i64 = db
        .query_row("SELECT COUNT(*) FROM returns", [], |r| r.get(0))
        .unwrap();
    assert_eq!(all, 1, "only the accepted return was written");
}

/// Invoices added for the cancelled export.
const EXTRA: i64 = 50_000;

/// The task's first answer: a `CreateTaskResult` (`resultType: "task"`),
/// and the shop's log says the call became a task.
fn assert_ran_as_task(out: &Value, shop: &Shop) -> String {
    assert_eq!(out["kind"], "task", "{out}");
    let created = out["wire"]
        .as_array()
        .expect("wire")
        .iter()
        .find(|m| m["result"].get("taskId").is_some())
        .expect("a task answer");
    let created = &created["result"];
    assert_eq!(created["resultType"], "task", "{created}");
    assert_eq!(created["status"], "working", "{created}");
    assert!(
        shop.log().contains(
            "tools/call{tool=\"export_invoices\" key=\"ts2\" tenant=\"acme\" outcome=\"task\""
        ),
        "{}",
        shop.log()
    );
    created["taskId"].as_str().expect("taskId").to_owned()
}

#[test]
fn the_v2_client_runs_the_export_task_to_completion() {
    let shop = start_shop(KEYS);
    let args = json!({ "tenantId": "acme" }).to_string();
    let Some(out) = drive(
        "task",
        &[
            ("MCP_URL", &shop.url),
            ("MCP_KEY", SECRET),
            ("MCP_ARGS", &args),
        ],
    ) else {
        return;
    };
    let id = assert_ran_as_task(&out, &shop);
    let outcome = &out["outcome"];
    assert_eq!(outcome["status"], "completed", "{outcome}");
    assert_eq!(outcome["task"]["taskId"], id);
    let result = &outcome["result"];
    check_against_spec(Revision::R2026_07_28, "CallToolResult", result).unwrap();
    let db = Connection::open(shop.db()).expect("open the shop's database");
    let mut stmt = db
        .prepare(
            "SELECT number, customer_id, IFNULL(order_number, ''), status, issued_on, due_on, \
             IFNULL(paid_on, ''), printf('%.2f', total_cents / 100.0), printf('%.2f', amount_due_cents / 100.0) \
             FROM invoices WHERE tenant_id = 'acme' ORDER BY number",
        )
        .unwrap();
    let mut csv = String::from(
        "invoice_number,customer_id,order_number,status,issued_on,due_on,paid_on,total,amount_due\n",
    );
    let rows = stmt
        .query_map([], |r| {
            (0..9)
                .map(|i| r.get::<_, String>(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    for row in &rows {
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    assert_eq!(rows.len(), 5);
    assert_eq!(
        result["content"],
        json!([
            { "type": "text", "text": "5 invoices exported as CSV" },
            { "type": "resource", "resource": {
                "uri": "shop://exports/invoices.csv", "mimeType": "text/csv", "text": csv } }
        ])
    );
    assert!(
        csv.contains("\nINV-10002,CUS-1001,ORD-10002,open,2026-11-17,2026-12-17,,266.38,266.38\n")
    );
    let statuses = out["statuses"].as_array().expect("statuses");
    assert_eq!(statuses.last(), Some(&json!({ "status": "completed" })));
}

#[test]
fn the_v2_client_cancels_the_export_task() {
    let shop = start_shop(KEYS);
    // Enough invoices that the export is still running when it is cancelled
    // (it exports a few thousand a second).
    {
        let mut conn = Connection::open(shop.db()).expect("open the shop's database");
        let tx = conn.transaction().unwrap();
        for i in 0..EXTRA {
            tx.execute(
                "INSERT INTO invoices VALUES (?1, 'acme', 'CUS-1001', NULL, 'open',
                 '2026-01-02', '2026-02-01', NULL, ?2, ?2)",
                params![format!("INV-X{i:07}"), 1000 + i],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    let args = json!({ "tenantId": "acme" }).to_string();
    let Some(out) = drive(
        "task",
        &[
            ("MCP_URL", &shop.url),
            ("MCP_KEY", SECRET),
            ("MCP_ARGS", &args),
            ("MCP_CANCEL", "1"),
        ],
    ) else {
        return;
    };
    let id = assert_ran_as_task(&out, &shop);
    assert_eq!(out["outcome"], json!({ "status": "cancelled" }), "{out}");
    let statuses = out["statuses"].as_array().expect("statuses");
    let moved = statuses
        .iter()
        .find(|s| {
            s["statusMessage"]
                .as_str()
                .is_some_and(|m| m.starts_with("exported "))
        })
        .expect("a progress seen before the cancel");
    assert_eq!(moved["status"], "working");
    // The SDK sent `tasks/cancel` (through the driver's raw dispatch); the
    // shop's own view of the task, asked directly, is cancelled, stopped
    // short of the whole export.
    let dispatched = out["dispatched"].as_array().expect("dispatched");
    assert_eq!(dispatched.first(), Some(&json!("tools/call")));
    assert!(
        dispatched.contains(&json!("tasks/cancel")),
        "{dispatched:?}"
    );
    let task = task_status(&shop, &id, |t| t["status"] != "working");
    assert_eq!(task["status"], "cancelled", "{task}");
    assert!(task.get("result").is_none());
    let exported = task["_meta"]["dev.mcp-runtime/progress"]["progress"]
        .as_f64()
        .expect("progress");
    assert!(
        exported > 0.0 && exported < (EXTRA + 5) as f64,
        "{exported}"
    );
}

/// `tasks/get` for task `id`, sent as plain 2026-07-28 HTTP with the key
/// that created it, polled until `done` holds (at most 10 s); the result,
/// its message validated.
fn task_status(shop: &Shop, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut meta = meta_2026();
    meta["io.modelcontextprotocol/clientCapabilities"] =
        json!({ "extensions": { "io.modelcontextprotocol/tasks": {} } });
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "tasks/get",
                       "params": { "taskId": id, "_meta": meta } });
    let post = Post::json(&body)
        .stateless("tasks/get", Some(id))
        .bearer(SECRET);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let addr = shop.addr();
        let mut s = TcpStream::connect(addr).expect("connect to the shop");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(&post.to_bytes(&addr.to_string())).unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).expect("read the response");
        let message = parse_response(&buf).json();
        assert_valid_message(Revision::R2026_07_28, &message, None);
        let task = message["result"].clone();
        if done(&task) {
            return task;
        }
        assert!(
            Instant::now() < deadline,
            "the task never got there: {task}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
