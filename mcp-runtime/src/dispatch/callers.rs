//! Who a message comes from, and what is remembered of each caller between
//! its requests: the capabilities it declared at `initialize` and the level
//! `logging/setLevel` set.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::auth::KeyIdentity;
use crate::context::LogLevel;

use super::Delivery;

/// Who may answer a question a call of `delivery` asks.
pub(super) fn caller(delivery: &Delivery) -> crate::input::stream::Caller {
    crate::input::stream::Caller {
        scope: delivery.scope,
        key: delivery
            .key
            .as_ref()
            .map_or_else(String::new, |k| k.name.clone()),
        session: delivery.session.as_deref().unwrap_or_default().to_owned(),
    }
}

/// How many callers' `initialize` capabilities are kept at most.
const MAX_REMEMBERED_CAPABILITIES: usize = 100_000;

/// The `capabilities` each caller declared at its last `initialize`, for
/// the handshake era, where later requests do not repeat them: the
/// session's when sessions are on; without sessions, stateless HTTP has
/// nothing else to hang them on, so they are the caller's (scope and key,
/// as `logging/setLevel`'s levels are): two clients sharing one key over
/// HTTP then share the last one's declaration. A request's own `_meta`
/// capabilities win over either.
#[derive(Default)]
pub(super) struct ClientCapabilities {
    by_caller: std::sync::Mutex<
        std::collections::HashMap<crate::input::stream::Caller, Arc<serde_json::Value>>,
    >,
    /// Whether any caller declared anything: until then a call takes no lock.
    any: std::sync::atomic::AtomicBool,
}

impl ClientCapabilities {
    pub(super) fn remember(
        &self,
        caller: &crate::input::stream::Caller,
        params: Option<&RawValue>,
    ) {
        #[derive(Deserialize)]
        struct Init {
            #[serde(default)]
            capabilities: serde_json::Value,
        }
        let caps = params
            .and_then(|p| serde_json::from_str::<Init>(p.get()).ok())
            .map_or(serde_json::Value::Null, |i| i.capabilities);
        let mut by_caller = self.by_caller.lock().unwrap_or_else(|e| e.into_inner());
        // Keys are few; sessions come and go. Past this many entries the
        // sessions' declarations are forgotten (their later questions then
        // count as undeclared) rather than kept forever.
        if by_caller.len() >= MAX_REMEMBERED_CAPABILITIES {
            by_caller.retain(|c, _| c.session.is_empty());
        }
        by_caller.insert(caller.clone(), Arc::new(caps));
        self.any.store(true, Ordering::Release);
    }

    pub(super) fn get(
        &self,
        caller: &crate::input::stream::Caller,
    ) -> Option<Arc<serde_json::Value>> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        self.by_caller
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(caller)
            .cloned()
    }
}

/// The levels `logging/setLevel` set, per caller (scope and key): one
/// caller's level never changes what another receives. Bounded by the
/// callers there are (keys, connections).
#[derive(Default)]
pub(super) struct LogLevels {
    levels: std::sync::Mutex<std::collections::HashMap<(u64, String), LogLevel>>,
    /// Whether any caller set a level: until then a call takes no lock.
    any: std::sync::atomic::AtomicBool,
}

impl LogLevels {
    pub(super) fn set(&self, scope: u64, key: Option<&KeyIdentity>, level: LogLevel) {
        let caller = (scope, key.map_or_else(String::new, |k| k.name.clone()));
        self.lock().insert(caller, level);
        self.any.store(true, Ordering::Release);
    }

    /// The caller's level; every level until it set one.
    pub(super) fn get(&self, scope: u64, key: Option<&KeyIdentity>) -> Option<LogLevel> {
        if !self.any.load(Ordering::Acquire) {
            return Some(LogLevel::Debug);
        }
        let levels = self.lock();
        let caller = (scope, key.map_or_else(String::new, |k| k.name.clone()));
        Some(levels.get(&caller).copied().unwrap_or(LogLevel::Debug))
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<(u64, String), LogLevel>> {
        self.levels.lock().unwrap_or_else(|e| e.into_inner())
    }
}
