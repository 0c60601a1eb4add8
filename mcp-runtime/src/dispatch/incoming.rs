//! From the bytes of one message to one [`Incoming`] value. Two
//! constructors make it: a one-pass parse of the common `tools/call`
//! ([`FastCall`]), and the general parse of any message, which gives every
//! refusal its exact error. The dispatcher sees only the value, so a
//! `tools/call` is served by one route whichever parse read it.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::arguments::{StrictContext, StrictValue, strict_arguments};
use crate::error::McpError;
use crate::jsonrpc::{RpcError, codes, is_version_2, strip_location, valid_id};

/// One message, parsed.
// One value per message, on the stack: boxing the request would cost an
// allocation on every call for a size that does not matter here.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Incoming<'a> {
    /// A request: it is answered.
    Request(Request<'a>),
    /// A notification: nothing is answered.
    Notification {
        method: Cow<'a, str>,
        params: Option<&'a RawValue>,
    },
    /// A response (or error) from the client, to a request the server sent.
    Response {
        id: Option<&'a RawValue>,
        /// The `result`, or the `error` object.
        answer: Result<Value, Value>,
    },
}

/// A request, with what its method needs already read from `params`.
pub(crate) struct Request<'a> {
    pub(crate) id: &'a RawValue,
    pub(crate) method: Cow<'a, str>,
    /// `params` as sent (`None` when absent).
    pub(crate) params: Option<&'a RawValue>,
    /// `params._meta`.
    pub(crate) meta: Option<Value>,
    /// For `tools/call`: its name and arguments.
    pub(crate) call: Option<CallRequest<'a>>,
    /// A large message: its checks run off the async workers.
    pub(crate) large: bool,
}

/// Messages larger than this are parsed and validated off the async
/// workers, so one caller's huge request does not stall everyone's.
pub(crate) const LARGE_MESSAGE_BYTES: usize = 256 * 1024;

/// The `params` of a `tools/call`.
pub(crate) struct CallRequest<'a> {
    pub(crate) name: Cow<'a, str>,
    /// Parsed strictly; an error is reported once the tool is known.
    pub(crate) arguments: Result<Map<String, Value>, ArgumentsError>,
    /// `inputResponses` and `requestState` of a later round (2026-07-28).
    pub(crate) input: super::InputEcho<'a>,
}

/// Why the `arguments` of a call cannot be used.
pub(crate) enum ArgumentsError {
    /// Not a JSON object: a protocol error.
    NotObject,
    /// An object that does not parse strictly (a duplicate key, a number
    /// beyond f64, …): a `validation_error` result of the tool.
    Invalid(McpError),
}

/// A message that cannot be served, with the id to answer it under.
pub(crate) struct Refused<'a> {
    pub(crate) id: Option<&'a RawValue>,
    pub(crate) error: RpcError,
}

impl<'a> Incoming<'a> {
    /// Parse one message; tool arguments may hold at most `max_values` values.
    pub(crate) fn parse(body: &'a [u8], max_values: usize) -> Result<Incoming<'a>, Refused<'a>> {
        // Checked before the envelope: a short array would parse as one (serde's
        // sequence form of a struct), a long one as a syntax error.
        if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            return Err(Refused {
                id: None,
                error: batch_error(body),
            });
        }
        let mut parsed = match FastCall::parse(body, max_values) {
            Some(call) => Ok(Incoming::Request(call.into_request())),
            None => parse_general(body, max_values),
        };
        if let Ok(Incoming::Request(r)) = &mut parsed {
            r.large = body.len() > LARGE_MESSAGE_BYTES;
        }
        parsed
    }
}

