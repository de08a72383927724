//! Website widgets over HTTP. Administrators write them (`/orgs/{org}/widgets`).
//! The embedding script (`/widget.js`) checks in at `GET /widgets/{id}/config`,
//! answered cross-origin only to the widget's allowed origins; the chat runs in
//! a frame (`/widget/{id}`) whose `frame-ancestors` lists the same origins, and
//! talks to the same-origin session and message endpoints with a bearer token
//! of its own. Members sign in through a Wayfinder window (`/widget/{id}/connect`).

use crate::{
    auth::{ClientIp, Principal},
    authz::OrgScope,
    error::{ApiError, ApiResult, ErrorBody, ErrorCode},
    json::{JsonBody, PathIds},
    routes::{audit, channels::member_scope},
    state::AppState,
};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use wayfinder_accounts_rules::OrgId;
use wayfinder_accounts_rules::policy::OrgAction;
use wayfinder_channels::widgets::{
    Widget, WidgetConfig, WidgetError, WidgetExchange, WidgetMessage, WidgetQuestion, WidgetRefusal,
    WidgetSessionToken, WidgetSpec,
};
use wayfinder_channels_rules::WidgetId;
use wayfinder_store::{WidgetRecord, WidgetSessionRecord};

const LOADER: &str = include_str!("../widget/loader.js");
const FRAME_JS: &str = include_str!("../widget/frame.js");
const FRAME_CSS: &str = include_str!("../widget/frame.css");
const CONNECT_JS: &str = include_str!("../widget/connect.js");

impl From<WidgetError> for ApiError {
    fn from(e: WidgetError) -> Self {
        match e {
            WidgetError::Channels(e) => e.into(),
            WidgetError::Refused(why) => {
                let code = match why {
                    WidgetRefusal::Origin => ErrorCode::OriginNotAllowed,
                    WidgetRefusal::Inactive => return ApiError::not_found("widget"),
                    WidgetRefusal::MembersOnly => ErrorCode::Forbidden,
                    WidgetRefusal::TooFast => ErrorCode::RateLimited,
                    WidgetRefusal::BudgetSpent => ErrorCode::BudgetExceeded,
                    WidgetRefusal::NothingPublic => ErrorCode::Conflict,
                    WidgetRefusal::Session => ErrorCode::SessionInvalid,
                };
                ApiError::new(code, why.to_string())
            }
        }
    }
}

async fn admin(state: &AppState, principal: &Principal, org_id: OrgId) -> ApiResult<()> {
    OrgScope::load(state, principal, org_id).await?.require(OrgAction::ManageChannels)
}

/// The organisation's website widgets (admins).
#[utoipa::path(get, path = "/orgs/{org_id}/widgets", tag = "widgets", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = Vec<Widget>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_widgets(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<Widget>>> {
    admin(&state, &principal, org_id).await?;
    Ok(Json(state.channels.widgets(org_id).await?))
}

