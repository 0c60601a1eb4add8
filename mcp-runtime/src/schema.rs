//! Turning schemars' output into schemas every MCP client can read: no
//! `$ref`/`$defs`, optional arguments as their plain type.

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
}
