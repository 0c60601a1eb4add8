//! The client's side of the protocol, without I/O: the messages a client
//! sends in either era with the HTTP headers that go with them, and how to
//! read what a server sends back (JSON or an SSE stream, progress). A
//! transport (an HTTP client, a child process's pipes) moves the bytes; the
//! wire format is the one the server side of this crate reads and writes.
//!
//! ```
//! use mcp_runtime::client::{Era, Requests, ServerMessage};
//! use serde_json::json;
//!
//! let mut requests = Requests::new(Era::Stateless, "my-client", "1.0.0");
//! let list = requests.request("tools/list", json!({}));
//! assert!(list.headers.contains(&("Mcp-Method".to_owned(), "tools/list".to_owned())));
//! let body: serde_json::Value = serde_json::from_slice(&list.body).unwrap();
//! assert_eq!(body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"], "2026-07-28");
//!
//! let answer = br#"{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}"#;
//! match ServerMessage::parse(answer).unwrap() {
//!     ServerMessage::Response { id, outcome } => {
//!         assert_eq!(id, json!(list.id));
//!         assert_eq!(outcome.unwrap(), json!({ "tools": [] }));
//!     }
//!     other => panic!("{other:?}"),
//! }
//! ```

mod read;

use serde_json::{Map, Value, json};

pub use self::read::{Progress, ServerMessage, SseDecoder};
pub use crate::dispatch::arguments::ArgumentError;
pub use crate::dispatch::era::Era;
use crate::dispatch::era::Version;
use crate::dispatch::headers::encode_header_value;
use crate::jsonrpc::{meta, to_bytes};
pub use crate::transport::in_process::{CallResult, RpcErrorObject};

/// The revision of the stateless era.
pub const STATELESS_VERSION: &str = Version::V2026_07_28.as_str();

/// The revision a client offers in `initialize` (the handshake era).
pub const HANDSHAKE_VERSION: &str = Version::LATEST_HANDSHAKE.as_str();

/// The HTTP header a server names the session in (handshake era), and a
/// client sends it back in.
pub const SESSION_HEADER: &str = "Mcp-Session-Id";

/// The `_meta` key a client names itself under (stateless era).
const CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";

/// A message to send: its bytes, and the HTTP headers that go with it (a
/// transport without headers, stdio, sends the bytes alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The request id (`None` for a notification): the response carries it.
    pub id: Option<i64>,
    /// The JSON-RPC message.
    pub body: Vec<u8>,
    /// `MCP-Protocol-Version`, and in the stateless era `Mcp-Method`,
    /// `Mcp-Name` and the `Mcp-Param-*` mirrors of a call's arguments.
    pub headers: Vec<(String, String)>,
}

/// Writes the requests of one client in one era: ids, the `_meta` of the
/// stateless era, the headers. Switch the era with [`Requests::adopt`] once
/// it is negotiated.
#[derive(Debug, Clone)]
pub struct Requests {
    era: Era,
    /// The negotiated revision.
    version: String,
    next_id: i64,
    client_info: Value,
}

impl Requests {
    /// Requests in `era` from the client `name` `version`; the handshake
    /// era starts at [`HANDSHAKE_VERSION`] until [`Requests::adopt`] takes
    /// what `initialize` answered.
    pub fn new(era: Era, name: &str, version: &str) -> Requests {
        Requests {
            era,
            version: match era {
                Era::Stateless => STATELESS_VERSION,
                Era::Handshake => HANDSHAKE_VERSION,
            }
            .to_owned(),
            next_id: 1,
            client_info: json!({ "name": name, "version": version }),
        }
    }

    /// The era requests are written in.
    pub fn era(&self) -> Era {
        self.era
    }

    /// The revision requests are written in.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Write requests in `era` from now on, at `version` (for the handshake
    /// era, the `protocolVersion` that `initialize` answered). `Err` names
    /// a revision this crate does not speak, or one of the other era.
    pub fn adopt(&mut self, era: Era, version: &str) -> Result<(), String> {
        match Version::parse(version) {
            Some(v) if v.era() == era => {
                self.era = era;
                self.version = version.to_owned();
                Ok(())
            }
            Some(_) => Err(format!(
                "protocol version `{version}` does not belong to the {era:?} era"
            )),
            None => Err(format!(
                "the server chose protocol version `{version}`, which this client does not speak \
                 (it speaks {})",
                crate::SUPPORTED_VERSIONS.join(", ")
            )),
        }
    }

