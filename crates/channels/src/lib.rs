//! The channel providers. Each platform is one small provider: it verifies
//! and reads an inbound request (a webhook call) into messages, and sends one
//! outbound message, saying whether a failure is worth another attempt and
//! when. Everything else — who the sender is, deduplication, the conversation,
//! the outbox and its retries — is the same for every platform and lives
//! outside the providers.

pub mod digests;
pub mod email;
#[cfg(feature = "fake")]
pub mod fake;
mod inbound;
pub mod nudges;
mod outbox;
pub mod sequences;
mod service;
pub mod settings;
pub mod telegram;
pub mod whatsapp;
pub mod widgets;

pub use service::{Channels, ChannelsError, ChannelsResult, IssuedLinkCode, LinkedAccount, WebhookCall};
pub use settings::{ChannelSettings, ChannelSetupView, TelegramSetup, WhatsAppSetup};

use chrono::{DateTime, Utc};
use wayfinder_channels_rules::Channel;

/// A message a person sent on a platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundMessage {
    pub channel: Channel,
    /// The platform's id of the update, unique per bot or number: redeliveries repeat it.
    pub event_id: String,
    /// The platform's id of the sender's account (where answers go back to).
    pub sender: String,
    /// The sender's name as the platform gives it, for a first contact.
    pub sender_name: Option<String>,
    pub text: String,
    pub sent_at: DateTime<Utc>,
}

/// Why an inbound request was not taken.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InboundError {
    /// The request does not prove it comes from the platform (a missing or wrong secret or
    /// signature).
    #[error("the request is not signed by the platform")]
    Forged,
    /// The body is not what the platform sends.
    #[error("the request body is not a {0} update: {1}")]
    Malformed(Channel, String),
}

/// What became of one send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// Delivered to the platform, with its id for the message.
    Sent { provider_message_id: Option<String> },
    /// Not now: try again, after `retry_after` seconds when the platform said so.
    Retry { error: String, retry_after: Option<u64> },
    /// Refused for good (a blocked bot, an unknown chat): another attempt would fail too.
    Refused { error: String },
}

/// One outbound message for a provider. A long answer is split before it is queued, each part
/// its own message, so a retry never repeats the parts that already arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboundMessage {
    pub destination: String,
    pub text: String,
    /// Sent along where the platform honours one, so a resent attempt is not delivered twice.
    pub idempotency_key: String,
    /// The person's last message on this account (a platform's reply window starts there).
    pub last_inbound_at: Option<DateTime<Utc>>,
    /// An e-mail's subject.
    pub subject: Option<String>,
    /// Where replies to an e-mail go.
    pub reply_to: Option<String>,
}

/// A platform's sending side, as the outbox worker uses it.
#[async_trait::async_trait]
pub trait ChannelProvider: Send + Sync {
    fn channel(&self) -> Channel;

    /// Whether the platform drops a second send with the same idempotency key (then an attempt
    /// a stopped worker left may be sent again safely).
    fn honours_idempotency_keys(&self) -> bool;

    async fn send(&self, message: &OutboundMessage) -> SendOutcome;
}

/// Compares a secret in constant time.
pub(crate) fn secrets_match(given: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}
