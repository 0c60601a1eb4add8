//! What every transport bounds: message size and JSON nesting depth
//! ([`Limits`], checked before a message is parsed), and the checks run
//! before a tool is called ([`CallGate`]; rate limits per API key and per
//! tenant, as token buckets).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::auth::KeyIdentity;
use crate::error::McpError;
use crate::jsonrpc::{RpcError, codes};

/// Limits on one message, the same on every transport.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Largest message (an HTTP body, a stdio line), in bytes.
    pub(crate) max_message_bytes: usize,
    /// Deepest JSON nesting accepted.
    pub(crate) max_json_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 4 * 1024 * 1024,
            max_json_depth: 64,
        }
    }
}

/// Checks run before a tool is called, once the caller and tenant are known.
pub(crate) trait CallGate: Send + Sync {
    /// `Err` refuses the call with that error: decided at once by a gate in
    /// memory, after a round trip by one on shared state.
    fn admit<'a>(&'a self, key: Option<&'a KeyIdentity>, tenant: Option<&'a str>) -> Admission<'a>;
}

/// A gate's answer.
pub(crate) enum Admission<'a> {
    /// Decided without waiting.
    Now(Result<(), McpError>),
    /// Decided once the shared state answers.
    Later(Pin<Box<dyn Future<Output = Result<(), McpError>> + Send + 'a>>),
}

impl Admission<'_> {
    /// The answer.
    pub(crate) async fn decided(self) -> Result<(), McpError> {
        match self {
            Admission::Now(r) => r,
            Admission::Later(f) => f.await,
        }
    }
}

/// A rate: `calls` per `per`, with bursts up to `calls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    /// Calls allowed per period (also the burst size).
    pub calls: u32,
    /// The period.
    pub per: Duration,
}

impl Rate {
    /// `calls` per minute.
    pub fn per_minute(calls: u32) -> Rate {
        Rate {
            calls,
            per: Duration::from_secs(60),
        }
    }

    /// `calls` per second.
    pub fn per_second(calls: u32) -> Rate {
        Rate {
            calls,
            per: Duration::from_secs(1),
        }
    }
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Token buckets keyed by name. Memory stays bounded without a scan on every
/// call: buckets idle for a whole period (full again, so forgetting them
/// changes nothing) are swept at most once a period, and at most
/// [`MAX_BUCKETS`] exist: a new name beyond that is refused until the next
/// sweep (a flood of distinct tenant ids is itself abuse).
pub(crate) struct Buckets {
    rate: Rate,
    state: Mutex<BucketMap>,
}

struct BucketMap {
    map: HashMap<String, Bucket>,
    last_sweep: Instant,
}

/// Most buckets held at once, per limit.
const MAX_BUCKETS: usize = 100_000;

impl Buckets {
    pub(crate) fn new(rate: Rate) -> Self {
        Buckets {
            rate,
            state: Mutex::new(BucketMap {
                map: HashMap::new(),
                last_sweep: Instant::now(),
            }),
        }
    }

    /// Take one token; `Err(ms)` says how long until one is available.
    pub(crate) fn take(&self, key: &str, now: Instant) -> Result<(), u64> {
        self.check(key, now, true)
    }

    /// Whether [`take`](Self::take) would succeed, taking nothing.
    pub(crate) fn peek(&self, key: &str, now: Instant) -> Result<(), u64> {
        self.check(key, now, false)
    }

    fn check(&self, key: &str, now: Instant, consume: bool) -> Result<(), u64> {
        let capacity = f64::from(self.rate.calls.max(1));
        let per_ms = self.rate.per.as_secs_f64() * 1000.0 / capacity;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let horizon = self.rate.per;
        if now.saturating_duration_since(state.last_sweep) >= horizon {
            state
                .map
                .retain(|_, b| now.saturating_duration_since(b.last) < horizon);
            state.last_sweep = now;
        }
        if state.map.len() >= MAX_BUCKETS && !state.map.contains_key(key) {
            let next_sweep =
                horizon.saturating_sub(now.saturating_duration_since(state.last_sweep));
            return Err(next_sweep.as_millis().max(1) as u64);
        }
        let b = state.map.entry(key.to_owned()).or_insert(Bucket {
            tokens: capacity,
            last: now,
        });
        let elapsed_ms = now.saturating_duration_since(b.last).as_secs_f64() * 1000.0;
        b.tokens = (b.tokens + elapsed_ms / per_ms).min(capacity);
        b.last = now;
        if b.tokens >= 1.0 {
            if consume {
                b.tokens -= 1.0;
            }
            Ok(())
        } else {
            Err(((1.0 - b.tokens) * per_ms).ceil() as u64)
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map
            .len()
    }
}

/// Rate limits applied to every `tools/call` before the tool runs.
pub(crate) struct RateLimiter {
    per_key: Option<Buckets>,
    per_tenant: Option<Buckets>,
}

impl RateLimiter {
    pub(crate) fn new(per_key: Option<Rate>, per_tenant: Option<Rate>) -> Option<RateLimiter> {
        (per_key.is_some() || per_tenant.is_some()).then(|| RateLimiter {
            per_key: per_key.map(Buckets::new),
            per_tenant: per_tenant.map(Buckets::new),
        })
    }
}

impl CallGate for RateLimiter {
    fn admit<'a>(&'a self, key: Option<&'a KeyIdentity>, tenant: Option<&'a str>) -> Admission<'a> {
        Admission::Now(self.admit_now(key, tenant))
    }
}

