//! `tools/call`: find the tool, check the caller and the arguments, run the
//! handler under its timeout with panics caught and cancellation honoured,
//! log one line, and write the `CallToolResult`.

use std::collections::HashMap;
use std::future::Future as _;
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
use crate::input::rounds::until_input;
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
    /// Validate off the async workers.
    large: bool,
    /// What a later round brings back (2026-07-28).
    echo: super::InputEcho<'r>,
}

/// A call that ends other than with its tool's result.
enum Stop {
    /// The handler waits for answers: the `InputRequiredResult`.
    InputRequired(Vec<u8>),
    /// The request cannot be served (a bad `requestState`).
    Refused(RpcError),
    /// The call became a task: the `CreateTaskResult`.
    Task(Vec<u8>),
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
        large: bool,
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
        // Scopes before anything of the arguments: a caller without them
        // learns nothing of what a call would have done.
        if let Err(refused) = super::scopes::check(tool, delivery.key.as_deref()) {
            let mut log = self.call_log(tool, &delivery, id, meta);
            return match refused {
                super::scopes::Refusal::Token(e) => {
                    log.finish("permission_denied");
                    Err(e)
                }
                super::scopes::Refusal::Key(e) => {
                    log.finish(e.kind().as_str());
                    Ok(self.call_result(&Err(e), era))
                }
            };
        }
        let echo = request.input;
        let args = match request.arguments {
            Ok(args) => args,
            Err(ArgumentsError::NotObject) => {
                return Err(RpcError::invalid_params(
                    "tools/call `arguments` must be an object",
                ));
            }
            Err(ArgumentsError::Invalid(e)) => {
                self.call_log(tool, &delivery, id, meta)
                    .finish(e.kind().as_str());
                return Ok(self.call_result(&Err(e), era));
            }
        };
        if let Some(h) = stateless_headers {
            h.check_params(tool, &args)?;
        }
        // One span per call: tool, key name and (once checked for shape) tenant;
        // outcome and duration are recorded when it ends. Never argument values.
        let mut log = self.call_log(tool, &delivery, id, meta);
        let call = Call {
            id,
            tool,
            args,
            meta,
            era,
            delivery,
            large,
            echo,
        };
        let span = log.span.clone();
        let mut stop = None;
        let outcome = self.run(call, &mut log, &mut stop).instrument(span).await;
        match stop {
            Some(Stop::InputRequired(result)) => {
                log.finish("input_required");
                return Ok(result);
            }
            Some(Stop::Refused(e)) => {
                log.finish("validation_error");
                return Err(e);
            }
            Some(Stop::Task(created)) => {
                log.finish("task");
                return Ok(created);
            }
            None => {}
        }
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
    fn call_log(
        &self,
        tool: &ToolInfo,
        delivery: &Delivery,
        id: &RawValue,
        meta: RequestMeta<'_>,
    ) -> CallLog {
        #[cfg(feature = "metrics")]
        let log = CallLog::new(tool.name(), delivery.key.as_deref(), self.metrics.clone());
        #[cfg(not(feature = "metrics"))]
        let log = CallLog::new(tool.name(), delivery.key.as_deref());
        #[cfg(feature = "otel")]
        crate::otel::call_started(&log.span, tool.name(), &delivery.mcp_request(id, meta));
        #[cfg(not(feature = "otel"))]
        let _ = (id, meta);
        log
    }

