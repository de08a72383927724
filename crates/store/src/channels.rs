//! Channels: the accounts people link on messaging platforms (by a one-time
//! code), inbound updates already taken (platforms redeliver), and opt-outs.

use crate::{Store, StoreError, StoreResult, in_tx, on_pool, rows::*};
use chrono::{DateTime, Utc};
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_channels_rules::{Channel, ChannelAccountId};

/// A person's account on one channel.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelAccount {
    pub id: ChannelAccountId,
    pub org: OrgId,
    pub person: PersonId,
    pub channel: Channel,
    /// The platform's id for the person (a chat id, a number, an address).
    pub external_id: String,
    pub linked_at: DateTime<Utc>,
    /// Set by STOP, cleared by START.
    pub opted_out_at: Option<DateTime<Utc>>,
    pub last_inbound_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: String,
    org_id: String,
    person_id: String,
    channel: String,
    external_id: String,
    linked_at: i64,
    opted_out_at: Option<i64>,
    last_inbound_at: Option<i64>,
}

impl AccountRow {
    fn into_account(self) -> StoreResult<ChannelAccount> {
        Ok(ChannelAccount {
            id: parse(&self.id, "channel account id")?,
            org: parse(&self.org_id, "org id")?,
            person: parse(&self.person_id, "person id")?,
            channel: parse(&self.channel, "channel")?,
            external_id: self.external_id,
            linked_at: time(self.linked_at),
            opted_out_at: self.opted_out_at.map(time),
            last_inbound_at: self.last_inbound_at.map(time),
        })
    }
}

const ACCOUNT_COLUMNS: &str = "id, org_id, person_id, channel, external_id, linked_at, opted_out_at, last_inbound_at";

