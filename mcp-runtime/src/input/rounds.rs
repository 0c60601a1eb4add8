//! The stateless era's rounds (SEP-2322). A request brings the answers it
//! has: those of earlier rounds inside the sealed `requestState`, and this
//! round's `inputResponses` (only to the questions the state says were
//! asked; without a state, to whatever the handler asks). The handler runs
//! from the start; a question with an answer returns it, one without is
//! recorded and never returns, and once the handler waits with questions
//! recorded the round ends with an `InputRequiredResult`: the questions,
//! and a new state sealing every answer the handler used.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::SystemTime;

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::seal::{Binding, RequestStateKeys};
use crate::error::McpError;
use crate::jsonrpc::{RpcError, open_result, write_json};

/// One run of a handler in the stateless era.
pub(crate) struct Round {
    answers: Map<String, Value>,
    /// Keys of answers the handler took (carried into the next state).
    used: Mutex<Vec<String>>,
    /// Questions without an answer: key → `{method, params}`.
    questions: Mutex<Map<String, Value>>,
    seq: AtomicUsize,
    /// The handler was stopped for its questions.
    stopped: AtomicBool,
    /// The handler ran blocking work (`ctx.run_blocking`, where writes go).
    worked: AtomicBool,
    /// … and then asked a question this round had no answer to.
    worked_before_question: AtomicBool,
    binding: Binding,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Round {
    /// Read the answers a request brings (`inputResponses`, `requestState`),
    /// for the call `binding`. A malformed value, or a state that does not
    /// open for this call, is `-32602`.
    pub(crate) fn new(
        keys: &RequestStateKeys,
        binding: Binding,
        responses: Option<&RawValue>,
        state: Option<&RawValue>,
        now: SystemTime,
    ) -> Result<Round, RpcError> {
        let mut responses = match responses {
            None => Map::new(),
            Some(raw) => match serde_json::from_str::<Value>(raw.get()) {
                Ok(Value::Object(m)) => m,
                _ => {
                    return Err(RpcError::invalid_params(
                        "`inputResponses` must be an object mapping each input request's key to the client's result",
                    ));
                }
            },
        };
        if let Some((key, _)) = responses.iter().find(|(_, v)| !v.is_object()) {
            return Err(RpcError::invalid_params(format!(
                "`inputResponses.{}` must be an object (the result of the input request)",
                crate::jsonrpc::truncate(key, 80)
            )));
        }
        let answers = match state {
            None => responses,
            Some(raw) => {
                let text: String = serde_json::from_str(raw.get()).map_err(|_| {
                    RpcError::invalid_params("`requestState` must be the string the server issued")
                })?;
                let opened = keys
                    .open(&text, &binding, now)
                    .map_err(|r| RpcError::invalid_params(r.message()))?;
                let mut answers = opened.answers;
                for key in opened.asked {
                    if let Some(v) = responses.remove(&key) {
                        answers.insert(key, v);
                    }
                }
                if !responses.is_empty() {
                    tracing::debug!(
                        ignored = responses.len(),
                        "inputResponses to questions this round did not ask were ignored"
                    );
                }
                answers
            }
        };
        Ok(Round {
            answers,
            used: Mutex::new(Vec::new()),
            questions: Mutex::new(Map::new()),
            seq: AtomicUsize::new(0),
            stopped: AtomicBool::new(false),
            worked: AtomicBool::new(false),
            worked_before_question: AtomicBool::new(false),
            binding,
        })
    }

    /// The answer to the question `key` (default: its place), or never.
    pub(crate) async fn ask(
        &self,
        key: Option<String>,
        method: &'static str,
        params: Value,
    ) -> Result<Value, McpError> {
        let n = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let key = key.unwrap_or_else(|| default_key(method, n));
        if let Some(answer) = self.answers.get(&key) {
            lock(&self.used).push(key);
            return Ok(answer.clone());
        }
        if self.worked.load(Ordering::Acquire) {
            self.worked_before_question.store(true, Ordering::Release);
        }
        lock(&self.questions).insert(key, json!({ "method": method, "params": params }));
        std::future::pending().await
    }

    /// The handler starts blocking work (`ctx.run_blocking`).
    pub(crate) fn note_blocking_work(&self) {
        self.worked.store(true, Ordering::Release);
    }

    /// Whether the handler ran blocking work before a question that ended
    /// the round: that work runs again in the next round.
    pub(crate) fn worked_before_question(&self) -> bool {
        self.worked_before_question.load(Ordering::Acquire)
    }

    pub(crate) fn has_questions(&self) -> bool {
        !lock(&self.questions).is_empty()
    }

    /// Whether the handler was stopped to ask its questions.
    pub(crate) fn stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// The `InputRequiredResult` of a stopped round, `_meta` first (keys sorted).
    pub(crate) fn result(
        &self,
        keys: &RequestStateKeys,
        server_meta_json: Option<&[u8]>,
        now: SystemTime,
    ) -> Vec<u8> {
        let questions = std::mem::take(&mut *lock(&self.questions));
        let mut carried = Map::new();
        for key in lock(&self.used).iter() {
            if let Some(v) = self.answers.get(key) {
                carried.insert(key.clone(), v.clone());
            }
        }
        let asked = questions.keys().cloned().collect();
        let state = keys.seal(&self.binding, asked, carried, now);
        let mut out = Vec::with_capacity(256);
        open_result(&mut out, server_meta_json);
        out.extend_from_slice(br#""inputRequests":"#);
        write_json(&mut out, &Value::Object(questions));
        out.extend_from_slice(br#","requestState":"#);
        write_json(&mut out, &state);
        out.extend_from_slice(br#","resultType":"input_required"}"#);
        out
    }
}

/// The key of the `n`-th question of a call when the handler gave none:
/// `elicit-1`, `sample-2`, `roots-3`.
pub(crate) fn default_key(method: &str, n: usize) -> String {
    let short = match method {
        "sampling/createMessage" => "sample",
        "roots/list" => "roots",
        _ => "elicit",
    };
    format!("{short}-{n}")
}

/// Run `fut`, a handler of the stateless era, until it completes or waits
/// with questions recorded in `round` (then the round is marked stopped and
/// a placeholder error returned: the caller answers with [`Round::result`]).
pub(crate) async fn until_input<T>(
    fut: impl Future<Output = Result<T, McpError>>,
    round: Option<Arc<Round>>,
) -> Result<T, McpError> {
    let Some(round) = round else {
        return fut.await;
    };
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| match fut.as_mut().poll(cx) {
        Poll::Ready(r) => Poll::Ready(r),
        Poll::Pending if round.has_questions() => {
            round.stopped.store(true, Ordering::Release);
            Poll::Ready(Err(McpError::server(
                "the call needs input from the client",
            )))
        }
        Poll::Pending => Poll::Pending,
    })
    .await
}