    async fn run(
        &self,
        call: Call<'_>,
        log: &mut CallLog,
        stop: &mut Option<Stop>,
    ) -> Result<ToolOutput, McpError> {
        let Call {
            id,
            tool,
            mut args,
            meta,
            era,
            delivery,
            large,
            echo,
        } = call;
        let (tenant, workspace) = self.config.scope.apply(
            take_injected(&mut args, INJECTED[0])?,
            take_injected(&mut args, INJECTED[1])?,
        )?;
        if let Some(t) = &tenant {
            log.span.record("tenant", t.as_str());
            #[cfg(feature = "metrics")]
            if log.metrics.is_some() {
                log.tenant = Some(t.clone());
            }
        }
        if let Some(k) = delivery.key.as_deref() {
            check_tenant(k, tenant.as_deref())?;
        }
        if let Some(g) = &self.gate {
            g.admit(delivery.key.as_deref(), tenant.as_deref())
                .decided()
                .await?;
        }
        let _slots = match &self.concurrency {
            Some(c) => Some(c.enter(delivery.key.as_deref(), tenant.as_deref())?),
            None => None,
        };
        let args = Value::Object(args);
        let check = || {
            check_strings(&args, self.config.max_string_bytes)?;
            validate(tool, &args)
        };
        if large {
            super::off_the_workers(check)?;
        } else {
            check()?;
        }
        let mode = super::tasks::mode(tool, era, meta);
        if let super::tasks::Mode::Refuse(e) = mode {
            let message = e.message.clone();
            *stop = Some(Stop::Refused(e));
            return Err(McpError::validation(message));
        }
        let binding = || {
            super::ask::bound(
                format!("tool:{}", tool.name()),
                &args,
                tenant.as_deref(),
                &delivery,
            )
        };
        let (input, round) = match self.input(era, meta, &delivery, echo, binding) {
            Ok(x) => x,
            Err(e) => {
                let message = e.message.clone();
                *stop = Some(Stop::Refused(e));
                return Err(McpError::validation(message));
            }
        };
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
            log_level: self.log_level(era, meta, delivery.scope, delivery.key.as_deref()),
            notifier: delivery.notifier,
            cancel: delivery.cancel.clone(),
            meta: meta.0.cloned(),
            session: delivery.session.clone(),
            changes: self.notifier(),
            input,
        };
        if let super::tasks::Mode::Task = mode {
            let call = super::tasks::TaskCall {
                owner: crate::task::TaskOwner {
                    key: ctx
                        .key
                        .as_ref()
                        .map_or_else(String::new, |k| k.name.clone()),
                    tenant: ctx.tenant_id.clone(),
                },
                args,
                ctx,
            };
            *stop = Some(match self.start_task(tool, call).await {
                Ok(super::tasks::Started::Task(created)) => Stop::Task(created),
                Ok(super::tasks::Started::InputRequired(result)) => Stop::InputRequired(result),
                Err(e) => Stop::Refused(e),
            });
            return Err(McpError::server("the call became a task"));
        }
        let cancel = delivery.cancel;
        let scope = delivery.scope;
        let caller = ctx.key.clone();
        let asked = round.clone();
        let fut = AssertUnwindSafe(until_input((tool.desc.call)(args, ctx), round)).catch_unwind();
        tokio::pin!(fut);
        // A call cancelled before it starts does not run.
        if cancel.is_cancelled() {
            return Err(cancel.error());
        }
        let mut finished =
            |r: Result<Result<ToolOutput, McpError>, Box<dyn std::any::Any + Send>>| {
                if let Some(round) = asked.as_deref().filter(|r| r.stopped()) {
                    if round.worked_before_question() && is_destructive(tool) {
                        tracing::warn!(
                            tool = tool.name(),
                            "a destructive tool ran blocking work (ctx.run_blocking) before a \
                             question it had no answer to: under protocol 2026-07-28 the handler \
                             runs again once answered, so that work runs again; ask first, write \
                             after the questions"
                        );
                    }
                    *stop = Some(Stop::InputRequired(self.input_required(round)));
                }
                r.unwrap_or_else(|panic| {
                    let msg = panic_message(&*panic);
                    Err(McpError::internal(format_args!(
                        "tool `{}` panicked: {msg}",
                        tool.name()
                    )))
                })
            };
        // The tool is polled once first: a call that completes at once is
        // answered without being registered for cancellation or timed.
        let first = std::future::poll_fn(|cx| std::task::Poll::Ready(fut.as_mut().poll(cx))).await;
        if let std::task::Poll::Ready(r) = first {
            return finished(r);
        }
        let _inflight = self
            .inflight
            .register(inflight_key(scope, caller.as_deref(), id), &cancel);
        let timeout = self.config.call_timeout;
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        tokio::select! {
            biased;
            r = &mut fut => return finished(r),
            () = &mut deadline => {
                #[cfg(feature = "metrics")]
                if let Some(m) = &self.metrics {
                    m.refused(crate::telemetry::Refusal::Timeout);
                }
                cancel.cancel_for_timeout(timeout)
            }
            () = cancel.cancelled() => {}
        }
        // Cancelled or timed out. Blocking work in progress cannot be
        // stopped, so the call is answered by its own result (which tells of
        // the cancellation if the work saw it in time); otherwise at once.
        if cancel.is_blocking() {
            return finished(fut.await);
        }
        Err(cancel.error())
    }

    fn log_level(
        &self,
        era: Era,
        meta: RequestMeta<'_>,
        scope: u64,
        key: Option<&KeyIdentity>,
    ) -> Option<LogLevel> {
        match era {
            Era::Stateless => meta
                .get(crate::jsonrpc::meta::LOG_LEVEL)
                .and_then(Value::as_str)
                .and_then(LogLevel::parse),
            Era::Handshake => self.log_levels.get(scope, key),
        }
    }

    /// The `CallToolResult`, written directly: the bytes serializing it as a
    /// `Map` would give (keys sorted: `_meta`, `content`, `isError`,
    /// `resultType`, `structuredContent`), without building and cloning one.
    fn call_result(&self, outcome: &Result<ToolOutput, McpError>, era: Era) -> Vec<u8> {
        write_call_result(
            outcome,
            (era == Era::Stateless).then_some(&self.server_meta_json[..]),
        )
    }
}

