//! Tool arguments: the strict parse (duplicate keys refused at any depth),
//! the injected `tenantId`/`workspaceId`, string limits, and validation
//! against the tool's schema with messages that name the argument.

use serde_json::{Map, Value, json};

use crate::auth::{MAX_SCOPE_ID_BYTES, is_valid_scope_id};
use crate::error::McpError;
use crate::jsonrpc::{strip_location, truncate};
use crate::registry::ToolInfo;

/// Take an injected argument (`tenantId`, `workspaceId`) out of the arguments.
pub(super) fn take_injected(
    args: &mut Map<String, Value>,
    name: &str,
) -> Result<Option<String>, McpError> {
    match args.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if is_valid_scope_id(&s) => Ok(Some(s)),
        Some(Value::String(_)) => Err(McpError::validation(format!(
            "`{name}` must be a non-empty string of at most {MAX_SCOPE_ID_BYTES} bytes"
        ))),
        Some(_) => Err(McpError::validation(format!("`{name}` must be a string"))),
    }
}

/// Parse the raw `arguments` object of a call. Unlike `serde_json::Value`,
/// which keeps the last of duplicate keys, a duplicate key at any depth is
/// refused: a proxy that checked the first `tenantId` and a server that used
/// the last would disagree on who is calling. Values serde_json cannot
/// represent (numbers beyond f64, lone surrogate escapes) are refused too;
/// every refusal is a `validation_error` naming the argument.
///
/// The one-pass parse of common `tools/call`s reads arguments with the same
/// [`StrictValue`], so both constructions of a call agree on what is valid.
pub(super) fn strict_arguments(
    raw: &str,
    max_values: usize,
) -> Result<Map<String, Value>, McpError> {
    use serde::de::DeserializeSeed;
    let ctx = StrictContext::new(max_values);
    let mut de = serde_json::Deserializer::from_str(raw);
    let parsed = StrictValue(&ctx)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    match parsed {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(McpError::validation(
            "tools/call `arguments` must be an object",
        )),
        Err(e) => {
            let too_many = ctx.too_many();
            let mut segments = ctx.path.into_inner();
            segments.reverse();
            let path = display_path(&segments);
            Err(McpError::validation(if too_many {
                format!(
                    "invalid arguments: more than {max_values} values (objects, arrays, \
                     their items and scalars together); send fewer items per call"
                )
            } else if ctx.duplicate.get() {
                format!(
                    "invalid arguments: duplicate argument `{}`",
                    truncate(&path, 200)
                )
            } else if path.is_empty() {
                format!("invalid arguments: {}", strip_location(&e))
            } else {
                format!(
                    "invalid argument `{}`: {}",
                    truncate(&path, 200),
                    strip_location(&e)
                )
            }))
        }
    }
}

/// Where [`strict_arguments`] failed: path segments, innermost first (pushed
/// while the error unwinds, so a successful parse pays nothing).
pub(super) struct StrictContext {
    path: std::cell::RefCell<Vec<String>>,
    duplicate: std::cell::Cell<bool>,
    /// Values read so far, and the most allowed: a huge array is refused
    /// while it is read, before it costs memory and validation time.
    values: std::cell::Cell<usize>,
    max_values: usize,
}

impl StrictContext {
    pub(super) fn new(max_values: usize) -> StrictContext {
        StrictContext {
            path: Default::default(),
            duplicate: Default::default(),
            values: Default::default(),
            max_values,
        }
    }

    fn too_many(&self) -> bool {
        self.values.get() > self.max_values
    }
}

/// A `serde_json::Value` that refuses duplicate object keys.
#[derive(Clone, Copy)]
pub(super) struct StrictValue<'c>(pub(super) &'c StrictContext);

impl<'de> serde::de::DeserializeSeed<'de> for StrictValue<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        let n = self.0.values.get() + 1;
        self.0.values.set(n);
        if n > self.0.max_values {
            return Err(serde::de::Error::custom("too many values"));
        }
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for StrictValue<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        loop {
            match seq.next_element_seed(self) {
                Ok(Some(v)) => items.push(v),
                Ok(None) => return Ok(Value::Array(items)),
                Err(e) => {
                    self.0.path.borrow_mut().push(items.len().to_string());
                    return Err(e);
                }
            }
        }
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if m.contains_key(&key) {
                self.0.duplicate.set(true);
                self.0.path.borrow_mut().push(key);
                return Err(serde::de::Error::custom("duplicate key"));
            }
            match map.next_value_seed(self) {
                Ok(v) => {
                    m.insert(key, v);
                }
                Err(e) => {
                    self.0.path.borrow_mut().push(key);
                    return Err(e);
                }
            }
        }
        Ok(Value::Object(m))
    }
}

