//! A running task's questions and their answers: what `ctx.elicit`,
//! `ctx.sample` and `ctx.roots` of a handler running as a task wait on.
//! The handler stays alive while it waits (unlike a stateless round, which
//! ends and runs again): an answer brought by `tasks/update` wakes it.

use std::sync::Mutex;

use serde_json::{Map, Value, json};
use tokio::sync::Notify;

use crate::error::McpError;

#[derive(Default)]
struct State {
    seq: usize,
    /// Open questions: key → `{method, params}`.
    questions: Map<String, Value>,
    /// Answers not yet taken by their question.
    answers: Map<String, Value>,
}

/// The questions of one task.
#[derive(Default)]
pub(crate) struct Inbox {
    state: Mutex<State>,
    /// Wakes handlers waiting for answers.
    answered: Notify,
    /// Wakes the task's runner when a question is asked.
    asked: Notify,
    /// The task exists and its runner owns the handler.
    detached: std::sync::atomic::AtomicBool,
}

impl Inbox {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The answer to the question `key` (default: its place among the
    /// task's questions, as in a stateless round: `elicit-1`, `sample-2`),
    /// once the client gives it.
    pub(crate) async fn ask(
        &self,
        key: Option<String>,
        method: &'static str,
        params: Value,
    ) -> Result<Value, McpError> {
        let key = {
            let mut s = self.lock();
            s.seq += 1;
            let n = s.seq;
            let key = key.unwrap_or_else(|| super::rounds::default_key(method, n));
            s.questions
                .insert(key.clone(), json!({ "method": method, "params": params }));
            key
        };
        self.asked.notify_one();
        loop {
            let answered = self.answered.notified();
            tokio::pin!(answered);
            answered.as_mut().enable();
            if let Some(a) = self.lock().answers.remove(&key) {
                return Ok(a);
            }
            answered.await;
        }
    }

    /// Answers from the client: those to open questions are kept (and
    /// their questions closed), the others ignored. Whether any was kept.
    pub(crate) fn deliver(&self, responses: Map<String, Value>) -> bool {
        let mut kept = false;
        {
            let mut s = self.lock();
            for (k, v) in responses {
                if s.questions.remove(&k).is_some() {
                    s.answers.insert(k, v);
                    kept = true;
                }
            }
        }
        if kept {
            self.answered.notify_waiters();
        }
        kept
    }

    /// The open questions.
    pub(crate) fn questions(&self) -> Map<String, Value> {
        self.lock().questions.clone()
    }

    /// Whether the task exists (questions before it go to the request's round).
    pub(crate) fn is_detached(&self) -> bool {
        self.detached.load(std::sync::atomic::Ordering::Acquire)
    }

    pub(crate) fn detach(&self) {
        self.detached
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// Completes when a question is asked.
    pub(crate) async fn asked(&self) {
        self.asked.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn an_answer_wakes_its_question_only() {
        let inbox = Arc::new(Inbox::default());
        let (a, b) = (inbox.clone(), inbox.clone());
        let first = tokio::spawn(async move { a.ask(None, "elicitation/create", json!({})).await });
        let second =
            tokio::spawn(async move { b.ask(Some("two".into()), "roots/list", json!({})).await });
        while inbox.questions().len() < 2 {
            tokio::task::yield_now().await;
        }
        let mut answers = Map::new();
        answers.insert("two".into(), json!({ "roots": [] }));
        answers.insert("nobody-asked".into(), json!({}));
        assert!(inbox.deliver(answers));
        assert_eq!(second.await.unwrap().unwrap(), json!({ "roots": [] }));
        let open: Vec<_> = inbox.questions().keys().cloned().collect();
        assert_eq!(open, ["elicit-1"]);
        assert!(!first.is_finished());
        let mut answers = Map::new();
        answers.insert("elicit-1".into(), json!({ "action": "decline" }));
        inbox.deliver(answers);
        assert_eq!(
            first.await.unwrap().unwrap(),
            json!({ "action": "decline" })
        );
        assert!(inbox.questions().is_empty());
    }
}
