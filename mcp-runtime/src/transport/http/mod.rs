//! MCP Streamable HTTP on axum: one POST endpoint, JSON or SSE answers,
//! bearer authentication, DNS-rebinding protection, size and depth limits.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use futures_util::stream;
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

mod body;
mod rebinding;
mod session;

use self::body::{acquire_or_wait, read_body};
use self::rebinding::check_rebinding;
use super::conn::Tracker;
use super::ops;
use crate::auth::{KeyIdentity, KeyStore};
use crate::context::CancellationToken;
use crate::dispatch::headers::McpHeaders;
use crate::dispatch::{Delivery, Dispatcher};
use crate::jsonrpc::{Reply, RpcError, codes, error_body, to_bytes};
use crate::limits::{Limits, LogLimiter, check_depth};
use crate::notify::notification_channel;
use crate::oauth::{self, TokenError, Verifier};

/// Limits and policies of the HTTP transport.
#[derive(Debug, Clone)]
pub(crate) struct HttpConfig {
    pub(crate) path: String,
    pub(crate) max_concurrent: usize,
    pub(crate) queue_timeout: Duration,
    /// Longest time to receive a request body, from the end of its head.
    pub(crate) body_read_timeout: Duration,
    /// Bytes of request bodies held at once, over all requests.
    pub(crate) body_budget_bytes: usize,
    /// Host header values (without port) accepted; empty = any.
    pub(crate) allowed_hosts: Vec<String>,
    /// Origin header values accepted; an absent Origin is always accepted.
    pub(crate) allowed_origins: Vec<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            path: "/mcp".into(),
            max_concurrent: 1024,
            queue_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            body_budget_bytes: 64 * 1024 * 1024,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
        }
    }
}

/// Whether hosts or origins of loopback names are to be accepted.
pub(crate) fn loopback_names() -> Vec<String> {
    vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()]
}

pub(crate) struct HttpState {
    pub(crate) dispatcher: Arc<Dispatcher>,
    pub(crate) keys: Option<Arc<KeyStore>>,
    /// Verifies OAuth access tokens, when configured.
    pub(crate) oauth: Option<Arc<Verifier>>,
    pub(crate) config: HttpConfig,
    pub(crate) limits: Limits,
    pub(crate) permits: Arc<Semaphore>,
    pub(crate) body_budget: Arc<Semaphore>,
    /// Refused-authentication log lines.
    pub(crate) refusal_log: LogLimiter,
}

/// Wraps the MCP endpoint's router in one user layer.
pub(crate) type LayerFn = Arc<dyn Fn(Router) -> Router + Send + Sync>;

/// What the application adds around the MCP endpoint.
#[derive(Clone, Default)]
pub(crate) struct AppParts {
    /// Tower layers around the MCP endpoint, innermost first.
    pub(crate) layers: Vec<LayerFn>,
    /// The application's own routes.
    pub(crate) routes: Option<Router>,
    /// Readiness checks for `/readyz`.
    pub(crate) checks: Vec<ops::Check>,
}

/// The axum router: MCP at the configured path (inside the user's layers),
/// `/healthz`, `/readyz`, and the application's own routes.
pub(crate) fn router(
    state: Arc<HttpState>,
    app: &AppParts,
    tracker: Option<Arc<Tracker>>,
) -> Result<Router, String> {
    let path = state.config.path.clone();
    let metadata = state.oauth.as_ref().map(|o| {
        if o.metadata.resource_path != path {
            tracing::warn!(
                resource_path = %o.metadata.resource_path,
                mcp_path = %path,
                "the OAuth resource URI's path is not the MCP endpoint's: clients that derive \
                 the resource from the URL they call will ask for tokens the server refuses"
            );
        }
        oauth::metadata::routes(o.clone())
    });
    let mut mcp = Router::new()
        .route(&path, axum::routing::any(mcp_endpoint))
        .with_state(state);
    for layer in &app.layers {
        mcp = layer(mcp);
    }
    let readiness = Arc::new(ops::Readiness {
        checks: app.checks.clone(),
        tracker,
        log: LogLimiter::per_minute(10),
    });
    let ops = Router::new()
        .route("/healthz", axum::routing::get(ops::healthz))
        .route("/readyz", axum::routing::get(ops::readyz))
        .with_state(readiness);
    let mut router = mcp;
    for part in [Some(ops), metadata, app.routes.clone()]
        .into_iter()
        .flatten()
    {
        // axum panics on overlapping routes: turned into an error at start.
        router = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| router.merge(part)))
            .map_err(|panic| {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                format!(
                    "the application's routes overlap the server's ({path}, /healthz, /readyz, \
                     {}): {why}",
                    oauth::metadata::WELL_KNOWN
                )
            })?;
    }
    Ok(router)
}

