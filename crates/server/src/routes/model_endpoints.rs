//! An organisation's own model endpoints over HTTP (admins): its OpenAI-compatible chat and
//! embedding endpoints, each with a model and an API key that is sealed at rest and never
//! returned. Setting or removing the embedding endpoint re-embeds the organisation's collections.

use crate::{
    auth::{ClientIp, Principal},
    authz::OrgScope,
    error::{ApiError, ApiResult, ErrorBody},
    json::{JsonBody, PathIds},
    routes::audit,
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId, policy::OrgAction};
use wayfinder_providers::{ApiKeyChange, EndpointChange, ModelEndpoint, ModelEndpointKind, ProviderError};

/// An organisation's endpoint (never its key).
#[derive(Serialize, ToSchema)]
pub struct ModelEndpointView {
    pub kind: ModelEndpointKind,
    /// The API root, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// The model used (a coach naming its own model uses that one on this endpoint).
    pub model: String,
    /// Whether a key is stored.
    pub api_key_set: bool,
    /// The stored key's last four characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_hint: Option<String>,
    pub updated_by: Option<PersonId>,
    pub updated_at: DateTime<Utc>,
}

impl From<ModelEndpoint> for ModelEndpointView {
    fn from(e: ModelEndpoint) -> Self {
        Self {
            kind: e.kind,
            base_url: e.base_url,
            model: e.model,
            api_key_set: e.api_key_hint.is_some(),
            api_key_hint: e.api_key_hint,
            updated_by: e.updated_by,
            updated_at: e.updated_at,
        }
    }
}

/// Setting an endpoint.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelEndpointChange {
    pub base_url: String,
    pub model: String,
    /// A new key (replaces the stored one); omitted: the stored key is kept.
    #[serde(default)]
    pub api_key: Option<String>,
    /// The endpoint needs no key: forget the stored one.
    #[serde(default)]
    pub remove_api_key: bool,
}

impl From<ProviderError> for ApiError {
    fn from(e: ProviderError) -> Self {
        match e {
            ProviderError::Invalid(invalid) => invalid.into(),
            ProviderError::NotFound(_) => ApiError::not_found("model endpoint"),
            ProviderError::Unusable { message, .. } => ApiError::invalid("base_url", message),
            ProviderError::Sealed(e) => ApiError::internal(e),
            ProviderError::Store(e) => e.into(),
        }
    }
}

async fn admin_scope(state: &AppState, principal: &Principal, org: OrgId) -> ApiResult<()> {
    OrgScope::load(state, principal, org).await?.require(OrgAction::UpdateOrganisation)
}

/// The organisation's own model endpoints (admins); an empty list: it uses the instance's.
#[utoipa::path(get, path = "/orgs/{org_id}/model-endpoints", tag = "organisations", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = [ModelEndpointView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_model_endpoints(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<ModelEndpointView>>> {
    admin_scope(&state, &principal, org_id).await?;
    Ok(Json(state.providers.endpoints(org_id).await?.into_iter().map(Into::into).collect()))
}

/// Use the organisation's own endpoint of this kind (admins). Its key is sealed and never shown
/// again; a new key replaces it. A new embedding endpoint re-embeds the organisation's collections.
#[utoipa::path(put, path = "/orgs/{org_id}/model-endpoints/{kind}", tag = "organisations",
    params(("org_id" = OrgId, Path), ("kind" = ModelEndpointKind, Path)), request_body = ModelEndpointChange,
    responses((status = 200, body = ModelEndpointView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_model_endpoint(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, kind)): PathIds<(OrgId, ModelEndpointKind)>,
    JsonBody(body): JsonBody<ModelEndpointChange>,
) -> ApiResult<Json<ModelEndpointView>> {
    admin_scope(&state, &principal, org_id).await?;
    let api_key = match (body.api_key, body.remove_api_key) {
        (Some(_), true) => {
            return Err(ApiError::invalid("remove_api_key", "give a new api_key or remove it, not both"));
        }
        (Some(key), false) => ApiKeyChange::Set(key),
        (None, true) => ApiKeyChange::Remove,
        (None, false) => ApiKeyChange::Keep,
    };
    let key_changed = api_key != ApiKeyChange::Keep;
    let change = EndpointChange { base_url: body.base_url, model: body.model, api_key };
    let endpoint = state.providers.set_endpoint(org_id, principal.person.id, kind, change).await?;
    let detail = serde_json::json!({ "kind": kind, "base_url": endpoint.base_url, "model": endpoint.model,
        "key_changed": key_changed });
    audit(&state, Some(org_id), Some(principal.person.id), "model_endpoint.set", None, detail, &ip).await;
    reembed_if_needed(&state, org_id, kind).await?;
    Ok(Json(endpoint.into()))
}

/// Stop using the organisation's own endpoint of this kind: the instance's is used again.
#[utoipa::path(delete, path = "/orgs/{org_id}/model-endpoints/{kind}", tag = "organisations",
    params(("org_id" = OrgId, Path), ("kind" = ModelEndpointKind, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_model_endpoint(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, kind)): PathIds<(OrgId, ModelEndpointKind)>,
) -> ApiResult<StatusCode> {
    admin_scope(&state, &principal, org_id).await?;
    state.providers.remove_endpoint(org_id, kind).await?;
    let detail = serde_json::json!({ "kind": kind });
    audit(&state, Some(org_id), Some(principal.person.id), "model_endpoint.removed", None, detail, &ip).await;
    reembed_if_needed(&state, org_id, kind).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A changed embedding model re-embeds the organisation's collections in the background.
async fn reembed_if_needed(state: &AppState, org: OrgId, kind: ModelEndpointKind) -> ApiResult<()> {
    if kind == ModelEndpointKind::Embedding {
        let queued = state.knowledge.reconcile_embedding_models(&[org]).await?;
        if queued > 0 {
            tracing::info!(%org, collections = queued, "the organisation's embedding model changed: re-embedding");
        }
    }
    Ok(())
}
