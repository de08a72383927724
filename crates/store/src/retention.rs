//! Retention: each organisation's policy, the conversations quiet for longer than it keeps them
//! (deleted in batches, each batch in one transaction), and the members inactive for longer
//! than it keeps accounts.

use crate::{Store, StoreResult, in_tx, on_pool, rows::*};
use chrono::{DateTime, Utc};
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_coach_rules::ConversationId;

/// How long an organisation keeps what it holds; `None` keeps it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub conversation_days: Option<i64>,
    pub inactive_account_days: Option<i64>,
    /// Spoken interview answers' audio is kept (with its interview) rather than dropped once
    /// transcribed.
    pub keep_interview_audio: bool,
    pub last_applied_at: Option<DateTime<Utc>>,
}

/// What deleting a batch of conversations removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConversationsDeleted {
    pub conversations: u64,
    pub messages: u64,
}

impl Store {
    /// The organisation's retention policy (keeping everything when none is set).
    pub async fn retention_policy(&self, org: OrgId) -> StoreResult<RetentionPolicy> {
        type Row = (Option<i64>, Option<i64>, bool, Option<i64>);
        let row: Option<Row> = on_pool!(self, pool => sqlx::query_as(
            "SELECT conversation_days, inactive_account_days, keep_interview_audio, last_applied_at
             FROM retention_policies WHERE org_id = $1")
            .bind(org.to_string()).fetch_optional(pool).await?);
        Ok(row.map_or_else(RetentionPolicy::default, |(conversation_days, inactive_account_days, keep, applied)| {
            RetentionPolicy {
                conversation_days,
                inactive_account_days,
                keep_interview_audio: keep,
                last_applied_at: opt_time(applied),
            }
        }))
    }

    /// Sets the organisation's retention policy.
    pub async fn put_retention_policy(&self, org: OrgId, policy: &RetentionPolicy) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO retention_policies (org_id, conversation_days, inactive_account_days, keep_interview_audio,
               updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (org_id) DO UPDATE SET conversation_days = excluded.conversation_days,
               inactive_account_days = excluded.inactive_account_days,
               keep_interview_audio = excluded.keep_interview_audio, updated_at = excluded.updated_at")
            .bind(org.to_string()).bind(policy.conversation_days).bind(policy.inactive_account_days)
            .bind(policy.keep_interview_audio).bind(now_ms())
            .execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Organisations that keep something for a limited time.
    pub async fn orgs_with_retention(&self) -> StoreResult<Vec<OrgId>> {
        let rows: Vec<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT org_id FROM retention_policies
             WHERE conversation_days IS NOT NULL OR inactive_account_days IS NOT NULL ORDER BY org_id")
            .fetch_all(pool).await?);
        rows.into_iter().map(|(o,)| parse(&o, "organisation id")).collect()
    }

    /// Notes when the policy was last applied.
    pub async fn retention_applied(&self, org: OrgId, at: DateTime<Utc>) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query("UPDATE retention_policies SET last_applied_at = $2 WHERE org_id = $1")
            .bind(org.to_string()).bind(at.timestamp_millis()).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Up to `limit` of the organisation's conversations quiet since before `before`, oldest first.
    pub async fn quiet_conversations(
        &self,
        org: OrgId,
        before: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<ConversationId>> {
        let rows: Vec<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id FROM conversations WHERE org_id = $1 AND updated_at < $2 ORDER BY updated_at, id LIMIT $3")
            .bind(org.to_string()).bind(before.timestamp_millis()).bind(limit).fetch_all(pool).await?);
        rows.into_iter().map(|(c,)| parse(&c, "conversation id")).collect()
    }

    /// Deletes `conversations` of `org` with their messages and what hangs on them (feedback,
    /// reads, the questions logged from them, widget sessions), in one transaction; a
    /// conversation written to since it was listed (`updated_at` no longer before `before`)
    /// stays.
    pub async fn delete_quiet_conversations(
        &self,
        org: OrgId,
        conversations: &[ConversationId],
        before: DateTime<Utc>,
    ) -> StoreResult<ConversationsDeleted> {
        if conversations.is_empty() {
            return Ok(ConversationsDeleted::default());
        }
        let list = placeholders(3, conversations.len());
        let chosen = format!("SELECT id FROM conversations WHERE org_id = $1 AND updated_at < $2 AND id IN ({list})");
        let statements = [
            format!(
                "DELETE FROM message_feedback WHERE message_id IN (SELECT id FROM messages WHERE conversation_id IN ({chosen}))"
            ),
            format!(
                "DELETE FROM question_log WHERE answer_id IN (SELECT id FROM messages WHERE conversation_id IN ({chosen}))"
            ),
            format!("DELETE FROM conversation_reads WHERE conversation_id IN ({chosen})"),
            format!("DELETE FROM widget_sessions WHERE conversation_id IN ({chosen})"),
            format!("DELETE FROM messages WHERE conversation_id IN ({chosen})"),
            format!("DELETE FROM conversations WHERE id IN ({chosen})"),
        ];
        let (org_s, before_ms) = (org.to_string(), before.timestamp_millis());
        let ids: Vec<String> = conversations.iter().map(ToString::to_string).collect();
        let mut deleted = ConversationsDeleted::default();
        in_tx!(self, tx => {
            for (i, sql) in statements.iter().enumerate() {
                let mut query = sqlx::query(sql).bind(&org_s).bind(before_ms);
                for id in &ids {
                    query = query.bind(id);
                }
                let n = query.execute(&mut *tx).await?.rows_affected();
                match i {
                    4 => deleted.messages = n,
                    5 => deleted.conversations = n,
                    _ => {}
                }
            }
        });
        Ok(deleted)
    }

    /// Members of `org` who have done nothing since before `before` (signed in, used a token,
    /// written in a conversation, answered or been assessed, practised) and belong to no other
    /// organisation; admins and operators never.
    pub async fn inactive_members(&self, org: OrgId, before: DateTime<Utc>) -> StoreResult<Vec<PersonId>> {
        let rows: Vec<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT p.id FROM people p JOIN memberships m ON m.person_id = p.id AND m.org_id = $1
             WHERE m.role <> 'admin' AND NOT p.is_operator
               AND NOT EXISTS (SELECT 1 FROM memberships o WHERE o.person_id = p.id AND o.org_id <> $1)
               AND p.created_at < $2 AND m.created_at < $2
               AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.person_id = p.id AND s.last_seen_at >= $2)
               AND NOT EXISTS (SELECT 1 FROM api_tokens t WHERE t.person_id = p.id AND t.last_used_at >= $2)
               AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.owner_id = p.id AND c.updated_at >= $2)
               AND NOT EXISTS (SELECT 1 FROM evidence e WHERE e.person_id = p.id AND e.created_at >= $2)
               AND NOT EXISTS (SELECT 1 FROM practice_sessions ps WHERE ps.person_id = p.id AND ps.updated_at >= $2)
             ORDER BY p.id")
            .bind(org.to_string()).bind(before.timestamp_millis()).fetch_all(pool).await?);
        rows.into_iter().map(|(p,)| parse(&p, "person id")).collect()
    }
}