fn parse_general(body: &[u8], max_values: usize) -> Result<Incoming<'_>, Refused<'_>> {
    let refuse = |id, error| Err(Refused { id, error });
    let msg = match serde_json::from_slice::<Envelope<'_>>(body) {
        Ok(e) => e,
        Err(e) => return refuse(None, envelope_error(&e, body)),
    };
    let id = msg.id.0;
    if !msg.jsonrpc.is_some_and(is_version_2) {
        return refuse(
            valid_id(id),
            RpcError::invalid_request("invalid request: `jsonrpc` must be \"2.0\""),
        );
    }
    let Some(method_raw) = msg.method.0 else {
        if msg.result.is_some() || msg.error.is_some() {
            // Kept lenient, as before: a response nothing waits for is accepted and dropped.
            let answer = match msg.error {
                Some(e) => Err(serde_json::from_str(e.get()).unwrap_or(Value::Null)),
                None => Ok(msg
                    .result
                    .and_then(|r| serde_json::from_str(r.get()).ok())
                    .unwrap_or(Value::Null)),
            };
            return Ok(Incoming::Response {
                id: valid_id(id),
                answer,
            });
        }
        return refuse(
            valid_id(id),
            RpcError::invalid_request("invalid request: `method` is missing"),
        );
    };
    let method = match serde_json::from_str::<Cow<'_, str>>(method_raw.get()) {
        Ok(m) => m,
        Err(e) => {
            // A string that does not decode (a lone surrogate escape) is not "not a string".
            let message = if method_raw.get().starts_with('"') {
                format!(
                    "invalid request: `method` is not a valid string: {}",
                    strip_location(&e)
                )
            } else {
                "invalid request: `method` must be a string".to_owned()
            };
            return refuse(valid_id(id), RpcError::invalid_request(message));
        }
    };
    if let Some(p) = msg.params
        && p.get().as_bytes().first() != Some(&b'{')
    {
        return refuse(
            valid_id(id),
            RpcError::invalid_request("invalid request: `params` must be an object"),
        );
    }
    let Some(id) = id else {
        return Ok(Incoming::Notification {
            method,
            params: msg.params,
        });
    };
    if valid_id(Some(id)).is_none() {
        return refuse(
            None,
            RpcError::invalid_request("invalid request: `id` must be a string or an integer"),
        );
    }
    // `tools/call` params are read with `_meta`; other methods' only for `_meta`.
    let (call, meta) = if method == "tools/call" {
        let p = msg
            .params
            .ok_or_else(|| RpcError::invalid_params("tools/call needs params"));
        let parsed = p.and_then(|p| {
            serde_json::from_str::<CallParams<'_>>(p.get()).map_err(|e| {
                RpcError::invalid_params(format!(
                    "invalid tools/call params: {}",
                    strip_location(&e)
                ))
            })
        });
        match parsed {
            Ok(c) => (Some(c.request(max_values)), c.meta),
            Err(e) => return refuse(Some(id), e),
        }
    } else {
        let m: MetaOnly = match msg.params {
            Some(p) => match serde_json::from_str(p.get()) {
                Ok(m) => m,
                Err(e) => {
                    return refuse(
                        Some(id),
                        RpcError::invalid_params(format!("invalid params: {}", strip_location(&e))),
                    );
                }
            },
            None => MetaOnly::default(),
        };
        (None, m.meta)
    };
    Ok(Incoming::Request(Request {
        id,
        method,
        params: msg.params,
        meta,
        call,
        large: false,
    }))
}

/// An `id` that remembers whether it was present at all (`null` is present).
#[derive(Default)]
struct MaybeId<'a>(Option<&'a RawValue>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeId<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&RawValue>::deserialize(d).map(|r| MaybeId(Some(r)))
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    jsonrpc: Option<&'a RawValue>,
    #[serde(borrow, default)]
    id: MaybeId<'a>,
    /// `null` is kept (as `Some("null")`): a null method is not a missing one.
    #[serde(borrow, default)]
    method: MaybeId<'a>,
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct CallParams<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    arguments: Option<&'a RawValue>,
    #[serde(default, rename = "_meta")]
    meta: Option<Value>,
    #[serde(borrow, default, rename = "inputResponses")]
    input_responses: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "requestState")]
    request_state: Option<&'a RawValue>,
}

impl<'a> CallParams<'a> {
    fn request(&self, max_values: usize) -> CallRequest<'a> {
        let arguments = match self.arguments {
            None => Ok(Map::new()),
            Some(raw) if raw.get().starts_with('{') => {
                strict_arguments(raw.get(), max_values).map_err(ArgumentsError::Invalid)
            }
            Some(_) => Err(ArgumentsError::NotObject),
        };
        CallRequest {
            name: self.name.clone(),
            arguments,
            input: super::InputEcho {
                responses: self.input_responses,
                state: self.request_state,
            },
        }
    }
}

#[derive(Deserialize, Default)]
struct MetaOnly {
    #[serde(default, rename = "_meta")]
    meta: Option<Value>,
}

/// A `tools/call` request read in one pass: the common case, parsed without
/// scanning the body three times (envelope, params, arguments). Anything
/// unusual fails this parse, and the general parse takes the message: an
/// escaped string, a field the envelope does not need, a duplicate key,
/// `arguments` that are not an object or do not parse strictly, an id that
/// is not a string or integer. What a successful parse yields is what the
/// general parse would have.
struct FastCall<'a> {
    id: &'a RawValue,
    name: &'a str,
    arguments: Option<Map<String, Value>>,
    meta: Option<Value>,
}

