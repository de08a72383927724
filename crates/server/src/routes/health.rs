//! Liveness and readiness probes for orchestrators and load balancers.

use crate::state::AppState;
use axum::{Json, extract::State, http::StatusCode};
use serde_json::{Value, json};

/// The process is alive.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Value)))]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The database answers and every migration this binary knows is applied.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, body = Value), (status = 503, body = Value)))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.store.pending_migrations().await {
        Ok(pending) if pending.is_empty() => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Ok(pending) => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "migrations_pending", "pending": pending })))
        }
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "database_unreachable" })))
        }
    }
}
