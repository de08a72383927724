//! One turn of a conversation: from a person's message to a stored, cited
//! answer, with events for a streaming client along the way.
//!
//! The turn runs in its own task and reports through a channel, so a client
//! that goes away (the stop button, a closed tab) ends generation: what was
//! said so far is stored as incomplete, never as a finished answer.

use crate::{
    Citation, Coach, Coaching, CoachingError, CoachingResult, Message, NEW_CONVERSATION, title_from,
    views::StoredCitations,
};
use futures::StreamExt;
use std::{sync::Arc, time::Instant};
use tokio::sync::mpsc;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_coach_rules::{
    AnswerMode, ConfidenceLevel, ConversationId, ExtractiveOptions, MessageId, PromptInput, Role as CoachRole, Source,
    SourceRelevance, Turn, TurnRole, assess_relevance, citation_coverage, clean_rewrite, confidence, extractive_answer,
    needs_rewrite, parse_routing, refusal_text, rewrite_prompt, route_domains, routing_prompt, standalone_question,
    validate_citations,
};
use wayfinder_knowledge::{SearchHit, SearchMode, SearchRequest};
use wayfinder_llm::{ChatError, ChatMessage, ChatModel, ChatRequest, StreamEvent, Usage};
use wayfinder_store::{MessageRecord, UsageRecord};

/// History sent to the model, in characters (older turns are dropped first).
const MAX_HISTORY_CHARS: usize = 6_000;
/// Stored messages read back as history for rewriting and the prompt.
const HISTORY_MESSAGES: i64 = 12;
/// Passages retrieved before routing narrows them (routing votes need a wider view).
const ROUTING_POOL: usize = 30;

