//! State shared by the replicas of one server: today the rate limits, so
//! that `600/min` for a tenant means 600 across every replica behind the
//! load balancer, not 600 each.
//!
//! [`SharedState`] is the one trait; [`InProcess`] is the default (each
//! process counts alone, no I/O) and [`RedisState`] (feature `redis`,
//! `MCP_STATE_URL=redis://…`) counts in Redis, atomically, with one round
//! trip per call. Handshake-era sessions are kept beside it
//! (`session::SessionStore`, whose `RedisSessions` shares a
//! `RedisState`'s connection, timeout and prefix); the later cross-replica
//! state (the task store of the tasks extension) belongs here too.
//!
//! When the shared state cannot be reached, [`Unreachable`] decides: allow
//! the call (the default: a Redis outage must not stop every tool; a warning
//! is logged, at most a few lines a minute with the count of the others) or
//! refuse it with `server_error`. Neither blocks: every round trip is bounded
//! by a timeout (250 ms by default), and the client reconnects by itself.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use std::sync::Arc;

use crate::auth::KeyIdentity;
use crate::error::McpError;
use crate::limits::{Admission, Buckets, CallGate, LogLimiter, Rate, key_limited, tenant_limited};

/// A future of a shared-state answer.
pub type StateFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StateError>> + Send + 'a>>;

/// The shared state could not answer (unreachable, timed out, refused).
#[derive(Debug, Clone)]
pub struct StateError(pub String);

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StateError {}

/// State shared by all replicas of a server.
pub trait SharedState: Send + Sync + 'static {
    /// Take one call from each of `buckets` (a name and its [`Rate`]; token
    /// buckets with bursts of `rate.calls`), all or none: `Ok(None)` when
    /// every bucket had room (each then holds one call less), `Ok(Some((i,
    /// ms)))` when bucket `i` had none (nothing is taken) and the next call
    /// fits in `ms` milliseconds.
    fn take<'a>(&'a self, buckets: &'a [(&'a str, Rate)]) -> StateFuture<'a, Option<(usize, u64)>>;

    /// What the log calls this state (`in-process`, `redis`).
    fn kind(&self) -> &'static str;
}

/// What a call meets when the shared state cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unreachable {
    /// The call goes ahead, unlimited, with a warning in the log.
    #[default]
    Allow,
    /// The call is refused with `server_error` (retryable).
    Refuse,
}

impl std::str::FromStr for Unreachable {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "allow" => Ok(Unreachable::Allow),
            "refuse" => Ok(Unreachable::Refuse),
            other => Err(format!("`{other}` is neither `allow` nor `refuse`")),
        }
    }
}

/// Each process counts alone, in memory: the default.
pub struct InProcess {
    buckets: Mutex<std::collections::HashMap<Rate, Buckets>>,
}

impl InProcess {
    /// An empty store.
    pub fn new() -> InProcess {
        InProcess {
            buckets: Mutex::new(std::collections::HashMap::new()),
        }
    }
}

impl Default for InProcess {
    fn default() -> Self {
        InProcess::new()
    }
}

impl SharedState for InProcess {
    fn take<'a>(&'a self, buckets: &'a [(&'a str, Rate)]) -> StateFuture<'a, Option<(usize, u64)>> {
        let now = Instant::now();
        let mut all = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        // All or none: check every bucket first, then take.
        for (i, (name, rate)) in buckets.iter().enumerate() {
            let b = all.entry(*rate).or_insert_with(|| Buckets::new(*rate));
            if let Err(ms) = b.peek(name, now) {
                return Box::pin(std::future::ready(Ok(Some((i, ms)))));
            }
        }
        for (name, rate) in buckets {
            let b = all.entry(*rate).or_insert_with(|| Buckets::new(*rate));
            let _ = b.take(name, now);
        }
        Box::pin(std::future::ready(Ok(None)))
    }

    fn kind(&self) -> &'static str {
        "in-process"
    }
}

/// Rate limits counted in [`SharedState`] (Redis): across every replica.
pub(crate) struct SharedRateLimiter {
    state: Arc<dyn SharedState>,
    per_key: Option<Rate>,
    per_tenant: Option<Rate>,
    unreachable: Unreachable,
    log: LogLimiter,
    /// Told of each call the shared state did not answer, with the policy
    /// that decided it (the server counts them in its metrics).
    on_outage: Option<OutageHook>,
}

/// What [`SharedRateLimiter`] tells of an outage.
pub(crate) type OutageHook = Box<dyn Fn(Unreachable) + Send + Sync>;

