//! The notification channel of one call: progress and log messages a tool
//! sends while it runs, which the transport streams to the client ahead of
//! the result.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::jsonrpc::notification;

/// What `close_stream` queues: `null`, which no notification is.
pub(crate) const CLOSE_STREAM: Value = Value::Null;

/// What a long-lived stream (`subscriptions/listen`) queues now and then
/// to keep its connection alive: an SSE comment over HTTP, nothing on stdio.
const KEEP_ALIVE: &str = "dev.mcp-runtime/keep-alive";

/// A [`KEEP_ALIVE`] to queue.
pub(crate) fn keep_alive() -> Value {
    Value::String(KEEP_ALIVE.to_owned())
}

/// Whether `v` is a [`keep_alive`], not a message.
pub(crate) fn is_keep_alive(v: &Value) -> bool {
    v.as_str() == Some(KEEP_ALIVE)
}

/// A channel for a call's notifications (progress, log messages): the
/// transport streams them to the client ahead of the result.
///
/// Most calls send none, so the channel proper (a `tokio::sync::mpsc` channel
/// of 64) is created by the first notification: a call that sends nothing
/// costs one small allocation instead of the channel's two large ones (its
/// cache-aligned state and its first block). Once created it behaves as that
/// channel does: a tool that outpaces its client waits, notifications keep
/// their order, and sending after the receiver is gone does nothing.
pub(crate) fn notification_channel() -> (NotificationSender, NotificationReceiver) {
    let shared = Arc::new(NotifyShared {
        tx: OnceLock::new(),
        rx: Mutex::new(None),
        waker: AtomicWaker::new(),
        senders: AtomicUsize::new(1),
        closed: AtomicBool::new(false),
    });
    (
        NotificationSender(shared.clone()),
        NotificationReceiver { shared, rx: None },
    )
}

struct NotifyShared {
    /// The sending half, once the first notification created the channel.
    tx: OnceLock<mpsc::Sender<Value>>,
    /// The receiving half, from the channel's creation until the receiver takes it.
    rx: Mutex<Option<mpsc::Receiver<Value>>>,
    /// The receiver's task: woken when the channel is created and when the last sender goes.
    waker: AtomicWaker,
    /// Live `NotificationSender`s (the channel's own sender lives as long as this state).
    senders: AtomicUsize,
    /// The receiver is gone.
    closed: AtomicBool,
}

/// The sending half of [`notification_channel`].
pub(crate) struct NotificationSender(Arc<NotifyShared>);

impl NotificationSender {
    /// Queue a notification, waiting while 64 are queued; dropped if the receiver is gone.
    pub(crate) async fn send(&self, value: Value) {
        let s = &*self.0;
        if s.closed.load(Ordering::Acquire) {
            return;
        }
        let tx = s.tx.get_or_init(|| {
            let (tx, rx) = mpsc::channel(64);
            let mut slot = s.rx.lock().unwrap_or_else(|e| e.into_inner());
            // A receiver that is already gone never takes it: dropping the
            // receiving half here makes every send fail at once.
            if !s.closed.load(Ordering::Acquire) {
                *slot = Some(rx);
            }
            drop(slot);
            s.waker.wake();
            tx
        });
        let _ = tx.send(value).await;
    }
}

impl NotificationSender {
    /// Queue a notification without waiting: dropped if the queue is full,
    /// the channel was never created, or the receiver is gone (for a drop
    /// guard, which cannot await).
    pub(crate) fn try_send(&self, value: Value) {
        if let Some(tx) = self.0.tx.get() {
            let _ = tx.try_send(value);
        }
    }
}

impl Clone for NotificationSender {
    fn clone(&self) -> Self {
        self.0.senders.fetch_add(1, Ordering::Relaxed);
        NotificationSender(self.0.clone())
    }
}

impl Drop for NotificationSender {
    fn drop(&mut self) {
        if self.0.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.waker.wake();
        }
    }
}

/// The receiving half of [`notification_channel`].
pub(crate) struct NotificationReceiver {
    shared: Arc<NotifyShared>,
    rx: Option<mpsc::Receiver<Value>>,
}

impl NotificationReceiver {
    fn channel(&mut self) -> Option<&mut mpsc::Receiver<Value>> {
        if self.rx.is_none() && self.shared.tx.get().is_some() {
            self.rx = self
                .shared
                .rx
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
        }
        self.rx.as_mut()
    }

    /// The next notification; `None` once every sender is gone and the queue is empty.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Value>> {
        // Registered before the checks: a channel created, or a last sender
        // dropped, after them wakes this task.
        self.shared.waker.register(cx.waker());
        if let Some(rx) = self.channel()
            && let Poll::Ready(Some(v)) = rx.poll_recv(cx)
        {
            return Poll::Ready(Some(v));
        }
        if self.shared.senders.load(Ordering::Acquire) == 0 {
            // No more sends can come: what a last sender queued after the
            // poll above is still delivered, then the stream ends.
            return Poll::Ready(self.try_recv());
        }
        Poll::Pending
    }

    /// The next notification (see [`Self::poll_recv`]).
    pub(crate) async fn recv(&mut self) -> Option<Value> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// A notification already queued, if any.
    pub(crate) fn try_recv(&mut self) -> Option<Value> {
        self.channel()?.try_recv().ok()
    }
}

impl Drop for NotificationReceiver {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        // A receiving half not yet taken goes now; the one taken goes with
        // `self.rx`. Either way the channel closes and sends fail at once.
        drop(
            self.shared
                .rx
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take(),
        );
    }
}

impl NotificationSender {
    /// `notifications/progress` for `token`.
    pub(crate) async fn progress(
        &self,
        token: &Value,
        progress: f64,
        total: Option<f64>,
        message: Option<&str>,
    ) {
        let mut params = json!({ "progressToken": token, "progress": progress });
        if let Some(t) = total {
            params["total"] = json!(t);
        }
        if let Some(m) = message {
            params["message"] = json!(m);
        }
        self.send(notification("notifications/progress", params))
            .await;
    }

    /// Ask the transport to end the connection of the call's stream (a
    /// session's SSE answer; see `ToolContext::close_sse_stream`): sent as
    /// [`CLOSE_STREAM`], which no notification is.
    pub(crate) async fn close_stream(&self) {
        self.send(CLOSE_STREAM).await;
    }

    /// `notifications/message` from `logger`, at `level` (its wire name).
    pub(crate) async fn log(&self, level: &str, logger: &str, data: Value) {
        let params = json!({ "level": level, "logger": logger, "data": data });
        self.send(notification("notifications/message", params))
            .await;
    }
}
