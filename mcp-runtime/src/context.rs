//! The per-call context handed to a tool: tenant, caller, state, progress,
//! logging and cancellation.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use serde_json::Value;
use tokio::sync::Notify;

use crate::auth::KeyIdentity;
use crate::error::McpError;
use crate::input::{self, Ask, Elicitation, Input, Root, SampledMessage, Sampling, UrlElicitation};
use crate::jsonrpc::meta;
use crate::notify::NotificationSender;

/// Shared application state given to the server builder, keyed by type.
#[derive(Default, Clone)]
pub(crate) struct StateMap {
    map: HashMap<TypeId, (Arc<dyn Any + Send + Sync>, &'static str)>,
}

impl StateMap {
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.map.insert(
            TypeId::of::<T>(),
            (Arc::new(value), std::any::type_name::<T>()),
        );
    }

    pub(crate) fn get<T: 'static>(&self) -> Option<&T> {
        self.map
            .get(&TypeId::of::<T>())
            .and_then(|(v, _)| v.downcast_ref::<T>())
    }

    pub(crate) fn contains(&self, id: TypeId) -> bool {
        self.map.contains_key(&id)
    }
}

/// The type of a piece of state a tool reads with [`ToolContext::state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateKey {
    /// The type's id.
    pub id: TypeId,
    /// The type's name, for messages.
    pub name: &'static str,
}

impl StateKey {
    /// The key of `T`.
    pub fn of<T: 'static>() -> StateKey {
        StateKey {
            id: TypeId::of::<T>(),
            name: std::any::type_name::<T>(),
        }
    }
}

/// Severity of a log message sent to the client (`notifications/message`), as in RFC 5424.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Detailed debugging information.
    Debug,
    /// Informational messages.
    Info,
    /// Normal but significant events.
    Notice,
    /// Warning conditions.
    Warning,
    /// Error conditions.
    Error,
    /// Critical conditions.
    Critical,
    /// Action must be taken immediately.
    Alert,
    /// System is unusable.
    Emergency,
}

impl LogLevel {
    /// Every level, least severe first (the index is `level as u8`).
    pub const ALL: [LogLevel; 8] = [
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Notice,
        LogLevel::Warning,
        LogLevel::Error,
        LogLevel::Critical,
        LogLevel::Alert,
        LogLevel::Emergency,
    ];

    /// The wire name, e.g. `"warning"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Notice => "notice",
            LogLevel::Warning => "warning",
            LogLevel::Error => "error",
            LogLevel::Critical => "critical",
            LogLevel::Alert => "alert",
            LogLevel::Emergency => "emergency",
        }
    }

    /// Parse a wire name.
    pub fn parse(s: &str) -> Option<LogLevel> {
        LogLevel::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// A flag that is set once when a call is cancelled, and a way to wait for it.
#[derive(Clone, Default)]
pub struct CancellationToken {
    inner: Arc<CancelInner>,
}

#[derive(Default)]
struct CancelInner {
    cancelled: AtomicBool,
    notify: Notify,
    /// The call's time limit in ms when it was cancelled for running over it.
    timed_out_ms: AtomicU64,
    /// Blocking work of [`ToolContext::run_blocking`] in progress: while
    /// any runs, the call is answered by its own result, not by its cancellation.
    blocking: AtomicUsize,
}

impl CancellationToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancel: wakes every waiter.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::Release);
        self.inner.notify.notify_waiters();
    }

    /// Whether the call was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::Acquire)
    }

    /// Cancel because the call ran over its time limit.
    pub(crate) fn cancel_for_timeout(&self, limit: std::time::Duration) {
        let ms = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX).max(1);
        self.inner.timed_out_ms.store(ms, Ordering::Release);
        self.cancel();
    }

    /// The error a cancelled call answers: timed out, or cancelled.
    pub(crate) fn error(&self) -> McpError {
        match self.inner.timed_out_ms.load(Ordering::Acquire) {
            0 => McpError::server("the call was cancelled"),
            ms => McpError::server(format!("the tool call timed out after {ms} ms")),
        }
    }

    /// Whether blocking work of the call is running (see [`ToolContext::run_blocking`]).
    pub(crate) fn is_blocking(&self) -> bool {
        self.inner.blocking.load(Ordering::Acquire) > 0
    }

    /// Completes when the call is cancelled.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.inner.notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// Marks blocking work in progress on a token; unmarks when dropped.
