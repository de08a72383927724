//! One turn of a conversation: from a person's message to a stored, cited
//! answer, with events for a streaming client along the way.
//!
//! The turn runs in its own task and reports through a channel, so a client
//! that goes away (the stop button, a closed tab) ends generation: what was
//! said so far is stored as incomplete, never as a finished answer.

use crate::{
    CheckReply, Citation, Coach, Coaching, CoachingError, CoachingResult, Conversation, Message, NEW_CONVERSATION,
    PosedCheck, PracticeOffer, title_from, views::StoredCitations,
};
use futures::StreamExt;
use std::{sync::Arc, time::Instant};
use tokio::sync::mpsc;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_channels_rules::Channel;
use wayfinder_coach_rules::{
    AnswerKind, AnswerMode, CoachStyle, ConfidenceLevel, ConversationId, ExtractiveOptions, MessageId, PromptInput,
    Redactor, Relevance, RelevanceDecision, Role as CoachRole, Source, SourceRelevance, Turn, TurnRole,
    citation_coverage, clean_rewrite, confidence, extract_answer, judge_relevance, kept_sources, needs_rewrite,
    parse_routing, refusal_text, relevance::DEFAULT_THRESHOLD, rewrite_prompt, route_domains, routing_prompt,
    standalone_question, validate_citations,
};
use wayfinder_insights_rules::gaps::QuestionOutcome;
use wayfinder_knowledge::{SearchHit, SearchMode, SearchRequest};
use wayfinder_llm::{ChatError, ChatMessage, ChatModel, ChatRequest, ModelFailure, StreamEvent, Usage};
use wayfinder_store::{AskedQuestion, MessageRecord, UsageRecord};

/// History sent to the model, in characters (older turns are dropped first).
const MAX_HISTORY_CHARS: usize = 6_000;
/// Stored messages read back as history for rewriting and the prompt.
const HISTORY_MESSAGES: i64 = 12;
/// Passages retrieved before routing narrows them (routing votes need a wider view).
const ROUTING_POOL: usize = 30;

/// Where a turn's history comes from and where it is kept.
#[derive(Clone, Debug)]
pub enum Thread {
    /// A stored conversation (already loaded and authorised by the caller): its messages
    /// are the history, and the turn is appended to it.
    Stored(Conversation),
    /// A stateless call (the OpenAI-compatible endpoint): the caller's history, nothing stored
    /// but the usage.
    Stateless(Vec<Turn>),
}

/// What a turn is about.
#[derive(Clone, Debug)]
pub struct TurnInput {
    pub org: OrgId,
    pub person: PersonId,
    pub coach: Coach,
    pub thread: Thread,
    pub question: String,
    /// Where the question was written; the answer goes back there.
    pub channel: Channel,
}

/// Why a turn ended without a complete answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TurnFailure {
    /// The chat model failed (what was said so far is stored as incomplete).
    Model(ModelFailure),
    /// Something on our side failed (logged); nothing was stored.
    Internal,
}

/// What a streaming client hears, in order: `User`, `Sources`, `Delta`s, then `Done` or `Failed`.
#[derive(Clone, Debug)]
pub enum TurnEvent {
    /// The person's message (stored with the answer at the end).
    User(Message),
    /// The passages given to the model, numbered.
    Sources(Vec<Citation>),
    /// More answer text.
    Delta(String),
    /// The stored answer with validated citations.
    Done(Message),
    /// The answer failed; the partial answer (if any) is stored as incomplete.
    Failed { failure: TurnFailure, message: String, partial: Option<Message> },
    /// A person holds the conversation: the question is stored and the AI does not answer.
    Held(Message),
}

