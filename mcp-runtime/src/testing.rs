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

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::{Map, Value, json};

use crate::context::KeyIdentity;
use crate::error::ErrorKind;
use crate::protocol::{Dispatcher, Env, Reply, Transport};
use crate::registry::Registry;

/// The environment variable that makes the lock check rewrite the lock file.
pub const UPDATE_ENV: &str = "MCP_UPDATE_CONTRACTS";

// ---------------------------------------------------------------- contracts

/// Check every registered tool beyond what building a server checks: every
/// argument (at any depth) has a description, and every declared example
/// validates against its schema. Returns every problem found.
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
        let mut p = Vec::new();
        undocumented(tool.input_schema(), "", &mut p);
        for path in p {
            problems.push(format!(
                "{loc}: tool `{}`: argument `{path}` has no description (add a `///` doc comment)",
                tool.name()
            ));
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

fn undocumented(schema: &Value, prefix: &str, out: &mut Vec<String>) {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        if let Some(items) = schema.get("items") {
            undocumented(items, &format!("{prefix}[]"), out);
        }
        return;
    };
    for (name, prop) in props {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let described = prop
            .get("description")
            .and_then(Value::as_str)
            .is_some_and(|d| !d.trim().is_empty());
        if !described {
            out.push(path.clone());
        }
        undocumented(prop, &path, out);
    }
}

fn bad_examples(schema: &Value, path: &str, out: &mut Vec<(String, String)>) {
    let Some(obj) = schema.as_object() else {
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

// ---------------------------------------------------------------- lock file

/// The published contract of a set of tools: what the lock file holds.
pub fn contract_of(registry: &Registry) -> Value {
    let mut tools = Map::new();
    for t in registry.tools() {
        let mut d = t.definition().clone();
        if let Some(o) = d.as_object_mut() {
            o.remove("name");
        }
        tools.insert(t.name().to_owned(), d);
    }
    json!({ "tools": tools })
}

/// Changes between a locked contract and the current one.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ContractDiff {
    /// Changes that can break agents built against the lock.
    pub breaking: Vec<String>,
    /// Changes existing agents keep working with.
    pub compatible: Vec<String>,
}

impl ContractDiff {
    /// No change at all.
    pub fn is_empty(&self) -> bool {
        self.breaking.is_empty() && self.compatible.is_empty()
    }
}

impl fmt::Display for ContractDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.breaking.is_empty() {
            writeln!(
                f,
                "BREAKING changes (agents built against the lock may fail):"
            )?;
            for c in &self.breaking {
                writeln!(f, "  - {c}")?;
            }
        }
        if !self.compatible.is_empty() {
            writeln!(f, "non-breaking changes:")?;
            for c in &self.compatible {
                writeln!(f, "  + {c}")?;
            }
        }
        Ok(())
    }
}

/// Compare two contracts (as [`contract_of`] makes them).
pub fn compare_contracts(locked: &Value, current: &Value) -> ContractDiff {
    let mut d = ContractDiff::default();
    let empty = Map::new();
    let old = locked
        .get("tools")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let new = current
        .get("tools")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (name, o) in old {
        match new.get(name) {
            None => d
                .breaking
                .push(format!("tool `{name}` removed (or renamed)")),
            Some(n) => compare_tool(name, o, n, &mut d),
        }
    }
    for name in new.keys().filter(|n| !old.contains_key(*n)) {
        d.compatible.push(format!("tool `{name}` added"));
    }
    d
}

