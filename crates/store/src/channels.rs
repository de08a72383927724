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

    /// Takes an inbound update once: `true` the first time its platform id is seen in the
    /// organisation, `false` for a redelivery.
    pub async fn take_inbound(
        &self,
        org: OrgId,
        channel: Channel,
        external_id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let taken = on_pool!(self, pool => sqlx::query(
            "INSERT INTO inbound_events (org_id, channel, external_id, received_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING")
            .bind(org.to_string()).bind(channel.to_string()).bind(external_id).bind(at.timestamp_millis())
            .execute(pool).await?.rows_affected());
        Ok(taken == 1)
    }
}
