//! WhatsApp through the Cloud API (Meta's Graph API). The webhook is verified
//! once with a handshake (`hub.verify_token`, echoing `hub.challenge`); every
//! call after it carries `X-Hub-Signature-256`, the HMAC-SHA256 of the raw
//! body under the app secret. Free text may only go out within 24 hours of the
//! person's last message; outside that window an approved template carries it.

use crate::{ChannelProvider, InboundError, InboundMessage, OutboundMessage, SendOutcome, secrets_match};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use wayfinder_channels_rules::{Channel, delivery::within_reply_window};

/// The header the Graph API signs webhook calls in.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

/// The Graph API version messages are sent through.
pub const GRAPH_VERSION: &str = "v21.0";

/// Answers the subscription handshake: the challenge when the mode is `subscribe` and the
/// token is the one configured, `None` otherwise.
pub fn verify_subscription<'a>(
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&'a str>,
    expected_token: &str,
) -> Option<&'a str> {
    let token_matches = token.is_some_and(|t| secrets_match(t, expected_token));
    (mode == Some("subscribe") && token_matches).then_some(challenge?)
}

/// Checks `sha256=<hex>` against the HMAC of `body` under `app_secret`, in constant time.
pub fn signature_is_valid(signature: Option<&str>, app_secret: &str, body: &[u8]) -> bool {
    let Some(hex_digest) = signature.and_then(|s| s.strip_prefix("sha256=")) else { return false };
    let Ok(given) = hex::decode(hex_digest) else { return false };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) else { return false };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

#[derive(Deserialize)]
struct Notification {
    object: String,
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    value: ChangeValue,
}

#[derive(Deserialize)]
struct ChangeValue {
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    messages: Vec<Message>,
}

#[derive(Deserialize)]
struct Contact {
    wa_id: String,
    profile: Option<Profile>,
}

#[derive(Deserialize)]
struct Profile {
    name: String,
}

#[derive(Deserialize)]
struct Message {
    id: String,
    from: String,
    timestamp: String,
    text: Option<Text>,
}

#[derive(Deserialize)]
struct Text {
    body: String,
}

/// Reads a signed webhook call into the text messages it carries (status updates, reactions
/// and media carry none).
pub fn read_notification(
    signature: Option<&str>,
    app_secret: &str,
    body: &[u8],
) -> Result<Vec<InboundMessage>, InboundError> {
    if !signature_is_valid(signature, app_secret, body) {
        return Err(InboundError::Forged);
    }
    let malformed = |e: String| InboundError::Malformed(Channel::WhatsApp, e);
    let notification: Notification = serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))?;
    if notification.object != "whatsapp_business_account" {
        return Err(malformed(format!("unexpected object {:?}", notification.object)));
    }
    let mut messages = Vec::new();
    for value in notification.entry.into_iter().flat_map(|e| e.changes).map(|c| c.value) {
        for message in value.messages {
            let Some(text) = message.text.map(|t| t.body).filter(|t| !t.trim().is_empty()) else { continue };
            let seconds: i64 = message.timestamp.parse().map_err(|_| malformed("timestamp is not a number".into()))?;
            let name = value.contacts.iter().find(|c| c.wa_id == message.from).and_then(|c| c.profile.as_ref());
            messages.push(InboundMessage {
                channel: Channel::WhatsApp,
                event_id: message.id,
                sender_name: name.map(|p| p.name.clone()),
                sender: message.from,
                text,
                sent_at: DateTime::from_timestamp(seconds, 0).unwrap_or_default(),
            });
        }
    }
    Ok(messages)
}

/// The approved template that carries a message outside the 24-hour window: its name and
/// language, with one body parameter that receives the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub language: String,
}

/// A business phone number on the Cloud API.
#[derive(Clone, Debug)]
pub struct WhatsAppNumber {
    /// `https://graph.facebook.com`, or a local server.
    pub api_base: String,
    pub phone_number_id: String,
    pub access_token: String,
    pub template: Option<Template>,
    pub http: reqwest::Client,
}

