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

pub mod http;

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::Value;

/// The official MCP schema's `JSONRPCMessage`, compiled once.
fn message_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/mcp-spec/2025-11-25/schema.json"
        );
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

/// The top-level member names of a JSON object in order, duplicates
/// included, with the raw `id` value (`None` if the text is not an object).
/// Unlike a `serde_json::Value` this reads what the server's envelope parser
/// reads: members it ignores are skipped unchecked, names may hold bytes
/// that are not UTF-8, strings that do not decode (lone surrogates) pass.
pub fn top_level(text: &[u8]) -> Option<Vec<(Vec<u8>, Option<Box<serde_json::value::RawValue>>)>> {
    type Member = (Vec<u8>, Option<Box<serde_json::value::RawValue>>);
    struct Members(Vec<Member>);
    struct Name(Vec<u8>);
    impl<'de> Deserialize<'de> for Name {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Name;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a member name")
                }
                fn visit_str<E>(self, v: &str) -> Result<Name, E> {
                    Ok(Name(v.as_bytes().to_vec()))
                }
                fn visit_bytes<E>(self, v: &[u8]) -> Result<Name, E> {
                    Ok(Name(v.to_vec()))
                }
            }
            d.deserialize_bytes(V)
        }
    }
    impl<'de> Deserialize<'de> for Members {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Members;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                    let mut members = Vec::new();
                    while let Some(Name(k)) = map.next_key::<Name>()? {
                        let raw = if k == b"id" {
                            Some(map.next_value()?)
                        } else {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            None
                        };
                        members.push((k, raw));
                    }
                    Ok(Members(members))
                }
            }
            d.deserialize_map(V)
        }
    }
    serde_json::from_slice::<Members>(text).ok().map(|m| m.0)
}

fn has_duplicates<K: PartialEq, T>(members: &[(K, T)]) -> bool {
    members
        .iter()
        .enumerate()
        .any(|(i, (k, _))| members[..i].iter().any(|(p, _)| p == k))
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
    let members = top_level(request);
    let has = |key: &str| {
        members
            .as_ref()
            .is_some_and(|m| m.iter().any(|(k, _)| k == key.as_bytes()))
    };
    let Some(body) = reply else {
        assert!(
            members.is_some(),
            "no answer to a message that is not a JSON object: {}",
            lossy(request)
        );
        let client_response = !has("method") && (has("result") || has("error"));
        assert!(
            !has("id") || client_response,
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
    let m = msg
        .as_object()
        .unwrap_or_else(|| panic!("the answer is not an object: {msg}"));
    assert_eq!(m.get("jsonrpc"), Some(&Value::from("2.0")), "{msg}");
    let id = m
        .get("id")
        .unwrap_or_else(|| panic!("the answer has no id: {msg}"));
    assert!(
        m.contains_key("result") != m.contains_key("error"),
        "not exactly one of result/error: {msg}"
    );
    if let Some(e) = m.get("error") {
        assert!(
            e.get("code").is_some_and(Value::is_i64),
            "error code: {msg}"
        );
        assert!(
            e.get("message")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty()),
            "error message: {msg}"
        );
    }
    let mut for_schema = msg.clone();
    if id.is_null() {
        assert!(m.contains_key("error"), "a result with a null id: {msg}");
        for_schema.as_object_mut().expect("object").remove("id");
    } else {
        let raw_id = members
            .as_ref()
            .and_then(|m| {
                m.iter()
                    .rev()
                    .find_map(|(k, raw)| raw.as_ref().filter(|_| k == b"id"))
            })
            .unwrap_or_else(|| {
                panic!(
                    "answer id {id} to a message without one: {}",
                    lossy(request)
                )
            });
        let req_id: Value = serde_json::from_str(raw_id.get()).unwrap_or_else(|e| {
            panic!("echoed an id that does not parse ({e}): {}", lossy(request))
        });
        assert_eq!(
            id,
            &req_id,
            "the answer's id is not the request's: {}",
            lossy(request)
        );
    }
    if let Some(o) = obj {
        let unique = members.as_ref().is_some_and(|m| !has_duplicates(m));
        if unique && well_formed_request(o) {
            assert!(
                !id.is_null(),
                "a well-formed request lost its id: {}\n-> {msg}",
                lossy(request)
            );
        }
    }
    let validator = message_validator();
    if !validator.is_valid(&for_schema) {
        let errors: Vec<String> = validator
            .iter_errors(&for_schema)
            .map(|e| e.to_string())
            .collect();
        panic!("not a valid JSONRPCMessage ({}): {msg}", errors.join("; "));
    }
}

/// Check a notification the server sent (an SSE event before the answer):
/// one JSON-RPC notification, valid against the official schema.
pub fn check_notification(bytes: &[u8]) {
    let msg: Value = serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("a notification that is not JSON ({e}): {}", lossy(bytes)));
    assert_eq!(msg.get("jsonrpc"), Some(&Value::from("2.0")), "{msg}");
    assert!(
        msg.get("method").is_some_and(Value::is_string),
        "notification method: {msg}"
    );
    assert!(msg.get("id").is_none(), "a notification with an id: {msg}");
    let validator = message_validator();
    if !validator.is_valid(&msg) {
        let errors: Vec<String> = validator.iter_errors(&msg).map(|e| e.to_string()).collect();
        panic!("not a valid JSONRPCMessage ({}): {msg}", errors.join("; "));
    }
}
