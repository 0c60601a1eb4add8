//! The SSE streams of this process's sessions: event ids, the replay
//! buffers `Last-Event-ID` resumes from, and where a server message goes.
//!
//! A stream is a logical thing: a session's `GET` stream, or the SSE
//! answer to one of its `POST`s. Its events are numbered `{stream}-{seq}`
//! (unique within the session, and naming the stream a `Last-Event-ID`
//! resumes: never another one), kept in a bounded buffer, and sent to the
//! connection attached to it, if any. A connection that falls behind is
//! dropped (its events stay buffered) so that nothing blocks the sender;
//! the client reconnects with `Last-Event-ID`.
//!
//! A message not tied to a request (`notifications/resources/updated`)
//! goes to exactly one stream: the session's newest connected `GET`
//! stream, else its newest `GET` stream (buffered for its resumption),
//! else nowhere (the client opened none).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tokio::sync::mpsc;

/// Events a stream keeps for resumption.
pub(crate) const REPLAY_EVENTS: usize = 256;
/// Streams a session keeps here; the oldest finished ones go first.
const STREAMS_PER_SESSION: usize = 32;
/// Events queued to one connection before it counts as fallen behind: a
/// whole buffer, so that a resumption's replay always fits.
const CONNECTION_QUEUE: usize = REPLAY_EVENTS + 1;
/// What `retry:` tells a client to wait before reconnecting.
pub(crate) const RETRY_MS: u64 = 1000;

/// Which kind of stream.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Get,
    Post,
}

struct Stream {
    kind: Kind,
    next_seq: u64,
    buffer: VecDeque<(u64, Bytes)>,
    conn: Option<mpsc::Sender<Bytes>>,
    /// No more events will come (a `POST` answered).
    finished: bool,
}

#[derive(Default)]
struct Local {
    next_stream: u64,
    streams: HashMap<u64, Stream>,
    /// The session's subscriptions, as last seen (by a subscribe here or a
    /// stream opened here).
    subscriptions: BTreeSet<String>,
    tenant: Option<String>,
    seen: Option<Instant>,
}

/// Every stream of this process's sessions.
pub(crate) struct Hub {
    sessions: Mutex<HashMap<String, Local>>,
    /// How long a session nothing uses here is kept: the sessions' idle expiry.
    idle: Duration,
    /// When sessions nothing used were last forgotten.
    swept: Mutex<Instant>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new(super::DEFAULT_IDLE)
    }
}

/// One event's bytes: its id, then its JSON (or nothing, for a priming event).
fn event(id: &str, json: Option<&[u8]>) -> Bytes {
    let mut out = Vec::with_capacity(64 + json.map_or(0, <[u8]>::len));
    out.extend_from_slice(b"id: ");
    out.extend_from_slice(id.as_bytes());
    match json {
        Some(j) => {
            out.extend_from_slice(b"\nevent: message\ndata: ");
            out.extend_from_slice(j);
            out.extend_from_slice(b"\n\n");
        }
        None => out.extend_from_slice(format!("\nretry: {RETRY_MS}\ndata: \n\n").as_bytes()),
    }
    Bytes::from(out)
}

/// `{stream}-{seq}` back into its numbers.
fn parse_id(id: &str) -> Option<(u64, u64)> {
    let (s, q) = id.trim().split_once('-')?;
    Some((s.parse().ok()?, q.parse().ok()?))
}

impl Stream {
    /// Number, buffer and send one event.
    fn push(&mut self, stream: u64, json: Option<&[u8]>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let bytes = event(&format!("{stream}-{seq}"), json);
        if self.buffer.len() == REPLAY_EVENTS {
            self.buffer.pop_front();
        }
        self.buffer.push_back((seq, bytes.clone()));
        if let Some(c) = &self.conn
            && c.try_send(bytes).is_err()
        {
            // Fallen behind or gone: it resumes from the buffer.
            self.conn = None;
        }
    }

    fn attach(&mut self) -> mpsc::Receiver<Bytes> {
        let (tx, rx) = mpsc::channel(CONNECTION_QUEUE);
        self.conn = Some(tx);
        rx
    }
}

impl Local {
    fn prune(&mut self) {
        while self.streams.len() > STREAMS_PER_SESSION {
            let oldest = self
                .streams
                .iter()
                .filter(|(_, s)| s.conn.is_none())
                .map(|(n, _)| *n)
                .min();
            match oldest {
                Some(n) => self.streams.remove(&n),
                None => break,
            };
        }
    }
}