impl Store {
    /// Keeps a link code's digest for `person` on `channel` until `expires_at`, replacing
    /// the person's earlier code for the channel.
    pub async fn put_link_code(
        &self,
        org: OrgId,
        person: PersonId,
        channel: Channel,
        digest: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        in_tx!(self, tx => {
            sqlx::query("DELETE FROM channel_link_codes WHERE org_id = $1 AND person_id = $2 AND channel = $3")
                .bind(org.to_string()).bind(person.to_string()).bind(channel.to_string())
                .execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO channel_link_codes (code_digest, org_id, person_id, channel, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(digest).bind(org.to_string()).bind(person.to_string()).bind(channel.to_string())
                .bind(now_ms()).bind(expires_at.timestamp_millis())
                .execute(&mut *tx).await.map_err(crate::duplicate_as("code"))?;
        });
        Ok(())
    }

    /// Links the platform account `external_id` to the person a valid code was shown to, and
    /// spends the code, in one transaction. An account linked before moves to that person and
    /// its opt-out is cleared. An unknown, spent or expired code is `NotFound` and changes nothing.
    pub async fn redeem_link_code(
        &self,
        org: OrgId,
        channel: Channel,
        digest: &str,
        external_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<ChannelAccount> {
        let row: AccountRow = in_tx!(self, tx => {
            let found: Option<(String,)> = sqlx::query_as(
                "DELETE FROM channel_link_codes WHERE code_digest = $1 AND org_id = $2 AND channel = $3 AND expires_at > $4
                 RETURNING person_id")
                .bind(digest).bind(org.to_string()).bind(channel.to_string()).bind(now.timestamp_millis())
                .fetch_optional(&mut *tx).await?;
            let Some((person,)) = found else { return Err(StoreError::NotFound) };
            sqlx::query_as(&format!(
                "INSERT INTO channel_accounts (id, org_id, person_id, channel, external_id, linked_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (org_id, channel, external_id) DO UPDATE SET person_id = excluded.person_id,
                   linked_at = excluded.linked_at, opted_out_at = NULL
                 RETURNING {ACCOUNT_COLUMNS}"))
                .bind(ChannelAccountId::new().to_string()).bind(org.to_string()).bind(person)
                .bind(channel.to_string()).bind(external_id).bind(now.timestamp_millis())
                .fetch_one(&mut *tx).await?
        });
        row.into_account()
    }

    /// The account a platform id is linked to in the organisation, if any.
    pub async fn channel_account(
        &self,
        org: OrgId,
        channel: Channel,
        external_id: &str,
    ) -> StoreResult<Option<ChannelAccount>> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM channel_accounts WHERE org_id = $1 AND channel = $2 AND external_id = $3"
        );
        let row: Option<AccountRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(channel.to_string()).bind(external_id).fetch_optional(pool).await?);
        row.map(AccountRow::into_account).transpose()
    }

    /// A person's linked accounts, oldest first.
    pub async fn channel_accounts_of(&self, org: OrgId, person: PersonId) -> StoreResult<Vec<ChannelAccount>> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM channel_accounts WHERE org_id = $1 AND person_id = $2 ORDER BY linked_at, id"
        );
        let rows: Vec<AccountRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(person.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(AccountRow::into_account).collect()
    }

    /// Every linked account in the organisation, by person.
    pub async fn channel_accounts_of_org(
        &self,
        org: OrgId,
    ) -> StoreResult<std::collections::HashMap<PersonId, Vec<ChannelAccount>>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM channel_accounts WHERE org_id = $1 ORDER BY linked_at, id");
        let rows: Vec<AccountRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).fetch_all(pool).await?);
        let mut by_person: std::collections::HashMap<PersonId, Vec<ChannelAccount>> = Default::default();
        for row in rows {
            let account = row.into_account()?;
            by_person.entry(account.person).or_default().push(account);
        }
        Ok(by_person)
    }

    /// Unlinks one of a person's accounts; someone else's or an unknown id is `NotFound`.
    pub async fn unlink_channel_account(&self, org: OrgId, person: PersonId, id: ChannelAccountId) -> StoreResult<()> {
        let done = on_pool!(self, pool => sqlx::query(
            "DELETE FROM channel_accounts WHERE org_id = $1 AND person_id = $2 AND id = $3")
            .bind(org.to_string()).bind(person.to_string()).bind(id.to_string()).execute(pool).await?.rows_affected());
        if done == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Records the person's message on an account: the start of a platform's reply window, and
    /// STOP (`Some(true)`) or START (`Some(false)`).
    pub async fn note_inbound(
        &self,
        id: ChannelAccountId,
        at: DateTime<Utc>,
        opt_out: Option<bool>,
    ) -> StoreResult<()> {
        let at = at.timestamp_millis();
        let sql = match opt_out {
            None => "UPDATE channel_accounts SET last_inbound_at = $2 WHERE id = $1",
            Some(true) => "UPDATE channel_accounts SET last_inbound_at = $2, opted_out_at = $2 WHERE id = $1",
            Some(false) => "UPDATE channel_accounts SET last_inbound_at = $2, opted_out_at = NULL WHERE id = $1",
        };
        let done =
            on_pool!(self, pool => sqlx::query(sql).bind(id.to_string()).bind(at).execute(pool).await?.rows_affected());
        if done == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Links `external_id` on `channel` to the person without a code (their own e-mail address,
    /// which their account already proves).
    pub async fn link_own_account(
        &self,
        org: OrgId,
        person: PersonId,
        channel: Channel,
        external_id: &str,
    ) -> StoreResult<ChannelAccount> {
        let sql = format!(
            "INSERT INTO channel_accounts (id, org_id, person_id, channel, external_id, linked_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (org_id, channel, external_id) DO UPDATE SET person_id = excluded.person_id
             RETURNING {ACCOUNT_COLUMNS}"
        );
        let row: AccountRow = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(ChannelAccountId::new().to_string()).bind(org.to_string()).bind(person.to_string())
            .bind(channel.to_string()).bind(external_id).bind(now_ms()).fetch_one(pool).await?);
        row.into_account()
    }

    /// The token of a person's reply address, made the first time it is asked for.
    pub async fn email_reply_token(&self, org: OrgId, person: PersonId, new_token: &str) -> StoreResult<String> {
        let row: (String,) = on_pool!(self, pool => sqlx::query_as(
            "INSERT INTO email_reply_addresses (org_id, person_id, token, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (org_id, person_id) DO UPDATE SET org_id = excluded.org_id RETURNING token")
            .bind(org.to_string()).bind(person.to_string()).bind(new_token).bind(now_ms()).fetch_one(pool).await?);
        Ok(row.0)
    }

    /// Whose reply address a token is: the organisation, the person and their e-mail address.
    pub async fn email_reply_owner(&self, token: &str) -> StoreResult<Option<(OrgId, PersonId, String)>> {
        let row: Option<(String, String, String)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT r.org_id, r.person_id, p.email FROM email_reply_addresses r JOIN people p ON p.id = r.person_id
             WHERE r.token = $1")
            .bind(token).fetch_optional(pool).await?);
        row.map(|(org, person, email)| Ok((parse(&org, "org id")?, parse(&person, "person id")?, email))).transpose()
    }

    /// Keeps an inbound message until the worker answers it: `true` the first time its platform
    /// id is seen in the organisation, `false` for a redelivery (nothing is stored then).
    pub async fn take_inbound(&self, new: &NewInbound) -> StoreResult<bool> {
        let taken = on_pool!(self, pool => sqlx::query(
            "INSERT INTO inbound_events (id, org_id, channel, external_id, payload, state, received_at)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6)
             ON CONFLICT DO NOTHING")
            .bind(uuid::Uuid::now_v7().to_string()).bind(new.org.to_string()).bind(new.channel.to_string())
            .bind(&new.external_id).bind(new.payload.to_string()).bind(new.received_at.timestamp_millis())
            .execute(pool).await?.rows_affected());
        Ok(taken == 1)
    }

    /// Claims up to `limit` pending inbound messages for one worker until `lease_until`, oldest
    /// first; a message whose worker stopped is claimed again once its lease has run out.
    pub async fn claim_inbound(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Inbound>> {
        let lock = match self.backend() {
            crate::Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            crate::Backend::Sqlite => "",
        };
        let rows: Vec<InboundRow> = in_tx!(self, tx => {
            let due: Vec<(String,)> = sqlx::query_as(&format!(
                "SELECT id FROM inbound_events WHERE state = 'pending' AND (lease_until IS NULL OR lease_until < $1)
                 ORDER BY received_at, id LIMIT $2 {lock}"))
                .bind(now.timestamp_millis()).bind(limit).fetch_all(&mut *tx).await?;
            let mut claimed = Vec::with_capacity(due.len());
            for (id,) in due {
                let row: InboundRow = sqlx::query_as(
                    "UPDATE inbound_events SET attempts = attempts + 1, lease_until = $2 WHERE id = $1
                     RETURNING id, org_id, channel, external_id, payload, attempts")
                    .bind(id).bind(lease_until.timestamp_millis()).fetch_one(&mut *tx).await?;
                claimed.push(row);
            }
            claimed
        });
        rows.into_iter().map(InboundRow::into_inbound).collect()
    }

    /// Marks an inbound message handled.
    pub async fn inbound_done(&self, id: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE inbound_events SET state = 'done', lease_until = NULL, done_at = $2 WHERE id = $1")
            .bind(id).bind(at.timestamp_millis()).execute(pool).await?.rows_affected());
        if done == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Keeps an organisation's settings for a channel, replacing earlier ones.
    pub async fn put_channel_config(
        &self,
        org: OrgId,
        channel: Channel,
        settings: &serde_json::Value,
    ) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO channel_configs (org_id, channel, settings, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (org_id, channel) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at")
            .bind(org.to_string()).bind(channel.to_string()).bind(settings.to_string()).bind(now_ms())
            .execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// An organisation's settings for one channel, with when they were last changed.
    pub async fn channel_config(
        &self,
        org: OrgId,
        channel: Channel,
    ) -> StoreResult<Option<(serde_json::Value, DateTime<Utc>)>> {
        let row: Option<(String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT settings, updated_at FROM channel_configs WHERE org_id = $1 AND channel = $2")
            .bind(org.to_string()).bind(channel.to_string()).fetch_optional(pool).await?);
        row.map(|(settings, at)| Ok((from_json(&settings, "channel settings")?, time(at)))).transpose()
    }

    /// The channels an organisation has set up.
    pub async fn configured_channels(&self, org: OrgId) -> StoreResult<Vec<Channel>> {
        let rows: Vec<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT channel FROM channel_configs WHERE org_id = $1 ORDER BY channel")
            .bind(org.to_string()).fetch_all(pool).await?);
        rows.iter().map(|(c,)| parse(c, "channel")).collect()
    }

    /// Removes an organisation's settings for a channel; `NotFound` when there were none.
    pub async fn delete_channel_config(&self, org: OrgId, channel: Channel) -> StoreResult<()> {
        let done = on_pool!(self, pool => sqlx::query("DELETE FROM channel_configs WHERE org_id = $1 AND channel = $2")
            .bind(org.to_string()).bind(channel.to_string()).execute(pool).await?.rows_affected());
        if done == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}

/// An inbound message to keep until it is answered.
#[derive(Clone, Debug)]
pub struct NewInbound {
    pub org: OrgId,
    pub channel: Channel,
    /// The platform's id of the update (redeliveries repeat it).
    pub external_id: String,
    pub payload: serde_json::Value,
    pub received_at: DateTime<Utc>,
}

/// An inbound message claimed by a worker.
#[derive(Clone, Debug, PartialEq)]
pub struct Inbound {
    pub id: String,
    pub org: OrgId,
    pub channel: Channel,
    pub external_id: String,
    pub payload: serde_json::Value,
    pub attempts: i64,
}

#[derive(sqlx::FromRow)]
struct InboundRow {
    id: String,
    org_id: String,
    channel: String,
    external_id: String,
    payload: String,
    attempts: i64,
}

impl InboundRow {
    fn into_inbound(self) -> StoreResult<Inbound> {
        Ok(Inbound {
            org: parse(&self.org_id, "org id")?,
            channel: parse(&self.channel, "channel")?,
            payload: from_json(&self.payload, "inbound payload")?,
            id: self.id,
            external_id: self.external_id,
            attempts: self.attempts,
        })
    }
}

/// An outbound message to enqueue.
#[derive(Clone, Debug)]
pub struct NewOutbound {
    pub org: OrgId,
    pub person: Option<PersonId>,
    pub channel: Channel,
    pub destination: String,
    /// JSON the channel's provider reads (the parts to send, a template, a subject).
    pub payload: serde_json::Value,
    /// The same key is never enqueued twice; providers that honour one get it with each attempt.
    pub idempotency_key: String,
    /// When to send it first (after quiet hours, for a nudge).
    pub send_at: DateTime<Utc>,
}

/// Where an outbound message stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::Display, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum OutboundState {
    Queued,
    /// An attempt is under way (recorded before the send), leased to one worker.
    Sending,
    Sent,
    /// Given up after the last retry, or refused for good by the platform.
    Failed,
    /// A worker stopped during an attempt on a platform without idempotency keys: it may or
    /// may not have arrived, and is not sent again.
    Uncertain,
}

/// An outbound message as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Outbound {
    pub id: wayfinder_channels_rules::OutboundId,
    pub org: OrgId,
    pub person: Option<PersonId>,
    pub channel: Channel,
    pub destination: String,
    pub payload: serde_json::Value,
    pub idempotency_key: String,
    pub state: OutboundState,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When it was sent, or given up.
    pub settled_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct OutboundRow {
    id: String,
    org_id: String,
    person_id: Option<String>,
    channel: String,
    destination: String,
    payload: String,
    idempotency_key: String,
    state: String,
    attempts: i64,
    next_attempt_at: i64,
    provider_message_id: Option<String>,
    last_error: Option<String>,
    created_at: i64,
    settled_at: Option<i64>,
}

impl OutboundRow {
    fn into_outbound(self) -> StoreResult<Outbound> {
        Ok(Outbound {
            id: parse(&self.id, "outbound id")?,
            org: parse(&self.org_id, "org id")?,
            person: self.person_id.as_deref().map(|p| parse(p, "person id")).transpose()?,
            channel: parse(&self.channel, "channel")?,
            destination: self.destination,
            payload: from_json(&self.payload, "outbound payload")?,
            idempotency_key: self.idempotency_key,
            state: parse(&self.state, "outbound state")?,
            attempts: self.attempts,
            next_attempt_at: time(self.next_attempt_at),
            provider_message_id: self.provider_message_id,
            last_error: self.last_error,
            created_at: time(self.created_at),
            settled_at: self.settled_at.map(time),
        })
    }
}

const OUTBOUND_COLUMNS: &str = "id, org_id, person_id, channel, destination, payload, idempotency_key, state, attempts,
    next_attempt_at, provider_message_id, last_error, created_at, settled_at";

/// Queues an outbound message inside a transaction (with the decision that makes it).
macro_rules! insert_outbound {
    ($tx:ident, $id:expr, $out:expr) => {
        sqlx::query(
            "INSERT INTO outbox (id, org_id, person_id, channel, destination, payload, idempotency_key, state, attempts,
               next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, $8, $9)",
        )
        .bind($id)
        .bind($out.org.to_string())
        .bind($out.person.map(|p| p.to_string()))
        .bind($out.channel.to_string())
        .bind(&$out.destination)
        .bind($out.payload.to_string())
        .bind(&$out.idempotency_key)
        .bind($out.send_at.timestamp_millis())
        .bind(now_ms())
        .execute(&mut *$tx)
        .await?
    };
}
pub(crate) use insert_outbound;

impl Store {
    /// Puts a message in the outbox; a key enqueued before is `Duplicate("idempotency_key")`.
    pub async fn enqueue_outbound(&self, new: &NewOutbound) -> StoreResult<Outbound> {
        let sql = format!(
            "INSERT INTO outbox (id, org_id, person_id, channel, destination, payload, idempotency_key, state, attempts,
               next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, $8, $9) RETURNING {OUTBOUND_COLUMNS}"
        );
        let row: OutboundRow = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(wayfinder_channels_rules::OutboundId::new().to_string()).bind(new.org.to_string())
            .bind(new.person.map(|p| p.to_string())).bind(new.channel.to_string()).bind(&new.destination)
            .bind(new.payload.to_string()).bind(&new.idempotency_key).bind(new.send_at.timestamp_millis())
            .bind(now_ms())
            .fetch_one(pool).await.map_err(crate::duplicate_as("idempotency_key"))?);
        row.into_outbound()
    }

    /// Claims up to `limit` messages due at `now` for one worker until `lease_until`. A claim
    /// only reserves them: each attempt is recorded by [`Store::begin_outbound_attempt`] right
    /// before its send, so a worker that stops leaves unsent claims to be taken again when the
    /// lease runs out. Two workers never claim the same row (PostgreSQL skips rows another
    /// transaction holds; SQLite has one writer).
    pub async fn claim_outbound(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Outbound>> {
        let lock = match self.backend() {
            crate::Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            crate::Backend::Sqlite => "",
        };
        let rows: Vec<OutboundRow> = in_tx!(self, tx => {
            let due: Vec<(String,)> = sqlx::query_as(&format!(
                "SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= $1
                   AND (lease_until IS NULL OR lease_until < $1)
                 ORDER BY next_attempt_at, id LIMIT $2 {lock}"))
                .bind(now.timestamp_millis()).bind(limit).fetch_all(&mut *tx).await?;
            let mut claimed = Vec::with_capacity(due.len());
            for (id,) in due {
                let row: OutboundRow = sqlx::query_as(&format!(
                    "UPDATE outbox SET lease_until = $2 WHERE id = $1 RETURNING {OUTBOUND_COLUMNS}"))
                    .bind(id).bind(lease_until.timestamp_millis()).fetch_one(&mut *tx).await?;
                claimed.push(row);
            }
            claimed
        });
        rows.into_iter().map(OutboundRow::into_outbound).collect()
    }

    /// Records an attempt just before its send: the message becomes `sending`, its attempts
    /// counted. Returns the attempt's number; `NotFound` when the claim was lost (its lease ran
    /// out and another worker took it).
    pub async fn begin_outbound_attempt(
        &self,
        id: wayfinder_channels_rules::OutboundId,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let row: Option<(i64,)> = on_pool!(self, pool => sqlx::query_as(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, lease_until = $2
             WHERE id = $1 AND state = 'queued' RETURNING attempts")
            .bind(id.to_string()).bind(lease_until.timestamp_millis()).fetch_optional(pool).await?);
        row.map(|(n,)| n).ok_or(StoreError::NotFound)
    }

    /// An organisation's outbound messages, newest first, up to `limit`.
    pub async fn outbound_of(&self, org: OrgId, limit: i64) -> StoreResult<Vec<Outbound>> {
        let sql = format!(
            "SELECT {OUTBOUND_COLUMNS} FROM outbox WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        let rows: Vec<OutboundRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(limit).fetch_all(pool).await?);
        rows.into_iter().map(OutboundRow::into_outbound).collect()
    }

    /// Records a delivered message with the platform's id for it.
    pub async fn outbound_sent(
        &self,
        id: wayfinder_channels_rules::OutboundId,
        provider_message_id: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.settle_outbound(
            id,
            "UPDATE outbox SET state = 'sent', provider_message_id = $2, settled_at = $3, lease_until = NULL, last_error = NULL
             WHERE id = $1 AND state = 'sending'",
            provider_message_id.map(str::to_string),
            at.timestamp_millis(),
        )
        .await
    }

    /// Puts a message back in the queue for another attempt at `retry_at`, with why the last failed.
    pub async fn outbound_retry(
        &self,
        id: wayfinder_channels_rules::OutboundId,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.settle_outbound(
            id,
            "UPDATE outbox SET state = 'queued', last_error = $2, next_attempt_at = $3, lease_until = NULL
             WHERE id = $1 AND state = 'sending'",
            Some(error.to_string()),
            retry_at.timestamp_millis(),
        )
        .await
    }

    /// Gives a message up for good.
    pub async fn outbound_failed(
        &self,
        id: wayfinder_channels_rules::OutboundId,
        error: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.settle_outbound(
            id,
            "UPDATE outbox SET state = 'failed', last_error = $2, settled_at = $3, lease_until = NULL
             WHERE id = $1 AND state = 'sending'",
            Some(error.to_string()),
            at.timestamp_millis(),
        )
        .await
    }

    async fn settle_outbound(
        &self,
        id: wayfinder_channels_rules::OutboundId,
        sql: &str,
        text: Option<String>,
        at: i64,
    ) -> StoreResult<()> {
        let done = on_pool!(self, pool => sqlx::query(sql).bind(id.to_string()).bind(text).bind(at)
            .execute(pool).await?.rows_affected());
        if done == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Settles the attempts whose worker stopped (their lease ran out before `now`): on
    /// `channels_with_keys` they go back in the queue to be sent again with the same
    /// idempotency key; elsewhere they become `uncertain` rather than risk a second delivery.
    /// Returns how many were requeued and how many marked uncertain.
    pub async fn reconcile_outbound(
        &self,
        now: DateTime<Utc>,
        channels_with_keys: &[Channel],
    ) -> StoreResult<(u64, u64)> {
        let keyed = channels_with_keys.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(", ");
        let keyed = if keyed.is_empty() { "''".to_string() } else { keyed };
        let now = now.timestamp_millis();
        Ok(in_tx!(self, tx => {
            // Channel names come from the closed `Channel` enum, never from input.
            let requeued = sqlx::query(&format!(
                "UPDATE outbox SET state = 'queued', lease_until = NULL, next_attempt_at = $1
                 WHERE state = 'sending' AND lease_until < $1 AND channel IN ({keyed})"))
                .bind(now).execute(&mut *tx).await?.rows_affected();
            let uncertain = sqlx::query(&format!(
                "UPDATE outbox SET state = 'uncertain', lease_until = NULL
                 WHERE state = 'sending' AND lease_until < $1 AND channel NOT IN ({keyed})"))
                .bind(now).execute(&mut *tx).await?.rows_affected();
            (requeued, uncertain)
        }))
    }
}
