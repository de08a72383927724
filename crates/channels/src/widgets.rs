//! Website widgets: a coach embedded in another site. An administrator lists
//! the origins it may appear on; the script checks in with the server (which
//! answers cross-origin only to those origins) and opens the chat in a frame
//! the browser shows only on them (`frame-ancestors`). Anonymous visitors get a
//! conversation of their own, answered from the coach's public collections
//! only, within a rate per visitor and a daily budget per widget; members sign
//! in through a Wayfinder window and continue their own conversation.

use crate::inbound::{Finished, finish};
use crate::service::{Channels, ChannelsError, ChannelsResult};
use chrono::{DateTime, Duration, Utc};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use std::{
    collections::HashMap,
    num::NonZeroU32,
    sync::{Arc, Mutex},
};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId, hash_secret, new_secret};
use wayfinder_channels_rules::{
    Channel, WidgetId, WidgetSessionId,
    widget::{WidgetAudience, normalise_origin},
};
use wayfinder_coach::{Message, Thread, TurnInput};
use wayfinder_coach_rules::{CoachId, TurnRole};
use wayfinder_store::{StoreError, WidgetRecord, WidgetSessionRecord};

/// How long a widget session lasts.
const SESSION_DAYS: i64 = 30;
/// Anonymous sessions one address may start per hour on one instance.
const NEW_VISITORS_PER_HOUR: u32 = 30;

/// A widget as an administrator writes it.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetSpec {
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    /// The coach profile that answers.
    #[schema(value_type = String)]
    pub coach_id: CoachId,
    /// The sites it may appear on: 1 to 20 origins such as `https://school.example`.
    pub allowed_origins: Vec<String>,
    /// Anonymous visitors (default) or signed-in members.
    pub audience: Option<WidgetAudience>,
    /// Answers a day across all visitors, 1 to 100,000 (default 200).
    #[schema(minimum = 1, maximum = 100000)]
    pub daily_answers: Option<i64>,
    /// Answers a minute per visitor, 1 to 60 (default 5).
    #[schema(minimum = 1, maximum = 60)]
    pub answers_per_minute: Option<i64>,
    /// The first thing the widget says.
    #[schema(max_length = 500)]
    pub greeting: Option<String>,
    /// Default true.
    pub active: Option<bool>,
}

/// A widget as the API shows it, with the tag to copy into the site.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Widget {
    #[schema(value_type = String)]
    pub id: WidgetId,
    pub name: String,
    #[schema(value_type = String)]
    pub coach_id: CoachId,
    pub allowed_origins: Vec<String>,
    pub audience: WidgetAudience,
    pub daily_answers: i64,
    pub answers_per_minute: i64,
    pub greeting: String,
    pub active: bool,
    /// Answers given today (UTC) against the daily budget.
    pub answers_today: i64,
    /// `<script src=".../widget.js" data-widget="..." async></script>`
    pub snippet: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the embedding script and the frame need to know.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WidgetConfig {
    pub name: String,
    pub coach_name: String,
    pub greeting: String,
    pub audience: WidgetAudience,
}

/// A session's token, given once.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WidgetSessionToken {
    /// Sent as `Authorization: Bearer …` by the widget.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// A message as a widget shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WidgetMessage {
    pub role: TurnRole,
    pub content: String,
    pub sources: Vec<WidgetSource>,
    pub created_at: DateTime<Utc>,
}

/// A cited source, as a widget shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WidgetSource {
    pub number: usize,
    pub title: String,
    pub section: Option<String>,
    pub page: Option<u32>,
}

impl From<Message> for WidgetMessage {
    fn from(m: Message) -> Self {
        WidgetMessage {
            role: m.role,
            content: m.content,
            sources: m
                .citations
                .into_iter()
                .map(|c| WidgetSource {
                    number: c.number,
                    title: c.document_title,
                    section: c.section,
                    page: c.page_start,
                })
                .collect(),
            created_at: m.created_at,
        }
    }
}

