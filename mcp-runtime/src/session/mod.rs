//! Optional sessions of the handshake era (2025-11-25 and before), off by
//! default: stateless serving stays the default and the scale-out story.
//!
//! With sessions on ([`ServerBuilder::sessions`](crate::ServerBuilder::sessions),
//! `MCP_SESSIONS`), `initialize` issues an `Mcp-Session-Id` (256 random
//! bits, hex), later requests of the handshake era must carry it (400
//! without, 404 for an unknown or expired one, or one another caller
//! created), `DELETE` ends it, `GET` opens its SSE stream, and
//! `resources/subscribe` / `resources/unsubscribe` are served. The
//! 2026-07-28 era stays stateless: its requests never look at a session.
//!
//! The sessions live in a [`SessionStore`]: [`InMemorySessions`] by default
//! (one process), `RedisSessions` with feature `redis` (`MCP_STATE_URL`),
//! where a session expires by Redis TTL and every replica honours a session
//! another replica created. Streams and their replay buffers are the
//! process's own (`streams.rs`): a stream is resumed on the replica that
//! holds it. A resource update is delivered to the streams of the replica
//! that announced it, and told to the others through the store (Redis
//! pub/sub), which deliver it to theirs.
//!
//! When the store does not answer, the [`Unreachable`] policy decides:
//! `allow` serves a request with the session it names unverified (and
//! issues a session it could not store), `refuse` answers 503. Opening a
//! session's stream, subscribing and ending a session are always refused
//! when the session cannot be verified: they are what a caller holding
//! another caller's session id could misuse.

pub(crate) mod listeners;
pub(crate) mod streams;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::auth::KeyIdentity;
use crate::jsonrpc::{RpcError, codes};
use crate::limits::LogLimiter;
pub use crate::state::{StateError, StateFuture, Unreachable};

#[cfg(feature = "redis")]
mod redis_sessions;
#[cfg(feature = "redis")]
pub use redis_sessions::RedisSessions;

/// The idle expiry of a session unless configured: 30 minutes.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(30 * 60);

/// Sessions one [`InMemorySessions`] holds at most; `initialize` is refused
/// (503, retryable) beyond, until idle ones expire.
pub const MAX_IN_MEMORY_SESSIONS: usize = 100_000;

/// What a store keeps of one session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// Who created it: only the same caller may use it (see [`owner_of`]).
    pub owner: String,
    /// The tenant its reads act for, if one (the process's, or the key's only one).
    pub tenant: Option<String>,
    /// The resource URIs it subscribed to.
    pub subscriptions: BTreeSet<String>,
}

/// Where sessions are kept: one process ([`InMemorySessions`]) or every
/// replica (`RedisSessions`, feature `redis`). Every method is bounded in
/// time by the store (an error, never a hang); `idle` is the expiry a use
/// renews.
pub trait SessionStore: Send + Sync + 'static {
    /// Keep a new session under `id` for `idle`.
    fn create<'a>(
        &'a self,
        id: &'a str,
        record: &'a SessionRecord,
        idle: Duration,
    ) -> StateFuture<'a, ()>;

    /// The session under `id`, its expiry renewed to `idle` from now;
    /// `None` when there is none (unknown, expired or ended).
    fn touch<'a>(&'a self, id: &'a str, idle: Duration) -> StateFuture<'a, Option<SessionRecord>>;

    /// Add (`on`) or remove `uri` in the session's subscriptions; `false`
    /// when there is no such session.
    fn subscribe<'a>(
        &'a self,
        id: &'a str,
        uri: &'a str,
        on: bool,
        idle: Duration,
    ) -> StateFuture<'a, bool>;

    /// End the session; `false` when there was none.
    fn end<'a>(&'a self, id: &'a str) -> StateFuture<'a, bool>;

    /// Tell the other replicas of a resource change (a store shared by
    /// replicas); the default, for one process, has no one to tell.
    fn announce<'a>(&'a self, announcement: &'a Announcement) -> StateFuture<'a, ()> {
        let _ = announcement;
        ready(Ok(()))
    }

    /// From now on, hand the other replicas' announcements to `deliver`
    /// (until it returns `false`: the server is gone). Called once, on the
    /// server's runtime; the default has none to hand.
    fn listen(&self, deliver: Listener) {
        let _ = deliver;
    }

    /// What the log calls this store (`in-process`, `redis`).
    fn kind(&self) -> &'static str;
}

