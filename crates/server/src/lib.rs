//! The HTTP side of Wayfinder: the JSON API and the web app. Thin by design:
//! each handler parses the request, authenticates ([`auth`]), authorises
//! through the one policy ([`authz`]), calls the store or a domain crate, and
//! maps errors to the stable `{"error":{"code","message"}}` shape ([`error`]).
//! The OpenAPI document is generated from the handlers themselves and served
//! at `/api/v1/openapi.json`; every other page is the browser app
//! ([`web_app`]).

pub mod auth;
pub mod authz;
pub mod error;
pub mod json;
pub mod live;
pub mod metrics;
mod openapi;
mod origin;
mod pages;
pub mod rate_limit;
pub mod routes;
pub mod state;
pub mod web_app;

pub use state::{AppState, ServerSettings};
pub use wayfinder_accounts::AccountSettings;
pub use web_app::WebAppSource;

use crate::error::ErrorCode;
use axum::response::IntoResponse;
use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::{HeaderName, HeaderValue, Request, header},
    routing::get,
};
use bytes::Bytes;
use error::ApiError;
use std::sync::{Arc, OnceLock};
use std::{future::Future, net::SocketAddr, time::Duration};
use tokio::net::TcpListener;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The OpenAPI document the server serves at `/api/v1/openapi.json`.
pub fn openapi_document() -> serde_json::Value {
    described_document(ServerSettings::default().max_upload_bytes)
}

/// The document of the routes as [`app`] builds them, with their descriptions.
fn described_document(max_upload_bytes: usize) -> serde_json::Value {
    openapi::complete(routes::api_routes(max_upload_bytes, routes::Descriptions::Included).split_for_parts().1)
}

/// `/api/v1/openapi.json`: the document, serialised once on first request and
/// kept as bytes.
async fn serve_openapi(document: Arc<OnceLock<Bytes>>, max_upload_bytes: usize) -> axum::response::Response {
    let body = match document.get() {
        Some(body) => body.clone(),
        None => {
            let built = tokio::task::spawn_blocking(move || {
                let doc = described_document(max_upload_bytes);
                Bytes::from(serde_json::to_vec(&doc).expect("the OpenAPI document serialises"))
            })
            .await
            .expect("building the OpenAPI document does not panic");
            document.get_or_init(|| built).clone()
        }
    };
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

/// The whole application: `/api/v1/*`, `/v1/*`, `/healthz`, `/readyz` and the
/// web app for everything else, with request ids, tracing and a body size limit.
pub fn app(state: AppState) -> Router {
    // Served bare: the document is built on its first request (`routes::route_table`).
    let (api, _) = routes::api_routes(state.settings.max_upload_bytes, routes::Descriptions::Left).split_for_parts();
    let document = Arc::new(OnceLock::<Bytes>::new());
    let max_upload = state.settings.max_upload_bytes;
    let max_body = state.settings.max_body_bytes;
    let hsts = state.settings.public_url.starts_with("https://");

    let api = api
        .route("/openapi.json", get(move || serve_openapi(document.clone(), max_upload)))
        .route("/live", get(live::live))
        .route("/orgs/{org_id}/interviews/{interview_id}/voice", get(routes::interview_voice::interview_voice))
        .fallback(|| async { ApiError::not_found("endpoint") });

    Router::new()
        .nest("/api/v1", api)
        .route("/v1/models", get(routes::openai::list_models))
        .route("/v1/chat/completions", axum::routing::post(routes::openai::chat_completions))
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/metrics", get(metrics::scrape))
        .route("/oauth/token", axum::routing::post(routes::oauth::token))
        .route("/oauth/revoke", axum::routing::post(routes::oauth::revoke))
        .route("/.well-known/jwks.json", get(routes::oauth::jwks))
        .route("/.well-known/oauth-authorization-server", get(routes::oauth::metadata))
        .route("/setup", get(pages::setup))
        .route("/invite/{token}", get(pages::invite))
        .route("/widget.js", get(routes::widgets::loader))
        .route("/widget/assets/{file}", get(routes::widgets::frame_asset))
        .route("/widget/{widget_id}", get(routes::widgets::frame))
        .route("/widget/{widget_id}/connect", get(routes::widgets::connect))
        .fallback(web_app::fallback)
        .method_not_allowed_fallback(|| async {
            ApiError::new(ErrorCode::MethodNotAllowed, "this endpoint does not take that method")
        })
        // JSON bodies are read by `json::JsonBody` with the same limit and a
        // clean 413; this covers every other extractor.
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::limit_rates))
        .layer(axum::middleware::from_fn_with_state(hsts, security_headers))
        .layer(axum::middleware::from_fn(metrics::track_requests))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let id = req
                        .extensions()
                        .get::<RequestId>()
                        .and_then(|id| id.header_value().to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Headers every response carries: no content sniffing; API answers (which hold
/// personal data and the CSRF token) never stored by a cache; and, when people
/// reach the server over https, a year of Strict-Transport-Security.
async fn security_headers(
    axum::extract::State(hsts): axum::extract::State<bool>,
    request: Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path();
    let is_api =
        ["/api/", "/v1/", "/healthz", "/readyz", "/oauth/token", "/oauth/revoke"].iter().any(|p| path.starts_with(p));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if is_api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if hsts {
        headers
            .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    response
}

/// Serves the application on `listener` until `shutdown` resolves, then lets
/// in-flight requests finish (up to `grace`) before returning.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = tx.send(true);
    });
    let mut rx = rx;
    let forced = async move {
        let _ = rx.wait_for(|stop| *stop).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server => result,
        _ = forced => {
            tracing::warn!("in-flight requests did not finish within the grace period; exiting");
            Ok(())
        }
    }
}