/// The longest text a template's body parameter takes.
const TEMPLATE_PARAMETER_CHARS: usize = 1_000;

#[derive(Deserialize)]
struct SendAnswer {
    #[serde(default)]
    messages: Vec<SentMessage>,
    error: Option<GraphError>,
}

#[derive(Deserialize)]
struct SentMessage {
    id: String,
}

#[derive(Deserialize)]
struct GraphError {
    code: Option<i64>,
    message: Option<String>,
}

impl WhatsAppNumber {
    /// The request body for `message`: free text inside the window, the template outside it.
    fn body(&self, message: &OutboundMessage, now: DateTime<Utc>) -> Result<serde_json::Value, String> {
        let base = serde_json::json!({ "messaging_product": "whatsapp", "recipient_type": "individual", "to": message.destination });
        let mut body = base;
        if within_reply_window(message.last_inbound_at, now) {
            body["type"] = "text".into();
            body["text"] = serde_json::json!({ "preview_url": false, "body": message.text });
            return Ok(body);
        }
        let Some(template) = &self.template else {
            return Err("outside WhatsApp's 24-hour window and no template is configured".into());
        };
        let text: String = message.text.chars().take(TEMPLATE_PARAMETER_CHARS).collect();
        body["type"] = "template".into();
        body["template"] = serde_json::json!({
            "name": template.name,
            "language": { "code": template.language },
            "components": [{ "type": "body", "parameters": [{ "type": "text", "text": text }] }],
        });
        Ok(body)
    }
}

#[async_trait::async_trait]
impl ChannelProvider for WhatsAppNumber {
    fn channel(&self) -> Channel {
        Channel::WhatsApp
    }

    /// The Cloud API takes no idempotency key: an interrupted attempt is not sent again.
    fn honours_idempotency_keys(&self) -> bool {
        false
    }

