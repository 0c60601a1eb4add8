//! What the fuzz targets check about every answer (the oracle), shared by
//! the targets in `fuzz_targets/`.
//!
//! A JSON-RPC answer must be one JSON object with `"jsonrpc": "2.0"`, an
//! `id`, and exactly one of `result` / `error` (an error with an integer
//! `code` and a non-empty `message`); it must be a valid `JSONRPCMessage` of
//! the official MCP schema (with the one allowance the tests make: an error
//! answering a message whose id could not be read carries `"id": null`); a
//! non-null id must be the request's id; a well-formed request (with unique
//! top-level keys) must get its id back; only notifications and client
//! responses go unanswered; and no answer is much larger than its request.

use std::sync::OnceLock;

use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

/// The official MCP schema's `JSONRPCMessage`, compiled once.
fn message_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/mcp-spec/2025-11-25/schema.json");
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("the official schema {path} is not readable: {e}"));
        let spec: Value = serde_json::from_str(&text).expect("the schema is JSON");
        let schema = serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": "#/$defs/JSONRPCMessage",
            "$defs": spec["$defs"],
        });
        jsonschema::draft202012::new(&schema).expect("the official schema compiles")
    })
}

/// The bytes, for a panic message (at most 2000 characters of them).
pub fn lossy(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    s.chars().take(2000).collect()
}

/// The top-level keys of a JSON object in order, duplicates included
/// (`None` if the text is not an object).
pub fn top_level_keys(text: &[u8]) -> Option<Vec<String>> {
    struct Keys(Vec<String>);
    impl<'de> Deserialize<'de> for Keys {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Keys;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some(k) = map.next_key::<String>()? {
                        map.next_value::<IgnoredAny>()?;
                        keys.push(k);
                    }
                    Ok(Keys(keys))
                }
            }
            d.deserialize_map(V)
        }
    }
    serde_json::from_slice::<Keys>(text).ok().map(|k| k.0)
}

fn has_duplicates(keys: &[String]) -> bool {
    keys.iter().enumerate().any(|(i, k)| keys[..i].contains(k))
}

/// An id the server must echo: a string, or an integer written in digits.
fn echoable_id(id: &Value) -> bool {
    id.is_string() || id.is_i64() || id.is_u64()
}

/// A request every JSON-RPC server must answer with its own id.
fn well_formed_request(o: &serde_json::Map<String, Value>) -> bool {
    o.get("jsonrpc").and_then(Value::as_str) == Some("2.0")
        && o.get("method").is_some_and(Value::is_string)
        && o.get("id").is_some_and(echoable_id)
        && o.get("params").is_none_or(|p| p.is_object() || p.is_null())
}

/// Check one answer (`None`: no answer) to the message `request`.
pub fn check_reply(request: &[u8], reply: Option<&[u8]>) {
    let parsed: Option<Value> = serde_json::from_slice(request).ok();
    let obj = parsed.as_ref().and_then(Value::as_object);
    let Some(body) = reply else {
        let o = obj.unwrap_or_else(|| {
            panic!("no answer to a message that is not a JSON object: {}", lossy(request))
        });
        let client_response =
            !o.contains_key("method") && (o.contains_key("result") || o.contains_key("error"));
        assert!(
            !o.contains_key("id") || client_response,
            "no answer to a request with an id: {}",
            lossy(request)
        );
        return;
    };
    assert!(
        body.len() <= 2 * request.len() + 16 * 1024,
        "an answer of {} bytes to a request of {}: {}",
        body.len(),
        request.len(),
        lossy(body)
    );
    let msg: Value = serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("the answer is not JSON ({e}): {}", lossy(body)));
    let m = msg.as_object().unwrap_or_else(|| panic!("the answer is not an object: {msg}"));
    assert_eq!(m.get("jsonrpc"), Some(&Value::from("2.0")), "{msg}");
    let id = m.get("id").unwrap_or_else(|| panic!("the answer has no id: {msg}"));
    assert!(
        m.contains_key("result") != m.contains_key("error"),
        "not exactly one of result/error: {msg}"
    );
    if let Some(e) = m.get("error") {
        assert!(e.get("code").is_some_and(Value::is_i64), "error code: {msg}");
        assert!(
            e.get("message").and_then(Value::as_str).is_some_and(|s| !s.is_empty()),
            "error message: {msg}"
        );
    }
    let mut for_schema = msg.clone();
    if id.is_null() {
        assert!(m.contains_key("error"), "a result with a null id: {msg}");
        for_schema.as_object_mut().expect("object").remove("id");
    } else {
        let req_id = obj.and_then(|o| o.get("id")).unwrap_or_else(|| {
            panic!("answer id {id} to a message without one: {}", lossy(request))
        });
        assert_eq!(id, req_id, "the answer's id is not the request's: {}", lossy(request));
    }
    if let Some(o) = obj {
        let unique = top_level_keys(request).is_some_and(|k| !has_duplicates(&k));
        if unique && well_formed_request(o) {
            assert!(!id.is_null(), "a well-formed request lost its id: {}\n-> {msg}", lossy(request));
        }
    }
    let validator = message_validator();
    if !validator.is_valid(&for_schema) {
        let errors: Vec<String> = validator.iter_errors(&for_schema).map(|e| e.to_string()).collect();
        panic!("not a valid JSONRPCMessage ({}): {msg}", errors.join("; "));
    }
}
