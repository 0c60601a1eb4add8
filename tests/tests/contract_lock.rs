//! The contract lock: each class of breaking change fails with a readable
//! diff; compatible changes pass with a note; the environment switch rewrites
//! the lock.

use std::path::PathBuf;
use std::process::Command;

use mcp_runtime::Registry;
use mcp_runtime::prelude::*;
use mcp_runtime::testing::{check_contract_lock, compare_contracts, contract_of};
use serde_json::{Value, json};

/// Shipping speed.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Speed {
    /// Cheapest.
    Standard,
    /// Next day.
    Express,
}

/// Arguments of `create_quote`.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct QuoteArgs {
    /// The customer.
    customer_id: String,
    /// How many.
    quantity: u32,
    /// Shipping speed.
    speed: Option<Speed>,
    /// A note.
    note: Option<String>,
}

/// Create a quote. Returns its number.
#[mcp_tool]
async fn create_quote(args: QuoteArgs) -> String {
    format!(
        "{}:{}:{}",
        args.customer_id,
        args.quantity,
        args.note.is_some() || args.speed.is_some()
    )
}

/// Ping the shop. Returns "pong".
#[mcp_tool(read_only)]
async fn shop_ping() -> String {
    "pong".into()
}

fn registry() -> Registry {
    Registry::from_inventory().expect("valid tools")
}

fn temp_lock(name: &str, contents: &Value) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mcp-lock-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("mcp-contract.lock.json");
    std::fs::write(&path, serde_json::to_string_pretty(contents).expect("json"))
        .expect("write lock");
    path
}

/// The current contract with `edit` applied: what the lock held before a change.
fn locked_with(edit: impl FnOnce(&mut Value)) -> Value {
    let mut v = contract_of(&registry());
    edit(&mut v);
    v
}

fn quote_schema(v: &mut Value) -> &mut Value {
    &mut v["tools"]["create_quote"]["inputSchema"]
}

fn check(name: &str, locked: Value) -> Result<Option<String>, String> {
    check_contract_lock(&registry(), &temp_lock(name, &locked))
}

#[test]
fn unchanged_contract_passes_silently() {
    assert_eq!(check("same", contract_of(&registry())), Ok(None));
}

#[test]
fn removed_tool_is_breaking() {
    let locked = locked_with(|v| {
        v["tools"]["get_order"] =
            json!({ "description": "Look up an order.", "inputSchema": { "type": "object" } });
    });
    let err = check("removed", locked).unwrap_err();
    assert!(err.contains("BREAKING changes (agents built against the lock may fail):\n  - tool `get_order` removed (or renamed)"), "{err}");
    assert!(
        err.contains("MCP_UPDATE_CONTRACTS=1 cargo test"),
        "says how to accept: {err}"
    );
}

#[test]
fn new_required_argument_is_breaking() {
    let locked = locked_with(|v| {
        let s = quote_schema(v);
        s["properties"]
            .as_object_mut()
            .unwrap()
            .remove("customerId");
        s["required"] = json!(["quantity"]);
    });
    let err = check("required", locked).unwrap_err();
    assert!(
        err.contains("  - tool `create_quote`: argument `customerId` added as required"),
        "{err}"
    );
}

#[test]
fn changed_argument_type_is_breaking() {
    let locked = locked_with(|v| {
        let q = &mut quote_schema(v)["properties"]["quantity"];
        *q = json!({ "type": "string", "description": "How many." });
    });
    let err = check("type", locked).unwrap_err();
    assert!(
        err.contains(
            "  - tool `create_quote`: argument `quantity` type changed: string -> integer"
        ),
        "{err}"
    );
}

#[test]
fn removed_enum_value_is_breaking() {
    let locked = locked_with(|v| {
        let speed = &mut quote_schema(v)["properties"]["speed"]["oneOf"];
        speed
            .as_array_mut()
            .unwrap()
            .push(json!({ "type": "string", "const": "overnight" }));
    });
    let err = check("enum", locked).unwrap_err();
    assert!(
        err.contains("  - tool `create_quote`: argument `speed` enum value \"overnight\" removed"),
        "{err}"
    );
    assert!(
        err.contains(
            "  - tool `create_quote`: argument `speed` enum value \"overnight\" removed \
             (\"standard\" | \"express\" | \"overnight\" → \"standard\" | \"express\")\n"
        ),
        "the values before and after: {err}"
    );
}

