//! The tasks extension (SEP-2663) of protocol 2026-07-28: whether a
//! `tools/call` becomes a task, the task's handler running detached from
//! the request, and `tasks/get`, `tasks/update`, `tasks/cancel`.
//!
//! Only the stateless era offers tasks: the extension is negotiated per
//! request (`_meta["io.modelcontextprotocol/clientCapabilities"].extensions`).
//! The experimental tasks of 2025-11-25 (`capabilities.tasks`, a `task`
//! param, `tasks/result`, `tasks/list`) are not offered: a handshake client
//! calls an optional task tool synchronously, and a required one is refused.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use std::future::Future as _;

use futures_util::FutureExt;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use tokio::sync::Notify;

use super::era::{Era, RequestMeta};
use super::{Delivery, Dispatcher};
use crate::context::{CancellationToken, ToolContext};
use crate::input::inbox::Inbox;
use crate::jsonrpc::{RpcError, codes, meta, to_bytes, truncate};
use crate::notify::NotificationReceiver;
use crate::registry::ToolInfo;
use crate::task::{
    EXTENSION, TaskLimits, TaskOwner, TaskRecord, TaskStatus, TaskStore, TaskSupport, new_id,
    rfc3339,
};

/// How often the replica running a task looks in the store for answers and
/// cancellations given to another replica.
const REMOTE_POLL: Duration = Duration::from_millis(250);

/// How a `tools/call` is served.
pub(super) enum Mode {
    /// Answered with its result.
    Sync,
    /// As a task.
    Task,
    /// Refused: the tool runs only as a task and the client cannot take one.
    Refuse(RpcError),
}

/// Whether a request declared the tasks extension.
pub(super) fn declared(era: Era, meta: RequestMeta<'_>) -> bool {
    era == Era::Stateless
        && meta
            .get(meta::CAPABILITIES)
            .and_then(|c| c.get("extensions"))
            .and_then(|e| e.get(EXTENSION))
            .is_some_and(Value::is_object)
}

fn missing_extension(what: &str) -> RpcError {
    RpcError::new(
        codes::MISSING_CAPABILITY,
        format!("{what} needs the client capability `extensions[\"{EXTENSION}\"]`"),
    )
    .with_data(json!({ "requiredCapabilities": { "extensions": { EXTENSION: {} } } }))
}

/// How a call of `tool` is served.
pub(super) fn mode(tool: &ToolInfo, era: Era, meta: RequestMeta<'_>) -> Mode {
    match (tool.desc.task, declared(era, meta), era) {
        (TaskSupport::None, _, _) | (TaskSupport::Optional, false, _) => Mode::Sync,
        (_, true, _) => Mode::Task,
        (TaskSupport::Required, false, Era::Stateless) => Mode::Refuse(missing_extension(
            &format!("the tool `{}` runs only as a task: it", tool.name()),
        )),
        (TaskSupport::Required, false, Era::Handshake) => {
            Mode::Refuse(RpcError::invalid_params(format!(
                "the tool `{}` runs only as a task, which needs protocol version 2026-07-28 \
                 and the `{EXTENSION}` extension",
                tool.name()
            )))
        }
    }
}

/// What every task of one server shares: the store, the limits, and the
/// tasks this replica runs.
pub(crate) struct Tasks {
    pub(crate) store: Arc<dyn TaskStore>,
    pub(crate) limits: TaskLimits,
    live: Arc<Mutex<HashMap<String, Live>>>,
    server_meta: Value,
}

/// A task this replica runs.
#[derive(Clone)]
struct Live {
    cancel: CancellationToken,
    /// Answers arrived for it.
    poke: Arc<Notify>,
}

impl Tasks {
    pub(crate) fn new(store: Arc<dyn TaskStore>, limits: TaskLimits, server_meta: Value) -> Tasks {
        Tasks {
            store,
            limits,
            live: Arc::default(),
            server_meta,
        }
    }

    /// The same store and limits (the same tasks) for another dispatcher.
    pub(crate) fn shared(&self) -> Tasks {
        Tasks {
            store: self.store.clone(),
            limits: self.limits,
            live: self.live.clone(),
            server_meta: self.server_meta.clone(),
        }
    }

    fn live(&self, id: &str) -> Option<Live> {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }
}

