//! The portability rules for tool schemas: what makes an `inputSchema` or
//! `outputSchema` read differently, or not at all, by some MCP client, each
//! finding with where it is and how to fix it.
//!
//! The runtime publishes schemas that pass these rules (see the README,
//! "Writing tools"); the contract check (`mcp_runtime::testing::check_contracts`)
//! runs them on every tool, so a schema written by hand (a `JsonSchema` impl
//! of your own, `#[schemars(schema_with = ...)]`, `extend(...)`) is caught by
//! `cargo test`. The rules agree with the MCP Inspector's `--strict` lint
//! where they overlap (same rule, severity and path), and add what the
//! Inspector does not check: `$ref`/`$defs`, formats outside JSON Schema
//! 2020-12, `nullable`, a foreign `$schema`, undocumented arguments and a
//! non-object `inputSchema`.
//!
//! ```
//! use mcp_runtime::schema_lint::{lint, Rule, SchemaKind};
//! use serde_json::json;
//!
//! let schema = json!({
//!     "type": "object",
//!     "properties": {
//!         "note": { "type": ["string", "null"], "description": "A note." }
//!     }
//! });
//! let findings = lint(&schema, SchemaKind::Output);
//! assert_eq!(findings.len(), 1);
//! assert_eq!(findings[0].rule, Rule::TypeUnion);
//! assert_eq!(findings[0].location(), "outputSchema.properties.note");
//! assert!(findings[0].suggestion.contains(r#"{"anyOf": [{"type": "string"}, {"type": "null"}]}"#));
//! ```

use std::fmt;

use serde_json::{Map, Value};

use crate::schema::{NUMERIC_FORMATS, STANDARD_FORMATS, Step, visit_subschemas};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Clients are likely to reject the tool or misread the schema.
    Error,
    /// Legal JSON Schema that some clients read differently or warn about.
    Warning,
}

impl Severity {
    /// `"error"` or `"warning"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One portability rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// `$ref` (or `$dynamicRef`, `$recursiveRef`) inside the document: many
    /// clients do not resolve references.
    LocalRef,
    /// `$ref` to another document: no client fetches it. (Inspector: `remote-ref`.)
    RemoteRef,
    /// `$defs` / `definitions`: only reachable through `$ref`.
    Defs,
    /// `type` is an array. (Inspector: `type-union`.)
    TypeUnion,
    /// `nullable: true`: OpenAPI 3.0, not JSON Schema; clients ignore it.
    NullableKeyword,
    /// A `format` outside the JSON Schema 2020-12 vocabularies.
    Format,
    /// `$schema` names a dialect other than 2020-12, the one MCP assumes.
    Dialect,
    /// A bare `true`/`false` where a schema object is expected. (Inspector: `boolean-schema`.)
    BooleanSchema,
    /// A schema with no validation keyword: it accepts anything. (Inspector: `untyped-schema`.)
    UntypedSchema,
    /// An argument without a `description`: the model has to guess what to send.
    MissingDescription,
    /// The `inputSchema` is not `"type": "object"`, which MCP requires.
    InputNotObject,
}

impl Rule {
    /// The rule's id, kebab-case; the Inspector's where it has the rule.
    pub fn id(self) -> &'static str {
        match self {
            Rule::LocalRef => "local-ref",
            Rule::RemoteRef => "remote-ref",
            Rule::Defs => "defs",
            Rule::TypeUnion => "type-union",
            Rule::NullableKeyword => "nullable-keyword",
            Rule::Format => "format",
            Rule::Dialect => "dialect",
            Rule::BooleanSchema => "boolean-schema",
            Rule::UntypedSchema => "untyped-schema",
            Rule::MissingDescription => "missing-description",
            Rule::InputNotObject => "input-not-object",
        }
    }

    /// Whether the MCP Inspector's `--strict` lint has this rule too.
    pub fn is_inspector_rule(self) -> bool {
        matches!(
            self,
            Rule::RemoteRef | Rule::TypeUnion | Rule::BooleanSchema | Rule::UntypedSchema
        )
    }
}

/// Which of a tool's schemas is linted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SchemaKind {
    /// `inputSchema`: what the agent sends.
    Input,
    /// `outputSchema`: what the tool returns as `structuredContent`.
    Output,
}