pub(crate) fn key_limited(ms: u64) -> McpError {
    McpError::rate_limit(
        format!("too many calls for this API key; retry in {ms} ms"),
        ms,
    )
}

pub(crate) fn tenant_limited(ms: u64) -> McpError {
    McpError::rate_limit(
        format!("too many calls for this tenant; retry in {ms} ms"),
        ms,
    )
}

impl RateLimiter {
    fn admit_now(&self, key: Option<&KeyIdentity>, tenant: Option<&str>) -> Result<(), McpError> {
        let now = Instant::now();
        if let (Some(b), Some(k)) = (&self.per_key, key) {
            b.take(&k.name, now).map_err(key_limited)?;
        }
        if let (Some(b), Some(t)) = (&self.per_tenant, tenant) {
            b.take(t, now).map_err(tenant_limited)?;
        }
        Ok(())
    }
}

/// Calls in flight per API key and per tenant, each capped, so that one
/// tenant (or key) whose calls stall cannot take every slot of the server.
/// A call over a cap is refused at once with `rate_limit`.
pub(crate) struct ConcurrencyLimits {
    per_key: Option<Cap>,
    per_tenant: Option<Cap>,
}

/// In-flight counts by name; a name leaves at zero, so the map holds at
/// most the names with calls in flight.
struct Cap {
    max: usize,
    what: &'static str,
    counts: Mutex<HashMap<Arc<str>, usize>>,
}

impl Cap {
    fn new(max: usize, what: &'static str) -> Cap {
        Cap {
            max,
            what,
            counts: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<str>, usize>> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Count a call of `name` in, if it fits; the name as the map holds it.
    fn enter(&self, name: &str) -> Result<Arc<str>, McpError> {
        let mut counts = self.lock();
        if let Some((held, n)) = counts.get_key_value(name) {
            if *n >= self.max {
                return Err(McpError::rate_limit(
                    format!(
                        "too many calls in flight for this {} (at most {}); retry shortly",
                        self.what, self.max
                    ),
                    100,
                ));
            }
            let held = held.clone();
            *counts.get_mut(name).expect("just found") += 1;
            return Ok(held);
        }
        let held: Arc<str> = Arc::from(name);
        counts.insert(held.clone(), 1);
        Ok(held)
    }

    fn leave(&self, name: &str) {
        let mut counts = self.lock();
        if let Some(n) = counts.get_mut(name) {
            *n -= 1;
            if *n == 0 {
                counts.remove(name);
            }
        }
    }
}

/// A call's places under [`ConcurrencyLimits`]; released when dropped.
pub(crate) struct Slots<'l> {
    limits: &'l ConcurrencyLimits,
    key: Option<Arc<str>>,
    tenant: Option<Arc<str>>,
}

impl Drop for Slots<'_> {
    fn drop(&mut self) {
        if let (Some(cap), Some(name)) = (&self.limits.per_key, &self.key) {
            cap.leave(name);
        }
        if let (Some(cap), Some(name)) = (&self.limits.per_tenant, &self.tenant) {
            cap.leave(name);
        }
    }
}

impl ConcurrencyLimits {
    pub(crate) fn new(per_key: Option<usize>, per_tenant: Option<usize>) -> Option<Self> {
        (per_key.is_some() || per_tenant.is_some()).then(|| ConcurrencyLimits {
            per_key: per_key.map(|n| Cap::new(n, "API key")),
            per_tenant: per_tenant.map(|n| Cap::new(n, "tenant")),
        })
    }

    /// Take a place for a call of `key` for `tenant`, or refuse it.
    pub(crate) fn enter(
        &self,
        key: Option<&KeyIdentity>,
        tenant: Option<&str>,
    ) -> Result<Slots<'_>, McpError> {
        let mut slots = Slots {
            limits: self,
            key: None,
            tenant: None,
        };
        if let (Some(cap), Some(k)) = (&self.per_key, key) {
            slots.key = Some(cap.enter(&k.name)?);
        }
        if let (Some(cap), Some(t)) = (&self.per_tenant, tenant) {
            // On refusal, `slots` gives back the key's place as it drops.
            slots.tenant = Some(cap.enter(t)?);
        }
        Ok(slots)
    }
}

/// Keeps a repeated log line from flooding the log: the first `n` events of
/// each window are logged, the rest counted, and the count reported with the
/// next line logged.
pub(crate) struct LogLimiter {
    per_window: u32,
    window: Duration,
    state: Mutex<LogWindow>,
}

