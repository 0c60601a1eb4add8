//! The tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663) of
//! protocol 2026-07-28: a `tools/call` of a tool declared with
//! `#[mcp_tool(task = "optional" | "required")]` returns a task at once, its
//! handler runs detached from the request, and the client polls
//! `tasks/get`, answers questions with `tasks/update` and stops it with
//! `tasks/cancel` (`dispatch/tasks.rs`).
//!
//! What a task is lives behind [`TaskStore`]: [`MemoryTaskStore`] by
//! default (one replica), `RedisTaskStore` with feature `redis` (every
//! replica sees every task; the one running a handler learns of answers and
//! cancellation through the store's side channels).

mod memory;
#[cfg(feature = "redis")]
mod redis;
mod time;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use self::memory::MemoryTaskStore;
#[cfg(feature = "redis")]
pub use self::redis::RedisTaskStore;
pub(crate) use self::time::rfc3339;
pub use crate::state::{StateError, StateFuture};

/// The extension's identifier, under `capabilities.extensions`.
pub const EXTENSION: &str = "io.modelcontextprotocol/tasks";

/// Whether a tool's calls run as tasks (`#[mcp_tool(task = ...)]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TaskSupport {
    /// Never: every call is answered with its result.
    #[default]
    None,
    /// As a task when the client declares the extension, else synchronously.
    Optional,
    /// Only as a task: a client without the extension gets `-32021`.
    Required,
}

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// The handler runs.
    Working,
    /// The handler waits for answers to its `inputRequests`.
    InputRequired,
    /// The handler returned (a tool error is `completed` with `isError`).
    Completed,
    /// The handler could not run to its end (panic, internal error, time limit).
    Failed,
    /// The client cancelled it.
    Cancelled,
}

impl TaskStatus {
    /// Whether nothing changes any more.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskStatus::Completed | TaskStatus::Failed | TaskStatus::Cancelled
        )
    }
}

/// Who may see and steer a task: the key (or token subject) that created
/// it and the tenant it acts for. Anyone else is told the task does not exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskOwner {
    /// The key's name or the token's subject; empty without authentication.
    pub key: String,
    /// The tenant the call acted for, if any.
    pub tenant: Option<String>,
}

/// One task, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// Unguessable (128 random bits, hex).
    pub id: String,
    /// Who may see and steer it.
    pub owner: TaskOwner,
    /// The tool it runs.
    pub tool: String,
    /// Where it is in its life.
    pub status: TaskStatus,
    /// A human-readable note on the status (the last progress message).
    pub status_message: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// When the record last changed, RFC 3339.
    pub last_updated_at: String,
    /// How long after its creation the task is kept, in ms.
    pub ttl_ms: u64,
    /// How often the client should poll, in ms.
    pub poll_interval_ms: u64,
    /// The last progress the handler reported: `{progress, total?, message?}`.
    pub progress: Option<Value>,
    /// Open questions (`input_required`): key → `{method, params}`.
    pub input_requests: Map<String, Value>,
    /// The `CallToolResult` of a completed task.
    pub result: Option<Value>,
    /// The JSON-RPC error of a failed task: `{code, message, data?}`.
    pub error: Option<Value>,
}

impl TaskRecord {
    /// The task's fields of the wire (`Task`): what `CreateTaskResult` and
    /// `tasks/get` share.
    pub(crate) fn wire(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("taskId".into(), self.id.clone().into());
        m.insert(
            "status".into(),
            serde_json::to_value(self.status).unwrap_or(Value::Null),
        );
        if let Some(s) = &self.status_message {
            m.insert("statusMessage".into(), s.clone().into());
        }
        m.insert("createdAt".into(), self.created_at.clone().into());
        m.insert("lastUpdatedAt".into(), self.last_updated_at.clone().into());
        m.insert("ttlMs".into(), self.ttl_ms.into());
        m.insert("pollIntervalMs".into(), self.poll_interval_ms.into());
        m
    }

    /// `tasks/get`'s `DetailedTask`: the task, its open questions, and its
    /// result or error once terminal.
    pub(crate) fn detailed(&self) -> Map<String, Value> {
        let mut m = self.wire();
        if self.status == TaskStatus::InputRequired {
            m.insert(
                "inputRequests".into(),
                Value::Object(self.input_requests.clone()),
            );
        }
        if let (TaskStatus::Completed, Some(r)) = (self.status, &self.result) {
            // A 2026-07-28 `CallToolResult`: its `resultType` is required
            // (the TypeScript SDK's ext-tasks refuses a result without it).
            let mut r = r.clone();
            if let Value::Object(o) = &mut r {
                o.entry("resultType").or_insert_with(|| "complete".into());
            }
            m.insert("result".into(), r);
        }
        if let (TaskStatus::Failed, Some(e)) = (self.status, &self.error) {
            m.insert("error".into(), e.clone());
        }
        if let Some(p) = &self.progress {
            m.insert(
                "_meta".into(),
                serde_json::json!({ "dev.mcp-runtime/progress": p }),
            );
        }
        m
    }
}

/// Where tasks live. Every method is one round trip to the store; the
/// replica running a task's handler is the only writer of its record
/// ([`save`](TaskStore::save)); clients' answers and cancellations go to
/// the task's side channels, which that replica reads.
pub trait TaskStore: Send + Sync + 'static {
    /// Store a new task, kept `ttl_ms` from now; refused (`Err`) when the
    /// store holds as many live tasks as it may.
    fn create<'a>(&'a self, task: &'a TaskRecord) -> StateFuture<'a, ()>;

    /// Overwrite a task's record (its lifetime is unchanged); a task that
    /// expired meanwhile stays gone.
    fn save<'a>(&'a self, task: &'a TaskRecord) -> StateFuture<'a, ()>;

    /// The task, unless it expired or never existed; questions answered in
    /// its inbox (not yet taken) are no longer open.
    fn load<'a>(&'a self, id: &'a str) -> StateFuture<'a, Option<TaskRecord>>;

    /// Add answers to the task's inbox (so that `load` right after shows
    /// only the questions still open, and the status `working` when none is).
    fn answer<'a>(&'a self, id: &'a str, responses: Map<String, Value>) -> StateFuture<'a, ()>;

    /// Take every answer in the task's inbox.
    fn take_answers<'a>(&'a self, id: &'a str) -> StateFuture<'a, Map<String, Value>>;

    /// Ask the replica running the task to cancel it.
    fn request_cancel<'a>(&'a self, id: &'a str) -> StateFuture<'a, ()>;

    /// Whether cancellation was asked for.
    fn cancel_requested<'a>(&'a self, id: &'a str) -> StateFuture<'a, bool>;

    /// What the log calls this store (`memory`, `redis`).
    fn kind(&self) -> &'static str;
}

/// How long tasks live and how often clients poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskLimits {
    /// How long a task is kept after its creation; its handler is stopped
    /// (status `failed`) if it is still running then.
    pub ttl: std::time::Duration,
    /// The poll interval suggested to clients.
    pub poll_interval: std::time::Duration,
}

impl Default for TaskLimits {
    fn default() -> Self {
        TaskLimits {
            ttl: std::time::Duration::from_secs(3600),
            poll_interval: std::time::Duration::from_millis(500),
        }
    }
}

/// A new task id: 128 random bits, hex.
pub(crate) fn new_id() -> String {
    use std::fmt::Write as _;
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("the operating system's random source failed");
    let mut s = String::with_capacity(32);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}