#[test]
fn compatible_changes_pass_with_a_note() {
    let locked = locked_with(|v| {
        v["tools"].as_object_mut().unwrap().remove("shop_ping");
        let s = quote_schema(v);
        s["properties"].as_object_mut().unwrap().remove("note");
        v["tools"]["create_quote"]["description"] = json!("Old description.");
    });
    let note = check("compatible", locked).unwrap().expect("a note");
    assert!(
        note.starts_with("note: MCP tool contracts changed compatibly"),
        "{note}"
    );
    assert!(note.contains("  + tool `shop_ping` added"), "{note}");
    assert!(
        note.contains("  + tool `create_quote`: argument `note` added (optional field)"),
        "{note}"
    );
    assert!(
        note.contains("  + tool `create_quote`: description changed"),
        "{note}"
    );
    assert!(!note.contains("BREAKING"), "{note}");
}

#[test]
fn an_unclassified_change_is_flagged_not_ignored() {
    let locked = locked_with(|v| {
        quote_schema(v)["properties"]["customerId"]["format"] = json!("email");
    });
    let err = check("unclassified", locked).unwrap_err();
    assert!(
        err.contains(
            "tool `create_quote`: input schema changed in a way not classified; review it"
        ),
        "{err}"
    );
}

#[test]
fn enum_classification_is_by_value() {
    let old = json!({ "tools": { "t": { "inputSchema": { "type": "object", "properties": {
        "s": { "type": "string", "enum": ["a", "b"], "description": "d" } } } } } });
    let mut new = old.clone();
    new["tools"]["t"]["inputSchema"]["properties"]["s"]["enum"] = json!(["a"]);
    let d = compare_contracts(&old, &new);
    assert_eq!(
        d.breaking,
        ["tool `t`: argument `s` enum value \"b\" removed (\"a\" | \"b\" → \"a\")"]
    );
    let d = compare_contracts(&new, &old);
    assert!(d.breaking.is_empty());
    assert_eq!(
        d.compatible,
        ["tool `t`: argument `s` enum value \"b\" added (\"a\" → \"a\" | \"b\")"]
    );
}

fn child(lock: &PathBuf, env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_contract-lock-child"));
    cmd.arg(lock)
        .env_remove("CI")
        .env_remove("MCP_UPDATE_CONTRACTS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run contract-lock-child");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn update_switch_rewrites_the_lock_and_a_missing_lock_is_created_outside_ci_only() {
    let dir = std::env::temp_dir().join(format!("mcp-lock-child-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let lock = dir.join("tests").join("mcp-contract.lock.json");

    let (ok, out) = child(&lock, &[("CI", "true")]);
    assert!(!ok, "in CI a missing lock fails: {out}");
    assert!(
        out.contains("is missing; run `MCP_UPDATE_CONTRACTS=1 cargo test` and commit it"),
        "{out}"
    );
    assert!(!lock.exists());

    let (ok, out) = child(&lock, &[]);
    assert!(ok, "{out}");
    assert!(out.contains("created; commit it"), "{out}");
    let created: Value = serde_json::from_str(&std::fs::read_to_string(&lock).unwrap()).unwrap();
    assert_eq!(
        created["tools"]["lookup"]["inputSchema"]["required"],
        json!(["key"])
    );

    // A breaking difference fails, and the update switch accepts it.
    let mut old = created.clone();
    old["tools"]["removed_tool"] =
        json!({ "description": "x", "inputSchema": { "type": "object" } });
    std::fs::write(&lock, old.to_string()).unwrap();
    let (ok, out) = child(&lock, &[]);
    assert!(!ok && out.contains("tool `removed_tool` removed"), "{out}");
    let (ok, out) = child(&lock, &[("MCP_UPDATE_CONTRACTS", "1")]);
    assert!(ok && out.contains("rewritten with these changes"), "{out}");
    let rewritten: Value = serde_json::from_str(&std::fs::read_to_string(&lock).unwrap()).unwrap();
    assert_eq!(rewritten, created);
    let (ok, out) = child(&lock, &[]);
    assert!(ok && out.is_empty(), "clean after the rewrite: {out}");
}
