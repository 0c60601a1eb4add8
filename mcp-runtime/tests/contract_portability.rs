//! The contract check runs the portability rules (`schema_lint`) on what a
//! user wrote by hand: a `JsonSchema` impl published verbatim (it declares
//! `$schema`), a field's `schema_with`, an `extend`. Everything derived is
//! already portable and not reported.

use std::borrow::Cow;

use mcp_runtime::prelude::*;
use mcp_runtime::schema_lint::{Rule, SchemaKind, Severity, lint, lint_tool};
use mcp_runtime::testing::{check_contract_lock, compare_contracts, contract_of};
use schemars::{Schema, SchemaGenerator, json_schema};
use serde_json::json;

/// Arguments whose schema is written by hand, with its own `$schema`: the
/// runtime publishes it exactly as written.
#[derive(Deserialize)]
#[allow(dead_code)]
struct HandWritten {
    when: Option<String>,
    id: String,
}

impl JsonSchema for HandWritten {
    fn schema_name() -> Cow<'static, str> {
        "HandWritten".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "when": { "type": ["string", "null"], "format": "date", "description": "When." },
                "id": { "$ref": "#/$defs/Id" }
            },
            "required": ["id"],
            "$defs": { "Id": { "type": "string", "format": "ulid", "description": "An id." } }
        })
    }
}

/// Look up a thing by a hand-written schema.
#[mcp_tool(read_only)]
async fn verbatim(args: HandWritten) -> String {
    args.id
}

fn cents_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": ["integer", "null"], "format": "cents" })
}

/// A result with hand-written parts.
#[derive(Serialize, JsonSchema)]
struct Priced {
    /// The amount in cents, spelled by hand.
    #[schemars(schema_with = "cents_schema")]
    cents: Option<u64>,
    /// Anything at all.
    raw: serde_json::Value,
    /// A phone number, with a format of our own.
    #[schemars(extend("format" = "phone"))]
    phone: String,
    /// A count: derived, so portable.
    count: u32,
    /// The discount, if any.
    discount: Option<Discount>,
}

/// A discount.
#[derive(Serialize, JsonSchema)]
struct Discount {
    /// Percent off.
    #[schemars(example = 300)]
    percent: u8,
}

/// Arguments of `price`.
#[derive(Deserialize, JsonSchema)]
struct PriceArgs {
    /// How many.
    count: u32,
    /// An optional note, by hand.
    #[schemars(schema_with = "cents_schema")]
    tip: Option<u64>,
}

/// Price something. Returns the price.
#[mcp_tool(read_only)]
async fn price(args: PriceArgs) -> Priced {
    Priced {
        cents: args.tip,
        raw: serde_json::Value::Null,
        phone: String::new(),
        count: args.count,
        discount: None,
    }
}

fn findings_of(tool: &str) -> Vec<(Rule, String)> {
    let registry = mcp_runtime::Registry::from_inventory().expect("the tools build");
    let def = registry.get(tool).expect("registered").definition();
    let mut f: Vec<(Rule, String)> = lint_tool(def)
        .into_iter()
        .map(|f| (f.rule, f.location()))
        .collect();
    f.sort();
    f
}

fn at(rule: Rule, location: &str) -> (Rule, String) {
    (rule, location.to_owned())
}

#[test]
fn a_verbatim_schema_is_published_as_written_and_linted() {
    assert_eq!(
        findings_of("verbatim"),
        [
            at(Rule::LocalRef, "inputSchema.properties.id.$ref"),
            at(Rule::Defs, "inputSchema.$defs"),
            at(Rule::TypeUnion, "inputSchema.properties.when"),
            at(Rule::Format, "inputSchema.$defs.Id.format"),
            at(Rule::MissingDescription, "inputSchema.properties.id"),
        ]
    );
}

#[test]
fn hand_written_parts_of_derived_schemas_are_linted_the_rest_is_portable() {
    // `schema_with`'s `type` array is respelled (it is a type union like any
    // other); its format of its own is the user's to fix (it stays on the
    // schema, beside the `anyOf`), as are `extend`'s and a
    // `serde_json::Value` (an untyped schema).
    assert_eq!(
        findings_of("price"),
        [
            at(Rule::Format, "inputSchema.properties.tip.format"),
            at(Rule::Format, "outputSchema.properties.cents.format"),
            at(Rule::Format, "outputSchema.properties.phone.format"),
            at(Rule::UntypedSchema, "outputSchema.properties.raw"),
        ]
    );
}

