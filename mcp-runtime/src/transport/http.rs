//! MCP Streamable HTTP on axum: one POST endpoint, JSON or SSE answers,
//! bearer authentication, DNS-rebinding protection, size and depth limits.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::uri::Authority;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use futures_util::stream;
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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

fn json_response(status: u16, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn rpc_error(status: StatusCode, code: i64, message: &str) -> Response {
    let err = RpcError::new(code, message);
    json_response(status.as_u16(), error_body(None, &err))
}

/// Headers of the MCP transport, as constants: a lookup by `HeaderName`
/// skips parsing and lower-casing the name on every request.
const MCP_PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");
const MCP_METHOD: HeaderName = HeaderName::from_static("mcp-method");
const MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");

fn header_str<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The host name of an authority (`host[:port]`, no user info), lowercased;
/// `[::1]:8080` → `[::1]`. `None` for anything else (`[::1].evil`,
/// `[::1]@evil.com`, a bad port). The `http` crate's authority parser
/// accepts some of these, so the host is held to RFC 3986's forms here: an
/// IPv6 literal in brackets, or a name or IPv4 address of letters, digits,
/// `-` and `.`.
fn authority_host(authority: &str) -> Option<String> {
    let parsed: Authority = authority.parse().ok()?;
    if parsed.as_str() != authority || authority.contains('@') {
        return None;
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(rest) => {
            let (inner, after) = rest.split_once(']')?;
            inner.parse::<std::net::Ipv6Addr>().ok()?;
            (&authority[..inner.len() + 2], after)
        }
        None => match authority.rsplit_once(':') {
            Some((h, _)) => (h, &authority[h.len()..]),
            None => (authority, ""),
        },
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok());
    let name_ok = host.starts_with('[')
        || (!host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
    (port_ok && name_ok).then(|| host.to_ascii_lowercase())
}

/// The host name of an `Origin` (`scheme://host[:port]`, http or https).
fn origin_host(origin: &str) -> Option<String> {
    let (scheme, authority) = origin.split_once("://")?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return None;
    }
    authority_host(authority)
}

fn forbidden(message: &str) -> Response {
    rpc_error(StatusCode::FORBIDDEN, codes::INVALID_REQUEST, message)
}

fn bad_request(message: &str) -> Response {
    rpc_error(StatusCode::BAD_REQUEST, codes::INVALID_REQUEST, message)
}

/// The one value of a header that may appear once: `Ok(None)` when absent,
/// `Err` when repeated or not text.
#[allow(clippy::result_large_err)]
fn single<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Result<Option<&'h str>, Response> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(bad_request(&format!(
            "invalid request: more than one {name} header"
        )));
    }
    first
        .map(|v| {
            v.to_str().map_err(|_| {
                bad_request(&format!("invalid request: the {name} header is not text"))
            })
        })
        .transpose()
}

