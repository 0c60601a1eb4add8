//! Turning schemars' output into schemas every MCP client can read: no
//! `$ref`/`$defs`, optional arguments as their plain type, one `type` per
//! schema, and only the `format`s of JSON Schema 2020-12 ([`portable`]).
//! The lint (`schema_lint`, a layer above) reports what a hand-written schema still gets wrong.

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

/// Settings for argument schemas (what the tool deserializes).
pub(crate) fn input_settings() -> SchemaSettings {
    let mut s = SchemaSettings::draft2020_12();
    s.inline_subschemas = true;
    s.meta_schema = None;
    s
}

/// Settings for output schemas (what the tool serializes).
pub(crate) fn output_settings() -> SchemaSettings {
    input_settings().for_serialize()
}

/// Keys whose values are data, not subschemas.
const DATA_KEYS: [&str; 5] = ["default", "examples", "example", "const", "enum"];

/// Replace every `$ref` into `$defs` by the definition itself, drop `$defs`,
/// `$schema` and the root `title` (the Rust type name, noise to an agent).
///
/// A recursive type cannot be inlined: that is an error naming the type.
pub(crate) fn inline(mut root: Value) -> Result<Value, String> {
    let defs = match root.as_object_mut() {
        Some(obj) => {
            obj.remove("$schema");
            obj.remove("title");
            match obj.remove("$defs") {
                Some(Value::Object(d)) => d,
                _ => Map::new(),
            }
        }
        None => Map::new(),
    };
    let mut stack = Vec::new();
    inline_in(&mut root, &defs, &mut stack)?;
    Ok(root)
}

fn inline_in(
    v: &mut Value,
    defs: &Map<String, Value>,
    stack: &mut Vec<String>,
) -> Result<(), String> {
    let Some(obj) = v.as_object_mut() else {
        if let Value::Array(items) = v {
            for item in items {
                inline_in(item, defs, stack)?;
            }
        }
        return Ok(());
    };
    if let Some(Value::String(reference)) = obj.get("$ref") {
        let name = reference
            .strip_prefix("#/$defs/")
            .ok_or_else(|| match reference.as_str() {
                "#" => "the arguments type is recursive (it contains itself); MCP clients cannot \
                        resolve `$ref`, so give the recursion a bound (e.g. a fixed depth) or \
                        take the nested part as a JSON string"
                    .to_owned(),
                other => format!("schema reference `{other}` cannot be inlined"),
            })?
            .replace("~1", "/")
            .replace("~0", "~");
        if stack.contains(&name) {
            return Err(format!(
                "type `{name}` is recursive (it contains itself through {}); MCP clients cannot \
                 resolve `$ref`, so give the recursion a bound (e.g. a fixed depth) or take the \
                 nested part as a JSON string",
                stack.join(" -> ")
            ));
        }
        let mut def = defs
            .get(&name)
            .cloned()
            .ok_or_else(|| format!("schema reference to unknown definition `{name}`"))?;
        stack.push(name);
        inline_in(&mut def, defs, stack)?;
        stack.pop();
        obj.remove("$ref");
        // Sibling keywords of `$ref` (a field's description, default) win over the definition's.
        if let Value::Object(def) = def {
            for (k, val) in def {
                obj.entry(k).or_insert(val);
            }
        }
        return Ok(());
    }
    for (k, child) in obj.iter_mut() {
        if !DATA_KEYS.contains(&k.as_str()) {
            inline_in(child, defs, stack)?;
        }
    }
    Ok(())
}

/// Publish every optional property (one not in `required`) as its plain
/// type: `["string","null"]` becomes `"string"`, a `{"type":"null"}` branch
/// of an `anyOf`/`oneOf` is dropped. Omitting the property is how an agent
/// says "none". Required properties keep their nullability.
pub(crate) fn plain_optionals(v: &mut Value) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(plain_optionals),
        Value::Object(obj) => {
            let required: Vec<String> = obj
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(Value::Object(props)) = obj.get_mut("properties") {
                for (name, prop) in props.iter_mut() {
                    if !required.contains(name) {
                        strip_null(prop);
                    }
                }
            }
            for (k, child) in obj.iter_mut() {
                if !DATA_KEYS.contains(&k.as_str()) {
                    plain_optionals(child);
                }
            }
        }
        _ => {}
    }
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
        && v.as_object().is_some_and(|o| o.len() == 1)
}

