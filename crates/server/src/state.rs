//! Shared state of a running server.

use crate::web_app::WebAppSource;
use chrono::Duration;
use std::sync::Arc;
use wayfinder_accounts::{AccountSettings, Accounts};
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_coach::{CheckReply, PosedCheck, PracticeOffer};
use wayfinder_coach_rules::{LearnerStanding, NextStepBrief};
use wayfinder_knowledge::KnowledgeBase;
use wayfinder_knowledge_rules::ChunkId;
use wayfinder_store::Store;

/// Settings the HTTP layer needs, resolved from the configuration by the binary.
#[derive(Clone, Debug)]
pub struct ServerSettings {
    /// Base URL people reach the server at; used in setup and invitation links.
    pub public_url: String,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, whatever its activity.
    pub session_absolute: Duration,
    /// Mark the session cookie `Secure` (served over TLS).
    pub cookie_secure: bool,
    /// Sign-in throttling, invitation and token lifetimes (the accounts service applies them).
    pub accounts: AccountSettings,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// Largest document upload request (all files together), in bytes.
    pub max_upload_bytes: usize,
    /// Where the browser app's files come from.
    pub web_app: WebAppSource,
    /// The bearer token `/metrics` on the main listener needs (`None`: not served there).
    pub metrics_token: Option<String>,
    /// Where the messaging platforms' APIs are and how fast one bot may send.
    pub channels: wayfinder_channels::ChannelSettings,
    /// Requests a minute per caller and per address on the expensive and abusable endpoints.
    pub rate_limits: crate::rate_limit::RateLimits,
    /// Timeouts and retries of clients for organisations' own model endpoints.
    pub model_clients: wayfinder_providers::ClientSettings,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            max_body_bytes: 1024 * 1024,
            session_idle: Duration::days(7),
            session_absolute: Duration::days(30),
            cookie_secure: false,
            accounts: AccountSettings::default(),
            trust_forwarded_for: false,
            max_upload_bytes: 100 * 1024 * 1024,
            web_app: WebAppSource::Embedded,
            metrics_token: None,
            channels: wayfinder_channels::ChannelSettings::default(),
            rate_limits: crate::rate_limit::RateLimits::default(),
            model_clients: wayfinder_providers::ClientSettings::default(),
        }
    }
}

/// What every handler can reach: a handle that costs one reference count to clone (axum clones
/// it for every request, and each live connection holds one for as long as it is open).
#[derive(Clone)]
pub struct AppState(Arc<Services>);

/// The services behind [`AppState`].
#[derive(Clone)]
pub struct Services {
    pub store: Store,
    pub accounts: Accounts,
    pub knowledge: KnowledgeBase,
    pub coaching: wayfinder_coach::Coaching,
    pub learning: wayfinder_learning::Learning,
    pub insights: wayfinder_insights::Insights,
    pub channels: wayfinder_channels::Channels,
    /// Guided interviews.
    pub interviews: wayfinder_interviews::Interviews,
    /// The speech endpoint spoken interviews use (none: typing only).
    pub speech: Option<Arc<wayfinder_speech::SpeechClient>>,
    /// The live connections of this instance, and how events reach the others.
    pub live: crate::live::LiveHub,
    /// Organisations' own model endpoints.
    pub providers: wayfinder_providers::Providers,
    pub settings: Arc<ServerSettings>,
}

/// Organisations' own model endpoints over `store`, their keys sealed with the server key. A job
/// worker's knowledge base gets them too, so an organisation's collections are embedded with its model.
pub fn org_endpoints(store: &Store, settings: &ServerSettings) -> wayfinder_providers::Providers {
    wayfinder_providers::Providers::new(
        store.clone(),
        settings.accounts.server_key.clone(),
        settings.model_clients.clone(),
    )
}

impl AppState {
    /// State over a store and knowledge base with the given settings; the
    /// coach answers extractively until [`AppState::with_models`] gives it a model.
    pub fn new(knowledge: KnowledgeBase, settings: ServerSettings) -> Self {
        let store = knowledge.store().clone();
        // The job worker's knowledge base, when it has them, shares what it read of the endpoints.
        let providers = knowledge.org_endpoints().cloned().unwrap_or_else(|| org_endpoints(&store, &settings));
        let knowledge = knowledge.with_org_endpoints(providers.clone());
        let accounts = Accounts::new(store.clone(), settings.accounts.clone());
        let learning =
            wayfinder_learning::Learning::new(store.clone(), knowledge.clone()).with_org_endpoints(providers.clone());
        let live = crate::live::LiveHub::new(store.clone());
        let models = wayfinder_coach::Models::none().with_org_endpoints(providers.clone());
        let coaching = coaching(&knowledge, &learning, models, &live);
        let insights = wayfinder_insights::Insights::new(store.clone(), learning.clone(), knowledge.clone());
        let channels = channels(&store, &coaching, &settings);
        let interviews = wayfinder_interviews::Interviews::new(store.clone()).with_org_endpoints(providers.clone());
        let settings = Arc::new(settings);
        Self(Arc::new(Services {
            store,
            accounts,
            knowledge,
            coaching,
            learning,
            insights,
            channels,
            interviews,
            speech: None,
            live,
            providers,
            settings,
        }))
    }

