//! Prometheus metrics at `/metrics` on the `--metrics-bind` address (loopback by default, never the
//! public port): request counts and latency histograms per method and route, every label from a
//! closed set (the route template or `unmatched`, a known method or `other`), and at each scrape the depth of the work queues (changes
//! the search index has not applied yet, service orders waiting past their response deadline, tasks
//! by state, the age of the oldest waiting task and failing tasks).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::platform::state::AppState;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    index_documents: IntGauge,
    index_lag: IntGauge,
    overdue_orders: IntGauge,
    tasks: IntGaugeVec,
    task_oldest_age: IntGauge,
    task_failures: IntGauge,
}

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new_custom(Some("kejiyun".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by method, route and status"),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency by method and route")
                .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0]),
            &["method", "route"],
        )?;
        let index_documents = IntGauge::new("index_documents", "Documents in the search index")?;
        let index_lag = IntGauge::new("index_lag_changes", "Item changes the search index has not applied yet")?;
        let overdue_orders =
            IntGauge::new("service_orders_overdue", "Open service orders past their response deadline")?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(index_documents.clone()))?;
        registry.register(Box::new(index_lag.clone()))?;
        registry.register(Box::new(overdue_orders.clone()))?;
        let tasks = IntGaugeVec::new(Opts::new("tasks", "Tasks of the task queue by state"), &["state"])?;
        let task_oldest_age =
            IntGauge::new("task_oldest_queued_age_seconds", "Age of the oldest task waiting to run (0 when none)")?;
        let task_failures =
            IntGauge::new("task_failures", "Tasks not done whose last attempt failed (retrying or dead)")?;
        registry.register(Box::new(tasks.clone()))?;
        registry.register(Box::new(task_oldest_age.clone()))?;
        registry.register(Box::new(task_failures.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            index_documents,
            index_lag,
            overdue_orders,
            tasks,
            task_oldest_age,
            task_failures,
        })
    }
}

/// Counts and times every request under its route template.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let m = &state.metrics;
    m.latency.with_label_values(&[method, &route]).observe(started.elapsed().as_secs_f64());
    m.requests.with_label_values(&[method, &route, response.status().as_str()]).inc();
    response
}

/// The method as a label: one of the standard methods, or `other` (a client may send any token).
fn method_label(method: &axum::http::Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// The metrics listener's application: `/metrics` only.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new().route("/metrics", axum::routing::get(render)).with_state(state)
}

/// The Prometheus text exposition.
pub async fn render(State(state): State<AppState>) -> Response {
    let m = &state.metrics;
    m.index_documents.set(i64::try_from(state.search.num_docs()).unwrap_or(i64::MAX));
    if let Ok(last) = state.db.last_change_seq().await {
        m.index_lag.set((last - state.search.applied_seq().unwrap_or(0)).max(0));
    }
    if let Ok(n) = state.db.count_overdue_orders().await {
        m.overdue_orders.set(n);
    }
    if let Ok(t) = state.db.task_stats(kejiyun_domain::time::to_millis(kejiyun_domain::time::now())).await {
        for (name, n) in [("queued", t.queued), ("running", t.running), ("done", t.done), ("dead", t.dead)] {
            m.tasks.with_label_values(&[name]).set(n);
        }
        m.task_oldest_age.set(t.oldest_queued_age_ms.unwrap_or(0) / 1000);
        m.task_failures.set(t.failures);
    }
    let mut out = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&m.registry.gather(), &mut out) {
        tracing::error!(error = %e, "metrics encoding failed");
    }
    let mut response = out.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    response
}
