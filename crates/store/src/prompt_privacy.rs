//! Each organisation's setting for what a chat model may see.

use crate::{Store, StoreResult, on_pool, rows::*};
use wayfinder_accounts_rules::OrgId;

/// What a chat model may see of an organisation's people (by default: everything the answer uses).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PromptPrivacy {
    /// E-mail addresses, phone numbers and the organisation's people's names become placeholders.
    pub redact_personal_data: bool,
    /// No learner record (goals, mastery, next step) goes into a prompt.
    pub no_learner_data: bool,
}

impl Store {
    /// The organisation's setting.
    pub async fn prompt_privacy(&self, org: OrgId) -> StoreResult<PromptPrivacy> {
        let row: Option<(bool, bool)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT redact_personal_data, no_learner_data FROM prompt_privacy WHERE org_id = $1")
            .bind(org.to_string()).fetch_optional(pool).await?);
        Ok(row.map_or_else(PromptPrivacy::default, |(redact_personal_data, no_learner_data)| PromptPrivacy {
            redact_personal_data,
            no_learner_data,
        }))
    }

    /// Sets the organisation's setting.
    pub async fn put_prompt_privacy(&self, org: OrgId, privacy: PromptPrivacy) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO prompt_privacy (org_id, redact_personal_data, no_learner_data, updated_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (org_id) DO UPDATE SET redact_personal_data = excluded.redact_personal_data,
               no_learner_data = excluded.no_learner_data, updated_at = excluded.updated_at")
            .bind(org.to_string()).bind(privacy.redact_personal_data).bind(privacy.no_learner_data).bind(now_ms())
            .execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// The display names of the organisation's members.
    pub async fn member_names(&self, org: OrgId) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT p.display_name FROM people p JOIN memberships m ON m.person_id = p.id WHERE m.org_id = $1")
            .bind(org.to_string()).fetch_all(pool).await?);
        Ok(rows.into_iter().map(|(n,)| n).collect())
    }
}
