//! Prometheus metrics (feature `metrics`): calls by tool and outcome, call
//! durations, requests by method and status, calls in flight, refusals by
//! reason, open connections, shared-state outages by policy, build info. Served on a listener of its own
//! (`MCP_METRICS_ADDR` / [`ServerBuilder::metrics_addr`](crate::ServerBuilder::metrics_addr)),
//! never on the MCP port.
//!
//! The series are registered on a recorder owned by the server, and their
//! handles kept: a call pays an atomic add per series, not a lookup in a
//! global registry. Without the feature, [`Metrics`] does not exist and the
//! runtime's hooks compile to nothing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use metrics::{Counter, Gauge, Histogram, Key, Label, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

/// Outcomes of a call: `ok`, a wire error kind, or `cancelled` (the client went away).
const OUTCOMES: [&str; 8] = [
    "ok",
    "not_found",
    "validation_error",
    "authentication_error",
    "permission_denied",
    "rate_limit",
    "server_error",
    "cancelled",
];

/// Why a request was refused before (or instead of) its tool running.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refusal {
    Auth,
    RateLimit,
    Size,
    Timeout,
    Busy,
}

impl Refusal {
    const ALL: [Refusal; 5] = [
        Refusal::Auth,
        Refusal::RateLimit,
        Refusal::Size,
        Refusal::Timeout,
        Refusal::Busy,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Refusal::Auth => "auth",
            Refusal::RateLimit => "rate_limit",
            Refusal::Size => "size",
            Refusal::Timeout => "timeout",
            Refusal::Busy => "busy",
        }
    }
}

/// One tool's series.
struct ToolSeries {
    calls: [Counter; OUTCOMES.len()],
    duration: Histogram,
}

