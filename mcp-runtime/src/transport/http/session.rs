//! The HTTP side of handshake-era sessions (when on): `GET` opens or
//! resumes a session's SSE stream, `DELETE` ends the session, and a
//! session's `POST` answered by SSE becomes a stream of the session's hub
//! (event ids, replay on `Last-Event-ID`; the call goes on when the client
//! disconnects, as the spec asks, and is resumed by a `GET`).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderName, Method, StatusCode, header};
use axum::response::Response;
use futures_util::stream;
use tokio::sync::mpsc;

use super::{
    HttpState, ResponseGuard, accepted_types, caller, header_str, json_response, sse_response,
};
use crate::jsonrpc::{Reply, RpcError, codes, error_body, to_bytes};
use crate::notify::{CLOSE_STREAM, NotificationReceiver};
use crate::session::streams::{Hub, Kind};
use crate::session::{Checked, Sessions, owner_of};

pub(super) const MCP_SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");

/// The longest a `GET` stream goes without a keep-alive (which also renews
/// the session, and ends the stream once the session is gone).
const KEEPALIVE: Duration = Duration::from_secs(15);

fn error(e: &RpcError) -> Response {
    json_response(e.status, error_body(None, e))
}

/// `GET` (the session's stream) or `DELETE` (the end of the session).
pub(super) async fn get_or_delete(
    state: &Arc<HttpState>,
    parts: &Parts,
    sessions: &Arc<Sessions>,
) -> Response {
    let key = match caller(state, &parts.headers).await {
        Ok(k) => k,
        Err(r) => return r,
    };
    let owner = owner_of(key.as_deref());
    let Some(id) = header_str(&parts.headers, &MCP_SESSION_ID).map(str::trim) else {
        return super::bad_request(
            "bad request: send the `Mcp-Session-Id` header `initialize` answered with",
        );
    };
    if parts.method == Method::DELETE {
        return match sessions.end(id, &owner).await {
            Ok(()) => Response::new(Body::empty()),
            Err(e) => error(&e),
        };
    }
    let accept = header_str(&parts.headers, &header::ACCEPT).unwrap_or("*/*");
    if !accepted_types(accept).1 {
        return super::rpc_error(
            StatusCode::NOT_ACCEPTABLE,
            codes::INVALID_REQUEST,
            "not acceptable: a session's GET stream is text/event-stream",
        );
    }
    let record = match sessions.check(id, &owner, true).await {
        Ok(Checked::Verified(r)) => r,
        Ok(Checked::Unverified) => return error(&crate::session::unavailable()),
        Err(e) => return error(&e),
    };
    let hub = sessions.hub.clone();
    let resumed = header_str(&parts.headers, &LAST_EVENT_ID).and_then(|last| hub.resume(id, last));
    let rx = match resumed {
        Some(rx) => rx,
        // A new stream (also for a Last-Event-ID of nothing resumable here).
        None => {
            let seen = (&record.subscriptions, record.tenant.as_deref());
            hub.open(id, Kind::Get, Some(seen)).1
        }
    };
    let watch = Watch {
        sessions: sessions.clone(),
        id: id.to_owned(),
        owner,
    };
    sse_response(Body::from_stream(get_stream(rx, watch)))
}

/// What a `GET` stream checks on each keep-alive.
struct Watch {
    sessions: Arc<Sessions>,
    id: String,
    owner: String,
}

impl Watch {
    /// Renew the session; `false` once it is gone.
    async fn alive(&self) -> bool {
        match self.sessions.check(&self.id, &self.owner, true).await {
            Ok(Checked::Verified(r)) => {
                self.sessions.hub.refresh(&self.id, &r.subscriptions);
                true
            }
            // The store did not answer: the stream stays, and asks again.
            Ok(Checked::Unverified) => true,
            Err(e) if e.status == 503 => true,
            Err(_) => {
                self.sessions.hub.end(&self.id);
                false
            }
        }
    }
}

fn get_stream(
    rx: mpsc::Receiver<Bytes>,
    watch: Watch,
) -> impl futures_util::Stream<Item = Result<Bytes, Infallible>> + Send {
    let period = KEEPALIVE
        .min(watch.sessions.idle() / 2)
        .max(Duration::from_millis(50));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    stream::unfold(Some((rx, watch, tick)), |st| async move {
        let (mut rx, watch, mut tick) = st?;
        tokio::select! {
            ev = rx.recv() => ev.map(|b| (Ok(b), Some((rx, watch, tick)))),
            _ = tick.tick() => {
                if watch.alive().await {
                    Some((Ok(Bytes::from_static(b": keep-alive\n\n")), Some((rx, watch, tick))))
                } else {
                    None
                }
            }
        }
    })
}

/// The call of a session's `POST`, answered by SSE.
pub(super) struct Call<F> {
    pub(super) fut: Pin<Box<F>>,
    pub(super) rx: NotificationReceiver,
    pub(super) guard: ResponseGuard,
}

/// One message of a call on its stream, or the call's request to close
/// the stream's connection (polling).
fn send(hub: &Hub, session: &str, n: u64, v: &serde_json::Value) {
    if *v == CLOSE_STREAM {
        hub.detach(session, n);
    } else {
        hub.push(session, n, &to_bytes(v));
    }
}

/// Answer a session's `POST` with a stream of its hub: `sent` (the
/// notifications already out) and, while the call runs, the rest and the
/// response, each with an id. The call runs in a task of its own: a client
/// that disconnects resumes the stream with `GET` and `Last-Event-ID`.
pub(super) fn post_stream<F>(
    hub: &Arc<Hub>,
    session: &str,
    sent: Vec<serde_json::Value>,
    call: Result<Call<F>, Reply>,
) -> Response
where
    F: Future<Output = Reply> + Send + 'static,
{
    let (n, rx) = hub.open(session, Kind::Post, None);
    for v in &sent {
        send(hub, session, n, v);
    }
    match call {
        Err(reply) => {
            if let Some(body) = reply.body() {
                hub.push(session, n, body);
            }
            hub.finish(session, n);
        }
        Ok(Call {
            mut fut,
            mut rx,
            guard,
        }) => {
            let (hub, session) = (hub.clone(), session.to_owned());
            tokio::spawn(async move {
                // Held (the permit, and cancel-on-drop) until the call ends.
                let mut guard = guard;
                loop {
                    tokio::select! {
                        biased;
                        Some(v) = rx.recv() => send(&hub, &session, n, &v),
                        reply = &mut fut => {
                            guard.done = true;
                            while let Some(v) = rx.try_recv() {
                                send(&hub, &session, n, &v);
                            }
                            if let Some(body) = reply.body() {
                                hub.push(&session, n, body);
                            }
                            hub.finish(&session, n);
                            break;
                        }
                    }
                }
            });
        }
    }
    let events = stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    sse_response(Body::from_stream(events))
}
