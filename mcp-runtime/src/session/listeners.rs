//! The `subscriptions/listen` streams of the 2026-07-28 era: who listens to
//! which resources, for which tenant, and their teardown at shutdown.
//!
//! A listener is one open `subscriptions/listen` request of this process.
//! [`Notifier`](super::Notifier) hands each resource change to the
//! listeners subscribed to its URI whose reads act for the changed tenant
//! (or to all of them for a change of every tenant), exactly as it does for
//! handshake-era sessions. Listeners are bounded per key and in all.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use serde_json::Value;
use tokio::sync::{mpsc, watch};

use crate::jsonrpc::{RpcError, codes};

/// Open listeners one key (or anonymous caller) may hold at once.
pub(crate) const MAX_LISTENERS_PER_KEY: usize = 16;
/// Open listeners one process holds at most.
pub(crate) const MAX_LISTENERS: usize = 10_000;
/// Notifications queued for one slow listener before later ones are dropped.
const QUEUE: usize = 64;

struct Entry {
    /// The connection it came on (stdio), 0 over HTTP.
    scope: u64,
    owner: String,
    tenant: Option<String>,
    uris: BTreeSet<String>,
    /// The tasks it hears of (tasks extension), all of its key's.
    tasks: Watch,
    tx: mpsc::Sender<Value>,
}

/// What one listener asked to hear of, as far as the server honours it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Watch {
    /// The key (its name; empty without authentication) whose tasks it may hear of.
    pub(crate) task_owner: String,
    /// Those tasks' ids.
    pub(crate) task_ids: BTreeSet<String>,
}

/// The open listeners of one process.
pub(crate) struct Listeners {
    open: Mutex<HashMap<u64, Entry>>,
    next: AtomicU64,
    per_key: usize,
    total: AtomicUsize,
    /// Turns `true` once the server tears the listeners down (shutdown).
    closing: watch::Sender<bool>,
}

impl Default for Listeners {
    fn default() -> Self {
        Listeners::with_limits(MAX_LISTENERS_PER_KEY, MAX_LISTENERS)
    }
}

/// One open listener: its notifications, and the teardown signal. It is
/// removed from [`Listeners`] when dropped.
pub(crate) struct Listening<'a> {
    listeners: &'a Listeners,
    n: u64,
    pub(crate) rx: mpsc::Receiver<Value>,
    pub(crate) closing: watch::Receiver<bool>,
}

impl Drop for Listening<'_> {
    fn drop(&mut self) {
        self.listeners.lock().remove(&self.n);
    }
}