/// Where the time went, for the benchmark (milliseconds).
#[derive(Clone, Debug)]
pub struct TurnOutcome {
    /// Reading the history and making the question standalone (model calls included).
    pub rewrite_ms: f64,
    /// Routing and retrieval (a routing model call included).
    pub retrieval_ms: f64,
    /// Relevance, prompt, generation or extraction, citation checks.
    pub answer_ms: f64,
    /// The transaction that stores both messages and the usage.
    pub storage_ms: f64,
    pub total_ms: f64,
    /// How the answer came about.
    pub kind: AnswerKind,
    /// Searches run: 1, or 2 when routing narrowed to domains the first search held too few of.
    pub searches: u8,
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// How an answer was produced, before it is stored.
struct Answer {
    content: String,
    kind: AnswerKind,
    citations: Vec<Citation>,
    confidence: Option<(f32, ConfidenceLevel)>,
    relevance: Option<RelevanceDecision>,
    model: Option<String>,
    usage: Option<Usage>,
    complete: bool,
    failure: Option<(ModelFailure, String)>,
    practice: Option<PracticeOffer>,
    check: Option<PosedCheck>,
    check_reply: Option<CheckReply>,
}

impl Answer {
    fn plain(content: String, kind: AnswerKind) -> Self {
        Answer {
            content,
            kind,
            citations: Vec::new(),
            confidence: None,
            relevance: None,
            model: None,
            usage: None,
            complete: true,
            failure: None,
            practice: None,
            check: None,
            check_reply: None,
        }
    }
}

/// What retrieval and routing gave the turn.
struct Retrieval {
    sources: Vec<Source>,
    /// Domains the question was routed to (empty: not routed).
    routed: Vec<String>,
    searches: u8,
}

/// A turn as it goes through its stages: the coach, the model, and the tokens spent so far.
struct TurnRun<'a> {
    input: &'a TurnInput,
    model: Option<Arc<dyn ChatModel>>,
    model_name: Option<String>,
    usage: Usage,
    /// Whether the learner's own record may go into the prompt (the organisation's setting).
    learner_data: bool,
}

impl TurnRun<'_> {
    /// A side call to the model (rewriting, routing): its text, its usage counted.
    async fn ask_model(&mut self, prompt: Vec<(CoachRole, String)>, max_tokens: u32) -> Option<String> {
        let model = self.model.as_ref()?;
        let request = ChatRequest::new(chat_messages(prompt)).with_temperature(0.0).with_max_tokens(max_tokens);
        match model.complete(&request).await {
            Ok(done) => {
                add_usage(&mut self.usage, &done.usage);
                Some(done.content)
            }
            Err(e) => {
                tracing::warn!(error = %e, "a side call to the chat model failed; going on without it");
                None
            }
        }
    }
}

fn citation_of(source: &Source) -> Citation {
    Citation {
        number: source.number,
        chunk_id: source.chunk_id,
        document_id: source.document_id.clone(),
        document_title: source.document_title.clone(),
        section: source.section.clone(),
        page_start: source.page_start,
        page_end: source.page_end,
        text: source.text.clone(),
    }
}

/// A search hit as the numbered source the coach's rules read.
pub fn source_of(number: usize, hit: &SearchHit) -> Source {
    let chunk = &hit.chunk;
    let section: Vec<&String> =
        chunk.section_path.iter().filter(|s| !s.is_empty() && **s != chunk.document_title).collect();
    Source {
        number,
        chunk_id: chunk.id.0,
        document_id: chunk.document.to_string(),
        document_title: chunk.document_title.clone(),
        section: (!section.is_empty()).then(|| section.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" › ")),
        page_start: chunk.page_start.and_then(|p| u32::try_from(p).ok()),
        page_end: chunk.page_end.and_then(|p| u32::try_from(p).ok()),
        domains: chunk.domains.clone(),
        text: chunk.text.clone(),
        score: hit.score,
        lexical_rank: hit.lexical_rank,
        dense_rank: hit.dense_rank,
        dense_score: hit.dense_score,
        lexical_score: hit.lexical_score,
    }
}

fn chat_messages(prompt: Vec<(CoachRole, String)>) -> Vec<ChatMessage> {
    prompt
        .into_iter()
        .map(|(role, content)| match role {
            CoachRole::System => ChatMessage::system(content),
            CoachRole::User => ChatMessage::user(content),
            CoachRole::Assistant => ChatMessage::assistant(content),
        })
        .collect()
}

/// A message's text, trimmed, when its length is allowed.
fn checked_message(text: &str) -> CoachingResult<String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > crate::MAX_MESSAGE_CHARS {
        return Err(CoachingError::Invalid {
            field: "content",
            message: format!("must be 1 to {} characters", crate::MAX_MESSAGE_CHARS),
        });
    }
    Ok(text.to_string())
}