impl SchemaKind {
    /// `"inputSchema"` or `"outputSchema"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaKind::Input => "inputSchema",
            SchemaKind::Output => "outputSchema",
        }
    }
}

/// One problem, where it is and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule broken.
    pub rule: Rule,
    /// How bad it is.
    pub severity: Severity,
    /// The schema it is in.
    pub schema: SchemaKind,
    /// Where in that schema, written as the MCP Inspector writes it:
    /// `properties.address.properties.line2`, `anyOf[1]`,
    /// `properties["odd key"]`; empty for the root.
    pub path: String,
    /// The same place as a JSON Pointer (RFC 6901) into the schema:
    /// `/properties/address/properties/line2`; empty for the root.
    pub pointer: String,
    /// What is wrong, in a sentence.
    pub issue: String,
    /// How to fix it, in a sentence.
    pub suggestion: String,
}

impl Finding {
    /// The schema and the path: `outputSchema.properties.line2`, or just
    /// `inputSchema` for the root.
    pub fn location(&self) -> String {
        if self.path.is_empty() {
            self.schema.as_str().to_owned()
        } else {
            format!("{}.{}", self.schema.as_str(), self.path)
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}] {}: {} Fix: {}",
            self.severity.as_str(),
            self.rule.id(),
            self.location(),
            self.issue,
            self.suggestion
        )
    }
}

/// Lint one schema. Findings come in document order, parents before their
/// subschemas.
pub fn lint(schema: &Value, kind: SchemaKind) -> Vec<Finding> {
    let mut cx = Cx {
        kind,
        embeds_ids: declares_id(schema, 0),
        findings: Vec::new(),
    };
    if kind == SchemaKind::Input && schema.get("type").and_then(Value::as_str) != Some("object") {
        cx.add(
            Rule::InputNotObject,
            Severity::Error,
            &Loc::ROOT,
            format!(
                "MCP requires a tool's `inputSchema` to be an object schema; this one has `type` {}.",
                schema.get("type").map_or("missing".to_owned(), Value::to_string)
            ),
            "Take the arguments as a struct with named fields, or write `\"type\": \"object\"` with `properties`.",
        );
    }
    walk(schema, &Loc::ROOT, None, 0, &mut cx);
    cx.findings
}

/// Lint a tool as `tools/list` shows it: its `inputSchema` (a missing one
/// is a finding) and its `outputSchema`, if any.
pub fn lint_tool(tool: &Value) -> Vec<Finding> {
    let null = Value::Null;
    let mut findings = lint(tool.get("inputSchema").unwrap_or(&null), SchemaKind::Input);
    if let Some(output) = tool.get("outputSchema") {
        findings.extend(lint(output, SchemaKind::Output));
    }
    findings
}

/// Deeper than this the walk stops (as the Inspector's does).
const MAX_DEPTH: usize = 64;

/// Keywords where a bare boolean is the usual spelling.
const BOOLEAN_VALUED: [&str; 4] = [
    "additionalProperties",
    "unevaluatedProperties",
    "additionalItems",
    "unevaluatedItems",
];

/// Keywords that constrain an instance (the Inspector's list): a schema with
/// none of them (and no `if` with `then`/`else`) accepts every value.
const CONSTRAINING: [&str; 43] = [
    "type",
    "enum",
    "const",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "format",
    "contentMediaType",
    "contentEncoding",
    "contentSchema",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxContains",
    "minContains",
    "maxProperties",
    "minProperties",
    "required",
    "dependentRequired",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "items",
    "prefixItems",
    "contains",
    "additionalItems",
    "unevaluatedItems",
    "properties",
    "patternProperties",
    "additionalProperties",
    "unevaluatedProperties",
    "propertyNames",
    "dependentSchemas",
    "dependencies",
    "$ref",
    "$dynamicRef",
    "$recursiveRef",
];

const DIALECT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

struct Cx {
    kind: SchemaKind,
    /// Whether the document declares an `$id` anywhere: a `$ref` that is not
    /// a fragment may then name a resource embedded in it.
    embeds_ids: bool,
    findings: Vec<Finding>,
}

