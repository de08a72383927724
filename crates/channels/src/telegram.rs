//! Telegram through the Bot API: webhook updates carry the secret token set
//! with `setWebhook` in the `X-Telegram-Bot-Api-Secret-Token` header; answers
//! go out with `sendMessage`, and a 429 says how long to wait (`retry_after`).

use crate::{ChannelProvider, InboundError, InboundMessage, OutboundMessage, SendOutcome, secrets_match};
use chrono::DateTime;
use serde::Deserialize;
use wayfinder_channels_rules::Channel;

/// The header Telegram sends the webhook's secret token in.
pub const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

#[derive(Deserialize)]
struct Update {
    update_id: i64,
    message: Option<Message>,
}

#[derive(Deserialize)]
struct Message {
    date: i64,
    chat: Chat,
    from: Option<User>,
    text: Option<String>,
}

#[derive(Deserialize)]
struct Chat {
    id: i64,
}

#[derive(Deserialize)]
struct User {
    first_name: String,
    last_name: Option<String>,
}

/// Reads a webhook call: the secret header must match the bot's, and the body be an update.
/// An update without a text message (an edit, a sticker, a member change) is no message.
pub fn read_update(
    secret: Option<&str>,
    expected_secret: &str,
    body: &[u8],
) -> Result<Option<InboundMessage>, InboundError> {
    if !secret.is_some_and(|s| secrets_match(s, expected_secret)) {
        return Err(InboundError::Forged);
    }
    let update: Update =
        serde_json::from_slice(body).map_err(|e| InboundError::Malformed(Channel::Telegram, e.to_string()))?;
    let Some(message) = update.message else { return Ok(None) };
    let Some(text) = message.text.filter(|t| !t.trim().is_empty()) else { return Ok(None) };
    Ok(Some(InboundMessage {
        channel: Channel::Telegram,
        event_id: update.update_id.to_string(),
        sender: message.chat.id.to_string(),
        sender_name: message.from.map(|u| match u.last_name {
            Some(last) => format!("{} {last}", u.first_name),
            None => u.first_name,
        }),
        text,
        sent_at: DateTime::from_timestamp(message.date, 0).unwrap_or_default(),
    }))
}

#[derive(Deserialize)]
struct ApiAnswer {
    ok: bool,
    result: Option<SentMessage>,
    error_code: Option<u16>,
    description: Option<String>,
    parameters: Option<ResponseParameters>,
}

#[derive(Deserialize)]
struct SentMessage {
    message_id: i64,
}

#[derive(Deserialize)]
struct ResponseParameters {
    retry_after: Option<u64>,
}

/// A bot: the Bot API's base URL (`https://api.telegram.org`, or a local server) and its token.
#[derive(Clone, Debug)]
pub struct TelegramBot {
    pub api_base: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl TelegramBot {
    /// Sends one text message to a chat.
    pub async fn send_text(&self, chat_id: &str, text: &str) -> SendOutcome {
        let url = format!("{}/bot{}/sendMessage", self.api_base.trim_end_matches('/'), self.token);
        let body =
            serde_json::json!({ "chat_id": chat_id, "text": text, "link_preview_options": { "is_disabled": true } });
        let response = match self.http.post(url).json(&body).send().await {
            Ok(response) => response,
            Err(e) => return SendOutcome::Retry { error: format!("Telegram unreachable: {e}"), retry_after: None },
        };
        let status = response.status();
        let answer: ApiAnswer = match response.json().await {
            Ok(answer) => answer,
            Err(e) => {
                return SendOutcome::Retry {
                    error: format!("Telegram answered {status} unreadably: {e}"),
                    retry_after: None,
                };
            }
        };
        outcome(status.as_u16(), answer)
    }
}

#[async_trait::async_trait]
impl ChannelProvider for TelegramBot {
    fn channel(&self) -> Channel {
        Channel::Telegram
    }

    /// The Bot API has no idempotency key: an interrupted attempt is not sent again.
    fn honours_idempotency_keys(&self) -> bool {
        false
    }

    async fn send(&self, message: &OutboundMessage) -> SendOutcome {
        self.send_text(&message.destination, &message.text).await
    }
}

/// What a Bot API answer means for the outbox.
fn outcome(status: u16, answer: ApiAnswer) -> SendOutcome {
    if answer.ok {
        return SendOutcome::Sent { provider_message_id: answer.result.map(|m| m.message_id.to_string()) };
    }
    let code = answer.error_code.unwrap_or(status);
    let error = format!("Telegram {code}: {}", answer.description.unwrap_or_default());
    match code {
        429 => SendOutcome::Retry { error, retry_after: answer.parameters.and_then(|p| p.retry_after) },
        500..=599 => SendOutcome::Retry { error, retry_after: None },
        _ => SendOutcome::Refused { error },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPDATE: &str = r#"{"update_id": 9001, "message": {"message_id": 12, "date": 1764720000,
        "chat": {"id": 424242, "type": "private"}, "from": {"id": 424242, "is_bot": false, "first_name": "Lena", "last_name": "Ortiz"},
        "text": "How do I plan my week?"}}"#;

    #[test]
    fn updates_are_read_only_with_the_bot_secret() {
        let message = read_update(Some("s3cret"), "s3cret", UPDATE.as_bytes()).unwrap().unwrap();
        assert_eq!(message.event_id, "9001");
        assert_eq!(message.sender, "424242");
        assert_eq!(message.sender_name.as_deref(), Some("Lena Ortiz"));
        assert_eq!(message.text, "How do I plan my week?");
        assert_eq!(message.sent_at.timestamp(), 1_764_720_000);
        assert_eq!(read_update(None, "s3cret", UPDATE.as_bytes()), Err(InboundError::Forged));
        assert_eq!(read_update(Some("s3cres"), "s3cret", UPDATE.as_bytes()), Err(InboundError::Forged));
        assert!(matches!(
            read_update(Some("s3cret"), "s3cret", b"{\"update_id\": \"x\"}"),
            Err(InboundError::Malformed(..))
        ));
        let sticker = r#"{"update_id": 9002, "message": {"message_id": 13, "date": 1764720000, "chat": {"id": 1}, "sticker": {}}}"#;
        assert_eq!(read_update(Some("s3cret"), "s3cret", sticker.as_bytes()), Ok(None));
    }

    #[test]
    fn answers_say_whether_to_retry() {
        let read = |json: &str| serde_json::from_str::<ApiAnswer>(json).unwrap();
        assert_eq!(
            outcome(200, read(r#"{"ok": true, "result": {"message_id": 77}}"#)),
            SendOutcome::Sent { provider_message_id: Some("77".into()) }
        );
        assert_eq!(
            outcome(
                429,
                read(
                    r#"{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 3", "parameters": {"retry_after": 3}}"#
                )
            ),
            SendOutcome::Retry { error: "Telegram 429: Too Many Requests: retry after 3".into(), retry_after: Some(3) }
        );
        assert!(matches!(outcome(502, read(r#"{"ok": false}"#)), SendOutcome::Retry { retry_after: None, .. }));
        assert!(matches!(
            outcome(
                403,
                read(r#"{"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}"#)
            ),
            SendOutcome::Refused { .. }
        ));
    }
}