fn message_record(conversation: ConversationId, role: TurnRole, content: String, channel: Channel) -> MessageRecord {
    MessageRecord::plain(conversation, role, content, channel)
}

impl Coaching {
    /// Stores a question the AI must not answer (a person holds the conversation) and tells the
    /// caller so: the question, then `Held`.
    async fn hold_question(
        &self,
        conversation: &Conversation,
        question: String,
        channel: Channel,
    ) -> CoachingResult<mpsc::Receiver<TurnEvent>> {
        let question = checked_message(&question)?;
        let record = message_record(conversation.id, TurnRole::User, question, channel);
        self.store.append_message(conversation.org_id, &record).await?;
        if let Some(listener) = &self.listener {
            listener.stored(conversation.id, record.id);
        }
        let stored = Message::from_record(self.store.message(record.id).await?, None);
        let (events, receiver) = mpsc::channel(2);
        let _ = events.send(TurnEvent::User(stored.clone())).await;
        let _ = events.send(TurnEvent::Held(stored)).await;
        Ok(receiver)
    }

    /// What a person who joined the conversation writes to the learner, as themselves.
    pub async fn write_as(
        &self,
        conversation: &Conversation,
        author: PersonId,
        content: &str,
        channel: Channel,
    ) -> CoachingResult<Message> {
        let content = checked_message(content)?;
        let record = MessageRecord {
            kind: Some(AnswerKind::Human),
            author: Some(author),
            ..message_record(conversation.id, TurnRole::Assistant, content, channel)
        };
        self.store.append_message(conversation.org_id, &record).await?;
        if let Some(listener) = &self.listener {
            listener.stored(conversation.id, record.id);
        }
        Ok(Message::from_record(self.store.message(record.id).await?, None))
    }

    /// A supervising person takes the conversation over: the AI stops answering until they
    /// hand it back. `false` when someone else already holds it.
    pub async fn take_over(&self, conversation: ConversationId, person: PersonId) -> CoachingResult<bool> {
        let current = self.store.conversation(conversation).await?.held_by;
        if current == Some(person) {
            return Ok(true);
        }
        if current.is_some() {
            return Ok(false);
        }
        Ok(self.store.set_conversation_holder(conversation, Some(person), None).await?)
    }

    /// Hands a conversation back to the AI; `false` when `person` does not hold it.
    pub async fn hand_back(&self, conversation: ConversationId, person: PersonId) -> CoachingResult<bool> {
        Ok(self.store.set_conversation_holder(conversation, None, Some(person)).await?)
    }

    /// Asks the coach in a stored conversation the caller has loaded and may write to:
    /// the conversation's coach answers, or the organisation's default when that coach
    /// was deleted.
    pub async fn ask(
        &self,
        conversation: Conversation,
        person: PersonId,
        question: String,
        channel: Channel,
    ) -> CoachingResult<mpsc::Receiver<TurnEvent>> {
        let id = conversation.id;
        if self.store.conversation(id).await?.held_by.is_some() {
            let events = self.hold_question(&conversation, question, channel).await?;
            return Ok(self.told(id, events));
        }
        let coach = match conversation.coach_id {
            Some(id) => match self.coach(conversation.org_id, id).await {
                Err(CoachingError::NotFound(_)) => self.default_coach(conversation.org_id).await?,
                found => found?,
            },
            None => self.default_coach(conversation.org_id).await?,
        };
        let input = TurnInput {
            org: conversation.org_id,
            person,
            coach,
            thread: Thread::Stored(conversation),
            question,
            channel,
        };
        let events = self.answer(input).await?;
        Ok(self.told(id, events))
    }

