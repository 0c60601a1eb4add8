//! Accepting and keeping HTTP/1.1 connections: a cap on open connections
//! (refused cheaply beyond it), a deadline for a request's head once its
//! first byte arrived, a deadline for an idle keep-alive connection, a cap
//! on head size, and a shutdown that closes every connection without a
//! request in flight at once and lets the others finish theirs.
//!
//! hyper serves each connection; what it does not bound is watched here: an
//! [`Activity`] per connection, fed by the socket (bytes read) and by the
//! service (requests begun, responses fully sent).

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::response::Response;
use hyper::body::{Frame, SizeHint};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tower::ServiceExt as _;

use crate::jsonrpc::{RpcError, codes, error_body};

/// Limits on connections (builder options of the server).
#[derive(Debug, Clone)]
pub(crate) struct ConnConfig {
    /// Open connections at once; more are answered 503 and closed.
    pub(crate) max_connections: usize,
    /// From the first byte of a request to the end of its head.
    pub(crate) header_read_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request.
    pub(crate) idle_timeout: Duration,
    /// Largest request head (request line and headers); larger → 431.
    pub(crate) max_header_bytes: usize,
}

impl Default for ConnConfig {
    fn default() -> Self {
        ConnConfig {
            max_connections: 4096,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_header_bytes: 64 * 1024,
        }
    }
}

/// What the whole server has in flight, for the drain at shutdown.
#[derive(Default)]
pub(crate) struct Tracker {
    requests: AtomicUsize,
    connections: AtomicUsize,
    shutting_down: AtomicBool,
    /// Shutdown was asked for: readiness fails from now on.
    draining: AtomicBool,
    /// Signalled when a connection ends during shutdown.
    changed: Notify,
}

impl Tracker {
    /// Requests whose response is not yet fully sent.
    pub(crate) fn requests_in_flight(&self) -> usize {
        self.requests.load(Ordering::Acquire)
    }

    /// Open connections.
    pub(crate) fn open_connections(&self) -> usize {
        self.connections.load(Ordering::Acquire)
    }

    /// Whether the server stopped accepting connections.
    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    /// Whether shutdown was asked for (readiness fails from then on, while
    /// the server may still serve during its grace period).
    pub(crate) fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire) || self.is_shutting_down()
    }

    /// Mark the server as draining.
    pub(crate) fn start_draining(&self) {
        self.draining.store(true, Ordering::Release);
    }
}

const NONE: u64 = u64::MAX;

/// One connection's state, as its watchdog sees it.
struct Activity {
    epoch: Instant,
    in_flight: AtomicUsize,
    /// When the head of the next request began (ms since `epoch`), or `NONE`.
    head_started: AtomicU64,
    /// When the connection last became idle (ms since `epoch`).
    idle_since: AtomicU64,
    tracker: Arc<Tracker>,
}

impl Activity {
    fn new(tracker: Arc<Tracker>) -> Activity {
        Activity {
            epoch: Instant::now(),
            in_flight: AtomicUsize::new(0),
            head_started: AtomicU64::new(NONE),
            idle_since: AtomicU64::new(0),
            tracker,
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Bytes arrived: on an idle connection, a request's head has begun.
    fn bytes_read(&self) {
        if self.in_flight.load(Ordering::Relaxed) == 0
            && self.head_started.load(Ordering::Relaxed) == NONE
        {
            self.head_started.store(self.now_ms(), Ordering::Relaxed);
        }
    }

    fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started.store(NONE, Ordering::Relaxed);
        self.tracker.requests.fetch_add(1, Ordering::AcqRel);
        InFlight(self.clone())
    }

    /// Completes when the connection has outstayed its welcome: a head
    /// unfinished past `header_read_timeout`, or idle past `idle_timeout`.
    ///
    /// It looks at the connection's atomics on a tick (an eighth of the
    /// shorter limit): requests never wake it or re-arm a timer, so it costs
    /// nothing per request, and a limit is enforced within an eighth of itself.
    async fn expired(&self, config: &ConnConfig) {
        let header = config.header_read_timeout.as_millis() as u64;
        let idle = config.idle_timeout.as_millis() as u64;
        let tick = Duration::from_millis((header.min(idle) / 8).clamp(10, 1000));
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + tick, tick);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if self.in_flight.load(Ordering::Acquire) > 0 {
                continue;
            }
            let now = self.now_ms();
            let over = match self.head_started.load(Ordering::Relaxed) {
                NONE => now.saturating_sub(self.idle_since.load(Ordering::Relaxed)) >= idle,
                started => now.saturating_sub(started) >= header,
            };
            // Checked again: a request may have begun since the first look.
            if over && self.in_flight.load(Ordering::Acquire) == 0 {
                return;
            }
        }
    }
}

/// A request in flight on a connection; dropped with its response body.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let a = &self.0;
        a.tracker.requests.fetch_sub(1, Ordering::AcqRel);
        if a.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            a.idle_since.store(a.now_ms(), Ordering::Relaxed);
        }
    }
}