struct BlockingMark(CancellationToken);

impl BlockingMark {
    fn new(token: &CancellationToken) -> BlockingMark {
        token.inner.blocking.fetch_add(1, Ordering::AcqRel);
        BlockingMark(token.clone())
    }
}

impl Drop for BlockingMark {
    fn drop(&mut self) {
        self.0.inner.blocking.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What the work of [`ToolContext::run_blocking`] asks to learn whether
/// its call was cancelled (by the client, a disconnect or the time limit).
#[derive(Debug, Clone)]
pub struct Interrupt(CancellationToken);

impl Interrupt {
    /// Whether the call was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }

    /// `Err` with the error the call answers once it was cancelled or timed
    /// out, else `Ok`: put `interrupt.check()?` right before the commit.
    pub fn check(&self) -> Result<(), McpError> {
        if self.is_cancelled() {
            Err(self.0.error())
        } else {
            Ok(())
        }
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// The request context of one tool call.
///
/// Take it as a parameter of your tool (`ctx: ToolContext`) to learn who is
/// calling and for which tenant, to read shared state, to report progress,
/// to log to the client and to notice cancellation.
///
/// ```standalone_crate
/// use mcp_runtime::prelude::*;
///
/// struct Db;
///
/// /// Count the orders of the calling tenant.
/// #[mcp_tool(read_only)]
/// async fn count_orders(ctx: ToolContext) -> Result<u64, McpError> {
///     let tenant = ctx.tenant_id().ok_or_else(|| McpError::validation("tenantId is required"))?;
///     let _db: &Db = ctx.state::<Db>()?;
///     ctx.progress(1.0, Some(1.0), Some("counted")).await;
///     Ok(tenant.len() as u64)
/// }
/// # fn main() {}
/// ```
pub struct ToolContext {
    pub(crate) request_id: Value,
    pub(crate) tool: &'static str,
    pub(crate) tenant_id: Option<String>,
    pub(crate) workspace_id: Option<String>,
    pub(crate) key: Option<Arc<KeyIdentity>>,
    pub(crate) state: Arc<StateMap>,
    pub(crate) progress_token: Option<Value>,
    pub(crate) log_level: Option<LogLevel>,
    pub(crate) notifier: Option<NotificationSender>,
    pub(crate) cancel: CancellationToken,
    pub(crate) meta: Option<Value>,
    /// The handshake-era session the request came in, if sessions are on.
    pub(crate) session: Option<Arc<str>>,
    pub(crate) changes: crate::session::Notifier,
    /// How this call asks its client (elicitation, sampling, roots).
    pub(crate) input: Input,
}

impl ToolContext {
    /// The `Mcp-Session-Id` of the session this request came in: with
    /// sessions on, over HTTP, in the handshake era; `None` otherwise.
    pub fn session_id(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// Announce resource changes to their subscribers (see
    /// [`Notifier`](crate::session::Notifier)).
    pub fn notifier(&self) -> &crate::session::Notifier {
        &self.changes
    }

    /// The `tenantId` the platform injected into this call, if any.
    ///
    /// When the calling key is bound to tenants, this tenant has been checked
    /// against them before the tool runs: scope every query by it.
    pub fn tenant_id(&self) -> Option<&str> {
        self.tenant_id.as_deref()
    }

    /// The `workspaceId` the platform injected into this call, if any.
    pub fn workspace_id(&self) -> Option<&str> {
        self.workspace_id.as_deref()
    }

    /// The tenant, or a `validation_error` when the call carries none.
    pub fn require_tenant(&self) -> Result<&str, McpError> {
        self.tenant_id()
            .ok_or_else(|| McpError::validation("tenantId is required for this tool"))
    }

    /// Who made the call: the API key (its name, tenants and scopes, never
    /// the secret) or the OAuth access token's client and subject (never
    /// the token); `None` without authentication.
    /// `None` over stdio, in process, or on a server run without authentication.
    pub fn key(&self) -> Option<&KeyIdentity> {
        self.key.as_deref()
    }

    /// The name of the tool being called.
    pub fn tool_name(&self) -> &'static str {
        self.tool
    }

    /// The JSON-RPC id of the request.
    pub fn request_id(&self) -> &Value {
        &self.request_id
    }

    /// The request's `_meta` object, if the client sent one.
    pub fn meta(&self) -> Option<&Value> {
        self.meta.as_ref()
    }

    /// The capabilities the client declared for this request (protocol
    /// 2026-07-28 sends them on every request); `None` in earlier revisions.
    pub fn client_capabilities(&self) -> Option<&Value> {
        self.meta.as_ref()?.get(meta::CAPABILITIES)
    }

    /// Shared state of type `T` given to the server builder with `.state(...)`.
    ///
    /// Tools that call `ctx.state::<T>()` are checked when the server is built:
    /// a missing `T` stops the build with the tool's name and location. Should
    /// state be reached some other way and be missing, this returns a
    /// `server_error` (with a generic message for the agent; the type is logged).
    pub fn state<T: Send + Sync + 'static>(&self) -> Result<&T, McpError> {
        self.state.get::<T>().ok_or_else(|| {
            McpError::internal(format_args!(
                "tool `{}` asked for state `{}`, which was not given to the server builder",
                self.tool,
                std::any::type_name::<T>()
            ))
        })
    }

    /// Report progress to the client, if it asked for progress (sent a
    /// `progressToken`); otherwise this does nothing. `progress` should grow
    /// with every call.
    pub async fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let (Some(token), Some(tx)) = (&self.progress_token, &self.notifier) else {
            return;
        };
        tx.progress(token, progress, total, message).await;
    }

    /// Send a log message to the client (`notifications/message`), if the
    /// client asked for messages of this level or above.
    pub async fn log(&self, level: LogLevel, data: impl Into<Value>) {
        let (Some(min), Some(tx)) = (self.log_level, &self.notifier) else {
            return;
        };
        if level >= min {
            tx.log(level.as_str(), self.tool, data.into()).await;
        }
    }

    /// SEP-1699 polling: end the connection of this request's SSE stream
    /// now, after telling the client (`retry:`) when to reconnect; the call
    /// goes on, and the client's `GET` with `Last-Event-ID` receives what
    /// follows, the result included. Only over HTTP in a session (see
    /// [`ServerBuilder::sessions`](crate::ServerBuilder::sessions));
    /// elsewhere it does nothing. Lets a long call hold no connection.
    pub async fn close_sse_stream(&self) {
        if let (Some(_), Some(tx)) = (&self.session, &self.notifier) {
            tx.close_stream().await;
        }
    }

    /// Whether the client cancelled this call (or disconnected, or it timed out).
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Completes when the call is cancelled: `select!` on it in long loops.
    /// (A cancelled call's future is also dropped at its next `.await`.)
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await
    }

    /// Run blocking work (a database transaction, file I/O) on tokio's
    /// blocking pool, with an honest answer when the call is cancelled.
    ///
    /// Blocking work cannot be stopped from outside, so once `work` starts
    /// the call is answered by what it returns: a cancellation or timeout
    /// meanwhile is only passed to it, through [`Interrupt`]. Check it right
    /// before making the effect permanent (`interrupt.check()?` before a
    /// commit); if `work` commits anyway, the call reports its result. So an
    /// answer saying "cancelled" or "timed out" means no effect, and an
    /// effect is never hidden behind one. A call cancelled before `work`
    /// starts does not run it. Return right after it: a cancellation
    /// arriving while the tool awaits something else is answered at once.
    ///
    /// A panic in `work` becomes a private `server_error`.
    ///
    /// ```standalone_crate
    /// use mcp_runtime::prelude::*;
    ///
    /// /// Arguments of `save_note`.
    /// #[derive(Deserialize, JsonSchema)]
    /// struct Note {
    ///     /// The note.
    ///     text: String,
    /// }
    ///
    /// /// Record a note durably.
    /// #[mcp_tool]
    /// async fn save_note(note: Note, ctx: ToolContext) -> Result<String, McpError> {
    ///     ctx.run_blocking(move |interrupt| {
    ///         // ... write in a transaction ...
    ///         interrupt.check()?; // cancelled: dropped, rolled back
    ///         // ... commit ...
    ///         Ok(format!("saved {} bytes", note.text.len()))
    ///     })
    ///     .await
    /// }
    /// # fn main() {}
    /// ```
    pub async fn run_blocking<T, F>(&self, work: F) -> Result<T, McpError>
    where
        T: Send + 'static,
        F: FnOnce(&Interrupt) -> Result<T, McpError> + Send + 'static,
    {
        if self.cancel.is_cancelled() {
            return Err(self.cancel.error());
        }
        if let input::Channel::Rounds(round) = &self.input.channel {
            round.note_blocking_work();
        }
        let _mark = BlockingMark::new(&self.cancel);
        let interrupt = Interrupt(self.cancel.clone());
        // The work's spans and log lines belong to the call.
        let span = tracing::Span::current();
        match tokio::task::spawn_blocking(move || span.in_scope(|| work(&interrupt))).await {
            Ok(result) => result,
            Err(e) => Err(McpError::internal(format_args!(
                "blocking work of tool `{}` failed: {e}",
                self.tool
            ))),
        }
    }

    /// Ask the user to fill in a form of `T` (`elicitation/create`, form mode):
    /// `Accept(T)`, `Decline` or `Cancel`.
    ///
    /// `T` must be a form a client can show, and `#[derive(ElicitForm)]`
    /// checks that as it compiles: a struct with named fields that are
    /// strings, numbers, integers, booleans, enums deriving `ElicitForm`
    /// (SEP-1330: plain, or titled with doc comments), lists of such enums
    /// (multi-select), or `Option`s of these, each with an optional default
    /// (SEP-1034, `#[serde(default = …)]`). Any other field type is a
    /// compile error on that field. What only the derived schema shows is
    /// checked at the first call: a string `format` a form does not have
    /// (only email, uri, date and date-time), a `#[serde(flatten)]` field,
    /// or an enum that serde does not write as strings is a `server_error`
    /// then (its reason in the log; check it in a test with `check_form`
    /// of the testing module).
    ///
    /// The client must have declared `elicitation`: check with
    /// [`can_elicit`](Self::can_elicit), else this is a missing-capability
    /// error (`-32021` in the stateless era).
    ///
    /// **The stateless era re-runs the handler** (2026-07-28): the first
    /// call ends at this `await` with an `InputRequiredResult`, the client
    /// calls again with the answer, and the handler runs again from the
    /// top. Code before a question runs once per round: make your writes
    /// after the questions, as below. In the handshake era (2025-11-25)
    /// the question goes over the call's SSE stream and the handler waits.
    ///
    /// ```standalone_crate
    /// use mcp_runtime::prelude::*;
    ///
    /// /// The answer to "are you sure?".
    /// #[derive(Deserialize, JsonSchema, ElicitForm)]
    /// struct Confirm {
    ///     /// Tick to confirm.
    ///     confirm: bool,
    /// }
    ///
    /// /// Delete a note, once the user confirms.
    /// #[mcp_tool(destructive)]
    /// async fn delete_note(
    ///     /// The note.
    ///     id: u64,
    ///     ctx: ToolContext,
    /// ) -> Result<String, McpError> {
    ///     // Reads and checks may come first: they run again in every round.
    ///     if ctx.can_elicit() {
    ///         match ctx.elicit::<Confirm>(&format!("Delete note {id}?")).key("confirm").await? {
    ///             Elicitation::Accept(Confirm { confirm: true }) => {}
    ///             _ => return Ok("kept".into()),
    ///         }
    ///     }
    ///     // The write comes after every question: it runs once.
    ///     Ok(format!("deleted {id}"))
    /// }
    /// # fn main() {}
    /// ```
    pub fn elicit<T>(&self, message: &str) -> Ask<'_, Elicitation<T>>
    where
        T: crate::ElicitForm + serde::de::DeserializeOwned + schemars::JsonSchema + Send + 'static,
    {
        Ask::new(
            &self.input,
            "elicitation/create",
            input::form_params::<T>(message),
            input::parse_form::<T>,
        )
    }

    /// Ask the user to visit `url` (`elicitation/create`, URL mode, for what
    /// must not pass through the client: a payment, a sign-in). The answer
    /// says whether they agreed; what they did there arrives out of band.
    /// Needs the client's `elicitation.url` capability.
    pub fn elicit_url(&self, message: &str, url: &str) -> Ask<'_, UrlElicitation> {
        let mut id = [0u8; 12];
        let params = getrandom::fill(&mut id)
            .map_err(McpError::internal)
            .map(|()| {
                let elicitation_id: String = id.iter().map(|b| format!("{b:02x}")).collect();
                serde_json::json!({
                    "mode": "url", "message": message, "url": url, "elicitationId": elicitation_id
                })
            });
        Ask::new(&self.input, "elicitation/create", params, input::parse_url)
    }

