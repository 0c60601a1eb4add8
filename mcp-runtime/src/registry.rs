//! The tools of the binary, collected once from `#[mcp_tool]` registrations,
//! with their schemas generated, checked and compiled.

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Value, json};

use crate::__private::ToolDescriptor;
use crate::context::StateMap;
use crate::prompt::Prompts;
use crate::resource::Resources;
use crate::schema;

pub(crate) use crate::auth::INJECTED;

/// One registered tool, with its published schemas.
pub struct ToolInfo {
    pub(crate) desc: &'static ToolDescriptor,
    input_schema: Value,
    output_schema: Option<Value>,
    pub(crate) validator: jsonschema::Validator,
    definition: Value,
    header_params: Vec<(String, String)>,
}

impl ToolInfo {
    /// Wire name.
    pub fn name(&self) -> &'static str {
        self.desc.name
    }

    /// Description.
    pub fn description(&self) -> &'static str {
        self.desc.description
    }

    /// The published `inputSchema`.
    pub fn input_schema(&self) -> &Value {
        &self.input_schema
    }

    /// The published `outputSchema`, when the return type is object-shaped.
    pub fn output_schema(&self) -> Option<&Value> {
        self.output_schema.as_ref()
    }

    /// The tool as `tools/list` shows it.
    pub fn definition(&self) -> &Value {
        &self.definition
    }

    /// Arguments mirrored into HTTP headers: (property, header name) for each
    /// top-level property whose schema carries `x-mcp-header`.
    pub fn header_params(&self) -> &[(String, String)] {
        &self.header_params
    }

    /// The OAuth scopes a caller must hold to call this tool (all of them);
    /// empty for a tool anyone authenticated may call.
    pub fn scopes(&self) -> &'static [&'static str] {
        self.desc.scopes
    }

    /// Where the tool is defined: `file:line`.
    pub fn location(&self) -> String {
        format!("{}:{}", self.desc.file, self.desc.line)
    }

    /// The Rust path of the tool's module.
    pub fn module_path(&self) -> &'static str {
        self.desc.module_path
    }
}

impl fmt::Debug for ToolInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolInfo")
            .field("name", &self.desc.name)
            .field("location", &self.location())
            .finish_non_exhaustive()
    }
}

/// Every problem found while building a registry, each with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    /// The problems, one line each: `file:line: tool `name`: what is wrong`.
    pub problems: Vec<String>,
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the MCP tools have {} problem(s):", self.problems.len())?;
        for p in &self.problems {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RegistryError {}

/// The set of tools a server serves, sorted by name.
pub struct Registry {
    tools: Vec<ToolInfo>,
    by_name: HashMap<&'static str, usize>,
    resources: Resources,
    prompts: Prompts,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.tools.iter().map(|t| t.name()))
            .finish()
    }
}

/// Whether `name` is a valid tool name: 1–64 chars of `[A-Za-z0-9_.-]`.
pub fn is_valid_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn problem(d: &ToolDescriptor, msg: impl fmt::Display) -> String {
    format!("{}:{}: tool `{}`: {msg}", d.file, d.line, d.name)
}

impl Registry {
    /// Every tool registered with `#[mcp_tool]` anywhere in this binary.
    /// With them, every resource and prompt registered with `#[mcp_resource]`
    /// and `#[mcp_prompt]`.
    pub fn from_inventory() -> Result<Registry, RegistryError> {
        Registry::build(inventory::iter::<ToolDescriptor>)?.with_registered_resources_and_prompts()
    }

    /// The registered tools for which `keep` returns true (by name), and
    /// every registered resource.
    pub fn from_inventory_filtered(keep: impl Fn(&str) -> bool) -> Result<Registry, RegistryError> {
        Registry::build(
            inventory::iter::<ToolDescriptor>
                .into_iter()
                .filter(|d| keep(d.name)),
        )?
        .with_registered_resources_and_prompts()
    }

    fn with_registered_resources_and_prompts(mut self) -> Result<Registry, RegistryError> {
        match (Resources::from_inventory(), Prompts::from_inventory()) {
            (Ok(resources), Ok(prompts)) => {
                self.resources = resources;
                self.prompts = prompts;
                Ok(self)
            }
            (r, p) => Err(RegistryError {
                problems: r.err().into_iter().chain(p.err()).flatten().collect(),
            }),
        }
    }