impl SharedRateLimiter {
    pub(crate) fn new(
        state: Arc<dyn SharedState>,
        per_key: Option<Rate>,
        per_tenant: Option<Rate>,
        unreachable: Unreachable,
    ) -> Option<SharedRateLimiter> {
        (per_key.is_some() || per_tenant.is_some()).then(|| SharedRateLimiter {
            state,
            per_key,
            per_tenant,
            unreachable,
            log: LogLimiter::per_minute(5),
            on_outage: None,
        })
    }

    /// Call `hook` for each call the shared state did not answer.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    pub(crate) fn on_outage(mut self, hook: OutageHook) -> SharedRateLimiter {
        self.on_outage = Some(hook);
        self
    }
}

impl CallGate for SharedRateLimiter {
    fn admit<'a>(&'a self, key: Option<&'a KeyIdentity>, tenant: Option<&'a str>) -> Admission<'a> {
        Admission::Later(Box::pin(async move {
            // One round trip for both limits; the names cannot collide
            // (`key:` and `tenant:` prefixes).
            let key_bucket = key
                .zip(self.per_key)
                .map(|(k, r)| (format!("key:{}", k.name), r));
            let tenant_bucket = tenant
                .zip(self.per_tenant)
                .map(|(t, r)| (format!("tenant:{t}"), r));
            let kinds: Vec<(bool, &str, Rate)> = key_bucket
                .iter()
                .map(|(n, r)| (true, n.as_str(), *r))
                .chain(tenant_bucket.iter().map(|(n, r)| (false, n.as_str(), *r)))
                .collect();
            if kinds.is_empty() {
                return Ok(());
            }
            let buckets: Vec<(&str, Rate)> = kinds.iter().map(|(_, n, r)| (*n, *r)).collect();
            match self.state.take(&buckets).await {
                Ok(None) => Ok(()),
                Ok(Some((i, ms))) if kinds[i].0 => Err(key_limited(ms)),
                Ok(Some((_, ms))) => Err(tenant_limited(ms)),
                Err(e) => {
                    if let Some(suppressed) = self.log.check() {
                        tracing::warn!(
                            state = self.state.kind(),
                            error = %e,
                            suppressed,
                            policy = ?self.unreachable,
                            "rate limits: the shared state did not answer"
                        );
                    }
                    if let Some(hook) = &self.on_outage {
                        hook(self.unreachable);
                    }
                    match self.unreachable {
                        Unreachable::Allow => Ok(()),
                        Unreachable::Refuse => Err(McpError::server(
                            "the server cannot check its rate limits now (its shared state is \
                             unreachable); retry shortly",
                        )),
                    }
                }
            }
        }))
    }
}

/// The bound on one round trip to the shared state, unless configured.
pub const DEFAULT_STATE_TIMEOUT: Duration = Duration::from_millis(250);

#[cfg(feature = "redis")]
pub use redis_state::RedisState;
#[cfg(feature = "redis")]
pub(crate) use redis_state::connect as redis_connect;

#[cfg(feature = "redis")]
mod redis_state {
    use super::*;

