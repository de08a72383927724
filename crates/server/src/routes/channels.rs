//! Channels over HTTP: an organisation's messaging platforms (admins), the
//! accounts a member links by a one-time code, and the webhooks the platforms
//! call. A webhook proves itself with the platform's secret or signature
//! instead of a session; what it brings is answered in the background.

use crate::{
    auth::{ClientIp, Principal},
    authz::OrgScope,
    error::{ApiError, ApiResult, ErrorBody, ErrorCode},
    json::{JsonBody, PathIds},
    routes::audit,
    state::AppState,
};
use axum::{
    Json,
    body::Bytes,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wayfinder_accounts_rules::OrgId;
use wayfinder_accounts_rules::policy::OrgAction;
use wayfinder_channels::{
    ChannelSetupView, ChannelsError, IssuedLinkCode, LinkedAccount, TelegramSetup, WebhookCall, WhatsAppSetup,
    telegram, whatsapp,
};
use wayfinder_channels_rules::{Channel, ChannelAccountId};

impl From<ChannelsError> for ApiError {
    fn from(e: ChannelsError) -> Self {
        match e {
            ChannelsError::NotFound(what) => ApiError::not_found(what),
            ChannelsError::Invalid { field, message } => ApiError::invalid(field, message),
            ChannelsError::NotConfigured(channel) => {
                ApiError::new(ErrorCode::ChannelNotConfigured, format!("{channel} is not set up for this organisation"))
            }
            ChannelsError::Forged => {
                ApiError::new(ErrorCode::ForgedWebhook, "the call is not signed with the channel's secret")
            }
            ChannelsError::Malformed(message) => ApiError::new(ErrorCode::MalformedWebhook, message),
            ChannelsError::Store(e) => e.into(),
        }
    }
}

/// The organisation's messaging channels, secrets left out (admins).
#[utoipa::path(get, path = "/orgs/{org_id}/channels", tag = "channels", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = Vec<ChannelSetupView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_channels(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<ChannelSetupView>>> {
    OrgScope::load(&state, &principal, org_id).await?.require(OrgAction::ManageChannels)?;
    Ok(Json(state.channels.setups(org_id).await?))
}

