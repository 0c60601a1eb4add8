//! The contract lock file: the published contract of every tool, committed
//! beside the tests, and the check that compares the build against it.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::diff::{ContractDiff, compare_contracts};
use crate::registry::Registry;

/// The environment variable that makes the lock check rewrite the lock file.
pub const UPDATE_ENV: &str = "MCP_UPDATE_CONTRACTS";

/// The published contract of a server: what the lock file holds. Its
/// tools, and (when it has any) its resources under their URIs, its
/// resource templates under their templates and its prompts under their
/// names, each as listed without the key it is filed under.
pub fn contract_of(registry: &Registry) -> Value {
    let served = registry.resources();
    contract_of_listed(Listed {
        tools: &registry
            .tools()
            .iter()
            .map(|t| t.definition().clone())
            .collect::<Vec<_>>(),
        resources: &served
            .resources()
            .iter()
            .map(|r| r.definition().clone())
            .collect::<Vec<_>>(),
        resource_templates: &served
            .templates()
            .iter()
            .map(|r| r.definition().clone())
            .collect::<Vec<_>>(),
        prompts: &registry
            .prompts()
            .prompts()
            .iter()
            .map(|p| p.definition().clone())
            .collect::<Vec<_>>(),
    })
}

/// The entries of a server as its four lists publish them (`tools/list`,
/// `resources/list`, `resources/templates/list`, `prompts/list`), e.g. as
/// the `mcp lock` command reads them.
#[derive(Debug, Clone, Copy)]
pub struct Listed<'a> {
    /// The tools.
    pub tools: &'a [Value],
    /// The static resources.
    pub resources: &'a [Value],
    /// The resource templates.
    pub resource_templates: &'a [Value],
    /// The prompts.
    pub prompts: &'a [Value],
}

/// The contract of a server from its lists: the document [`contract_of`]
/// gives for a registry, for any server.
pub fn contract_of_listed(listed: Listed<'_>) -> Value {
    let mut contract = contract_of_tools(listed.tools);
    let sections = [
        ("resources", "uri", listed.resources),
        (
            "resourceTemplates",
            "uriTemplate",
            listed.resource_templates,
        ),
        ("prompts", "name", listed.prompts),
    ];
    for (section, key, definitions) in sections {
        if definitions.is_empty() {
            continue;
        }
        let mut m = Map::new();
        for d in definitions {
            let mut d = d.clone();
            scopes_out_of_meta(&mut d);
            let id = d
                .as_object_mut()
                .and_then(|o| o.remove(key))
                .and_then(|n| n.as_str().map(str::to_owned))
                .unwrap_or_default();
            m.insert(id, d);
        }
        contract[section] = Value::Object(m);
    }
    contract
}

/// The contract of tool definitions as `tools/list` publishes them (of any
/// server, e.g. as the `mcp lock` command reads them): the same document as
/// [`contract_of`], each tool under its name, without its `name` field.
///
/// ```
/// use serde_json::json;
///
/// let listed = [json!({ "name": "ping", "description": "Answer pong.", "inputSchema": { "type": "object" } })];
/// assert_eq!(
///     mcp_runtime::testing::contract_of_tools(&listed),
///     json!({ "tools": { "ping": { "description": "Answer pong.", "inputSchema": { "type": "object" } } } })
/// );
/// ```
pub fn contract_of_tools<'t>(definitions: impl IntoIterator<Item = &'t Value>) -> Value {
    let mut tools = Map::new();
    for definition in definitions {
        let mut d = definition.clone();
        let name = d
            .as_object_mut()
            .and_then(|o| o.remove("name"))
            .and_then(|n| n.as_str().map(str::to_owned))
            .unwrap_or_default();
        scopes_out_of_meta(&mut d);
        tools.insert(name, d);
    }
    json!({ "tools": tools })
}

