//! Prometheus metrics (text exposition format): HTTP requests by route and
//! status with latency histograms and requests in flight, recorded by a
//! middleware; the coach's answer stages, model tokens and cost, and ingestion,
//! recorded where they happen through the `metrics` facade; sessions, queued
//! jobs and the database pool, measured when scraped. `/metrics` on the main
//! listener needs the configured bearer token (without one it does not exist
//! there); an operator may instead serve it on a separate listener
//! ([`metrics_app`]) bound to an internal address.

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use axum::extract::{MatchedPath, State};
use axum::http::{HeaderMap, Request, header};
use axum::response::{IntoResponse, Response};
use axum::{Router, routing::get};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;
use wayfinder_accounts_rules::constant_time_eq;

/// Seconds: from a cached read to a slow model turn.
const LATENCY_BUCKETS: &[f64] =
    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
/// Seconds an ingestion job may take.
const JOB_BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use (one per process: every server in it shares it).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets(LATENCY_BUCKETS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full("wayfinder_ingest_job_seconds".into()), JOB_BUCKETS))
            .expect("non-empty buckets")
            .install_recorder()
            .expect("the Prometheus recorder is the only one installed")
    })
}

/// Counts each request by route (the matched pattern, not the raw path) and status, and times it.
pub async fn track_requests(request: Request<axum::body::Body>, next: axum::middleware::Next) -> Response {
    handle();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| route_label(p.as_str()))
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().to_string();
    let started = Instant::now();
    let in_flight = metrics::gauge!("wayfinder_http_requests_in_flight");
    in_flight.increment(1.0);
    let response = next.run(request).await;
    in_flight.decrement(1.0);
    let status = response.status().as_u16().to_string();
    metrics::counter!("wayfinder_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("wayfinder_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// A route pattern as a label: `/orgs/{org_id}` becomes `/orgs/:org_id`, the form most tools
/// (and parsers that split on braces) expect.
fn route_label(pattern: &str) -> String {
    pattern.replace('{', ":").replace('}', "")
}

/// Sessions, queued jobs and the pool, measured now; then the exposition.
async fn render(state: &AppState) -> Response {
    match state.store.operational_counts(chrono::Utc::now()).await {
        Ok(counts) => {
            metrics::gauge!("wayfinder_sessions_active").set(counts.active_sessions as f64);
            metrics::gauge!("wayfinder_ingest_jobs_queued").set(counts.queued_jobs as f64);
            metrics::gauge!("wayfinder_ingest_jobs_running").set(counts.running_jobs as f64);
        }
        Err(error) => tracing::warn!(%error, "operational counts could not be read for /metrics"),
    }
    let (size, idle) = state.store.pool_use();
    metrics::gauge!("wayfinder_db_pool_connections", "state" => "open").set(f64::from(size));
    metrics::gauge!("wayfinder_db_pool_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("wayfinder_db_pool_connections", "state" => "in_use").set(f64::from(size) - idle as f64);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle().render()).into_response()
}

/// `/metrics` on the main listener: 404 unless a token is configured, 401 without it.
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.settings.metrics_token.as_deref() else {
        return ApiError::not_found("endpoint").into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        return ApiError::new(ErrorCode::InvalidToken, "the metrics endpoint needs its bearer token").into_response();
    }
    render(&state).await
}

/// The metrics alone, without a token: for a listener bound to an internal address.
pub fn metrics_app(state: AppState) -> Router {
    handle();
    Router::new()
        .route("/metrics", get(|State(state): State<AppState>| async move { render(&state).await }))
        .with_state(state)
}

/// Serves [`metrics_app`] on `listener` until `shutdown` resolves.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, metrics_app(state)).with_graceful_shutdown(shutdown).await
}
