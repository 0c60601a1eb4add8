//! Sessions in Redis (feature `redis`): every replica that names the same
//! Redis and prefix honours a session another replica created; a session
//! expires by the keys' TTL, which each use renews.
//!
//! Two keys a session: `{prefix}session:{id}` (the owner and tenant, JSON)
//! and `{prefix}session:{id}:subs` (a set of the URIs it subscribed to).
//! Resource updates go to the other replicas on the pub/sub channel
//! `{prefix}resources-updated` (an [`Announcement`] as JSON); a replica
//! whose subscription to it breaks reconnects, backing off up to 10 s, and
//! misses what was announced meanwhile (as a client's stream would).

use std::sync::Arc;
use std::time::Duration;

use super::{Announcement, Listener, SessionRecord, SessionStore, StateError, StateFuture};
use crate::limits::LogLimiter;
use crate::state::RedisState;

/// Renew both keys and read them, or `nil` when the session is gone.
const TOUCH: &str = r"
if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 0 then return false end
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return {redis.call('GET', KEYS[1]), redis.call('SMEMBERS', KEYS[2])}
";

/// Add (`ARGV[2]` = 1) or remove `ARGV[3]`, renewing both keys; 0 when the session is gone.
const SUBSCRIBE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[2] == '1' then redis.call('SADD', KEYS[2], ARGV[3]) else redis.call('SREM', KEYS[2], ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
";

/// Sessions kept in Redis, through the connection of a [`RedisState`].
pub struct RedisSessions {
    redis: Arc<RedisState>,
    touch: redis::Script,
    subscribe: redis::Script,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    owner: String,
    tenant: Option<String>,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl RedisSessions {
    /// Sessions under the prefix of `redis` (its connection, timeout and prefix).
    pub fn new(redis: Arc<RedisState>) -> RedisSessions {
        RedisSessions {
            redis,
            touch: redis::Script::new(TOUCH),
            subscribe: redis::Script::new(SUBSCRIBE),
        }
    }

    fn channel(&self) -> String {
        format!("{}resources-updated", self.redis.prefix())
    }

    fn keys(&self, id: &str) -> (String, String) {
        let base = format!("{}session:{id}", self.redis.prefix());
        let subs = format!("{base}:subs");
        (base, subs)
    }
}

impl SessionStore for RedisSessions {
    fn create<'a>(
        &'a self,
        id: &'a str,
        record: &'a SessionRecord,
        idle: Duration,
    ) -> StateFuture<'a, ()> {
        Box::pin(async move {
            let (key, _) = self.keys(id);
            let json = serde_json::to_string(&Stored {
                owner: record.owner.clone(),
                tenant: record.tenant.clone(),
            })
            .map_err(|e| StateError(format!("session record: {e}")))?;
            self.redis
                .bounded(|mut conn| async move {
                    redis::cmd("SET")
                        .arg(&key)
                        .arg(json)
                        .arg("PX")
                        .arg(ms(idle))
                        .query_async::<()>(&mut conn)
                        .await
                })
                .await
        })
    }

    fn touch<'a>(&'a self, id: &'a str, idle: Duration) -> StateFuture<'a, Option<SessionRecord>> {
        Box::pin(async move {
            let (key, subs) = self.keys(id);
            let got: Option<(String, Vec<String>)> = self
                .redis
                .bounded(|mut conn| async move {
                    self.touch
                        .key(key)
                        .key(subs)
                        .arg(ms(idle))
                        .invoke_async(&mut conn)
                        .await
                })
                .await?;
            let Some((json, subscriptions)) = got else {
                return Ok(None);
            };
            let stored: Stored = serde_json::from_str(&json)
                .map_err(|e| StateError(format!("session {id}: an unreadable record: {e}")))?;
            Ok(Some(SessionRecord {
                owner: stored.owner,
                tenant: stored.tenant,
                subscriptions: subscriptions.into_iter().collect(),
            }))
        })
    }

    fn subscribe<'a>(
        &'a self,
        id: &'a str,
        uri: &'a str,
        on: bool,
        idle: Duration,
    ) -> StateFuture<'a, bool> {
        Box::pin(async move {
            let (key, subs) = self.keys(id);
            let found: i64 = self
                .redis
                .bounded(|mut conn| async move {
                    self.subscribe
                        .key(key)
                        .key(subs)
                        .arg(ms(idle))
                        .arg(if on { "1" } else { "0" })
                        .arg(uri)
                        .invoke_async(&mut conn)
                        .await
                })
                .await?;
            Ok(found == 1)
        })
    }

    fn end<'a>(&'a self, id: &'a str) -> StateFuture<'a, bool> {
        Box::pin(async move {
            let (key, subs) = self.keys(id);
            let (removed, _): (i64, i64) = self
                .redis
                .bounded(|mut conn| async move {
                    redis::pipe()
                        .del(key)
                        .del(subs)
                        .query_async(&mut conn)
                        .await
                })
                .await?;
            Ok(removed == 1)
        })
    }

    fn announce<'a>(&'a self, announcement: &'a Announcement) -> StateFuture<'a, ()> {
        Box::pin(async move {
            let payload = serde_json::to_string(announcement)
                .map_err(|e| StateError(format!("announcement: {e}")))?;
            let channel = self.channel();
            self.redis
                .bounded(|mut conn| async move {
                    redis::cmd("PUBLISH")
                        .arg(channel)
                        .arg(payload)
                        .query_async::<()>(&mut conn)
                        .await
                })
                .await
        })
    }

    fn listen(&self, deliver: Listener) {
        let client = self.redis.client().clone();
        let channel = self.channel();
        let timeout = self.redis.round_trip_timeout();
        tokio::spawn(async move {
            let log = LogLimiter::per_minute(2);
            let mut backoff = Duration::from_millis(100);
            loop {
                let subscribed = tokio::time::timeout(timeout, async {
                    let mut pubsub = client.get_async_pubsub().await?;
                    pubsub.subscribe(&channel).await?;
                    Ok::<_, redis::RedisError>(pubsub)
                })
                .await;
                match subscribed {
                    Ok(Ok(pubsub)) => {
                        backoff = Duration::from_millis(100);
                        let mut messages = pubsub.into_on_message();
                        while let Some(m) = futures_util::StreamExt::next(&mut messages).await {
                            let Ok(a) =
                                serde_json::from_slice::<Announcement>(m.get_payload_bytes())
                            else {
                                continue;
                            };
                            if !deliver(Some(a)) {
                                return;
                            }
                        }
                    }
                    Ok(Err(e)) => {
                        if let Some(suppressed) = log.check() {
                            tracing::warn!(error = %e, suppressed, "sessions: cannot hear the other replicas' resource updates (Redis); retrying");
                        }
                    }
                    Err(_) => {
                        if let Some(suppressed) = log.check() {
                            tracing::warn!(
                                suppressed,
                                "sessions: Redis did not answer the subscription to the other replicas' resource updates; retrying"
                            );
                        }
                    }
                }
                // The server may be gone while Redis was: ask before waiting on.
                if !deliver(None) {
                    return;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        });
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}
