//! A call's arguments from the command line: one JSON object, or
//! `key=value` words typed by the tool's published schema; then checked
//! against that schema (`mcp_runtime::client::check_arguments`).

use mcp_runtime::client::check_arguments;
use serde_json::{Map, Value};

use crate::error::Error;

/// The arguments `words` give for a tool with `input_schema`.
pub(crate) fn parse(words: &[String], input_schema: &Value) -> Result<Map<String, Value>, Error> {
    if let [one] = words
        && one.trim_start().starts_with('{')
    {
        return match serde_json::from_str(one) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(Error::Usage(
                "the arguments are not a JSON object".to_owned(),
            )),
            Err(e) => Err(Error::Usage(format!(
                "the arguments are not valid JSON: {e}"
            ))),
        };
    }
    let mut args = Map::new();
    for word in words {
        let Some((key, raw)) = word.split_once('=') else {
            return Err(Error::Usage(format!(
                "`{word}` is not `key=value` (or give all the arguments as one JSON object)"
            )));
        };
        if key.is_empty() {
            return Err(Error::Usage(format!(
                "`{word}` has no argument name before `=`"
            )));
        }
        let property = input_schema.pointer(&format!(
            "/properties/{}",
            key.replace('~', "~0").replace('/', "~1")
        ));
        let value = typed(raw, &types_of(property));
        if args.insert(key.to_owned(), value).is_some() {
            return Err(Error::Usage(format!("the argument `{key}` is given twice")));
        }
    }
    Ok(args)
}

/// The JSON types a property's schema allows (`type`, the branches of
/// `anyOf`/`oneOf`, the values of `enum`/`const`); empty when it says none.
fn types_of(schema: Option<&Value>) -> Vec<&'static str> {
    let mut out = Vec::new();
    let Some(schema) = schema else {
        return out;
    };
    let mut add = |t: &str| {
        let t = match t {
            "string" => "string",
            "integer" | "number" => "number",
            "boolean" => "boolean",
            "array" => "array",
            "object" => "object",
            "null" => "null",
            _ => return,
        };
        if !out.contains(&t) {
            out.push(t);
        }
    };
    match schema.get("type") {
        Some(Value::String(t)) => add(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).for_each(&mut add),
        _ => {}
    }
    let values = schema
        .get("enum")
        .and_then(Value::as_array)
        .map(|v| v.iter().collect::<Vec<_>>())
        .or_else(|| schema.get("const").map(|c| vec![c]))
        .unwrap_or_default();
    for v in values {
        add(json_type(v));
    }
    for key in ["anyOf", "oneOf"] {
        for branch in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for t in types_of(Some(branch)) {
                add(t);
            }
        }
    }
    out
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `raw` as the value its schema wants: a string where only strings are
/// allowed, else the JSON it spells if that is of an allowed type, else a
/// string (the schema check then names the argument).
fn typed(raw: &str, types: &[&str]) -> Value {
    let string = || Value::String(raw.to_owned());
    if types == ["string"] {
        return string();
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(v) if types.is_empty() || types.contains(&json_type(&v)) => v,
        Ok(_) | Err(_) if types.contains(&"string") || types.is_empty() => string(),
        Ok(v) => v,
        Err(_) => string(),
    }
}

/// Check `args` against the schema; every error names its field.
pub(crate) fn check(
    tool: &str,
    input_schema: &Value,
    args: &Map<String, Value>,
) -> Result<(), Error> {
    let errors = match check_arguments(input_schema, &Value::Object(args.clone())) {
        Ok(errors) => errors,
        // A schema this client cannot compile: the server judges.
        Err(_) => return Ok(()),
    };
    if errors.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    Err(Error::Usage(format!(
        "invalid arguments for `{tool}` (not sent): {}",
        lines.join("; ")
    )))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn values_take_the_type_their_schema_names() {
        let schema = json!({ "type": "object", "properties": {
            "code": { "type": "string" },
            "qty": { "type": "integer" },
            "ok": { "type": "boolean" },
            "note": { "anyOf": [{ "type": "string" }, { "type": "null" }] },
            "items": { "type": "array" },
            "size": { "enum": [1, 2] },
        } });
        let args = parse(
            &words(&[
                "code=007",
                "qty=3",
                "ok=true",
                "note=null",
                "items=[1,2]",
                "size=2",
                "free=x",
                "n=4",
            ]),
            &schema,
        )
        .unwrap();
        assert_eq!(
            Value::Object(args),
            json!({
                "code": "007", "qty": 3, "ok": true, "note": null,
                "items": [1, 2], "size": 2, "free": "x", "n": 4
            })
        );
        let wrong = parse(&words(&["qty=three"]), &schema).unwrap();
        assert_eq!(wrong["qty"], "three", "left for the schema check to name");
    }

    #[test]
    fn one_json_object_or_words() {
        let schema = json!({ "type": "object" });
        assert_eq!(
            parse(&words(&[r#"{"a": [1]}"#]), &schema).unwrap()["a"],
            json!([1])
        );
        for bad in [&["{nope"][..], &["a"], &["=1"], &["a=1", "a=2"]] {
            assert!(
                matches!(parse(&words(bad), &schema), Err(Error::Usage(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_check_names_the_field() {
        let schema = json!({
            "type": "object",
            "properties": { "qty": { "type": "integer", "minimum": 1 } },
            "required": ["qty"]
        });
        let mut args = Map::new();
        args.insert("qty".into(), json!(0));
        let Err(Error::Usage(m)) = check("t", &schema, &args) else {
            panic!("invalid")
        };
        assert!(
            m.starts_with("invalid arguments for `t` (not sent): `qty`: "),
            "{m}"
        );
    }
}
