//! Personal API tokens: shown once at creation, stored as a digest, expiring,
//! revocable; sent as `Authorization: Bearer <token>`.

use crate::{
    auth::{ClientIp, Principal},
    error::{ApiError, ApiResult, ErrorBody},
    json::{JsonBody, PathIds},
    routes::audit,
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wayfinder_accounts_rules::TokenId;
use wayfinder_store::ApiToken;

/// A new token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for, e.g. "reporting script".
    pub name: String,
    /// Lifetime in days (default 90, at most the configured maximum).
    pub expires_in_days: Option<i64>,
}

/// A token (never its secret).
#[derive(Serialize, ToSchema)]
pub struct TokenView {
    pub id: TokenId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A created token with its secret, shown this once.
#[derive(Serialize, ToSchema)]
pub struct TokenCreated {
    pub token: TokenView,
    /// Send as `Authorization: Bearer <secret>`. It cannot be shown again.
    pub secret: String,
}

/// The caller's API tokens, newest first.
#[utoipa::path(get, path = "/tokens", tag = "tokens", responses((status = 200, body = [TokenView])))]
pub async fn list_tokens(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<Vec<TokenView>>> {
    Ok(Json(state.store.list_tokens(principal.person.id).await?.into_iter().map(Into::into).collect()))
}

/// Create an API token for the caller.
#[utoipa::path(post, path = "/tokens", tag = "tokens", request_body = CreateToken,
    responses((status = 201, body = TokenCreated), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    JsonBody(req): JsonBody<CreateToken>,
) -> ApiResult<(StatusCode, Json<TokenCreated>)> {
    let (token, secret) = state.accounts.create_token(principal.person.id, &req.name, req.expires_in_days).await?;
    audit(
        &state,
        None,
        Some(principal.person.id),
        "token.created",
        Some(token.id.to_string()),
        serde_json::json!({ "name": token.name }),
        &ip,
    )
    .await;
    Ok((StatusCode::CREATED, Json(TokenCreated { token: token.into(), secret })))
}

/// Revoke one of the caller's tokens; it stops working at once.
#[utoipa::path(delete, path = "/tokens/{token_id}", tag = "tokens", params(("token_id" = TokenId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(id): PathIds<TokenId>,
) -> ApiResult<StatusCode> {
    state.store.revoke_token(Some(principal.person.id), id).await.map_err(|_| ApiError::not_found("token"))?;
    audit(&state, None, Some(principal.person.id), "token.revoked", Some(id.to_string()), serde_json::json!({}), &ip)
        .await;
    Ok(StatusCode::NO_CONTENT)
}