impl<'a> FastCall<'a> {
    fn parse(body: &'a [u8], max_values: usize) -> Option<FastCall<'a>> {
        use serde::de::DeserializeSeed;
        let text = std::str::from_utf8(body).ok()?;
        let mut de = serde_json::Deserializer::from_str(text);
        let call = FastSeed(max_values).deserialize(&mut de).ok()?;
        de.end().ok()?;
        valid_id(Some(call.id))?;
        Some(call)
    }

    fn into_request(self) -> Request<'a> {
        Request {
            id: self.id,
            method: Cow::Borrowed("tools/call"),
            // Only `initialize`, `logging/setLevel` and lists read raw params.
            params: None,
            meta: self.meta,
            call: Some(CallRequest {
                name: Cow::Borrowed(self.name),
                arguments: Ok(self.arguments.unwrap_or_default()),
                input: super::InputEcho::default(),
            }),
            large: false,
        }
    }
}

/// Fails the fast parse; the general parse takes the message instead.
fn not_fast<E: serde::de::Error>() -> E {
    E::custom("not the common tools/call shape")
}

/// Reads a [`FastCall`], its arguments at most `.0` values.
struct FastSeed(usize);

impl<'de> serde::de::DeserializeSeed<'de> for FastSeed {
    type Value = FastCall<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<FastCall<'de>, D::Error> {
        struct V(usize);
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = FastCall<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a tools/call request")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Self::Value, A::Error> {
                let (mut version, mut method) = (false, false);
                let mut id = None;
                let mut params: Option<FastParams<'de>> = None;
                while let Some(key) = m.next_key::<&'de str>()? {
                    match key {
                        "jsonrpc" if !version => {
                            version = m.next_value::<&'de str>()? == "2.0";
                            if !version {
                                return Err(not_fast());
                            }
                        }
                        "method" if !method => {
                            method = m.next_value::<&'de str>()? == "tools/call";
                            if !method {
                                return Err(not_fast());
                            }
                        }
                        "id" if id.is_none() => id = Some(m.next_value::<&'de RawValue>()?),
                        "params" if params.is_none() => {
                            params = Some(m.next_value_seed(ParamsSeed(self.0))?)
                        }
                        _ => return Err(not_fast()),
                    }
                }
                match (version, method, id, params) {
                    (true, true, Some(id), Some(p)) => Ok(FastCall {
                        id,
                        name: p.name.ok_or_else(not_fast)?,
                        arguments: p.arguments,
                        meta: p.meta,
                    }),
                    _ => Err(not_fast()),
                }
            }
        }
        d.deserialize_map(V(self.0))
    }
}

/// The `params` of a [`FastCall`]: an object (unknown keys ignored, as
/// [`CallParams`] does) whose `arguments`, if any, parse strictly to an object.
struct FastParams<'a> {
    name: Option<&'a str>,
    arguments: Option<Map<String, Value>>,
    meta: Option<Value>,
}

/// Reads [`FastParams`], the arguments at most `.0` values.
struct ParamsSeed(usize);

impl<'de> serde::de::DeserializeSeed<'de> for ParamsSeed {
    type Value = FastParams<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<FastParams<'de>, D::Error> {
        struct V(usize);
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = FastParams<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("tools/call params")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Self::Value, A::Error> {
                let mut p = FastParams {
                    name: None,
                    arguments: None,
                    meta: None,
                };
                let mut meta_seen = false;
                while let Some(key) = m.next_key::<&'de str>()? {
                    match key {
                        "name" if p.name.is_none() => p.name = Some(m.next_value()?),
                        "arguments" if p.arguments.is_none() => {
                            let ctx = StrictContext::new(self.0);
                            match m.next_value_seed(StrictValue(&ctx))? {
                                Value::Object(args) => p.arguments = Some(args),
                                _ => return Err(not_fast()),
                            }
                        }
                        "_meta" if !meta_seen => {
                            meta_seen = true;
                            p.meta = m.next_value()?;
                        }
                        // A later round of an input-required call: the general parse reads it.
                        "name" | "arguments" | "_meta" | "inputResponses" | "requestState" => {
                            return Err(not_fast());
                        }
                        _ => {
                            m.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(p)
            }
        }
        d.deserialize_map(V(self.0))
    }
}

/// A JSON array: batches were removed in 2025-06-18 (invalid JSON is still a parse error).
fn batch_error(body: &[u8]) -> RpcError {
    match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        Ok(_) => RpcError::invalid_request(
            "invalid request: batch arrays are not supported; send one JSON-RPC message per request",
        ),
        Err(e) => RpcError::new(codes::PARSE_ERROR, format!("parse error: {e}")),
    }
}

/// Classify a body that did not parse as an envelope.
fn envelope_error(e: &serde_json::Error, body: &[u8]) -> RpcError {
    if e.is_syntax() || e.is_eof() || e.is_io() {
        return RpcError::new(codes::PARSE_ERROR, format!("parse error: {}", e));
    }
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return RpcError::invalid_request(
            "invalid request: a JSON-RPC message must be a JSON object",
        );
    }
    RpcError::invalid_request(format!("invalid request: {}", strip_location(e)))
}