/// A resource change, as one replica tells the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    /// The resource that changed.
    pub uri: String,
    /// Only the sessions acting for this tenant hear of it.
    pub tenant: Option<String>,
    /// The replica that announced it (which has delivered it already).
    pub origin: String,
}

/// What receives the other replicas' announcements (see
/// [`SessionStore::listen`]): `Some` to deliver one, `None` only to ask;
/// `false` once nothing is listening any more (the server is gone).
pub type Listener = Arc<dyn Fn(Option<Announcement>) -> bool + Send + Sync>;

/// Who a session belongs to: the key's name, or an access token's issuer
/// and subject (its client id without one); `anonymous` without
/// authentication.
pub fn owner_of(key: Option<&KeyIdentity>) -> String {
    match key {
        None => "anonymous".to_owned(),
        Some(k) => match &k.token {
            Some(t) => format!(
                "token:{}|{}",
                t.issuer,
                t.subject
                    .as_deref()
                    .or(t.client_id.as_deref())
                    .unwrap_or("")
            ),
            None => format!("key:{}", k.name),
        },
    }
}

/// Sessions in this process's memory: the default.
pub struct InMemorySessions {
    sessions: Mutex<HashMap<String, (SessionRecord, Instant)>>,
    max: usize,
}

impl InMemorySessions {
    /// An empty store of at most [`MAX_IN_MEMORY_SESSIONS`].
    pub fn new() -> InMemorySessions {
        InMemorySessions::with_capacity(MAX_IN_MEMORY_SESSIONS)
    }

    /// An empty store of at most `max` live sessions.
    pub fn with_capacity(max: usize) -> InMemorySessions {
        InMemorySessions {
            sessions: Mutex::new(HashMap::new()),
            max,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (SessionRecord, Instant)>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The live session under `id` (an expired one is removed), renewed.
    fn live<'m>(
        map: &'m mut HashMap<String, (SessionRecord, Instant)>,
        id: &str,
        idle: Duration,
    ) -> Option<&'m mut SessionRecord> {
        let now = Instant::now();
        if map.get(id).is_some_and(|(_, until)| *until <= now) {
            map.remove(id);
        }
        let (record, until) = map.get_mut(id)?;
        *until = now + idle;
        Some(record)
    }
}

impl Default for InMemorySessions {
    fn default() -> Self {
        InMemorySessions::new()
    }
}

fn ready<'a, T: Send + 'a>(v: Result<T, StateError>) -> StateFuture<'a, T> {
    Box::pin(std::future::ready(v))
}

impl SessionStore for InMemorySessions {
    fn create<'a>(
        &'a self,
        id: &'a str,
        record: &'a SessionRecord,
        idle: Duration,
    ) -> StateFuture<'a, ()> {
        let mut map = self.lock();
        let now = Instant::now();
        if map.len() >= self.max {
            map.retain(|_, (_, until)| *until > now);
        }
        if map.len() >= self.max {
            return ready(Err(StateError(format!(
                "{} sessions are live, the most this process keeps",
                self.max
            ))));
        }
        map.insert(id.to_owned(), (record.clone(), now + idle));
        ready(Ok(()))
    }

    fn touch<'a>(&'a self, id: &'a str, idle: Duration) -> StateFuture<'a, Option<SessionRecord>> {
        let mut map = self.lock();
        ready(Ok(
            InMemorySessions::live(&mut map, id, idle).map(|r| r.clone())
        ))
    }

    fn subscribe<'a>(
        &'a self,
        id: &'a str,
        uri: &'a str,
        on: bool,
        idle: Duration,
    ) -> StateFuture<'a, bool> {
        let mut map = self.lock();
        let found = InMemorySessions::live(&mut map, id, idle).map(|r| {
            if on {
                r.subscriptions.insert(uri.to_owned());
            } else {
                r.subscriptions.remove(uri);
            }
        });
        ready(Ok(found.is_some()))
    }

    fn end<'a>(&'a self, id: &'a str) -> StateFuture<'a, bool> {
        let now = Instant::now();
        let was = self.lock().remove(id).is_some_and(|(_, until)| until > now);
        ready(Ok(was))
    }

    fn kind(&self) -> &'static str {
        "in-process"
    }
}