    /// The prompts.
    pub fn prompts(&self) -> &Prompts {
        &self.prompts
    }

    /// The resources and resource templates.
    pub fn resources(&self) -> &Resources {
        &self.resources
    }

    /// A registry of the given descriptors; all problems are reported together.
    #[doc(hidden)]
    pub fn build(
        descriptors: impl IntoIterator<Item = &'static ToolDescriptor>,
    ) -> Result<Registry, RegistryError> {
        let mut descs: Vec<&'static ToolDescriptor> = descriptors.into_iter().collect();
        descs.sort_by(|a, b| {
            a.name
                .cmp(b.name)
                .then(a.file.cmp(b.file))
                .then(a.line.cmp(&b.line))
        });
        let mut problems = Vec::new();
        for pair in descs.windows(2) {
            if pair[0].name == pair[1].name {
                problems.push(problem(
                    pair[1],
                    format_args!(
                        "duplicate tool name; also defined at {}:{} (give one of them `name = \"...\"`)",
                        pair[0].file, pair[0].line
                    ),
                ));
            }
        }
        let input_settings = schema::input_settings();
        let output_settings = schema::output_settings();
        let mut tools = Vec::with_capacity(descs.len());
        for d in descs {
            match ToolInfo::build(d, &input_settings, &output_settings) {
                Ok(t) => tools.push(t),
                Err(mut ps) => problems.append(&mut ps),
            }
        }
        if !problems.is_empty() {
            return Err(RegistryError { problems });
        }
        tools.dedup_by(|a, b| a.name() == b.name());
        let by_name = tools
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name(), i))
            .collect();
        Ok(Registry {
            tools,
            by_name,
            resources: Resources::default(),
            prompts: Prompts::default(),
        })
    }

    /// The tools, sorted by name.
    pub fn tools(&self) -> &[ToolInfo] {
        &self.tools
    }

    /// The tool of this name.
    pub fn get(&self, name: &str) -> Option<&ToolInfo> {
        self.by_name.get(name).map(|&i| &self.tools[i])
    }

    /// Number of tools.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether there are no tools.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// Every scope some tool requires, sorted, each once.
    pub fn scopes(&self) -> Vec<&'static str> {
        let mut all: Vec<&'static str> = self
            .tools
            .iter()
            .flat_map(|t| t.scopes())
            .copied()
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// Problems with state: tools that read state the builder was not given.
    pub(crate) fn missing_state(&self, state: &StateMap) -> Vec<String> {
        let mut out = Vec::new();
        for t in &self.tools {
            for key in t.desc.state.iter().map(|f| f()) {
                if !state.contains(key.id) {
                    out.push(problem(
                        t.desc,
                        format_args!(
                            "reads state `{}` with `ctx.state::<{}>()`, but the server builder was \
                             not given one: add `.state(...)` with a value of that type",
                            key.name, key.name
                        ),
                    ));
                }
            }
        }
        out
    }
}

