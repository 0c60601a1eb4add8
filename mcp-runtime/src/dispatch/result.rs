//! What the methods serving one item (a read, a prompt, a completion, a
//! subscription, a log level) share around their own work: their params
//! parsed or refused with the method's usage, and, in 2026-07-28, their
//! result marked complete with the server's `_meta`.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::jsonrpc::RpcError;

/// The request's params as `T`; none, or params not of its shape, are
/// `-32602` with `usage` (what the method needs).
pub(super) fn params<'a, T: Deserialize<'a>>(
    params: Option<&'a RawValue>,
    usage: impl Into<String>,
) -> Result<T, RpcError> {
    params
        .and_then(|p| serde_json::from_str(p.get()).ok())
        .ok_or_else(|| RpcError::invalid_params(usage))
}

/// Mark a stateless-era result complete: its `resultType` and the server's
/// `_meta` (pre-serialized once, in `server_meta_json`).
pub(super) fn mark_complete(m: &mut Map<String, Value>, server_meta_json: &[u8]) {
    m.insert("resultType".into(), json!("complete"));
    m.insert(
        "_meta".into(),
        serde_json::from_slice(server_meta_json).unwrap_or(Value::Null),
    );
}
