//! Request extractors that answer in the API error format: JSON bodies
//! (content type, size limit, syntax, types, unknown fields — each with a
//! stable code and the offending field) and path ids (a malformed id is
//! simply an unknown one: 404).

use crate::error::ErrorCode;
use crate::{error::ApiError, state::AppState};
use axum::{
    body::{Body, Bytes},
    extract::{FromRequest, FromRequestParts, Path, Request},
    http::{header, request::Parts},
};
use bytes::BytesMut;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

/// A JSON request body of type `T` (a JSON object), at most the configured size.
pub struct JsonBody<T>(pub T);

// After the limit is passed, keep reading (and discarding) this much more so
// a client still sending its oversized body receives the 413 instead of a
// reset connection; beyond it the connection is simply closed.
const DRAIN_AFTER_LIMIT: usize = 16 * 1024 * 1024;

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = read_limited(req.into_body(), state.settings.max_body_bytes).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Reads a whole body if it fits in `limit` bytes; 413 otherwise.
pub async fn read_limited(mut body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let mut buf = BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|_| ApiError::new(ErrorCode::UnreadableBody, "the request body could not be read"))?;
        let Ok(data) = frame.into_data() else { continue };
        total += data.len();
        if total <= limit {
            buf.extend_from_slice(&data);
        } else if total > limit + DRAIN_AFTER_LIMIT {
            break;
        }
    }
    if total > limit {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the request body is larger than {limit} bytes"),
        ));
    }
    Ok(buf.freeze())
}

/// Parses JSON into `T`, naming the field that failed.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Derived deserialisers also accept a struct written as an array; request
    // bodies are objects, so anything else is refused before it gets that far.
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        None => {
            return Err(ApiError::new(ErrorCode::MalformedJson, "the body is empty; send a JSON object"));
        }
        Some(_) if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err() => {
            return Err(ApiError::new(ErrorCode::MalformedJson, "the body is not valid JSON"));
        }
        Some(_) => return Err(ApiError::invalid("body", "must be a JSON object")),
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut tree = <serde_json::Value as serde::Deserialize>::deserialize(&mut de)
        .map_err(|e| ApiError::new(ErrorCode::MalformedJson, format!("the body is not valid JSON: {e}")))?;
    de.end().map_err(|_| {
        ApiError::new(ErrorCode::MalformedJson, "the body has trailing characters after the JSON value")
    })?;
    integral_floats_as_integers(&mut tree);
    serde_path_to_error::deserialize(tree).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = inner.to_string();
                let message = message.split(" at line ").next().unwrap_or(&message).to_string();
                if let Some(unknown) = message.strip_prefix("unknown field `").and_then(|m| m.split('`').next()) {
                    // The recorded path already ends at the unknown key.
                    let field = if path == "." { unknown.to_string() } else { path };
                    ApiError::invalid_as(ErrorCode::UnknownField, field, "is not a known field")
                } else if let Some(missing) = message.strip_prefix("missing field `").and_then(|m| m.split('`').next())
                {
                    let field = if path == "." { missing.to_string() } else { format!("{path}.{missing}") };
                    ApiError::invalid_as(ErrorCode::MissingField, field, "is required")
                } else {
                    ApiError::invalid(if path == "." { "body".to_string() } else { path }, message)
                }
            }
            _ => ApiError::new(ErrorCode::MalformedJson, format!("the body is not valid JSON: {inner}")),
        }
    })
}

/// Whole numbers written with a decimal point or an exponent (`500.0`, `5e2`) become
/// integers, so integer fields take them as clients in languages without an integer
/// type send them; fractions stay as they are and integer fields still refuse them.
fn integral_floats_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // Inside ±2^53 every integer is exact in a float, so nothing is rounded here.
            if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
                *n = serde_json::Number::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
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