/// Add a website widget for a coach (admins); the answer holds the tag to copy into the site.
#[utoipa::path(post, path = "/orgs/{org_id}/widgets", tag = "widgets", params(("org_id" = OrgId, Path)),
    request_body = WidgetSpec,
    responses((status = 201, body = Widget), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_widget(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(body): JsonBody<WidgetSpec>,
) -> ApiResult<(StatusCode, Json<Widget>)> {
    admin(&state, &principal, org_id).await?;
    let widget = state.channels.create_widget(org_id, body).await?;
    let detail = serde_json::json!({ "name": widget.name, "allowed_origins": widget.allowed_origins });
    let (actor, target) = (Some(principal.person.id), Some(widget.id.to_string()));
    audit(&state, Some(org_id), actor, "widget.created", target, detail, &ip).await;
    Ok((StatusCode::CREATED, Json(widget)))
}

/// One widget (admins).
#[utoipa::path(get, path = "/orgs/{org_id}/widgets/{widget_id}", tag = "widgets",
    params(("org_id" = OrgId, Path), ("widget_id" = String, Path)),
    responses((status = 200, body = Widget), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_widget(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, WidgetId)>,
) -> ApiResult<Json<Widget>> {
    admin(&state, &principal, org_id).await?;
    Ok(Json(state.channels.org_widget(org_id, id).await?))
}

/// Replace a widget (admins).
#[utoipa::path(put, path = "/orgs/{org_id}/widgets/{widget_id}", tag = "widgets",
    params(("org_id" = OrgId, Path), ("widget_id" = String, Path)), request_body = WidgetSpec,
    responses((status = 200, body = Widget), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_widget(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, WidgetId)>,
    JsonBody(body): JsonBody<WidgetSpec>,
) -> ApiResult<Json<Widget>> {
    admin(&state, &principal, org_id).await?;
    let widget = state.channels.update_widget(org_id, id, body).await?;
    let detail = serde_json::json!({ "allowed_origins": widget.allowed_origins, "active": widget.active });
    audit(&state, Some(org_id), Some(principal.person.id), "widget.changed", Some(id.to_string()), detail, &ip).await;
    Ok(Json(widget))
}

/// Delete a widget with its visitors' conversations (admins).
#[utoipa::path(delete, path = "/orgs/{org_id}/widgets/{widget_id}", tag = "widgets",
    params(("org_id" = OrgId, Path), ("widget_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_widget(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, WidgetId)>,
) -> ApiResult<StatusCode> {
    admin(&state, &principal, org_id).await?;
    state.channels.delete_widget(org_id, id).await?;
    let detail = serde_json::json!({});
    audit(&state, Some(org_id), Some(principal.person.id), "widget.deleted", Some(id.to_string()), detail, &ip).await;
    Ok(StatusCode::NO_CONTENT)
}

fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
}

/// Whether a request comes from this server's own pages (the widget frame): no `Origin`
/// (not a browser's cross-origin call), or one naming this host.
fn same_origin(headers: &HeaderMap) -> bool {
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("same-origin") {
        return true;
    }
    origin(headers).is_none_or(|origin| crate::origin::names_request_host(origin, headers))
}

/// The widget the frame's own calls address, refusing calls from other sites.
async fn frame_widget(state: &AppState, headers: &HeaderMap, id: WidgetId) -> ApiResult<WidgetRecord> {
    if !same_origin(headers) {
        return Err(WidgetError::from(WidgetRefusal::Origin).into());
    }
    Ok(state.channels.embeddable_widget(id, None).await?)
}

async fn session(state: &AppState, headers: &HeaderMap, widget: &WidgetRecord) -> ApiResult<WidgetSessionRecord> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ApiError::new(ErrorCode::Unauthenticated, "send the widget session as Authorization: Bearer …")
        })?;
    Ok(state.channels.widget_session(widget, token.trim()).await?)
}