/// A question through a widget.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetQuestion {
    #[schema(min_length = 1, max_length = 4000)]
    pub content: String,
}

/// The question and its answer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WidgetExchange {
    pub question: WidgetMessage,
    pub answer: WidgetMessage,
}

/// Why a widget refuses.
#[derive(Debug, thiserror::Error)]
pub enum WidgetRefusal {
    #[error("this site may not use the widget")]
    Origin,
    #[error("the widget is switched off")]
    Inactive,
    #[error("this widget answers signed-in members only")]
    MembersOnly,
    #[error("too many questions in a minute; wait a moment")]
    TooFast,
    #[error("the widget has answered all it may today; come back tomorrow")]
    BudgetSpent,
    #[error("the widget has no material open to visitors yet")]
    NothingPublic,
    #[error("the session has expired or is not this widget's")]
    Session,
}

/// A widget's limiter of answers per session, with the per-minute quota it was made for.
type AnswerLimiter = (i64, Arc<DefaultKeyedRateLimiter<WidgetSessionId>>);

/// Rate limiters per widget (each with its own quota), keyed by session.
#[derive(Default)]
pub(crate) struct WidgetLimiters {
    answers: Mutex<HashMap<WidgetId, AnswerLimiter>>,
    new_visitors: Mutex<Option<Arc<DefaultKeyedRateLimiter<String>>>>,
}

impl WidgetLimiters {
    fn answers(&self, widget: &WidgetRecord) -> Arc<DefaultKeyedRateLimiter<WidgetSessionId>> {
        let mut map = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        let quota = |n: i64| {
            Quota::per_minute(NonZeroU32::new(u32::try_from(n).unwrap_or(1).max(1)).unwrap_or(NonZeroU32::MIN))
        };
        let entry = map.entry(widget.id).or_insert_with(|| {
            (widget.answers_per_minute, Arc::new(RateLimiter::keyed(quota(widget.answers_per_minute))))
        });
        if entry.0 != widget.answers_per_minute {
            *entry = (widget.answers_per_minute, Arc::new(RateLimiter::keyed(quota(widget.answers_per_minute))));
        }
        entry.1.clone()
    }

    fn new_visitors(&self) -> Arc<DefaultKeyedRateLimiter<String>> {
        let mut limiter = self.new_visitors.lock().unwrap_or_else(|e| e.into_inner());
        limiter
            .get_or_insert_with(|| {
                let per_hour = NonZeroU32::new(NEW_VISITORS_PER_HOUR).unwrap_or(NonZeroU32::MIN);
                Arc::new(RateLimiter::keyed(Quota::per_hour(per_hour)))
            })
            .clone()
    }
}

impl Channels {
    pub async fn widgets(&self, org: OrgId) -> ChannelsResult<Vec<Widget>> {
        let mut views = Vec::new();
        for record in self.store.widgets(org).await? {
            views.push(self.widget_view(record).await?);
        }
        Ok(views)
    }

    pub async fn org_widget(&self, org: OrgId, id: WidgetId) -> ChannelsResult<Widget> {
        let record = self.store.widget(id).await.map_err(not_found)?;
        if record.org != org {
            return Err(ChannelsError::NotFound("widget"));
        }
        self.widget_view(record).await
    }

    pub async fn create_widget(&self, org: OrgId, spec: WidgetSpec) -> ChannelsResult<Widget> {
        let now = crate::nudges::stored_now();
        let id = WidgetId::new();
        let record = self.checked_widget(id, org, PersonId::new(), spec, now, now).await?;
        let visitor_email = format!("visitors+{id}@widgets.invalid");
        self.store.create_widget(&record, &visitor_email).await?;
        self.widget_view(record).await
    }

