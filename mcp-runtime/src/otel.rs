//! OpenTelemetry traces (feature `otel`), exported over OTLP (http/protobuf)
//! when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
//! is set. [`init_logging`](crate::init_logging) installs the layer; a
//! program with a subscriber of its own adds [`layer`] to it.
//!
//! Spans, named and attributed as the OpenTelemetry MCP conventions say:
//! - one `SERVER` span per HTTP request, `POST /mcp`, continuing the trace
//!   of the request's `traceparent` header;
//! - one `SERVER` span per tool call, `tools/call {tool}` (the call's own
//!   `tracing` span, so the tool's spans nest under it), with
//!   `mcp.method.name`, `gen_ai.tool.name`, `gen_ai.operation.name`,
//!   `mcp.protocol.version`, `jsonrpc.request.id`, the key name (`key`) and
//!   tenant (`tenant`), and on failure `error.type` (the wire error kind) and
//!   status `ERROR`. Its parent is `params._meta.traceparent` when the
//!   request carries one (linked to the HTTP span), else the HTTP span.
//! - one `SERVER` span per other MCP request, named by its method, with
//!   the same parent and request attributes, and on a JSON-RPC error its
//!   code as `error.type` and `rpc.response.status_code`.
//!
//! Never recorded: argument values, results, error messages (they may
//! quote arguments), keys.
//!
//! Spans go out from a batch on a thread of the SDK's own, through a small
//! HTTP/1 client on a one-thread runtime of its own: a slow or unreachable
//! collector delays no call, and a full queue drops spans, not calls.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::Request;
use axum::response::Response;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_http::{HeaderExtractor, HttpClient, HttpError};
use opentelemetry_otlp::WithHttpConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use serde_json::Value;
use serde_json::value::RawValue;
use tracing::Span;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

/// The target of spans made only for OpenTelemetry (the HTTP request span):
/// the log leaves them out.
pub(crate) const SPAN_TARGET: &str = "mcp_runtime::otel";

/// How long [`flush`] waits for the collector.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// The provider, once built; kept for [`flush`].
static PROVIDER: Mutex<Option<SdkTracerProvider>> = Mutex::new(None);

/// Whether a layer was handed out: the runtime's spans are enriched (and
/// the HTTP span made) only then.
static ACTIVE: AtomicBool = AtomicBool::new(false);

pub(crate) fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed)
}

/// The layer was not installed after all (a subscriber was already set).
pub(crate) fn deactivate() {
    ACTIVE.store(false, Ordering::Relaxed);
}

/// Why traces cannot be exported as configured.
#[derive(Debug)]
pub struct OtelError(String);

