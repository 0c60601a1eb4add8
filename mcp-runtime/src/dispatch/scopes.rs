//! Per-tool scopes: the check of a call before its arguments are looked at,
//! and the tools a caller is shown by `tools/list`. Resources, templates and
//! prompts with `scopes` are checked and listed the same way (a read, a
//! `prompts/get`, a `completion/complete` of one; the lists of each).
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
    check_served("tool", tool.name(), tool.scopes(), key)
}

/// Whether `key` may use the `kind` (`tool`, `resource`, `prompt`) `name`,
/// which needs the scopes `required`.
pub(super) fn check_served(
    kind: &str,
    name: &str,
    required: &[&str],
    key: Option<&KeyIdentity>,
) -> Result<(), Refusal> {
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
                "forbidden: {kind} `{name}` needs the scope {list}, which the access token does not hold"
            ),
        )
        .with_data(json!({ "requiredScopes": required }))
        .with_status(403);
        e.insufficient_scope = Some(required.join(" ").into());
        Err(Refusal::Token(e))
    } else {
        Err(Refusal::Key(McpError::permission_denied(format!(
            "{kind} `{name}` needs the scope {list}, which this API key does not hold"
        ))))
    }
}

/// The scope check of a request for a resource, a template or a prompt
/// (`what`: its kind and name): an access token without a scope gets the
/// 403 error, a key the method's own error (`error`) of kind
/// `permission_denied`.
pub(super) fn check_request(
    what: (&str, &str),
    required: &[&str],
    key: Option<&KeyIdentity>,
    error: impl FnOnce(&McpError) -> RpcError,
) -> Result<(), RpcError> {
    match check_served(what.0, what.1, required, key) {
        Ok(()) => Ok(()),
        Err(Refusal::Token(e)) => Err(e),
        Err(Refusal::Key(e)) => Err(error(&e)),
    }
}

/// The filtered list pages, by list and which of its entries are visible.
#[derive(Default)]
pub(super) struct FilteredPages(Mutex<HashMap<Visible, Arc<Pages>>>);

/// A list's key in the result, and which of its entries a caller sees.
type Visible = (&'static str, Vec<bool>);

/// Each entry of a list: the scopes it needs and its definition.
pub(super) type Entries<'a> = Vec<(&'static [&'static str], &'a serde_json::Value)>;

impl Dispatcher {
    /// The `tools/list` page for this caller: every tool, or (when the
    /// server lists only what a caller may call) those whose scopes it holds.
    pub(super) fn list_tools(
        &self,
        params: Option<&RawValue>,
        era: Era,
        key: Option<&KeyIdentity>,
    ) -> Result<std::borrow::Cow<'_, [u8]>, RpcError> {
        let entries = || {
            self.registry
                .tools()
                .iter()
                .map(|t| (t.scopes(), t.definition()))
                .collect()
        };
        self.list_permitted(("tools", &self.tools, entries), params, era, key)
    }

    /// A list page for this caller: the precomputed one, or (when the server
    /// lists only what a caller may use and the caller's scopes leave some
    /// entries out) one of the entries whose scopes it holds.
    /// `list` is the list's key in the result, its precomputed pages and
    /// its entries (made only when a caller's scopes are to be looked at).
    pub(super) fn list_permitted<'a>(
        &'a self,
        list: (&'static str, &'a Pages, impl FnOnce() -> Entries<'a>),
        params: Option<&RawValue>,
        era: Era,
        key: Option<&KeyIdentity>,
    ) -> Result<std::borrow::Cow<'a, [u8]>, RpcError> {
        use std::borrow::Cow;
        let (name, all, entries) = list;
        let key = match key {
            Some(k) if self.config.list_permitted_only && k.scopes.is_some() => k,
            _ => return all.page(params, era).map(Cow::Borrowed),
        };
        let entries = entries();
        let visible: Vec<bool> = entries
            .iter()
            .map(|(scopes, _)| scopes.iter().all(|s| key.has_scope(s)))
            .collect();
        if visible.iter().all(|v| *v) {
            return all.page(params, era).map(Cow::Borrowed);
        }
        let cache_key = (name, visible);
        let cached = self
            .filtered
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&cache_key)
            .cloned();
        let pages = match cached {
            Some(p) => p,
            None => {
                let definitions: Vec<_> = entries
                    .iter()
                    .zip(&cache_key.1)
                    .filter(|(_, v)| **v)
                    .map(|((_, d), _)| (*d).clone())
                    .collect();
                let server_meta = self.info.result_meta();
                let extras = StatelessExtras {
                    ttl_ms: self.config.list_ttl_ms,
                    server_meta: &server_meta,
                };
                let pages = Arc::new(Pages::new(
                    name,
                    &definitions,
                    self.config.page_size,
                    &extras,
                ));
                let mut map = self.filtered.0.lock().unwrap_or_else(|e| e.into_inner());
                if map.len() >= FILTERED_PAGES {
                    map.clear();
                }
                map.insert(cache_key, pages.clone());
                pages
            }
        };
        pages.page(params, era).map(|p| Cow::Owned(p.to_vec()))
    }
}