    /// Ask the client's model (`sampling/createMessage`). Needs the client's
    /// `sampling` capability ([`can_sample`](Self::can_sample)).
    pub fn sample(&self, request: Sampling) -> Ask<'_, SampledMessage> {
        Ask::new(
            &self.input,
            "sampling/createMessage",
            Ok(request.into_params()),
            input::parse_sampled,
        )
    }

    /// The client's roots (`roots/list`). Needs the client's `roots` capability.
    pub fn roots(&self) -> Ask<'_, Vec<Root>> {
        Ask::new(
            &self.input,
            "roots/list",
            Ok(serde_json::json!({})),
            input::parse_roots,
        )
    }

    /// Whether the client can be asked a form elicitation now.
    pub fn can_elicit(&self) -> bool {
        self.input
            .can_ask("elicitation/create", &serde_json::json!({ "mode": "form" }))
    }

    /// Whether the client can be asked a URL elicitation now.
    pub fn can_elicit_url(&self) -> bool {
        self.input
            .can_ask("elicitation/create", &serde_json::json!({ "mode": "url" }))
    }

    /// Whether the client's model can be asked now.
    pub fn can_sample(&self) -> bool {
        self.input.can_ask("sampling/createMessage", &Value::Null)
    }

    /// Whether the client's roots can be asked now.
    pub fn can_list_roots(&self) -> bool {
        self.input.can_ask("roots/list", &Value::Null)
    }

    /// Run async work that must not be cut off half-way (a database
    /// transaction up to its commit): the async twin of
    /// [`run_blocking`](Self::run_blocking).
    ///
    /// While the future of `work` runs, a cancellation or timeout does not
    /// drop the call's future: the call is answered by what `work` returns,
    /// which learns of the cancellation through [`Interrupt`] (put
    /// `interrupt.check()?` right before the commit). So, as with
    /// `run_blocking`, an answer saying "cancelled" or "timed out" means no
    /// effect, and an effect is never hidden behind one. Bound the work's
    /// waits yourself (pool and statement timeouts): the call's time limit
    /// no longer cuts it short. A call cancelled before `work` starts does
    /// not run it.
    pub async fn run_uninterrupted<T, W, F>(&self, work: W) -> Result<T, McpError>
    where
        W: FnOnce(Interrupt) -> F,
        F: Future<Output = Result<T, McpError>>,
    {
        if self.cancel.is_cancelled() {
            return Err(self.cancel.error());
        }
        let _mark = BlockingMark::new(&self.cancel);
        work(Interrupt(self.cancel.clone())).await
    }

    /// A clone of the call's cancellation token, for tasks the tool spawns.
    pub fn cancellation_token(&self) -> CancellationToken {
        self.cancel.clone()
    }
}

impl fmt::Debug for ToolContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolContext")
            .field("tool", &self.tool)
            .field("request_id", &self.request_id)
            .field("tenant_id", &self.tenant_id)
            .field("workspace_id", &self.workspace_id)
            .field("key", &self.key.as_ref().map(|k| &k.name))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::LogLevel;

    #[test]
    fn log_level_table_is_ordered_and_round_trips() {
        for (i, level) in LogLevel::ALL.into_iter().enumerate() {
            assert_eq!(level as usize, i, "ALL is indexed by `level as u8`");
            assert_eq!(LogLevel::parse(level.as_str()), Some(level));
        }
        assert!(LogLevel::ALL.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(LogLevel::parse("verbose"), None);
    }
}