impl std::fmt::Display for OtelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OtelError {}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The tracing layer that exports spans over OTLP, configured by the
/// standard variables: `None` unless `OTEL_EXPORTER_OTLP_ENDPOINT` or
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (or when
/// `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`).
///
/// Read as the OpenTelemetry SDK reads them: `OTEL_SERVICE_NAME` (default:
/// the executable's name), `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`
/// and `OTEL_TRACES_SAMPLER_ARG` (default `parentbased_always_on`),
/// `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT` (default
/// 10 s), `OTEL_BSP_*`. The protocol is `http/protobuf` to an `http://`
/// endpoint (a local collector or agent); anything else is an error.
///
/// [`init_logging`](crate::init_logging) installs it; a program that sets
/// up its own subscriber adds it there, filtered as it likes:
///
/// ```no_run
/// use tracing_subscriber::prelude::*;
///
/// let otel = mcp_runtime::otel::layer().unwrap_or_else(|e| {
///     eprintln!("traces are not exported: {e}");
///     None
/// });
/// tracing_subscriber::registry()
///     .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
///     .with(otel)
///     .init();
/// ```
pub fn layer<S>() -> Result<Option<impl Layer<S>>, OtelError>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    if env("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Ok(None);
    }
    match env("OTEL_TRACES_EXPORTER").as_deref() {
        None | Some("otlp") => {}
        Some("none") => return Ok(None),
        Some(other) => {
            return Err(OtelError(format!(
                "OTEL_TRACES_EXPORTER={other}: only `otlp` (or `none`) is supported"
            )));
        }
    }
    let Some(endpoint) =
        env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").or_else(|| env("OTEL_EXPORTER_OTLP_ENDPOINT"))
    else {
        return Ok(None);
    };
    if !endpoint.starts_with("http://") {
        return Err(OtelError(format!(
            "OTLP endpoint `{endpoint}`: only http:// endpoints are supported \
             (export to a local collector, which may forward over TLS)"
        )));
    }
    check_values()?;
    for var in [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ] {
        if let Some(p) = env(var)
            && p != "http/protobuf"
        {
            return Err(OtelError(format!(
                "{var}={p}: only `http/protobuf` is supported"
            )));
        }
    }
    let mut installed = PROVIDER.lock().unwrap_or_else(|e| e.into_inner());
    let provider = match &*installed {
        Some(p) => p.clone(),
        None => {
            let p = provider()?;
            *installed = Some(p.clone());
            p
        }
    };
    let tracer = provider.tracer_with_scope(
        opentelemetry::InstrumentationScope::builder("mcp-runtime")
            .with_version(env!("CARGO_PKG_VERSION"))
            .build(),
    );
    ACTIVE.store(true, Ordering::Relaxed);
    Ok(Some(
        tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_tracked_inactivity(false)
            .with_threads(false),
    ))
}

/// The samplers of the specification (`OTEL_TRACES_SAMPLER`).
const SAMPLERS: [&str; 6] = [
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
];

/// The export timeout: `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`, else
/// `OTEL_EXPORTER_OTLP_TIMEOUT` (milliseconds), else 10 s.
fn export_timeout() -> Result<Duration, OtelError> {
    for var in [
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
    ] {
        if let Some(ms) = env(var) {
            return ms
                .trim()
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| OtelError(format!("{var}={ms}: not a number of milliseconds")));
        }
    }
    Ok(Duration::from_secs(10))
}

/// Values the SDK would otherwise replace by its defaults without a word:
/// the export timeout, `OTEL_TRACES_SAMPLER` and the ratio of a
/// `traceidratio` sampler.
fn check_values() -> Result<(), OtelError> {
    export_timeout()?;
    let sampler = env("OTEL_TRACES_SAMPLER");
    if let Some(s) = &sampler
        && !SAMPLERS.contains(&s.trim())
    {
        return Err(OtelError(format!(
            "OTEL_TRACES_SAMPLER={s}: not a sampler; use one of {}",
            SAMPLERS.join(", ")
        )));
    }
    if sampler
        .as_deref()
        .is_some_and(|s| s.trim().ends_with("traceidratio"))
        && let Some(arg) = env("OTEL_TRACES_SAMPLER_ARG")
        && !arg
            .trim()
            .parse::<f64>()
            .is_ok_and(|r| (0.0..=1.0).contains(&r))
    {
        return Err(OtelError(format!(
            "OTEL_TRACES_SAMPLER_ARG={arg}: the ratio of traces kept must be a number from 0 to 1"
        )));
    }
    Ok(())
}

fn provider() -> Result<SdkTracerProvider, OtelError> {
    let timeout = export_timeout()?;
    let client = ExportClient {
        runtime: export_runtime()?,
        timeout,
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(client)
        .build()
        .map_err(|e| OtelError(format!("the OTLP exporter: {e}")))?;
    let mut resource = opentelemetry_sdk::Resource::builder();
    let named = env("OTEL_SERVICE_NAME").is_some()
        || env("OTEL_RESOURCE_ATTRIBUTES").is_some_and(|a| a.contains("service.name="));
    if !named
        && let Some(exe) = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
    {
        resource = resource.with_service_name(exe);
    }
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build())
}

