//! The audit log: who did what sensitive thing, when, from where.

use crate::{Store, StoreResult, on_pool, rows::*};
use chrono::{DateTime, Utc};
use wayfinder_accounts_rules::{AuditId, OrgId, PersonId};

/// An audit event to record.
#[derive(Clone, Debug)]
pub struct NewAuditEvent {
    /// `None` for instance-level events (e.g. an organisation created).
    pub org: Option<OrgId>,
    pub actor: Option<PersonId>,
    /// A dotted verb such as `member.role_changed`.
    pub action: String,
    /// The id of what was acted on.
    pub subject: Option<String>,
    /// Extra facts as JSON.
    pub detail: serde_json::Value,
    pub ip: Option<String>,
}

/// A recorded audit event.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEvent {
    pub id: AuditId,
    pub org: Option<OrgId>,
    pub actor: Option<PersonId>,
    pub action: String,
    pub subject: Option<String>,
    pub detail: serde_json::Value,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: String,
    org_id: Option<String>,
    actor_id: Option<String>,
    action: String,
    subject: Option<String>,
    detail: String,
    ip: Option<String>,
    created_at: i64,
}

impl Store {
    /// Appends an audit event.
    pub async fn record_audit(&self, event: &NewAuditEvent) -> StoreResult<()> {
        let sql = "INSERT INTO audit_events (id, org_id, actor_id, action, subject, detail, ip, created_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        on_pool!(self, pool => sqlx::query(sql)
            .bind(AuditId::new().to_string())
            .bind(event.org.map(|o| o.to_string()))
            .bind(event.actor.map(|p| p.to_string()))
            .bind(&event.action)
            .bind(&event.subject)
            .bind(event.detail.to_string())
            .bind(&event.ip)
            .bind(now_ms())
            .execute(pool)
            .await?.rows_affected());
        Ok(())
    }

    /// Appends `event` unless the same actor recorded the same action about the same subject,
    /// with the same detail, since `since` (a read noted once an hour, not on every page load).
    /// True when it was recorded.
    pub async fn record_audit_once(&self, event: &NewAuditEvent, since: DateTime<Utc>) -> StoreResult<bool> {
        let sql = "INSERT INTO audit_events (id, org_id, actor_id, action, subject, detail, ip, created_at)
                   SELECT $1, $2, $3, $4, $5, $6, $7, $8
                   WHERE NOT EXISTS (SELECT 1 FROM audit_events WHERE subject = $5 AND action = $4
                     AND actor_id = $3 AND detail = $6 AND created_at >= $9)";
        let n = on_pool!(self, pool => sqlx::query(sql)
            .bind(AuditId::new().to_string())
            .bind(event.org.map(|o| o.to_string()))
            .bind(event.actor.map(|p| p.to_string()))
            .bind(&event.action)
            .bind(&event.subject)
            .bind(event.detail.to_string())
            .bind(&event.ip)
            .bind(now_ms())
            .bind(since.timestamp_millis())
            .execute(pool)
            .await?.rows_affected());
        Ok(n == 1)
    }

    /// Events about `subject` with one of `actions`, newest first, at most `limit` (in every
    /// organisation).
    pub async fn audit_about(&self, subject: &str, actions: &[&str], limit: i64) -> StoreResult<Vec<AuditEvent>> {
        let list = placeholders(3, actions.len());
        let sql = format!(
            "SELECT id, org_id, actor_id, action, subject, detail, ip, created_at FROM audit_events
             WHERE subject = $1 AND action IN ({list}) ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        let rows: Vec<AuditRow> = on_pool!(self, pool => {
            let mut query = sqlx::query_as(&sql).bind(subject).bind(limit);
            for action in actions {
                query = query.bind(*action);
            }
            query.fetch_all(pool).await?
        });
        rows.into_iter().map(AuditRow::into_event).collect()
    }

    /// An organisation's audit events, newest first, at most `limit`, older than `before` when given.
    pub async fn list_audit(
        &self,
        org: OrgId,
        limit: i64,
        before: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<AuditEvent>> {
        let sql = "SELECT id, org_id, actor_id, action, subject, detail, ip, created_at FROM audit_events
                   WHERE org_id = $1 AND created_at < $2 ORDER BY created_at DESC, id DESC LIMIT $3";
        let before = before.map(|b| b.timestamp_millis()).unwrap_or(i64::MAX);
        let rows: Vec<AuditRow> = on_pool!(self, pool => sqlx::query_as(sql)
            .bind(org.to_string()).bind(before).bind(limit).fetch_all(pool).await?);
        rows.into_iter().map(AuditRow::into_event).collect()
    }
}

impl AuditRow {
    fn into_event(self) -> StoreResult<AuditEvent> {
        Ok(AuditEvent {
            id: parse(&self.id, "audit id")?,
            org: self.org_id.as_deref().map(|o| parse(o, "org id")).transpose()?,
            actor: self.actor_id.as_deref().map(|p| parse(p, "person id")).transpose()?,
            action: self.action,
            subject: self.subject,
            detail: serde_json::from_str(&self.detail).unwrap_or(serde_json::Value::Null),
            ip: self.ip,
            created_at: time(self.created_at),
        })
    }
}