/// What the embedding script shows: answered to the widget's allowed origins only (with
/// `Access-Control-Allow-Origin` naming the origin), `origin_not_allowed` to any other site.
#[utoipa::path(get, path = "/widgets/{widget_id}/config", tag = "widgets", params(("widget_id" = String, Path)),
    responses((status = 200, body = WidgetConfig), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn widget_config(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathIds(id): PathIds<WidgetId>,
) -> ApiResult<Response> {
    let origin = origin(&headers).filter(|_| !same_origin(&headers));
    let widget = state.channels.embeddable_widget(id, origin).await?;
    let config = state.channels.widget_config(&widget).await?;
    let mut response = Json(config).into_response();
    if let Some(value) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        response.headers_mut().insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    Ok(response)
}

/// Start an anonymous visitor's session (widgets for visitors; called by the widget's frame).
#[utoipa::path(post, path = "/widgets/{widget_id}/sessions", tag = "widgets", params(("widget_id" = String, Path)),
    responses((status = 201, body = WidgetSessionToken), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn start_widget_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    ip: ClientIp,
    PathIds(id): PathIds<WidgetId>,
) -> ApiResult<(StatusCode, Json<WidgetSessionToken>)> {
    let widget = frame_widget(&state, &headers, id).await?;
    let client = ip.0.unwrap_or_default();
    Ok((StatusCode::CREATED, Json(state.channels.start_visitor(&widget, &client).await?)))
}

/// The session's conversation so far.
#[utoipa::path(get, path = "/widgets/{widget_id}/messages", tag = "widgets", params(("widget_id" = String, Path)),
    responses((status = 200, body = Vec<WidgetMessage>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn widget_messages(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathIds(id): PathIds<WidgetId>,
) -> ApiResult<Json<Vec<WidgetMessage>>> {
    let widget = frame_widget(&state, &headers, id).await?;
    let session = session(&state, &headers, &widget).await?;
    Ok(Json(state.channels.widget_messages(&widget, &session).await?))
}

/// Ask through the widget: within the visitor's rate and the widget's daily budget; an
/// anonymous visitor is answered from the coach's public collections only.
#[utoipa::path(post, path = "/widgets/{widget_id}/messages", tag = "widgets", params(("widget_id" = String, Path)),
    request_body = WidgetQuestion,
    responses((status = 200, body = WidgetExchange), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn ask_widget(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathIds(id): PathIds<WidgetId>,
    JsonBody(body): JsonBody<WidgetQuestion>,
) -> ApiResult<Json<WidgetExchange>> {
    let widget = frame_widget(&state, &headers, id).await?;
    let session = session(&state, &headers, &widget).await?;
    let content = body.content.trim().to_string();
    if content.is_empty() || content.chars().count() > 4000 {
        return Err(ApiError::invalid("content", "must be 1 to 4000 characters"));
    }
    Ok(Json(state.channels.ask_widget(&widget, &session, content).await?))
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

/// `GET /widget.js`: the script a site embeds.
pub async fn loader() -> Response {
    asset(LOADER, "text/javascript; charset=utf-8")
}

/// `GET /widget/assets/{file}`: the frame's script and styles, the sign-in window's script.
pub async fn frame_asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    match file.as_str() {
        "frame.js" => asset(FRAME_JS, "text/javascript; charset=utf-8"),
        "frame.css" => asset(FRAME_CSS, "text/css; charset=utf-8"),
        "connect.js" => asset(CONNECT_JS, "text/javascript; charset=utf-8"),
        _ => ApiError::not_found("file").into_response(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn page(html: String, frame_ancestors: &str) -> Response {
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; \
         base-uri 'none'; form-action 'none'; frame-ancestors {frame_ancestors}"
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

fn refusal_page(status: StatusCode, text: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Wayfinder</title><body><p>{}</p></body></html>",
        escape(text)
    );
    (status, page(html, "'none'")).into_response()
}

/// `GET /widget/{id}`: the chat frame, shown by browsers only inside the widget's allowed
/// origins (`frame-ancestors`); a page embedding it from elsewhere (by its `Referer`) is refused.
pub async fn frame(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let Ok(id) = id.parse::<WidgetId>() else { return refusal_page(StatusCode::NOT_FOUND, "No such widget.") };
    let embedder = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::origin::of_url)
        .filter(|o| !crate::origin::names_request_host(o, &headers));
    let widget = match state.channels.embeddable_widget(id, embedder.as_deref()).await {
        Ok(widget) => widget,
        Err(WidgetError::Refused(WidgetRefusal::Origin)) => {
            return refusal_page(StatusCode::FORBIDDEN, "This site may not show this Wayfinder widget.");
        }
        Err(_) => return refusal_page(StatusCode::NOT_FOUND, "This widget is not available."),
    };
    let config = match state.channels.widget_config(&widget).await {
        Ok(config) => config,
        Err(_) => return refusal_page(StatusCode::NOT_FOUND, "This widget is not available."),
    };
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{coach}</title><link rel=\"stylesheet\" href=\"/widget/assets/frame.css\"></head>\
         <body data-widget=\"{id}\" data-audience=\"{audience}\">\
         <header><h1>{coach}</h1><p>{name}</p></header>\
         <ol id=\"log\" aria-label=\"Conversation\" aria-live=\"polite\"><li class=\"msg coach\"><p>{greeting}</p></li></ol>\
         <button id=\"signin\" type=\"button\" hidden>Sign in with Wayfinder</button>\
         <p id=\"status\" class=\"status\" role=\"status\"></p>\
         <form id=\"ask\"><label for=\"question\" hidden>Your question</label>\
         <textarea id=\"question\" rows=\"2\" maxlength=\"4000\" placeholder=\"Ask a question\" disabled></textarea>\
         <button id=\"send\" type=\"submit\" disabled>Send</button></form>\
         <script src=\"/widget/assets/frame.js\"></script></body></html>",
        coach = escape(&config.coach_name),
        name = escape(&config.name),
        greeting = escape(&config.greeting),
        id = widget.id,
        audience = widget.audience,
    );
    page(html, &widget.allowed_origins.join(" "))
}

/// `GET /widget/{id}/connect`: the Wayfinder window a member signs in through; once signed
/// in (and a member of the widget's organisation) it hands a session to the widget's frame.
pub async fn connect(
    State(state): State<AppState>,
    principal: Result<Principal, ApiError>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let Ok(id) = id.parse::<WidgetId>() else { return refusal_page(StatusCode::NOT_FOUND, "No such widget.") };
    let Ok(widget) = state.channels.embeddable_widget(id, None).await else {
        return refusal_page(StatusCode::NOT_FOUND, "This widget is not available.");
    };
    let Ok(principal) = principal else {
        let next = format!("/widget/{id}/connect");
        let query = url::form_urlencoded::Serializer::new(String::new()).append_pair("next", &next).finish();
        return axum::response::Redirect::to(&format!("/signin?{query}")).into_response();
    };
    if member_scope(&state, &principal, widget.org).await.is_err() {
        return refusal_page(StatusCode::FORBIDDEN, "You are not a member of the organisation this widget belongs to.");
    }
    match state.channels.start_member_session(&widget, principal.person.id).await {
        Ok(session) => {
            let html = format!(
                "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Signed in</title>\
                 <body data-token=\"{}\"><p>Signed in. You can close this window.</p>\
                 <script src=\"/widget/assets/connect.js\"></script></body></html>",
                escape(&session.token)
            );
            page(html, "'none'")
        }
        Err(_) => refusal_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong; try again."),
    }
}
