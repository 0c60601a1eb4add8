//! Who the server is and what it offers: `initialize` (handshake era),
//! `server/discover` (stateless era), `ping`, and `logging/setLevel`.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::era::{Era, SUPPORTED_VERSIONS, Version};
use crate::context::LogLevel;
use crate::jsonrpc::{RpcError, meta, strip_location, to_bytes, truncate};

/// Who the server is: shown to clients in `serverInfo`.
#[derive(Debug, Clone)]
pub struct ServerInfo {
    /// The server's name (the user's, not the framework's).
    pub name: String,
    /// The server's version.
    pub version: String,
    /// Human display name.
    pub title: Option<String>,
    /// Guidance for the model on how to use the tools.
    pub instructions: Option<String>,
}

impl ServerInfo {
    /// The `Implementation` object of the wire.
    pub(crate) fn implementation(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        m.insert("version".into(), json!(self.version));
        if let Some(t) = &self.title {
            m.insert("title".into(), json!(t));
        }
        Value::Object(m)
    }

    /// `{"io.modelcontextprotocol/serverInfo": …}`, the `_meta` of stateless results.
    pub(crate) fn result_meta(&self) -> Value {
        json!({ meta::SERVER_INFO: self.implementation() })
    }
}

/// What the server offers: tools and logging always, resources and
/// prompts when it has some (no change notifications: the lists are fixed
/// at build time).
pub(super) fn capabilities(resources: bool, prompts: bool, completions: bool) -> Value {
    let mut caps = json!({ "tools": { "listChanged": false }, "logging": {} });
    if resources {
        caps["resources"] = json!({ "listChanged": false });
    }
    if prompts {
        caps["prompts"] = json!({ "listChanged": false });
    }
    if completions {
        caps["completions"] = json!({});
    }
    caps
}

/// The `initialize` result: the client's version if this server speaks it in
/// the handshake era, else the newest handshake version.
pub(super) fn initialize(
    info: &ServerInfo,
    capabilities: &Value,
    params: Option<&RawValue>,
) -> Result<Vec<u8>, RpcError> {
    #[derive(Deserialize)]
    struct Init {
        #[serde(rename = "protocolVersion")]
        protocol_version: Value,
    }
    let p: Init = params
        .ok_or_else(|| RpcError::invalid_params("initialize needs params with a `protocolVersion`"))
        .and_then(|p| {
            serde_json::from_str(p.get()).map_err(|e| {
                RpcError::invalid_params(format!(
                    "invalid initialize params: {}",
                    strip_location(&e)
                ))
            })
        })?;
    let requested = p
        .protocol_version
        .as_str()
        .ok_or_else(|| RpcError::invalid_params("`protocolVersion` must be a string"))?;
    let version = Version::parse(requested)
        .filter(|v| v.era() == Era::Handshake)
        .unwrap_or(Version::LATEST_HANDSHAKE);
    let mut m = Map::new();
    m.insert("protocolVersion".into(), json!(version.as_str()));
    m.insert("capabilities".into(), capabilities.clone());
    m.insert("serverInfo".into(), info.implementation());
    if let Some(i) = &info.instructions {
        m.insert("instructions".into(), json!(i));
    }
    Ok(to_bytes(&m))
}

/// The `server/discover` result.
pub(super) fn discover(info: &ServerInfo, capabilities: &Value, ttl_ms: u64) -> Vec<u8> {
    let mut m = Map::new();
    m.insert("supportedVersions".into(), json!(SUPPORTED_VERSIONS));
    m.insert("capabilities".into(), capabilities.clone());
    if let Some(i) = &info.instructions {
        m.insert("instructions".into(), json!(i));
    }
    m.insert("ttlMs".into(), json!(ttl_ms));
    m.insert("cacheScope".into(), json!("public"));
    m.insert("resultType".into(), json!("complete"));
    m.insert("_meta".into(), info.result_meta());
    to_bytes(&m)
}

/// The level a `logging/setLevel` request asks for.
pub(super) fn requested_level(params: Option<&RawValue>) -> Result<LogLevel, RpcError> {
    #[derive(Deserialize)]
    struct SetLevel {
        level: String,
    }
    let p: SetLevel = super::result::params(params, "logging/setLevel needs a `level`")?;
    LogLevel::parse(&p.level).ok_or_else(|| {
        RpcError::invalid_params(format!("unknown log level `{}`", truncate(&p.level, 40)))
    })
}