/// A response body that keeps its request counted until it is sent or dropped.
struct Tracked {
    inner: Body,
    _in_flight: InFlight,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The socket, telling the connection's [`Activity`] when bytes arrive.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The answer to a connection over the cap, written without reading anything.
fn busy_response() -> &'static [u8] {
    static BUSY: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BUSY.get_or_init(|| {
        let err = RpcError::new(
            codes::INTERNAL_ERROR,
            "server busy: too many open connections",
        );
        let body = error_body(None, &err);
        let mut out = format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
             retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(&body);
        out
    })
}

/// Refused connections whose unread request is drained at once, so that
/// closing them sends the 503 rather than a reset; beyond, they are dropped.
const MAX_DRAINERS: usize = 256;

/// Answer a connection over the cap with 503 and close it. Closing a socket
/// with unread input resets it, which can destroy the answer before the
/// client reads it: the request is read and discarded for up to a second
/// (by at most [`MAX_DRAINERS`] tasks) after the answer and a FIN.
fn refuse(stream: TcpStream, drainers: &Arc<Semaphore>) {
    let _ = stream.try_write(busy_response());
    let Ok(drainer) = drainers.clone().try_acquire_owned() else {
        return;
    };
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = stream;
        let _ = stream.shutdown().await;
        let mut sink = [0u8; 4096];
        let drain = async { while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {} };
        let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
        drop(drainer);
    });
}

/// Serve `router` on `listener` until `shutdown` completes; then accept no
/// more, close every connection without a request in flight, let the others
/// finish theirs, and return once all are closed.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    config: ConnConfig,
    tracker: Arc<Tracker>,
    #[cfg(feature = "metrics")] metrics: Option<Arc<crate::telemetry::Metrics>>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let config = Arc::new(config);
    let refusals = crate::limits::LogLimiter::per_minute(10);
    let drainers = Arc::new(Semaphore::new(MAX_DRAINERS));
    tokio::pin!(shutdown);
    loop {
        let (stream, _peer) = tokio::select! {
            biased;
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: pause instead of spinning.
                    if let Some(suppressed) = refusals.check() {
                        tracing::error!(error = %e, suppressed, "accept failed");
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            // Answered without reading the request, and closed.
            refuse(stream, &drainers);
            #[cfg(feature = "metrics")]
            if let Some(m) = &metrics {
                m.refused(crate::telemetry::Refusal::Busy);
            }
            if let Some(suppressed) = refusals.check() {
                tracing::warn!(
                    max_connections = config.max_connections,
                    suppressed,
                    "connection refused: too many open connections"
                );
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let config = config.clone();
        let tracker = tracker.clone();
        let stop = stop_rx.clone();
        #[cfg(feature = "metrics")]
        let metrics = metrics.clone();
        tokio::spawn(async move {
            tracker.connections.fetch_add(1, Ordering::AcqRel);
            #[cfg(feature = "metrics")]
            if let Some(m) = &metrics {
                m.connection_opened();
            }
            connection(stream, router, &config, tracker.clone(), stop).await;
            #[cfg(feature = "metrics")]
            if let Some(m) = &metrics {
                m.connection_closed();
            }
            tracker.connections.fetch_sub(1, Ordering::AcqRel);
            drop(slot);
            tracker.changed.notify_waiters();
        });
    }
    drop(listener);
    tracker.shutting_down.store(true, Ordering::Release);
    let _ = stop_tx.send(true);
    loop {
        let changed = tracker.changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        if tracker.open_connections() == 0 {
            return Ok(());
        }
        changed.await;
    }
}

async fn connection(
    stream: TcpStream,
    router: Router,
    config: &ConnConfig,
    tracker: Arc<Tracker>,
    mut stop: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new(tracker));
    let io = TokioIo::new(Watched {
        stream,
        activity: activity.clone(),
    });
    let service = hyper::service::service_fn({
        let activity = activity.clone();
        move |req: Request<hyper::body::Incoming>| {
            let in_flight = activity.begin();
            let router = router.clone();
            async move {
                let response = router
                    .oneshot(req.map(Body::new))
                    .await
                    .unwrap_or_else(|never: Infallible| match never {});
                Ok::<Response, Infallible>(response.map(|inner| {
                    Body::new(Tracked {
                        inner,
                        _in_flight: in_flight,
                    })
                }))
            }
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .keep_alive(true)
        .max_buf_size(config.max_header_bytes.max(8192))
        .max_header_size(config.max_header_bytes);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        _ = activity.expired(config) => {
            tracing::debug!("connection closed: request head or idle timeout");
        }
        () = async { drop(stop.wait_for(|s| *s).await) } => {
            // Closed at once unless a request is in flight; that one is
            // finished (keep-alive off), bounded by the server's drain deadline.
            if activity.in_flight.load(Ordering::Acquire) > 0 {
                conn.as_mut().graceful_shutdown();
                let _ = conn.as_mut().await;
            }
        }
    }
}
