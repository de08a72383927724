//! The outbox worker: sends what the outbox holds, on each organisation's
//! provider, at the rate one bot or number may send. Each attempt is recorded
//! before the send (the claim), so after a crash the rows left "sending" are
//! known: sent again with the same key where the platform drops repeats,
//! otherwise marked uncertain rather than delivered twice.

use crate::service::{Channels, ChannelsResult};
use crate::{ChannelProvider, OutboundMessage, SendOutcome};
use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;
use wayfinder_accounts_rules::OrgId;
use wayfinder_channels_rules::{Channel, delivery::retry_delay};
use wayfinder_store::Outbound;

/// Messages claimed at once.
const OUTBOX_BATCH: i64 = 64;

/// The channels whose platforms drop a second send with the same key (none of the messaging
/// platforms today: their interrupted attempts become uncertain).
const CHANNELS_WITH_KEYS: [Channel; 0] = [];

/// One rate limiter per organisation and channel (a bot or a number).
#[derive(Clone, Default)]
pub(crate) struct Limiters(Arc<Mutex<LimiterMap>>);

type LimiterMap = HashMap<(OrgId, Channel), Arc<DefaultDirectRateLimiter>>;

impl Limiters {
    fn get(&self, org: OrgId, channel: Channel, per_second: u32) -> Arc<DefaultDirectRateLimiter> {
        let mut map = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        map.entry((org, channel))
            .or_insert_with(|| {
                let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
                Arc::new(RateLimiter::direct(Quota::per_second(rate)))
            })
            .clone()
    }
}

impl Channels {
    /// Sends until `stop` turns true: first settles the attempts a stopped worker left, then
    /// sends whatever is due, woken when a message is queued and every second otherwise.
    pub async fn run_outbox(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut last_reconcile: Option<DateTime<Utc>> = None;
        loop {
            let now = Utc::now();
            // Interrupted sends are settled as soon as their lease can have run out.
            let every = chrono::Duration::seconds(self.settings.outbox_lease_seconds.min(30));
            if last_reconcile.is_none_or(|at| now - at > every) {
                self.reconcile(now).await;
                last_reconcile = Some(now);
            }
            let sent = match self.deliver_due(now).await {
                Ok(n) => n,
                Err(error) => {
                    tracing::warn!(%error, "could not read the outbox");
                    0
                }
            };
            if sent > 0 {
                continue;
            }
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                _ = self.outbox_ready.notified() => {}
                _ = tokio::time::sleep(StdDuration::from_secs(1)) => {}
            }
        }
    }

    /// Settles the attempts whose worker stopped before `now` (their lease ran out).
    pub async fn reconcile(&self, now: DateTime<Utc>) {
        match self.store.reconcile_outbound(now, &CHANNELS_WITH_KEYS).await {
            Ok((0, 0)) => {}
            Ok((requeued, uncertain)) => {
                tracing::warn!(requeued, uncertain, "settled outbound attempts a stopped worker left")
            }
            Err(error) => tracing::warn!(%error, "could not settle interrupted outbound attempts"),
        }
    }

    /// Sends the messages due at `now`, up to a batch: one destination's messages in order,
    /// different destinations side by side. Returns how many were attempted.
    pub async fn deliver_due(&self, now: DateTime<Utc>) -> ChannelsResult<usize> {
        let lease = now + chrono::Duration::seconds(self.settings.outbox_lease_seconds);
        let claimed = self.store.claim_outbound(now, lease, OUTBOX_BATCH).await?;
        let count = claimed.len();
        let mut providers: HashMap<(OrgId, Channel), Option<Arc<dyn ChannelProvider>>> = HashMap::new();
        let mut queues: HashMap<(OrgId, Channel, String), Vec<Outbound>> = HashMap::new();
        for row in claimed {
            let key = (row.org, row.channel);
            if let std::collections::hash_map::Entry::Vacant(slot) = providers.entry(key) {
                slot.insert(self.provider(row.org, row.channel).await?.map(Arc::from));
            }
            queues.entry((row.org, row.channel, row.destination.clone())).or_default().push(row);
        }
        let sends = queues.into_values().map(|rows| {
            let provider = providers.get(&(rows[0].org, rows[0].channel)).cloned().flatten();
            self.send_in_order(provider, rows)
        });
        futures::future::join_all(sends).await;
        Ok(count)
    }

    async fn send_in_order(&self, provider: Option<Arc<dyn ChannelProvider>>, rows: Vec<Outbound>) {
        for row in rows {
            if let Err(error) = self.send_one(provider.as_deref(), &row).await {
                tracing::warn!(%error, id = %row.id, "could not record an outbound attempt");
            }
        }
    }

    async fn send_one(&self, provider: Option<&dyn ChannelProvider>, row: &Outbound) -> ChannelsResult<()> {
        let Some(provider) = provider else {
            let error = format!("{} is not set up for this organisation", row.channel);
            self.store.outbound_failed(row.id, &error, Utc::now()).await?;
            return Ok(());
        };
        let per_second = match row.channel {
            Channel::Telegram => self.settings.telegram_per_second,
            Channel::WhatsApp => self.settings.whatsapp_per_second,
            _ => u32::MAX,
        };
        self.limiters.get(row.org, row.channel, per_second).until_ready().await;
        let lease = Utc::now() + chrono::Duration::seconds(self.settings.outbox_lease_seconds);
        let attempt = match self.store.begin_outbound_attempt(row.id, lease).await {
            Ok(attempt) => attempt,
            // The claim ran out and another worker has the message.
            Err(wayfinder_store::StoreError::NotFound) => return Ok(()),
            Err(other) => return Err(other.into()),
        };
        let last_inbound_at = match self.store.channel_account(row.org, row.channel, &row.destination).await? {
            Some(account) => account.last_inbound_at,
            None => None,
        };
        let message = OutboundMessage {
            destination: row.destination.clone(),
            text: row.payload.get("text").and_then(|t| t.as_str()).unwrap_or_default().to_string(),
            idempotency_key: row.idempotency_key.clone(),
            last_inbound_at,
            subject: row.payload.get("subject").and_then(|t| t.as_str()).map(str::to_string),
            reply_to: row.payload.get("reply_to").and_then(|t| t.as_str()).map(str::to_string),
        };
        let started = std::time::Instant::now();
        let outcome = provider.send(&message).await;
        let now = Utc::now();
        let result = match &outcome {
            SendOutcome::Sent { .. } => "sent",
            SendOutcome::Retry { .. } => "retry",
            SendOutcome::Refused { .. } => "refused",
        };
        metrics::counter!("wayfinder_outbound_attempts_total", "channel" => row.channel.to_string(), "result" => result)
            .increment(1);
        metrics::histogram!("wayfinder_outbound_send_seconds", "channel" => row.channel.to_string())
            .record(started.elapsed().as_secs_f64());
        match outcome {
            SendOutcome::Sent { provider_message_id } => {
                self.store.outbound_sent(row.id, provider_message_id.as_deref(), now).await?
            }
            SendOutcome::Retry { error, retry_after } => match retry_delay(attempt, retry_after) {
                Some(delay) => self.store.outbound_retry(row.id, &error, now + delay).await?,
                None => self.store.outbound_failed(row.id, &error, now).await?,
            },
            SendOutcome::Refused { error } => self.store.outbound_failed(row.id, &error, now).await?,
        }
        Ok(())
    }
}