    async fn send(&self, message: &OutboundMessage) -> SendOutcome {
        let body = match self.body(message, Utc::now()) {
            Ok(body) => body,
            Err(error) => return SendOutcome::Refused { error },
        };
        let url = format!("{}/{GRAPH_VERSION}/{}/messages", self.api_base.trim_end_matches('/'), self.phone_number_id);
        let response = match self.http.post(url).bearer_auth(&self.access_token).json(&body).send().await {
            Ok(response) => response,
            Err(e) => return SendOutcome::Retry { error: format!("WhatsApp unreachable: {e}"), retry_after: None },
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        match response.json::<SendAnswer>().await {
            Ok(answer) => outcome(status, answer, retry_after),
            Err(e) => SendOutcome::Retry { error: format!("WhatsApp answered {status} unreadably: {e}"), retry_after },
        }
    }
}

/// Graph API error codes that mean "slow down": throughput (130429), the pair rate
/// (131056), the application's and account's limits (4, 80007).
const RATE_LIMITED: [i64; 4] = [130_429, 131_056, 4, 80_007];

/// What a Graph API answer means for the outbox.
fn outcome(status: u16, answer: SendAnswer, retry_after: Option<u64>) -> SendOutcome {
    if (200..300).contains(&status)
        && let Some(sent) = answer.messages.into_iter().next()
    {
        return SendOutcome::Sent { provider_message_id: Some(sent.id) };
    }
    let (code, text) = answer.error.map_or((None, String::new()), |e| (e.code, e.message.unwrap_or_default()));
    let error = format!("WhatsApp {status} ({}): {text}", code.map_or("no code".into(), |c| c.to_string()));
    if status == 429 || status >= 500 || code.is_some_and(|c| RATE_LIMITED.contains(&c)) {
        return SendOutcome::Retry { error, retry_after };
    }
    SendOutcome::Refused { error }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    const NOTIFICATION: &str = r#"{"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
        "value": {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "555"},
        "contacts": [{"wa_id": "4915112345678", "profile": {"name": "Lena Ortiz"}}],
        "messages": [{"from": "4915112345678", "id": "wamid.A1", "timestamp": "1764720000", "type": "text", "text": {"body": "How do I plan my week?"}},
                     {"from": "4915112345678", "id": "wamid.A2", "timestamp": "1764720001", "type": "image", "image": {"id": "9"}}]}}]}]}"#;

    #[test]
    fn notifications_are_read_only_when_signed() {
        let body = NOTIFICATION.as_bytes();
        let messages = read_notification(Some(&sign("app-secret", body)), "app-secret", body).unwrap();
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].event_id, "wamid.A1");
        assert_eq!(messages[0].sender, "4915112345678");
        assert_eq!(messages[0].sender_name.as_deref(), Some("Lena Ortiz"));
        assert_eq!(messages[0].sent_at.timestamp(), 1_764_720_000);
        assert_eq!(read_notification(Some(&sign("other", body)), "app-secret", body), Err(InboundError::Forged));
        assert_eq!(read_notification(None, "app-secret", body), Err(InboundError::Forged));
        assert_eq!(read_notification(Some("sha256=zz"), "app-secret", body), Err(InboundError::Forged));
        let wrong = br#"{"object": "page", "entry": []}"#;
        assert!(matches!(
            read_notification(Some(&sign("app-secret", wrong)), "app-secret", wrong),
            Err(InboundError::Malformed(..))
        ));
    }

    #[test]
    fn the_handshake_echoes_the_challenge_for_the_right_token() {
        assert_eq!(verify_subscription(Some("subscribe"), Some("tok"), Some("42"), "tok"), Some("42"));
        assert_eq!(verify_subscription(Some("subscribe"), Some("bad"), Some("42"), "tok"), None);
        assert_eq!(verify_subscription(Some("unsubscribe"), Some("tok"), Some("42"), "tok"), None);
    }

    #[test]
    fn free_text_inside_the_window_a_template_outside() {
        let number = WhatsAppNumber {
            api_base: "http://127.0.0.1:9".into(),
            phone_number_id: "555".into(),
            access_token: "t".into(),
            template: Some(Template { name: "coach_message".into(), language: "en".into() }),
            http: reqwest::Client::new(),
        };
        let now = Utc::now();
        let mut message = OutboundMessage {
            destination: "4915112345678".into(),
            text: "Plan on Sunday.".into(),
            idempotency_key: "k".into(),
            last_inbound_at: Some(now - chrono::Duration::hours(2)),
            subject: None,
            reply_to: None,
        };
        assert_eq!(number.body(&message, now).unwrap()["text"]["body"], "Plan on Sunday.");
        message.last_inbound_at = Some(now - chrono::Duration::hours(30));
        let body = number.body(&message, now).unwrap();
        assert_eq!(body["type"], "template");
        assert_eq!(body["template"]["components"][0]["parameters"][0]["text"], "Plan on Sunday.");
        let without = WhatsAppNumber { template: None, ..number };
        assert!(without.body(&message, now).is_err());
    }

    #[test]
    fn answers_say_whether_to_retry() {
        let read = |json: &str| serde_json::from_str::<SendAnswer>(json).unwrap();
        assert_eq!(
            outcome(200, read(r#"{"messages": [{"id": "wamid.Z"}]}"#), None),
            SendOutcome::Sent { provider_message_id: Some("wamid.Z".into()) }
        );
        assert!(matches!(
            outcome(400, read(r#"{"error": {"code": 130429, "message": "Rate limit hit"}}"#), Some(5)),
            SendOutcome::Retry { retry_after: Some(5), .. }
        ));
        assert!(matches!(
            outcome(400, read(r#"{"error": {"code": 131047, "message": "Re-engagement message"}}"#), None),
            SendOutcome::Refused { .. }
        ));
        assert!(matches!(outcome(503, read(r#"{}"#), None), SendOutcome::Retry { .. }));
    }
}