/// The runtime the exports run on: one thread, never dropped (a runtime
/// may not be dropped inside another, where `init_logging` often runs).
fn export_runtime() -> Result<tokio::runtime::Handle, OtelError> {
    static RUNTIME: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("otlp-export")
                .enable_io()
                .enable_time()
                .build()
                .ok()
        })
        .as_ref()
        .map(|rt| rt.handle().clone())
        .ok_or_else(|| OtelError("cannot start the OTLP export thread".into()))
}

/// Export the spans still queued, waiting for the collector at most 5 s.
/// The server calls it when it stops serving; call it before a program
/// that does not serve exits. Does nothing when traces are not exported.
pub fn flush() {
    let Some(provider) = PROVIDER.lock().unwrap_or_else(|e| e.into_inner()).clone() else {
        return;
    };
    let (tx, rx) = std::sync::mpsc::channel();
    // On a thread of its own, so that a collector that never answers holds
    // up the caller for FLUSH_TIMEOUT at most.
    std::thread::spawn(move || {
        let _ = tx.send(provider.force_flush());
    });
    match rx.recv_timeout(FLUSH_TIMEOUT) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "traces: the last spans were not exported"),
        Err(_) => tracing::warn!(
            timeout_s = FLUSH_TIMEOUT.as_secs(),
            "traces: the collector did not take the last spans in time"
        ),
    }
}

/// [`flush`] from async code: off the runtime's workers.
pub(crate) async fn flush_async() {
    if active() {
        let _ = tokio::task::spawn_blocking(flush).await;
    }
}

/// The OTLP/HTTP client: one HTTP/1.1 POST per batch, on the export runtime.
#[derive(Debug)]
struct ExportClient {
    runtime: tokio::runtime::Handle,
    timeout: Duration,
}

#[async_trait::async_trait]
impl HttpClient for ExportClient {
    async fn send_bytes(
        &self,
        request: axum::http::Request<Bytes>,
    ) -> Result<axum::http::Response<Bytes>, HttpError> {
        let timeout = self.timeout;
        self.runtime
            .spawn(async move {
                tokio::time::timeout(timeout, post(request))
                    .await
                    .map_err(|_| HttpError::from(format!("no answer within {timeout:?}")))?
            })
            .await?
    }
}

async fn post(
    request: axum::http::Request<Bytes>,
) -> Result<axum::http::Response<Bytes>, HttpError> {
    use http_body_util::{BodyExt, Full, Limited};
    let (mut parts, body) = request.into_parts();
    let uri = parts.uri.clone();
    let authority = uri.authority().ok_or("the endpoint has no host")?.clone();
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let stream = tokio::net::TcpStream::connect((host, authority.port_u16().unwrap_or(80))).await?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    parts.uri = uri.path_and_query().map_or("/", |p| p.as_str()).parse()?;
    parts
        .headers
        .insert(axum::http::header::HOST, authority.as_str().parse()?);
    let response = sender
        .send_request(axum::http::Request::from_parts(parts, Full::new(body)))
        .await?;
    let (parts, body) = response.into_parts();
    let body = Limited::new(body, 1 << 20).collect().await?.to_bytes();
    Ok(axum::http::Response::from_parts(parts, body))
}

/// `params._meta` as a carrier of `traceparent` / `tracestate`.
struct MetaCarrier<'m>(&'m serde_json::Map<String, Value>);

impl Extractor for MetaCarrier<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key)?.as_str()
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

/// Serve `request` by `serve` inside its HTTP server span (when traces are
/// exported), continuing the trace of its `traceparent` header.
pub(crate) async fn http_request<F, Fut>(request: Request, route: &str, serve: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    use tracing::Instrument;
    if !active() {
        return serve(request).await;
    }
    let method = match request.method().as_str() {
        m @ ("GET" | "POST" | "PUT" | "DELETE" | "HEAD" | "OPTIONS" | "PATCH" | "CONNECT"
        | "TRACE") => m,
        _ => "_OTHER",
    };
    let version = match request.version() {
        axum::http::Version::HTTP_10 => "1.0",
        axum::http::Version::HTTP_2 => "2",
        _ => "1.1",
    };
    let span = tracing::info_span!(
        target: SPAN_TARGET,
        "HTTP request",
        otel.name = format!("{method} {route}"),
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = method,
        http.route = route,
        url.path = request.uri().path(),
        url.scheme = "http",
        network.protocol.name = "http",
        network.protocol.version = version,
        network.transport = "tcp",
        http.response.status_code = Empty,
        error.type = Empty,
    );
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(request.headers()));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
    let response = serve(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.record("http.response.status_code", i64::from(status));
    if status >= 500 {
        span.record("error.type", status.to_string().as_str());
        span.record("otel.status_code", "error");
    }
    response
}

