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
    let vals = |s: Value| allowed_values(&s).map(|v| v.into_iter().cloned().collect::<Vec<_>>());
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