fn strip_null(prop: &mut Value) {
    let Some(obj) = prop.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(types)) = obj.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.pop().unwrap_or(Value::Null);
            obj.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(values)) = obj.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    if obj.get("const").is_some_and(Value::is_null) {
        obj.remove("const");
    }
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = obj.get_mut(key) else {
            continue;
        };
        let before = branches.len();
        branches.retain(|b| !is_null_schema(b));
        if branches.len() == before {
            continue;
        }
        if branches.len() == 1 {
            let only = branches.pop().unwrap_or(Value::Null);
            obj.remove(key);
            if let Value::Object(only) = only {
                for (k, val) in only {
                    obj.entry(k).or_insert(val);
                }
            }
        }
    }
}

/// The values a schema allows when it is an enumeration: an `enum`, a
/// `const`, or a `oneOf`/`anyOf` whose every branch is a `const` or an `enum`
/// (how schemars publishes Rust enums with documented variants).
pub(crate) fn allowed_values(schema: &Value) -> Option<Vec<&Value>> {
    if let Some(Value::Array(values)) = schema.get("enum") {
        return Some(values.iter().collect());
    }
    if let Some(c) = schema.get("const") {
        return Some(vec![c]);
    }
    for key in ["oneOf", "anyOf"] {
        let Some(Value::Array(branches)) = schema.get(key) else {
            continue;
        };
        let mut values = Vec::new();
        for branch in branches {
            match (branch.get("const"), branch.get("enum")) {
                (Some(c), _) => values.push(c),
                (None, Some(Value::Array(e))) => values.extend(e),
                _ => return None,
            }
        }
        return Some(values);
    }
    None
}

/// Keywords whose value is one subschema (JSON Schema 2020-12, plus the
/// `additionalItems` of older drafts).
const SUBSCHEMA_KEYWORDS: [&str; 12] = [
    "items",
    "contains",
    "not",
    "propertyNames",
    "if",
    "then",
    "else",
    "additionalProperties",
    "unevaluatedProperties",
    "additionalItems",
    "unevaluatedItems",
    "contentSchema",
];

/// Keywords whose value is an array of subschemas.
const SUBSCHEMA_ARRAY_KEYWORDS: [&str; 4] = ["allOf", "anyOf", "oneOf", "prefixItems"];

/// Keywords whose value maps names to subschemas.
const SUBSCHEMA_MAP_KEYWORDS: [&str; 6] = [
    "properties",
    "patternProperties",
    "dependentSchemas",
    "dependencies",
    "$defs",
    "definitions",
];

/// Where a subschema sits in its parent schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step<'a> {
    /// `items`, `not`, `additionalProperties`, …
    Keyword(&'a str),
    /// `properties.<name>`, `$defs.<name>`, …
    Named(&'a str, &'a str),
    /// `anyOf[<i>]`, `prefixItems[<i>]`, … (and the array form of `items`)
    Indexed(&'a str, usize),
}

/// Call `f` on every direct subschema of `schema`, found by keyword: a
/// property named `default` or `enum` is a subschema, the value of the
/// keyword `default` is not.
pub(crate) fn visit_subschemas<'a>(
    schema: &'a Map<String, Value>,
    f: &mut dyn FnMut(Step<'a>, &'a Value),
) {
    for key in SUBSCHEMA_MAP_KEYWORDS {
        if let Some(Value::Object(map)) = schema.get(key) {
            for (name, sub) in map {
                // `dependencies` also holds arrays of property names.
                if sub.is_object() || sub.is_boolean() {
                    f(Step::Named(key, name), sub);
                }
            }
        }
    }
    for key in SUBSCHEMA_ARRAY_KEYWORDS {
        if let Some(Value::Array(items)) = schema.get(key) {
            for (i, sub) in items.iter().enumerate() {
                f(Step::Indexed(key, i), sub);
            }
        }
    }
    for key in SUBSCHEMA_KEYWORDS {
        match schema.get(key) {
            None => {}
            Some(Value::Array(items)) if key == "items" => {
                for (i, sub) in items.iter().enumerate() {
                    f(Step::Indexed(key, i), sub);
                }
            }
            Some(sub) => f(Step::Keyword(key), sub),
        }
    }
}