// The refusal paths return the finished `Response` as their error: it is
// built once, on a path that ends the request, so its size costs nothing.
/// DNS-rebinding protection: the request's host (its `Host` header, or the
/// authority of an absolute-form target, which must then agree) and its
/// `Origin`, if any, must be allowed. Hosts compare case-insensitively.
#[allow(clippy::result_large_err)]
fn check_rebinding(config: &HttpConfig, headers: &HeaderMap, uri: &Uri) -> Result<(), Response> {
    let host = single(headers, &header::HOST)?;
    let origin = single(headers, &header::ORIGIN)?;
    let target = uri.authority().map(Authority::as_str);
    let host = match (host, target) {
        (Some(h), Some(t)) if !h.eq_ignore_ascii_case(t) => {
            return Err(bad_request(
                "invalid request: the Host header and the request target name different hosts",
            ));
        }
        (h, t) => h.or(t),
    };
    let allowed_host = |h: &str| {
        config
            .allowed_hosts
            .iter()
            .any(|a| a.eq_ignore_ascii_case(h))
    };
    if !config.allowed_hosts.is_empty()
        && !host
            .and_then(authority_host)
            .is_some_and(|h| allowed_host(&h))
    {
        return Err(forbidden("forbidden: Host header not allowed"));
    }
    if let Some(o) = origin {
        let allowed = config
            .allowed_origins
            .iter()
            .any(|a| a.eq_ignore_ascii_case(o))
            || origin_host(o).is_some_and(|h| allowed_host(&h));
        if !allowed {
            return Err(forbidden("forbidden: Origin not allowed"));
        }
    }
    Ok(())
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

/// Marks a response the dispatcher produced (it counted the request itself).
#[derive(Clone, Copy)]
struct Dispatched;

async fn mcp_endpoint(State(state): State<Arc<HttpState>>, req: Request) -> Response {
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
    if parts.method != Method::POST {
        let mut r = rpc_error(
            StatusCode::METHOD_NOT_ALLOWED,
            codes::INVALID_REQUEST,
            "method not allowed: this stateless server takes JSON-RPC messages by POST only",
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    let key = if state.keys.is_some() || state.oauth.is_some() {
        match authenticate(state, &parts.headers).await {
            Ok(k) => Some(k),
            Err(r) => return r,
        }
    } else {
        None
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
    };
    let mut response = dispatch(state, bytes, key, mcp_headers, may_stream, (permit, budget)).await;
    response.extensions_mut().insert(Dispatched);
    response
}

/// Whether an `Accept` value admits `application/json` and
/// `text/event-stream`: named (any case), by `*/*`, or by `application/*` /
/// `text/*`; parameters are ignored. One pass over the value.
fn accepted_types(accept: &str) -> (bool, bool) {
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

fn busy(message: &str) -> Response {
    let mut r = rpc_error(
        StatusCode::SERVICE_UNAVAILABLE,
        codes::INTERNAL_ERROR,
        message,
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// `n` permits of `sem`, waiting up to `wait`.
async fn acquire_or_wait(
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
async fn read_body(
    state: &HttpState,
    mut body: Body,
    declared: Option<usize>,
) -> Result<(Bytes, OwnedSemaphorePermit), Response> {
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
        Some(n) if n <= UNBUDGETED_BODY_BYTES => state
            .body_budget
            .clone()
            .try_acquire_many_owned(0)
            .expect("zero permits are always available"),
        Some(n) => acquire_or_wait(
            &state.body_budget,
            budget_bytes(n),
            state.config.queue_timeout,
        )
        .await
        .ok_or_else(|| busy("server busy: too many request bodies in flight; retry later"))?,
        None => state
            .body_budget
            .clone()
            .try_acquire_many_owned(0)
            .expect("zero permits are always available"),
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
            budget.merge(more);
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

fn too_large(limit: usize) -> Response {
    rpc_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        codes::INVALID_REQUEST,
        &format!("payload too large: the limit is {limit} bytes"),
    )
}

/// Held for as long as a response is being produced: keeps its
/// concurrency permit, and cancels the call when dropped before the call
/// finished (the client went away).
struct ResponseGuard {
    cancel: CancellationToken,
    done: bool,
    /// The concurrency permit and the body budget.
    _permits: (OwnedSemaphorePermit, OwnedSemaphorePermit),
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
    permits: (OwnedSemaphorePermit, OwnedSemaphorePermit),
) -> Response {
    let cancel = CancellationToken::new();
    let (tx, mut rx) = notification_channel();
    let delivery = Delivery {
        key,
        notifier: may_stream.then_some(tx),
        cancel: cancel.clone(),
        headers: Some(headers),
        scope: 0,
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

fn sse_response(body: Body) -> Response {
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
    Bytes::from(sse_bytes(&to_bytes(v)))
}

fn reply_response(reply: Reply, oauth: Option<&Verifier>) -> Response {
    match reply {
        Reply::Response {
            status,
            body,
            insufficient_scope,
        } => {
            let mut r = json_response(status, body);
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

    #[test]
    fn host_and_origin_parsing() {
        assert_eq!(
            authority_host("localhost:8080").as_deref(),
            Some("localhost")
        );
        assert_eq!(authority_host("LocalHost").as_deref(), Some("localhost"));
        assert_eq!(authority_host("[::1]:8080").as_deref(), Some("[::1]"));
        assert_eq!(
            authority_host("example.com").as_deref(),
            Some("example.com")
        );
        for bad in [
            "[::1].evil",
            "[::1]@evil.com",
            "user@localhost",
            "localhost:80x",
            "localhost:8080/x",
            "local host",
            "localhost:99999",
            "[::1]:",
            "[zz::1]",
            "evil.com:80:80",
            "",
        ] {
            assert_eq!(authority_host(bad), None, "{bad}");
        }
        assert_eq!(
            origin_host("http://127.0.0.1:5173").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(
            origin_host("HTTPS://Evil.Example").as_deref(),
            Some("evil.example")
        );
        assert_eq!(
            origin_host("https://evil.example/x"),
            None,
            "an Origin has no path"
        );
        assert_eq!(origin_host("http://[::1]@evil.com"), None);
        assert_eq!(origin_host("ftp://localhost"), None);
        assert_eq!(origin_host("null"), None);
    }
}
