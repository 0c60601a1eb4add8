//! `tools/call`: find the tool, check the caller and the arguments, run the
//! handler under its timeout with panics caught and cancellation honoured,
//! log one line, and write the `CallToolResult`.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::time::Instant;

use futures_util::FutureExt;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use tracing::Instrument;

use super::arguments::{check_strings, take_injected, validate};
use super::era::{Era, RequestMeta};
use super::incoming::{ArgumentsError, CallRequest};
use super::{Delivery, Dispatcher};
use crate::auth::{KeyIdentity, check_tenant};
use crate::context::{CancellationToken, LogLevel, ToolContext};
use crate::error::McpError;
use crate::jsonrpc::{RpcError, codes, truncate, write_json};
use crate::output::{Content, ToolOutput};
use crate::registry::{INJECTED, ToolInfo};

/// One tool call, ready to run: the tool found, its arguments parsed, the
/// caller known.
struct Call<'r> {
    id: &'r RawValue,
    tool: &'r ToolInfo,
    args: Map<String, Value>,
    meta: RequestMeta<'r>,
    era: Era,
    delivery: Delivery,
}

impl Dispatcher {
    /// Serve a `tools/call`: the result's bytes, or a protocol error.
    pub(super) async fn call(
        &self,
        id: &RawValue,
        request: CallRequest<'_>,
        meta: RequestMeta<'_>,
        era: Era,
        delivery: Delivery,
    ) -> Result<Vec<u8>, RpcError> {
        let stateless_headers = match era {
            Era::Stateless => delivery.headers.as_ref(),
            Era::Handshake => None,
        };
        if let Some(h) = stateless_headers {
            h.check_name(&request.name)?;
        }
        let Some(tool) = self.registry.get(&request.name) else {
            return Err(RpcError::invalid_params(format!(
                "unknown tool: {}",
                truncate(&request.name, 80)
            )));
        };
        let args = match request.arguments {
            Ok(args) => args,
            Err(ArgumentsError::NotObject) => {
                return Err(RpcError::invalid_params(
                    "tools/call `arguments` must be an object",
                ));
            }
            Err(ArgumentsError::Invalid(e)) => {
                CallLog::new(tool.name(), delivery.key.as_deref()).finish(e.kind().as_str());
                return Ok(self.call_result(&Err(e), era));
            }
        };
        if let Some(h) = stateless_headers {
            h.check_params(tool, &args)?;
        }
        // One span per call: tool, key name and (once checked for shape) tenant;
        // outcome and duration are recorded when it ends. Never argument values.
        let mut log = CallLog::new(tool.name(), delivery.key.as_deref());
        let call = Call {
            id,
            tool,
            args,
            meta,
            era,
            delivery,
        };
        let outcome = self.run(call).instrument(log.span.clone()).await;
        log.finish(match &outcome {
            Ok(_) => "ok",
            Err(e) => e.kind().as_str(),
        });
        if let (Era::Stateless, Err(e)) = (era, &outcome)
            && let Some(caps) = e.required_capabilities()
        {
            return Err(RpcError::new(
                codes::MISSING_CAPABILITY,
                format!("this call needs client capabilities the request did not declare: {caps}"),
            )
            .with_data(json!({ "requiredCapabilities": caps })));
        }
        Ok(self.call_result(&outcome, era))
    }