struct LogWindow {
    started: Instant,
    logged: u32,
    suppressed: u64,
}

impl LogLimiter {
    /// At most `n` lines a minute.
    pub(crate) fn per_minute(n: u32) -> LogLimiter {
        LogLimiter {
            per_window: n,
            window: Duration::from_secs(60),
            state: Mutex::new(LogWindow {
                started: Instant::now(),
                logged: 0,
                suppressed: 0,
            }),
        }
    }

    /// `Some(lines suppressed since the last one logged)` when this event is
    /// to be logged, `None` when it is only counted.
    pub(crate) fn check(&self) -> Option<u64> {
        self.check_at(Instant::now())
    }

    fn check_at(&self, now: Instant) -> Option<u64> {
        let mut w = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if now.duration_since(w.started) >= self.window {
            w.started = now;
            w.logged = 0;
        }
        if w.logged < self.per_window {
            w.logged += 1;
            Some(std::mem::take(&mut w.suppressed))
        } else {
            w.suppressed += 1;
            None
        }
    }
}

/// Refuse a message nested deeper than `limit` (before it is parsed), with
/// the JSON-RPC error every transport answers it with.
pub(crate) fn check_depth(bytes: &[u8], limit: usize) -> Result<(), RpcError> {
    if json_depth_exceeds(bytes, limit) {
        return Err(RpcError::new(
            codes::INVALID_REQUEST,
            format!("invalid request: JSON nested deeper than {limit} levels"),
        ));
    }
    Ok(())
}

/// The deepest nesting of arrays and objects in a JSON text, stopping early
/// once `limit` is exceeded (so a hostile body costs at most one scan).
fn json_depth_exceeds(bytes: &[u8], limit: usize) -> bool {
    // The depth never exceeds the number of `[` and `{` bytes, those inside
    // strings included: when there are no more than `limit` of them, which a
    // vectorized count tells cheaply, the body passes without a scan.
    // (`b | 0x20` maps exactly `[` and `{` to `{`; a `u32` count per 64 KiB
    // chunk is what the compiler vectorizes best.)
    let opening: usize = bytes
        .chunks(1 << 16)
        .map(|c| c.iter().fold(0u32, |n, &b| n + u32::from(b | 0x20 == b'{')) as usize)
        .sum();
    if opening <= limit {
        return false;
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_a_burst_then_says_when_to_retry() {
        let b = Buckets::new(Rate::per_second(2));
        let t0 = Instant::now();
        assert!(b.take("k", t0).is_ok());
        assert!(b.take("k", t0).is_ok());
        let wait = b.take("k", t0).unwrap_err();
        assert!((1..=500).contains(&wait), "{wait}");
        assert!(b.take("other", t0).is_ok(), "buckets are per key");
        assert!(
            b.take("k", t0 + Duration::from_millis(500)).is_ok(),
            "refills over time"
        );
    }

    #[test]
    fn idle_buckets_are_swept_once_a_period_and_their_number_is_capped() {
        let b = Buckets::new(Rate::per_second(5));
        let t0 = Instant::now();
        for i in 0..1000 {
            assert!(b.take(&format!("tenant-{i}"), t0).is_ok());
        }
        assert_eq!(b.len(), 1000);
        let later = t0 + Duration::from_millis(1500);
        assert!(b.take("fresh", later).is_ok());
        assert_eq!(b.len(), 1, "the idle buckets went in one sweep");
        // At the cap, a new name waits for the next sweep; known names go on.
        let full = Buckets::new(Rate::per_second(5));
        for i in 0..MAX_BUCKETS {
            assert!(full.take(&i.to_string(), t0).is_ok());
        }
        let wait = full.take("one-too-many", t0).unwrap_err();
        assert!((1..=1000).contains(&wait), "{wait}");
        assert!(full.take("7", t0).is_ok());
    }

    #[test]
    fn log_limiter_keeps_the_first_lines_and_counts_the_rest() {
        let l = LogLimiter::per_minute(2);
        let t0 = Instant::now();
        assert_eq!(l.check_at(t0), Some(0));
        assert_eq!(l.check_at(t0), Some(0));
        for _ in 0..5 {
            assert_eq!(l.check_at(t0), None);
        }
        let later = t0 + Duration::from_secs(61);
        assert_eq!(
            l.check_at(later),
            Some(5),
            "the next line logged says how many were dropped"
        );
        assert_eq!(l.check_at(later), Some(0));
        assert_eq!(l.check_at(later), None);
    }

    #[test]
    fn depth_ignores_brackets_in_strings() {
        assert!(!json_depth_exceeds(
            br#"{"a":"[[[[[[[[[[","b":[1,{"c":2}]}"#,
            3
        ));
        assert!(json_depth_exceeds(br#"{"a":[[[1]]]}"#, 3));
        assert!(!json_depth_exceeds(br#"{"a":"\"[[[[","b":1}"#, 1));
    }
}