/// What the MCP spans record of a request.
pub(crate) struct McpRequest<'a> {
    pub(crate) id: &'a RawValue,
    /// `params._meta`.
    pub(crate) meta: Option<&'a Value>,
    /// The `MCP-Protocol-Version` header, over HTTP.
    pub(crate) header_version: Option<&'a str>,
    /// Whether the request came over HTTP.
    pub(crate) http: bool,
}

/// The parent and the attributes every MCP server span has: the trace of
/// `params._meta.traceparent` if the request carries one (the ambient HTTP
/// span stays reachable by a link, as the MCP conventions ask),
/// `mcp.protocol.version`, `jsonrpc.request.id`, `network.*`.
fn start_mcp_span(span: &Span, method: &'static str, request: &McpRequest<'_>) {
    let meta = request.meta.and_then(Value::as_object);
    if let Some(meta) = meta.filter(|m| m.contains_key("traceparent")) {
        let parent = TraceContextPropagator::new().extract(&MetaCarrier(meta));
        if parent.span().span_context().is_valid() {
            let ambient = Span::current().context();
            let ambient = ambient.span().span_context().clone();
            let _ = span.set_parent(parent);
            span.add_link(ambient);
        }
    }
    span.set_attribute("mcp.method.name", method);
    let version = meta
        .and_then(|m| m.get(crate::jsonrpc::meta::VERSION))
        .and_then(Value::as_str)
        .or(request.header_version);
    if let Some(v) = version {
        span.set_attribute("mcp.protocol.version", v.to_owned());
    }
    let id = request.id.get();
    match serde_json::from_str::<Value>(id) {
        Ok(Value::String(s)) => span.set_attribute("jsonrpc.request.id", s),
        Ok(Value::Null) | Err(_) => {}
        Ok(_) => span.set_attribute("jsonrpc.request.id", id.to_owned()),
    }
    if request.http {
        span.set_attribute("network.transport", "tcp");
        span.set_attribute("network.protocol.name", "http");
    }
}

/// A tool call's span just made: its name, kind and MCP attributes, and its
/// parent.
pub(crate) fn call_started(span: &Span, tool: &str, request: &McpRequest<'_>) {
    if !active() || span.is_disabled() {
        return;
    }
    start_mcp_span(span, "tools/call", request);
    span.record("otel.name", format!("tools/call {tool}").as_str());
    span.record("otel.kind", "server");
    span.set_attribute("gen_ai.operation.name", "execute_tool");
    span.set_attribute("gen_ai.tool.name", tool.to_owned());
}

/// A tool call ended with `outcome` (`ok` or the wire error kind).
pub(crate) fn call_finished(span: &Span, outcome: &str) {
    if active() && outcome != "ok" {
        span.set_attribute("error.type", outcome.to_owned());
        span.record("otel.status_code", "error");
    }
}

/// The span of one MCP request other than `tools/call` (whose span is the
/// call's own): `None` when traces are not exported.
pub(crate) fn request_span(method: &str, request: &McpRequest<'_>) -> Option<Span> {
    if !active() {
        return None;
    }
    let method = crate::jsonrpc::METHODS
        .into_iter()
        .find(|m| *m == method)
        .unwrap_or("_OTHER");
    let span = tracing::info_span!(
        target: SPAN_TARGET,
        "MCP request",
        otel.name = method,
        otel.kind = "server",
        otel.status_code = Empty,
        error.type = Empty,
        rpc.response.status_code = Empty,
    );
    start_mcp_span(&span, method, request);
    Some(span)
}

