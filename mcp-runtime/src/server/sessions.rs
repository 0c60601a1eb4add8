//! The builder's session options, and the sessions they make at build.

use std::sync::Arc;
use std::time::Duration;

/// The builder's session options (see [`ServerBuilder::sessions`]).
#[derive(Default)]
pub(super) struct SessionOptions {
    pub(super) on: Option<bool>,
    pub(super) idle: Option<Duration>,
    pub(super) store: Option<Arc<dyn crate::session::SessionStore>>,
}

impl SessionOptions {
    /// The sessions, when on: in the store given, else in memory. The
    /// memory's only failure is being full, which no policy lets through.
    pub(super) fn build(
        &mut self,
        unreachable: Option<crate::state::Unreachable>,
    ) -> Option<Arc<crate::session::Sessions>> {
        use crate::state::Unreachable;
        if self.on != Some(true) {
            return None;
        }
        let (store, unreachable) = match self.store.take() {
            Some(s) => (s, unreachable),
            None => (
                Arc::new(crate::session::InMemorySessions::new())
                    as Arc<dyn crate::session::SessionStore>,
                Some(Unreachable::Refuse),
            ),
        };
        let idle = self.idle.unwrap_or(crate::session::DEFAULT_IDLE);
        tracing::info!(
            store = store.kind(),
            idle_secs = idle.as_secs(),
            "handshake-era sessions on"
        );
        Some(Arc::new(crate::session::Sessions::new(
            crate::session::SessionConfig {
                store,
                idle,
                unreachable: unreachable.unwrap_or_default(),
            },
        )))
    }
}