impl Listeners {
    pub(crate) fn with_limits(per_key: usize, total: usize) -> Listeners {
        Listeners {
            open: Mutex::default(),
            next: AtomicU64::new(1),
            per_key,
            total: AtomicUsize::new(total),
            closing: watch::channel(false).0,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Entry>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new listener of `owner` acting for `tenant`, to `uris`; refused
    /// (retryable) beyond the limits, or once the server is tearing down.
    pub(crate) fn open(
        &self,
        scope: u64,
        owner: String,
        tenant: Option<String>,
        uris: BTreeSet<String>,
        tasks: Watch,
    ) -> Result<Listening<'_>, RpcError> {
        let closing = self.closing.subscribe();
        if *closing.borrow() {
            return Err(
                RpcError::new(codes::INTERNAL_ERROR, "the server is shutting down")
                    .with_status(503),
            );
        }
        let mut open = self.lock();
        let total = self.total.load(Ordering::Relaxed);
        if open.len() >= total {
            return Err(busy(format!(
                "{total} listeners are open, the most this server keeps"
            )));
        }
        if open.values().filter(|e| e.owner == owner).count() >= self.per_key {
            return Err(busy(format!(
                "this caller has {} listeners open, the most one caller may hold",
                self.per_key
            )));
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(QUEUE);
        open.insert(
            n,
            Entry {
                scope,
                owner,
                tenant,
                uris,
                tasks,
                tx,
            },
        );
        Ok(Listening {
            listeners: self,
            n,
            rx,
            closing,
        })
    }

    /// Keep at most `n` open in all (fewer than the limit already set):
    /// over HTTP each holds one of the concurrent requests' permits.
    pub(crate) fn limit_total(&self, n: usize) {
        self.total.fetch_min(n, Ordering::Relaxed);
    }

    /// Hand `notification` to every listener subscribed to `uri` (and, with
    /// `tenant`, acting for it). How many it went to.
    pub(crate) fn publish(&self, uri: &str, tenant: Option<&str>, notification: &Value) -> usize {
        let open = self.lock();
        let mut sent = 0;
        for e in open.values() {
            if !e.uris.contains(uri) || tenant.is_some_and(|t| e.tenant.as_deref() != Some(t)) {
                continue;
            }
            if e.tx.try_send(notification.clone()).is_ok() {
                sent += 1;
            } else {
                tracing::debug!(uri, "a slow listener missed a resource update");
            }
        }
        sent
    }

    /// Hand `notification` (a task's status) to every listener of the
    /// task's key that asked to hear of task `id`. How many it went to.
    pub(crate) fn publish_task(&self, owner: &str, id: &str, notification: &Value) -> usize {
        let open = self.lock();
        let mut sent = 0;
        for e in open.values() {
            if e.tasks.task_owner != owner || !e.tasks.task_ids.contains(id) {
                continue;
            }
            if e.tx.try_send(notification.clone()).is_ok() {
                sent += 1;
            } else {
                tracing::debug!(task = id, "a slow listener missed a task status");
            }
        }
        sent
    }

    /// End the listeners of connection `scope` (its client went away):
    /// each answers its result, which no one may read any more.
    pub(crate) fn close_scope(&self, scope: u64) {
        self.lock().retain(|_, e| e.scope != scope);
    }

    /// Tear every listener down: each answers its `SubscriptionsListenResult`.
    pub(crate) fn close_all(&self) {
        self.closing.send_replace(true);
    }

    /// How many listeners are open.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

fn busy(message: String) -> RpcError {
    RpcError::new(codes::INTERNAL_ERROR, message).with_status(503)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> Watch {
        Watch::default()
    }

    #[test]
    fn listeners_are_bounded_per_key_and_in_all_and_hear_only_their_tenant() {
        let l = Listeners::with_limits(2, 3);
        let uris: BTreeSet<String> = ["test://w".to_owned()].into();
        let mut a = l
            .open(0, "key:a".into(), Some("acme".into()), uris.clone(), none())
            .unwrap();
        let _a2 = l
            .open(0, "key:a".into(), None, BTreeSet::new(), none())
            .unwrap();
        assert!(
            l.open(0, "key:a".into(), None, BTreeSet::new(), none())
                .is_err(),
            "per key"
        );
        let watch = Watch {
            task_owner: "b".into(),
            task_ids: ["t1".to_owned()].into(),
        };
        let mut b = l
            .open(
                0,
                "key:b".into(),
                Some("globex".into()),
                uris.clone(),
                watch,
            )
            .unwrap();
        assert!(
            l.open(0, "key:c".into(), None, BTreeSet::new(), none())
                .is_err(),
            "in all"
        );
        let n = serde_json::json!({});
        assert_eq!(l.publish("test://w", Some("acme"), &n), 1);
        assert!(a.rx.try_recv().is_ok());
        assert!(b.rx.try_recv().is_err(), "another tenant's change");
        assert_eq!(l.publish("test://w", None, &n), 2);
        assert_eq!(l.publish("test://other", None, &n), 0);
        while a.rx.try_recv().is_ok() {}
        while b.rx.try_recv().is_ok() {}
        assert_eq!(l.publish_task("a", "t1", &n), 0, "another key's task");
        assert_eq!(l.publish_task("b", "t2", &n), 0, "a task it did not name");
        assert_eq!(l.publish_task("b", "t1", &n), 1);
        assert!(b.rx.try_recv().is_ok());
        assert!(a.rx.try_recv().is_err());
        drop(b);
        assert_eq!(l.len(), 2);
        let mut c = l
            .open(7, "key:c".into(), None, BTreeSet::new(), none())
            .unwrap();
        l.close_scope(7);
        assert!(c.rx.try_recv().is_err(), "its channel is closed");
        assert_eq!(l.len(), 2);
        l.limit_total(2);
        l.limit_total(50);
        assert!(
            l.open(0, "key:e".into(), None, BTreeSet::new(), none())
                .is_err(),
            "a lower limit stays"
        );
        l.close_all();
        assert!(*a.closing.borrow());
        assert!(
            l.open(0, "key:d".into(), None, BTreeSet::new(), none())
                .is_err(),
            "closing"
        );
    }
}
