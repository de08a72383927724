//! What an organisation configures for each messaging platform, and the
//! instance-wide settings every organisation shares (where the platforms'
//! APIs are, how fast one bot may send).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wayfinder_channels_rules::Channel;

/// Instance-wide channel settings, from the configuration.
#[derive(Clone, Debug)]
pub struct ChannelSettings {
    /// Base URL people reach the server at (webhook addresses and links in answers).
    pub public_url: String,
    /// The Telegram Bot API (`https://api.telegram.org`; a local Bot API server works too).
    pub telegram_api: String,
    /// The WhatsApp Cloud API (`https://graph.facebook.com`).
    pub whatsapp_api: String,
    /// Messages one Telegram bot sends per second at most (Telegram allows about 30).
    pub telegram_per_second: u32,
    /// Messages one WhatsApp number sends per second at most (the Cloud API's default is 80).
    pub whatsapp_per_second: u32,
    /// How long a link code shown in the web app stays valid, in minutes.
    pub link_code_minutes: i64,
    /// How long the outbox worker holds the messages it claimed (and one send): after a crash,
    /// unsent claims are taken again, and an interrupted send is settled, once it runs out.
    pub outbox_lease_seconds: i64,
    /// The SMTP relay e-mail goes out through (`smtps://user:pass@host`, `smtp://…?tls=required`);
    /// `None`: no e-mail.
    pub smtp_url: Option<String>,
    /// The sender of every e-mail, `Name <address>`.
    pub email_from: String,
    /// The domain replies come back to (`reply+TOKEN@` it), routed to the inbound webhook by
    /// an inbound-mail service; `None`: replies are not taken.
    pub email_reply_domain: Option<String>,
    /// The password the inbound-mail webhook's Basic authentication must carry.
    pub email_inbound_secret: Option<String>,
}

impl Default for ChannelSettings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            telegram_api: "https://api.telegram.org".into(),
            whatsapp_api: "https://graph.facebook.com".into(),
            telegram_per_second: 30,
            whatsapp_per_second: 80,
            link_code_minutes: 15,
            outbox_lease_seconds: 30,
            smtp_url: None,
            email_from: "Wayfinder <wayfinder@localhost>".into(),
            email_reply_domain: None,
            email_inbound_secret: None,
        }
    }
}

/// An organisation's Telegram bot.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TelegramSetup {
    /// The token @BotFather gave (`123456:ABC…`).
    #[schema(min_length = 20, max_length = 200)]
    pub bot_token: String,
    /// The secret Telegram sends with every update (`setWebhook`'s `secret_token`): 16 to 256
    /// of `A-Z a-z 0-9 _ -`.
    #[schema(min_length = 16, max_length = 256)]
    pub webhook_secret: String,
    /// The bot's username without `@`, for the `t.me` link shown with a link code.
    #[schema(max_length = 64)]
    pub bot_username: Option<String>,
}

/// An organisation's WhatsApp business number on the Cloud API.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatsAppSetup {
    /// The Cloud API's id of the business number messages are sent from.
    #[schema(min_length = 1, max_length = 64)]
    pub phone_number_id: String,
    /// The number people write to, shown with a link code (e.g. `+49 30 1234567`).
    #[schema(max_length = 32)]
    pub display_number: Option<String>,
    /// A system user's access token.
    #[schema(min_length = 20, max_length = 1000)]
    pub access_token: String,
    /// The app secret webhook calls are signed with.
    #[schema(min_length = 16, max_length = 256)]
    pub app_secret: String,
    /// The token the webhook's subscription handshake must present.
    #[schema(min_length = 16, max_length = 256)]
    pub verify_token: String,
    /// The approved template (with one body parameter) that carries messages outside the
    /// 24-hour window; without one, such messages are not sent.
    #[schema(max_length = 512)]
    pub template_name: Option<String>,
    /// The template's language code (e.g. `en`, `de`).
    #[schema(max_length = 15)]
    pub template_language: Option<String>,
}

/// A channel as its organisation's admins see it: what it is set to, secrets left out.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ChannelSetupView {
    pub channel: Channel,
    /// The address to register as the platform's webhook.
    pub webhook_url: String,
    /// The bot's username (Telegram).
    pub bot_username: Option<String>,
    /// The business number's id and the number people write to (WhatsApp).
    pub phone_number_id: Option<String>,
    pub display_number: Option<String>,
    /// The template for messages outside the 24-hour window (WhatsApp).
    pub template_name: Option<String>,
    pub template_language: Option<String>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Where a field must only hold `A-Z a-z 0-9 _ -` (Telegram's rule for the secret token).
pub(crate) fn is_token_text(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}