/// Refuse any string argument longer than the limit, naming where it is.
pub(super) fn check_strings(v: &Value, max: usize) -> Result<(), McpError> {
    /// What is too long; a value's path is collected innermost first while
    /// the error unwinds, so a passing check allocates nothing.
    enum TooLong {
        Name,
        Value(usize, Vec<String>),
    }
    fn within(e: TooLong, seg: impl FnOnce() -> String) -> TooLong {
        match e {
            TooLong::Value(len, mut path) => {
                path.push(seg());
                TooLong::Value(len, path)
            }
            name => name,
        }
    }
    fn walk(v: &Value, max: usize) -> Result<(), TooLong> {
        match v {
            Value::String(s) if s.len() > max => Err(TooLong::Value(s.len(), Vec::new())),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .try_for_each(|(i, item)| walk(item, max).map_err(|e| within(e, || i.to_string()))),
            Value::Object(m) => m.iter().try_for_each(|(k, item)| {
                if k.len() > max {
                    return Err(TooLong::Name);
                }
                walk(item, max).map_err(|e| within(e, || k.clone()))
            }),
            _ => Ok(()),
        }
    }
    match walk(v, max) {
        Ok(()) => Ok(()),
        Err(TooLong::Name) => Err(McpError::validation(format!(
            "an argument name is longer than {max} bytes"
        ))),
        Err(TooLong::Value(len, mut path)) => {
            path.reverse();
            Err(McpError::validation(format!(
                "argument `{}` is {len} bytes long; the limit is {max} bytes",
                display_path(&path)
            )))
        }
    }
}

/// `["items", "0", "qty"]` → `items[0].qty`.
fn display_path<S: AsRef<str>>(segments: &[S]) -> String {
    let mut out = String::new();
    for seg in segments {
        let seg = seg.as_ref();
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(seg);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
    }
    out
}

/// Check arguments against the tool's compiled schema; every error names its field.
pub(super) fn validate(tool: &ToolInfo, args: &Value) -> Result<(), McpError> {
    if tool.validator.is_valid(args) {
        return Ok(());
    }
    let errors = argument_errors(&tool.validator, tool.input_schema(), args);
    let lines: Vec<String> = errors.iter().map(ArgumentError::to_string).collect();
    let errors: Vec<Value> = errors
        .into_iter()
        .map(|e| json!({ "path": e.path, "message": e.message }))
        .collect();
    Err(
        McpError::validation(format!("invalid arguments: {}", lines.join("; ")))
            .with_details(json!({ "errors": errors })),
    )
}

/// One way the arguments of a call fail their schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgumentError {
    /// The argument, as `items[0].qty`; empty for the arguments object itself.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl std::fmt::Display for ArgumentError {
    /// `` `items[0].qty`: 0 is less than the minimum of 1 ``.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "`{}`: {}", self.path, self.message)
        }
    }
}

/// The first ten errors of `args` against `validator` (compiled from
/// `schema`, the published schema whose enum values are named), each naming
/// its field. The server's check and the client's (`client::check_arguments`)
/// word their errors alike through this.
pub(crate) fn argument_errors(
    validator: &jsonschema::Validator,
    schema: &Value,
    args: &Value,
) -> Vec<ArgumentError> {
    let mut errors = Vec::new();
    for e in validator.iter_errors(args).take(10) {
        let segments: Vec<String> = e
            .instance_path()
            .into_iter()
            .map(|s| s.to_string())
            .collect();
        let path = display_path(&segments);
        // Small offending values are shown (they help the model fix its call);
        // large ones are masked rather than echoed back.
        let small = e.instance().to_string().len() <= 64;
        let mut message = truncate(
            &if small {
                e.to_string()
            } else {
                e.masked().to_string()
            },
            300,
        );
        // "not valid under any of the schemas listed in the 'oneOf' keyword"
        // does not tell the model what to send: name the allowed values.
        if matches!(e.kind().keyword(), "anyOf" | "oneOf")
            && let Some(values) = allowed_values(schema, &segments)
        {
            message = truncate(&format!("{message}; expected one of: {values}"), 400);
        }
        errors.push(ArgumentError { path, message });
    }
    errors
}

/// The values an enum-like argument allows, found by following the
/// instance path through the published schema; `None` when the argument is
/// not enum-like.
fn allowed_values(schema: &Value, path: &[String]) -> Option<String> {
    let mut node = schema;
    for seg in path {
        node = node
            .get("properties")
            .and_then(|p| p.get(seg))
            .or_else(|| node.get("items"))
            .or_else(|| node.get("additionalProperties").filter(|v| v.is_object()))?;
    }
    let values = crate::schema::allowed_values(node).filter(|v| !v.is_empty())?;
    let shown: Vec<String> = values.iter().take(20).map(|v| v.to_string()).collect();
    let more = if values.len() > 20 { ", …" } else { "" };
    Some(format!("{}{more}", shown.join(", ")))
}