fn compare_tool(tool: &str, old: &Value, new: &Value, d: &mut ContractDiff) {
    for field in ["description", "title", "annotations"] {
        if old.get(field) != new.get(field) {
            d.compatible.push(format!("tool `{tool}`: {field} changed"));
        }
    }
    let null = Value::Null;
    let before = d.breaking.len() + d.compatible.len();
    let (old_in, new_in) = (
        old.get("inputSchema").unwrap_or(&null),
        new.get("inputSchema").unwrap_or(&null),
    );
    compare_schema(
        &format!("tool `{tool}`: argument"),
        "",
        old_in,
        new_in,
        Direction::Input,
        d,
    );
    if old_in != new_in && d.breaking.len() + d.compatible.len() == before {
        // A change this comparison does not classify: flag it rather than let it pass unseen.
        d.breaking.push(format!(
            "tool `{tool}`: input schema changed in a way not classified; review it"
        ));
    }
    match (old.get("outputSchema"), new.get("outputSchema")) {
        (Some(o), Some(n)) => compare_schema(
            &format!("tool `{tool}`: result field"),
            "",
            o,
            n,
            Direction::Output,
            d,
        ),
        (Some(_), None) => d.breaking.push(format!(
            "tool `{tool}`: structured output (outputSchema) removed"
        )),
        (None, Some(_)) => d.compatible.push(format!(
            "tool `{tool}`: structured output (outputSchema) added"
        )),
        (None, None) => {}
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// Agents send it: narrowing breaks them.
    Input,
    /// Agents read it: removing what they read breaks them.
    Output,
}

fn types_of(s: &Value) -> Vec<String> {
    match s.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn required_of(s: &Value) -> Vec<String> {
    s.get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn compare_schema(
    what: &str,
    path: &str,
    old: &Value,
    new: &Value,
    dir: Direction,
    d: &mut ContractDiff,
) {
    let label = if path.is_empty() {
        "(root)".to_owned()
    } else {
        format!("`{path}`")
    };
    let (ot, nt) = (types_of(old), types_of(new));
    if ot != nt && !(ot.is_empty() && nt.is_empty()) {
        let widened = dir == Direction::Input
            && ot
                .iter()
                .all(|t| nt.contains(t) || (t == "integer" && nt.iter().any(|n| n == "number")));
        let msg = format!(
            "{what} {label} type changed: {} -> {}",
            ot.join("|"),
            nt.join("|")
        );
        if widened {
            d.compatible.push(msg)
        } else {
            d.breaking.push(msg)
        }
    }
    if old.get("description") != new.get("description") && !path.is_empty() {
        d.compatible
            .push(format!("{what} {label} description changed"));
    }
    if let (Some(oe), ne) = (
        crate::schema::allowed_values(old),
        crate::schema::allowed_values(new),
    ) {
        let ne = ne.unwrap_or_default();
        for v in oe.iter().filter(|v| !ne.is_empty() && !ne.contains(v)) {
            let msg = format!("{what} {label} enum value {v} removed");
            if dir == Direction::Input {
                d.breaking.push(msg)
            } else {
                d.compatible.push(msg)
            }
        }
        for v in ne.iter().filter(|v| !oe.contains(v)) {
            let msg = format!("{what} {label} enum value {v} added");
            if dir == Direction::Output {
                d.breaking.push(msg)
            } else {
                d.compatible.push(msg)
            }
        }
    }
    if dir == Direction::Input {
        for (kw, tighter_if_greater) in [
            ("minimum", true),
            ("exclusiveMinimum", true),
            ("minLength", true),
            ("minItems", true),
            ("maximum", false),
            ("exclusiveMaximum", false),
            ("maxLength", false),
            ("maxItems", false),
        ] {
            let (o, n) = (
                old.get(kw).and_then(Value::as_f64),
                new.get(kw).and_then(Value::as_f64),
            );
            let tighter = match (o, n) {
                (None, Some(_)) => true,
                (Some(o), Some(n)) => {
                    if tighter_if_greater {
                        n > o
                    } else {
                        n < o
                    }
                }
                _ => false,
            };
            if tighter {
                d.breaking
                    .push(format!("{what} {label} constraint `{kw}` tightened"));
            } else if o != n {
                d.compatible
                    .push(format!("{what} {label} constraint `{kw}` relaxed"));
            }
        }
        if old.get("pattern") != new.get("pattern") && new.get("pattern").is_some() {
            d.breaking.push(format!("{what} {label} pattern changed"));
        }
        if old.get("additionalProperties") != Some(&Value::Bool(false))
            && new.get("additionalProperties") == Some(&Value::Bool(false))
            && old.get("properties").is_some()
        {
            d.breaking
                .push(format!("{what} {label} no longer accepts unknown fields"));
        }
    }
    let empty = Map::new();
    let op = old
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let np = new
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let (or, nr) = (required_of(old), required_of(new));
    for (name, o) in op {
        let p = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        match np.get(name) {
            None => {
                let msg = format!("{what} `{p}` removed");
                // An agent still sending a removed argument is refused when
                // unknown fields are; a removed result field breaks readers.
                if dir == Direction::Output
                    || new.get("additionalProperties") == Some(&Value::Bool(false))
                {
                    d.breaking.push(msg)
                } else {
                    d.compatible.push(msg)
                }
            }
            Some(n) => {
                if dir == Direction::Input && nr.contains(name) && !or.contains(name) {
                    d.breaking.push(format!("{what} `{p}` is now required"));
                }
                if dir == Direction::Output && or.contains(name) && !nr.contains(name) {
                    d.breaking
                        .push(format!("{what} `{p}` is no longer always present"));
                }
                if dir == Direction::Input && or.contains(name) && !nr.contains(name) {
                    d.compatible.push(format!("{what} `{p}` is now optional"));
                }
                compare_schema(what, &p, o, n, dir, d);
            }
        }
    }
    for (name, _) in np.iter().filter(|(n, _)| !op.contains_key(*n)) {
        let p = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        if dir == Direction::Input && nr.contains(name) {
            d.breaking.push(format!("{what} `{p}` added as required"));
        } else {
            let kind = if dir == Direction::Input {
                "optional "
            } else {
                ""
            };
            d.compatible
                .push(format!("{what} `{p}` added ({kind}field)"));
        }
    }
    if let (Some(oi), Some(ni)) = (old.get("items"), new.get("items")) {
        compare_schema(what, &format!("{path}[]"), oi, ni, dir, d);
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
    let diff = compare_contracts(&locked, &current);
    if diff.is_empty() && locked == current {
        return Ok(None);
    }
    if update {
        return write(&format!("rewritten with these changes:\n{diff}"));
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

// ---------------------------------------------------------------- client

/// An in-process MCP client: real JSON-RPC through the same dispatcher the
/// HTTP and stdio transports use, with no network.
///
/// Get one from [`Server::client`](crate::Server::client). By default it
/// injects nothing; [`Client::tenant`] makes it inject `tenantId` (and
/// [`Client::workspace`] `workspaceId`) into every call, as the hub does.
#[derive(Clone)]
pub struct Client {
    dispatcher: Arc<Dispatcher>,
    next_id: Arc<AtomicI64>,
    tenant: Option<String>,
    workspace: Option<String>,
    key: Option<Arc<KeyIdentity>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("tenant", &self.tenant)
            .field("workspace", &self.workspace)
            .finish_non_exhaustive()
    }
}

/// A JSON-RPC error answer.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcErrorObject {
    /// The error code, e.g. -32602.
    pub code: i64,
    /// The message.
    pub message: String,
    /// Extra data.
    pub data: Option<Value>,
}

impl fmt::Display for RpcErrorObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JSON-RPC error {}: {}", self.code, self.message)
    }
}

impl std::error::Error for RpcErrorObject {}

/// The result of a `tools/call`.
#[derive(Debug, Clone, PartialEq)]
pub struct CallResult {
    /// The raw `CallToolResult` object.
    pub raw: Value,
}

impl CallResult {
    /// Whether the tool reported an error (`isError: true`).
    pub fn is_error(&self) -> bool {
        self.raw
            .get("isError")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The `structuredContent`, if any.
    pub fn structured(&self) -> Option<&Value> {
        self.raw.get("structuredContent")
    }

    /// The text of the first content block.
    pub fn text(&self) -> Option<&str> {
        self.raw.pointer("/content/0/text").and_then(Value::as_str)
    }

    /// The first text block parsed as JSON: the value for a success, the
    /// `{"error": {...}}` object for an error.
    pub fn json(&self) -> Option<Value> {
        self.text().and_then(|t| serde_json::from_str(t).ok())
    }

    /// For an error result: its kind.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        if !self.is_error() {
            return None;
        }
        self.json()?
            .pointer("/error/type")?
            .as_str()
            .and_then(ErrorKind::from_wire)
    }

    /// For an error result: its message.
    pub fn error_message(&self) -> Option<String> {
        if !self.is_error() {
            return None;
        }
        Some(self.json()?.pointer("/error/message")?.as_str()?.to_owned())
    }

    /// The success value deserialized, or a description of why not.
    pub fn value<T: serde::de::DeserializeOwned>(&self) -> Result<T, String> {
        if self.is_error() {
            return Err(format!(
                "the tool returned an error: {}",
                self.text().unwrap_or("")
            ));
        }
        let v = self.json().ok_or("the result has no JSON text content")?;
        serde_json::from_value(v).map_err(|e| e.to_string())
    }
}

impl Client {
    pub(crate) fn new(dispatcher: Arc<Dispatcher>) -> Client {
        Client {
            dispatcher,
            next_id: Arc::new(AtomicI64::new(1)),
            tenant: None,
            workspace: None,
            key: None,
        }
    }

    /// Inject this `tenantId` into every call, as the platform's hub does.
    pub fn tenant(mut self, tenant: impl Into<String>) -> Client {
        self.tenant = Some(tenant.into());
        self
    }

    /// Inject this `workspaceId` into every call.
    pub fn workspace(mut self, workspace: impl Into<String>) -> Client {
        self.workspace = Some(workspace.into());
        self
    }

    /// Call as if authenticated by a key with this name, bound to `tenants`
    /// (`None`: any tenant).
    pub fn as_key(mut self, name: impl Into<String>, tenants: Option<Vec<String>>) -> Client {
        self.key = Some(Arc::new(KeyIdentity {
            name: name.into(),
            tenants,
        }));
        self
    }

    /// Send one raw JSON-RPC message; returns the response, or `None` for a
    /// notification.
    pub async fn send_raw(&self, message: &str) -> Option<Value> {
        let env = Env {
            key: self.key.clone(),
            transport: Transport::InProcess,
            ..Env::default()
        };
        match self.dispatcher.handle(message.as_bytes(), env).await {
            Reply::Response { body, .. } => {
                Some(serde_json::from_slice(&body).expect("the server sends JSON"))
            }
            Reply::Accepted => None,
        }
    }

    /// Send one raw JSON-RPC message and return the response bytes as the
    /// transports would write them (`None` for a notification), unparsed.
    /// For benchmarks of the dispatcher.
    #[doc(hidden)]
    pub async fn send_bytes(&self, message: &[u8]) -> Option<Vec<u8>> {
        let env = Env {
            key: self.key.clone(),
            transport: Transport::InProcess,
            ..Env::default()
        };
        match self.dispatcher.handle(message, env).await {
            Reply::Response { body, .. } => Some(body),
            Reply::Accepted => None,
        }
    }

    /// Send a request; `Ok(result)` or the JSON-RPC error.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, RpcErrorObject> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let msg = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let resp = self
            .send_raw(&msg.to_string())
            .await
            .expect("a request always gets a response");
        if let Some(e) = resp.get("error") {
            return Err(RpcErrorObject {
                code: e.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: e
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                data: e.get("data").cloned(),
            });
        }
        Ok(resp.get("result").cloned().unwrap_or(Value::Null))
    }

    /// All tools, following `nextCursor` pages.
    pub async fn list_tools(&self) -> Result<Vec<Value>, RpcErrorObject> {
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let params = match &cursor {
                Some(c) => json!({ "cursor": c }),
                None => json!({}),
            };
            let r = self.request("tools/list", params).await?;
            if let Some(Value::Array(page)) = r.get("tools") {
                tools.extend(page.iter().cloned());
            }
            match r.get("nextCursor").and_then(Value::as_str) {
                Some(c) => cursor = Some(c.to_owned()),
                None => return Ok(tools),
            }
        }
    }

    /// Call a tool with `arguments` (plus the injected tenant/workspace).
    pub async fn call(&self, name: &str, arguments: Value) -> Result<CallResult, RpcErrorObject> {
        let mut args = match arguments {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            other => {
                return self
                    .request("tools/call", json!({ "name": name, "arguments": other }))
                    .await
                    .map(|raw| CallResult { raw });
            }
        };
        if let Some(t) = &self.tenant {
            args.insert("tenantId".into(), json!(t));
        }
        if let Some(w) = &self.workspace {
            args.insert("workspaceId".into(), json!(w));
        }
        let raw = self
            .request("tools/call", json!({ "name": name, "arguments": args }))
            .await?;
        Ok(CallResult { raw })
    }
}