/// [`visit_subschemas`], mutably.
fn visit_subschemas_mut(schema: &mut Map<String, Value>, f: &mut dyn FnMut(&mut Value)) {
    for (key, value) in schema.iter_mut() {
        let key = key.as_str();
        if SUBSCHEMA_MAP_KEYWORDS.contains(&key) {
            if let Value::Object(map) = value {
                map.values_mut()
                    .filter(|sub| sub.is_object() || sub.is_boolean())
                    .for_each(&mut *f);
            }
        } else if SUBSCHEMA_ARRAY_KEYWORDS.contains(&key) || (key == "items" && value.is_array()) {
            if let Value::Array(items) = value {
                items.iter_mut().for_each(&mut *f);
            }
        } else if SUBSCHEMA_KEYWORDS.contains(&key) {
            f(value);
        }
    }
}

/// The `format`s of the JSON Schema 2020-12 format vocabularies: the only
/// ones a client can be expected to know.
pub(crate) const STANDARD_FORMATS: [&str; 19] = [
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

/// The numeric `format`s schemars writes for Rust's number types, with the
/// bounds they stand for. The bounds of the 64- and 128-bit types are left
/// out: they lie beyond what a JSON number carries exactly in most clients
/// (2^53), so they would be noise; the server still refuses an out-of-range
/// argument when it deserializes it.
pub(crate) const NUMERIC_FORMATS: [(&str, Option<i64>, Option<i64>); 14] = [
    ("int8", Some(i8::MIN as i64), Some(i8::MAX as i64)),
    ("uint8", Some(0), Some(u8::MAX as i64)),
    ("int16", Some(i16::MIN as i64), Some(i16::MAX as i64)),
    ("uint16", Some(0), Some(u16::MAX as i64)),
    ("int32", Some(i32::MIN as i64), Some(i32::MAX as i64)),
    ("uint32", Some(0), Some(u32::MAX as i64)),
    ("int64", None, None),
    ("uint64", Some(0), None),
    ("int", None, None),
    ("uint", Some(0), None),
    ("int128", None, None),
    ("uint128", Some(0), None),
    ("float", None, None),
    ("double", None, None),
];

/// The keywords that constrain only instances of one JSON type, so that a
/// `type` union can be split into `anyOf` branches that each carry their own.
/// `unevaluated*` stay with the parent: they depend on what its other
/// keywords evaluated.
const TYPE_KEYWORDS: [(&str, &[&str]); 4] = [
    (
        "string",
        &[
            "minLength",
            "maxLength",
            "pattern",
            "format",
            "contentEncoding",
            "contentMediaType",
            "contentSchema",
        ],
    ),
    (
        "number",
        &[
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
        ],
    ),
    (
        "array",
        &[
            "items",
            "prefixItems",
            "additionalItems",
            "contains",
            "minContains",
            "maxContains",
            "minItems",
            "maxItems",
            "uniqueItems",
        ],
    ),
    (
        "object",
        &[
            "properties",
            "patternProperties",
            "additionalProperties",
            "required",
            "propertyNames",
            "minProperties",
            "maxProperties",
            "dependentRequired",
            "dependentSchemas",
        ],
    ),
];

/// The keywords that constrain only instances of `ty` (`integer` instances
/// are numbers).
fn keywords_of(ty: &str) -> &'static [&'static str] {
    let ty = if ty == "integer" { "number" } else { ty };
    TYPE_KEYWORDS
        .iter()
        .find(|(t, _)| *t == ty)
        .map_or(&[], |(_, k)| k)
}

/// Rewrite a published schema, at every depth, into the subset every MCP
/// client reads the same way, without changing which values it accepts:
///
/// - a `type` union becomes `anyOf` branches of one `type` each, every
///   branch taking the keywords that constrain only its type
///   (`{"type": ["string","null"], "format": "date"}` →
///   `{"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]}`);
///   annotations (`description`, `default`, …) and `enum`/`const` stay on
///   the schema itself;
/// - schemars' numeric formats (`uint32`, `int64`, `double`, …), which are
///   no JSON Schema format, are dropped; the range they stand for is kept as
///   `minimum`/`maximum` (see [`NUMERIC_FORMATS`]).
///
/// Formats and other keywords a user wrote by hand are left as written:
/// the lint (`schema_lint`) reports those.
pub(crate) fn portable(v: &mut Value) {
    let Value::Object(obj) = v else {
        return;
    };
    visit_subschemas_mut(obj, &mut portable);
    numeric_format_to_bounds(obj);
    split_type_union(obj);
}

