//! The coach in storage: coach profiles, conversations and their messages,
//! feedback, shared links, model usage and daily budgets. A turn — the
//! question and its answer — is written in one transaction.

use crate::insights::{AskedQuestion, Tally, TallyScope, add_tally};
use crate::{Store, StoreError, StoreResult, duplicate_as, in_tx, on_pool, rows::*};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_channels_rules::Channel;
use wayfinder_coach_rules::{
    AnswerKind, AnswerMode, CoachId, CoachStyle, ConversationId, FeedbackRating, FeedbackReason, MessageId, TurnRole,
};
use wayfinder_knowledge_rules::CollectionId;

/// Starts a conversation inside the transaction `$tx`, tallied as one for its owner's day.
macro_rules! insert_conversation {
    ($store:expr, $tx:ident, $id:expr, $org:expr, $owner:expr, $coach:expr, $title:expr, $now:expr) => {{
        let (id, org, person, now): (wayfinder_coach_rules::ConversationId, OrgId, String, i64) =
            ($id, $org, $owner.to_string(), $now);
        let coach: Option<wayfinder_coach_rules::CoachId> = $coach;
        sqlx::query(
            "INSERT INTO conversations (id, org_id, owner_id, coach_id, title, archived, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, FALSE, $6, $6)",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(&person)
        .bind(coach.map(|c| c.to_string()))
        .bind($title)
        .bind(now)
        .execute(&mut *$tx)
        .await?;
        let started = $crate::insights::Tally { activity: true, conversations: 1, ..Default::default() };
        let scope = $crate::insights::TallyScope { person: Some(&person), ..Default::default() };
        $crate::insights::add_tally!($store, $tx, org, scope, now, &started);
    }};
}
pub(crate) use insert_conversation;

/// Stores a message at place `$seq` of its conversation, inside the transaction `$tx`.
macro_rules! insert_message {
    ($tx:ident, $org:expr, $seq:expr, $m:expr) => {{
        let m: &$crate::MessageRecord = $m;
        let org: OrgId = $org;
        let seq: i64 = $seq;
        sqlx::query(
            "INSERT INTO messages (id, conversation_id, org_id, seq, role, content, kind, citations, domains, confidence,
             model, input_tokens, output_tokens, cost, latency_ms, complete, created_at, channel, author_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
        )
        .bind(m.id.to_string()).bind(m.conversation.to_string()).bind(org.to_string()).bind(seq).bind(<&str>::from(m.role))
        .bind(&m.content).bind(m.kind.map(<&str>::from)).bind(m.citations.to_string()).bind($crate::rows::to_json(&m.domains))
        .bind(m.confidence).bind(&m.model).bind(m.input_tokens).bind(m.output_tokens).bind(m.cost).bind(m.latency_ms)
        .bind(m.complete).bind(m.created_at.timestamp_millis()).bind(m.channel.to_string())
        .bind(m.author.map(|p| p.to_string()))
        .execute(&mut *$tx).await?;
    }};
}
pub(crate) use insert_message;

/// A coach profile as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct CoachRecord {
    pub id: CoachId,
    pub org: OrgId,
    pub name: String,
    pub instructions: String,
    pub style: CoachStyle,
    pub answer_mode: AnswerMode,
    pub collections: Vec<CollectionId>,
    pub domains: Vec<String>,
    pub retrieval_depth: i64,
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub max_output_tokens: Option<i64>,
    /// Below this relevance a grounded coach refuses (`None`: the default).
    pub relevance_threshold: Option<f64>,
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A conversation with its owner's and coach's names.
#[derive(Clone, Debug, PartialEq)]
pub struct ConversationRecord {
    pub id: ConversationId,
    pub org: OrgId,
    pub owner: PersonId,
    pub owner_name: String,
    pub coach: Option<CoachId>,
    pub coach_name: Option<String>,
    pub title: String,
    pub archived: bool,
    pub shared: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// A person who joined the conversation and holds it (the AI does not answer meanwhile).
    pub held_by: Option<PersonId>,
}

/// One message; citations are stored as the JSON the service gives.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageRecord {
    pub id: MessageId,
    pub conversation: ConversationId,
    pub role: TurnRole,
    pub content: String,
    pub kind: Option<AnswerKind>,
    pub citations: serde_json::Value,
    pub domains: Vec<String>,
    pub confidence: Option<f64>,
    pub model: Option<String>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: f64,
    pub latency_ms: i64,
    pub complete: bool,
    pub created_at: DateTime<Utc>,
    /// Where the message was written (a question) or sent (an answer).
    pub channel: Channel,
    /// Its place in the conversation (1, 2, …; 0 until stored).
    pub seq: i64,
    /// The person who wrote an assistant message themselves (a coach who joined).
    pub author: Option<PersonId>,
    /// Their name, as read back.
    pub author_name: Option<String>,
}

