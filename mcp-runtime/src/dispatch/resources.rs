//! `resources/list`, `resources/templates/list` (precomputed pages) and
//! `resources/read`: the URI looked up, the resource's fn run under the call
//! timeout with panics caught and cancellation honoured, its contents
//! written as `ReadResourceResult`.
//!
//! Tenancy: a read carries no `tenantId` (only tool arguments are injected
//! by the hub, and a URI or `_meta` value would be the caller's to forge).
//! A read acts for the process's tenant (`--tenant`, `MCP_TENANT`) when
//! there is one, else for the calling key's tenant when the key is bound to
//! exactly one; otherwise `ToolContext::tenant_id()` is `None`.

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::era::{Era, RequestMeta};
use super::scopes::check_request;
use super::{Delivery, Dispatcher};
use crate::context::ToolContext;
use crate::error::{ErrorKind, McpError};
use crate::jsonrpc::{RpcError, codes, to_bytes, truncate};
use crate::output::ResourceContents;
use crate::resource::ResourceInfo;

impl Dispatcher {
    /// Serve a `resources/read`.
    pub(super) async fn read_resource(
        &self,
        id: &RawValue,
        params: Option<&RawValue>,
        meta: RequestMeta<'_>,
        era: Era,
        delivery: Delivery,
    ) -> Result<Vec<u8>, RpcError> {
        #[derive(Deserialize)]
        struct ReadParams {
            uri: String,
        }
        let p: ReadParams =
            super::result::params(params, "resources/read needs params with a string `uri`")?;
        if let (Era::Stateless, Some(h)) = (era, delivery.headers.as_ref()) {
            h.check_uri(&p.uri)?;
        }
        let Some((resource, vars)) = self.registry.resources().find(&p.uri) else {
            return Err(not_found(&p.uri));
        };
        let key = delivery.key.as_deref();
        check_request(("resource", resource.uri()), resource.scopes(), key, |e| {
            read_error(&p.uri, e)
        })?;
        let ctx = self
            .served_context(id, resource.name(), meta, &delivery)
            .await
            .map_err(|e| read_error(&p.uri, &e))?;
        let contents = self
            .run_read(resource, vars, ctx, &delivery)
            .await
            .map_err(|e| read_error(&p.uri, &e))?;
        Ok(read_result(
            &p.uri,
            resource,
            &contents,
            era,
            &self.server_meta_json,
        ))
    }

    /// The context of a read, a prompt or a completion, once the gate (rate
    /// limits) admits it: acting for the tenant of a read.
    pub(super) async fn served_context(
        &self,
        id: &RawValue,
        name: &'static str,
        meta: RequestMeta<'_>,
        delivery: &Delivery,
    ) -> Result<ToolContext, McpError> {
        let tenant = self.read_tenant(delivery);
        if let Some(g) = &self.gate {
            g.admit(delivery.key.as_deref(), tenant.as_deref())
                .decided()
                .await?;
        }
        Ok(ToolContext {
            request_id: serde_json::from_str(id.get()).unwrap_or(Value::Null),
            tool: name,
            tenant_id: tenant,
            workspace_id: self.config.scope.workspace.clone(),
            key: delivery.key.clone(),
            state: self.state.clone(),
            progress_token: None,
            log_level: None,
            notifier: None,
            cancel: delivery.cancel.clone(),
            meta: meta.0.cloned(),
            session: delivery.session.clone(),
            changes: self.notifier(),
            input: crate::input::Input::default(),
        })
    }

    /// The tenant a read acts for (see the module's docs).
    pub(super) fn read_tenant(&self, delivery: &Delivery) -> Option<String> {
        if let Some(t) = &self.config.scope.tenant {
            return Some(t.clone());
        }
        match delivery.key.as_deref().and_then(|k| k.tenants.as_deref()) {
            Some([only]) => Some(only.clone()),
            _ => None,
        }
    }

    async fn run_read(
        &self,
        resource: &ResourceInfo,
        vars: crate::__private::TemplateMatch,
        ctx: ToolContext,
        delivery: &Delivery,
    ) -> Result<ResourceContents, McpError> {
        let what = || format!("resource `{}`", resource.uri());
        self.run_guarded(what, (resource.desc.read)(vars, ctx), delivery)
            .await
    }

    /// Run a read's, a prompt's or a completer's future under the call
    /// timeout, with its panic caught (and named by `what`, made only then)
    /// and the request's cancellation honoured.
    pub(super) async fn run_guarded<T>(
        &self,
        what: impl FnOnce() -> String,
        fut: impl std::future::Future<Output = Result<T, McpError>>,
        delivery: &Delivery,
    ) -> Result<T, McpError> {
        let cancel = delivery.cancel.clone();
        if cancel.is_cancelled() {
            return Err(cancel.error());
        }
        let fut = AssertUnwindSafe(fut).catch_unwind();
        let timeout = self.config.call_timeout;
        tokio::select! {
            biased;
            r = fut => r.unwrap_or_else(|panic| {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic payload".to_owned());
                Err(McpError::internal(format_args!("{} panicked: {msg}", what())))
            }),
            () = tokio::time::sleep(timeout) => {
                cancel.cancel_for_timeout(timeout);
                Err(cancel.error())
            }
            () = cancel.cancelled() => Err(cancel.error()),
        }
    }
}

/// SEP-2164: an unknown URI is invalid params, with the URI in `data`.
pub(super) fn not_found(uri: &str) -> RpcError {
    RpcError::invalid_params(format!("resource not found: {}", truncate(uri, 200)))
        .with_data(json!({ "uri": uri }))
}

/// A read that failed: `not_found` and `validation_error` are the caller's
/// (`-32602`), like the other kinds but `server_error` (`-32603`, its
/// message the generic one `McpError::internal` gives); `data` has the URI
/// and the error's structured form.
fn read_error(uri: &str, e: &McpError) -> RpcError {
    let code = match e.kind() {
        ErrorKind::Server => codes::INTERNAL_ERROR,
        _ => codes::INVALID_PARAMS,
    };
    RpcError::new(code, e.message().to_owned())
        .with_data(json!({ "uri": uri, "error": e.to_json() }))
}

/// The `ReadResourceResult`; in 2026-07-28 with `resultType` and caching
/// hints: a read may be the caller's tenant's data, so it is `private` and
/// immediately stale.
fn read_result(
    uri: &str,
    resource: &ResourceInfo,
    contents: &ResourceContents,
    era: Era,
    server_meta_json: &[u8],
) -> Vec<u8> {
    let mime = resource.desc.mime_type;
    let items: Vec<Value> = contents
        .items()
        .iter()
        .map(|c| c.to_json(uri, mime))
        .collect();
    let mut m = Map::new();
    m.insert("contents".into(), Value::Array(items));
    if era == Era::Stateless {
        super::result::mark_complete(&mut m, server_meta_json);
        m.insert("ttlMs".into(), json!(0));
        m.insert("cacheScope".into(), json!("private"));
    }
    to_bytes(&m)
}
