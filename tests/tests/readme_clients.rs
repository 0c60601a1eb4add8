//! Every client snippet of the README (its ` ```python ` and ` ```ts ` /
//! ` ```typescript ` blocks), extracted from README.md at test time and run as
//! written against the real shop binary: the Python one with the pinned
//! official SDK (`.tools/venv`, `mcp` 2.3.0), the TypeScript one with the
//! pinned official SDK (`.tools/js-clients`). The snippets read `MCP_URL` and
//! `MCP_KEY`, which the test sets; their fallbacks must be the shop the README
//! starts, so a reader can run them as they are.
//!
//! Each snippet must finish without a word on stderr and print the structured
//! result of its `get_order` call, which must be the shop's.
//!
//! Needs python3 and npm once (see `python_sdk.rs` and `js_clients.rs`);
//! without them the snippets of that language print `SKIPPED` and pass,
//! unless `CI` is set.

mod clients;

use std::process::Command;
use std::time::Duration;

use clients::{Run, Shop, node, run_node_script, start_shop};
use serde_json::{Value, json};

const SECRET: &str = "readme-snippets-0c6e2f9a41d7";

/// What the README tells the reader to start the shop with.
const README_KEYS: &str = r#"MCP_API_KEYS="me:change-me-to-a-long-secret""#;
const README_SECRET: &str = "change-me-to-a-long-secret";
const README_URL: &str = "http://127.0.0.1:8080/mcp";

/// The fenced code blocks of README.md whose info string is one of `langs`.
fn snippets(langs: &[&str]) -> Vec<String> {
    let readme =
        std::fs::read_to_string(mcp_tests::repo_root().join("README.md")).expect("read README.md");
    let mut out = Vec::new();
    let mut current: Option<(bool, String)> = None;
    for line in readme.lines() {
        match &mut current {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    current = Some((langs.contains(&info.trim()), String::new()));
                }
            }
            Some((wanted, body)) => {
                if line.starts_with("```") {
                    if *wanted {
                        out.push(std::mem::take(body));
                    }
                    current = None;
                } else {
                    body.push_str(line);
                    body.push('\n');
                }
            }
        }
    }
    assert!(current.is_none(), "README.md ends inside a code block");
    out
}

/// The snippets' fallbacks are the shop the README starts.
fn check_fallbacks(snippet: &str) {
    let readme = std::fs::read_to_string(mcp_tests::repo_root().join("README.md")).unwrap();
    assert!(
        readme.contains(README_KEYS),
        "the README starts the shop with {README_KEYS}"
    );
    for needle in ["MCP_URL", "MCP_KEY", README_URL, README_SECRET] {
        assert!(
            snippet.contains(needle),
            "the snippet names {needle}:\n{snippet}"
        );
    }
}

/// The structured result of `get_order ORD-10001` for acme: the shop's own
/// answer over plain HTTP, pinned where it matters.
fn check_order(printed: &str, shop: &Shop, who: &str) {
    let order: Value = serde_json::from_str(printed.trim())
        .unwrap_or_else(|e| panic!("{who} printed no JSON ({e}):\n{printed}"));
    let answer = clients::rpc(
        shop.addr(),
        SECRET,
        "tools/call",
        json!({ "name": "get_order", "arguments": { "orderNumber": "ORD-10001", "tenantId": "acme" } }),
    );
    assert_eq!(order, answer["structuredContent"], "{who}");
    assert_eq!(order["orderNumber"], "ORD-10001", "{who}");
    assert_eq!(order["customerId"], "CUS-1001", "{who}");
    assert_eq!(order["status"], "delivered", "{who}");
    assert_eq!(order["carrier"], "UPS", "{who}");
    assert_eq!(
        order["total"],
        json!({ "amount": "360.45", "currency": "EUR" }),
        "{who}"
    );
    assert_eq!(order["shippingAddress"]["line2"], Value::Null, "{who}");
}

#[test]
fn the_readme_has_client_snippets_in_both_languages() {
    assert_eq!(snippets(&["python"]).len(), 1);
    assert_eq!(snippets(&["ts", "typescript"]).len(), 1);
}

/// Run each snippet of `langs` with `run_one` against a fresh shop, and check
/// what every snippet must do.
fn every_snippet_runs(langs: &[&str], what: &str, run_one: impl Fn(usize, &str, &Shop) -> Run) {
    let shop = start_shop(&format!("readme:{SECRET}"));
    for (i, snippet) in snippets(langs).iter().enumerate() {
        check_fallbacks(snippet);
        let run = run_one(i, snippet, &shop);
        run.assert_success(&format!("README {what} snippet {i}"));
        assert_eq!(
            run.stderr, "",
            "README {what} snippet {i} printed to stderr"
        );
        check_order(&run.stdout, &shop, &format!("the {what} snippet {i}"));
    }
    assert!(!shop.log().contains(SECRET), "the secret reached the log");
}

#[test]
fn every_python_snippet_runs_as_written() {
    let Some(python) = mcp_tests::py_sdk::venv_python() else {
        return;
    };
    every_snippet_runs(&["python"], "Python", |i, snippet, shop| {
        let file =
            std::env::temp_dir().join(format!("readme-snippet-{}-{i}.py", std::process::id()));
        std::fs::write(&file, snippet).expect("write the snippet");
        let mut cmd = Command::new(python);
        cmd.arg(&file)
            .env("MCP_URL", &shop.url)
            .env("MCP_KEY", SECRET)
            .env("PYTHONDONTWRITEBYTECODE", "1");
        let run = clients::run(cmd, Duration::from_secs(60));
        let _ = std::fs::remove_file(&file);
        run
    });
}

#[test]
fn every_typescript_snippet_runs_as_written() {
    let Some(node) = node() else { return };
    every_snippet_runs(&["ts", "typescript"], "TypeScript", |i, snippet, shop| {
        // Saved as the README says to save it.
        run_node_script(
            node,
            &format!("readme-snippet-{i}.mjs"),
            snippet,
            &[("MCP_URL", &shop.url), ("MCP_KEY", SECRET)],
        )
    });
}
