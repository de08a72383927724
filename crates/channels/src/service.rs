//! The channel service: an organisation's platform settings, the one-time
//! codes that link a person's messaging account, the linked accounts, and the
//! intake of webhook calls. Answering and sending happen in the workers
//! (`inbound`, `outbox`), so a platform's call is acknowledged at once.

use crate::settings::{ChannelSettings, ChannelSetupView, TelegramSetup, WhatsAppSetup, is_token_text};
use crate::{ChannelProvider, InboundError, InboundMessage, telegram, whatsapp};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::Notify;
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_channels_rules::{Channel, ChannelAccountId, link::LinkCode};
use wayfinder_coach::Coaching;
use wayfinder_store::{ChannelAccount, NewInbound, NewOutbound, Store, StoreError};

/// Why a channel request failed.
#[derive(Debug, thiserror::Error)]
pub enum ChannelsError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The organisation has not set the channel up.
    #[error("{0} is not set up for this organisation")]
    NotConfigured(Channel),
    /// A webhook call that does not prove it comes from the platform.
    #[error("the request is not signed by the platform")]
    Forged,
    /// A webhook call whose body is not what the platform sends.
    #[error("{0}")]
    Malformed(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ChannelsError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ChannelsError::NotFound("record"),
            other => ChannelsError::Store(other),
        }
    }
}

impl From<InboundError> for ChannelsError {
    fn from(e: InboundError) -> Self {
        match e {
            InboundError::Forged => ChannelsError::Forged,
            InboundError::Malformed(..) => ChannelsError::Malformed(e.to_string()),
        }
    }
}

pub type ChannelsResult<T> = Result<T, ChannelsError>;

/// A platform's webhook call, as the HTTP layer hands it over.
#[derive(Clone, Debug, Default)]
pub struct WebhookCall {
    /// Telegram's `X-Telegram-Bot-Api-Secret-Token`.
    pub secret_token: Option<String>,
    /// WhatsApp's `X-Hub-Signature-256`.
    pub signature: Option<String>,
    pub body: Vec<u8>,
}

/// A link code just made, with how to use it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IssuedLinkCode {
    pub channel: Channel,
    /// Shown once: `ABCD-EFGH`.
    pub code: String,
    pub expires_at: DateTime<Utc>,
    /// What to send, and where.
    pub instructions: String,
    /// A link that opens the chat with the code filled in, when the platform has one.
    pub open_url: Option<String>,
}

/// A person's linked account as they see it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LinkedAccount {
    #[schema(value_type = String)]
    pub id: ChannelAccountId,
    pub channel: Channel,
    /// The platform's id for the account (a chat id, a phone number).
    pub external_id: String,
    pub linked_at: DateTime<Utc>,
    /// Set when the person sent STOP on it: no reminders go there until START.
    pub opted_out_at: Option<DateTime<Utc>>,
    pub last_message_at: Option<DateTime<Utc>>,
}

impl From<ChannelAccount> for LinkedAccount {
    fn from(a: ChannelAccount) -> Self {
        LinkedAccount {
            id: a.id,
            channel: a.channel,
            external_id: a.external_id,
            linked_at: a.linked_at,
            opted_out_at: a.opted_out_at,
            last_message_at: a.last_inbound_at,
        }
    }
}

/// The channel service.
#[derive(Clone)]
pub struct Channels {
    pub(crate) store: Store,
    pub(crate) coaching: Coaching,
    pub(crate) settings: Arc<ChannelSettings>,
    /// Built on first use: building one reads and parses the system's root certificates.
    http: Arc<std::sync::OnceLock<reqwest::Client>>,
    /// Wakes the inbound worker when a message was taken.
    pub(crate) inbound_ready: Arc<Notify>,
    /// Wakes the outbox worker when a message was queued.
    pub(crate) outbox_ready: Arc<Notify>,
    pub(crate) limiters: crate::outbox::Limiters,
    /// The SMTP relay, when e-mail is configured.
    pub(crate) email: Option<Arc<crate::email::EmailSender>>,
    pub(crate) widget_limiters: Arc<crate::widgets::WidgetLimiters>,
}