/// How a call of a task tool began.
pub(super) enum Started {
    /// A question before the task: the round's `InputRequiredResult`.
    InputRequired(Vec<u8>),
    /// The `CreateTaskResult`.
    Task(Vec<u8>),
}

/// A handler's future, panics caught.
type Handler = futures_util::future::BoxFuture<
    'static,
    Result<
        Result<crate::output::ToolOutput, crate::error::McpError>,
        Box<dyn std::any::Any + Send>,
    >,
>;

/// The parts of a call's context a task's handler gets.
pub(super) struct TaskCall {
    pub(super) owner: TaskOwner,
    pub(super) args: Value,
    /// The context, with the task's channel, cancellation and notifier to be set.
    pub(super) ctx: ToolContext,
}

fn unavailable(e: crate::state::StateError) -> RpcError {
    RpcError::new(
        codes::INTERNAL_ERROR,
        format!("the task store could not be reached: {e}"),
    )
}

impl Dispatcher {
    /// Start a call of a task tool: its handler is polled once here; if it
    /// waits for an answer to a question asked [`before_task`](crate::Ask::before_task),
    /// the request ends with that round's `InputRequiredResult`; otherwise
    /// the task is created (stored before the answer, so a `tasks/get`
    /// right after finds it) and the handler goes on detached from the
    /// request: the `CreateTaskResult`.
    pub(super) async fn start_task(
        &self,
        tool: &ToolInfo,
        call: TaskCall,
    ) -> Result<Started, RpcError> {
        let tasks = &self.tasks;
        let inbox = Arc::new(Inbox::default());
        let (notifier, notifications) = crate::notify::notification_channel();
        let cancel = CancellationToken::new();
        let id = new_id();
        let mut ctx = call.ctx;
        let input = std::mem::take(&mut ctx.input);
        let round = match input.channel {
            crate::input::Channel::Rounds(r) => Some(r),
            _ => None,
        };
        ctx.input = crate::input::Input {
            channel: crate::input::Channel::Task(inbox.clone(), round.clone()),
            capabilities: input.capabilities,
        };
        ctx.cancel = cancel.clone();
        ctx.notifier = Some(notifier);
        ctx.progress_token = Some(Value::String(id.clone()));
        let mut fut = AssertUnwindSafe((tool.desc.call)(call.args, ctx)).catch_unwind();
        let first = std::future::poll_fn(|cx| {
            std::task::Poll::Ready(std::pin::Pin::new(&mut fut).poll(cx))
        })
        .await;
        if first.is_pending()
            && let Some(round) = round.as_deref().filter(|r| r.has_questions())
        {
            return Ok(Started::InputRequired(self.input_required(round)));
        }
        inbox.detach();
        let now = rfc3339(SystemTime::now());
        let record = TaskRecord {
            id,
            owner: call.owner,
            tool: tool.name().to_owned(),
            status: TaskStatus::Working,
            status_message: None,
            created_at: now.clone(),
            last_updated_at: now,
            ttl_ms: tasks.limits.ttl.as_millis() as u64,
            poll_interval_ms: tasks.limits.poll_interval.as_millis().max(1) as u64,
            progress: None,
            input_requests: Map::new(),
            result: None,
            error: None,
        };
        tasks.store.create(&record).await.map_err(|e| {
            RpcError::new(codes::INTERNAL_ERROR, format!("no task was created: {e}"))
        })?;
        let live = Live {
            cancel: cancel.clone(),
            poke: Arc::new(Notify::new()),
        };
        tasks
            .live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(record.id.clone(), live.clone());
        let mut created = record.wire();
        created.insert("resultType".into(), json!("task"));
        created.insert("_meta".into(), tasks.server_meta.clone());
        let runner = Runner {
            store: tasks.store.clone(),
            live_map: tasks.live.clone(),
            record,
            inbox,
            notifications,
            live,
            ttl: tasks.limits.ttl,
            listeners: self.listeners.clone(),
            announced: TaskStatus::Working,
        };
        let handler = match first {
            std::task::Poll::Ready(r) => futures_util::future::ready(r).boxed(),
            std::task::Poll::Pending => fut.boxed(),
        };
        tokio::spawn(runner.run(handler));
        Ok(Started::Task(to_bytes(&created)))
    }