impl Hub {
    pub(crate) fn new(idle: Duration) -> Hub {
        Hub {
            sessions: Mutex::new(HashMap::new()),
            idle,
            swept: Mutex::new(Instant::now()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Local>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new stream of `session`, its priming event (id, `retry:`, empty
    /// data) first: the stream's number and its connection.
    pub(crate) fn open(
        &self,
        session: &str,
        kind: Kind,
        seen: Option<(&BTreeSet<String>, Option<&str>)>,
    ) -> (u64, mpsc::Receiver<Bytes>) {
        self.sweep();
        let mut all = self.lock();
        let local = all.entry(session.to_owned()).or_default();
        if let Some((subs, tenant)) = seen {
            local.subscriptions = subs.clone();
            local.tenant = tenant.map(str::to_owned);
        }
        local.seen = Some(Instant::now());
        let n = local.next_stream;
        local.next_stream += 1;
        let mut s = Stream {
            kind,
            next_seq: 0,
            buffer: VecDeque::new(),
            conn: None,
            finished: false,
        };
        let rx = s.attach();
        s.push(n, None);
        local.streams.insert(n, s);
        local.prune();
        (n, rx)
    }

    /// Send `json` on stream `n` of `session`; `false` when it is gone.
    pub(crate) fn push(&self, session: &str, n: u64, json: &[u8]) -> bool {
        let mut all = self.lock();
        match all.get_mut(session).and_then(|l| l.streams.get_mut(&n)) {
            Some(s) => {
                s.push(n, Some(json));
                true
            }
            None => false,
        }
    }

    /// Stream `n` of `session` has sent its last event: its connection
    /// closes after it (a resumption replays, then closes).
    pub(crate) fn finish(&self, session: &str, n: u64) {
        let mut all = self.lock();
        if let Some(s) = all.get_mut(session).and_then(|l| l.streams.get_mut(&n)) {
            s.finished = true;
            s.conn = None;
        }
    }

    /// End the connection of stream `n` of `session`, which goes on: its
    /// events are buffered for a resumption.
    pub(crate) fn detach(&self, session: &str, n: u64) {
        let mut all = self.lock();
        if let Some(s) = all.get_mut(session).and_then(|l| l.streams.get_mut(&n)) {
            s.conn = None;
        }
    }

    /// Resume the stream `last_event_id` names, if it is `session`'s: the
    /// events after that one, then whatever comes; `None` for an id of no
    /// stream of the session (or one whose events after it were dropped
    /// from the buffer).
    pub(crate) fn resume(
        &self,
        session: &str,
        last_event_id: &str,
    ) -> Option<mpsc::Receiver<Bytes>> {
        let (n, seq) = parse_id(last_event_id)?;
        let mut all = self.lock();
        let local = all.get_mut(session)?;
        local.seen = Some(Instant::now());
        let s = local.streams.get_mut(&n)?;
        let first_kept = s.buffer.front().map_or(s.next_seq, |(q, _)| *q);
        if seq >= s.next_seq || seq + 1 < first_kept {
            return None;
        }
        let rx = s.attach();
        let conn = s.conn.as_ref()?;
        for (_, bytes) in s.buffer.iter().filter(|(q, _)| *q > seq) {
            // The queue holds a whole buffer: this cannot fail.
            let _ = conn.try_send(bytes.clone());
        }
        if s.finished {
            s.conn = None;
        }
        Some(rx)
    }

    /// Note a subscription change of `session` made here.
    pub(crate) fn subscribed(&self, session: &str, uri: &str, on: bool) {
        if let Some(l) = self.lock().get_mut(session) {
            if on {
                l.subscriptions.insert(uri.to_owned());
            } else {
                l.subscriptions.remove(uri);
            }
        }
    }

    /// Refresh what `session` subscribes to (its record, read again).
    pub(crate) fn refresh(&self, session: &str, subs: &BTreeSet<String>) {
        if let Some(l) = self.lock().get_mut(session) {
            l.subscriptions = subs.clone();
            l.seen = Some(Instant::now());
        }
    }

    /// Close `session`'s streams and forget them.
    pub(crate) fn end(&self, session: &str) {
        self.lock().remove(session);
    }

    /// Forget the sessions (their streams and buffers) nothing used here
    /// for the idle expiry: at most once a second, when a stream opens.
    fn sweep(&self) {
        let now = Instant::now();
        {
            let mut swept = self.swept.lock().unwrap_or_else(|e| e.into_inner());
            if now.duration_since(*swept) < Duration::from_secs(1) {
                return;
            }
            *swept = now;
        }
        let idle = self.idle;
        self.lock().retain(|_, l| {
            l.streams.values().any(|s| s.conn.is_some())
                || l.seen.is_some_and(|t| now.duration_since(t) < idle)
        });
    }

    /// Send `json` (a notification) to every session here subscribed to
    /// `uri` (and, with `tenant`, acting for it): on one stream each.
    /// How many sessions it went to.
    pub(crate) fn publish(&self, uri: &str, tenant: Option<&str>, json: &[u8]) -> usize {
        let mut all = self.lock();
        let mut sent = 0;
        for l in all.values_mut() {
            if !l.subscriptions.contains(uri)
                || tenant.is_some_and(|t| l.tenant.as_deref() != Some(t))
            {
                continue;
            }
            let gets = || l.streams.iter().filter(|(_, s)| s.kind == Kind::Get);
            let target = gets()
                .filter(|(_, s)| s.conn.as_ref().is_some_and(|c| !c.is_closed()))
                .map(|(n, _)| *n)
                .max()
                .or_else(|| gets().map(|(n, _)| *n).max());
            if let Some(n) = target
                && let Some(s) = l.streams.get_mut(&n)
            {
                s.push(n, Some(json));
                sent += 1;
            }
        }
        sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(b: &Bytes) -> &str {
        std::str::from_utf8(b).unwrap()
    }

    #[test]
    fn events_are_numbered_per_stream_and_resumed_after_the_last_seen() {
        let hub = Hub::default();
        let (n, mut rx) = hub.open("s", Kind::Post, None);
        assert_eq!(
            text(&rx.try_recv().unwrap()),
            "id: 0-0\nretry: 1000\ndata: \n\n"
        );
        assert!(hub.push("s", n, b"{\"a\":1}"));
        assert!(hub.push("s", n, b"{\"a\":2}"));
        assert_eq!(
            text(&rx.try_recv().unwrap()),
            "id: 0-1\nevent: message\ndata: {\"a\":1}\n\n"
        );
        drop(rx);
        assert!(hub.push("s", n, b"{\"a\":3}"));
        hub.finish("s", n);
        let mut again = hub.resume("s", "0-1").expect("resumable");
        let got: Vec<_> = std::iter::from_fn(|| again.try_recv().ok()).collect();
        assert_eq!(got.len(), 2);
        assert!(text(&got[0]).starts_with("id: 0-2\n"));
        assert!(text(&got[1]).starts_with("id: 0-3\n"));
        assert!(
            again.try_recv().is_err(),
            "finished: closed after the replay"
        );
        assert!(
            hub.resume("other", "0-1").is_none(),
            "another session's stream"
        );
        assert!(hub.resume("s", "7-0").is_none());
        assert!(hub.resume("s", "0-9").is_none());
        assert!(hub.resume("s", "junk").is_none());
    }

    #[test]
    fn an_update_goes_to_one_get_stream_of_each_subscribed_session() {
        let hub = Hub::default();
        let subs: BTreeSet<String> = ["test://w".to_owned()].into();
        let (_, mut old) = hub.open("s", Kind::Get, Some((&subs, Some("acme"))));
        let (_, mut new) = hub.open("s", Kind::Get, None);
        let (_, mut other) = hub.open("t", Kind::Get, Some((&BTreeSet::new(), None)));
        for rx in [&mut old, &mut new, &mut other] {
            rx.try_recv().unwrap();
        }
        assert_eq!(hub.publish("test://w", None, b"{}"), 1);
        assert!(text(&new.try_recv().unwrap()).starts_with("id: 1-1\n"));
        assert!(old.try_recv().is_err(), "exactly one stream");
        assert!(other.try_recv().is_err(), "not subscribed");
        assert_eq!(
            hub.publish("test://w", Some("globex"), b"{}"),
            0,
            "another tenant's"
        );
        hub.subscribed("s", "test://w", false);
        assert_eq!(hub.publish("test://w", None, b"{}"), 0);
    }
}
