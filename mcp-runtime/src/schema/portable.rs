//! One `type` per schema and only the `format`s of JSON Schema 2020-12:
//! the transform every published schema goes through, and the tables the
//! lint shares with it.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::visit_subschemas_mut;

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