/// The server's metrics and the recorder that renders them.
pub(crate) struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    tools: HashMap<&'static str, ToolSeries>,
    tenant_label: bool,
    in_flight: Gauge,
    connections: Gauge,
    refused: [Counter; Refusal::ALL.len()],
    /// `mcp_state_unreachable_total` by the policy that decided: allow, refuse.
    state_unreachable: [Counter; 2],
    /// `mcp_requests_total` by (method, status), registered on first use.
    requests: Mutex<HashMap<(&'static str, u16), Counter>>,
    /// `mcp_tool_calls_total` with a tenant label, when asked for.
    tenant_calls: Mutex<HashMap<(&'static str, usize, String), Counter>>,
}

const META: Metadata<'static> = Metadata::new(module_path!(), metrics::Level::INFO, None);

fn key(name: &'static str, labels: Vec<Label>) -> Key {
    Key::from_parts(name, labels)
}

impl Metrics {
    /// Series for `tools`, with build info for the server `name` `version`.
    pub(crate) fn new(
        tools: &[&'static str],
        name: &str,
        version: &str,
        tenant_label: bool,
    ) -> Metrics {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("mcp_tool_call_duration_seconds".into()),
                &[
                    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                    60.0,
                ],
            )
            .expect("the bucket list is not empty")
            .build_recorder();
        let r = &recorder;
        r.describe_counter(
            "mcp_tool_calls_total".into(),
            None,
            "Tool calls by tool and outcome (ok or the wire error kind).".into(),
        );
        r.describe_histogram(
            "mcp_tool_call_duration_seconds".into(),
            Some(Unit::Seconds),
            "Duration of tool calls, by tool.".into(),
        );
        r.describe_counter(
            "mcp_requests_total".into(),
            None,
            "JSON-RPC messages and HTTP requests, by method and HTTP status.".into(),
        );
        r.describe_gauge(
            "mcp_tool_calls_in_flight".into(),
            None,
            "Tool calls running now.".into(),
        );
        r.describe_counter(
            "mcp_requests_refused_total".into(),
            None,
            "Requests refused, by reason (auth, rate_limit, size, timeout, busy).".into(),
        );
        r.describe_counter(
            "mcp_state_unreachable_total".into(),
            None,
            "Calls whose rate limits the shared state (Redis) did not answer, by the policy \
             that decided them (allow: served unlimited, refuse: server_error)."
                .into(),
        );
        r.describe_gauge(
            "mcp_connections_active".into(),
            None,
            "Open HTTP connections.".into(),
        );
        r.describe_gauge(
            "mcp_build_info".into(),
            None,
            "Always 1; the labels name the server and the framework.".into(),
        );
        let tools = tools
            .iter()
            .map(|&tool| {
                let calls = OUTCOMES.map(|outcome| {
                    r.register_counter(
                        &key(
                            "mcp_tool_calls_total",
                            vec![Label::new("tool", tool), Label::new("outcome", outcome)],
                        ),
                        &META,
                    )
                });
                let duration = r.register_histogram(
                    &key(
                        "mcp_tool_call_duration_seconds",
                        vec![Label::new("tool", tool)],
                    ),
                    &META,
                );
                (tool, ToolSeries { calls, duration })
            })
            .collect();
        let refused = Refusal::ALL.map(|reason| {
            r.register_counter(
                &key(
                    "mcp_requests_refused_total",
                    vec![Label::new("reason", reason.as_str())],
                ),
                &META,
            )
        });
        let state_unreachable = ["allow", "refuse"].map(|policy| {
            r.register_counter(
                &key(
                    "mcp_state_unreachable_total",
                    vec![Label::new("policy", policy)],
                ),
                &META,
            )
        });
        r.register_gauge(
            &key(
                "mcp_build_info",
                vec![
                    Label::new("server", name.to_owned()),
                    Label::new("server_version", version.to_owned()),
                    Label::new("framework_version", env!("CARGO_PKG_VERSION")),
                ],
            ),
            &META,
        )
        .set(1.0);
        let in_flight = r.register_gauge(&key("mcp_tool_calls_in_flight", vec![]), &META);
        let connections = r.register_gauge(&key("mcp_connections_active", vec![]), &META);
        let handle = recorder.handle();
        Metrics {
            recorder,
            handle,
            tools,
            tenant_label,
            in_flight,
            connections,
            refused,
            state_unreachable,
            requests: Mutex::new(HashMap::new()),
            tenant_calls: Mutex::new(HashMap::new()),
        }
    }

    /// The text exposition.
    pub(crate) fn render(&self) -> String {
        self.handle.run_upkeep();
        self.handle.render()
    }

    /// A call of `tool` begins.
    pub(crate) fn call_started(&self) -> Instant {
        self.in_flight.increment(1.0);
        Instant::now()
    }

    /// A call of `tool` that began at `started` ended with `outcome`.
    pub(crate) fn call_finished(
        &self,
        tool: &'static str,
        outcome: &str,
        started: Instant,
        tenant: Option<&str>,
    ) {
        self.in_flight.decrement(1.0);
        let index = OUTCOMES.iter().position(|o| *o == outcome).unwrap_or(6);
        if let Some(series) = self.tools.get(tool) {
            series.calls[index].increment(1);
            series.duration.record(started.elapsed().as_secs_f64());
        }
        if outcome == "rate_limit" {
            self.refused(Refusal::RateLimit);
        }
        if let (true, Some(t)) = (self.tenant_label, tenant) {
            let mut map = self.tenant_calls.lock().unwrap_or_else(|e| e.into_inner());
            map.entry((tool, index, t.to_owned()))
                .or_insert_with(|| {
                    self.recorder.register_counter(
                        &key(
                            "mcp_tool_calls_total",
                            vec![
                                Label::new("tool", tool),
                                Label::new("outcome", OUTCOMES[index]),
                                Label::new("tenant", t.to_owned()),
                            ],
                        ),
                        &META,
                    )
                })
                .increment(1);
        }
    }

    /// A message of `method` was answered with HTTP `status`.
    pub(crate) fn request(&self, method: &'static str, status: u16) {
        let mut map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        map.entry((method, status))
            .or_insert_with(|| {
                self.recorder.register_counter(
                    &key(
                        "mcp_requests_total",
                        vec![
                            Label::new("method", method),
                            Label::new("status", status.to_string()),
                        ],
                    ),
                    &META,
                )
            })
            .increment(1);
    }

    pub(crate) fn refused(&self, reason: Refusal) {
        self.refused[reason as usize].increment(1);
    }

    /// The shared state did not answer a call's rate limits; `refused`: the
    /// policy refused the call, else it was allowed.
    pub(crate) fn state_unreachable(&self, refused: bool) {
        self.state_unreachable[usize::from(refused)].increment(1);
    }

    pub(crate) fn connection_opened(&self) {
        self.connections.increment(1.0);
    }

    pub(crate) fn connection_closed(&self) {
        self.connections.decrement(1.0);
    }
}

/// The method label of a request: known methods by name, others `other`.
pub(crate) fn method_label(method: &str) -> &'static str {
    crate::jsonrpc::METHODS
        .into_iter()
        .find(|m| *m == method)
        .unwrap_or("other")
}

/// Serve `/metrics` on `addr` until the returned task is aborted.
pub(crate) async fn serve(
    addr: &str,
    metrics: std::sync::Arc<Metrics>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    use axum::http::header;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = metrics.clone();
            async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    metrics.render(),
                )
            }
        }),
    );
    tracing::info!(url = %format!("http://{local}/metrics"), "metrics listening");
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "metrics listener failed");
        }
    }))
}