impl Cx {
    fn add(
        &mut self,
        rule: Rule,
        severity: Severity,
        loc: &Loc,
        issue: impl Into<String>,
        suggestion: impl Into<String>,
    ) {
        self.findings.push(Finding {
            rule,
            severity,
            schema: self.kind,
            path: loc.path.clone(),
            pointer: loc.pointer.clone(),
            issue: issue.into(),
            suggestion: suggestion.into(),
        });
    }
}

/// A place in the schema, in both spellings.
struct Loc {
    path: String,
    pointer: String,
}

impl Loc {
    const ROOT: Loc = Loc {
        path: String::new(),
        pointer: String::new(),
    };

    fn key(&self, key: &str) -> Loc {
        let is_ident = key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        let path = if is_ident {
            if self.path.is_empty() {
                key.to_owned()
            } else {
                format!("{}.{key}", self.path)
            }
        } else {
            format!("{}[{}]", self.path, Value::String(key.to_owned()))
        };
        Loc {
            path,
            pointer: format!(
                "{}/{}",
                self.pointer,
                key.replace('~', "~0").replace('/', "~1")
            ),
        }
    }

    fn index(&self, i: usize) -> Loc {
        Loc {
            path: format!("{}[{i}]", self.path),
            pointer: format!("{}/{i}", self.pointer),
        }
    }

    fn step(&self, step: Step<'_>) -> Loc {
        match step {
            Step::Keyword(k) => self.key(k),
            Step::Named(k, name) => self.key(k).key(name),
            Step::Indexed(k, i) => self.key(k).index(i),
        }
    }
}

fn declares_id(node: &Value, depth: usize) -> bool {
    let Some(obj) = node.as_object().filter(|_| depth <= MAX_DEPTH) else {
        return false;
    };
    if obj
        .get("$id")
        .and_then(Value::as_str)
        .is_some_and(|id| !id.is_empty())
    {
        return true;
    }
    let mut found = false;
    visit_subschemas(obj, &mut |_, child| {
        found = found || declares_id(child, depth + 1);
    });
    found
}

fn keyword_of(step: Step<'_>) -> &str {
    match step {
        Step::Keyword(k) | Step::Named(k, _) | Step::Indexed(k, _) => k,
    }
}

fn walk(node: &Value, loc: &Loc, parent_keyword: Option<&str>, depth: usize, cx: &mut Cx) {
    if depth > MAX_DEPTH {
        return;
    }
    match node {
        Value::Bool(b) => {
            if parent_keyword.is_some_and(|k| BOOLEAN_VALUED.contains(&k)) {
                return;
            }
            let suggestion = match (b, parent_keyword) {
                (true, Some("not")) => "Use `{}`, the object form of the always-true schema.",
                (true, _) => {
                    "Declare what the value is, e.g. `{\"type\": \"object\", \"additionalProperties\": true}` \
                     for a free-form object (a deliberate change: `true` accepts any JSON value)."
                }
                (false, _) => "Use `{\"not\": {}}`, the object form of the always-false schema.",
            };
            cx.add(
                Rule::BooleanSchema,
                Severity::Error,
                loc,
                format!("Bare `{b}` where a schema object is expected; some clients reject it."),
                suggestion,
            );
        }
        Value::Object(obj) => {
            lint_node(obj, loc, parent_keyword, cx);
            visit_subschemas(obj, &mut |step, child| {
                walk(
                    child,
                    &loc.step(step),
                    Some(keyword_of(step)),
                    depth + 1,
                    cx,
                );
            });
        }
        _ => {}
    }
}