/// An MCP request ended; `error` is the JSON-RPC error code it answered.
pub(crate) fn request_finished(span: &Span, error: Option<i64>) {
    if let Some(code) = error {
        let code = code.to_string();
        span.record("error.type", code.as_str());
        span.record("rpc.response.status_code", code.as_str());
        span.record("otel.status_code", "error");
    }
}

/// Field formatting for the log when traces are exported: as the default,
/// without the `otel.*` fields that steer the exported span.
pub(crate) struct LogFields;

impl<'w> tracing_subscriber::fmt::FormatFields<'w> for LogFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        writer: tracing_subscriber::fmt::format::Writer<'w>,
        fields: R,
    ) -> std::fmt::Result {
        use tracing_subscriber::field::VisitOutput;
        let mut v = WithoutOtel(tracing_subscriber::fmt::format::DefaultVisitor::new(
            writer, true,
        ));
        fields.record(&mut v);
        v.0.finish()
    }

    fn add_fields(
        &self,
        current: &'w mut tracing_subscriber::fmt::FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> std::fmt::Result {
        use tracing_subscriber::field::VisitOutput;
        let empty = current.fields.is_empty();
        let mut v = WithoutOtel(tracing_subscriber::fmt::format::DefaultVisitor::new(
            current.as_writer(),
            empty,
        ));
        fields.record(&mut v);
        v.0.finish()
    }
}

struct WithoutOtel<V>(V);

impl<V: tracing::field::Visit> tracing::field::Visit for WithoutOtel<V> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if !field.name().starts_with("otel.") {
            self.0.record_debug(field, value);
        }
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if !field.name().starts_with("otel.") {
            self.0.record_str(field, value);
        }
    }

    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.0.record_i64(field, value);
    }

    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.0.record_u64(field, value);
    }

    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.0.record_bool(field, value);
    }

    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        self.0.record_f64(field, value);
    }

    fn record_error(
        &mut self,
        field: &tracing::field::Field,
        value: &(dyn std::error::Error + 'static),
    ) {
        self.0.record_error(field, value);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A log written to memory.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What the log prints for a call span with its `otel.*` fields recorded.
    fn log_line<F>(fields: F) -> String
    where
        F: for<'w> tracing_subscriber::fmt::FormatFields<'w> + Send + Sync + 'static,
    {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .without_time()
            .with_target(false)
            .fmt_fields(fields)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                "tools/call",
                tool = "lookup",
                tenant = Empty,
                otel.name = Empty,
                otel.kind = Empty,
            );
            span.record("otel.name", "tools/call lookup");
            span.record("tenant", "acme");
            span.record("otel.kind", "server");
            tracing::info!(parent: &span, outcome = "ok", "call finished");
        });
        String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn the_log_leaves_out_only_the_otel_fields() {
        let plain = log_line(tracing_subscriber::fmt::format::DefaultFields::new());
        assert!(plain.contains("otel.name"), "{plain}");
        let with_otel = log_line(LogFields);
        assert_eq!(
            with_otel.trim(),
            r#"INFO tools/call{tool="lookup" tenant="acme"}: call finished outcome="ok""#
        );
    }

    #[test]
    fn trace_context_is_read_from_meta() {
        let meta = serde_json::json!({
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "tracestate": "shop=test",
        });
        let cx = TraceContextPropagator::new().extract(&MetaCarrier(meta.as_object().unwrap()));
        let span = cx.span();
        let sc = span.span_context();
        assert!(sc.is_valid() && sc.is_remote() && sc.is_sampled());
        assert_eq!(
            sc.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(sc.span_id().to_string(), "00f067aa0ba902b7");
        assert_eq!(sc.trace_state().get("shop"), Some("test"));
        let bad = serde_json::json!({ "traceparent": 7 });
        let cx = TraceContextPropagator::new().extract(&MetaCarrier(bad.as_object().unwrap()));
        assert!(!cx.span().span_context().is_valid());
    }
}