    /// The same state with chat models for the coach; the default model also writes practice
    /// questions and grades short answers.
    pub fn with_models(self, models: wayfinder_coach::Models) -> Self {
        let this = Arc::unwrap_or_clone(self.0);
        let chat_model = models.client(None).unwrap_or_else(|error| {
            tracing::warn!(%error, "the chat model cannot write practice questions or grade answers; the rules do");
            None
        });
        let learning = this.learning.with_chat_model(chat_model.clone());
        let interviews = this.interviews.clone().with_chat_model(chat_model);
        let models = models.with_org_endpoints(this.providers.clone());
        let coaching = coaching(&this.knowledge, &learning, models, &this.live);
        let insights = wayfinder_insights::Insights::new(this.store.clone(), learning.clone(), this.knowledge.clone());
        let channels = channels(&this.store, &coaching, &this.settings);
        Self(Arc::new(Services { coaching, learning, insights, channels, interviews, ..this }))
    }
}

impl AppState {
    /// The same state with a speech endpoint for spoken interviews.
    pub fn with_speech(self, speech: Option<wayfinder_speech::SpeechClient>) -> Self {
        let this = Arc::unwrap_or_clone(self.0);
        Self(Arc::new(Services { speech: speech.map(Arc::new), ..this }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The channels, answering through `coaching`, with links that point at the public address.
fn channels(
    store: &Store,
    coaching: &wayfinder_coach::Coaching,
    settings: &ServerSettings,
) -> wayfinder_channels::Channels {
    let channel_settings =
        wayfinder_channels::ChannelSettings { public_url: settings.public_url.clone(), ..settings.channels.clone() };
    wayfinder_channels::Channels::new(store.clone(), coaching.clone(), channel_settings)
}

/// The coach over `models`, told about each learner it answers by `learning`.
fn coaching(
    knowledge: &KnowledgeBase,
    learning: &wayfinder_learning::Learning,
    models: wayfinder_coach::Models,
    live: &crate::live::LiveHub,
) -> wayfinder_coach::Coaching {
    wayfinder_coach::Coaching::new(knowledge.store().clone(), knowledge.clone(), models)
        .with_learner_records(Arc::new(LearningRecords(learning.clone())))
        .with_turn_listener(Arc::new(live.clone()))
}

/// A learner's records as the coach reads them: the learning service's briefing.
struct LearningRecords(wayfinder_learning::Learning);

#[async_trait::async_trait]
impl wayfinder_coach::LearnerRecords for LearningRecords {
    async fn standing(&self, org: OrgId, person: PersonId, chunks: &[i64]) -> Option<LearnerStanding> {
        let chunks: Vec<ChunkId> = chunks.iter().copied().map(ChunkId).collect();
        let briefing = match self.0.coach_briefing(org, person, &chunks, chrono::Utc::now()).await {
            Ok(briefing) => briefing?,
            Err(error) => {
                tracing::warn!(%error, "the coach answers without the learner's records");
                return None;
            }
        };
        Some(LearnerStanding {
            goals: briefing.goals,
            next_step: briefing
                .next_step
                .map(|step| NextStepBrief { review: step.kind == "review", concept: step.concept.name }),
            concepts: briefing.concepts.into_iter().map(|c| (c.name, c.mastery)).collect(),
        })
    }

    async fn practice_offer(&self, org: OrgId, person: PersonId, chunks: &[i64]) -> Option<PracticeOffer> {
        let chunks: Vec<ChunkId> = chunks.iter().copied().map(ChunkId).collect();
        match self.0.practice_offer(org, person, &chunks, chrono::Utc::now()).await {
            Ok(offer) => offer.map(|c| PracticeOffer { concept_id: c.id.to_string(), concept_name: c.name }),
            Err(error) => {
                tracing::warn!(%error, "no practice is offered under the answer");
                None
            }
        }
    }

    async fn check_question(&self, org: OrgId, person: PersonId, concept_id: &str) -> Option<PosedCheck> {
        let concept = concept_id.parse().ok()?;
        match self.0.check_question(org, person, concept).await {
            Ok(check) => check.map(|c| PosedCheck {
                question_id: c.question.to_string(),
                concept_id: c.concept.to_string(),
                text: c.text,
            }),
            Err(error) => {
                tracing::warn!(%error, "no check question is posed");
                None
            }
        }
    }

    async fn grade_check(
        &self,
        org: OrgId,
        person: PersonId,
        check: &PosedCheck,
        reply: &str,
        key: &str,
    ) -> Option<CheckReply> {
        let (question, concept) = (check.question_id.parse().ok()?, check.concept_id.parse().ok()?);
        match self.0.grade_check_reply(org, person, question, concept, reply, key).await {
            Ok(outcome) => outcome.map(|o| CheckReply {
                question_id: check.question_id.clone(),
                correct: o.correct,
                correct_answer: o.correct_answer,
            }),
            Err(error) => {
                tracing::warn!(%error, "the reply to the check question was not graded");
                None
            }
        }
    }
}