    /// Passes a stored conversation's turn events on, telling the listener about each first.
    /// When the caller stops listening (a closed connection), the turn's own receiver is
    /// dropped too, as it would have been without a listener.
    fn told(&self, conversation: ConversationId, mut events: mpsc::Receiver<TurnEvent>) -> mpsc::Receiver<TurnEvent> {
        let Some(listener) = self.listener.clone() else { return events };
        let (forward, receiver) = mpsc::channel(64);
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                match &event {
                    TurnEvent::User(m) => listener.question(conversation, m),
                    TurnEvent::Delta(text) => listener.delta(conversation, text),
                    TurnEvent::Sources(_) => {}
                    // Stored messages are told where they are stored.
                    TurnEvent::Done(_) | TurnEvent::Held(_) => {}
                    TurnEvent::Failed { message, .. } => listener.failed(conversation, message),
                }
                if forward.send(event).await.is_err() {
                    return;
                }
            }
        });
        receiver
    }

    /// Checks the message and the budgets, then answers in a background task
    /// whose events arrive on the returned channel. Errors here (bad input,
    /// over budget) mean nothing was stored and no model was called.
    pub async fn answer(&self, input: TurnInput) -> CoachingResult<mpsc::Receiver<TurnEvent>> {
        let question = checked_message(&input.question)?;
        self.check_budget(input.org, input.person).await?;
        let (events, receiver) = mpsc::channel(64);
        let this = self.clone();
        tokio::spawn(async move {
            let input = TurnInput { question, ..input };
            if let Err(e) = this.run_turn(input, &events).await {
                tracing::error!(error = %e, "a coach turn failed");
                let _ = events
                    .send(TurnEvent::Failed {
                        failure: TurnFailure::Internal,
                        message: "Something went wrong while answering. Please try again.".into(),
                        partial: None,
                    })
                    .await;
            }
        });
        Ok(receiver)
    }

    /// The turn itself, stage by stage; returns the timings (used by the benchmark).
    pub async fn run_turn(&self, input: TurnInput, events: &mpsc::Sender<TurnEvent>) -> CoachingResult<TurnOutcome> {
        let outcome = self.run_stages(input, events).await?;
        // Each stage's time and the answer's kind, for the Prometheus exposition.
        for (stage, ms) in [
            ("rewrite", outcome.rewrite_ms),
            ("retrieval", outcome.retrieval_ms),
            ("answer", outcome.answer_ms),
            ("storage", outcome.storage_ms),
            ("turn", outcome.total_ms),
        ] {
            metrics::histogram!("wayfinder_coach_stage_seconds", "stage" => stage).record(ms / 1000.0);
        }
        metrics::counter!("wayfinder_coach_answers_total", "kind" => <&str>::from(outcome.kind)).increment(1);
        Ok(outcome)
    }

    async fn run_stages(&self, input: TurnInput, events: &mpsc::Sender<TurnEvent>) -> CoachingResult<TurnOutcome> {
        let started = Instant::now();
        let (history, open_check) = self.history(&input.thread).await?;
        let conversation = match &input.thread {
            Thread::Stored(c) => c.id,
            Thread::Stateless(_) => ConversationId::default(),
        };
        let user = message_record(conversation, TurnRole::User, input.question.clone(), input.channel);
        let _ = events.send(TurnEvent::User(Message::from_record(user.clone(), None))).await;
        let mut run = self.start_run(&input).await;
        self.apply_prompt_privacy(&mut run).await?;

        // A reply to the check question the coach just posed is graded, and answered with the
        // verdict alone: it answers the coach rather than asking it something.
        if let (Some((posed_in, check)), Some(records)) = (open_check, &self.learners)
            && let Some(reply) =
                records.grade_check(input.org, input.person, &check, &input.question, &posed_in.to_string()).await
        {
            let t = Instant::now();
            let verdict = check_verdict(&reply);
            let _ = events.send(TurnEvent::Delta(verdict.clone())).await;
            let answer = Answer { check_reply: Some(reply), ..Answer::plain(verdict, AnswerKind::CheckFeedback) };
            let answer_ms = ms_since(t);
            let t = Instant::now();
            let assistant = self.store_turn(run, user, None, answer, Vec::new(), started).await?;
            let storage_ms = ms_since(t);
            let _ = events.send(TurnEvent::Done(Message::from_record(assistant, None))).await;
            return Ok(TurnOutcome {
                rewrite_ms: 0.0,
                retrieval_ms: 0.0,
                answer_ms,
                storage_ms,
                total_ms: ms_since(started),
                kind: AnswerKind::CheckFeedback,
                searches: 0,
            });
        }

        let standalone = self.standalone(&mut run, &history).await;
        let rewrite_ms = ms_since(started);

        let t = Instant::now();
        let retrieval = self.retrieve(&mut run, &standalone).await?;
        let retrieval_ms = ms_since(t);
        let _ = events.send(TurnEvent::Sources(retrieval.sources.iter().map(citation_of).collect())).await;

        let t = Instant::now();
        let answer = self.decide(&mut run, &standalone, &retrieval.sources, &history, events).await;
        let answer_ms = ms_since(t);

        let t = Instant::now();
        let kind = answer.kind;
        let failure = answer.failure.clone();
        let assistant = self.store_turn(run, user, Some(&standalone), answer, retrieval.routed, started).await?;
        let storage_ms = ms_since(t);

        let stored = Message::from_record(assistant, None);
        let _ = match failure {
            Some((failure, message)) => {
                let failure = TurnFailure::Model(failure);
                events.send(TurnEvent::Failed { failure, message, partial: Some(stored) }).await
            }
            None => events.send(TurnEvent::Done(stored)).await,
        };
        Ok(TurnOutcome {
            rewrite_ms,
            retrieval_ms,
            answer_ms,
            storage_ms,
            total_ms: ms_since(started),
            kind,
            searches: retrieval.searches,
        })
    }

    /// Stage 1: the history, from the stored conversation (finished answers only) or the caller,
    /// and the check question the last answer posed (with that answer's id), if it did.
    async fn history(&self, thread: &Thread) -> CoachingResult<(Vec<Turn>, Option<(MessageId, PosedCheck)>)> {
        Ok(match thread {
            Thread::Stored(conversation) => {
                let messages = self.store.messages(conversation.id, Some(HISTORY_MESSAGES)).await?;
                let open_check = messages.last().filter(|m| m.role == TurnRole::Assistant).and_then(|m| {
                    let stored: StoredCitations = serde_json::from_value(m.citations.clone()).ok()?;
                    Some((m.id, stored.check?))
                });
                let turns = messages
                    .into_iter()
                    .filter(|m| m.complete || m.role == TurnRole::User)
                    .map(|m| Turn { role: m.role, content: m.content })
                    .collect();
                (turns, open_check)
            }
            Thread::Stateless(history) => (history.clone(), None),
        })
    }

    /// The coach's model for this turn — on the organisation's own endpoint when it has one —
    /// (none: extractive answers).
    async fn start_run<'a>(&self, input: &'a TurnInput) -> TurnRun<'a> {
        let coach = &input.coach;
        let (model, model_name) = self.models.client_for(input.org, coach.model.as_deref()).await;
        let usage = Usage { input_tokens: 0, output_tokens: 0, reported: true };
        TurnRun { input, model, model_name, usage, learner_data: true }
    }

    /// The organisation's prompt privacy for this turn: the model sees placeholders for personal
    /// data (and the answer gets them back), and no learner record when it says so.
    async fn apply_prompt_privacy(&self, run: &mut TurnRun<'_>) -> CoachingResult<()> {
        let privacy = self.store.prompt_privacy(run.input.org).await?;
        run.learner_data = !privacy.no_learner_data;
        if privacy.redact_personal_data
            && let Some(model) = run.model.take()
        {
            let redactor = Redactor::new(&self.store.member_names(run.input.org).await?);
            run.model = Some(Arc::new(crate::redaction::RedactingModel::new(model, redactor)));
        }
        Ok(())
    }

    /// Stage 2: a follow-up becomes a standalone question for retrieval (with the model when
    /// there is one, by the rules otherwise).
    async fn standalone(&self, run: &mut TurnRun<'_>, history: &[Turn]) -> String {
        let question = &run.input.question;
        if !needs_rewrite(question, history) {
            return question.clone();
        }
        let rewritten = run.ask_model(rewrite_prompt(question, history), 120).await;
        rewritten.as_deref().and_then(clean_rewrite).unwrap_or_else(|| standalone_question(question, history))
    }

    /// Stage 3: retrieve wide, route by the domains of what came back, keep the coach's depth.
    async fn retrieve(&self, run: &mut TurnRun<'_>, standalone: &str) -> CoachingResult<Retrieval> {
        let (org, coach) = (run.input.org, &run.input.coach);
        let depth = coach.retrieval_depth.clamp(1, 30) as usize;
        let collections = (!coach.collections.is_empty()).then(|| coach.collections.clone());
        let search = |k: usize, domains: Option<Vec<String>>| SearchRequest {
            query: standalone.chars().take(2000).collect(),
            collections: collections.clone(),
            domains,
            documents: None,
            k,
            mode: SearchMode::Hybrid,
        };
        let mut hits: Vec<SearchHit> = self.knowledge.search(org, &search(ROUTING_POOL.max(depth), None)).await?.hits;
        let mut searches = 1;
        let routed = self.route(run, standalone, &hits).await;
        if !routed.is_empty() {
            let in_domain = |h: &SearchHit| h.chunk.domains.iter().any(|d| routed.contains(d));
            if hits.iter().filter(|h| in_domain(h)).count() < depth {
                hits = self.knowledge.search(org, &search(depth, Some(routed.clone()))).await?.hits;
                searches = 2;
            } else {
                hits.retain(in_domain);
            }
        }
        let dense_ranks: Vec<Option<usize>> = hits.iter().map(|h| h.dense_rank).collect();
        let kept = kept_sources(&dense_ranks, depth);
        let sources = kept.iter().enumerate().map(|(i, &at)| source_of(i + 1, &hits[at])).collect();
        Ok(Retrieval { sources, routed, searches })
    }

    /// The coach's domains the question belongs to, by the retrieval votes or, when those are
    /// not confident, by the model; empty when the coach has no domains or nothing is confident.
    async fn route(&self, run: &mut TurnRun<'_>, standalone: &str, hits: &[SearchHit]) -> Vec<String> {
        let domains = &run.input.coach.domains;
        if domains.is_empty() {
            return Vec::new();
        }
        let votes: Vec<(Vec<String>, f32, usize)> =
            hits.iter().enumerate().map(|(i, h)| (h.chunk.domains.clone(), h.score, i + 1)).collect();
        let mut routing = route_domains(domains, &votes);
        if !routing.confident
            && let Some(reply) = run.ask_model(routing_prompt(standalone, domains), 60).await
        {
            routing = parse_routing(&reply, domains);
        }
        if routing.confident { routing.domains } else { Vec::new() }
    }

    /// Stage 4: refuse, extract, or generate with validated citations.
    async fn decide(
        &self,
        run: &mut TurnRun<'_>,
        standalone: &str,
        sources: &[Source],
        history: &[Turn],
        events: &mpsc::Sender<TurnEvent>,
    ) -> Answer {
        let coach = &run.input.coach;
        let threshold = coach.relevance_threshold.map_or(DEFAULT_THRESHOLD, |t| t as f32);
        let Relevance { decision, sources: relevance } = judge_relevance(standalone, sources, threshold);
        let relevant = decision.answerable;
        let mode = coach.answer_mode;
        let answer = if !relevant && mode == AnswerMode::Grounded {
            Answer::plain(refusal_text(mode, &coach.name), AnswerKind::Refusal)
        } else if let Some(model) = &run.model {
            let (given, given_relevance): (&[Source], &[SourceRelevance]) =
                if relevant { (sources, &relevance) } else { (&[], &[]) };
            let learner = match &self.learners {
                Some(records) if run.learner_data => {
                    let chunks: Vec<i64> = given.iter().map(|s| s.chunk_id).collect();
                    records.standing(run.input.org, run.input.person, &chunks).await
                }
                _ => None,
            };
            let prompt = PromptInput {
                learner: learner.as_ref(),
                coach_name: &coach.name,
                instructions: &coach.instructions,
                style: coach.style,
                mode,
                sources: given,
                history,
                question: &run.input.question,
                max_history_chars: MAX_HISTORY_CHARS,
            };
            let mut request = ChatRequest::new(chat_messages(wayfinder_coach_rules::build_prompt(&prompt)));
            request.temperature = coach.temperature.map(|t| t as f32);
            request.max_tokens = coach.max_output_tokens.and_then(|m| u32::try_from(m).ok());
            self.generate(model.as_ref(), &request, given, given_relevance, events).await
        } else {
            match extract_answer(standalone, sources, &relevance, &ExtractiveOptions::default()) {
                Some(extract) => {
                    let conf = confidence(&relevance, &extract.cited, citation_coverage(&extract.text));
                    let _ = events.send(TurnEvent::Delta(extract.text.clone())).await;
                    Answer {
                        citations: extract.cited.iter().filter_map(|n| sources.get(n - 1)).map(citation_of).collect(),
                        confidence: Some((conf.score, conf.level)),
                        ..Answer::plain(extract.text, AnswerKind::Extractive)
                    }
                }
                None => Answer::plain(refusal_text(AnswerMode::Grounded, &coach.name), AnswerKind::Refusal),
            }
        };
        if let Some(u) = &answer.usage {
            add_usage(&mut run.usage, u);
        }
        // An answer that taught something the learner can practise offers it.
        let (practice, check) = match &self.learners {
            Some(records) if answer.complete && !answer.citations.is_empty() => {
                let chunks: Vec<i64> = answer.citations.iter().map(|c| c.chunk_id).collect();
                let practice = records.practice_offer(run.input.org, run.input.person, &chunks).await;
                // A Socratic coach also checks understanding with a question from the bank.
                let check = match (&practice, coach.style) {
                    (Some(offer), CoachStyle::Socratic) => {
                        records.check_question(run.input.org, run.input.person, &offer.concept_id).await
                    }
                    _ => None,
                };
                (practice, check)
            }
            _ => (None, None),
        };
        let mut answer = Answer { relevance: Some(decision), practice, ..answer };
        if let Some(check) = check {
            let posed = format!("\n\n**Check your understanding:** {}", check.text);
            let _ = events.send(TurnEvent::Delta(posed.clone())).await;
            answer.content.push_str(&posed);
            answer.check = Some(check);
        }
        answer
    }

    /// Stage 5: both messages and the usage in one transaction (a stateless turn keeps only the
    /// usage); returns the stored answer.
    async fn store_turn(
        &self,
        run: TurnRun<'_>,
        user: MessageRecord,
        standalone: Option<&str>,
        answer: Answer,
        routed: Vec<String>,
        started: Instant,
    ) -> CoachingResult<MessageRecord> {
        let input = run.input;
        let usage_total = run.usage;
        // What became of the question, for the question log (a reply to a check question is none).
        let outcome = standalone.and(match answer.kind {
            AnswerKind::Refusal => Some(QuestionOutcome::Refused),
            AnswerKind::Error => Some(QuestionOutcome::Failed),
            AnswerKind::CheckFeedback | AnswerKind::Human | AnswerKind::Interviewer => None,
            AnswerKind::Generated | AnswerKind::Extractive => Some(match answer.confidence {
                Some((_, ConfidenceLevel::Low)) => QuestionOutcome::LowConfidence,
                _ => QuestionOutcome::Answered,
            }),
        });
        let asked = AskedQuestion {
            person: input.person,
            coach: Some(input.coach.id),
            question: standalone.unwrap_or(&user.content).chars().take(2_000).collect(),
            outcome,
            topic: answer.citations.first().map(|c| match &c.section {
                Some(section) => format!("{} › {section}", c.document_title),
                None => c.document_title.clone(),
            }),
        };
        let cost = run.model_name.as_deref().map(|m| self.models.cost(m, &usage_total)).unwrap_or(0.0);
        let assistant = MessageRecord {
            kind: Some(answer.kind),
            citations: serde_json::to_value(StoredCitations {
                citations: answer.citations,
                confidence_level: answer.confidence.map(|(_, level)| level),
                relevance: answer.relevance,
                practice: answer.practice,
                check: answer.check,
                check_reply: answer.check_reply,
            })
            .unwrap_or_default(),
            domains: routed,
            confidence: answer.confidence.map(|(s, _)| f64::from(s)),
            model: answer.model,
            input_tokens: i64::from(usage_total.input_tokens),
            output_tokens: i64::from(usage_total.output_tokens),
            cost,
            latency_ms: started.elapsed().as_millis() as i64,
            complete: answer.complete,
            ..message_record(user.conversation, TurnRole::Assistant, answer.content, user.channel)
        };
        let usage = (usage_total.input_tokens + usage_total.output_tokens > 0).then(|| UsageRecord {
            org: input.org,
            person: Some(input.person),
            coach: Some(input.coach.id),
            model: run.model_name.clone().unwrap_or_default(),
            input_tokens: i64::from(usage_total.input_tokens),
            output_tokens: i64::from(usage_total.output_tokens),
            cost,
        });
        metrics::counter!("wayfinder_model_tokens_total", "direction" => "input")
            .increment(u64::from(usage_total.input_tokens));
        metrics::counter!("wayfinder_model_tokens_total", "direction" => "output")
            .increment(u64::from(usage_total.output_tokens));
        metrics::gauge!("wayfinder_model_cost_total").increment(cost);
        match &input.thread {
            Thread::Stored(conversation) => {
                let retitle = (conversation.title == NEW_CONVERSATION).then(|| title_from(&input.question));
                self.store
                    .append_turn(input.org, [&user, &assistant], usage.as_ref(), retitle.as_deref(), &asked)
                    .await?;
                // Told here, when stored, so followers get the turn even when its asker stopped
                // listening part-way (the partial answer is stored then too).
                if let Some(listener) = &self.listener {
                    listener.stored(conversation.id, user.id);
                    listener.stored(conversation.id, assistant.id);
                }
            }
            Thread::Stateless(_) => {
                if let Some(usage) = &usage {
                    self.store.record_usage(usage).await?;
                }
            }
        }
        Ok(assistant)
    }

    /// Streams the model's answer to `events`, then validates its citations.
    async fn generate(
        &self,
        model: &dyn ChatModel,
        request: &ChatRequest,
        sources: &[Source],
        relevance: &[SourceRelevance],
        events: &mpsc::Sender<TurnEvent>,
    ) -> Answer {
        let failed = |e: &ChatError, partial: String| {
            tracing::error!(error = %e, code = %e.code(), "the chat model failed");
            let content = if partial.is_empty() { e.user_message() } else { partial };
            Answer {
                model: Some(model.model_id().to_string()),
                complete: false,
                failure: Some((e.code(), e.user_message())),
                ..Answer::plain(content, AnswerKind::Error)
            }
        };
        let mut stream = match model.stream(request).await {
            Ok(s) => s,
            Err(e) => return failed(&e, String::new()),
        };
        let mut text = String::new();
        let mut finished = None;
        while let Some(event) = stream.next().await {
            match event {
                Ok(StreamEvent::Delta(delta)) => {
                    text.push_str(&delta);
                    if events.send(TurnEvent::Delta(delta)).await.is_err() {
                        // The person stopped the answer (or left): keep what was said, marked incomplete.
                        let usage = Usage::estimated(&request.messages, &text);
                        return Answer {
                            model: Some(model.model_id().to_string()),
                            usage: Some(usage),
                            complete: false,
                            ..Answer::plain(text, AnswerKind::Generated)
                        };
                    }
                }
                Ok(StreamEvent::Done(done)) => {
                    finished = Some(done);
                    break;
                }
                Err(e) => {
                    let partial = match &e {
                        ChatError::Interrupted { partial, .. } if partial.len() >= text.len() => partial.clone(),
                        _ => text.clone(),
                    };
                    let mut answer = failed(&e, partial.clone());
                    answer.kind = if partial.is_empty() { AnswerKind::Error } else { AnswerKind::Generated };
                    answer.usage = Some(Usage::estimated(&request.messages, &partial));
                    return answer;
                }
            }
        }
        let Some(done) = finished else {
            let e = ChatError::Interrupted { partial: text.clone(), message: "the stream ended early".into() };
            let mut answer = failed(&e, text.clone());
            answer.kind = AnswerKind::Generated;
            return answer;
        };
        let cited = validate_citations(&done.content, sources.len());
        let conf = confidence(relevance, &cited.cited, citation_coverage(&cited.text));
        Answer {
            citations: cited.cited.iter().filter_map(|n| sources.get(n - 1)).map(citation_of).collect(),
            confidence: Some((conf.score, conf.level)),
            model: Some(done.model.clone()),
            usage: Some(done.usage),
            ..Answer::plain(cited.text, AnswerKind::Generated)
        }
    }
}

fn add_usage(total: &mut Usage, more: &Usage) {
    total.input_tokens += more.input_tokens;
    total.output_tokens += more.output_tokens;
    total.reported &= more.reported;
}

/// The coach's verdict on a reply to its check question.
fn check_verdict(reply: &CheckReply) -> String {
    if reply.correct {
        "Right, well done. Ask me about anything you want to go further on.".to_string()
    } else {
        format!("Not quite: the answer is {}. Ask me about it if you want to go over it again.", reply.correct_answer)
    }
}
