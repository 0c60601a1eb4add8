//! Per-tool scopes: the check of a call before its arguments are looked at,
//! and the tools a caller is shown by `tools/list`.
//!
//! | caller | without a tool's scope |
//! |---|---|
//! | OAuth access token | HTTP 403, JSON-RPC error `-32003`, `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"` (RFC 6750 §3.1): the client can ask its authorization server for the scope |
//! | API key with `scopes=` | a tool error of kind `permission_denied`: a key's scopes are the operator's configuration, nothing to step up |
//! | API key without `scopes=`, no authentication, stdio, in-process | every tool (as before tools had scopes) |

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::json;
use serde_json::value::RawValue;

use super::Dispatcher;
use super::era::Era;
use super::list::{Pages, StatelessExtras};
use crate::auth::{KeyIdentity, missing_scopes};
use crate::error::McpError;
use crate::jsonrpc::{RpcError, codes};
use crate::registry::ToolInfo;

/// Filtered tool lists kept at once (one per distinct set of visible tools).
const FILTERED_PAGES: usize = 64;

/// A call refused for want of scopes.
pub(super) enum Refusal {
    /// An access token: a protocol error with status 403 and a challenge.
    Token(RpcError),
    /// An API key: a tool error.
    Key(McpError),
}

/// Whether `key` may call `tool`.
pub(super) fn check(tool: &ToolInfo, key: Option<&KeyIdentity>) -> Result<(), Refusal> {
    let required = tool.scopes();
    let Some(key) = key.filter(|_| !required.is_empty()) else {
        return Ok(());
    };
    let missing = missing_scopes(key, required);
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if key.is_token() {
        let mut e = RpcError::new(
            codes::INSUFFICIENT_SCOPE,
            format!(
                "forbidden: tool `{}` needs the scope {list}, which the access token does not hold",
                tool.name()
            ),
        )
        .with_data(json!({ "requiredScopes": required }))
        .with_status(403);
        e.insufficient_scope = Some(required.join(" ").into());
        Err(Refusal::Token(e))
    } else {
        Err(Refusal::Key(McpError::permission_denied(format!(
            "tool `{}` needs the scope {list}, which this API key does not hold",
            tool.name()
        ))))
    }
}

/// The filtered `tools/list` pages, by which tools are visible.
#[derive(Default)]
pub(super) struct FilteredPages(Mutex<HashMap<Vec<bool>, Arc<Pages>>>);

impl Dispatcher {
    /// The `tools/list` page for this caller: every tool, or (when the
    /// server lists only what a caller may call) those whose scopes it holds.
    pub(super) fn list_tools(
        &self,
        params: Option<&RawValue>,
        era: Era,
        key: Option<&KeyIdentity>,
    ) -> Result<std::borrow::Cow<'_, [u8]>, RpcError> {
        use std::borrow::Cow;
        let key = match key {
            Some(k) if self.config.list_permitted_only && k.scopes.is_some() => k,
            _ => return self.tools.page(params, era).map(Cow::Borrowed),
        };
        let visible: Vec<bool> = self
            .registry
            .tools()
            .iter()
            .map(|t| t.scopes().iter().all(|s| key.has_scope(s)))
            .collect();
        if visible.iter().all(|v| *v) {
            return self.tools.page(params, era).map(Cow::Borrowed);
        }
        let cached = self
            .filtered
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&visible)
            .cloned();
        let pages = match cached {
            Some(p) => p,
            None => {
                let definitions: Vec<_> = self
                    .registry
                    .tools()
                    .iter()
                    .zip(&visible)
                    .filter(|(_, v)| **v)
                    .map(|(t, _)| t.definition().clone())
                    .collect();
                let server_meta = self.info.result_meta();
                let extras = StatelessExtras {
                    ttl_ms: self.config.list_ttl_ms,
                    server_meta: &server_meta,
                };
                let pages = Arc::new(Pages::new(
                    "tools",
                    &definitions,
                    self.config.page_size,
                    &extras,
                ));
                let mut map = self.filtered.0.lock().unwrap_or_else(|e| e.into_inner());
                if map.len() >= FILTERED_PAGES {
                    map.clear();
                }
                map.insert(visible, pages.clone());
                pages
            }
        };
        pages.page(params, era).map(|p| Cow::Owned(p.to_vec()))
    }
}
