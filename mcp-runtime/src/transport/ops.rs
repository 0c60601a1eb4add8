//! What operators and orchestrators probe: `/healthz` (liveness: the
//! process answers, no dependencies) and `/readyz` (readiness: the checks
//! the application registered pass, and the server is not draining). Both
//! answer without authentication and say nothing secret: a failing check is
//! named, its detail logged.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::conn::Tracker;
use crate::limits::LogLimiter;

/// What a readiness check returns: `Err` says what is wrong (logged, not shown).
pub(crate) type ReadinessFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// A named readiness check.
#[derive(Clone)]
pub(crate) struct Check {
    pub(crate) name: String,
    pub(crate) run: Arc<dyn Fn() -> ReadinessFuture + Send + Sync>,
}

/// Longest a check may take before it counts as failing.
pub(crate) const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The readiness checks of a server, and whether it is draining.
pub(crate) struct Readiness {
    pub(crate) checks: Vec<Check>,
    /// The serving loop's tracker: draining once shutdown began. `None` for a
    /// router mounted elsewhere (its own server drains).
    pub(crate) tracker: Option<Arc<Tracker>>,
    pub(crate) log: LogLimiter,
}

pub(crate) async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

pub(crate) async fn readyz(State(readiness): State<Arc<Readiness>>) -> Response {
    if readiness.tracker.as_ref().is_some_and(|t| t.is_draining()) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "draining" })),
        )
            .into_response();
    }
    let results = futures_util::future::join_all(readiness.checks.iter().map(|c| async move {
        let outcome = match tokio::time::timeout(CHECK_TIMEOUT, (c.run)()).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer within {} s", CHECK_TIMEOUT.as_secs())),
        };
        (c.name.as_str(), outcome)
    }))
    .await;
    let mut checks = Map::new();
    let mut ready = true;
    for (name, outcome) in results {
        let state = match outcome {
            Ok(()) => "ok",
            Err(detail) => {
                ready = false;
                if let Some(suppressed) = readiness.log.check() {
                    tracing::warn!(check = name, %detail, suppressed, "readiness check failing");
                }
                "failing"
            }
        };
        checks.insert(name.to_owned(), Value::from(state));
    }
    let (status, word) = if ready {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not_ready")
    };
    (status, Json(json!({ "status": word, "checks": checks }))).into_response()
}