impl Channels {
    pub fn new(store: Store, coaching: Coaching, settings: ChannelSettings) -> Self {
        let http = Arc::default();
        let email = settings.smtp_url.as_deref().and_then(|url| {
            match crate::email::EmailSender::new(url, &settings.email_from) {
                Ok(sender) => Some(Arc::new(sender)),
                Err(error) => {
                    tracing::error!(%error, "e-mail is not sent: the SMTP settings are wrong");
                    None
                }
            }
        });
        Channels {
            email,
            widget_limiters: Default::default(),
            store,
            coaching,
            settings: Arc::new(settings),
            http,
            inbound_ready: Arc::new(Notify::new()),
            outbox_ready: Arc::new(Notify::new()),
            limiters: Default::default(),
        }
    }

    pub fn settings(&self) -> &ChannelSettings {
        &self.settings
    }

    /// The address a platform calls for the organisation.
    pub fn webhook_url(&self, org: OrgId, channel: Channel) -> String {
        format!("{}/api/v1/hooks/{channel}/{org}", self.settings.public_url.trim_end_matches('/'))
    }

    /// Sets up (or replaces) the organisation's Telegram bot.
    pub async fn set_up_telegram(&self, org: OrgId, setup: TelegramSetup) -> ChannelsResult<ChannelSetupView> {
        let invalid =
            |field: &str, message: &str| ChannelsError::Invalid { field: field.into(), message: message.into() };
        let token = setup.bot_token.trim();
        if !(20..=200).contains(&token.len()) || !token.contains(':') || token.chars().any(char::is_whitespace) {
            return Err(invalid("bot_token", "must be the token @BotFather gave, like 123456:ABC…"));
        }
        if !(16..=256).contains(&setup.webhook_secret.len()) || !is_token_text(&setup.webhook_secret) {
            return Err(invalid("webhook_secret", "must be 16 to 256 of A-Z, a-z, 0-9, _ and -"));
        }
        let username =
            setup.bot_username.as_deref().map(|u| u.trim().trim_start_matches('@')).filter(|u| !u.is_empty());
        if username.is_some_and(|u| u.len() > 64 || !is_token_text(u)) {
            return Err(invalid("bot_username", "must be the bot's username, letters, digits and _"));
        }
        let setup = TelegramSetup { bot_token: token.to_string(), bot_username: username.map(str::to_string), ..setup };
        self.store.put_channel_config(org, Channel::Telegram, &to_value(&setup)).await?;
        self.setup_view(org, Channel::Telegram).await
    }

