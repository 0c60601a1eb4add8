//! The handshake era's questions (2025-11-25): a JSON-RPC request to the
//! client on the call's SSE stream, answered by a POST of the client's
//! response. Outstanding requests wait in [`Pending`], keyed by the caller
//! (scope and key) and an id the server draws at random, so that only the
//! caller who was asked can answer, and a guessed id answers nothing. A
//! question not answered in time, or whose call is cancelled, is withdrawn
//! with `notifications/cancelled`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::error::McpError;
use crate::notify::NotificationSender;

/// Who may answer an outstanding request. A session id joins the scope and
/// key here once the transport has sessions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Caller {
    /// The connection (stdio, in process); 0 over HTTP.
    pub(crate) scope: u64,
    /// The calling key's name (or token subject); empty without one.
    pub(crate) key: String,
    /// The handshake-era session the request came in; empty without one
    /// (sessions off: then two clients sharing a key share their callers).
    pub(crate) session: String,
}

/// A client's response: its `result`, or its `error` object.
pub(crate) type Answer = Result<Value, Value>;

/// Requests sent to clients and not yet answered.
#[derive(Default)]
pub(crate) struct Pending {
    waiting: Mutex<HashMap<(Caller, String), oneshot::Sender<Answer>>>,
}

impl Pending {
    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<(Caller, String), oneshot::Sender<Answer>>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Deliver the response `id` of `caller`; `false` when nothing of this
    /// caller waits for that id (answered, withdrawn, or never sent).
    pub(crate) fn resolve(&self, caller: &Caller, id: &str, answer: Answer) -> bool {
        let Some(tx) = self.lock().remove(&(caller.clone(), id.to_owned())) else {
            return false;
        };
        tx.send(answer).is_ok()
    }
}

/// How a call of the handshake era reaches its client.
pub(crate) struct Stream {
    pub(crate) pending: Arc<Pending>,
    pub(crate) notifier: NotificationSender,
    pub(crate) caller: Caller,
    pub(crate) timeout: Duration,
}

/// An id no other caller can guess: 128 random bits.
fn request_id() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("the operating system's random source failed");
    let mut s = String::with_capacity(36);
    s.push_str("srv-");
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

/// Removes an unanswered request when its wait ends, and tells the client.
struct Outstanding<'s> {
    stream: &'s Stream,
    id: String,
    answered: bool,
    reason: &'static str,
}

impl Drop for Outstanding<'_> {
    fn drop(&mut self) {
        let key = (self.stream.caller.clone(), self.id.clone());
        let was_waiting = self.stream.pending.lock().remove(&key).is_some();
        if was_waiting && !self.answered {
            self.stream.notifier.try_send(crate::jsonrpc::notification(
                "notifications/cancelled",
                json!({ "requestId": self.id, "reason": self.reason }),
            ));
        }
    }
}

impl Stream {
    pub(crate) async fn ask(&self, method: &'static str, params: Value) -> Result<Value, McpError> {
        let id = request_id();
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .insert((self.caller.clone(), id.clone()), tx);
        let mut outstanding = Outstanding {
            stream: self,
            id: id.clone(),
            answered: false,
            reason: "the tool call was cancelled",
        };
        self.notifier
            .send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }))
            .await;
        let answer = match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => return Err(McpError::server(format!("{method} was withdrawn"))),
            Err(_) => {
                outstanding.reason = "the client did not answer in time";
                return Err(McpError::server(format!(
                    "the client did not answer {method} within {} s",
                    self.timeout.as_secs_f64()
                )));
            }
        };
        outstanding.answered = true;
        answer.map_err(|e| {
            let message = e["message"].as_str().unwrap_or("no message");
            McpError::server(format!(
                "the client refused {method}: {}",
                crate::jsonrpc::truncate(message, 200)
            ))
        })
    }
}