    /// GCRA over every bucket in one atomic script, on Redis's clock (one
    /// clock for every replica): a bucket's key holds its theoretical arrival
    /// time in ms; it expires when the bucket is full again.
    const TAKE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tats = {}
for i = 1, #KEYS do
  local emission = tonumber(ARGV[2 * i - 1])
  local tolerance = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local new_tat = tat + emission
  local wait = new_tat - tolerance - now
  if wait > 0 then return {i, math.ceil(wait)} end
  tats[i] = new_tat
end
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], string.format('%.3f', tats[i]), 'PX', math.max(1, math.ceil(tats[i] - now)))
end
return {0, 0}
";

    /// Rate limits counted in Redis, across every replica that names the
    /// same Redis and the same key prefix.
    pub struct RedisState {
        client: redis::Client,
        conn: tokio::sync::OnceCell<redis::aio::ConnectionManager>,
        script: redis::Script,
        prefix: String,
        timeout: Duration,
    }

    impl RedisState {
        /// A store at `url` (`redis://[user:password@]host[:port][/db]`),
        /// its keys under `prefix` (replicas of one server must share it; the
        /// builder uses `mcp:{server name}:`). Nothing is connected until the
        /// first call; a refused URL is an error now.
        pub fn new(url: &str, prefix: impl Into<String>) -> Result<RedisState, StateError> {
            let client = redis::Client::open(url)
                .map_err(|e| StateError(format!("`{}` is not a Redis URL: {e}", redact(url))))?;
            Ok(RedisState {
                client,
                conn: tokio::sync::OnceCell::new(),
                script: redis::Script::new(TAKE),
                prefix: prefix.into(),
                timeout: DEFAULT_STATE_TIMEOUT,
            })
        }

        /// Bound every round trip (and the first connection) by `timeout`.
        pub fn timeout(mut self, timeout: Duration) -> RedisState {
            self.timeout = timeout;
            self
        }

        /// The keys' prefix.
        pub(crate) fn prefix(&self) -> &str {
            &self.prefix
        }

        /// The client, for a connection of another kind (pub/sub).
        pub(crate) fn client(&self) -> &redis::Client {
            &self.client
        }

        /// The bound on one round trip.
        pub(crate) fn round_trip_timeout(&self) -> Duration {
            self.timeout
        }

        /// Run `round_trip` on the connection, the whole of it (the first
        /// connection included) bounded by the timeout.
        pub(crate) async fn bounded<T, F>(
            &self,
            round_trip: impl FnOnce(redis::aio::ConnectionManager) -> F,
        ) -> Result<T, StateError>
        where
            F: Future<Output = Result<T, redis::RedisError>>,
        {
            let run = async {
                let conn = self.connection().await?;
                round_trip(conn)
                    .await
                    .map_err(|e| StateError(format!("Redis: {e}")))
            };
            tokio::time::timeout(self.timeout, run).await.map_err(|_| {
                StateError(format!("Redis did not answer within {:?}", self.timeout))
            })?
        }

        async fn connection(&self) -> Result<redis::aio::ConnectionManager, StateError> {
            connect(&self.client, &self.conn, self.timeout).await
        }
    }

    /// The connection of `cell`, made on first use with `timeout` for the
    /// connection and every response (shared with the task store).
    pub(crate) async fn connect(
        client: &redis::Client,
        cell: &tokio::sync::OnceCell<redis::aio::ConnectionManager>,
        timeout: Duration,
    ) -> Result<redis::aio::ConnectionManager, StateError> {
        let conn = cell
            .get_or_try_init(|| async {
                let config = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout));
                redis::aio::ConnectionManager::new_with_config(client.clone(), config).await
            })
            .await
            .map_err(|e| StateError(format!("Redis unreachable: {e}")))?;
        Ok(conn.clone())
    }

    impl SharedState for RedisState {
        fn take<'a>(
            &'a self,
            buckets: &'a [(&'a str, Rate)],
        ) -> StateFuture<'a, Option<(usize, u64)>> {
            Box::pin(async move {
                let mut invocation = self.script.prepare_invoke();
                for (name, rate) in buckets {
                    let calls = f64::from(rate.calls.max(1));
                    let emission = rate.per.as_secs_f64() * 1000.0 / calls;
                    invocation
                        .key(format!("{}rl:{name}", self.prefix))
                        .arg(emission)
                        .arg(emission * calls);
                }
                let (i, ms): (usize, u64) = self
                    .bounded(|mut conn| async move { invocation.invoke_async(&mut conn).await })
                    .await?;
                Ok(if i == 0 {
                    None
                } else {
                    Some((i - 1, ms.max(1)))
                })
            })
        }

        fn kind(&self) -> &'static str {
            "redis"
        }
    }

    /// The URL without its password, for messages.
    fn redact(url: &str) -> String {
        match (url.find("://"), url.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
            _ => url.to_owned(),
        }
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn passwords_are_left_out_of_messages() {
            assert_eq!(
                super::redact("redis://u:hunter2@cache:6379/0"),
                "redis://…@cache:6379/0"
            );
            assert_eq!(
                super::redact("redis://127.0.0.1:6379"),
                "redis://127.0.0.1:6379"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(s: &InProcess, buckets: &[(&str, Rate)]) -> Option<(usize, u64)> {
        futures_util::FutureExt::now_or_never(s.take(buckets))
            .expect("in memory: ready at once")
            .expect("in memory: never unreachable")
    }

    #[test]
    fn in_process_takes_from_every_bucket_or_from_none() {
        let s = InProcess::new();
        let two = Rate::per_minute(2);
        let one = Rate::per_minute(1);
        assert_eq!(take(&s, &[("key:a", two), ("tenant:t", one)]), None);
        // The tenant is spent: refused by bucket 1, and key:a keeps its token.
        let (i, ms) = take(&s, &[("key:a", two), ("tenant:t", one)]).expect("refused");
        assert_eq!(i, 1);
        assert!((1..=60_000).contains(&ms), "{ms}");
        assert_eq!(take(&s, &[("key:a", two)]), None);
        assert!(take(&s, &[("key:a", two)]).is_some(), "two per minute");
    }

    #[test]
    fn the_unreachable_policy_parses_from_its_two_words() {
        assert_eq!("allow".parse::<Unreachable>(), Ok(Unreachable::Allow));
        assert_eq!(" refuse ".parse::<Unreachable>(), Ok(Unreachable::Refuse));
        assert_eq!(
            "open".parse::<Unreachable>(),
            Err("`open` is neither `allow` nor `refuse`".to_owned())
        );
    }
}
