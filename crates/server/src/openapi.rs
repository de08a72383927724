//! The OpenAPI document: what the handlers declare (utoipa), completed from the
//! same sources the checks use, so the two cannot drift. Every operation gets the
//! statuses its extractors can answer with (authentication, the JSON or multipart
//! body, path ids), each described by the codes of the error registry, and request
//! fields get the limits the domain enforces, read from the same constants.

use crate::error::ErrorCode;
use serde_json::{Map, Value, json};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Wayfinder API", description = "Self-hosted AI coaching and learning platform."),
    servers((url = "/api/v1")),
    tags(
        (name = "auth", description = "Sign-in, sessions and the caller's profile"),
        (name = "setup", description = "First-run creation of the instance operator"),
        (name = "organisations", description = "Tenants and their audit log"),
        (name = "members", description = "People in an organisation and their roles"),
        (name = "invitations", description = "Inviting people by email"),
        (name = "relationships", description = "Coach→learner, parent→learner, manager→coach"),
        (name = "tokens", description = "Personal API tokens"),
        (name = "knowledge", description = "Collections, documents, ingestion jobs and search"),
        (name = "coach", description = "Coach profiles, conversations, answers, feedback, sharing and budgets"),
        (name = "learning", description = "Programs, concepts, enrolments, evidence, mastery, goals, paths and reviews"),
        (name = "practice", description = "The question bank: generated and authored items and their review"),
        (name = "provisioning", description = "Bringing in coaches: invitation, training program, profile, intake and results"),
        (name = "insights", description = "Dashboards: the organisation's overview, a learner's dashboard, learners at a glance with at-risk flags, and their settings"),
        (name = "channels", description = "Telegram, WhatsApp and e-mail: the organisation's set-up, linked accounts, and the platforms' webhooks"),
        (name = "nudges", description = "Rules that reach out when something happens or stops happening, their measured effect, and each person's reach settings"),
        (name = "widgets", description = "Website widgets: a coach embedded in other sites, their allowed origins, and the calls the widget makes"),
        (name = "sequences", description = "Programs of scheduled steps: messages, check-ins, practice and reflection prompts, enrolments and check-in answers"),
        (name = "interviews", description = "Guided interviews: flows of questions, probes and branches with a summary schema (versioned; built-in templates), interviews run typed or spoken, paused and resumed, and the structured summary they end in"),
    )
)]
struct ApiDoc;

/// Operations that answer without a signed-in principal (`Principal` is not among their extractors).
const PUBLIC_OPERATIONS: [(&str, &str); 10] = [
    ("get", "/widgets/{widget_id}/config"),
    ("post", "/widgets/{widget_id}/sessions"),
    ("get", "/widgets/{widget_id}/messages"),
    ("post", "/widgets/{widget_id}/messages"),
    ("post", "/auth/login"),
    ("get", "/setup"),
    ("post", "/setup"),
    ("get", "/invitations/{token}"),
    ("post", "/invitations/accept"),
    ("get", "/shared/{token}"),
];

/// A limit the domain enforces on a request field, as the document states it.
enum FieldLimit {
    /// Length in characters.
    Chars { min: usize, max: usize },
    /// At least this many characters (the upper bound is the password's).
    Password,
    /// An e-mail address.
    Email,
}

/// Request fields and their limits, from the constants the checks use.
fn field_limits() -> [(&'static str, &'static str, FieldLimit); 7] {
    use FieldLimit::*;
    [
        ("SearchBody", "query", Chars { min: 1, max: wayfinder_knowledge::MAX_QUERY_CHARS }),
        ("PostMessage", "content", Chars { min: 1, max: wayfinder_coach::MAX_MESSAGE_CHARS }),
        ("PasswordChange", "new_password", Password),
        ("SetupRequest", "password", Password),
        ("SetupRequest", "email", Email),
        ("CreateInvitation", "email", Email),
        ("LoginRequest", "email", Email),
    ]
}