impl MessageRecord {
    /// A message as written, before it is stored: no citations, model or usage, complete.
    pub fn plain(conversation: ConversationId, role: TurnRole, content: String, channel: Channel) -> MessageRecord {
        MessageRecord {
            channel,
            id: MessageId::new(),
            conversation,
            role,
            content,
            kind: None,
            citations: serde_json::json!({ "citations": [] }),
            domains: Vec::new(),
            confidence: None,
            model: None,
            input_tokens: 0,
            output_tokens: 0,
            cost: 0.0,
            latency_ms: 0,
            complete: true,
            created_at: Utc::now(),
            seq: 0,
            author: None,
            author_name: None,
        }
    }
}

/// Feedback on an assistant message.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedbackRecord {
    pub message: MessageId,
    pub person: PersonId,
    pub rating: FeedbackRating,
    pub reasons: Vec<FeedbackReason>,
    pub comment: String,
    pub updated_at: DateTime<Utc>,
}

/// One model call's usage.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageRecord {
    pub org: OrgId,
    pub person: Option<PersonId>,
    /// The coach profile the call answered for, if any.
    pub coach: Option<CoachId>,
    pub model: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: f64,
}

/// An organisation's daily limits (`None`: unlimited).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BudgetRecord {
    pub org_daily_tokens: Option<i64>,
    pub org_daily_cost: Option<f64>,
    pub person_daily_tokens: Option<i64>,
    pub person_daily_cost: Option<f64>,
}

/// Stored daily limits: org tokens, org cost, person tokens, person cost.
type BudgetRow = (Option<i64>, Option<f64>, Option<i64>, Option<f64>);

/// Which conversations to list.
#[derive(Clone, Debug, Default)]
pub struct ConversationQuery {
    pub owner: Option<PersonId>,
    pub archived: Option<bool>,
    /// Case-insensitive substring of the title.
    pub title_contains: Option<String>,
    /// Only conversations updated before this conversation (paging).
    pub before: Option<ConversationId>,
    pub limit: i64,
}

#[derive(sqlx::FromRow)]
struct CoachRow {
    id: String,
    org_id: String,
    name: String,
    instructions: String,
    style: String,
    answer_mode: String,
    collections: String,
    domains: String,
    retrieval_depth: i64,
    model: Option<String>,
    temperature: Option<f64>,
    max_output_tokens: Option<i64>,
    relevance_threshold: Option<f64>,
    is_default: bool,
    created_at: i64,
    updated_at: i64,
}

impl CoachRow {
    fn into_record(self) -> StoreResult<CoachRecord> {
        let collections = json_list(&self.collections)
            .iter()
            .map(|c| parse(c, "collection id"))
            .collect::<StoreResult<Vec<CollectionId>>>()?;
        Ok(CoachRecord {
            id: parse(&self.id, "coach id")?,
            org: parse(&self.org_id, "organisation id")?,
            name: self.name,
            instructions: self.instructions,
            style: parse(&self.style, "coach style")?,
            answer_mode: parse(&self.answer_mode, "answer mode")?,
            collections,
            domains: json_list(&self.domains),
            retrieval_depth: self.retrieval_depth,
            model: self.model,
            temperature: self.temperature,
            max_output_tokens: self.max_output_tokens,
            relevance_threshold: self.relevance_threshold,
            is_default: self.is_default,
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
        })
    }
}