/// The message of a caught panic.
pub(super) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned())
}

/// The `CallToolResult` of `outcome`; with `server_meta` (the stateless
/// era's `_meta`), also its `resultType`.
pub(super) fn write_call_result(
    outcome: &Result<ToolOutput, McpError>,
    server_meta: Option<&[u8]>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(160);
    crate::jsonrpc::open_result(&mut out, server_meta);
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
    if server_meta.is_some() {
        out.extend_from_slice(br#","resultType":"complete""#);
    }
    if let Some(s) = structured {
        out.extend_from_slice(br#","structuredContent":"#);
        write_json(&mut out, s);
    }
    out.push(b'}');
    out
}

/// Whether a tool may destroy data: the MCP default (`destructiveHint`
/// true) unless it is read-only or says it is not destructive.
fn is_destructive(tool: &ToolInfo) -> bool {
    let a = tool.desc.annotations;
    a.read_only != Some(true) && a.destructive != Some(false)
}

/// `{"text":<text>,"type":"text"}`, as serializing `Content::to_json` gives it.
fn write_text_block(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(br#"{"text":"#);
    write_json(out, text);
    out.extend_from_slice(br#","type":"text"}"#);
}

/// The `tools/call` span of one call. `finish` records the outcome and the
/// duration and logs one line at info; a call dropped before it finished (the
/// client went away) is logged as `cancelled`. With metrics on, it also
/// counts the call by tool and outcome and records its duration.
struct CallLog {
    span: tracing::Span,
    #[cfg(feature = "metrics")]
    tool: &'static str,
    /// When the call started; not read when the span is disabled and
    /// metrics are off.
    started: Option<Instant>,
    finished: bool,
    #[cfg(feature = "metrics")]
    metrics: Option<std::sync::Arc<crate::telemetry::Metrics>>,
    /// The call's tenant, for a tenant-labelled series.
    #[cfg(feature = "metrics")]
    tenant: Option<String>,
}

impl CallLog {
    fn new(
        tool: &'static str,
        key: Option<&KeyIdentity>,
        #[cfg(feature = "metrics")] metrics: Option<std::sync::Arc<crate::telemetry::Metrics>>,
    ) -> CallLog {
        let span = tracing::info_span!(
            "tools/call",
            tool,
            key = key.map(|k| k.name.as_str()),
            tenant = tracing::field::Empty,
            outcome = tracing::field::Empty,
            duration_us = tracing::field::Empty,
            // Set for an exported trace only (feature `otel`).
            otel.name = tracing::field::Empty,
            otel.kind = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
        );
        // With the span filtered out (and no metrics), its fields are never
        // recorded: the clock is not read.
        #[cfg(feature = "metrics")]
        let started = match &metrics {
            Some(m) => Some(m.call_started()),
            None => (!span.is_disabled()).then(Instant::now),
        };
        #[cfg(not(feature = "metrics"))]
        let started = (!span.is_disabled()).then(Instant::now);
        CallLog {
            span,
            #[cfg(feature = "metrics")]
            tool,
            started,
            finished: false,
            #[cfg(feature = "metrics")]
            metrics,
            #[cfg(feature = "metrics")]
            tenant: None,
        }
    }

    fn finish(&mut self, outcome: &str) {
        self.finished = true;
        if let Some(started) = self.started {
            self.span.record("outcome", outcome);
            self.span
                .record("duration_us", started.elapsed().as_micros() as u64);
            #[cfg(feature = "metrics")]
            if let Some(m) = &self.metrics {
                m.call_finished(self.tool, outcome, started, self.tenant.as_deref());
            }
        }
        #[cfg(feature = "otel")]
        crate::otel::call_finished(&self.span, outcome);
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

/// The calls in flight, for `notifications/cancelled`: by the caller's scope
/// (the transport connection where there is one), its key and the request id.
///
/// Two calls in flight under one key may carry the same id (two agents
/// sharing the hub's key, over HTTP where no session tells them apart): a
/// cancel naming that id is then ambiguous and cancels neither (it is
/// logged), and each call unregisters only itself when it ends.
#[derive(Default)]
pub(super) struct Inflight {
    calls: Mutex<HashMap<String, Vec<(u64, CancellationToken)>>>,
    serial: std::sync::atomic::AtomicU64,
}

impl Inflight {
    pub(super) fn register(&self, key: String, token: &CancellationToken) -> InflightEntry<'_> {
        let serial = self
            .serial
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.lock()
            .entry(key.clone())
            .or_default()
            .push((serial, token.clone()));
        InflightEntry {
            map: self,
            key,
            serial,
        }
    }

    /// Cancel the call `request_id` of this caller, if exactly one is in flight.
    pub(super) fn cancel(&self, scope: u64, caller: Option<&KeyIdentity>, request_id: &RawValue) {
        let token = match self.lock().get(&inflight_key(scope, caller, request_id)) {
            Some(calls) if calls.len() == 1 => calls[0].1.clone(),
            Some(calls) => {
                tracing::warn!(
                    request_id = request_id.get(),
                    calls = calls.len(),
                    "cancellation ignored: several calls of this key are in flight with that id"
                );
                return;
            }
            None => return,
        };
        tracing::debug!(
            request_id = request_id.get(),
            "call cancelled by the client"
        );
        token.cancel();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<(u64, CancellationToken)>>> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Removes a call's cancellation token from [`Inflight`] when the call ends.
pub(super) struct InflightEntry<'d> {
    map: &'d Inflight,
    key: String,
    serial: u64,
}

impl Drop for InflightEntry<'_> {
    fn drop(&mut self) {
        let mut calls = self.map.lock();
        if let Some(list) = calls.get_mut(&self.key) {
            list.retain(|(s, _)| *s != self.serial);
            if list.is_empty() {
                calls.remove(&self.key);
            }
        }
    }
}

/// The in-flight map's key: scope, key name and the id as sent.
pub(super) fn inflight_key(scope: u64, key: Option<&KeyIdentity>, id: &RawValue) -> String {
    use std::fmt::Write as _;
    let mut k = String::with_capacity(40);
    let _ = write!(k, "{scope}\0");
    k.push_str(key.map_or("", |k| k.name.as_str()));
    k.push('\0');
    k.push_str(id.get());
    k
}
