//! Protocol versions and the two eras: which one a request speaks, and the
//! `_meta` and header rules of the 2026-07-28 revision.

use serde_json::{Value, json};

use super::headers::McpHeaders;
use crate::jsonrpc::{RpcError, codes, meta, truncate};

/// A protocol revision this server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    V2026_07_28,
    V2025_11_25,
    V2025_06_18,
    V2025_03_26,
    V2024_11_05,
}

impl Version {
    /// Every revision, newest first.
    pub(crate) const ALL: [Version; 5] = [
        Version::V2026_07_28,
        Version::V2025_11_25,
        Version::V2025_06_18,
        Version::V2025_03_26,
        Version::V2024_11_05,
    ];

    /// What `initialize` answers a client asking for a revision it does not know.
    pub(crate) const LATEST_HANDSHAKE: Version = Version::V2025_11_25;

    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Version::V2026_07_28 => "2026-07-28",
            Version::V2025_11_25 => "2025-11-25",
            Version::V2025_06_18 => "2025-06-18",
            Version::V2025_03_26 => "2025-03-26",
            Version::V2024_11_05 => "2024-11-05",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Version> {
        Version::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub(crate) const fn era(self) -> Era {
        match self {
            Version::V2026_07_28 => Era::Stateless,
            _ => Era::Handshake,
        }
    }
}

/// Every revision this server speaks, newest first, as clients write them.
pub const SUPPORTED_VERSIONS: [&str; 5] = {
    let mut out = [""; 5];
    let mut i = 0;
    while i < Version::ALL.len() {
        out[i] = Version::ALL[i].as_str();
        i += 1;
    }
    out
};

/// The two eras of the protocol: how a request is written, and served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    /// `initialize` first, then requests (2024-11-05 … 2025-11-25).
    Handshake,
    /// 2026-07-28: every request carries its version and capabilities in
    /// `_meta`; results carry `resultType`, lists carry cache hints.
    Stateless,
}

/// A request's `_meta` object.
#[derive(Clone, Copy)]
pub(crate) struct RequestMeta<'m>(pub(crate) Option<&'m Value>);

impl<'m> RequestMeta<'m> {
    pub(crate) fn get(&self, key: &str) -> Option<&'m Value> {
        self.0.and_then(|m| m.get(key))
    }
}

/// Decide the era of a request and check its version, `_meta` and headers,
/// in the order the 2026-07-28 revision prescribes: missing `_meta` keys
/// (-32602), header mismatch (-32020), unsupported version (-32022), then
/// method headers (-32020).
pub(crate) fn negotiate(
    method: &str,
    meta: RequestMeta<'_>,
    headers: Option<&McpHeaders>,
) -> Result<Era, RpcError> {
    let header_version = headers.and_then(|h| h.protocol_version.as_deref());
    let meta_version = meta.get(meta::VERSION);
    let stateless_shaped = meta_version.is_some()
        || header_version.and_then(Version::parse).map(Version::era) == Some(Era::Stateless)
        || method == "server/discover";
    if !stateless_shaped {
        if let Some(h) = header_version
            && Version::parse(h).is_none()
        {
            return Err(unsupported_version(h));
        }
        return Ok(Era::Handshake);
    }
    let missing = |what: &str| {
        RpcError::invalid_params(format!(
            "protocol version 2026-07-28 requires `params._meta[\"{what}\"]`"
        ))
        .with_status(400)
    };
    let version = match meta_version {
        Some(Value::String(v)) => v.as_str(),
        Some(_) => {
            return Err(RpcError::invalid_params(format!(
                "`_meta[\"{}\"]` must be a string",
                meta::VERSION
            ))
            .with_status(400));
        }
        None => return Err(missing(meta::VERSION)),
    };
    let known = Version::parse(version);
    let handshake_in_meta = known.map(Version::era) == Some(Era::Handshake);
    if !handshake_in_meta {
        match meta.get(meta::CAPABILITIES) {
            Some(Value::Object(_)) => {}
            Some(_) => {
                return Err(RpcError::invalid_params(format!(
                    "`_meta[\"{}\"]` must be an object",
                    meta::CAPABILITIES
                ))
                .with_status(400));
            }
            None => return Err(missing(meta::CAPABILITIES)),
        }
    }
    if let Some(h) = headers {
        match h.protocol_version.as_deref() {
            Some(h) if h == version => {}
            Some(h) => {
                return Err(RpcError::new(
                    codes::HEADER_MISMATCH,
                    format!(
                        "MCP-Protocol-Version header `{}` does not match `_meta` protocol version `{}`",
                        truncate(h, 40),
                        truncate(version, 40)
                    ),
                ));
            }
            None => {
                return Err(RpcError::new(
                    codes::HEADER_MISMATCH,
                    "the MCP-Protocol-Version header is required and must match the `_meta` protocol version",
                ));
            }
        }
    }
    if known.is_none() {
        return Err(unsupported_version(version));
    }
    if handshake_in_meta {
        return Ok(Era::Handshake);
    }
    if let Some(h) = headers {
        h.check_method(method)?;
    }
    Ok(Era::Stateless)
}

pub(crate) fn unsupported_version(v: &str) -> RpcError {
    RpcError::new(
        codes::UNSUPPORTED_VERSION,
        format!("unsupported protocol version `{}`", truncate(v, 40)),
    )
    .with_data(json!({ "requested": v, "supported": SUPPORTED_VERSIONS }))
}

/// A notification or response is refused (HTTP 400) under an unsupported
/// `MCP-Protocol-Version` header, as requests are (those are checked with
/// their `_meta`, in the order of the 2026-07-28 revision, by [`negotiate`]).
pub(crate) fn header_version_error(headers: Option<&McpHeaders>) -> Option<RpcError> {
    let h = headers?.protocol_version.as_deref()?;
    Version::parse(h).is_none().then(|| unsupported_version(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_listed_once_newest_first() {
        assert_eq!(
            SUPPORTED_VERSIONS,
            [
                "2026-07-28",
                "2025-11-25",
                "2025-06-18",
                "2025-03-26",
                "2024-11-05"
            ]
        );
        for v in Version::ALL {
            assert_eq!(Version::parse(v.as_str()), Some(v));
        }
        assert_eq!(Version::LATEST_HANDSHAKE.era(), Era::Handshake);
        assert_eq!(Version::parse("2025-01-01"), None);
    }
}