    /// `tasks/get`, `tasks/update`, `tasks/cancel`.
    pub(super) async fn task_method(
        &self,
        method: &str,
        params: Option<&RawValue>,
        meta: RequestMeta<'_>,
        era: Era,
        delivery: &Delivery,
    ) -> Result<Vec<u8>, RpcError> {
        if !declared(era, meta) {
            return Err(missing_extension(method));
        }
        #[derive(Deserialize)]
        struct Params<'a> {
            #[serde(rename = "taskId")]
            task_id: String,
            #[serde(rename = "inputResponses", borrow, default)]
            input_responses: Option<&'a RawValue>,
        }
        let p: Params<'_> = params
            .ok_or_else(|| {
                RpcError::invalid_params(format!("{method} needs params with a `taskId`"))
            })
            .and_then(|p| {
                serde_json::from_str(p.get()).map_err(|e| {
                    RpcError::invalid_params(format!(
                        "{method} params: {e} (expected `taskId`, a string)"
                    ))
                })
            })?;
        if let Some(h) = &delivery.headers {
            h.check_task(&p.task_id, method)?;
        }
        let store = &self.tasks.store;
        let record = store.load(&p.task_id).await.map_err(unavailable)?;
        // Another caller's task is as unknown as one that never existed.
        let caller = super::ask::caller_name(delivery);
        let Some(record) = record.filter(|r| r.owner.key == caller) else {
            return Err(RpcError::invalid_params(format!(
                "unknown task: {}",
                truncate(&p.task_id, 80)
            )));
        };
        let ack =
            || to_bytes(&json!({ "resultType": "complete", "_meta": self.tasks.server_meta }));
        match method {
            "tasks/get" => {
                let mut m = record.detailed();
                let mut result_meta = self.tasks.server_meta.clone();
                if let (Some(Value::Object(extra)), Value::Object(base)) =
                    (m.remove("_meta"), &mut result_meta)
                {
                    base.extend(extra);
                }
                m.insert("_meta".into(), result_meta);
                m.insert("resultType".into(), json!("complete"));
                Ok(to_bytes(&m))
            }
            "tasks/update" => {
                let responses = match p.input_responses.map(|r| serde_json::from_str(r.get())) {
                    Some(Ok(Value::Object(m))) if m.values().all(Value::is_object) => m,
                    _ => {
                        return Err(RpcError::invalid_params(
                            "tasks/update needs `inputResponses`: an object mapping each open \
                             input request's key to the client's result (an object)",
                        ));
                    }
                };
                let open: Map<String, Value> = responses
                    .into_iter()
                    .filter(|(k, _)| record.input_requests.contains_key(k))
                    .collect();
                if !open.is_empty() && !record.status.is_terminal() {
                    store.answer(&record.id, open).await.map_err(unavailable)?;
                    if let Some(l) = self.tasks.live(&record.id) {
                        l.poke.notify_one();
                    }
                }
                Ok(ack())
            }
            _ => {
                if !record.status.is_terminal() {
                    store
                        .request_cancel(&record.id)
                        .await
                        .map_err(unavailable)?;
                    if let Some(l) = self.tasks.live(&record.id) {
                        l.cancel.cancel();
                    }
                }
                Ok(ack())
            }
        }
    }
}

/// Runs one task's handler on this replica and writes what becomes of it.
struct Runner {
    store: Arc<dyn TaskStore>,
    live_map: Arc<Mutex<HashMap<String, Live>>>,
    record: TaskRecord,
    inbox: Arc<Inbox>,
    notifications: NotificationReceiver,
    live: Live,
    ttl: Duration,
    /// Where its status changes go (`subscriptions/listen`, 2026-07-28).
    listeners: Arc<crate::session::listeners::Listeners>,
    /// The last status told to the listeners.
    announced: TaskStatus,
}