/// Set up the organisation's Telegram bot (admins). Register the answer's `webhook_url` with
/// the Bot API's `setWebhook`, passing the same `secret_token`.
#[utoipa::path(put, path = "/orgs/{org_id}/channels/telegram", tag = "channels", params(("org_id" = OrgId, Path)),
    request_body = TelegramSetup,
    responses((status = 200, body = ChannelSetupView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_telegram(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(body): JsonBody<TelegramSetup>,
) -> ApiResult<Json<ChannelSetupView>> {
    OrgScope::load(&state, &principal, org_id).await?.require(OrgAction::ManageChannels)?;
    let view = state.channels.set_up_telegram(org_id, body).await?;
    let detail = serde_json::json!({ "channel": "telegram", "bot_username": view.bot_username });
    audit(&state, Some(org_id), Some(principal.person.id), "channel.configured", None, detail, &ip).await;
    Ok(Json(view))
}

/// Set up the organisation's WhatsApp business number (admins). Register the answer's
/// `webhook_url` as the app's callback with the same verify token.
#[utoipa::path(put, path = "/orgs/{org_id}/channels/whatsapp", tag = "channels", params(("org_id" = OrgId, Path)),
    request_body = WhatsAppSetup,
    responses((status = 200, body = ChannelSetupView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_whatsapp(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(body): JsonBody<WhatsAppSetup>,
) -> ApiResult<Json<ChannelSetupView>> {
    OrgScope::load(&state, &principal, org_id).await?.require(OrgAction::ManageChannels)?;
    let view = state.channels.set_up_whatsapp(org_id, body).await?;
    let detail = serde_json::json!({ "channel": "whatsapp", "phone_number_id": view.phone_number_id });
    audit(&state, Some(org_id), Some(principal.person.id), "channel.configured", None, detail, &ip).await;
    Ok(Json(view))
}

/// Remove the organisation's Telegram bot (admins): its webhook refuses calls and nothing more
/// is sent on it.
#[utoipa::path(delete, path = "/orgs/{org_id}/channels/telegram", tag = "channels", params(("org_id" = OrgId, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_telegram(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<StatusCode> {
    remove_channel(&state, &principal, &ip, org_id, Channel::Telegram).await
}

/// Remove the organisation's WhatsApp number (admins): its webhook refuses calls and nothing
/// more is sent on it.
#[utoipa::path(delete, path = "/orgs/{org_id}/channels/whatsapp", tag = "channels", params(("org_id" = OrgId, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_whatsapp(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<StatusCode> {
    remove_channel(&state, &principal, &ip, org_id, Channel::WhatsApp).await
}

async fn remove_channel(
    state: &AppState,
    principal: &Principal,
    ip: &ClientIp,
    org_id: OrgId,
    channel: Channel,
) -> ApiResult<StatusCode> {
    OrgScope::load(state, principal, org_id).await?.require(OrgAction::ManageChannels)?;
    state.channels.remove_setup(org_id, channel).await?;
    let detail = serde_json::json!({ "channel": channel });
    audit(state, Some(org_id), Some(principal.person.id), "channel.removed", None, detail, ip).await;
    Ok(StatusCode::NO_CONTENT)
}

/// What to link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLinkCode {
    /// `telegram` or `whatsapp`.
    pub channel: Channel,
}

/// A member's scope in the organisation: linked accounts belong to members.
pub(crate) async fn member_scope(state: &AppState, principal: &Principal, org_id: OrgId) -> ApiResult<OrgScope> {
    let scope = OrgScope::load(state, principal, org_id).await?;
    scope.require(OrgAction::UseCoach)?;
    if scope.actor.role.is_none() {
        return Err(ApiError::forbidden());
    }
    Ok(scope)
}

/// Make a one-time code that links the caller's account on a messaging channel; sent to the
/// organisation's bot or number within the time shown, it links the account that sent it. An
/// earlier code for the channel stops working.
#[utoipa::path(post, path = "/orgs/{org_id}/channel-links", tag = "channels", params(("org_id" = OrgId, Path)),
    request_body = NewLinkCode,
    responses((status = 201, body = IssuedLinkCode), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_link_code(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(body): JsonBody<NewLinkCode>,
) -> ApiResult<(StatusCode, Json<IssuedLinkCode>)> {
    member_scope(&state, &principal, org_id).await?;
    let code = state.channels.issue_link_code(org_id, principal.person.id, body.channel).await?;
    Ok((StatusCode::CREATED, Json(code)))
}

/// The caller's linked accounts, and the channels they can link.
#[derive(Serialize, ToSchema)]
pub struct ChannelAccounts {
    pub accounts: Vec<LinkedAccount>,
    /// The messaging channels the organisation has set up.
    pub available: Vec<Channel>,
}

/// The caller's linked accounts in the organisation, and the channels they can link.
#[utoipa::path(get, path = "/orgs/{org_id}/channel-accounts", tag = "channels", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = ChannelAccounts), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_channel_accounts(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<ChannelAccounts>> {
    member_scope(&state, &principal, org_id).await?;
    let accounts = state.channels.accounts(org_id, principal.person.id).await?;
    let available = state.channels.available(org_id).await?;
    Ok(Json(ChannelAccounts { accounts, available }))
}

/// Unlink one of the caller's accounts: what it sends is no longer theirs, nothing goes to it.
#[utoipa::path(delete, path = "/orgs/{org_id}/channel-accounts/{account_id}", tag = "channels",
    params(("org_id" = OrgId, Path), ("account_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unlink_channel_account(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, account_id)): PathIds<(OrgId, ChannelAccountId)>,
) -> ApiResult<StatusCode> {
    member_scope(&state, &principal, org_id).await?;
    state.channels.unlink(org_id, principal.person.id, account_id).await?;
    let detail = serde_json::json!({ "account": account_id.to_string() });
    audit(&state, Some(org_id), Some(principal.person.id), "channel.unlinked", None, detail, &ip).await;
    Ok(StatusCode::NO_CONTENT)
}

/// How many new messages a webhook call brought (redeliveries count none).
#[derive(Serialize, ToSchema)]
pub struct WebhookReceipt {
    pub received: usize,
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// A webhook on an organisation that has not set the channel up is not there at all.
async fn hook(state: &AppState, org_id: OrgId, channel: Channel, call: WebhookCall) -> ApiResult<Json<WebhookReceipt>> {
    match state.channels.receive(org_id, channel, &call).await {
        Ok(received) => Ok(Json(WebhookReceipt { received })),
        Err(ChannelsError::NotConfigured(_)) => Err(ApiError::not_found("webhook")),
        Err(other) => Err(other.into()),
    }
}

/// Telegram's webhook: updates signed with the bot's secret token
/// (`X-Telegram-Bot-Api-Secret-Token`). Updates Telegram sends again are taken once.
#[utoipa::path(post, path = "/hooks/telegram/{org_id}", tag = "channels", params(("org_id" = OrgId, Path)),
    request_body(content = serde_json::Value, description = "A Bot API `Update`."),
    responses((status = 200, body = WebhookReceipt), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn telegram_hook(
    State(state): State<AppState>,
    PathIds(org_id): PathIds<OrgId>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<WebhookReceipt>> {
    let call = WebhookCall {
        secret_token: header_text(&headers, telegram::SECRET_HEADER),
        signature: None,
        body: body.to_vec(),
    };
    hook(&state, org_id, Channel::Telegram, call).await
}

/// WhatsApp's webhook: notifications signed with the app secret (`X-Hub-Signature-256`).
/// Messages the platform delivers again are taken once.
#[utoipa::path(post, path = "/hooks/whatsapp/{org_id}", tag = "channels", params(("org_id" = OrgId, Path)),
    request_body(content = serde_json::Value, description = "A Cloud API webhook notification."),
    responses((status = 200, body = WebhookReceipt), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn whatsapp_hook(
    State(state): State<AppState>,
    PathIds(org_id): PathIds<OrgId>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<WebhookReceipt>> {
    let call = WebhookCall {
        secret_token: None,
        signature: header_text(&headers, whatsapp::SIGNATURE_HEADER),
        body: body.to_vec(),
    };
    hook(&state, org_id, Channel::WhatsApp, call).await
}

/// The password of a Basic `Authorization` header.
fn basic_password(headers: &HeaderMap) -> Option<String> {
    use base64::Engine;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':').map(|(_, password)| password.to_string())
}

/// The inbound-mail webhook: a reply to one of the server's e-mails, in the common JSON shape of
/// inbound-mail services (`FromFull`, `ToFull`, `Subject`, `TextBody`, `StrippedTextReply`,
/// `MessageID`), with Basic authentication whose password is `email_inbound_secret`.
#[utoipa::path(post, path = "/hooks/email", tag = "channels",
    request_body(content = serde_json::Value, description = "An inbound e-mail."),
    responses((status = 200, body = WebhookReceipt), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn email_hook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<WebhookReceipt>> {
    match state.channels.receive_email(basic_password(&headers).as_deref(), &body).await {
        Ok(received) => Ok(Json(WebhookReceipt { received })),
        Err(ChannelsError::NotConfigured(_)) => Err(ApiError::not_found("webhook")),
        Err(other) => Err(other.into()),
    }
}

/// The subscription handshake's parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WhatsAppHandshake {
    #[serde(rename = "hub.mode")]
    #[param(rename = "hub.mode")]
    pub mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    #[param(rename = "hub.verify_token")]
    pub verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    #[param(rename = "hub.challenge")]
    pub challenge: Option<String>,
}

/// WhatsApp's subscription handshake: echoes `hub.challenge` when `hub.verify_token` is the
/// organisation's.
#[utoipa::path(get, path = "/hooks/whatsapp/{org_id}", tag = "channels", params(("org_id" = OrgId, Path), WhatsAppHandshake),
    responses((status = 200, content_type = "text/plain", body = String), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn whatsapp_handshake(
    State(state): State<AppState>,
    PathIds(org_id): PathIds<OrgId>,
    Query(query): Query<WhatsAppHandshake>,
) -> ApiResult<Response> {
    let verified = state
        .channels
        .verify_whatsapp(org_id, query.mode.as_deref(), query.verify_token.as_deref(), query.challenge.as_deref())
        .await;
    match verified {
        Ok(challenge) => Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], challenge).into_response()),
        Err(ChannelsError::NotConfigured(_)) => Err(ApiError::not_found("webhook")),
        Err(other) => Err(other.into()),
    }
}