fn numeric_format_to_bounds(obj: &mut Map<String, Value>) {
    let Some(&(_, min, max)) = obj
        .get("format")
        .and_then(Value::as_str)
        .and_then(|f| NUMERIC_FORMATS.iter().find(|(name, ..)| *name == f))
    else {
        return;
    };
    let numeric = |t: &Value| matches!(t.as_str(), Some("integer" | "number"));
    let is_numeric = match obj.get("type") {
        Some(Value::Array(types)) => types.iter().any(numeric),
        Some(t) => numeric(t),
        None => false,
    };
    if !is_numeric {
        return;
    }
    obj.remove("format");
    let at_least = |obj: &Map<String, Value>, key: &str, bound: i64, above: bool| {
        obj.get(key).and_then(Value::as_f64).is_some_and(|b| {
            if above {
                b >= bound as f64
            } else {
                b <= bound as f64
            }
        })
    };
    if let Some(min) = min
        && !at_least(obj, "minimum", min, true)
        && !at_least(obj, "exclusiveMinimum", min, true)
    {
        obj.insert("minimum".into(), min.into());
    }
    if let Some(max) = max
        && !at_least(obj, "maximum", max, false)
        && !at_least(obj, "exclusiveMaximum", max, false)
    {
        obj.insert("maximum".into(), max.into());
    }
}

fn split_type_union(obj: &mut Map<String, Value>) {
    let Some(Value::Array(types)) = obj.get("type") else {
        return;
    };
    let Some(types) = types
        .iter()
        .map(|t| t.as_str().map(str::to_owned))
        .collect::<Option<Vec<String>>>()
    else {
        return; // not JSON Schema; the meta-schema check reports it
    };
    match types.as_slice() {
        [] => return,
        [only] => {
            obj.insert("type".into(), Value::String(only.clone()));
            return;
        }
        _ => {}
    }
    obj.remove("type");
    let mut branches: Vec<Map<String, Value>> = types
        .iter()
        .map(|t| Map::from_iter([("type".to_owned(), Value::String(t.clone()))]))
        .collect();
    // The standard formats are of strings; a format of one's own may be of
    // any type, so it stays on the schema.
    let moves = |key: &str, val: &Value| {
        key != "format" || val.as_str().is_some_and(|f| STANDARD_FORMATS.contains(&f))
    };
    for (ty, branch) in types.iter().zip(&mut branches) {
        for &key in keywords_of(ty) {
            if let Some(val) = obj.get(key).filter(|v| moves(key, v)) {
                branch.insert(key.to_owned(), val.clone());
            }
        }
    }
    // A keyword no branch took (e.g. `minLength` beside `["integer","null"]`)
    // constrains nothing, but stays where it was written.
    for ty in &types {
        for &key in keywords_of(ty) {
            if obj.get(key).is_some_and(|v| moves(key, v)) {
                obj.remove(key);
            }
        }
    }
    let branches = Value::Array(branches.into_iter().map(Value::Object).collect());
    if obj.contains_key("anyOf") {
        let all = obj
            .entry("allOf")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(all) = all {
            all.push(Value::Object(Map::from_iter([(
                "anyOf".to_owned(),
                branches,
            )])));
        }
    } else {
        obj.insert("anyOf".into(), branches);
    }
}