impl ToolInfo {
    fn build(
        d: &'static ToolDescriptor,
        input_settings: &schemars::generate::SchemaSettings,
        output_settings: &schemars::generate::SchemaSettings,
    ) -> Result<ToolInfo, Vec<String>> {
        let mut problems = Vec::new();
        if !is_valid_tool_name(d.name) {
            problems.push(problem(
                d,
                "name must be 1 to 64 characters of A-Z a-z 0-9 _ . -",
            ));
        }
        if let Some(bad) = d.scopes.iter().find(|s| !crate::auth::is_valid_scope(s)) {
            problems.push(problem(
                d,
                format_args!(
                    "`{bad}` is not a scope: printable ASCII without spaces, `\"` or `\\` (RFC 6749 §3.3)"
                ),
            ));
        }
        if d.description.trim().is_empty() {
            problems.push(problem(
                d,
                "description is empty; say what the tool does, returns, and when to use it",
            ));
        }
        let raw_input = (d.input_schema)(input_settings).to_value();
        // A schema that declares its own `$schema` (a hand-written `JsonSchema`
        // impl) is published exactly as written: its author chose its `$ref`s.
        let verbatim = raw_input.get("$schema").is_some();
        let validation_schema = if verbatim {
            raw_input
        } else {
            match schema::inline(raw_input) {
                Ok(s) => s,
                Err(e) => {
                    problems.push(problem(d, format_args!("arguments: {e}")));
                    return Err(problems);
                }
            }
        };
        // The validator keeps the schema as derived (its messages name
        // `null` and the derived types); what is published is the same set
        // of values in the portable spelling (`schema::portable`).
        let mut input_schema = validation_schema.clone();
        if !verbatim {
            schema::plain_optionals(&mut input_schema);
            schema::portable(&mut input_schema);
        }
        let mut header_params = Vec::new();
        if let Some(props) = input_schema.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                match prop.get("x-mcp-header") {
                    None => {}
                    Some(Value::String(h))
                        if !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
                    {
                        header_params.push((name.clone(), h.clone()));
                    }
                    Some(other) => problems.push(problem(
                        d,
                        format_args!("argument `{name}`: `x-mcp-header` must be a header-name token (A-Z a-z 0-9 -), got {other}"),
                    )),
                }
            }
        }
        if input_schema.get("type").and_then(Value::as_str) != Some("object") {
            problems.push(problem(
                d,
                "the arguments schema must be an object (`\"type\": \"object\"`); use a struct with named fields",
            ));
        }
        if let Some(props) = input_schema.get("properties").and_then(Value::as_object) {
            for injected in INJECTED {
                if props.contains_key(injected) {
                    problems.push(problem(
                        d,
                        format_args!(
                            "declares `{injected}`, which the platform injects into every call; \
                             remove the field and read it from `ToolContext::{}()`",
                            if injected == "tenantId" {
                                "tenant_id"
                            } else {
                                "workspace_id"
                            }
                        ),
                    ));
                }
            }
        }
        if let Err(e) = jsonschema::meta::validate(&input_schema) {
            problems.push(problem(
                d,
                format_args!("input schema is not valid JSON Schema 2020-12: {e}"),
            ));
        }
        let validator = match jsonschema::draft202012::new(&validation_schema) {
            Ok(v) => Some(v),
            Err(e) => {
                problems.push(problem(
                    d,
                    format_args!("input schema does not compile: {e}"),
                ));
                None
            }
        };
        let output_schema =
            match (d.output_schema)(output_settings).map(|s| schema::inline(s.to_value())) {
                None => None,
                Some(Err(e)) => {
                    problems.push(problem(d, format_args!("return type: {e}")));
                    None
                }
                Some(Ok(mut s)) if s.get("type").and_then(Value::as_str) == Some("object") => {
                    schema::portable(&mut s);
                    if let Err(e) = jsonschema::meta::validate(&s) {
                        problems.push(problem(
                            d,
                            format_args!("output schema is not valid JSON Schema 2020-12: {e}"),
                        ));
                    }
                    Some(s)
                }
                Some(Ok(_)) => None,
            };
        let (Some(validator), true) = (validator, problems.is_empty()) else {
            return Err(problems);
        };
        let definition = definition(d, &input_schema, output_schema.as_ref());
        Ok(ToolInfo {
            desc: d,
            input_schema,
            output_schema,
            validator,
            definition,
            header_params,
        })
    }
}

fn definition(d: &ToolDescriptor, input: &Value, output: Option<&Value>) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(d.name));
    if let Some(t) = d.title {
        m.insert("title".into(), json!(t));
    }
    m.insert("description".into(), json!(d.description));
    m.insert("inputSchema".into(), input.clone());
    if let Some(o) = output {
        m.insert("outputSchema".into(), o.clone());
    }
    let a = d.annotations;
    let mut ann = Map::new();
    for (k, v) in [
        ("readOnlyHint", a.read_only),
        ("destructiveHint", a.destructive),
        ("idempotentHint", a.idempotent),
        ("openWorldHint", a.open_world),
    ] {
        if let Some(v) = v {
            ann.insert(k.into(), json!(v));
        }
    }
    if let Some(t) = d.title
        && !ann.is_empty()
    {
        ann.insert("title".into(), json!(t));
    }
    if !ann.is_empty() {
        m.insert("annotations".into(), Value::Object(ann));
    }
    if !d.scopes.is_empty() {
        m.insert(
            "_meta".into(),
            json!({ crate::jsonrpc::TOOL_SCOPES_META: d.scopes }),
        );
    }
    Value::Object(m)
}