/// Who may use an entry is part of the contract: a scope added to a tool
/// (resource, prompt) shuts out the agents without it. Listed in `_meta`,
/// locked as `scopes`.
fn scopes_out_of_meta(d: &mut Value) {
    if let Some(o) = d.as_object_mut()
        && let Some(Value::Object(meta)) = o.get_mut("_meta")
        && let Some(scopes) = meta.remove(crate::jsonrpc::TOOL_SCOPES_META)
    {
        if meta.is_empty() {
            o.remove("_meta");
        }
        o.insert("scopes".into(), scopes);
    }
}

/// The changes from a locked contract to the current one, classified as the
/// lock check of `cargo test` ([`check_contract_lock`]) classifies them: both
/// are compared in the spelling the runtime publishes now, so a lock written
/// before schemas were published portably (`type` arrays, `format:
/// "uint32"`) holds the same contract.
pub fn compare_to_lock(locked: &Value, current: &Value) -> ContractDiff {
    let (old, new) = in_one_spelling(locked, current);
    compare_contracts(&old, &new)
}

/// Both contracts with their schemas respelled as the runtime publishes them now.
fn in_one_spelling(locked: &Value, current: &Value) -> (Value, Value) {
    let (mut old, mut new) = (locked.clone(), current.clone());
    portable_schemas(&mut old);
    portable_schemas(&mut new);
    (old, new)
}

/// Respell the schemas of a contract as the runtime publishes them now.
fn portable_schemas(contract: &mut Value) {
    let Some(Value::Object(tools)) = contract.get_mut("tools") else {
        return;
    };
    for tool in tools.values_mut() {
        for key in ["inputSchema", "outputSchema"] {
            if let Some(schema) = tool.get_mut(key) {
                crate::schema::portable(schema);
            }
        }
    }
}

/// Compare the registry's contract with the lock file at `path`.
///
/// - No lock file: it is written (outside CI) and the check passes with a note;
///   in CI (`CI` set) that is an error, since the lock belongs in the repository.
/// - `MCP_UPDATE_CONTRACTS=1`: the lock is rewritten; passes with a note.
/// - Breaking changes: `Err` with the diff.
/// - Only non-breaking changes: `Ok` with a note holding the diff.
pub fn check_contract_lock(registry: &Registry, path: &Path) -> Result<Option<String>, String> {
    let current = contract_of(registry);
    let text =
        serde_json::to_string_pretty(&current).expect("serializing a Value cannot fail") + "\n";
    let update = std::env::var_os(UPDATE_ENV).is_some_and(|v| !v.is_empty() && v != "0");
    let write = |why: &str| -> Result<Option<String>, String> {
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        std::fs::write(path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(Some(format!("MCP contract lock {}: {why}", path.display())))
    };
    let locked = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if update || std::env::var_os("CI").is_none() {
                return write("created; commit it");
            }
            return Err(format!(
                "MCP contract lock {} is missing; run `{UPDATE_ENV}=1 cargo test` and commit it",
                path.display()
            ));
        }
        Err(e) => {
            return Err(format!(
                "cannot read MCP contract lock {}: {e}",
                path.display()
            ));
        }
    };
    let locked: Value = serde_json::from_str(&locked).map_err(|e| {
        format!(
            "MCP contract lock {} is not valid JSON: {e}",
            path.display()
        )
    })?;
    // Compared in one spelling, as `compare_to_lock` compares.
    let (old, new) = in_one_spelling(&locked, &current);
    let diff = compare_contracts(&old, &new);
    let same = diff.is_empty() && old == new;
    if update && locked != current {
        return write(&if same {
            "rewritten in the current spelling; the contract is unchanged".to_owned()
        } else {
            format!("rewritten with these changes:\n{diff}")
        });
    }
    if same {
        return Ok(None);
    }
    if !diff.breaking.is_empty() {
        return Err(format!(
            "MCP tool contracts differ from the lock {}:\n{diff}\nIf these changes are intended, \
             run `{UPDATE_ENV}=1 cargo test` to rewrite the lock, and tell the agents' owners.",
            path.display()
        ));
    }
    Ok(Some(format!(
        "note: MCP tool contracts changed compatibly since the lock {}:\n{diff}\
         Run `{UPDATE_ENV}=1 cargo test` to record them.",
        path.display()
    )))
}