    /// Check the caller and the arguments, then run the tool.
    async fn run(&self, call: Call<'_>) -> Result<ToolOutput, McpError> {
        let Call {
            id,
            tool,
            mut args,
            meta,
            era,
            delivery,
        } = call;
        let (tenant, workspace) = self.config.scope.apply(
            take_injected(&mut args, INJECTED[0])?,
            take_injected(&mut args, INJECTED[1])?,
        )?;
        if let Some(t) = &tenant {
            tracing::Span::current().record("tenant", t.as_str());
        }
        if let Some(k) = delivery.key.as_deref() {
            check_tenant(k, tenant.as_deref())?;
        }
        if let Some(g) = &self.gate {
            g.admit(delivery.key.as_deref(), tenant.as_deref())?;
        }
        let args = Value::Object(args);
        check_strings(&args, self.config.max_string_bytes)?;
        validate(tool, &args)?;
        let ctx = ToolContext {
            request_id: serde_json::from_str(id.get()).unwrap_or(Value::Null),
            tool: tool.name(),
            tenant_id: tenant,
            workspace_id: workspace,
            key: delivery.key.clone(),
            state: self.state.clone(),
            progress_token: meta
                .get("progressToken")
                .filter(|t| t.is_string() || t.is_i64() || t.is_u64())
                .cloned(),
            log_level: self.log_level(era, meta),
            notifier: delivery.notifier,
            cancel: delivery.cancel.clone(),
            meta: meta.0.cloned(),
        };
        let cancel = delivery.cancel;
        let _inflight = self
            .inflight
            .register(inflight_key(ctx.key.as_deref(), id), &cancel);
        let fut = AssertUnwindSafe((tool.desc.call)(args, ctx)).catch_unwind();
        let timeout = self.config.call_timeout;
        // A call cancelled before it starts does not run. Otherwise the tool is
        // polled first: a call that completes at once never waits on the token.
        if cancel.is_cancelled() {
            return Err(McpError::server("the call was cancelled"));
        }
        tokio::select! {
            biased;
            r = tokio::time::timeout(timeout, fut) => match r {
                Ok(Ok(result)) => result,
                Ok(Err(panic)) => {
                    let msg = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "non-string panic payload".to_owned());
                    Err(McpError::internal(format_args!("tool `{}` panicked: {msg}", tool.name())))
                }
                Err(_) => {
                    cancel.cancel();
                    Err(McpError::server(format!(
                        "the tool call timed out after {} ms",
                        timeout.as_millis()
                    )))
                }
            },
            _ = cancel.cancelled() => Err(McpError::server("the call was cancelled")),
        }
    }

    fn log_level(&self, era: Era, meta: RequestMeta<'_>) -> Option<LogLevel> {
        match era {
            Era::Stateless => meta
                .get(crate::jsonrpc::meta::LOG_LEVEL)
                .and_then(Value::as_str)
                .and_then(LogLevel::parse),
            Era::Handshake => self.handshake_log_level(),
        }
    }

    /// The `CallToolResult`, written directly: the bytes serializing it as a
    /// `Map` would give (keys sorted: `_meta`, `content`, `isError`,
    /// `resultType`, `structuredContent`), without building and cloning one.
    fn call_result(&self, outcome: &Result<ToolOutput, McpError>, era: Era) -> Vec<u8> {
        let mut out = Vec::with_capacity(160);
        out.push(b'{');
        if era == Era::Stateless {
            out.extend_from_slice(br#""_meta":"#);
            out.extend_from_slice(&self.server_meta_json);
            out.push(b',');
        }
        out.extend_from_slice(br#""content":["#);
        let structured = match outcome {
            Ok(o) => {
                for (i, block) in o.content().iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    match block {
                        Content::Text { text } => write_text_block(&mut out, text),
                        other => write_json(&mut out, &other.to_json()),
                    }
                }
                out.push(b']');
                o.structured()
            }
            Err(e) => {
                let structured = json!({ "error": e.to_json() });
                write_text_block(&mut out, &structured.to_string());
                out.extend_from_slice(br#"],"isError":true"#);
                None
            }
        };
        if era == Era::Stateless {
            out.extend_from_slice(br#","resultType":"complete""#);
        }
        if let Some(s) = structured {
            out.extend_from_slice(br#","structuredContent":"#);
            write_json(&mut out, s);
        }
        out.push(b'}');
        out
    }
}

/// `{"text":<text>,"type":"text"}`, as serializing `Content::to_json` gives it.
fn write_text_block(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(br#"{"text":"#);
    write_json(out, text);
    out.extend_from_slice(br#","type":"text"}"#);
}

/// The `tools/call` span of one call. `finish` records the outcome and the
/// duration and logs one line at info; a call dropped before it finished (the
/// client went away) is logged as `cancelled`.
struct CallLog {
    span: tracing::Span,
    /// When the call started; not read when the span is disabled.
    started: Option<Instant>,
    finished: bool,
}

impl CallLog {
    fn new(tool: &str, key: Option<&KeyIdentity>) -> CallLog {
        let span = tracing::info_span!(
            "tools/call",
            tool,
            key = key.map(|k| k.name.as_str()),
            tenant = tracing::field::Empty,
            outcome = tracing::field::Empty,
            duration_us = tracing::field::Empty,
        );
        // With the span filtered out, its fields are never recorded: the
        // clock is not read.
        let started = (!span.is_disabled()).then(Instant::now);
        CallLog {
            span,
            started,
            finished: false,
        }
    }

    fn finish(&mut self, outcome: &str) {
        self.finished = true;
        if let Some(started) = self.started {
            self.span.record("outcome", outcome);
            self.span
                .record("duration_us", started.elapsed().as_micros() as u64);
        }
        tracing::info!(parent: &self.span, "call finished");
    }
}

impl Drop for CallLog {
    fn drop(&mut self) {
        if !self.finished {
            self.finish("cancelled");
        }
    }
}

/// The calls in flight, by caller and request id, for `notifications/cancelled`.
#[derive(Default)]
pub(super) struct Inflight {
    calls: Mutex<HashMap<String, CancellationToken>>,
}

impl Inflight {
    fn register(&self, key: String, token: &CancellationToken) -> InflightEntry<'_> {
        self.lock().insert(key.clone(), token.clone());
        InflightEntry { map: self, key }
    }

    /// Cancel the call `request_id` of `caller`, if it is in flight.
    pub(super) fn cancel(&self, caller: Option<&KeyIdentity>, request_id: &RawValue) {
        let token = self.lock().get(&inflight_key(caller, request_id)).cloned();
        if let Some(t) = token {
            tracing::debug!(
                request_id = request_id.get(),
                "call cancelled by the client"
            );
            t.cancel();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CancellationToken>> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Removes a call's cancellation token from [`Inflight`] when the call ends.
struct InflightEntry<'d> {
    map: &'d Inflight,
    key: String,
}

impl Drop for InflightEntry<'_> {
    fn drop(&mut self) {
        self.map.lock().remove(&self.key);
    }
}

fn inflight_key(key: Option<&KeyIdentity>, id: &RawValue) -> String {
    let mut k = String::with_capacity(32);
    k.push_str(key.map_or("", |k| k.name.as_str()));
    k.push('\0');
    k.push_str(id.get());
    k
}
