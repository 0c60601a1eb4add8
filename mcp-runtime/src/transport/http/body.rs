//! Reading a request body within the size limit, the body read timeout and
//! the server's body budget.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{HttpState, bad_request, busy, rpc_error, too_large};
use crate::jsonrpc::codes;

/// `n` permits of `sem`, waiting up to `wait`.
pub(super) async fn acquire_or_wait(
    sem: &Arc<Semaphore>,
    n: u32,
    wait: Duration,
) -> Option<OwnedSemaphorePermit> {
    match sem.clone().try_acquire_many_owned(n) {
        Ok(p) => Some(p),
        Err(_) => tokio::time::timeout(wait, sem.clone().acquire_many_owned(n))
            .await
            .ok()?
            .ok(),
    }
}

/// Bodies up to this size do not take from the body budget.
const UNBUDGETED_BODY_BYTES: usize = 64 * 1024;

/// Read a request body within the size limit, the body read timeout and the
/// server's body budget: a declared length is reserved from the budget
/// before reading (waiting up to the queue timeout, then 503); a chunked
/// body takes its bytes from the budget as they arrive. The budget permit is
/// held until the response is done.
pub(super) async fn read_body(
    state: &HttpState,
    mut body: Body,
    declared: Option<usize>,
) -> Result<(Bytes, Option<OwnedSemaphorePermit>), Response> {
    use http_body_util::BodyExt as _;
    let limit = state.limits.max_message_bytes;
    let deadline = tokio::time::Instant::now() + state.config.body_read_timeout;
    let timed_out = || {
        let mut r = rpc_error(
            StatusCode::REQUEST_TIMEOUT,
            codes::INVALID_REQUEST,
            &format!(
                "request timeout: the body was not received within {} s",
                state.config.body_read_timeout.as_secs_f64()
            ),
        );
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        r
    };
    let budget_bytes = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let mut budget = match declared {
        // Small bodies are not counted: at most `max_concurrent` of them are
        // read at once, so they stay bounded, and a budget taken by large
        // bodies never holds up an ordinary call.
        Some(n) if n <= UNBUDGETED_BODY_BYTES => None,
        Some(n) => Some(
            acquire_or_wait(
                &state.body_budget,
                budget_bytes(n),
                state.config.queue_timeout,
            )
            .await
            .ok_or_else(|| busy("server busy: too many request bodies in flight; retry later"))?,
        ),
        None => None,
    };
    let mut first: Option<Bytes> = None;
    let mut rest: Vec<u8> = Vec::new();
    let mut len = 0usize;
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(timed_out()),
            Ok(None) => break,
            Ok(Some(Ok(frame))) => frame,
            // The body ended early (fewer bytes than `Content-Length`, a broken
            // chunked encoding): not a size problem, and nothing to parse.
            Ok(Some(Err(_))) => {
                return Err(bad_request(
                    "invalid request: the request body could not be read in full",
                ));
            }
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        len += data.len();
        if len > limit {
            return Err(too_large(limit));
        }
        if declared.is_none() && len > UNBUDGETED_BODY_BYTES {
            let more = tokio::time::timeout_at(
                deadline,
                state
                    .body_budget
                    .clone()
                    .acquire_many_owned(budget_bytes(data.len())),
            )
            .await
            .map_err(|_| timed_out())?
            .map_err(|_| busy("server busy: shutting down"))?;
            match &mut budget {
                Some(b) => b.merge(more),
                None => budget = Some(more),
            }
        }
        match &first {
            None if rest.is_empty() => first = Some(data),
            _ => {
                if let Some(f) = first.take() {
                    rest.reserve(declared.unwrap_or(0).max(f.len() + data.len()));
                    rest.extend_from_slice(&f);
                }
                rest.extend_from_slice(&data);
            }
        }
    }
    let bytes = match first {
        Some(b) => b,
        None => Bytes::from(rest),
    };
    Ok((bytes, budget))
}