/// What a turn is about.
#[derive(Clone, Debug)]
pub struct TurnInput {
    pub org: OrgId,
    pub person: PersonId,
    pub coach: Coach,
    /// The stored conversation, or `None` for a stateless call (the OpenAI-compatible endpoint).
    pub conversation: Option<ConversationId>,
    /// Earlier turns when stateless (stored conversations read their own).
    pub history: Vec<Turn>,
    pub question: String,
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
    Failed { code: &'static str, message: String, partial: Option<Message> },
}

/// Where the time went, for the benchmark (milliseconds).
#[derive(Clone, Debug, Default)]
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
    /// How the answer came about: `generated`, `extractive`, `refusal` or `error`.
    pub kind: &'static str,
    /// Searches run: 1, or 2 when routing narrowed to domains the first search held too few of.
    pub searches: u8,
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// How an answer was produced, before it is stored.
struct Answer {
    content: String,
    kind: &'static str,
    citations: Vec<Citation>,
    confidence: Option<(f32, ConfidenceLevel)>,
    model: Option<String>,
    usage: Option<Usage>,
    complete: bool,
    failure: Option<(&'static str, String)>,
}

impl Answer {
    fn plain(content: String, kind: &'static str) -> Self {
        Answer {
            content,
            kind,
            citations: Vec::new(),
            confidence: None,
            model: None,
            usage: None,
            complete: true,
            failure: None,
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

fn source_of(number: usize, hit: &SearchHit) -> Source {
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

fn level_name(level: ConfidenceLevel) -> &'static str {
    match level {
        ConfidenceLevel::Low => "low",
        ConfidenceLevel::Medium => "medium",
        ConfidenceLevel::High => "high",
    }
}

impl Coaching {
    /// Checks the message and the budgets, then answers in a background task
    /// whose events arrive on the returned channel. Errors here (bad input,
    /// over budget) mean nothing was stored and no model was called.
    pub async fn answer(&self, input: TurnInput) -> CoachingResult<mpsc::Receiver<TurnEvent>> {
        let question = input.question.trim().to_string();
        if question.is_empty() || question.chars().count() > crate::MAX_MESSAGE_CHARS {
            return Err(CoachingError::Invalid {
                field: "content",
                message: format!("must be 1 to {} characters", crate::MAX_MESSAGE_CHARS),
            });
        }
        self.check_budget(input.org, input.person).await?;
        let (events, receiver) = mpsc::channel(64);
        let this = self.clone();
        tokio::spawn(async move {
            let input = TurnInput { question, ..input };
            if let Err(e) = this.run_turn(input, &events).await {
                tracing::error!(error = %e, "a coach turn failed");
                let _ = events
                    .send(TurnEvent::Failed {
                        code: "internal",
                        message: "Something went wrong while answering. Please try again.".into(),
                        partial: None,
                    })
                    .await;
            }
        });
        Ok(receiver)
    }

    /// The turn itself; returns the timings (used by the benchmark).
    pub async fn run_turn(&self, input: TurnInput, events: &mpsc::Sender<TurnEvent>) -> CoachingResult<TurnOutcome> {
        let started = Instant::now();
        let mut outcome = TurnOutcome::default();
        let coach = &input.coach;
        let history = match input.conversation {
            Some(id) => self
                .store
                .messages(id, Some(HISTORY_MESSAGES))
                .await?
                .into_iter()
                .filter(|m| m.complete || m.role == "user")
                .map(|m| Turn {
                    role: if m.role == "user" { TurnRole::User } else { TurnRole::Assistant },
                    content: m.content,
                })
                .collect(),
            None => input.history.clone(),
        };
        let user = MessageRecord {
            id: MessageId::new(),
            conversation: input.conversation.unwrap_or_default(),
            role: "user".into(),
            content: input.question.clone(),
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
            created_at: chrono::Utc::now(),
        };
        let _ = events.send(TurnEvent::User(Message::from_record(user.clone(), None))).await;

        let model_name = coach.model.clone().or_else(|| self.models.default_model().map(String::from));
        let model: Option<Arc<dyn ChatModel>> = match self.models.client(coach.model.as_deref()) {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(error = %e, "the chat model is misconfigured");
                None
            }
        };
        let mut usage_total = Usage { input_tokens: 0, output_tokens: 0, reported: true };

        // (a) A follow-up becomes a standalone question for retrieval.
        let standalone = if needs_rewrite(&input.question, &history) {
            let mut rewritten = None;
            if let Some(model) = &model {
                let request = ChatRequest::new(chat_messages(rewrite_prompt(&input.question, &history)))
                    .with_temperature(0.0)
                    .with_max_tokens(120);
                match model.complete(&request).await {
                    Ok(done) => {
                        add_usage(&mut usage_total, &done.usage);
                        rewritten = clean_rewrite(&done.content);
                    }
                    Err(e) => tracing::warn!(error = %e, "rewriting with the model failed; rewriting without it"),
                }
            }
            rewritten.unwrap_or_else(|| standalone_question(&input.question, &history))
        } else {
            input.question.clone()
        };
        outcome.rewrite_ms = ms_since(started);

        // (b, c) Retrieve wide, route by the domains of what came back, keep the coach's depth.
        let t = Instant::now();
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
        let pool = self.knowledge.search(input.org, &search(ROUTING_POOL.max(depth), None)).await?;
        outcome.searches = 1;
        let mut routed: Vec<String> = Vec::new();
        let mut hits: Vec<SearchHit> = pool.hits;
        if !coach.domains.is_empty() {
            let votes: Vec<(Vec<String>, f32, usize)> =
                hits.iter().enumerate().map(|(i, h)| (h.chunk.domains.clone(), h.score, i + 1)).collect();
            let mut routing = route_domains(&coach.domains, &votes);
            if !routing.confident
                && let Some(model) = &model
            {
                let request = ChatRequest::new(chat_messages(routing_prompt(&standalone, &coach.domains)))
                    .with_temperature(0.0)
                    .with_max_tokens(60);
                if let Ok(done) = model.complete(&request).await {
                    add_usage(&mut usage_total, &done.usage);
                    routing = parse_routing(&done.content, &coach.domains);
                }
            }
            if routing.confident {
                routed = routing.domains.clone();
                let in_domain = |h: &SearchHit| h.chunk.domains.iter().any(|d| routed.contains(d));
                if hits.iter().filter(|h| in_domain(h)).count() < depth {
                    hits = self.knowledge.search(input.org, &search(depth, Some(routed.clone()))).await?.hits;
                    outcome.searches = 2;
                } else {
                    hits.retain(in_domain);
                }
            }
        }
        hits.truncate(depth);
        let sources: Vec<Source> = hits.iter().enumerate().map(|(i, h)| source_of(i + 1, h)).collect();
        outcome.retrieval_ms = ms_since(t);
        let _ = events.send(TurnEvent::Sources(sources.iter().map(citation_of).collect())).await;

        // (d–g) Answer: refuse, extract, or generate with validated citations.
        let relevance = assess_relevance(&standalone, &sources);
        let relevant = relevance.iter().any(|r| r.relevant);
        let mode = coach.mode();
        let t = Instant::now();
        let answer = if !relevant && mode == AnswerMode::Grounded {
            Answer::plain(refusal_text(mode, &coach.name), "refusal")
        } else if let Some(model) = &model {
            let (given, given_relevance): (&[Source], &[SourceRelevance]) =
                if relevant { (&sources, &relevance) } else { (&[], &[]) };
            let prompt = PromptInput {
                coach_name: &coach.name,
                instructions: &coach.instructions,
                style: coach.style(),
                mode,
                sources: given,
                history: &history,
                question: &input.question,
                max_history_chars: MAX_HISTORY_CHARS,
            };
            let mut request = ChatRequest::new(chat_messages(wayfinder_coach_rules::build_prompt(&prompt)));
            request.temperature = coach.temperature.map(|t| t as f32);
            request.max_tokens = coach.max_output_tokens.and_then(|m| u32::try_from(m).ok());
            self.generate(model.as_ref(), &request, given, given_relevance, events).await
        } else {
            match extractive_answer(&standalone, &sources, &ExtractiveOptions::default()) {
                Some(extract) => {
                    let conf = confidence(&relevance, &extract.cited, citation_coverage(&extract.text));
                    let _ = events.send(TurnEvent::Delta(extract.text.clone())).await;
                    Answer {
                        citations: extract.cited.iter().filter_map(|n| sources.get(n - 1)).map(citation_of).collect(),
                        confidence: Some((conf.score, conf.level)),
                        ..Answer::plain(extract.text, "extractive")
                    }
                }
                None => Answer::plain(refusal_text(AnswerMode::Grounded, &coach.name), "refusal"),
            }
        };
        outcome.answer_ms = ms_since(t);
        outcome.kind = answer.kind;
        if let Some(u) = &answer.usage {
            add_usage(&mut usage_total, u);
        }

        // (h) Both messages in one transaction, with the usage.
        let t = Instant::now();
        let latency_ms = started.elapsed().as_millis() as i64;
        let cost = model_name.as_deref().map(|m| self.models.cost(m, &usage_total)).unwrap_or(0.0);
        let assistant = MessageRecord {
            id: MessageId::new(),
            conversation: user.conversation,
            role: "assistant".into(),
            content: answer.content.clone(),
            kind: Some(answer.kind.into()),
            citations: serde_json::to_value(StoredCitations {
                citations: answer.citations.clone(),
                confidence_level: answer.confidence.map(|(_, l)| level_name(l).to_string()),
            })
            .unwrap_or_default(),
            domains: routed,
            confidence: answer.confidence.map(|(s, _)| f64::from(s)),
            model: answer.model.clone(),
            input_tokens: i64::from(usage_total.input_tokens),
            output_tokens: i64::from(usage_total.output_tokens),
            cost,
            latency_ms,
            complete: answer.complete,
            created_at: chrono::Utc::now(),
        };
        let usage = (usage_total.input_tokens + usage_total.output_tokens > 0).then(|| UsageRecord {
            org: input.org,
            person: Some(input.person),
            model: model_name.clone().unwrap_or_default(),
            input_tokens: i64::from(usage_total.input_tokens),
            output_tokens: i64::from(usage_total.output_tokens),
            cost,
        });
        match input.conversation {
            Some(id) => {
                let conversation = self.store.conversation(id).await?;
                let retitle = (conversation.title == NEW_CONVERSATION).then(|| title_from(&input.question));
                self.store.append_turn(input.org, [&user, &assistant], usage.as_ref(), retitle.as_deref()).await?;
            }
            None => {
                if let Some(usage) = &usage {
                    self.store.record_usage(usage).await?;
                }
            }
        }
        outcome.storage_ms = ms_since(t);
        let stored = Message::from_record(assistant, None);
        match answer.failure {
            Some((code, message)) => {
                let _ = events.send(TurnEvent::Failed { code, message, partial: Some(stored) }).await;
            }
            None => {
                let _ = events.send(TurnEvent::Done(stored)).await;
            }
        }
        outcome.total_ms = ms_since(started);
        Ok(outcome)
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
            tracing::error!(error = %e, code = e.code(), "the chat model failed");
            let content = if partial.is_empty() { e.user_message() } else { partial };
            Answer {
                model: Some(model.model_id().to_string()),
                complete: false,
                failure: Some((e.code(), e.user_message())),
                ..Answer::plain(content, "error")
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
                            ..Answer::plain(text, "generated")
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
                    answer.kind = if partial.is_empty() { "error" } else { "generated" };
                    answer.usage = Some(Usage::estimated(&request.messages, &partial));
                    return answer;
                }
            }
        }
        let Some(done) = finished else {
            let e = ChatError::Interrupted { partial: text.clone(), message: "the stream ended early".into() };
            let mut answer = failed(&e, text.clone());
            answer.kind = "generated";
            return answer;
        };
        let cited = validate_citations(&done.content, sources.len());
        let conf = confidence(relevance, &cited.cited, citation_coverage(&cited.text));
        Answer {
            citations: cited.cited.iter().filter_map(|n| sources.get(n - 1)).map(citation_of).collect(),
            confidence: Some((conf.score, conf.level)),
            model: Some(done.model.clone()),
            usage: Some(done.usage),
            ..Answer::plain(cited.text, "generated")
        }
    }
}

fn add_usage(total: &mut Usage, more: &Usage) {
    total.input_tokens += more.input_tokens;
    total.output_tokens += more.output_tokens;
    total.reported &= more.reported;
}
