//! Testing MCP tools with `cargo test`: contract checks, a contract lock
//! file that catches breaking changes, and an in-process client.
//!
//! Add to your crate's tests (e.g. `tests/contract.rs`):
//!
//! ```no_run
//! # mod my_crate {}
//! use my_crate as _; // link the crate whose tools are checked
//!
//! #[test]
//! fn tool_contracts() {
//!     mcp_runtime::testing::assert_contracts("tests/mcp-contract.lock.json");
//! }
//! ```
//!
//! This checks every tool the test binary links (for a binary crate, put the
//! tools in its library target). `MCP_UPDATE_CONTRACTS=1 cargo test` rewrites
//! the lock after a deliberate change.

mod diff;
mod lock;

use std::path::Path;

use serde_json::Value;

pub use self::diff::{ContractDiff, compare_contracts};
pub use self::lock::{
    Listed, UPDATE_ENV, check_contract_lock, compare_to_lock, contract_of, contract_of_listed,
    contract_of_tools,
};
use crate::registry::Registry;
use crate::schema_lint::lint_tool;
pub use crate::transport::in_process::{CallResult, Client, RpcErrorObject};

/// Check every registered tool beyond what building a server checks: every
/// schema passes the portability rules of [`crate::schema_lint`] (every
/// argument, at any depth, has a description; no `$ref`, `type` arrays,
/// non-standard `format`s, bare `true` … in a schema written by hand), and
/// every declared example validates against its schema. Returns every
/// problem found, each naming the tool's location, the rule, the place in
/// the schema and the fix.
pub fn check_contracts() -> Result<Registry, Vec<String>> {
    let registry = Registry::from_inventory().map_err(|e| e.problems)?;
    if registry.is_empty() {
        return Err(vec![
            "no MCP tools are registered in this test binary: an integration test links only the \
             crates it uses, so add `use your_crate as _;` to the test file (for a binary crate, \
             move the tools into its library target)"
                .to_owned(),
        ]);
    }
    let mut problems = Vec::new();
    for tool in registry.tools() {
        let loc = tool.location();
        for finding in lint_tool(tool.definition()) {
            problems.push(format!("{loc}: tool `{}`: {finding}", tool.name()));
        }
        let mut bad = Vec::new();
        bad_examples(tool.input_schema(), "", &mut bad);
        if let Some(out) = tool.output_schema() {
            bad_examples(out, "(output)", &mut bad);
        }
        for (path, msg) in bad {
            problems.push(format!(
                "{loc}: tool `{}`: example of `{path}` does not match its schema: {msg}",
                tool.name()
            ));
        }
    }
    if problems.is_empty() {
        Ok(registry)
    } else {
        Err(problems)
    }
}

fn bad_examples(schema: &Value, path: &str, out: &mut Vec<(String, String)>) {
    // A nullable object keeps its properties in an `anyOf` branch: look
    // through it.
    let joined = crate::schema::joined_type_union(schema);
    let Some(obj) = joined.as_object() else {
        return;
    };
    if let Some(Value::Array(examples)) = obj.get("examples") {
        let mut bare = schema.clone();
        if let Some(o) = bare.as_object_mut() {
            o.remove("examples");
        }
        match jsonschema::draft202012::new(&bare) {
            Ok(v) => {
                for ex in examples {
                    if let Err(e) = v.validate(ex) {
                        let name = if path.is_empty() { "(arguments)" } else { path };
                        out.push((name.to_owned(), e.to_string()));
                    }
                }
            }
            Err(e) => out.push((path.to_owned(), e.to_string())),
        }
    }
    if let Some(Value::Object(props)) = obj.get("properties") {
        for (name, prop) in props {
            let p = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            bad_examples(prop, &p, out);
        }
    }
    if let Some(items) = obj.get("items") {
        bad_examples(items, &format!("{path}[]"), out);
    }
}

/// The contract test for a user crate: [`check_contracts`], then the lock
/// file at `lock_path` (see [`check_contract_lock`]). Panics with every
/// problem and a readable diff.
pub fn assert_contracts(lock_path: impl AsRef<Path>) {
    let registry = match check_contracts() {
        Ok(r) => r,
        Err(problems) => panic!(
            "MCP tool contracts have problems:\n  - {}",
            problems.join("\n  - ")
        ),
    };
    match check_contract_lock(&registry, lock_path.as_ref()) {
        Ok(note) => {
            if let Some(n) = note {
                eprintln!("{n}");
            }
        }
        Err(e) => panic!("{e}"),
    }
}

/// The `requestedSchema` a form elicitation of `T` sends
/// ([`ToolContext::elicit`](crate::ToolContext::elicit)), or why `T` is not
/// a form a client can show. `#[derive(ElicitForm)]` already refuses, as it
/// compiles, a field type a form cannot hold; what only the schema shows (a
/// string `format` a form does not have, a `#[serde(flatten)]` field, a
/// hand-written `JsonSchema`) is checked here and at the first `elicit`:
/// call it in a test for such a type, so it fails `cargo test` rather than
/// the first call.
///
/// ```
/// use mcp_runtime::prelude::*;
///
/// /// Are you sure?
/// #[derive(Deserialize, JsonSchema, ElicitForm)]
/// struct Confirm {
///     /// Tick to confirm.
///     confirm: bool,
/// }
///
/// let schema = mcp_runtime::testing::check_form::<Confirm>().unwrap();
/// assert_eq!(schema["properties"]["confirm"]["type"], "boolean");
/// ```
pub fn check_form<T: schemars::JsonSchema + 'static>() -> Result<Value, String> {
    crate::input::form::requested_schema::<T>()
}
