//! The MCP request headers of the 2026-07-28 revision (`Mcp-Method`,
//! `Mcp-Name`, `Mcp-Param-*`), which must agree with the body. A transport
//! that has headers (Streamable HTTP) hands them over as [`McpHeaders`];
//! the dispatcher checks them and knows nothing else about the transport.

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::jsonrpc::{RpcError, codes, truncate};
use crate::registry::ToolInfo;

/// The MCP headers of one request, values trimmed.
#[derive(Debug, Clone, Default)]
pub(crate) struct McpHeaders {
    pub(crate) protocol_version: Option<String>,
    pub(crate) method: Option<String>,
    pub(crate) name: Option<String>,
    /// `Mcp-Param-<Name>` headers: (lowercased name, value).
    pub(crate) params: Vec<(String, String)>,
    /// `Mcp-Session-Id` (handshake era, sessions on).
    pub(crate) session: Option<String>,
}

impl McpHeaders {
    /// `Mcp-Method` is required and must name the body's method.
    pub(crate) fn check_method(&self, method: &str) -> Result<(), RpcError> {
        must_match(
            ("Mcp-Method", self.method.as_deref()),
            ("the body's method", method),
            "with protocol version 2026-07-28",
        )
    }

    /// `Mcp-Name` is required on `tools/call` and must name the tool.
    pub(crate) fn check_name(&self, name: &str) -> Result<(), RpcError> {
        must_match(
            ("Mcp-Name", self.name.as_deref()),
            ("the tool name", name),
            "on tools/call with protocol version 2026-07-28",
        )
    }

    /// `Mcp-Name` is required on `resources/read` and must be the URI.
    pub(crate) fn check_uri(&self, uri: &str) -> Result<(), RpcError> {
        must_match(
            ("Mcp-Name", self.name.as_deref()),
            ("the resource URI", uri),
            "on resources/read with protocol version 2026-07-28",
        )
    }

    /// `Mcp-Name` is required on `tasks/get`, `tasks/update` and
    /// `tasks/cancel` and must be the task's id (SEP-2663).
    pub(crate) fn check_task(&self, task_id: &str, method: &str) -> Result<(), RpcError> {
        must_match(
            ("Mcp-Name", self.name.as_deref()),
            ("the task id", task_id),
            &format!("on {method}"),
        )
    }

    /// `Mcp-Name` is required on `prompts/get` and must name the prompt.
    pub(crate) fn check_prompt(&self, name: &str) -> Result<(), RpcError> {
        must_match(
            ("Mcp-Name", self.name.as_deref()),
            ("the prompt name", name),
            "on prompts/get with protocol version 2026-07-28",
        )
    }

    /// Arguments mirrored into `Mcp-Param-<Name>` headers (`x-mcp-header`)
    /// must match the body: a header whose argument is absent, an argument
    /// whose header is absent, a bad `=?base64?…?=` value or a different
    /// value → -32020.
    pub(crate) fn check_params(
        &self,
        tool: &ToolInfo,
        args: &Map<String, Value>,
    ) -> Result<(), RpcError> {
        for (prop, header) in tool.header_params() {
            let mismatch = |why: String| {
                RpcError::new(codes::HEADER_MISMATCH, format!("Mcp-Param-{header}: {why}"))
            };
            let sent = self
                .params
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(header))
                .map(|(_, v)| v.as_str());
            let arg = match args.get(prop) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(v @ (Value::Number(_) | Value::Bool(_))) => Some(v.to_string()),
                Some(_) => None,
            };
            match (sent, arg) {
                (None, None) => {}
                (None, Some(_)) => {
                    return Err(mismatch(format!(
                        "header is required when `{prop}` is given"
                    )));
                }
                (Some(_), None) => {
                    return Err(mismatch(format!("header given but `{prop}` is absent")));
                }
                (Some(h), Some(a)) => {
                    let decoded = decode_header_value(h)
                        .ok_or_else(|| mismatch("invalid Base64 value".into()))?;
                    if decoded != a {
                        return Err(mismatch(format!(
                            "header does not match the value of `{prop}`"
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A required header (name, value sent) that must equal a value of the body
/// (what it is, the value); `required` says when the header is required.
fn must_match(
    (header, sent): (&str, Option<&str>),
    (what, expected): (&str, &str),
    required: &str,
) -> Result<(), RpcError> {
    match sent {
        Some(h) if h == expected => Ok(()),
        Some(h) => Err(RpcError::new(
            codes::HEADER_MISMATCH,
            format!(
                "{header} header `{}` does not match {what} `{}`",
                truncate(h, 80),
                truncate(expected, 80)
            ),
        )),
        None => Err(RpcError::new(
            codes::HEADER_MISMATCH,
            format!("the {header} header is required {required}"),
        )),
    }
}

/// A header value: `=?base64?<standard Base64>?=` is decoded (UTF-8), anything else is literal.
fn decode_header_value(v: &str) -> Option<String> {
    match v
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    {
        Some(b64) => {
            let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
            String::from_utf8(bytes).ok()
        }
        None => Some(v.to_owned()),
    }
}

/// The inverse of [`decode_header_value`], for clients: printable ASCII
/// without edge whitespace goes as it is; anything else (non-ASCII, control
/// characters, a value that looks like the sentinel) as `=?base64?…?=`.
pub(crate) fn encode_header_value(v: &str) -> String {
    let plain = v.bytes().all(|b| (0x20..0x7f).contains(&b))
        && v.trim() == v
        && !(v.starts_with("=?base64?") && v.ends_with("?="));
    if plain {
        v.to_owned()
    } else {
        format!(
            "=?base64?{}?=",
            base64::engine::general_purpose::STANDARD.encode(v)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_values_decode_to_themselves() {
        for v in [
            "plain",
            "ORD-10001",
            "Zoë",
            " edge",
            "tab\there",
            "=?base64?x?=",
            "",
        ] {
            assert_eq!(
                decode_header_value(&encode_header_value(v)).as_deref(),
                Some(v)
            );
        }
        assert_eq!(encode_header_value("ORD-10001"), "ORD-10001");
        assert_eq!(encode_header_value("Zoë"), "=?base64?Wm/Dqw==?=");
    }

    #[test]
    fn base64_header_values() {
        assert_eq!(
            decode_header_value("=?base64?SGVsbG8=?=").as_deref(),
            Some("Hello")
        );
        assert_eq!(
            decode_header_value("=?base64?SGVsbG8?="),
            None,
            "bad padding"
        );
        assert_eq!(
            decode_header_value("=?base64?SGVs!!!bG8=?="),
            None,
            "bad characters"
        );
        assert_eq!(
            decode_header_value("SGVsbG8=").as_deref(),
            Some("SGVsbG8="),
            "literal"
        );
        assert_eq!(
            decode_header_value("=?base64?SGVsbG8=").as_deref(),
            Some("=?base64?SGVsbG8=")
        );
        assert_eq!(decode_header_value("=?base64??=").as_deref(), Some(""));
        assert_eq!(decode_header_value("=?base64?YQ==?=").as_deref(), Some("a"));
        assert_eq!(
            decode_header_value("=?base64?YWI=?=").as_deref(),
            Some("ab")
        );
        assert_eq!(
            decode_header_value("=?base64?YQ==YQ==?="),
            None,
            "padding only at the end"
        );
        assert_eq!(decode_header_value("=?base64?/w==?="), None, "not UTF-8");
    }
}
