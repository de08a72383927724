//! Website widgets, the sessions of the people talking through them, and each
//! widget's answers per day against its budget. A widget's anonymous visitors
//! keep their conversations under an account of the widget's own, which is
//! never a member and goes with the widget.

use crate::{Store, StoreError, StoreResult, in_tx, on_pool, rows::*};
use chrono::{DateTime, Utc};
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_channels_rules::{WidgetId, WidgetSessionId, widget::WidgetAudience};
use wayfinder_coach_rules::{CoachId, ConversationId};

/// A widget as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct WidgetRecord {
    pub id: WidgetId,
    pub org: OrgId,
    pub coach: CoachId,
    pub name: String,
    /// `scheme://host[:port]`, lower case.
    pub allowed_origins: Vec<String>,
    pub audience: WidgetAudience,
    pub daily_answers: i64,
    pub answers_per_minute: i64,
    pub greeting: String,
    pub active: bool,
    /// The account anonymous visitors' conversations belong to.
    pub visitor_person: PersonId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct WidgetRow {
    id: String,
    org_id: String,
    coach_id: String,
    name: String,
    allowed_origins: String,
    audience: String,
    daily_answers: i64,
    answers_per_minute: i64,
    greeting: String,
    active: bool,
    visitor_person_id: String,
    created_at: i64,
    updated_at: i64,
}

impl WidgetRow {
    fn into_record(self) -> StoreResult<WidgetRecord> {
        Ok(WidgetRecord {
            id: parse(&self.id, "widget id")?,
            org: parse(&self.org_id, "org id")?,
            coach: parse(&self.coach_id, "coach id")?,
            name: self.name,
            allowed_origins: json_list(&self.allowed_origins),
            audience: parse(&self.audience, "widget audience")?,
            daily_answers: self.daily_answers,
            answers_per_minute: self.answers_per_minute,
            greeting: self.greeting,
            active: self.active,
            visitor_person: parse(&self.visitor_person_id, "person id")?,
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
        })
    }
}

const WIDGET_COLUMNS: &str = "id, org_id, coach_id, name, allowed_origins, audience, daily_answers, answers_per_minute,
    greeting, active, visitor_person_id, created_at, updated_at";

