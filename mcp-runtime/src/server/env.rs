//! The variables `build` reads: what the builder was not given comes from
//! the environment (`MCP_RATE_LIMIT_*`, `MCP_*_TIMEOUT_SECS`,
//! `MCP_SESSIONS`, `MCP_REQUEST_STATE_KEY`, ...), and the shared state the
//! limits, sessions and tasks live in from `MCP_STATE_URL`.

use super::*;

impl ServerBuilder {
    /// The shared state the limits are counted in, from the builder or
    /// `MCP_STATE_URL` (`MCP_STATE_TIMEOUT_MS`, `MCP_STATE_UNREACHABLE`).
    pub(super) fn shared_state_from_env(&mut self) -> Result<Option<SharedLimits>, BuildError> {
        let unreachable = match (
            self.state_unreachable,
            config::var(config::STATE_UNREACHABLE),
        ) {
            (Some(p), _) => p,
            (None, Some(v)) => v
                .parse()
                .map_err(|e| BuildError::State(format!("MCP_STATE_UNREACHABLE={v}: {e}")))?,
            (None, None) => crate::state::Unreachable::default(),
        };
        if let Some(state) = self.shared_state.take() {
            return Ok(Some((state, unreachable)));
        }
        let Some(url) = config::var(config::STATE_URL) else {
            return Ok(None);
        };
        #[cfg(feature = "redis")]
        {
            let timeout = match config::var(config::STATE_TIMEOUT_MS) {
                None => crate::state::DEFAULT_STATE_TIMEOUT,
                Some(v) => match v.trim().parse::<u64>() {
                    Ok(ms) if ms > 0 => Duration::from_millis(ms),
                    _ => {
                        return Err(BuildError::State(format!(
                            "MCP_STATE_TIMEOUT_MS={v}: a number of milliseconds above 0"
                        )));
                    }
                },
            };
            if !(url.starts_with("redis://")
                || url.starts_with("rediss://")
                || url.starts_with("redis+unix://"))
            {
                return Err(BuildError::State(
                    "MCP_STATE_URL must be a redis:// URL (the only shared state there is)".into(),
                ));
            }
            let prefix = format!("mcp:{}:", self.info.name);
            let state = crate::state::RedisState::new(&url, prefix.clone())
                .map_err(|e| BuildError::State(format!("MCP_STATE_URL: {e}")))?
                .timeout(timeout);
            let state = Arc::new(state);
            if self.sessions.store.is_none() {
                let redis = crate::session::RedisSessions::new(state.clone());
                self.sessions.store = Some(Arc::new(redis));
            }
            // Tasks live there too, so that any replica serves any task.
            if self.task_store.is_none() {
                let tasks = crate::task::RedisTaskStore::new(&url, prefix)
                    .map_err(|e| BuildError::State(format!("MCP_STATE_URL: {e}")))?
                    .timeout(timeout);
                self.task_store = Some(Arc::new(tasks));
            }
            Ok(Some((state, unreachable)))
        }
        #[cfg(not(feature = "redis"))]
        {
            let _ = url;
            Err(BuildError::State(
                "MCP_STATE_URL is set, but this server was built without the `redis` feature \
                 (rate limits would silently be counted per replica)"
                    .into(),
            ))
        }
    }

    /// The variables of what the builder was not given (see
    /// [`build`](Self::build)). Each is checked even where the builder's
    /// value wins, so a bad one never goes unnoticed.
    pub(super) fn read_env(&mut self) -> Result<(), String> {
        let per_key = config::parsed(config::RATE_LIMIT_PER_KEY, config::parse_rate)?;
        let per_tenant = config::parsed(config::RATE_LIMIT_PER_TENANT, config::parse_rate)?;
        let call = config::parsed(config::CALL_TIMEOUT_SECS, config::parse_secs)?;
        let shutdown = config::parsed(config::SHUTDOWN_TIMEOUT_SECS, config::parse_secs)?;
        let sessions = config::parsed(config::SESSIONS, config::parse_switch)?;
        let idle = config::parsed(config::SESSION_IDLE_SECS, config::parse_secs)?;
        self.sessions.on = self.sessions.on.or(sessions);
        self.sessions.idle = self.sessions.idle.or(idle);
        self.rate_per_key = self.rate_per_key.or(per_key);
        self.rate_per_tenant = self.rate_per_tenant.or(per_tenant);
        if let Some(d) = call.filter(|_| !self.call_timeout_set) {
            self.dispatch.call_timeout = d;
        }
        if let Some(d) = shutdown.filter(|_| !self.shutdown_timeout_set) {
            self.serving.shutdown_timeout = d;
        }
        let input = config::parsed(config::INPUT_TIMEOUT_SECS, config::parse_secs)?;
        if let Some(d) = input.filter(|_| !self.input_timeout_set) {
            self.dispatch.input_timeout = d;
        }
        let keys = config::request_state_keys()?;
        if !self.request_state_set {
            match keys {
                Some(k) => self.dispatch.request_state = k,
                None => {
                    static ONCE: std::sync::Once = std::sync::Once::new();
                    ONCE.call_once(|| {
                        tracing::info!(
                            "no MCP_REQUEST_STATE_KEY: the requestState of input-required calls is sealed \
                             with a random key of this process; replicas behind one address need a shared key"
                        );
                    });
                }
            }
        }
        Ok(())
    }
}
