//! Request extractors that answer in the API error format: JSON bodies
//! (content type, size limit, syntax, types, unknown fields — each with a
//! stable code and the offending field) and path ids (a malformed id is
//! simply an unknown one: 404).

use crate::error::ApiError;
use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Path, Request},
    http::{header, request::Parts, StatusCode},
};
use serde::de::DeserializeOwned;

/// A JSON request body of type `T`.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the request body is too large")
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body", "the request body could not be read")
            }
        })?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses JSON into `T`, naming the field that failed.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = inner.to_string();
                let message = message.split(" at line ").next().unwrap_or(&message).to_string();
                if let Some(unknown) = message.strip_prefix("unknown field `").and_then(|m| m.split('`').next()) {
                    let field = if path == "." { unknown.to_string() } else { format!("{path}.{unknown}") };
                    let mut err = ApiError::invalid(field, "is not a known field");
                    err.code = "unknown_field";
                    err
                } else if let Some(missing) = message.strip_prefix("missing field `").and_then(|m| m.split('`').next()) {
                    let field = if path == "." { missing.to_string() } else { format!("{path}.{missing}") };
                    let mut err = ApiError::invalid(field, "is required");
                    err.code = "missing_field";
                    err
                } else {
                    ApiError::invalid(if path == "." { "body".to_string() } else { path }, message)
                }
            }
            _ => ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", format!("the body is not valid JSON: {inner}")),
        }
    })?;
    de.end()
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", "the body has trailing characters after the JSON value"))?;
    Ok(value)
}

/// Path parameters; ones that do not parse (e.g. a malformed id) answer 404.
pub struct PathIds<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathIds<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| PathIds(v))
            .map_err(|_| ApiError::not_found("resource"))
    }
}