const COACH_COLUMNS: &str = "id, org_id, name, instructions, style, answer_mode, collections, domains, retrieval_depth,
    model, temperature, max_output_tokens, relevance_threshold, is_default, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct ConversationRow {
    id: String,
    org_id: String,
    owner_id: String,
    owner_name: String,
    coach_id: Option<String>,
    coach_name: Option<String>,
    title: String,
    archived: bool,
    shared: bool,
    created_at: i64,
    updated_at: i64,
    held_by: Option<String>,
}

impl ConversationRow {
    fn into_record(self) -> StoreResult<ConversationRecord> {
        Ok(ConversationRecord {
            id: parse(&self.id, "conversation id")?,
            org: parse(&self.org_id, "organisation id")?,
            owner: parse(&self.owner_id, "person id")?,
            owner_name: self.owner_name,
            coach: self.coach_id.as_deref().map(|c| parse(c, "coach id")).transpose()?,
            coach_name: self.coach_name,
            title: self.title,
            archived: self.archived,
            shared: self.shared,
            held_by: self.held_by.as_deref().map(|p| parse(p, "person id")).transpose()?,
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
        })
    }
}

const CONVERSATION_SELECT: &str =
    "SELECT v.id, v.org_id, v.owner_id, p.display_name AS owner_name, v.coach_id, c.name AS coach_name,
    v.title, v.archived, (v.share_token_hash IS NOT NULL) AS shared, v.created_at, v.updated_at, v.held_by
    FROM conversations v JOIN people p ON p.id = v.owner_id LEFT JOIN coaches c ON c.id = v.coach_id";

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: String,
    conversation_id: String,
    role: String,
    content: String,
    kind: Option<String>,
    citations: String,
    domains: String,
    confidence: Option<f64>,
    model: Option<String>,
    input_tokens: i64,
    output_tokens: i64,
    cost: f64,
    latency_ms: i64,
    complete: bool,
    created_at: i64,
    channel: String,
    seq: i64,
    author_id: Option<String>,
    author_name: Option<String>,
}

impl MessageRow {
    fn into_record(self) -> StoreResult<MessageRecord> {
        Ok(MessageRecord {
            id: parse(&self.id, "message id")?,
            conversation: parse(&self.conversation_id, "conversation id")?,
            role: parse(&self.role, "message role")?,
            content: self.content,
            kind: self.kind.as_deref().map(|k| parse(k, "answer kind")).transpose()?,
            citations: serde_json::from_str(&self.citations).unwrap_or_else(|_| serde_json::json!([])),
            domains: json_list(&self.domains),
            confidence: self.confidence,
            model: self.model,
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cost: self.cost,
            latency_ms: self.latency_ms,
            complete: self.complete,
            created_at: time(self.created_at),
            channel: parse(&self.channel, "channel")?,
            seq: self.seq,
            author: self.author_id.as_deref().map(|p| parse(p, "person id")).transpose()?,
            author_name: self.author_name,
        })
    }
}

const MESSAGE_COLUMNS: &str = "id, conversation_id, role, content, kind, citations, domains, confidence, model,
    input_tokens, output_tokens, cost, latency_ms, complete, created_at, channel, seq, author_id,
    (SELECT display_name FROM people WHERE people.id = messages.author_id) AS author_name";

/// Milliseconds at the start of today (UTC), when daily budgets reset.
pub fn start_of_day_ms(now: DateTime<Utc>) -> i64 {
    now.date_naive().and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or_default()
}