impl Runner {
    async fn run(mut self, mut fut: Handler) {
        let deadline = tokio::time::sleep(self.ttl);
        tokio::pin!(deadline);
        let mut notifications_open = true;
        let cancel = self.live.cancel.clone();
        let poke = self.live.poke.clone();
        let inbox = self.inbox.clone();
        // One clock for the store's side channels, however busy the handler is.
        let mut remote = tokio::time::interval(REMOTE_POLL);
        remote.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        remote.tick().await;
        loop {
            tokio::select! {
                biased;
                () = cancel.cancelled() => {
                    self.finish(TaskStatus::Cancelled, None, None).await;
                    break;
                }
                r = &mut fut => {
                    // Progress sent just before the end is the task's last.
                    while let Some(n) = self.notifications.try_recv() {
                        self.note_only(n);
                    }
                    // A cancel that came while the handler was being polled
                    // (it then answered for itself, e.g. "cancelled") wins:
                    // the client asked to cancel before the task ended.
                    if cancel.is_cancelled() {
                        self.finish(TaskStatus::Cancelled, None, None).await;
                        break;
                    }
                    match r {
                        Ok(outcome) => {
                            let result = serde_json::from_slice(&super::call::write_call_result(&outcome, None))
                                .unwrap_or(Value::Null);
                            self.finish(TaskStatus::Completed, Some(result), None).await;
                        }
                        Err(panic) => {
                            let msg = crate::dispatch::call::panic_message(&*panic);
                            let error = json!({
                                "code": codes::INTERNAL_ERROR,
                                "message": format!("tool `{}` panicked: {msg}", self.record.tool),
                            });
                            self.finish(TaskStatus::Failed, None, Some(error)).await;
                        }
                    }
                    break;
                }
                () = &mut deadline => {
                    let error = json!({
                        "code": codes::INTERNAL_ERROR,
                        "message": format!("the task ran past its time to live ({} ms) and was stopped", self.record.ttl_ms),
                    });
                    self.finish(TaskStatus::Failed, None, Some(error)).await;
                    break;
                }
                () = inbox.asked() => self.sync().await,
                n = self.notifications.recv(), if notifications_open => match n {
                    Some(n) => self.note(n).await,
                    None => notifications_open = false,
                },
                () = poke.notified() => self.sync().await,
                _ = remote.tick() => {
                    if matches!(self.store.cancel_requested(&self.record.id).await, Ok(true)) {
                        cancel.cancel();
                        continue;
                    }
                    self.sync().await;
                }
            }
        }
        self.live_map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.record.id);
    }

    /// Bring answers from the store to the handler, then write the open
    /// questions (and the status they give) if they changed.
    async fn sync(&mut self) {
        match self.store.take_answers(&self.record.id).await {
            Ok(answers) if !answers.is_empty() => {
                self.inbox.deliver(answers);
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(task = %self.record.id, "the task store could not be read: {e}")
            }
        }
        let questions = self.inbox.questions();
        let status = if questions.is_empty() {
            TaskStatus::Working
        } else {
            TaskStatus::InputRequired
        };
        if questions != self.record.input_requests || status != self.record.status {
            self.record.input_requests = questions;
            self.record.status = status;
            self.save().await;
        }
    }

    /// A progress notification of the handler, recorded on the task.
    async fn note(&mut self, n: Value) {
        if self.note_only(n) {
            self.save().await;
        }
    }

    /// Record a progress notification in the task's record (not saved);
    /// whether it was one.
    fn note_only(&mut self, n: Value) -> bool {
        if n["method"] != "notifications/progress" {
            return false;
        }
        let p = &n["params"];
        let mut progress = Map::new();
        for k in ["progress", "total", "message"] {
            if let Some(v) = p.get(k) {
                progress.insert(k.into(), v.clone());
            }
        }
        self.record.status_message = p["message"].as_str().map(str::to_owned);
        self.record.progress = Some(Value::Object(progress));
        true
    }

    async fn finish(&mut self, status: TaskStatus, result: Option<Value>, error: Option<Value>) {
        self.record.status = status;
        self.record.result = result;
        self.record.error = error;
        self.record.input_requests.clear();
        self.save().await;
    }

    async fn save(&mut self) {
        self.record.last_updated_at = rfc3339(SystemTime::now());
        if let Err(e) = self.store.save(&self.record).await {
            tracing::warn!(task = %self.record.id, "the task store could not be written: {e}");
        }
        if self.record.status != self.announced {
            self.announced = self.record.status;
            let n = crate::jsonrpc::notification(
                "notifications/tasks",
                Value::Object(self.record.detailed()),
            );
            self.listeners
                .publish_task(&self.record.owner.key, &self.record.id, &n);
        }
    }
}