/// Someone talking through a widget.
#[derive(Clone, Debug, PartialEq)]
pub struct WidgetSessionRecord {
    pub id: WidgetSessionId,
    pub widget: WidgetId,
    /// The member, for a signed-in session; `None` for an anonymous visitor.
    pub person: Option<PersonId>,
    /// An anonymous visitor's conversation.
    pub conversation: Option<ConversationId>,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Stores a widget with the account its anonymous visitors' conversations belong to.
    pub async fn create_widget(&self, widget: &WidgetRecord, visitor_email: &str) -> StoreResult<()> {
        in_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO people (id, email, display_name, password_hash, is_operator, created_at)
                 VALUES ($1, $2, $3, NULL, FALSE, $4)")
                .bind(widget.visitor_person.to_string()).bind(visitor_email)
                .bind(format!("Visitors of {}", widget.name)).bind(widget.created_at.timestamp_millis())
                .execute(&mut *tx).await?;
            sqlx::query(&format!("INSERT INTO widgets ({WIDGET_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"))
                .bind(widget.id.to_string()).bind(widget.org.to_string()).bind(widget.coach.to_string()).bind(&widget.name)
                .bind(to_json(&widget.allowed_origins)).bind(widget.audience.to_string()).bind(widget.daily_answers)
                .bind(widget.answers_per_minute).bind(&widget.greeting).bind(widget.active)
                .bind(widget.visitor_person.to_string()).bind(widget.created_at.timestamp_millis())
                .bind(widget.updated_at.timestamp_millis())
                .execute(&mut *tx).await?;
        });
        Ok(())
    }

    pub async fn update_widget(&self, widget: &WidgetRecord) -> StoreResult<()> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE widgets SET coach_id = $3, name = $4, allowed_origins = $5, audience = $6, daily_answers = $7,
               answers_per_minute = $8, greeting = $9, active = $10, updated_at = $11 WHERE id = $1 AND org_id = $2")
            .bind(widget.id.to_string()).bind(widget.org.to_string()).bind(widget.coach.to_string()).bind(&widget.name)
            .bind(to_json(&widget.allowed_origins)).bind(widget.audience.to_string()).bind(widget.daily_answers)
            .bind(widget.answers_per_minute).bind(&widget.greeting).bind(widget.active)
            .bind(widget.updated_at.timestamp_millis())
            .execute(pool).await?.rows_affected());
        if done == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Deletes a widget with its sessions, and its visitors' account with their conversations.
    pub async fn delete_widget(&self, org: OrgId, id: WidgetId) -> StoreResult<()> {
        in_tx!(self, tx => {
            let visitor: Option<(String,)> = sqlx::query_as(
                "DELETE FROM widgets WHERE id = $1 AND org_id = $2 RETURNING visitor_person_id")
                .bind(id.to_string()).bind(org.to_string()).fetch_optional(&mut *tx).await?;
            let Some((visitor,)) = visitor else { return Err(StoreError::NotFound) };
            sqlx::query("DELETE FROM people WHERE id = $1").bind(visitor).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// A widget by id alone (the public endpoints know no organisation).
    pub async fn widget(&self, id: WidgetId) -> StoreResult<WidgetRecord> {
        let sql = format!("SELECT {WIDGET_COLUMNS} FROM widgets WHERE id = $1");
        let row: Option<WidgetRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(pool).await?);
        row.ok_or(StoreError::NotFound)?.into_record()
    }

    /// An organisation's widgets, oldest first.
    pub async fn widgets(&self, org: OrgId) -> StoreResult<Vec<WidgetRecord>> {
        let sql = format!("SELECT {WIDGET_COLUMNS} FROM widgets WHERE org_id = $1 ORDER BY created_at, id");
        let rows: Vec<WidgetRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(WidgetRow::into_record).collect()
    }

    /// Keeps a session by its token's digest.
    pub async fn create_widget_session(&self, session: &WidgetSessionRecord, token_hash: &str) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO widget_sessions (id, widget_id, token_hash, person_id, conversation_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(session.id.to_string()).bind(session.widget.to_string()).bind(token_hash)
            .bind(session.person.map(|p| p.to_string())).bind(session.conversation.map(|c| c.to_string()))
            .bind(now_ms()).bind(session.expires_at.timestamp_millis()).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// The unexpired session of a widget with this token digest.
    pub async fn widget_session(
        &self,
        widget: WidgetId,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<WidgetSessionRecord> {
        let row: Option<(String, Option<String>, Option<String>, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, person_id, conversation_id, expires_at FROM widget_sessions
             WHERE widget_id = $1 AND token_hash = $2 AND expires_at > $3")
            .bind(widget.to_string()).bind(token_hash).bind(now.timestamp_millis()).fetch_optional(pool).await?);
        let (id, person, conversation, expires_at) = row.ok_or(StoreError::NotFound)?;
        Ok(WidgetSessionRecord {
            id: parse(&id, "widget session id")?,
            widget,
            person: person.as_deref().map(|p| parse(p, "person id")).transpose()?,
            conversation: conversation.as_deref().map(|c| parse(c, "conversation id")).transpose()?,
            expires_at: time(expires_at),
        })
    }

    /// Counts one answer against a widget's budget for `day`; false when the budget is spent.
    pub async fn count_widget_answer(&self, widget: WidgetId, day: i64, budget: i64) -> StoreResult<bool> {
        if budget < 1 {
            return Ok(false);
        }
        let done = on_pool!(self, pool => sqlx::query(
            "INSERT INTO widget_days (widget_id, day, answers) VALUES ($1, $2, 1)
             ON CONFLICT (widget_id, day) DO UPDATE SET answers = widget_days.answers + 1 WHERE widget_days.answers < $3")
            .bind(widget.to_string()).bind(day).bind(budget).execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// Answers a widget gave on `day`.
    pub async fn widget_answers_on(&self, widget: WidgetId, day: i64) -> StoreResult<i64> {
        let row: Option<(i64,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT answers FROM widget_days WHERE widget_id = $1 AND day = $2")
            .bind(widget.to_string()).bind(day).fetch_optional(pool).await?);
        Ok(row.map_or(0, |(n,)| n))
    }
}