fn lint_node(obj: &Map<String, Value>, loc: &Loc, parent_keyword: Option<&str>, cx: &mut Cx) {
    if let Some(Value::Array(types)) = obj.get("type") {
        let branches: Vec<String> = types.iter().map(|t| format!("{{\"type\": {t}}}")).collect();
        let suggestion = if types.len() == 1 {
            format!("Write the one type as a string: `\"type\": {}`.", types[0])
        } else {
            format!(
                "Split it into `anyOf` branches of one `type` each, every branch with the keywords of \
                 its type: `{{\"anyOf\": [{}]}}`. (Making a property optional instead is a different \
                 contract: absent is not `null`.)",
                branches.join(", ")
            )
        };
        cx.add(
            Rule::TypeUnion,
            Severity::Warning,
            loc,
            format!(
                "`type` is an array ({}): clients that map tool schemas to a single-`type` dialect \
                 (such as Gemini's function declarations) reject the tool or drop the constraint.",
                Value::Array(types.clone())
            ),
            suggestion,
        );
    }
    if obj.contains_key("nullable") {
        cx.add(
            Rule::NullableKeyword,
            Severity::Warning,
            &loc.key("nullable"),
            "`nullable` is OpenAPI 3.0, not JSON Schema: clients validating with JSON Schema ignore it, \
             so `null` is refused.",
            "Remove it and allow `null` with a branch: `{\"anyOf\": [{...the schema...}, {\"type\": \"null\"}]}`.",
        );
    }
    if let Some(Value::String(format)) = obj.get("format")
        && !STANDARD_FORMATS.contains(&format.as_str())
    {
        let suggestion = match NUMERIC_FORMATS.iter().find(|(f, ..)| f == format) {
            Some((_, min, max)) => {
                let bounds: Vec<String> = [("minimum", min), ("maximum", max)]
                    .into_iter()
                    .filter_map(|(k, b)| b.map(|b| format!("`\"{k}\": {b}`")))
                    .collect();
                if bounds.is_empty() {
                    "Remove `format`; the JSON type says enough.".to_owned()
                } else {
                    format!(
                        "Remove `format` and state the range: {}.",
                        bounds.join(", ")
                    )
                }
            }
            None => "Remove `format`, and constrain the value with `pattern` or say what it is in \
                     `description`."
                .to_owned(),
        };
        cx.add(
            Rule::Format,
            Severity::Warning,
            &loc.key("format"),
            format!(
                "`format` \"{format}\" is not a JSON Schema 2020-12 format: clients ignore it, and some \
                 (the TypeScript SDK's validator) print a warning for every use."
            ),
            suggestion,
        );
    }
    if let Some(Value::String(dialect)) = obj.get("$schema")
        && dialect.trim_end_matches('#') != DIALECT_2020_12
    {
        cx.add(
            Rule::Dialect,
            Severity::Warning,
            &loc.key("$schema"),
            format!(
                "`$schema` is `{dialect}`: MCP reads tool schemas as JSON Schema 2020-12, and clients \
                 differ in whether they honour another dialect."
            ),
            "Write the schema in 2020-12 and remove `$schema` (or set it to \
             `https://json-schema.org/draft/2020-12/schema`).",
        );
    }
    for key in ["$ref", "$dynamicRef", "$recursiveRef"] {
        let Some(Value::String(target)) = obj.get(key) else {
            continue;
        };
        if target.starts_with('#') || cx.embeds_ids {
            cx.add(
                Rule::LocalRef,
                Severity::Warning,
                &loc.key(key),
                format!(
                    "`{key}` to `{target}`: many MCP clients do not resolve references and see no \
                     constraint here."
                ),
                "Inline the referenced schema here (the runtime inlines what schemars derives; a \
                 recursive type cannot be inlined: bound its depth).",
            );
        } else {
            cx.add(
                Rule::RemoteRef,
                Severity::Error,
                &loc.key(key),
                format!(
                    "`{key}` points outside this document (`{target}`): clients do not fetch remote \
                     schemas, so the constraint is dropped or the tool is rejected."
                ),
                "Inline the referenced schema here.",
            );
        }
    }
    for key in ["$defs", "definitions"] {
        if obj.contains_key(key) {
            cx.add(
                Rule::Defs,
                Severity::Warning,
                &loc.key(key),
                format!(
                    "`{key}` holds definitions that only a `$ref` reaches, which many clients do not \
                     resolve."
                ),
                format!("Inline each definition where it is used and remove `{key}`."),
            );
        }
    }
    let constrains = obj.keys().any(|k| CONSTRAINING.contains(&k.as_str()))
        || (obj.contains_key("if") && (obj.contains_key("then") || obj.contains_key("else")));
    if !constrains && parent_keyword != Some("not") {
        cx.add(
            Rule::UntypedSchema,
            Severity::Warning,
            loc,
            "The schema has no validation keyword, so it accepts any value: clients cannot tell the \
             model what to send or expect.",
            "Declare what the value is, e.g. `{\"type\": \"object\", \"additionalProperties\": true}` \
             for a free-form object.",
        );
    }
    if cx.kind == SchemaKind::Input
        && let Some(Value::Object(props)) = obj.get("properties")
    {
        let props_loc = loc.key("properties");
        for (name, prop) in props {
            let described = prop
                .get("description")
                .and_then(Value::as_str)
                .is_some_and(|d| !d.trim().is_empty());
            if !described {
                cx.add(
                    Rule::MissingDescription,
                    Severity::Warning,
                    &props_loc.key(name),
                    format!(
                        "Argument `{name}` has no description: the model has to guess what to send."
                    ),
                    "Add a `///` doc comment to the field (or a `description` to its schema).",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(schema: Value, kind: SchemaKind) -> Vec<(Rule, String)> {
        lint(&schema, kind)
            .into_iter()
            .map(|f| (f.rule, f.location()))
            .collect()
    }

    #[test]
    fn a_portable_schema_has_no_findings() {
        let schema = json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["day"],
            "properties": {
                "day": { "type": "string", "format": "date", "description": "The day." },
                "count": { "type": "integer", "minimum": 0, "maximum": 4294967295_u64, "description": "How many." },
                "note": {
                    "description": "A note.",
                    "anyOf": [{ "type": "string", "maxLength": 10 }, { "type": "null" }]
                },
                "tags": { "type": "array", "items": { "type": "string" }, "description": "Tags." }
            }
        });
        assert_eq!(lint(&schema, SchemaKind::Input), []);
        assert_eq!(lint(&schema, SchemaKind::Output), []);
    }

    #[test]
    fn every_rule_with_its_path() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {
                "a": { "type": ["string", "null"], "description": "A." },
                "b": { "type": "integer", "format": "uint32" },
                "odd key": { "$ref": "#/$defs/Thing", "description": "Odd." },
                "c": { "$ref": "https://example.com/c.json", "description": "C." },
                "d": true,
                "e": { "description": "Anything." },
                "f": { "type": "string", "nullable": true, "format": "phone", "description": "F." },
                "g": { "type": ["integer"], "description": "G." },
                "h": { "not": {}, "description": "Never." },
                "list": {
                    "type": "array", "description": "L.",
                    "items": { "anyOf": [{ "type": "object", "properties": { "x~/y": { "type": "string" } } }, { "type": "null" }] }
                }
            },
            "additionalProperties": false,
            "$defs": { "Thing": { "type": "string" } }
        });
        let mut got = rules(schema.clone(), SchemaKind::Input);
        got.sort();
        let mut want: Vec<(Rule, String)> = [
            (Rule::LocalRef, r#"properties["odd key"].$ref"#),
            (Rule::RemoteRef, "properties.c.$ref"),
            (Rule::Defs, "$defs"),
            (Rule::TypeUnion, "properties.a"),
            (Rule::TypeUnion, "properties.g"),
            (Rule::NullableKeyword, "properties.f.nullable"),
            (Rule::Format, "properties.b.format"),
            (Rule::Format, "properties.f.format"),
            (Rule::Dialect, "$schema"),
            (Rule::BooleanSchema, "properties.d"),
            (Rule::UntypedSchema, "properties.e"),
            (Rule::MissingDescription, "properties.b"),
            (Rule::MissingDescription, "properties.d"),
            (
                Rule::MissingDescription,
                r#"properties.list.items.anyOf[0].properties["x~/y"]"#,
            ),
        ]
        .into_iter()
        .map(|(r, p)| (r, format!("inputSchema.{p}")))
        .collect();
        want.sort();
        assert_eq!(got, want);
        // Descriptions are asked of arguments only.
        let out = rules(schema, SchemaKind::Output);
        assert!(
            out.iter().all(|(r, _)| *r != Rule::MissingDescription),
            "{out:?}"
        );
        assert_eq!(out.len(), want.len() - 3);
    }

    #[test]
    fn pointers_escape_and_paths_quote() {
        let schema = json!({ "type": "object", "properties": {
            "x~/y": { "type": ["string", "null"], "description": "X." }
        } });
        let f = &lint(&schema, SchemaKind::Output)[0];
        assert_eq!(f.path, r#"properties["x~/y"]"#);
        assert_eq!(f.pointer, "/properties/x~0~1y");
        assert_eq!(f.severity, Severity::Warning);
        assert!(
            f.to_string().starts_with(
                r#"warning [type-union] outputSchema.properties["x~/y"]: `type` is an array (["string","null"])"#
            ),
            "{f}"
        );
    }

    #[test]
    fn input_must_be_an_object_output_need_not_be_linted_so() {
        let f = lint(
            &json!({ "type": "string", "description": "S." }),
            SchemaKind::Input,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].rule, f[0].severity),
            (Rule::InputNotObject, Severity::Error)
        );
        assert_eq!(f[0].location(), "inputSchema");
        let tool = json!({ "name": "t", "outputSchema": { "type": "object", "properties": {} } });
        let f = lint_tool(&tool);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule, Rule::InputNotObject);
    }

    #[test]
    fn a_ref_to_an_embedded_resource_is_not_remote() {
        let schema = json!({
            "type": "object",
            "properties": { "a": { "$ref": "https://example.com/a", "description": "A." } },
            "$defs": { "A": { "$id": "https://example.com/a", "type": "string" } }
        });
        let rules: Vec<Rule> = lint(&schema, SchemaKind::Output)
            .iter()
            .map(|f| f.rule)
            .collect();
        assert_eq!(rules, [Rule::Defs, Rule::LocalRef]);
    }

    #[test]
    fn only_validation_keywords_make_a_schema_typed() {
        // As the Inspector reads it: `$schema`, `$defs`, annotations constrain nothing.
        let f = lint(
            &json!({ "$schema": "https://json-schema.org/draft/2020-12/schema", "title": "T" }),
            SchemaKind::Output,
        );
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].rule, f[0].path.as_str()), (Rule::UntypedSchema, ""));
    }

    #[test]
    fn booleans_are_fine_where_they_are_the_usual_spelling_and_under_not() {
        let schema = json!({
            "type": "object", "additionalProperties": false, "unevaluatedProperties": false,
            "properties": { "n": { "not": {}, "description": "Never sent." } }
        });
        assert_eq!(lint(&schema, SchemaKind::Input), []);
        let f = lint(
            &json!({ "type": "object", "properties": { "n": { "not": true } } }),
            SchemaKind::Output,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].path, "properties.n.not");
        assert!(f[0].suggestion.contains("`{}`"), "{}", f[0].suggestion);
    }

    /// What schemars derives for Rust's common types, once inlined and made
    /// portable, passes every portability rule, in both directions.
    #[test]
    fn derived_schemas_pass_the_lint() {
        use crate::schema::{inline, input_settings, output_settings, plain_optionals, portable};
        use std::collections::BTreeMap;

        #[allow(dead_code)]
        #[derive(schemars::JsonSchema)]
        /// Inner.
        struct Inner {
            /// A.
            a: Option<u16>,
            /// B.
            b: Vec<Option<String>>,
        }
        #[allow(dead_code)]
        #[derive(schemars::JsonSchema)]
        /// Mode.
        enum Mode {
            /// Fast.
            Fast,
            /// Slow.
            Slow,
        }
        #[allow(dead_code)]
        #[derive(schemars::JsonSchema)]
        /// Everything.
        struct All {
            /// Small.
            small: u8,
            /// Signed.
            signed: i32,
            /// Big.
            big: u64,
            /// Size.
            size: usize,
            /// Ratio.
            ratio: f64,
            /// Maybe a number.
            maybe: Option<u32>,
            /// Inner, maybe.
            inner: Option<Inner>,
            /// Inners.
            inners: Vec<Inner>,
            /// Map.
            map: BTreeMap<String, Option<i64>>,
            /// Mode.
            mode: Option<Mode>,
            /// Pair.
            pair: (u8, Option<bool>),
            /// Flag.
            flag: bool,
        }
        for (settings, kind) in [
            (input_settings(), SchemaKind::Input),
            (output_settings(), SchemaKind::Output),
        ] {
            let raw = settings.into_generator().into_root_schema_for::<All>();
            let mut s = inline(raw.to_value()).unwrap();
            assert!(s.to_string().contains("uint"), "{s}");
            if kind == SchemaKind::Input {
                plain_optionals(&mut s);
            }
            portable(&mut s);
            assert_eq!(lint(&s, kind), [], "{kind:?}: {s:#}");
            jsonschema::meta::validate(&s).unwrap();
        }
    }
}