    /// Sets up (or replaces) the organisation's WhatsApp number.
    pub async fn set_up_whatsapp(&self, org: OrgId, setup: WhatsAppSetup) -> ChannelsResult<ChannelSetupView> {
        let invalid =
            |field: &str, message: &str| ChannelsError::Invalid { field: field.into(), message: message.into() };
        if setup.phone_number_id.is_empty()
            || setup.phone_number_id.len() > 64
            || !setup.phone_number_id.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(invalid("phone_number_id", "must be the Cloud API's numeric id of the number"));
        }
        let secrets = [
            ("access_token", &setup.access_token, 20, 1000),
            ("app_secret", &setup.app_secret, 16, 256),
            ("verify_token", &setup.verify_token, 16, 256),
        ];
        for (field, value, min, max) in secrets {
            if !(min..=max).contains(&value.len()) || value.chars().any(char::is_whitespace) {
                return Err(invalid(field, &format!("must be {min} to {max} characters without spaces")));
            }
        }
        if setup.display_number.as_ref().is_some_and(|n| n.chars().count() > 32) {
            return Err(invalid("display_number", "must be at most 32 characters"));
        }
        match (&setup.template_name, &setup.template_language) {
            (Some(name), Some(language))
                if !name.is_empty()
                    && name.len() <= 512
                    && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                    && (2..=15).contains(&language.len())
                    && language.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_') => {}
            (None, None) => {}
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "template_name",
                    "must be a template's name (a-z, 0-9, _) with a language like en or pt_BR",
                ));
            }
            _ => return Err(invalid("template_language", "a template needs both its name and its language")),
        }
        self.store.put_channel_config(org, Channel::WhatsApp, &to_value(&setup)).await?;
        self.setup_view(org, Channel::WhatsApp).await
    }

    /// The organisation's channels, secrets left out.
    pub async fn setups(&self, org: OrgId) -> ChannelsResult<Vec<ChannelSetupView>> {
        let mut views = Vec::new();
        for channel in self.store.configured_channels(org).await? {
            views.push(self.setup_view(org, channel).await?);
        }
        Ok(views)
    }

    /// Removes a channel's settings: its webhook stops taking calls and nothing more is sent on it.
    pub async fn remove_setup(&self, org: OrgId, channel: Channel) -> ChannelsResult<()> {
        self.store.delete_channel_config(org, channel).await.map_err(|e| match e {
            StoreError::NotFound => ChannelsError::NotConfigured(channel),
            other => other.into(),
        })
    }

    async fn setup_view(&self, org: OrgId, channel: Channel) -> ChannelsResult<ChannelSetupView> {
        let Some((settings, updated_at)) = self.store.channel_config(org, channel).await? else {
            return Err(ChannelsError::NotConfigured(channel));
        };
        let text = |key: &str| settings.get(key).and_then(|v| v.as_str()).map(str::to_string);
        Ok(ChannelSetupView {
            channel,
            webhook_url: self.webhook_url(org, channel),
            bot_username: text("bot_username"),
            phone_number_id: text("phone_number_id"),
            display_number: text("display_number"),
            template_name: text("template_name"),
            template_language: text("template_language"),
            updated_at,
        })
    }

    pub(crate) async fn telegram_setup(&self, org: OrgId) -> ChannelsResult<Option<TelegramSetup>> {
        self.setup_of(org, Channel::Telegram).await
    }

    pub(crate) async fn whatsapp_setup(&self, org: OrgId) -> ChannelsResult<Option<WhatsAppSetup>> {
        self.setup_of(org, Channel::WhatsApp).await
    }

    async fn setup_of<T: serde::de::DeserializeOwned>(
        &self,
        org: OrgId,
        channel: Channel,
    ) -> ChannelsResult<Option<T>> {
        let Some((settings, _)) = self.store.channel_config(org, channel).await? else { return Ok(None) };
        serde_json::from_value(settings)
            .map(Some)
            .map_err(|e| ChannelsError::Store(StoreError::Corrupt(format!("{channel} settings: {e}"))))
    }

    /// The client for the messaging platforms' APIs.
    pub(crate) fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .connect_timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default()
        })
    }

    /// The provider that sends on `channel` for the organisation, when it is set up.
    pub(crate) async fn provider(
        &self,
        org: OrgId,
        channel: Channel,
    ) -> ChannelsResult<Option<Box<dyn ChannelProvider>>> {
        Ok(match channel {
            Channel::Telegram => self.telegram_setup(org).await?.map(|s| {
                Box::new(telegram::TelegramBot {
                    api_base: self.settings.telegram_api.clone(),
                    token: s.bot_token,
                    http: self.http().clone(),
                }) as Box<dyn ChannelProvider>
            }),
            Channel::WhatsApp => self.whatsapp_setup(org).await?.map(|s| {
                let template = s
                    .template_name
                    .zip(s.template_language)
                    .map(|(name, language)| whatsapp::Template { name, language });
                Box::new(whatsapp::WhatsAppNumber {
                    api_base: self.settings.whatsapp_api.clone(),
                    phone_number_id: s.phone_number_id,
                    access_token: s.access_token,
                    template,
                    http: self.http().clone(),
                }) as Box<dyn ChannelProvider>
            }),
            Channel::Email => {
                self.email.as_ref().map(|sender| Box::new((**sender).clone()) as Box<dyn ChannelProvider>)
            }
            Channel::Web | Channel::Widget => None,
        })
    }

    /// A new one-time code that links the person's account on `channel` when sent to the
    /// organisation's bot or number; an earlier code of theirs for the channel stops working.
    pub async fn issue_link_code(
        &self,
        org: OrgId,
        person: PersonId,
        channel: Channel,
    ) -> ChannelsResult<IssuedLinkCode> {
        let (instructions, open_url) = match channel {
            Channel::Telegram => {
                let username =
                    self.telegram_setup(org).await?.ok_or(ChannelsError::NotConfigured(channel))?.bot_username;
                (
                    username
                        .as_ref()
                        .map_or("the organisation's Telegram bot".to_string(), |u| format!("@{u} on Telegram")),
                    username,
                )
            }
            Channel::WhatsApp => {
                let number =
                    self.whatsapp_setup(org).await?.ok_or(ChannelsError::NotConfigured(channel))?.display_number;
                (number.map_or("the organisation's WhatsApp number".to_string(), |n| format!("{n} on WhatsApp")), None)
            }
            _ => {
                return Err(ChannelsError::Invalid {
                    field: "channel".into(),
                    message: "accounts are linked on telegram and whatsapp".into(),
                });
            }
        };
        let mut bytes = [0u8; wayfinder_channels_rules::link::LENGTH];
        getrandom::fill(&mut bytes)
            .map_err(|e| ChannelsError::Store(StoreError::Corrupt(format!("no randomness: {e}"))))?;
        let code = LinkCode::from_random(bytes);
        let expires_at = Utc::now() + Duration::minutes(self.settings.link_code_minutes);
        self.store.put_link_code(org, person, channel, &code.digest(), expires_at).await?;
        let shown = code.display();
        let open_url = open_url.map(|username| format!("https://t.me/{username}?start={}", code.as_str()));
        Ok(IssuedLinkCode {
            channel,
            instructions: format!(
                "Send \"link {shown}\" to {instructions} within {} minutes.",
                self.settings.link_code_minutes
            ),
            code: shown,
            expires_at,
            open_url,
        })
    }

    /// The messaging channels the organisation has set up (those a person can link).
    pub async fn available(&self, org: OrgId) -> ChannelsResult<Vec<Channel>> {
        Ok(self.store.configured_channels(org).await?.into_iter().filter(|c| c.is_messaging()).collect())
    }

    /// The person's linked accounts.
    pub async fn accounts(&self, org: OrgId, person: PersonId) -> ChannelsResult<Vec<LinkedAccount>> {
        Ok(self.store.channel_accounts_of(org, person).await?.into_iter().map(LinkedAccount::from).collect())
    }

    /// Unlinks one of the person's accounts: messages from it are no longer theirs.
    pub async fn unlink(&self, org: OrgId, person: PersonId, id: ChannelAccountId) -> ChannelsResult<()> {
        self.store.unlink_channel_account(org, person, id).await.map_err(|e| match e {
            StoreError::NotFound => ChannelsError::NotFound("channel account"),
            other => other.into(),
        })
    }

    /// Takes a platform's webhook call: verified with the organisation's secret, each message
    /// kept once (a redelivered id is dropped) for the worker to answer. Returns how many new
    /// messages were kept.
    pub async fn receive(&self, org: OrgId, channel: Channel, call: &WebhookCall) -> ChannelsResult<usize> {
        let messages = match channel {
            Channel::Telegram => {
                let setup = self.telegram_setup(org).await?.ok_or(ChannelsError::NotConfigured(channel))?;
                telegram::read_update(call.secret_token.as_deref(), &setup.webhook_secret, &call.body)?
                    .into_iter()
                    .collect::<Vec<_>>()
            }
            Channel::WhatsApp => {
                let setup = self.whatsapp_setup(org).await?.ok_or(ChannelsError::NotConfigured(channel))?;
                whatsapp::read_notification(call.signature.as_deref(), &setup.app_secret, &call.body)?
            }
            _ => return Err(ChannelsError::NotConfigured(channel)),
        };
        let mut kept = 0;
        for message in messages {
            let new = NewInbound {
                org,
                channel,
                external_id: message.event_id.clone(),
                payload: to_value(&StoredInbound::from(message)),
                received_at: Utc::now(),
            };
            if self.store.take_inbound(&new).await? {
                kept += 1;
            }
        }
        if kept > 0 {
            self.inbound_ready.notify_one();
        }
        Ok(kept)
    }

    /// Whether e-mail goes out (an SMTP relay is configured).
    pub fn email_enabled(&self) -> bool {
        self.email.is_some()
    }

    /// The address a person's replies come back to, when replies are taken.
    pub(crate) async fn reply_address(&self, org: OrgId, person: PersonId) -> ChannelsResult<Option<String>> {
        let Some(domain) = &self.settings.email_reply_domain else { return Ok(None) };
        let mut bytes = [0u8; 12];
        getrandom::fill(&mut bytes)
            .map_err(|e| ChannelsError::Store(StoreError::Corrupt(format!("no randomness: {e}"))))?;
        let fresh: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let token = self.store.email_reply_token(org, person, &fresh).await?;
        Ok(Some(format!("reply+{token}@{domain}")))
    }

    /// Queues an e-mail (one message, whole); a person's replies come back to their reply address.
    pub async fn queue_email(
        &self,
        org: OrgId,
        person: Option<PersonId>,
        address: &str,
        subject: &str,
        text: &str,
        key: &str,
    ) -> ChannelsResult<()> {
        let reply_to = match person {
            Some(person) => self.reply_address(org, person).await?,
            None => None,
        };
        let new = NewOutbound {
            org,
            person,
            channel: Channel::Email,
            destination: address.to_string(),
            payload: serde_json::json!({ "text": text, "subject": subject, "reply_to": reply_to }),
            idempotency_key: key.to_string(),
            send_at: Utc::now(),
        };
        match self.store.enqueue_outbound(&new).await {
            Ok(_) | Err(StoreError::Duplicate(_)) => {}
            Err(other) => return Err(other.into()),
        }
        self.outbox_ready.notify_one();
        Ok(())
    }

    /// E-mails an invitation's link, when e-mail goes out; `false` when it does not.
    pub async fn email_invitation(
        &self,
        org: OrgId,
        address: &str,
        organisation: &str,
        link: &str,
        invitation: &str,
    ) -> ChannelsResult<bool> {
        if !self.email_enabled() {
            return Ok(false);
        }
        let text = format!(
            "You have been invited to join {organisation} on Wayfinder, where your coach answers from your              organisation's own material.\n\nAccept the invitation here (the link works once):\n{link}\n"
        );
        let subject = format!("Your invitation to {organisation}");
        self.queue_email(org, None, address, &subject, &text, &format!("invitation:{invitation}")).await?;
        Ok(true)
    }

    /// Takes a reply from the inbound-mail webhook: Basic authentication with the configured
    /// secret; the reply address names the person, and only their own address may write as
    /// them. Returns how many new messages were kept (a redelivered message id: none).
    pub async fn receive_email(&self, password: Option<&str>, body: &[u8]) -> ChannelsResult<usize> {
        let (Some(expected), Some(domain)) = (&self.settings.email_inbound_secret, &self.settings.email_reply_domain)
        else {
            return Err(ChannelsError::NotConfigured(Channel::Email));
        };
        if !password.is_some_and(|p| crate::secrets_match(p, expected)) {
            return Err(ChannelsError::Forged);
        }
        let mail = crate::email::read_inbound(body).map_err(ChannelsError::Malformed)?;
        let token = mail.to.iter().find_map(|a| crate::email::reply_token(a, domain));
        let Some(token) = token else {
            return Err(ChannelsError::Malformed("no reply address of this server among the recipients".into()));
        };
        let Some((org, person, address)) = self.store.email_reply_owner(token).await? else {
            return Err(ChannelsError::NotFound("reply address"));
        };
        if !address.eq_ignore_ascii_case(&mail.from) {
            return Err(ChannelsError::Forged);
        }
        self.store.link_own_account(org, person, Channel::Email, &address).await?;
        if mail.text.trim().is_empty() {
            return Ok(0);
        }
        let stored = StoredInbound { sender: address, sender_name: None, text: mail.text, sent_at: mail.sent_at };
        let new = NewInbound {
            org,
            channel: Channel::Email,
            external_id: mail.message_id,
            payload: to_value(&stored),
            received_at: Utc::now(),
        };
        let kept = usize::from(self.store.take_inbound(&new).await?);
        if kept > 0 {
            self.inbound_ready.notify_one();
        }
        Ok(kept)
    }

    /// Answers WhatsApp's subscription handshake with the challenge, when the token is right.
    pub async fn verify_whatsapp(
        &self,
        org: OrgId,
        mode: Option<&str>,
        token: Option<&str>,
        challenge: Option<&str>,
    ) -> ChannelsResult<String> {
        let setup = self.whatsapp_setup(org).await?.ok_or(ChannelsError::NotConfigured(Channel::WhatsApp))?;
        whatsapp::verify_subscription(mode, token, challenge, &setup.verify_token)
            .map(str::to_string)
            .ok_or(ChannelsError::Forged)
    }
}

/// An inbound message as kept until it is answered.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct StoredInbound {
    pub sender: String,
    pub sender_name: Option<String>,
    pub text: String,
    pub sent_at: DateTime<Utc>,
}

impl From<InboundMessage> for StoredInbound {
    fn from(m: InboundMessage) -> Self {
        StoredInbound { sender: m.sender, sender_name: m.sender_name, text: m.text, sent_at: m.sent_at }
    }
}

pub(crate) fn to_value(value: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}