/// How a server keeps sessions: given to the builder, for the dispatcher.
pub(crate) struct SessionConfig {
    pub(crate) store: Arc<dyn SessionStore>,
    pub(crate) idle: Duration,
    pub(crate) unreachable: Unreachable,
}

/// The sessions of one server: the store, and this process's streams.
pub(crate) struct Sessions {
    store: Arc<dyn SessionStore>,
    /// This replica, in its announcements.
    origin: String,
    /// Whether the store hands this replica the others' announcements yet.
    listening: std::sync::Once,
    idle: Duration,
    unreachable: Unreachable,
    pub(crate) hub: Arc<streams::Hub>,
    log: LogLimiter,
    /// The `subscriptions/listen` streams (2026-07-28) the other replicas'
    /// announcements reach too, once a listener opened.
    listeners: Arc<std::sync::OnceLock<Arc<listeners::Listeners>>>,
}

/// How sure a request's session is.
pub(crate) enum Checked {
    /// The store knows it, and it is the caller's.
    Verified(SessionRecord),
    /// The store did not answer and the policy is `allow`.
    Unverified,
}

/// The answer to a session that is not there (or not the caller's): the
/// same for both, so a caller cannot tell another caller's id from none.
pub(crate) fn not_found() -> RpcError {
    RpcError::new(
        codes::INVALID_REQUEST,
        "session not found: it expired or was ended; send `initialize` to start a new one",
    )
    .with_status(404)
}

pub(crate) fn unavailable() -> RpcError {
    RpcError::new(
        codes::INTERNAL_ERROR,
        "the server cannot check sessions now (its session store is unreachable); retry shortly",
    )
    .with_status(503)
}

impl Sessions {
    pub(crate) fn new(config: SessionConfig) -> Sessions {
        Sessions {
            store: config.store,
            origin: crate::auth::generate_secret()
                .unwrap_or_else(|_| format!("replica-{}-{:?}", std::process::id(), Instant::now())),
            listening: std::sync::Once::new(),
            idle: config.idle,
            unreachable: config.unreachable,
            hub: Arc::new(streams::Hub::new(config.idle)),
            log: LogLimiter::per_minute(5),
            listeners: Arc::default(),
        }
    }

    /// How long an unused session lives.
    pub(crate) fn idle(&self) -> Duration {
        self.idle
    }

    fn unreachable(&self, what: &str, e: &StateError) {
        if let Some(suppressed) = self.log.check() {
            tracing::warn!(
                store = self.store.kind(),
                error = %e,
                suppressed,
                policy = ?self.unreachable,
                "sessions: the store did not answer ({what})"
            );
        }
    }

    /// Have the store hand over the other replicas' announcements, once
    /// (on the runtime of the first request).
    fn listen(&self) {
        self.listening.call_once(|| {
            let hub = Arc::downgrade(&self.hub);
            let origin = self.origin.clone();
            let listeners = self.listeners.clone();
            self.store.listen(Arc::new(move |a: Option<Announcement>| {
                let Some(hub) = hub.upgrade() else {
                    return false;
                };
                if let Some(a) = a.filter(|a| a.origin != origin) {
                    deliver(&hub, &a.uri, a.tenant.as_deref());
                    if let Some(l) = listeners.get() {
                        l.publish(&a.uri, a.tenant.as_deref(), &resource_updated(&a.uri));
                    }
                }
                true
            }));
        });
    }

    /// Hand the other replicas' announcements to `listeners` too (from the
    /// first `subscriptions/listen` on).
    pub(crate) fn reach(&self, listeners: &Arc<listeners::Listeners>) {
        let _ = self.listeners.set(listeners.clone());
        self.listen();
    }