    pub async fn update_widget(&self, org: OrgId, id: WidgetId, spec: WidgetSpec) -> ChannelsResult<Widget> {
        let current = self.store.widget(id).await.map_err(not_found)?;
        if current.org != org {
            return Err(ChannelsError::NotFound("widget"));
        }
        let now = crate::nudges::stored_now();
        let record = self.checked_widget(id, org, current.visitor_person, spec, current.created_at, now).await?;
        self.store.update_widget(&record).await.map_err(not_found)?;
        self.widget_view(record).await
    }

    pub async fn delete_widget(&self, org: OrgId, id: WidgetId) -> ChannelsResult<()> {
        self.store.delete_widget(org, id).await.map_err(not_found)
    }

    /// A widget that may show on `origin` (`None`: the frame's own, same-origin requests).
    pub async fn embeddable_widget(&self, id: WidgetId, origin: Option<&str>) -> Result<WidgetRecord, WidgetError> {
        let widget = self.store.widget(id).await.map_err(|e| match e {
            StoreError::NotFound => WidgetError::Channels(ChannelsError::NotFound("widget")),
            other => WidgetError::Channels(other.into()),
        })?;
        if let Some(origin) = origin
            && !wayfinder_channels_rules::widget::origin_allowed(&widget.allowed_origins, origin)
        {
            return Err(WidgetRefusal::Origin.into());
        }
        if !widget.active {
            return Err(WidgetRefusal::Inactive.into());
        }
        Ok(widget)
    }

    /// What the script and the frame show.
    pub async fn widget_config(&self, widget: &WidgetRecord) -> ChannelsResult<WidgetConfig> {
        let coach = self.coaching.coach(widget.org, widget.coach).await.map_err(crate::inbound::coaching_error)?;
        Ok(WidgetConfig {
            name: widget.name.clone(),
            coach_name: coach.name,
            greeting: widget.greeting.clone(),
            audience: widget.audience,
        })
    }

    /// Starts an anonymous visitor's session with a conversation of its own; `client` (the
    /// caller's address) may start only so many an hour.
    pub async fn start_visitor(&self, widget: &WidgetRecord, client: &str) -> Result<WidgetSessionToken, WidgetError> {
        if widget.audience != WidgetAudience::Visitors {
            return Err(WidgetRefusal::MembersOnly.into());
        }
        if self.widget_limiters.new_visitors().check_key(&client.to_string()).is_err() {
            return Err(WidgetRefusal::TooFast.into());
        }
        let conversation = self
            .coaching
            .start_conversation(widget.org, widget.visitor_person, Some(widget.coach), None)
            .await
            .map_err(|e| WidgetError::Channels(crate::inbound::coaching_error(e)))?;
        Ok(self.issue_session(widget, None, Some(conversation.id)).await?)
    }

    /// Starts a signed-in member's session (after they signed in through a Wayfinder window).
    pub async fn start_member_session(
        &self,
        widget: &WidgetRecord,
        person: PersonId,
    ) -> ChannelsResult<WidgetSessionToken> {
        self.issue_session(widget, Some(person), None).await
    }

    async fn issue_session(
        &self,
        widget: &WidgetRecord,
        person: Option<PersonId>,
        conversation: Option<wayfinder_coach_rules::ConversationId>,
    ) -> ChannelsResult<WidgetSessionToken> {
        let secret = new_secret("wfw");
        let expires_at = crate::nudges::stored_now() + Duration::days(SESSION_DAYS);
        let session =
            WidgetSessionRecord { id: WidgetSessionId::new(), widget: widget.id, person, conversation, expires_at };
        self.store.create_widget_session(&session, &secret.digest).await?;
        Ok(WidgetSessionToken { token: secret.plaintext, expires_at })
    }

    /// The session a token opens on a widget.
    pub async fn widget_session(&self, widget: &WidgetRecord, token: &str) -> Result<WidgetSessionRecord, WidgetError> {
        let session = self.store.widget_session(widget.id, &hash_secret(token), Utc::now()).await;
        match session {
            Ok(session) => Ok(session),
            Err(StoreError::NotFound) => Err(WidgetRefusal::Session.into()),
            Err(other) => Err(WidgetError::Channels(other.into())),
        }
    }