/// The inverse of the split [`portable`] makes, for code that reads a schema
/// as one whole (the contract diff): `{"anyOf": [{"type": "string",
/// "maxLength": 3}, {"type": "null"}], "description": "d"}` reads as
/// `{"type": ["string", "null"], "maxLength": 3, "description": "d"}`. Any
/// other schema is returned as it is.
pub(crate) fn joined_type_union(schema: &Value) -> Cow<'_, Value> {
    let Some(obj) = schema.as_object() else {
        return Cow::Borrowed(schema);
    };
    let Some(Value::Array(branches)) = obj.get("anyOf") else {
        return Cow::Borrowed(schema);
    };
    let typed: Option<Vec<(&str, &Map<String, Value>)>> = branches
        .iter()
        .map(|b| {
            let b = b.as_object()?;
            let ty = b.get("type")?.as_str()?;
            let own = b
                .keys()
                .all(|k| k == "type" || keywords_of(ty).contains(&k.as_str()));
            own.then_some((ty, b))
        })
        .collect();
    let Some(typed) = typed.filter(|t| t.len() >= 2) else {
        return Cow::Borrowed(schema);
    };
    if obj.contains_key("type") {
        return Cow::Borrowed(schema);
    }
    let mut joined = obj.clone();
    joined.remove("anyOf");
    let types = typed.iter().map(|(t, _)| Value::from(*t)).collect();
    joined.insert("type".into(), Value::Array(types));
    for (_, branch) in typed {
        for (k, v) in branch.iter().filter(|(k, _)| *k != "type") {
            joined.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    Cow::Owned(Value::Object(joined))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inlines_nested_definitions_and_drops_noise() {
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Args",
            "type": "object",
            "properties": { "a": { "$ref": "#/$defs/A", "description": "the a" } },
            "$defs": {
                "A": { "type": "object", "description": "A type", "properties": { "b": { "$ref": "#/$defs/B" } } },
                "B": { "type": "integer" }
            }
        });
        assert_eq!(
            inline(root).unwrap(),
            json!({
                "type": "object",
                "properties": { "a": {
                    "type": "object", "description": "the a",
                    "properties": { "b": { "type": "integer" } }
                } }
            })
        );
    }

    #[test]
    fn enumerations_in_every_published_form() {
        let vals =
            |s: Value| allowed_values(&s).map(|v| v.into_iter().cloned().collect::<Vec<_>>());
        assert_eq!(
            vals(json!({ "enum": ["a", "b"] })),
            Some(vec![json!("a"), json!("b")])
        );
        assert_eq!(vals(json!({ "const": 1 })), Some(vec![json!(1)]));
        assert_eq!(
            vals(json!({ "oneOf": [{ "const": "x" }, { "enum": ["y", "z"] }] })),
            Some(vec![json!("x"), json!("y"), json!("z")])
        );
        assert_eq!(
            vals(json!({ "anyOf": [{ "const": "x" }, { "type": "integer" }] })),
            None
        );
        assert_eq!(vals(json!({ "type": "string" })), None);
    }

    #[test]
    fn recursion_is_an_error_naming_the_type() {
        let root = json!({
            "type": "object",
            "properties": { "node": { "$ref": "#/$defs/Node" } },
            "$defs": { "Node": { "type": "object", "properties": { "child": { "$ref": "#/$defs/Node" } } } }
        });
        let err = inline(root).unwrap_err();
        assert!(err.contains("type `Node` is recursive"), "{err}");
    }

    #[test]
    fn optional_properties_lose_null_required_keep_it() {
        let mut s = json!({
            "type": "object",
            "required": ["r"],
            "properties": {
                "r": { "type": ["string", "null"] },
                "o": { "type": ["string", "null"] },
                "e": { "type": ["string", "null"], "enum": ["x", "y", null] },
                "s": { "anyOf": [ { "type": "object", "properties": { "n": { "type": ["integer", "null"] } } }, { "type": "null" } ], "description": "d" }
            }
        });
        plain_optionals(&mut s);
        assert_eq!(
            s,
            json!({
                "type": "object",
                "required": ["r"],
                "properties": {
                    "r": { "type": ["string", "null"] },
                    "o": { "type": "string" },
                    "e": { "type": "string", "enum": ["x", "y"] },
                    "s": { "type": "object", "properties": { "n": { "type": "integer" } }, "description": "d" }
                }
            })
        );
    }
    #[test]
    fn type_unions_become_anyof_branches_with_their_keywords() {
        let mut s = json!({
            "type": "object",
            "properties": {
                "day": {
                    "type": ["string", "null"], "format": "date", "maxLength": 10,
                    "description": "d", "default": null, "examples": ["2026-01-01"]
                },
                "count": { "type": ["integer", "null"], "format": "uint32", "minimum": 0 },
                "addr": {
                    "type": ["object", "null"], "description": "a",
                    "properties": { "line2": { "type": ["string", "null"] } },
                    "required": ["line2"], "additionalProperties": false
                },
                "tags": { "type": ["array", "null"], "items": { "type": ["string", "null"] }, "minItems": 1 },
                "level": { "type": ["string", "null"], "enum": ["low", "high", null] },
                "num": { "type": ["integer", "number", "string"], "minimum": 1, "minLength": 2 },
                "odd": { "type": ["integer", "null"], "minLength": 2 },
                "one": { "type": ["boolean"] },
                "own": { "type": ["string", "null"], "format": "phone" },
                "both": { "type": ["string", "null"], "anyOf": [{ "maxLength": 3 }, { "type": "null" }] }
            }
        });
        portable(&mut s);
        assert_eq!(
            s["properties"],
            json!({
                "day": {
                    "description": "d", "default": null, "examples": ["2026-01-01"],
                    "anyOf": [{ "type": "string", "format": "date", "maxLength": 10 }, { "type": "null" }]
                },
                "count": {
                    "anyOf": [{ "type": "integer", "minimum": 0, "maximum": 4294967295_u64 }, { "type": "null" }]
                },
                "addr": {
                    "description": "a",
                    "anyOf": [{
                        "type": "object",
                        "properties": { "line2": { "anyOf": [{ "type": "string" }, { "type": "null" }] } },
                        "required": ["line2"], "additionalProperties": false
                    }, { "type": "null" }]
                },
                "tags": {
                    "anyOf": [{ "type": "array", "items": { "anyOf": [{ "type": "string" }, { "type": "null" }] }, "minItems": 1 }, { "type": "null" }]
                },
                "level": { "enum": ["low", "high", null], "anyOf": [{ "type": "string" }, { "type": "null" }] },
                "num": {
                    "anyOf": [
                        { "type": "integer", "minimum": 1 },
                        { "type": "number", "minimum": 1 },
                        { "type": "string", "minLength": 2 }
                    ]
                },
                "odd": { "minLength": 2, "anyOf": [{ "type": "integer" }, { "type": "null" }] },
                "one": { "type": "boolean" },
                "own": { "format": "phone", "anyOf": [{ "type": "string" }, { "type": "null" }] },
                "both": {
                    "anyOf": [{ "maxLength": 3 }, { "type": "null" }],
                    "allOf": [{ "anyOf": [{ "type": "string" }, { "type": "null" }] }]
                }
            })
        );
    }

    #[test]
    fn numeric_formats_become_bounds() {
        let mut s = json!({ "type": "object", "properties": {
            "u8": { "type": "integer", "format": "uint8", "minimum": 0 },
            "i8": { "type": "integer", "format": "int8" },
            "u16": { "type": "integer", "format": "uint16", "minimum": 0 },
            "i16": { "type": "integer", "format": "int16" },
            "u32": { "type": "integer", "format": "uint32", "minimum": 1, "maximum": 100 },
            "i32": { "type": "integer", "format": "int32", "exclusiveMinimum": 0 },
            "u64": { "type": "integer", "format": "uint64", "minimum": 0 },
            "i64": { "type": "integer", "format": "int64" },
            "usize": { "type": "integer", "format": "uint", "minimum": 0 },
            "isize": { "type": "integer", "format": "int" },
            "u128": { "type": "integer", "format": "uint128", "minimum": 0 },
            "f32": { "type": "number", "format": "float" },
            "f64": { "type": "number", "format": "double" },
            "day": { "type": "string", "format": "date" },
            "custom": { "type": "string", "format": "phone" },
            "str32": { "type": "string", "format": "uint32" }
        } });
        portable(&mut s);
        assert_eq!(
            s["properties"],
            json!({
                "u8": { "type": "integer", "minimum": 0, "maximum": 255 },
                "i8": { "type": "integer", "minimum": -128, "maximum": 127 },
                "u16": { "type": "integer", "minimum": 0, "maximum": 65535 },
                "i16": { "type": "integer", "minimum": -32768, "maximum": 32767 },
                "u32": { "type": "integer", "minimum": 1, "maximum": 100 },
                "i32": { "type": "integer", "exclusiveMinimum": 0, "maximum": 2147483647 },
                "u64": { "type": "integer", "minimum": 0 },
                "i64": { "type": "integer" },
                "usize": { "type": "integer", "minimum": 0 },
                "isize": { "type": "integer" },
                "u128": { "type": "integer", "minimum": 0 },
                "f32": { "type": "number" },
                "f64": { "type": "number" },
                // Standard formats, and what a user wrote by hand, stay for
                // the lint to judge.
                "day": { "type": "string", "format": "date" },
                "custom": { "type": "string", "format": "phone" },
                "str32": { "type": "string", "format": "uint32" }
            })
        );
    }

    /// The split accepts exactly the values the union did.
    #[test]
    fn the_split_accepts_the_same_values() {
        let original = json!({
            "type": "object",
            "required": ["a"],
            "properties": {
                "a": { "type": ["string", "null"], "maxLength": 3, "pattern": "^x" },
                "b": { "type": ["object", "null"], "required": ["c"], "properties": { "c": { "type": ["integer", "null"], "minimum": 2 } }, "additionalProperties": false },
                "d": { "type": ["array", "null"], "items": { "type": ["number", "boolean"], "maximum": 5 }, "maxItems": 2 },
                "e": { "type": ["string", "integer"], "enum": ["xy", 3, 4.5, null] }
            }
        });
        let mut split = original.clone();
        portable(&mut split);
        assert!(!split.to_string().contains(r#""type":["#), "{split}");
        let (before, after) = (
            jsonschema::draft202012::new(&original).unwrap(),
            jsonschema::draft202012::new(&split).unwrap(),
        );
        let values = [
            json!({}),
            json!({ "a": null }),
            json!({ "a": "x" }),
            json!({ "a": "xyzw" }),
            json!({ "a": "y" }),
            json!({ "a": 1 }),
            json!({ "a": [] }),
            json!({ "a": "x", "b": null }),
            json!({ "a": "x", "b": {} }),
            json!({ "a": "x", "b": { "c": null } }),
            json!({ "a": "x", "b": { "c": 1 } }),
            json!({ "a": "x", "b": { "c": 2 } }),
            json!({ "a": "x", "b": { "c": 2.5 } }),
            json!({ "a": "x", "b": { "c": 2, "z": 1 } }),
            json!({ "a": "x", "b": [] }),
            json!({ "a": "x", "d": null }),
            json!({ "a": "x", "d": [1, true] }),
            json!({ "a": "x", "d": [6] }),
            json!({ "a": "x", "d": [1, 2, 3] }),
            json!({ "a": "x", "d": ["1"] }),
            json!({ "a": "x", "d": {} }),
            json!({ "a": "x", "e": "xy" }),
            json!({ "a": "x", "e": 3 }),
            json!({ "a": "x", "e": 4.5 }),
            json!({ "a": "x", "e": null }),
            json!({ "a": "x", "e": "z" }),
        ];
        let mut accepted = 0;
        for v in &values {
            assert_eq!(before.is_valid(v), after.is_valid(v), "{v}");
            accepted += usize::from(before.is_valid(v));
        }
        assert!(accepted > 5 && accepted < values.len() - 5, "{accepted}");
    }

    /// What schemars derives for Rust's common types, once inlined and made
    /// portable, passes every portability rule, in both directions.
    #[test]
    fn derived_schemas_pass_the_lint() {
        use crate::schema_lint::{SchemaKind, lint};
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

    #[test]
    fn a_split_union_reads_joined_again() {
        let original = json!({
            "type": ["object", "null"], "description": "a",
            "properties": { "x": { "type": "string" } }, "required": ["x"]
        });
        let mut split = original.clone();
        portable(&mut split);
        assert_ne!(split, original);
        assert_eq!(*joined_type_union(&split), original);
        for other in [
            json!({ "type": "string" }),
            json!({ "anyOf": [{ "type": "string" }] }),
            json!({ "anyOf": [{ "type": "string", "description": "s" }, { "type": "null" }] }),
            json!({ "anyOf": [{ "const": "a" }, { "type": "null" }] }),
        ] {
            assert_eq!(*joined_type_union(&other), other);
        }
    }
}