    /// Deliver here, and tell the other replicas (in the background: the
    /// caller never waits on the store).
    fn announce(&self, uri: &str, tenant: Option<&str>) -> usize {
        let sent = deliver(&self.hub, uri, tenant);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let store = self.store.clone();
            let a = Announcement {
                uri: uri.to_owned(),
                tenant: tenant.map(str::to_owned),
                origin: self.origin.clone(),
            };
            rt.spawn(async move {
                if let Err(e) = store.announce(&a).await {
                    tracing::warn!(
                        store = store.kind(),
                        error = %e,
                        uri = %a.uri,
                        "sessions: the other replicas were not told of a resource change"
                    );
                }
            });
        }
        sent
    }

    /// A new session for `owner`: its id.
    pub(crate) async fn open(
        &self,
        owner: String,
        tenant: Option<String>,
    ) -> Result<String, RpcError> {
        self.listen();
        let id = crate::auth::generate_secret().map_err(|e| {
            RpcError::new(
                codes::INTERNAL_ERROR,
                format!("cannot draw a session id: {e}"),
            )
        })?;
        // The secret's hex alone: a session id never looks like an API key (`mcp_…`).
        let id = id.trim_start_matches("mcp_").to_owned();
        let record = SessionRecord {
            owner,
            tenant,
            subscriptions: BTreeSet::new(),
        };
        match self.store.create(&id, &record, self.idle).await {
            Ok(()) => Ok(id),
            Err(e) => {
                self.unreachable("initialize", &e);
                match self.unreachable {
                    Unreachable::Allow => Ok(id),
                    Unreachable::Refuse => Err(unavailable()),
                }
            }
        }
    }

    /// The session `id` of `owner`, renewed. `strict` refuses an
    /// unverifiable one whatever the policy.
    pub(crate) async fn check(
        &self,
        id: &str,
        owner: &str,
        strict: bool,
    ) -> Result<Checked, RpcError> {
        self.listen();
        match self.store.touch(id, self.idle).await {
            Ok(Some(r)) if r.owner == owner => Ok(Checked::Verified(r)),
            Ok(_) => Err(not_found()),
            Err(e) => {
                self.unreachable("a request", &e);
                match (self.unreachable, strict) {
                    (Unreachable::Allow, false) => Ok(Checked::Unverified),
                    _ => Err(unavailable()),
                }
            }
        }
    }

    /// Subscribe (or not) the verified session `id` to `uri`.
    pub(crate) async fn subscribe(&self, id: &str, uri: &str, on: bool) -> Result<(), RpcError> {
        match self.store.subscribe(id, uri, on, self.idle).await {
            Ok(true) => {
                self.hub.subscribed(id, uri, on);
                Ok(())
            }
            Ok(false) => Err(not_found()),
            Err(e) => {
                self.unreachable("resources/subscribe", &e);
                Err(unavailable())
            }
        }
    }

    /// End the session `id` of `owner`, and close its streams here.
    pub(crate) async fn end(&self, id: &str, owner: &str) -> Result<(), RpcError> {
        let Checked::Verified(_) = self.check(id, owner, true).await? else {
            return Err(unavailable());
        };
        self.hub.end(id);
        match self.store.end(id).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(not_found()),
            Err(e) => {
                self.unreachable("DELETE", &e);
                Err(unavailable())
            }
        }
    }
}

/// Announces changes to the clients that asked to hear of them: from
/// [`Server::notifier`](crate::Server::notifier) or
/// [`ToolContext::notifier`](crate::ToolContext::notifier). Cheap to clone.
///
/// ```no_run
/// # fn f(server: &mcp_runtime::Server) {
/// let notifier = server.notifier();
/// // After the application changed what `test://watched` reads:
/// notifier.resource_updated("test://watched");
/// # }
/// ```
///
/// In the 2026-07-28 era it goes to every open `subscriptions/listen`
/// stream of this process whose `resourceSubscriptions` name the URI
/// (tagged with the stream's subscription id), with the same tenant rule.
///
/// `notifications/resources/updated` goes to every session subscribed to
/// the URI, on one of its `GET` streams (buffered for its resumption when
/// none is connected). With sessions off, or for a URI nobody subscribed
/// to, it does nothing. Across replicas (Redis) the other replicas are told
/// through Redis pub/sub, in the background, and deliver to the streams
/// they hold; the count returned is of the sessions of this replica.
#[derive(Clone, Default)]
pub struct Notifier {
    sessions: Option<Arc<Sessions>>,
    /// The `subscriptions/listen` streams (2026-07-28) of this process.
    listeners: Option<Arc<listeners::Listeners>>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("sessions", &self.sessions.is_some())
            .field("listeners", &self.listeners.is_some())
            .finish()
    }
}

impl Notifier {
    pub(crate) fn new(
        sessions: Option<Arc<Sessions>>,
        listeners: Option<Arc<listeners::Listeners>>,
    ) -> Notifier {
        Notifier {
            sessions,
            listeners,
        }
    }

