//! Retention: what an organisation keeps for a limited time, applied in the background (and on
//! an admin's request): quiet conversations deleted in batches, inactive members erased, and a
//! summary in the audit log.

use crate::{Accounts, AccountsError, AccountsResult};
use chrono::{DateTime, Duration, Utc};
use wayfinder_accounts_rules::{OrgId, ValidationError};
use wayfinder_store::{NewAuditEvent, RetentionPolicy};

/// Conversations deleted per transaction.
const BATCH: i64 = 500;
/// The shortest and longest periods a policy may set.
const MIN_DAYS: i64 = 1;
const MAX_DAYS: i64 = 36_500;

/// What one application of a policy removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetentionRun {
    pub conversations: u64,
    pub messages: u64,
    pub accounts: u64,
}

impl Accounts {
    /// The organisation's retention policy.
    pub async fn retention_policy(&self, org: OrgId) -> AccountsResult<RetentionPolicy> {
        Ok(self.store.retention_policy(org).await?)
    }

    /// Sets the organisation's retention policy (each period 1 to 36,500 days, or none).
    pub async fn set_retention_policy(
        &self,
        org: OrgId,
        conversation_days: Option<i64>,
        inactive_account_days: Option<i64>,
        keep_interview_audio: Option<bool>,
    ) -> AccountsResult<RetentionPolicy> {
        for (field, days) in
            [("conversation_days", conversation_days), ("inactive_account_days", inactive_account_days)]
        {
            if let Some(days) = days
                && !(MIN_DAYS..=MAX_DAYS).contains(&days)
            {
                return Err(AccountsError::Invalid(ValidationError::new(
                    field,
                    format!("must be between {MIN_DAYS} and {MAX_DAYS} days, or null to keep everything"),
                )));
            }
        }
        let keep_interview_audio = match keep_interview_audio {
            Some(keep) => keep,
            None => self.store.retention_policy(org).await?.keep_interview_audio,
        };
        let policy =
            RetentionPolicy { conversation_days, inactive_account_days, keep_interview_audio, last_applied_at: None };
        self.store.put_retention_policy(org, &policy).await?;
        self.retention_policy(org).await
    }

    /// Applies the organisation's policy as of `now`: conversations quiet for longer than it
    /// keeps them go with their messages, batch by batch; members inactive for longer than it
    /// keeps accounts (and in no other organisation) are erased. Recorded in the audit log
    /// when anything went.
    pub async fn apply_retention(&self, org: OrgId, now: DateTime<Utc>) -> AccountsResult<RetentionRun> {
        let policy = self.store.retention_policy(org).await?;
        let mut run = RetentionRun::default();
        if let Some(days) = policy.conversation_days {
            let before = now - Duration::days(days);
            loop {
                let quiet = self.store.quiet_conversations(org, before, BATCH).await?;
                if quiet.is_empty() {
                    break;
                }
                let deleted = self.store.delete_quiet_conversations(org, &quiet, before).await?;
                run.conversations += deleted.conversations;
                run.messages += deleted.messages;
                if deleted.conversations == 0 {
                    // Every one listed was written to meanwhile; the next sweep sees them again.
                    break;
                }
            }
        }
        if let Some(days) = policy.inactive_account_days {
            for person in self.store.inactive_members(org, now - Duration::days(days)).await? {
                match self.erase(person, None).await {
                    Ok(_) => run.accounts += 1,
                    Err(error) => tracing::warn!(%error, %person, "an inactive member was not erased"),
                }
            }
        }
        self.store.retention_applied(org, now).await?;
        if run != RetentionRun::default() {
            let detail = serde_json::json!({
                "conversations": run.conversations, "messages": run.messages, "accounts": run.accounts,
                "conversation_days": policy.conversation_days, "inactive_account_days": policy.inactive_account_days,
            });
            let event = NewAuditEvent {
                org: Some(org),
                actor: None,
                action: "retention.applied".into(),
                subject: None,
                detail,
                ip: None,
            };
            self.store.record_audit(&event).await?;
        }
        Ok(run)
    }

    /// Applies every organisation's policy every `every` until `stop` turns true.
    pub async fn run_retention(&self, every: std::time::Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            let orgs = match self.store.orgs_with_retention().await {
                Ok(orgs) => orgs,
                Err(error) => {
                    tracing::warn!(%error, "retention: could not list organisations");
                    continue;
                }
            };
            for org in orgs {
                match self.apply_retention(org, Utc::now()).await {
                    Ok(run) if run != RetentionRun::default() => tracing::info!(
                        %org, conversations = run.conversations, messages = run.messages, accounts = run.accounts,
                        "retention applied"
                    ),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%org, %error, "retention was not applied"),
                }
            }
        }
    }
}
