//! Turning schemars' output into schemas every MCP client can read: no
//! `$ref`/`$defs`, optional arguments as their plain type, one `type` per
//! schema, and only the `format`s of JSON Schema 2020-12 ([`portable`]).
//! The lint (`schema_lint`, a layer above) reports what a hand-written schema still gets wrong.

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

mod portable;

pub(crate) use self::portable::*;

#[cfg(test)]
mod tests;