    fn id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// `initialize`, offering [`HANDSHAKE_VERSION`] (handshake era).
    pub fn initialize(&mut self) -> Outgoing {
        let id = self.id();
        let params = json!({
            "protocolVersion": HANDSHAKE_VERSION,
            "capabilities": {},
            "clientInfo": self.client_info,
        });
        Outgoing {
            id: Some(id),
            body: to_bytes(&message(Some(id), "initialize", params)),
            headers: Vec::new(),
        }
    }

    /// `notifications/initialized`, sent after `initialize` succeeded.
    pub fn initialized(&self) -> Outgoing {
        Outgoing {
            id: None,
            body: to_bytes(&message(None, "notifications/initialized", json!({}))),
            headers: vec![version_header(&self.version)],
        }
    }

    /// `server/discover`, written in the stateless era whatever the current
    /// one: a server that answers it with [`speaks_stateless`] takes
    /// stateless requests.
    pub fn discover(&mut self) -> Outgoing {
        let id = self.id();
        self.stateless(id, "server/discover", Map::new(), Vec::new())
    }

    /// A request of `method` with `params` (an object, or `null` for none).
    pub fn request(&mut self, method: &str, params: Value) -> Outgoing {
        let id = self.id();
        let params = match params {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        match self.era {
            Era::Stateless => self.stateless(id, method, params, Vec::new()),
            Era::Handshake => Outgoing {
                id: Some(id),
                body: to_bytes(&message(Some(id), method, Value::Object(params))),
                headers: vec![version_header(&self.version)],
            },
        }
    }

    /// `tools/call` of `tool` (its definition from `tools/list`: an argument
    /// whose schema carries `x-mcp-header` is mirrored into an `Mcp-Param-*`
    /// header) with `arguments`, asking for progress under `progress_token`
    /// if given.
    pub fn call_tool(
        &mut self,
        tool: &Value,
        arguments: Map<String, Value>,
        progress_token: Option<Value>,
    ) -> Outgoing {
        let name = tool.get("name").and_then(Value::as_str).unwrap_or_default();
        let mut params = Map::new();
        params.insert("name".into(), json!(name));
        let mut extra = Vec::new();
        if self.era == Era::Stateless {
            extra.push(("Mcp-Name".to_owned(), encode_header_value(name)));
            for (prop, header) in header_params(tool) {
                let value = match arguments.get(&prop) {
                    Some(Value::String(s)) => s.clone(),
                    Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
                    _ => continue,
                };
                extra.push((format!("Mcp-Param-{header}"), encode_header_value(&value)));
            }
        }
        params.insert("arguments".into(), Value::Object(arguments));
        if let Some(token) = progress_token {
            params.insert("_meta".into(), json!({ "progressToken": token }));
        }
        let id = self.id();
        match self.era {
            Era::Stateless => self.stateless(id, "tools/call", params, extra),
            Era::Handshake => Outgoing {
                id: Some(id),
                body: to_bytes(&message(Some(id), "tools/call", Value::Object(params))),
                headers: vec![version_header(&self.version)],
            },
        }
    }

    /// A stateless request: `_meta` carries the revision, the client and
    /// its capabilities; the headers repeat the revision and the method.
    fn stateless(
        &self,
        id: i64,
        method: &str,
        mut params: Map<String, Value>,
        extra: Vec<(String, String)>,
    ) -> Outgoing {
        let mut m = match params.remove("_meta") {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        m.insert(meta::VERSION.into(), json!(STATELESS_VERSION));
        m.insert(CLIENT_INFO.into(), self.client_info.clone());
        m.insert(meta::CAPABILITIES.into(), json!({}));
        params.insert("_meta".into(), Value::Object(m));
        let mut headers = vec![
            version_header(STATELESS_VERSION),
            ("Mcp-Method".to_owned(), method.to_owned()),
        ];
        headers.extend(extra);
        Outgoing {
            id: Some(id),
            body: to_bytes(&message(Some(id), method, Value::Object(params))),
            headers,
        }
    }
}

fn version_header(version: &str) -> (String, String) {
    ("MCP-Protocol-Version".to_owned(), version.to_owned())
}

fn message(id: Option<i64>, method: &str, params: Value) -> Value {
    let mut m = Map::new();
    m.insert("jsonrpc".into(), json!("2.0"));
    if let Some(id) = id {
        m.insert("id".into(), json!(id));
    }
    m.insert("method".into(), json!(method));
    m.insert("params".into(), params);
    Value::Object(m)
}

/// (argument, header name) for each top-level argument of a tool definition
/// whose schema carries `x-mcp-header`.
fn header_params(tool: &Value) -> Vec<(String, String)> {
    tool.pointer("/inputSchema/properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .filter_map(|(name, prop)| {
                    let header = prop.get("x-mcp-header")?.as_str()?;
                    Some((name.clone(), header.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a `server/discover` result offers the stateless revision.
pub fn speaks_stateless(discover_result: &Value) -> bool {
    discover_result
        .get("supportedVersions")
        .and_then(Value::as_array)
        .is_some_and(|v| v.iter().any(|v| v == STATELESS_VERSION))
}

/// Check `arguments` against a tool's published `inputSchema` before
/// sending them, with the messages the server's own check gives (each
/// naming its field). `Ok(errors)`, empty when the arguments are valid;
/// `Err` when the schema does not compile (a client then leaves the check
/// to the server).
///
/// ```
/// use mcp_runtime::client::check_arguments;
/// use serde_json::json;
///
/// let schema = json!({
///     "type": "object",
///     "properties": { "qty": { "type": "integer", "minimum": 1 } },
///     "required": ["qty"]
/// });
/// assert!(check_arguments(&schema, &json!({ "qty": 2 })).unwrap().is_empty());
/// let errors = check_arguments(&schema, &json!({ "qty": 0 })).unwrap();
/// assert_eq!(errors[0].path, "qty");
/// ```
pub fn check_arguments(
    input_schema: &Value,
    arguments: &Value,
) -> Result<Vec<ArgumentError>, String> {
    let validator = jsonschema::validator_for(input_schema).map_err(|e| e.to_string())?;
    Ok(crate::dispatch::arguments::argument_errors(
        &validator,
        input_schema,
        arguments,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(o: &Outgoing) -> Value {
        serde_json::from_slice(&o.body).unwrap()
    }

    #[test]
    fn handshake_requests_carry_the_negotiated_version() {
        let mut r = Requests::new(Era::Handshake, "c", "1");
        let init = body(&r.initialize());
        assert_eq!(init["params"]["protocolVersion"], HANDSHAKE_VERSION);
        assert_eq!(init["id"], 1);
        r.adopt(Era::Handshake, "2025-06-18").unwrap();
        let list = r.request("tools/list", Value::Null);
        assert_eq!(list.headers, [version_header("2025-06-18")]);
        assert_eq!(
            body(&list),
            json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {} })
        );
        assert!(r.adopt(Era::Handshake, "2026-07-28").is_err());
        assert!(r.adopt(Era::Handshake, "1999-01-01").is_err());
        assert!(body(&r.initialized()).get("id").is_none());
    }

    #[test]
    fn stateless_calls_mirror_header_arguments() {
        let mut r = Requests::new(Era::Stateless, "c", "1");
        let tool = json!({
            "name": "get_order",
            "inputSchema": { "type": "object", "properties": {
                "region": { "type": "string", "x-mcp-header": "Region" },
                "n": { "type": "integer", "x-mcp-header": "N" },
                "note": { "type": "string" }
            } }
        });
        let mut args = Map::new();
        args.insert("region".into(), json!("Zoë"));
        args.insert("n".into(), json!(3));
        args.insert("note".into(), json!("x"));
        let call = r.call_tool(&tool, args, Some(json!("p1")));
        let b = body(&call);
        assert_eq!(b["params"]["_meta"]["progressToken"], "p1");
        assert_eq!(b["params"]["_meta"][meta::VERSION], STATELESS_VERSION);
        assert_eq!(b["params"]["_meta"][meta::CAPABILITIES], json!({}));
        assert_eq!(
            call.headers,
            [
                (
                    "MCP-Protocol-Version".to_owned(),
                    STATELESS_VERSION.to_owned()
                ),
                ("Mcp-Method".to_owned(), "tools/call".to_owned()),
                ("Mcp-Name".to_owned(), "get_order".to_owned()),
                ("Mcp-Param-N".to_owned(), "3".to_owned()),
                (
                    "Mcp-Param-Region".to_owned(),
                    "=?base64?Wm/Dqw==?=".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn discover_results_tell_the_era() {
        assert!(speaks_stateless(
            &json!({ "supportedVersions": ["2026-07-28"] })
        ));
        assert!(!speaks_stateless(
            &json!({ "supportedVersions": ["2025-11-25"] })
        ));
        assert!(!speaks_stateless(&json!({})));
    }
}