    /// The session's conversation so far.
    pub async fn widget_messages(
        &self,
        widget: &WidgetRecord,
        session: &WidgetSessionRecord,
    ) -> ChannelsResult<Vec<WidgetMessage>> {
        let conversation = match (session.conversation, session.person) {
            (Some(id), _) => id,
            (None, Some(person)) => self.current_conversation(widget.org, person, "").await?.id,
            (None, None) => return Ok(Vec::new()),
        };
        let messages = self.coaching.messages(conversation).await.map_err(crate::inbound::coaching_error)?;
        Ok(messages.into_iter().map(WidgetMessage::from).collect())
    }

    /// Answers a question through a widget: within the visitor's rate and the widget's daily
    /// budget; an anonymous visitor from the coach's public collections only.
    pub async fn ask_widget(
        &self,
        widget: &WidgetRecord,
        session: &WidgetSessionRecord,
        question: String,
    ) -> Result<WidgetExchange, WidgetError> {
        if self.widget_limiters.answers(widget).check_key(&session.id).is_err() {
            return Err(WidgetRefusal::TooFast.into());
        }
        let coaching_error = |e| WidgetError::Channels(crate::inbound::coaching_error(e));
        let (events, conversation_id) = match (session.person, session.conversation) {
            (Some(person), _) => {
                let conversation = self.current_conversation(widget.org, person, &question).await?;
                let id = conversation.id;
                self.count_answer(widget).await?;
                (self.coaching.ask(conversation, person, question, Channel::Widget).await.map_err(coaching_error)?, id)
            }
            (None, Some(id)) => {
                let mut coach = self.coaching.coach(widget.org, widget.coach).await.map_err(coaching_error)?;
                let public: Vec<_> = self
                    .store
                    .list_collections(widget.org)
                    .await
                    .map_err(ChannelsError::from)?
                    .into_iter()
                    .filter(|c| c.public && (coach.collections.is_empty() || coach.collections.contains(&c.id)))
                    .map(|c| c.id)
                    .collect();
                if public.is_empty() {
                    return Err(WidgetRefusal::NothingPublic.into());
                }
                coach.collections = public;
                let conversation = self.coaching.conversation(id).await.map_err(coaching_error)?;
                self.count_answer(widget).await?;
                let input = TurnInput {
                    org: widget.org,
                    person: widget.visitor_person,
                    coach,
                    thread: Thread::Stored(conversation),
                    question,
                    channel: Channel::Widget,
                };
                (self.coaching.answer(input).await.map_err(coaching_error)?, id)
            }
            (None, None) => return Err(WidgetRefusal::Session.into()),
        };
        let answer = match finish(events).await {
            Finished::Answer(answer) => *answer,
            Finished::Failed(text) => return Err(WidgetError::Channels(ChannelsError::Malformed(text))),
            Finished::Held => {
                let messages = self.coaching.messages(conversation_id).await.map_err(coaching_error)?;
                let question = messages.into_iter().rev().find(|m| m.role == TurnRole::User);
                let question = question.ok_or(ChannelsError::NotFound("question"))?;
                let waiting = WidgetMessage {
                    role: TurnRole::Assistant,
                    content: "Your coach has joined and will answer here.".into(),
                    sources: Vec::new(),
                    created_at: Utc::now(),
                };
                return Ok(WidgetExchange { question: question.into(), answer: waiting });
            }
        };
        let messages = self.coaching.messages(conversation_id).await.map_err(coaching_error)?;
        // The turn stored its question just before its answer.
        let question = messages
            .into_iter()
            .rev()
            .find(|m| m.role == TurnRole::User && m.created_at <= answer.created_at)
            .ok_or(ChannelsError::NotFound("question"))?;
        Ok(WidgetExchange { question: question.into(), answer: answer.into() })
    }