#[test]
fn the_contract_check_reports_every_finding_with_the_tool_and_the_fix() {
    let problems = mcp_runtime::testing::check_contracts().unwrap_err();
    assert_eq!(problems.len(), 10, "{problems:#?}");
    // Examples are checked inside a nullable object too.
    assert!(
        problems.iter().any(|p| p.contains(
            "tool `price`: example of `(output).discount.percent` does not match its schema: \
             300 is greater than the maximum of 255"
        )),
        "{problems:#?}"
    );
    let line = problems
        .iter()
        .find(|p| p.contains("outputSchema.properties.raw"))
        .expect("the untyped result field is reported");
    assert!(
        line.contains("contract_portability.rs:")
            && line
                .contains("tool `price`: warning [untyped-schema] outputSchema.properties.raw: ")
            && line.contains("Fix: Declare what the value is"),
        "{line}"
    );
    let line = problems
        .iter()
        .find(|p| p.contains("inputSchema.$defs.Id.format"))
        .expect("the verbatim format is reported");
    assert!(
        line.contains(r#"`format` "ulid" is not a JSON Schema 2020-12 format"#)
            && line.contains("Fix: Remove `format`, and constrain the value with `pattern`"),
        "{line}"
    );
}

#[test]
fn the_finding_of_a_numeric_format_names_the_bounds() {
    let f = lint(
        &json!({ "type": "object", "properties": {
            "n": { "type": "integer", "format": "uint16", "description": "N." }
        } }),
        SchemaKind::Input,
    );
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Warning);
    assert_eq!(f[0].pointer, "/properties/n/format");
    assert_eq!(
        f[0].suggestion,
        "Remove `format` and state the range: `\"minimum\": 0`, `\"maximum\": 65535`."
    );
}

/// A lock written before schemas were published portably.
fn old_spelling_lock(registry: &mcp_runtime::Registry) -> serde_json::Value {
    let mut lock = contract_of(registry);
    let out = &mut lock["tools"]["price"]["outputSchema"]["properties"];
    assert_eq!(
        out["discount"],
        json!({
            "description": "The discount, if any.",
            "anyOf": [
                {
                    "type": "object",
                    "properties": { "percent": { "type": "integer", "minimum": 0, "maximum": 255, "description": "Percent off.", "examples": [300] } },
                    "required": ["percent"]
                },
                { "type": "null" }
            ]
        }),
        "a nullable object: its keywords in its branch, annotations beside"
    );
    out["discount"] = json!({
        "type": ["object", "null"],
        "description": "The discount, if any.",
        "properties": { "percent": { "type": "integer", "format": "uint8", "minimum": 0, "description": "Percent off.", "examples": [300] } },
        "required": ["percent"]
    });
    out["count"] = json!({ "type": "integer", "format": "uint32", "minimum": 0, "description": "A count: derived, so portable." });
    lock
}

fn write_lock(name: &str, lock: &serde_json::Value) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "mcp-portable-lock-{}-{name}.json",
        std::process::id()
    ));
    std::fs::write(&path, serde_json::to_string_pretty(lock).unwrap()).unwrap();
    path
}

#[test]
fn a_lock_in_the_older_spelling_holds_the_same_contract() {
    let registry = mcp_runtime::Registry::from_inventory().expect("the tools build");
    let path = write_lock("same", &old_spelling_lock(&registry));
    assert_eq!(check_contract_lock(&registry, &path), Ok(None));
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_change_inside_a_nullable_object_is_still_seen() {
    let registry = mcp_runtime::Registry::from_inventory().expect("the tools build");
    let mut lock = old_spelling_lock(&registry);
    let discount = &mut lock["tools"]["price"]["outputSchema"]["properties"]["discount"];
    discount["properties"]["code"] = json!({ "type": "string", "description": "A code." });
    let path = write_lock("changed", &lock);
    let report = check_contract_lock(&registry, &path).unwrap_err();
    assert!(
        report.contains("tool `price`: result field `discount.code` removed"),
        "{report}"
    );
    let diff = compare_contracts(&lock, &contract_of(&registry));
    assert_eq!(diff.breaking.len(), 1, "{diff}");
    let _ = std::fs::remove_file(path);
}