pub(super) fn json_response(status: u16, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

pub(super) fn rpc_error(status: StatusCode, code: i64, message: &str) -> Response {
    let err = RpcError::new(code, message);
    json_response(status.as_u16(), error_body(None, &err))
}

/// Headers of the MCP transport, as constants: a lookup by `HeaderName`
/// skips parsing and lower-casing the name on every request.
const MCP_PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");
const MCP_METHOD: HeaderName = HeaderName::from_static("mcp-method");
const MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");

pub(super) fn header_str<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Why a request was not authenticated.
enum Refused {
    /// No `Authorization: Bearer` header.
    Missing,
    /// A bearer value that matches no key (and is no JWT).
    InvalidKey,
    /// A JWT access token refused, and why.
    Token(TokenError),
}

fn unauthorized(oauth: Option<&Verifier>, why: Refused) -> Response {
    let (www, msg, status) = match (oauth, why) {
        (None, Refused::Missing) => (
            r#"Bearer realm="mcp""#.to_owned(),
            "unauthorized: send `Authorization: Bearer <key>`".to_owned(),
            StatusCode::UNAUTHORIZED,
        ),
        (None, _) => (
            r#"Bearer realm="mcp", error="invalid_token""#.to_owned(),
            "unauthorized: the bearer key is not valid".to_owned(),
            StatusCode::UNAUTHORIZED,
        ),
        // RFC 6750 §3.1: no error code when the request had no credentials.
        (Some(o), Refused::Missing) => (
            o.metadata.challenge(None, None),
            "unauthorized: send `Authorization: Bearer <access token>`".to_owned(),
            StatusCode::UNAUTHORIZED,
        ),
        (Some(o), Refused::InvalidKey) => {
            let why = "the bearer token is neither a valid API key nor a JWT access token";
            (
                o.metadata.challenge(Some(("invalid_token", why)), None),
                format!("unauthorized: {why}"),
                StatusCode::UNAUTHORIZED,
            )
        }
        (Some(o), Refused::Token(TokenError::Invalid(why))) => (
            o.metadata.challenge(Some(("invalid_token", &why)), None),
            format!("unauthorized: {why}"),
            StatusCode::UNAUTHORIZED,
        ),
        (Some(_), Refused::Token(TokenError::Unavailable(why))) => {
            let mut r = busy(&format!(
                "server busy: {why}; the access token could not be checked, retry later"
            ));
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            return r;
        }
    };
    let mut r = rpc_error(status, codes::UNAUTHORIZED, &msg);
    if let Ok(v) = HeaderValue::from_str(&www) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

/// The caller of a request: a JWT bearer value is verified as an access
/// token (when OAuth is configured), anything else as an API key.
async fn authenticate(
    state: &HttpState,
    headers: &HeaderMap,
) -> Result<Arc<KeyIdentity>, Response> {
    let oauth = state.oauth.as_deref();
    // Refusals are logged without the header's value.
    let missing = || {
        tracing::debug!(
            status = 401,
            "request refused: no `Authorization: Bearer` header"
        );
        unauthorized(oauth, Refused::Missing)
    };
    // The first refusals of each minute are logged, the rest counted into
    // the next line: a client hammering with a bad key cannot flood the log.
    let invalid = |why: Refused| {
        if let Some(suppressed) = state.refusal_log.check() {
            match &why {
                Refused::Token(TokenError::Invalid(reason) | TokenError::Unavailable(reason)) => {
                    tracing::warn!(status = 401, suppressed, reason = %reason, "request refused: access token not accepted")
                }
                _ => tracing::warn!(
                    status = 401,
                    suppressed,
                    "request refused: the bearer key matches no active key"
                ),
            }
        }
        unauthorized(oauth, why)
    };
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(missing());
    };
    let Ok(value) = value.to_str() else {
        return Err(invalid(Refused::InvalidKey));
    };
    let Some((scheme, token)) = value.split_once(' ') else {
        return Err(missing());
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(missing());
    }
    let token = token.trim();
    if let Some(o) = oauth
        && oauth::looks_like_jwt(token)
    {
        return o
            .verify(token)
            .await
            .map_err(|e| invalid(Refused::Token(e)));
    }
    state
        .keys
        .as_ref()
        .and_then(|keys| keys.verify(token))
        .ok_or_else(|| invalid(Refused::InvalidKey))
}

/// The authenticated caller, when the server authenticates (else `None`).
pub(super) async fn caller(
    state: &HttpState,
    headers: &HeaderMap,
) -> Result<Option<Arc<KeyIdentity>>, Response> {
    if state.keys.is_none() && state.oauth.is_none() {
        return Ok(None);
    }
    authenticate(state, headers).await.map(Some)
}

/// Marks a response the dispatcher produced (it counted the request itself).
#[derive(Clone, Copy)]
struct Dispatched;

async fn mcp_endpoint(State(state): State<Arc<HttpState>>, req: Request) -> Response {
    #[cfg(feature = "otel")]
    let response =
        crate::otel::http_request(req, &state.config.path, |req| endpoint(&state, req)).await;
    #[cfg(not(feature = "otel"))]
    let response = endpoint(&state, req).await;
    #[cfg(feature = "metrics")]
    if let Some(m) = &state.dispatcher.metrics
        && response.extensions().get::<Dispatched>().is_none()
    {
        use crate::telemetry::Refusal;
        let status = response.status().as_u16();
        m.request("http", status);
        let reason = match status {
            401 => Some(Refusal::Auth),
            413 => Some(Refusal::Size),
            408 => Some(Refusal::Timeout),
            503 => Some(Refusal::Busy),
            _ => None,
        };
        if let Some(r) = reason {
            m.refused(r);
        }
    }
    response
}

async fn endpoint(state: &Arc<HttpState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if let Err(r) = check_rebinding(&state.config, &parts.headers, &parts.uri) {
        return r;
    }
    if let (&Method::GET | &Method::DELETE, Some(sessions)) =
        (&parts.method, &state.dispatcher.sessions)
    {
        return session::get_or_delete(state, &parts, sessions).await;
    }
    if parts.method != Method::POST {
        if state.dispatcher.sessions.is_some() {
            let mut r = rpc_error(
                StatusCode::METHOD_NOT_ALLOWED,
                codes::INVALID_REQUEST,
                "method not allowed: POST a JSON-RPC message, GET a session's stream, or DELETE \
                 a session",
            );
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, POST, DELETE"));
            return r;
        }
        let mut r = rpc_error(
            StatusCode::METHOD_NOT_ALLOWED,
            codes::INVALID_REQUEST,
            "method not allowed: this stateless server takes JSON-RPC messages by POST only",
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    let key = match caller(state, &parts.headers).await {
        Ok(k) => k,
        Err(r) => return r,
    };
    let headers = &parts.headers;
    let content_type = header_str(headers, &header::CONTENT_TYPE).unwrap_or("");
    if !content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
    {
        return rpc_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            codes::INVALID_REQUEST,
            "unsupported media type: send `Content-Type: application/json`",
        );
    }
    let accept = header_str(headers, &header::ACCEPT).unwrap_or("*/*");
    let (accepts_json, may_stream) = accepted_types(accept);
    if !accepts_json {
        return rpc_error(
            StatusCode::NOT_ACCEPTABLE,
            codes::INVALID_REQUEST,
            "not acceptable: the client must accept application/json (and text/event-stream)",
        );
    }
    if let Some(len) =
        header_str(headers, &header::CONTENT_LENGTH).and_then(|l| l.parse::<usize>().ok())
        && len > state.limits.max_message_bytes
    {
        return too_large(state.limits.max_message_bytes);
    }
    // A permit before the body is read: bodies being read count against the
    // concurrency limit, and their bytes against the body budget.
    let Some(permit) = acquire_or_wait(&state.permits, 1, state.config.queue_timeout).await else {
        return busy("server busy: too many concurrent requests; retry later");
    };
    let declared =
        header_str(headers, &header::CONTENT_LENGTH).and_then(|l| l.parse::<usize>().ok());
    let (bytes, budget) = match read_body(state, body, declared).await {
        Ok(read) => read,
        Err(r) => return r,
    };
    if let Err(e) = check_depth(&bytes, state.limits.max_json_depth) {
        return json_response(e.status, error_body(None, &e));
    }
    let trimmed = |name: &HeaderName| header_str(headers, name).map(|v| v.trim().to_owned());
    let params = headers
        .iter()
        .filter_map(|(name, value)| {
            let suffix = name.as_str().strip_prefix("mcp-param-")?;
            Some((suffix.to_owned(), value.to_str().ok()?.trim().to_owned()))
        })
        .collect();
    let mcp_headers = McpHeaders {
        protocol_version: trimmed(&MCP_PROTOCOL_VERSION),
        method: trimmed(&MCP_METHOD),
        name: trimmed(&MCP_NAME),
        params,
        session: trimmed(&session::MCP_SESSION_ID),
    };
    let mut response = dispatch(state, bytes, key, mcp_headers, may_stream, (permit, budget)).await;
    response.extensions_mut().insert(Dispatched);
    response
}

/// Whether an `Accept` value admits `application/json` and
/// `text/event-stream`: named (any case), by `*/*`, or by `application/*` /
/// `text/*`; parameters are ignored. One pass over the value.
pub(super) fn accepted_types(accept: &str) -> (bool, bool) {
    // What MCP clients send.
    if accept == "application/json, text/event-stream" {
        return (true, true);
    }
    let (mut json, mut sse) = (false, false);
    for a in accept.split(',') {
        let a = a.split(';').next().unwrap_or("").trim();
        if a == "*/*" {
            return (true, true);
        }
        json |=
            a.eq_ignore_ascii_case("application/json") || a.eq_ignore_ascii_case("application/*");
        sse |= a.eq_ignore_ascii_case("text/event-stream") || a.eq_ignore_ascii_case("text/*");
    }
    (json, sse)
}

pub(super) fn forbidden(message: &str) -> Response {
    rpc_error(StatusCode::FORBIDDEN, codes::INVALID_REQUEST, message)
}

pub(super) fn bad_request(message: &str) -> Response {
    rpc_error(StatusCode::BAD_REQUEST, codes::INVALID_REQUEST, message)
}

pub(super) fn busy(message: &str) -> Response {
    let mut r = rpc_error(
        StatusCode::SERVICE_UNAVAILABLE,
        codes::INTERNAL_ERROR,
        message,
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

pub(super) fn too_large(limit: usize) -> Response {
    rpc_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        codes::INVALID_REQUEST,
        &format!("payload too large: the limit is {limit} bytes"),
    )
}

/// Held for as long as a response is being produced: keeps its
/// concurrency permit, and cancels the call when dropped before the call
/// finished (the client went away).
pub(super) struct ResponseGuard {
    cancel: CancellationToken,
    pub(super) done: bool,
    /// The concurrency permit and the body budget.
    _permits: (OwnedSemaphorePermit, Option<OwnedSemaphorePermit>),
}

impl Drop for ResponseGuard {
    fn drop(&mut self) {
        if !self.done {
            self.cancel.cancel();
        }
    }
}

async fn dispatch(
    state: &HttpState,
    bytes: Bytes,
    key: Option<Arc<KeyIdentity>>,
    headers: McpHeaders,
    may_stream: bool,
    permits: (OwnedSemaphorePermit, Option<OwnedSemaphorePermit>),
) -> Response {
    let cancel = CancellationToken::new();
    let (tx, mut rx) = notification_channel();
    // A session's SSE answers are streams of its hub (ids, resumption):
    // for a message the dispatcher checked in a session.
    let hub = state.dispatcher.sessions.as_ref().map(|s| s.hub.clone());
    let entered = hub.as_ref().map(|_| Arc::new(std::sync::OnceLock::new()));
    let in_session = {
        let entered = entered.clone();
        move || hub.zip(entered.and_then(|e| e.get().cloned()))
    };
    let delivery = Delivery {
        key,
        notifier: may_stream.then_some(tx),
        cancel: cancel.clone(),
        headers: Some(headers),
        scope: 0,
        entered,
        ..Delivery::default()
    };
    let dispatcher = state.dispatcher.clone();
    let mut guard = ResponseGuard {
        cancel,
        done: false,
        _permits: permits,
    };
    let mut fut = Box::pin(async move { dispatcher.handle(&bytes, delivery).await });
    // Answer with plain JSON unless the tool sends a notification first. The
    // call is polled first: one that finishes at once never registers with
    // the notification channel (whatever it queued is drained below).
    let first = tokio::select! {
        biased;
        reply = &mut fut => {
            guard.done = true;
            // A tool that never yields finishes within this first poll with its
            // notifications still queued: send them (then the result) as SSE.
            let Some(first) = rx.try_recv() else {
                return reply_response(reply, state.oauth.as_deref());
            };
            if let Some((hub, id)) = in_session() {
                let sent = std::iter::once(first).chain(std::iter::from_fn(|| rx.try_recv()));
                return session::post_stream::<std::future::Ready<Reply>>(&hub, &id, sent.collect(), Err(reply));
            }
            let mut out = sse_event(&first).to_vec();
            while let Some(n) = rx.try_recv() {
                out.extend_from_slice(&sse_event(&n));
            }
            if let Some(body) = reply.body() {
                out.extend_from_slice(&sse_bytes(body));
            }
            return sse_response(Body::from(out));
        }
        Some(n) = rx.recv() => n,
    };
    if let Some((hub, id)) = in_session() {
        let call = session::Call { fut, rx, guard };
        return session::post_stream(&hub, &id, vec![first], Ok(call));
    }
    let head = sse_event(&first);
    let events = stream::unfold(Some((fut, rx, guard, Some(head))), |st| async move {
        let (mut fut, mut rx, mut guard, pending) = st?;
        if let Some(ev) = pending {
            return Some((Ok::<_, Infallible>(ev), Some((fut, rx, guard, None))));
        }
        tokio::select! {
            biased;
            Some(n) = rx.recv() => Some((Ok(sse_event(&n)), Some((fut, rx, guard, None)))),
            reply = &mut fut => {
                guard.done = true;
                let mut out = Vec::new();
                while let Some(n) = rx.try_recv() {
                    out.extend_from_slice(&sse_event(&n));
                }
                if let Some(body) = reply.body() {
                    out.extend_from_slice(&sse_bytes(body));
                }
                Some((Ok(Bytes::from(out)), None))
            }
        }
    });
    sse_response(Body::from_stream(events))
}

pub(super) fn sse_response(body: Body) -> Response {
    let mut r = Response::new(body);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

fn sse_bytes(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + 24);
    out.extend_from_slice(b"event: message\ndata: ");
    out.extend_from_slice(json);
    out.extend_from_slice(b"\n\n");
    out
}

fn sse_event(v: &Value) -> Bytes {
    if crate::notify::is_keep_alive(v) {
        return Bytes::from_static(b": keep-alive\n\n");
    }
    Bytes::from(sse_bytes(&to_bytes(v)))
}

fn reply_response(reply: Reply, oauth: Option<&Verifier>) -> Response {
    match reply {
        Reply::Response {
            status,
            body,
            insufficient_scope,
            session,
        } => {
            let mut r = json_response(status, body);
            if let Some(v) = session.and_then(|s| HeaderValue::from_str(&s).ok()) {
                r.headers_mut().insert(session::MCP_SESSION_ID, v);
            }
            // RFC 6750 §3.1: a token without the scopes a call needs.
            if let (Some(scope), Some(o)) = (insufficient_scope, oauth) {
                let why = "the access token lacks a scope this call needs";
                if let Ok(v) = HeaderValue::from_str(
                    &o.metadata
                        .challenge(Some(("insufficient_scope", why)), Some(&scope)),
                ) {
                    r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
                }
            }
            r
        }
        Reply::Accepted => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::ACCEPTED;
            r
        }
    }
}

/// Addresses a server without keys may serve on (with a generated key).
pub(crate) fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keep_alive_is_an_sse_comment_and_a_message_an_event() {
        assert_eq!(
            &sse_event(&crate::notify::keep_alive())[..],
            b": keep-alive\n\n"
        );
        assert_eq!(
            &sse_event(&serde_json::json!({"a": 1}))[..],
            b"event: message\ndata: {\"a\":1}\n\n"
        );
    }

    #[test]
    fn accept_values() {
        for (accept, want) in [
            ("application/json, text/event-stream", (true, true)),
            ("text/event-stream;q=0.9 , APPLICATION/JSON", (true, true)),
            ("*/*", (true, true)),
            ("application/*", (true, false)),
            ("text/*, application/json;q=1", (true, true)),
            ("text/event-stream", (false, true)),
            ("application/xml", (false, false)),
            ("", (false, false)),
        ] {
            assert_eq!(accepted_types(accept), want, "{accept}");
        }
    }
}