/// The complete document for `openapi` (the handlers' own declarations).
pub fn complete(mut openapi: utoipa::openapi::OpenApi) -> Value {
    openapi.merge(ApiDoc::openapi());
    openapi.info = ApiDoc::openapi().info;
    let mut doc = serde_json::to_value(&openapi).expect("the OpenAPI document serialises");
    let public: Vec<(&str, &str)> = PUBLIC_OPERATIONS.to_vec();
    let paths = doc["paths"].as_object_mut().expect("the document has paths");
    for (path, operations) in paths.iter_mut() {
        for (method, operation) in operations.as_object_mut().expect("a path holds operations") {
            let authenticated = !public.contains(&(method.as_str(), path.as_str()));
            document_operation(operation, method, path, authenticated);
        }
    }
    for (schema, field, limit) in field_limits() {
        let property = doc["components"]["schemas"][schema]["properties"]
            .get_mut(field)
            .unwrap_or_else(|| panic!("{schema}.{field} is in the document"));
        match limit {
            FieldLimit::Chars { min, max } => {
                property["minLength"] = json!(min);
                property["maxLength"] = json!(max);
            }
            FieldLimit::Password => {
                property["minLength"] = json!(wayfinder_accounts_rules::MIN_PASSWORD_CHARS);
                property["maxLength"] = json!(wayfinder_accounts_rules::MAX_PASSWORD_CHARS);
            }
            FieldLimit::Email => property["format"] = json!("email"),
        }
    }
    doc["components"]["securitySchemes"] = json!({
        "session": { "type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE,
                     "description": "The session cookie from sign-in; changes also need the X-CSRF-Token header." },
        "token": { "type": "http", "scheme": "bearer", "description": "A personal API token (wft_…)." },
    });
    doc
}

/// Adds the statuses an operation's extractors can answer with.
fn document_operation(operation: &mut Value, method: &str, path: &str, authenticated: bool) {
    let mut codes: Vec<ErrorCode> = Vec::new();
    if authenticated {
        operation["security"] = json!([{ "session": [] }, { "token": [] }]);
        codes.extend([
            ErrorCode::Unauthenticated,
            ErrorCode::InvalidToken,
            ErrorCode::TokenRevoked,
            ErrorCode::TokenExpired,
            ErrorCode::SessionInvalid,
            ErrorCode::SessionExpired,
        ]);
        // A caller required to use a second factor who has not enrolled one reaches only enrolling.
        let m = axum::http::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap_or(axum::http::Method::GET);
        if !crate::auth::reachable_while_enrolling(&m, path) {
            codes.push(ErrorCode::MfaEnrollmentRequired);
        }
        if method != "get" {
            codes.push(ErrorCode::CsrfFailed);
        }
    }
    if path.contains('{') {
        codes.push(ErrorCode::NotFound);
    }
    let limited = axum::http::Method::from_bytes(method.to_uppercase().as_bytes())
        .is_ok_and(|m| crate::rate_limit::classify(&m, &format!("/api/v1{path}")).is_some());
    if limited {
        codes.push(ErrorCode::RateLimited);
    }
    let body = operation.get("requestBody").and_then(|b| b.get("content")).and_then(Value::as_object);
    if let Some(content) = body {
        codes.extend([ErrorCode::PayloadTooLarge, ErrorCode::UnsupportedMediaType]);
        if content.contains_key("multipart/form-data") {
            codes.push(ErrorCode::MalformedMultipart);
        } else {
            codes.extend([
                ErrorCode::MalformedJson,
                ErrorCode::UnreadableBody,
                ErrorCode::InvalidField,
                ErrorCode::UnknownField,
                ErrorCode::MissingField,
            ]);
        }
    }
    let responses = operation["responses"].as_object_mut().expect("an operation has responses");
    // A status the handler declares itself stands for the registry's general code of that status.
    for (status, general) in
        [("403", ErrorCode::Forbidden), ("404", ErrorCode::NotFound), ("422", ErrorCode::InvalidField)]
    {
        if responses.contains_key(status) {
            codes.push(general);
        }
    }
    for code in codes {
        add_error_response(responses, code);
    }
}

/// Documents `code` under its status, beside whatever the handler declared there.
fn add_error_response(responses: &mut Map<String, Value>, code: ErrorCode) {
    let status = code.status().as_u16().to_string();
    let line = format!("`{code}`: {}", code.meaning());
    let response = responses.entry(status).or_insert_with(|| {
        json!({ "description": "", "content": { "application/json": {
            "schema": { "$ref": "#/components/schemas/ErrorBody" } } } })
    });
    let description = response["description"].as_str().unwrap_or_default();
    if !description.contains(&format!("`{code}`")) {
        response["description"] = json!(if description.is_empty() { line } else { format!("{description}\n\n{line}") });
    }
}