impl Store {
    /// Stores a new coach; a taken name is `Duplicate("name")`. When it is the
    /// default, the organisation's other coaches stop being so.
    pub async fn create_coach(&self, coach: &CoachRecord) -> StoreResult<CoachRecord> {
        let now = now_ms();
        in_tx!(self, tx => {
            if coach.is_default {
                sqlx::query("UPDATE coaches SET is_default = FALSE WHERE org_id = $1")
                    .bind(coach.org.to_string()).execute(&mut *tx).await?;
            }
            sqlx::query(
                "INSERT INTO coaches (id, org_id, name, instructions, style, answer_mode, collections, domains, retrieval_depth,
                 model, temperature, max_output_tokens, relevance_threshold, is_default, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)",
            )
            .bind(coach.id.to_string()).bind(coach.org.to_string()).bind(&coach.name).bind(&coach.instructions)
            .bind(<&str>::from(coach.style)).bind(<&str>::from(coach.answer_mode))
            .bind(to_json(&coach.collections.iter().map(|c| c.to_string()).collect::<Vec<_>>()))
            .bind(to_json(&coach.domains)).bind(coach.retrieval_depth).bind(&coach.model).bind(coach.temperature)
            .bind(coach.max_output_tokens).bind(coach.relevance_threshold).bind(coach.is_default).bind(now)
            .execute(&mut *tx).await.map_err(duplicate_as("name"))?;
        });
        self.coach(coach.org, coach.id).await
    }

    /// One coach of an organisation.
    pub async fn coach(&self, org: OrgId, id: CoachId) -> StoreResult<CoachRecord> {
        let sql = format!("SELECT {COACH_COLUMNS} FROM coaches WHERE org_id = $1 AND id = $2");
        let row: Option<CoachRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(id.to_string()).fetch_optional(pool).await?);
        row.ok_or(StoreError::NotFound)?.into_record()
    }

    /// A coach by id, whatever its organisation (for the OpenAI-compatible endpoint).
    pub async fn coach_anywhere(&self, id: CoachId) -> StoreResult<CoachRecord> {
        let sql = format!("SELECT {COACH_COLUMNS} FROM coaches WHERE id = $1");
        let row: Option<CoachRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(pool).await?);
        row.ok_or(StoreError::NotFound)?.into_record()
    }

    /// An organisation's coaches, the default first, then by name.
    pub async fn list_coaches(&self, org: OrgId) -> StoreResult<Vec<CoachRecord>> {
        let sql = format!("SELECT {COACH_COLUMNS} FROM coaches WHERE org_id = $1 ORDER BY is_default DESC, name");
        let rows: Vec<CoachRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(CoachRow::into_record).collect()
    }

    /// Saves a changed coach (not its default flag: see [`Store::make_default_coach`]).
    pub async fn update_coach(&self, coach: &CoachRecord) -> StoreResult<CoachRecord> {
        let sql = "UPDATE coaches SET name = $3, instructions = $4, style = $5, answer_mode = $6, collections = $7, domains = $8,
                   retrieval_depth = $9, model = $10, temperature = $11, max_output_tokens = $12, relevance_threshold = $13,
                   updated_at = $14
                   WHERE org_id = $1 AND id = $2";
        let done = on_pool!(self, pool => sqlx::query(sql)
            .bind(coach.org.to_string()).bind(coach.id.to_string()).bind(&coach.name).bind(&coach.instructions)
            .bind(<&str>::from(coach.style)).bind(<&str>::from(coach.answer_mode))
            .bind(to_json(&coach.collections.iter().map(|c| c.to_string()).collect::<Vec<_>>()))
            .bind(to_json(&coach.domains)).bind(coach.retrieval_depth).bind(&coach.model).bind(coach.temperature)
            .bind(coach.max_output_tokens).bind(coach.relevance_threshold).bind(now_ms())
            .execute(pool).await.map_err(duplicate_as("name"))?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        self.coach(coach.org, coach.id).await
    }

    /// Makes one coach the organisation's default.
    pub async fn make_default_coach(&self, org: OrgId, id: CoachId) -> StoreResult<()> {
        in_tx!(self, tx => {
            sqlx::query("UPDATE coaches SET is_default = (id = $2) WHERE org_id = $1")
                .bind(org.to_string()).bind(id.to_string()).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// Deletes a coach; its conversations stay, without a coach.
    pub async fn delete_coach(&self, org: OrgId, id: CoachId) -> StoreResult<()> {
        let done = on_pool!(self, pool => sqlx::query("DELETE FROM coaches WHERE org_id = $1 AND id = $2")
            .bind(org.to_string()).bind(id.to_string()).execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Starts a conversation.
    pub async fn create_conversation(
        &self,
        org: OrgId,
        owner: PersonId,
        coach: Option<CoachId>,
        title: &str,
    ) -> StoreResult<ConversationRecord> {
        let id = ConversationId::new();
        let now = now_ms();
        in_tx!(self, tx => {
            insert_conversation!(self, tx, id, org, owner, coach, title, now);
        });
        self.conversation(id).await
    }

    /// A conversation by id (the caller checks who may see it).
    pub async fn conversation(&self, id: ConversationId) -> StoreResult<ConversationRecord> {
        let sql = format!("{CONVERSATION_SELECT} WHERE v.id = $1");
        let row: Option<ConversationRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(pool).await?);
        row.ok_or(StoreError::NotFound)?.into_record()
    }

    /// The conversation a share token's hash opens.
    pub async fn conversation_by_share(&self, token_hash: &str) -> StoreResult<ConversationRecord> {
        let sql = format!("{CONVERSATION_SELECT} WHERE v.share_token_hash = $1");
        let row: Option<ConversationRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(token_hash).fetch_optional(pool).await?);
        row.ok_or(StoreError::NotFound)?.into_record()
    }

    /// An organisation's conversations, most recently active first.
    pub async fn list_conversations(
        &self,
        org: OrgId,
        query: &ConversationQuery,
    ) -> StoreResult<Vec<ConversationRecord>> {
        let sql = format!(
            "{CONVERSATION_SELECT} WHERE v.org_id = $1 AND ($2 IS NULL OR v.owner_id = $2) AND ($3 IS NULL OR v.archived = $3)
               AND ($4 IS NULL OR LOWER(v.title) LIKE $4)
               AND ($5 IS NULL OR (v.updated_at, v.id) < (SELECT updated_at, id FROM conversations WHERE id = $5))
             ORDER BY v.updated_at DESC, v.id DESC LIMIT $6"
        );
        let pattern = query.title_contains.as_ref().map(|q| {
            let escaped: String = q.to_lowercase().chars().filter(|c| !matches!(c, '%' | '_')).collect();
            format!("%{escaped}%")
        });
        let rows: Vec<ConversationRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(query.owner.map(|p| p.to_string())).bind(query.archived).bind(pattern)
            .bind(query.before.map(|c| c.to_string())).bind(query.limit).fetch_all(pool).await?);
        rows.into_iter().map(ConversationRow::into_record).collect()
    }

    /// Renames and/or archives a conversation.
    pub async fn update_conversation(
        &self,
        id: ConversationId,
        title: Option<&str>,
        archived: Option<bool>,
    ) -> StoreResult<ConversationRecord> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE conversations SET title = COALESCE($2, title), archived = COALESCE($3, archived) WHERE id = $1")
            .bind(id.to_string()).bind(title).bind(archived).execute(pool).await?.rows_affected());
        self.conversation(id).await
    }

    /// Sets or clears the hash of a conversation's share token.
    pub async fn set_conversation_share(&self, id: ConversationId, token_hash: Option<&str>) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query("UPDATE conversations SET share_token_hash = $2 WHERE id = $1")
            .bind(id.to_string()).bind(token_hash).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Deletes a conversation with its messages and their feedback.
    pub async fn delete_conversation(&self, id: ConversationId) -> StoreResult<()> {
        in_tx!(self, tx => {
            sqlx::query("DELETE FROM message_feedback WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = $1)")
                .bind(id.to_string()).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM messages WHERE conversation_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM conversations WHERE id = $1").bind(id.to_string()).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// A conversation's messages, oldest first (the last `limit` when given).
    pub async fn messages(&self, conversation: ConversationId, limit: Option<i64>) -> StoreResult<Vec<MessageRecord>> {
        let sql = format!(
            "SELECT * FROM (SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 ORDER BY seq DESC LIMIT $2) m
             ORDER BY seq"
        );
        let rows: Vec<MessageRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(conversation.to_string()).bind(limit.unwrap_or(i64::MAX)).fetch_all(pool).await?);
        rows.into_iter().map(MessageRow::into_record).collect()
    }

    /// One message and the conversation it belongs to.
    pub async fn message(&self, id: MessageId) -> StoreResult<MessageRecord> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1");
        let row: Option<MessageRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(pool).await?);
        row.ok_or(StoreError::NotFound)?.into_record()
    }

    /// Stores a question and its answer in one transaction, with the model
    /// usage, and retitles the conversation when asked; the asker's day, the
    /// coach's and the organisation's are tallied, and a question (not a reply
    /// to a check question) goes into the question log.
    pub async fn append_turn(
        &self,
        org: OrgId,
        turn: [&MessageRecord; 2],
        usage: Option<&UsageRecord>,
        retitle: Option<&str>,
        asked: &AskedQuestion,
    ) -> StoreResult<()> {
        let conversation = turn[0].conversation.to_string();
        let person = asked.person.to_string();
        let coach = asked.coach.map(|c| c.to_string()).unwrap_or_default();
        let kind = turn[1].kind;
        let is_question = asked.outcome.is_some();
        let count = |k: AnswerKind| i64::from(is_question && kind == Some(k));
        let tally = Tally {
            activity: true,
            questions: i64::from(is_question),
            generated: count(AnswerKind::Generated),
            extractive: count(AnswerKind::Extractive),
            refused: count(AnswerKind::Refusal),
            failed: count(AnswerKind::Error),
            input_tokens: usage.map_or(0, |u| u.input_tokens),
            output_tokens: usage.map_or(0, |u| u.output_tokens),
            cost: usage.map_or(0.0, |u| u.cost),
            ..Tally::default()
        };
        let asked_at = turn[0].created_at.timestamp_millis();
        in_tx!(self, tx => {
            let (next,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation_id = $1")
                .bind(&conversation).fetch_one(&mut *tx).await?;
            for (i, m) in turn.iter().enumerate() {
                insert_message!(tx, org, next + i as i64, m);
            }
            sqlx::query("UPDATE conversations SET updated_at = $2, title = COALESCE($3, title) WHERE id = $1")
                .bind(&conversation).bind(now_ms()).bind(retitle).execute(&mut *tx).await?;
            if let Some(u) = usage {
                insert_usage!(tx, u);
            }
            let scope = TallyScope { person: Some(&person), coach: Some(&coach), program: None };
            add_tally!(self, tx, org, scope, asked_at, &tally);
            if let Some(outcome) = asked.outcome {
                sqlx::query(
                    "INSERT INTO question_log (question_id, answer_id, org_id, person_id, coach_id, question, outcome, topic, asked_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                    .bind(turn[0].id.to_string()).bind(turn[1].id.to_string()).bind(org.to_string()).bind(&person)
                    .bind(asked.coach.map(|c| c.to_string())).bind(&asked.question).bind(<&str>::from(outcome))
                    .bind(&asked.topic).bind(asked_at)
                    .execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    /// Stores one message on its own (a question while a person holds the conversation, or
    /// what that person wrote) and returns its place in the conversation.
    pub async fn append_message(&self, org: OrgId, m: &MessageRecord) -> StoreResult<i64> {
        let conversation = m.conversation.to_string();
        Ok(in_tx!(self, tx => {
            let (next,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation_id = $1")
                .bind(&conversation).fetch_one(&mut *tx).await?;
            insert_message!(tx, org, next, m);
            sqlx::query("UPDATE conversations SET updated_at = $2 WHERE id = $1")
                .bind(&conversation).bind(now_ms()).execute(&mut *tx).await?;
            next
        }))
    }

    /// The messages of a conversation after `seq`, in order (what a reconnecting client missed).
    pub async fn messages_after(&self, conversation: ConversationId, seq: i64) -> StoreResult<Vec<MessageRecord>> {
        let sql =
            format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq");
        let rows: Vec<MessageRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(conversation.to_string()).bind(seq).fetch_all(pool).await?);
        rows.into_iter().map(MessageRow::into_record).collect()
    }

    /// Sets (or, with `None`, clears) the person who holds a conversation. With `expected`, only
    /// when the holder is that one now (`None`: nobody); returns whether it changed.
    pub async fn set_conversation_holder(
        &self,
        id: ConversationId,
        holder: Option<PersonId>,
        expected: Option<PersonId>,
    ) -> StoreResult<bool> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE conversations SET held_by = $2 WHERE id = $1 AND COALESCE(held_by, '') = COALESCE($3, '')")
            .bind(id.to_string()).bind(holder.map(|p| p.to_string())).bind(expected.map(|p| p.to_string()))
            .execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// Records that `person` has read a conversation up to `seq` (never backwards).
    pub async fn mark_read(&self, conversation: ConversationId, person: PersonId, seq: i64) -> StoreResult<i64> {
        let row: (i64,) = on_pool!(self, pool => sqlx::query_as(
            "INSERT INTO conversation_reads (conversation_id, person_id, seq, read_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (conversation_id, person_id) DO UPDATE
               SET seq = CASE WHEN excluded.seq > conversation_reads.seq THEN excluded.seq ELSE conversation_reads.seq END,
                   read_at = excluded.read_at
             RETURNING seq")
            .bind(conversation.to_string()).bind(person.to_string()).bind(seq).bind(now_ms()).fetch_one(pool).await?);
        Ok(row.0)
    }

    /// How far each reader has read a conversation.
    pub async fn reads_of(&self, conversation: ConversationId) -> StoreResult<Vec<(PersonId, i64)>> {
        let rows: Vec<(String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT person_id, seq FROM conversation_reads WHERE conversation_id = $1 ORDER BY person_id")
            .bind(conversation.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(|(p, seq)| Ok((parse(&p, "person id")?, seq))).collect()
    }

    /// Records a model call made outside a conversation.
    pub async fn record_usage(&self, usage: &UsageRecord) -> StoreResult<()> {
        let person = usage.person.map(|p| p.to_string());
        let coach = usage.coach.map(|c| c.to_string()).unwrap_or_default();
        let tally = Tally {
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            cost: usage.cost,
            ..Tally::default()
        };
        in_tx!(self, tx => {
            insert_usage!(tx, usage);
            let scope = TallyScope { person: person.as_deref(), coach: Some(&coach), program: None };
            add_tally!(self, tx, usage.org, scope, now_ms(), &tally);
        });
        Ok(())
    }

    /// Tokens and cost used since `since_ms` by an organisation, or by one person in it.
    pub async fn usage_since(&self, org: OrgId, person: Option<PersonId>, since_ms: i64) -> StoreResult<(i64, f64)> {
        let sql = "SELECT CAST(COALESCE(SUM(input_tokens + output_tokens), 0) AS BIGINT),
                          CAST(COALESCE(SUM(cost), 0) AS DOUBLE PRECISION)
                   FROM model_usage WHERE org_id = $1 AND ($2 IS NULL OR person_id = $2) AND created_at >= $3";
        let row: (i64, f64) = on_pool!(self, pool => sqlx::query_as(sql)
            .bind(org.to_string()).bind(person.map(|p| p.to_string())).bind(since_ms).fetch_one(pool).await?);
        Ok(row)
    }

    /// An organisation's daily limits (all unlimited when never set).
    pub async fn budget(&self, org: OrgId) -> StoreResult<BudgetRecord> {
        let row: Option<BudgetRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT org_daily_tokens, org_daily_cost, person_daily_tokens, person_daily_cost FROM coach_budgets WHERE org_id = $1")
            .bind(org.to_string()).fetch_optional(pool).await?);
        Ok(row
            .map(|(a, b, c, d)| BudgetRecord {
                org_daily_tokens: a,
                org_daily_cost: b,
                person_daily_tokens: c,
                person_daily_cost: d,
            })
            .unwrap_or_default())
    }

    /// Sets an organisation's daily limits.
    pub async fn put_budget(&self, org: OrgId, budget: &BudgetRecord) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO coach_budgets (org_id, org_daily_tokens, org_daily_cost, person_daily_tokens, person_daily_cost, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (org_id) DO UPDATE SET org_daily_tokens = excluded.org_daily_tokens, org_daily_cost = excluded.org_daily_cost,
               person_daily_tokens = excluded.person_daily_tokens, person_daily_cost = excluded.person_daily_cost,
               updated_at = excluded.updated_at")
            .bind(org.to_string()).bind(budget.org_daily_tokens).bind(budget.org_daily_cost)
            .bind(budget.person_daily_tokens).bind(budget.person_daily_cost).bind(now_ms()).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Sets (or replaces) a person's feedback on a message. The rollups of the
    /// answer's day move from the earlier rating (if any) to this one, and a
    /// rating of "missing source" marks the question as a knowledge gap.
    pub async fn put_feedback(&self, org: OrgId, feedback: &FeedbackRecord) -> StoreResult<FeedbackRecord> {
        let now = now_ms();
        let message = feedback.message.to_string();
        let rater = feedback.person.to_string();
        in_tx!(self, tx => {
            let earlier: Option<(String, String)> = sqlx::query_as(
                "SELECT rating, reasons FROM message_feedback WHERE message_id = $1")
                .bind(&message).fetch_optional(&mut *tx).await?;
            let (answered_at, coach): (i64, Option<String>) = sqlx::query_as(
                "SELECT m.created_at, c.coach_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
                 WHERE m.id = $1")
                .bind(&message).fetch_one(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO message_feedback (message_id, org_id, person_id, rating, reasons, comment, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
                 ON CONFLICT (message_id) DO UPDATE SET person_id = excluded.person_id, rating = excluded.rating,
                   reasons = excluded.reasons, comment = excluded.comment, updated_at = excluded.updated_at")
                .bind(&message).bind(org.to_string()).bind(&rater)
                .bind(<&str>::from(feedback.rating)).bind(to_json(&feedback.reasons)).bind(&feedback.comment).bind(now)
                .execute(&mut *tx).await?;
            let rating_tally = |rating: &str, sign: i64| Tally {
                helpful: sign * i64::from(rating == "up"),
                unhelpful: sign * i64::from(rating == "down"),
                ..Tally::default()
            };
            let mut tally = rating_tally(<&str>::from(feedback.rating), 1);
            tally.activity = true;
            let mut reasons: Vec<(String, String, i64)> = feedback
                .reasons
                .iter()
                .map(|r| (<&str>::from(feedback.rating).to_string(), r.to_string(), 1))
                .collect();
            if let Some((rating, old_reasons)) = &earlier {
                let undo = rating_tally(rating, -1);
                tally.helpful += undo.helpful;
                tally.unhelpful += undo.unhelpful;
                reasons.extend(json_list(old_reasons).into_iter().map(|r| (rating.clone(), r, -1)));
            }
            let scope = TallyScope { person: Some(&rater), coach: Some(coach.as_deref().unwrap_or("")), program: None };
            let day = add_tally!(self, tx, org, scope, answered_at, &tally);
            for (rating, reason, change) in reasons {
                sqlx::query(
                    "INSERT INTO feedback_reason_days (org_id, day, rating, reason, count) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (org_id, day, rating, reason) DO UPDATE SET count = feedback_reason_days.count + excluded.count")
                    .bind(org.to_string()).bind(day).bind(rating).bind(reason).bind(change).execute(&mut *tx).await?;
            }
            let missing_source = feedback.reasons.contains(&FeedbackReason::MissingSource);
            sqlx::query("UPDATE question_log SET missing_source = $2 WHERE answer_id = $1")
                .bind(&message).bind(missing_source).execute(&mut *tx).await?;
        });
        Ok(FeedbackRecord { updated_at: time(now), ..feedback.clone() })
    }

    /// Feedback on a conversation's messages, by message.
    pub async fn conversation_feedback(
        &self,
        conversation: ConversationId,
    ) -> StoreResult<HashMap<MessageId, FeedbackRecord>> {
        let rows: Vec<(String, String, String, String, String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT f.message_id, f.person_id, f.rating, f.reasons, f.comment, f.updated_at FROM message_feedback f
             JOIN messages m ON m.id = f.message_id WHERE m.conversation_id = $1")
            .bind(conversation.to_string()).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(message, person, rating, reasons, comment, updated)| {
                let message: MessageId = parse(&message, "message id")?;
                Ok((
                    message,
                    FeedbackRecord {
                        message,
                        person: parse(&person, "person id")?,
                        rating: parse(&rating, "feedback rating")?,
                        reasons: json_list(&reasons)
                            .iter()
                            .map(|r| parse(r, "feedback reason"))
                            .collect::<StoreResult<_>>()?,
                        comment,
                        updated_at: time(updated),
                    },
                ))
            })
            .collect()
    }
}

/// Inserts a usage row inside a transaction.
macro_rules! insert_usage {
    ($tx:ident, $u:expr) => {
        sqlx::query(
            "INSERT INTO model_usage (id, org_id, person_id, model, input_tokens, output_tokens, cost, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(MessageId::new().to_string())
        .bind($u.org.to_string())
        .bind($u.person.map(|p| p.to_string()))
        .bind(&$u.model)
        .bind($u.input_tokens)
        .bind($u.output_tokens)
        .bind($u.cost)
        .bind(now_ms())
        .execute(&mut *$tx)
        .await?
    };
}
use insert_usage;