    async fn count_answer(&self, widget: &WidgetRecord) -> Result<(), WidgetError> {
        let day = Utc::now().date_naive();
        let day = wayfinder_insights_rules::days::Day::from_date(day).0;
        if self.store.count_widget_answer(widget.id, day, widget.daily_answers).await.map_err(ChannelsError::from)? {
            Ok(())
        } else {
            Err(WidgetRefusal::BudgetSpent.into())
        }
    }

    async fn widget_view(&self, r: WidgetRecord) -> ChannelsResult<Widget> {
        let today = wayfinder_insights_rules::days::Day::from_date(Utc::now().date_naive()).0;
        let answers_today = self.store.widget_answers_on(r.id, today).await?;
        let base = self.settings.public_url.trim_end_matches('/');
        Ok(Widget {
            snippet: format!("<script src=\"{base}/widget.js\" data-widget=\"{}\" async></script>", r.id),
            id: r.id,
            name: r.name,
            coach_id: r.coach,
            allowed_origins: r.allowed_origins,
            audience: r.audience,
            daily_answers: r.daily_answers,
            answers_per_minute: r.answers_per_minute,
            greeting: r.greeting,
            active: r.active,
            answers_today,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    async fn checked_widget(
        &self,
        id: WidgetId,
        org: OrgId,
        visitor_person: PersonId,
        spec: WidgetSpec,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> ChannelsResult<WidgetRecord> {
        let invalid =
            |field: &str, message: &str| ChannelsError::Invalid { field: field.into(), message: message.into() };
        let name = spec.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(invalid("name", "must be 1 to 120 characters"));
        }
        if spec.allowed_origins.is_empty() || spec.allowed_origins.len() > 20 {
            return Err(invalid("allowed_origins", "list 1 to 20 origins"));
        }
        let mut allowed_origins = Vec::new();
        for (i, raw) in spec.allowed_origins.iter().enumerate() {
            let Some(origin) = normalise_origin(raw) else {
                return Err(invalid(
                    &format!("allowed_origins[{i}]"),
                    "must be an origin such as https://school.example (no path)",
                ));
            };
            if !allowed_origins.contains(&origin) {
                allowed_origins.push(origin);
            }
        }
        let daily_answers = spec.daily_answers.unwrap_or(200);
        if !(1..=100_000).contains(&daily_answers) {
            return Err(invalid("daily_answers", "must be between 1 and 100000"));
        }
        let answers_per_minute = spec.answers_per_minute.unwrap_or(5);
        if !(1..=60).contains(&answers_per_minute) {
            return Err(invalid("answers_per_minute", "must be between 1 and 60"));
        }
        let coach = match self.coaching.coach(org, spec.coach_id).await {
            Ok(coach) => coach,
            Err(wayfinder_coach::CoachingError::NotFound(_)) => return Err(invalid("coach_id", "no such coach")),
            Err(other) => return Err(crate::inbound::coaching_error(other)),
        };
        let greeting = spec.greeting.map(|g| g.trim().to_string()).filter(|g| !g.is_empty());
        let greeting = greeting.unwrap_or_else(|| format!("Hi! I'm {}. Ask me anything.", coach.name));
        if greeting.chars().count() > 500 {
            return Err(invalid("greeting", "must be at most 500 characters"));
        }
        Ok(WidgetRecord {
            id,
            org,
            coach: coach.id,
            name,
            allowed_origins,
            audience: spec.audience.unwrap_or(WidgetAudience::Visitors),
            daily_answers,
            answers_per_minute,
            greeting,
            active: spec.active.unwrap_or(true),
            visitor_person,
            created_at,
            updated_at,
        })
    }
}

/// A widget call that did not go through.
#[derive(Debug, thiserror::Error)]
pub enum WidgetError {
    #[error(transparent)]
    Refused(#[from] WidgetRefusal),
    #[error(transparent)]
    Channels(#[from] ChannelsError),
}

fn not_found(e: StoreError) -> ChannelsError {
    match e {
        StoreError::NotFound => ChannelsError::NotFound("widget"),
        other => other.into(),
    }
}
