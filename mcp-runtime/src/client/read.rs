//! Reading what a server sends a client: one JSON-RPC message, the events
//! of an SSE stream, progress notifications.

use serde_json::Value;

use super::RpcErrorObject;
use crate::jsonrpc::{Reply, RpcError, codes, strip_location};

/// One message from a server.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    /// The answer to a request: its result, or its JSON-RPC error.
    Response {
        /// The id of the request answered (`null` when the server could not
        /// read it).
        id: Value,
        /// The `result`, or the `error`.
        outcome: Result<Value, RpcErrorObject>,
    },
    /// A notification (`notifications/progress`, `notifications/message` …).
    Notification {
        /// Its method.
        method: String,
        /// Its params (`null` when absent).
        params: Value,
    },
    /// A request from the server (`ping`, `sampling/createMessage` …).
    Request {
        /// Its id, to answer with.
        id: Value,
        /// Its method.
        method: String,
        /// Its params (`null` when absent).
        params: Value,
    },
}

impl ServerMessage {
    /// Read one JSON-RPC message; `Err` says why the bytes are not one.
    pub fn parse(bytes: &[u8]) -> Result<ServerMessage, String> {
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| format!("not JSON: {}", strip_location(&e)))?;
        let Value::Object(mut m) = v else {
            return Err("not a JSON-RPC message: not an object".to_owned());
        };
        if m.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return Err("not a JSON-RPC message: no `\"jsonrpc\": \"2.0\"`".to_owned());
        }
        let params = m.remove("params").unwrap_or(Value::Null);
        if let Some(method) = m.get("method").and_then(Value::as_str).map(str::to_owned) {
            return Ok(match m.remove("id") {
                Some(id) => ServerMessage::Request { id, method, params },
                None => ServerMessage::Notification { method, params },
            });
        }
        let id = m.remove("id").unwrap_or(Value::Null);
        if let Some(result) = m.remove("result") {
            return Ok(ServerMessage::Response {
                id,
                outcome: Ok(result),
            });
        }
        match m.remove("error") {
            Some(Value::Object(e)) => Ok(ServerMessage::Response {
                id,
                outcome: Err(RpcErrorObject {
                    code: e.get("code").and_then(Value::as_i64).unwrap_or(0),
                    message: e
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    data: e.get("data").cloned(),
                }),
            }),
            _ => {
                Err("not a JSON-RPC message: neither a method nor a `result` or `error`".to_owned())
            }
        }
    }

    /// The answer to a server's request `id`: an empty result for `ping`,
    /// "method not found" for anything else (this crate's clients offer no
    /// capabilities).
    pub fn answer(id: &Value, method: &str) -> Vec<u8> {
        let raw = serde_json::value::to_raw_value(id).expect("a Value serializes");
        let reply = if method == "ping" {
            Reply::result(&raw, b"{}")
        } else {
            let err = RpcError::new(
                codes::METHOD_NOT_FOUND,
                format!("this client does not serve `{method}`"),
            );
            Reply::error(Some(&raw), err)
        };
        reply.body().map(<[u8]>::to_vec).unwrap_or_default()
    }
}

/// Reads an SSE stream (`text/event-stream`) line by line, handing over the
/// data of each event: the JSON-RPC messages of a streamed answer.
#[derive(Debug, Default)]
pub struct SseDecoder {
    data: String,
    has_data: bool,
}

impl SseDecoder {
    /// A decoder at the start of a stream.
    pub fn new() -> SseDecoder {
        SseDecoder::default()
    }

    /// Take one line (with or without its line ending); returns the data of
    /// the event this line ends, if any. Comments, `event`, `id` and `retry`
    /// fields are read past.
    pub fn line(&mut self, line: &str) -> Option<String> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            if !self.has_data {
                return None;
            }
            self.has_data = false;
            let mut data = std::mem::take(&mut self.data);
            if data.ends_with('\n') {
                data.pop();
            }
            return Some(data);
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        if field == "data" {
            self.data.push_str(value);
            self.data.push('\n');
            self.has_data = true;
        }
        None
    }

    /// The data of an event left unterminated when the stream ended.
    pub fn finish(&mut self) -> Option<String> {
        self.line("")
    }
}

/// A `notifications/progress` for one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// How far: grows with every notification.
    pub progress: f64,
    /// Out of how much, when known.
    pub total: Option<f64>,
    /// What is happening.
    pub message: Option<String>,
}

impl Progress {
    /// The progress of the request asked for with `token`, if `method` and
    /// `params` are its notification.
    pub fn of(method: &str, params: &Value, token: &Value) -> Option<Progress> {
        if method != "notifications/progress" || params.get("progressToken") != Some(token) {
            return None;
        }
        Some(Progress {
            progress: params.get("progress")?.as_f64()?,
            total: params.get("total").and_then(Value::as_f64),
            message: params
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn messages_of_every_kind() {
        let r = ServerMessage::parse(
            br#"{"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"bad"}}"#,
        );
        assert_eq!(
            r,
            Ok(ServerMessage::Response {
                id: json!(3),
                outcome: Err(RpcErrorObject {
                    code: -32602,
                    message: "bad".into(),
                    data: None
                })
            })
        );
        let n = ServerMessage::parse(br#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":1,"total":4}}"#).unwrap();
        let ServerMessage::Notification { method, params } = n else {
            panic!("a notification")
        };
        assert_eq!(
            Progress::of(&method, &params, &json!("t")),
            Some(Progress {
                progress: 1.0,
                total: Some(4.0),
                message: None
            })
        );
        assert_eq!(Progress::of(&method, &params, &json!("other")), None);
        assert!(matches!(
            ServerMessage::parse(br#"{"jsonrpc":"2.0","id":"s1","method":"ping"}"#),
            Ok(ServerMessage::Request { .. })
        ));
        for bad in [
            &b"<html>"[..],
            b"[]",
            br#"{"id":1,"result":{}}"#,
            br#"{"jsonrpc":"2.0","id":1}"#,
        ] {
            assert!(
                ServerMessage::parse(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn server_requests_are_answered() {
        let pong: Value =
            serde_json::from_slice(&ServerMessage::answer(&json!("s1"), "ping")).unwrap();
        assert_eq!(pong, json!({ "jsonrpc": "2.0", "id": "s1", "result": {} }));
        let no: Value =
            serde_json::from_slice(&ServerMessage::answer(&json!(7), "roots/list")).unwrap();
        assert_eq!(no["error"]["code"], codes::METHOD_NOT_FOUND);
    }

    #[test]
    fn sse_events_are_split_and_joined() {
        let mut d = SseDecoder::new();
        let stream =
            "event: message\r\ndata: {\"a\":\r\ndata:1}\r\n\r\n: keep-alive\n\nid: 7\ndata: x\n";
        let events: Vec<String> = stream
            .split_inclusive('\n')
            .filter_map(|l| d.line(l))
            .collect();
        assert_eq!(events, ["{\"a\":\n1}"]);
        assert_eq!(d.finish().as_deref(), Some("x"));
        assert_eq!(d.finish(), None);
    }
}
