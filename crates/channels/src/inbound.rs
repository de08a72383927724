//! The inbound worker: answers the messages the webhooks kept. A command
//! (link, STOP, START) is answered by the rules; a question goes to the
//! person's current conversation, so it continues whichever channel they
//! write on, and the coach's answer is split at the platform's limit and
//! queued in the outbox for the account it came from.

use crate::service::{Channels, ChannelsResult, StoredInbound};
use chrono::{DateTime, Utc};
use std::time::Duration as StdDuration;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_channels_rules::{
    Channel,
    commands::{Command, parse_command},
    link::LinkCode,
    split::{Footnote, split_answer},
};
use wayfinder_coach::{CoachingError, Message, TurnEvent};
use wayfinder_store::{ChannelAccount, ConversationQuery, Inbound, NewOutbound, StoreError};

/// How long a worker holds an inbound message before another may take it (a coach turn
/// with a slow model fits well inside).
const INBOUND_LEASE_SECONDS: i64 = 300;

/// Messages claimed at once.
const INBOUND_BATCH: i64 = 16;

/// Attempts before a message that keeps failing is set aside.
const INBOUND_MAX_ATTEMPTS: i64 = 5;

impl Channels {
    /// Answers inbound messages until `stop` turns true: woken when a webhook keeps one, and
    /// every two seconds for those another instance kept or a stopped worker left.
    pub async fn run_inbound(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            let handled = match self.answer_inbound(Utc::now()).await {
                Ok(n) => n,
                Err(error) => {
                    tracing::warn!(%error, "could not read inbound messages");
                    0
                }
            };
            if handled > 0 {
                continue;
            }
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                _ = self.inbound_ready.notified() => {}
                _ = tokio::time::sleep(StdDuration::from_secs(2)) => {}
            }
        }
    }

    /// Answers the inbound messages waiting at `now`, up to a batch, one at a time in the
    /// order they came (a person's messages keep their order). Returns how many were handled.
    pub async fn answer_inbound(&self, now: DateTime<Utc>) -> ChannelsResult<usize> {
        let lease = now + chrono::Duration::seconds(INBOUND_LEASE_SECONDS);
        let claimed = self.store.claim_inbound(now, lease, INBOUND_BATCH).await?;
        let count = claimed.len();
        for inbound in claimed {
            let result = self.handle(&inbound).await;
            match result {
                Ok(()) => self.store.inbound_done(&inbound.id, Utc::now()).await?,
                Err(error) if inbound.attempts >= INBOUND_MAX_ATTEMPTS => {
                    tracing::error!(%error, id = %inbound.id, "an inbound message could not be answered; set aside");
                    self.store.inbound_done(&inbound.id, Utc::now()).await?;
                }
                // Left leased: taken again when the lease runs out.
                Err(error) => tracing::warn!(%error, id = %inbound.id, "an inbound message will be tried again"),
            }
        }
        Ok(count)
    }

    async fn handle(&self, inbound: &Inbound) -> ChannelsResult<()> {
        let message: StoredInbound = serde_json::from_value(inbound.payload.clone())
            .map_err(|e| StoreError::Corrupt(format!("inbound payload: {e}")))?;
        let (org, channel) = (inbound.org, inbound.channel);
        let account = self.store.channel_account(org, channel, &message.sender).await?;
        let reply_key = format!("reply:{}", inbound.id);
        match parse_command(&message.text) {
            Some(Command::Link(code)) => return self.link(inbound, &message, &code, &reply_key).await,
            Some(command @ (Command::Stop | Command::Start)) => {
                let Some(account) = account else {
                    return self.reply(org, None, channel, &message, &reply_key, &self.how_to_link(org)).await;
                };
                let stop = command == Command::Stop;
                self.store.note_inbound(account.id, message.sent_at.min(Utc::now()), Some(stop)).await?;
                let text = if stop {
                    "You will get no more reminders here. Questions you send are still answered. Send START to get reminders again."
                } else {
                    "Reminders are on again here. Send STOP to pause them."
                };
                return self.reply(org, Some(account.person), channel, &message, &reply_key, text).await;
            }
            None => {}
        }
        let Some(account) = account else {
            return self.reply(org, None, channel, &message, &reply_key, &self.how_to_link(org)).await;
        };
        self.store.note_inbound(account.id, message.sent_at.min(Utc::now()), None).await?;
        // A number answers the person's open check-in, if they have one.
        if let Some(answer) = self.reply_to_check_in(org, account.person, &message.text).await? {
            let text = format!("Thanks, noted: {answer} of 5.");
            return self.reply(org, Some(account.person), channel, &message, &reply_key, &text).await;
        }
        self.answer_question(inbound, &account, &message).await
    }

    /// Links the sender's account with a code from the web app and says whose it now is.
    async fn link(&self, inbound: &Inbound, message: &StoredInbound, code: &LinkCode, key: &str) -> ChannelsResult<()> {
        let (org, channel) = (inbound.org, inbound.channel);
        match self.store.redeem_link_code(org, channel, &code.digest(), &message.sender, Utc::now()).await {
            Ok(account) => {
                self.store.note_inbound(account.id, message.sent_at.min(Utc::now()), None).await?;
                let text = "Linked: this chat now continues your Wayfinder conversations. Ask me anything. \
                            Send STOP to pause reminders here; unlink it any time in Wayfinder under Profile → Channels.";
                self.reply(org, Some(account.person), channel, message, key, text).await
            }
            Err(StoreError::NotFound) => {
                let text =
                    "That code is not valid or has expired. Make a new one in Wayfinder under Profile → Channels.";
                self.reply(org, None, channel, message, key, text).await
            }
            Err(other) => Err(other.into()),
        }
    }

    fn how_to_link(&self, _org: OrgId) -> String {
        format!(
            "Hello! To talk to your coach here, link this chat to your Wayfinder account: open {}/profile, \
             choose Channels, make a code and send it here as \"link ABCD-EFGH\".",
            self.settings.public_url.trim_end_matches('/')
        )
    }

    /// Asks the coach in the person's current conversation and queues the answer.
    async fn answer_question(
        &self,
        inbound: &Inbound,
        account: &ChannelAccount,
        message: &StoredInbound,
    ) -> ChannelsResult<()> {
        let (org, person, channel) = (inbound.org, account.person, inbound.channel);
        let conversation = self.current_conversation(org, person, &message.text).await?;
        let key = format!("reply:{}", inbound.id);
        let events = match self.coaching.ask(conversation.clone(), person, message.text.clone(), channel).await {
            Ok(events) => events,
            Err(CoachingError::OverBudget(_)) => {
                let text = "Your coach has reached today's limit. Please ask again tomorrow.";
                return self.reply(org, Some(person), channel, message, &key, text).await;
            }
            Err(CoachingError::Invalid { message: why, .. }) => {
                let text = format!("I could not take that message: {why}.");
                return self.reply(org, Some(person), channel, message, &key, &text).await;
            }
            Err(other) => return Err(crate::service::ChannelsError::Malformed(other.to_string())),
        };
        let answer = match finish(events).await {
            Finished::Answer(answer) => answer,
            Finished::Failed(text) => return self.reply(org, Some(person), channel, message, &key, &text).await,
            Finished::Held => return Ok(()),
        };
        let footnotes: Vec<Footnote> = answer
            .citations
            .iter()
            .map(|c| Footnote {
                number: c.number,
                label: match (&c.section, c.page_start) {
                    (Some(section), Some(page)) => format!("{} › {section}, p. {page}", c.document_title),
                    (Some(section), None) => format!("{} › {section}", c.document_title),
                    (None, Some(page)) => format!("{}, p. {page}", c.document_title),
                    (None, None) => c.document_title.clone(),
                },
                link: Some(format!(
                    "{}/chat/{}?message={}&source={}",
                    self.settings.public_url.trim_end_matches('/'),
                    conversation.id,
                    answer.id,
                    c.number
                )),
            })
            .collect();
        let limit = channel.message_limit().unwrap_or(usize::MAX);
        let parts = split_answer(&answer.content, &footnotes, limit);
        let prefix = format!("answer:{}", answer.id);
        self.queue_parts(org, Some(person), channel, &message.sender, &prefix, &parts).await
    }

    /// Sends what a coach who joined wrote to the messaging account the learner last wrote
    /// from in this conversation, if they wrote from one (the web shows it by itself).
    pub async fn forward_to_messaging(
        &self,
        org: OrgId,
        person: PersonId,
        conversation: wayfinder_coach_rules::ConversationId,
        message: &Message,
    ) {
        let last = match self.coaching.messages(conversation).await {
            Ok(messages) => messages.into_iter().rev().find(|m| m.role == wayfinder_coach_rules::TurnRole::User),
            Err(error) => {
                tracing::warn!(%error, "the coach's message was not forwarded");
                return;
            }
        };
        let Some(channel) = last.map(|m| m.channel).filter(|c| c.is_messaging()) else { return };
        let accounts = match self.store.channel_accounts_of(org, person).await {
            Ok(accounts) => accounts,
            Err(error) => return tracing::warn!(%error, "the coach's message was not forwarded"),
        };
        let Some(account) = accounts.into_iter().find(|a| a.channel == channel) else { return };
        let text = match &message.author_name {
            Some(name) => format!("{name}: {}", message.content),
            None => message.content.clone(),
        };
        let parts = split_answer(&text, &[], channel.message_limit().unwrap_or(usize::MAX));
        let prefix = format!("human:{}", message.id);
        if let Err(error) = self.queue_parts(org, Some(person), channel, &account.external_id, &prefix, &parts).await {
            tracing::warn!(%error, "the coach's message was not forwarded");
        }
    }

    /// The conversation a message on any channel continues: the person's most recent one,
    /// or a new one with the organisation's default coach.
    pub(crate) async fn current_conversation(
        &self,
        org: OrgId,
        person: PersonId,
        text: &str,
    ) -> ChannelsResult<wayfinder_coach::Conversation> {
        let query = ConversationQuery { owner: Some(person), archived: Some(false), limit: 1, ..Default::default() };
        let latest = self.coaching.conversations(org, &query).await.map_err(coaching_error)?;
        match latest.into_iter().next() {
            Some(conversation) => Ok(conversation),
            None => self.coaching.start_conversation(org, person, None, Some(text)).await.map_err(coaching_error),
        }
    }

    /// Queues a short reply (not an answer) to the account a message came from.
    async fn reply(
        &self,
        org: OrgId,
        person: Option<PersonId>,
        channel: Channel,
        message: &StoredInbound,
        key: &str,
        text: &str,
    ) -> ChannelsResult<()> {
        let parts = split_answer(text, &[], channel.message_limit().unwrap_or(usize::MAX));
        self.queue_parts(org, person, channel, &message.sender, key, &parts).await
    }

    /// Queues the parts of one message in order, each with a key made from `prefix`; parts
    /// queued before (a message handled again after a crash) are not queued twice.
    pub(crate) async fn queue_parts(
        &self,
        org: OrgId,
        person: Option<PersonId>,
        channel: Channel,
        destination: &str,
        prefix: &str,
        parts: &[String],
    ) -> ChannelsResult<()> {
        let now = Utc::now();
        let reply_to = match (channel, person) {
            (Channel::Email, Some(person)) => self.reply_address(org, person).await?,
            _ => None,
        };
        for (i, text) in parts.iter().enumerate() {
            let payload = match channel {
                Channel::Email => {
                    serde_json::json!({ "text": text, "subject": "Your coach's answer", "reply_to": reply_to })
                }
                _ => serde_json::json!({ "text": text }),
            };
            let new = NewOutbound {
                org,
                person,
                channel,
                destination: destination.to_string(),
                payload,
                idempotency_key: format!("{prefix}:{}", i + 1),
                send_at: now,
            };
            match self.store.enqueue_outbound(&new).await {
                Ok(_) | Err(StoreError::Duplicate(_)) => {}
                Err(other) => return Err(other.into()),
            }
        }
        self.outbox_ready.notify_one();
        Ok(())
    }
}

pub(crate) enum Finished {
    Answer(Box<Message>),
    /// What to tell the person instead.
    Failed(String),
    /// A coach holds the conversation: they answer, not the AI.
    Held,
}

pub(crate) async fn finish(mut events: tokio::sync::mpsc::Receiver<TurnEvent>) -> Finished {
    while let Some(event) = events.recv().await {
        match event {
            TurnEvent::Done(answer) => return Finished::Answer(Box::new(answer)),
            TurnEvent::Failed { message, .. } => return Finished::Failed(message),
            TurnEvent::Held(_) => return Finished::Held,
            TurnEvent::User(_) | TurnEvent::Sources(_) | TurnEvent::Delta(_) => {}
        }
    }
    Finished::Failed("Something went wrong while answering. Please try again.".into())
}

pub(crate) fn coaching_error(e: CoachingError) -> crate::service::ChannelsError {
    match e {
        CoachingError::Store(store) => store.into(),
        other => crate::service::ChannelsError::Malformed(other.to_string()),
    }
}