    /// The resource at `uri` changed: tell every session subscribed to it.
    /// How many sessions it was sent to.
    ///
    /// For a resource whose content depends on the tenant, use
    /// [`resource_updated_for_tenant`](Self::resource_updated_for_tenant):
    /// this one tells every tenant's subscribers.
    pub fn resource_updated(&self, uri: &str) -> usize {
        self.announce(uri, None)
    }

    /// The resource at `uri` changed for `tenant` only: tell the sessions
    /// subscribed to it whose reads act for that tenant (a process's tenant,
    /// or a key bound to that one tenant). Other tenants' sessions hear
    /// nothing, not even that something changed.
    pub fn resource_updated_for_tenant(&self, tenant: &str, uri: &str) -> usize {
        self.announce(uri, Some(tenant))
    }

    fn announce(&self, uri: &str, tenant: Option<&str>) -> usize {
        let listening = self
            .listeners
            .as_ref()
            .map_or(0, |l| l.publish(uri, tenant, &resource_updated(uri)));
        listening
            + self
                .sessions
                .as_ref()
                .map_or(0, |s| s.announce(uri, tenant))
    }
}

/// `notifications/resources/updated` to the sessions here subscribed to `uri`.
fn deliver(hub: &streams::Hub, uri: &str, tenant: Option<&str>) -> usize {
    let message = resource_updated(uri);
    hub.publish(uri, tenant, &crate::jsonrpc::to_bytes(&message))
}

/// `notifications/resources/updated` for `uri`.
fn resource_updated(uri: &str) -> serde_json::Value {
    crate::jsonrpc::notification(
        "notifications/resources/updated",
        serde_json::json!({ "uri": uri }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    fn record(owner: &str) -> SessionRecord {
        SessionRecord {
            owner: owner.into(),
            tenant: None,
            subscriptions: BTreeSet::new(),
        }
    }

    #[test]
    fn in_memory_sessions_expire_when_idle_and_end_once() {
        let s = InMemorySessions::new();
        // Long enough for the steps, however loaded the machine; then a use
        // renews it for 1 ms only, and it expires.
        let idle = Duration::from_secs(60);
        s.create("a", &record("key:k"), idle)
            .now_or_never()
            .unwrap()
            .unwrap();
        let got = s.touch("a", idle).now_or_never().unwrap().unwrap();
        assert_eq!(got, Some(record("key:k")));
        assert!(
            s.subscribe("a", "test://x", true, idle)
                .now_or_never()
                .unwrap()
                .unwrap()
        );
        let short = Duration::from_millis(1);
        let got = s
            .touch("a", short)
            .now_or_never()
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(got.subscriptions.iter().collect::<Vec<_>>(), ["test://x"]);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(s.touch("a", idle).now_or_never().unwrap().unwrap(), None);
        assert!(
            !s.subscribe("a", "test://x", true, idle)
                .now_or_never()
                .unwrap()
                .unwrap()
        );
        s.create("b", &record("key:k"), idle)
            .now_or_never()
            .unwrap()
            .unwrap();
        assert!(s.end("b").now_or_never().unwrap().unwrap());
        assert!(!s.end("b").now_or_never().unwrap().unwrap());
    }

    #[test]
    fn a_full_in_memory_store_refuses_new_sessions() {
        let s = InMemorySessions::with_capacity(1);
        let idle = Duration::from_secs(60);
        s.create("a", &record("x"), idle)
            .now_or_never()
            .unwrap()
            .unwrap();
        let e = s
            .create("b", &record("x"), idle)
            .now_or_never()
            .unwrap()
            .unwrap_err();
        assert_eq!(e.0, "1 sessions are live, the most this process keeps");
    }

    #[test]
    fn owners_name_the_key_or_the_token_subject() {
        let key = KeyIdentity {
            name: "ci".into(),
            tenants: None,
            scopes: None,
            token: None,
        };
        assert_eq!(owner_of(Some(&key)), "key:ci");
        let token = KeyIdentity::api_key("oauth:app", None).with_token(
            crate::auth::TokenSubject::new("https://idp", Some("u1".into()), Some("app".into()), 0),
        );
        assert_eq!(owner_of(Some(&token)), "token:https://idp|u1");
        assert_eq!(owner_of(None), "anonymous");
    }
}
