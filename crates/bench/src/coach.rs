//! `wayfinder-bench coach`: what a coach turn costs besides the model, printed,
//! never asserted. On a throwaway database of the configured backend it builds
//! a synthetic corpus (as `bench knowledge` does, in four domains), a coach
//! that routes to those domains, and conversations of several turns, the later
//! ones follow-ups that need rewriting. Each turn runs the real pipeline:
//! budget check, history, rewrite, routing, hybrid retrieval, relevance,
//! prompt, generation, citation checks and the transaction that stores both
//! messages.
//!
//! Model time is taken out by answering with an in-process model that replies
//! at once (streamed in word-sized pieces, citing two sources), so the figures
//! are the turn's own overhead. A second pass runs with no model: extractive
//! answers, the embedded default.

use crate::{
    api::Scratch,
    cli::BenchCoachArgs,
    knowledge::{Corpus, Rng, SyntheticEmbedder, rss},
};
use async_trait::async_trait;
use futures::stream::{self, BoxStream};
use std::{collections::BTreeMap, collections::HashMap, sync::Arc, time::Instant};
use tokio::sync::mpsc;
use wayfinder::config::Config;
use wayfinder_accounts_rules::{PersonId, Role};
use wayfinder_channels_rules::Channel;
use wayfinder_coach::{CoachSpec, Coaching, Models, Thread, TurnInput, TurnOutcome};
use wayfinder_coach_rules::AnswerMode;
use wayfinder_knowledge_rules::metrics::percentile;
use wayfinder_llm::{ChatError, ChatModel, ChatRequest, Completion, Role as ChatRole, StreamEvent, Usage};
use wayfinder_store::{NewPerson, Store, StoreOptions};

const DOMAINS: [&str; 4] = ["assessment", "feedback", "planning", "wellbeing"];
/// Turns per conversation: one opening question, then follow-ups.
const TURNS_PER_CONVERSATION: usize = 4;

/// Answers at once: a rewrite or routing request gets the question back, a
/// streamed answer comes in word-sized pieces and cites sources 1 and 2.
struct InstantModel;

const INSTANT_ANSWER: &str = "Start from what the sources say about the question and work through it in small \
    steps, checking your understanding as you go [1]. When a step is unclear, go back to the passage and compare \
    it with an example you already know, then try a short practice question before moving on [2]. Keep notes of \
    what you found hard so that the next session starts there, and ask your coach about anything the sources do \
    not settle.";

#[async_trait]
impl ChatModel for InstantModel {
    fn model_id(&self) -> &str {
        "bench:instant"
    }

    async fn complete(&self, req: &ChatRequest) -> Result<Completion, ChatError> {
        let question = req.messages.iter().rev().find(|m| m.role == ChatRole::User).map(|m| m.content.as_str());
        let content = question.unwrap_or_default().lines().last().unwrap_or_default().to_string();
        Ok(Completion {
            usage: Usage::estimated(&req.messages, &content),
            content,
            model: self.model_id().into(),
            finish_reason: Some("stop".into()),
        })
    }

    async fn stream(&self, req: &ChatRequest) -> Result<BoxStream<'static, Result<StreamEvent, ChatError>>, ChatError> {
        let mut events: Vec<Result<StreamEvent, ChatError>> =
            INSTANT_ANSWER.split_inclusive(' ').map(|w| Ok(StreamEvent::Delta(w.to_string()))).collect();
        events.push(Ok(StreamEvent::Done(Completion {
            content: INSTANT_ANSWER.into(),
            model: self.model_id().into(),
            usage: Usage::estimated(&req.messages, INSTANT_ANSWER),
            finish_reason: Some("stop".into()),
        })));
        Ok(Box::pin(stream::iter(events)))
    }
}

/// Runs the benchmark on a throwaway copy of the configured backend.
pub async fn run(config: &Config, args: &BenchCoachArgs) -> anyhow::Result<()> {
    Scratch::around(&config.database_url(), async |scratch| measure(scratch, args).await).await
}

async fn measure(scratch: &Scratch, args: &BenchCoachArgs) -> anyhow::Result<()> {
    println!("wayfinder bench coach — backend {}, {}", scratch.backend, rss());
    let store = Store::connect(&StoreOptions { url: scratch.database_url.clone(), max_connections: 8 }).await?;
    store.migrate().await?;
    let embedder = Arc::new(SyntheticEmbedder::new(384));
    let mut corpus = Corpus::create(&store, embedder, args.chunk_tokens, &DOMAINS).await?;
    let started = Instant::now();
    corpus.grow_to(args.chunks).await?;
    println!(
        "corpus            {} chunks in {} domains, built in {:.0} s; {}",
        corpus.chunks,
        DOMAINS.len(),
        started.elapsed().as_secs_f64(),
        rss()
    );
    let learner = store
        .create_person(&NewPerson {
            email: "bench-coach@example.org".into(),
            display_name: "Bench Learner".into(),
            password_hash: None,
            is_operator: false,
        })
        .await?
        .id;
    store.add_member(corpus.org, learner, Role::Learner).await?;

    let passes = [
        (
            "with a model (an in-process model that answers at once)",
            Models::single(Arc::new(InstantModel), HashMap::new()),
        ),
        ("no model (extractive answers, the embedded default)", Models::none()),
    ];
    for (pass, (label, models)) in passes.into_iter().enumerate() {
        let coaching = Coaching::new(store.clone(), corpus.knowledge.clone(), models);
        let spec = CoachSpec {
            name: Some(format!("Bench coach {}", pass + 1)),
            answer_mode: Some(AnswerMode::Grounded),
            domains: Some(DOMAINS.iter().map(|d| d.to_string()).collect()),
            retrieval_depth: Some(7),
            ..CoachSpec::default()
        };
        let coach = coaching.create_coach(corpus.org, spec).await?;
        let turns = run_turns(&coaching, &corpus, learner, &coach, args.turns).await?;
        report(label, &turns);
    }
    println!("  {}", rss());
    store.close().await;
    Ok(())
}

/// One measured turn: the pipeline's own timings plus the budget check before it.
struct Measured {
    outcome: TurnOutcome,
    budget_ms: f64,
    follow_up: bool,
}

async fn run_turns(
    coaching: &Coaching,
    corpus: &Corpus,
    learner: PersonId,
    coach: &wayfinder_coach::Coach,
    turns: usize,
) -> anyhow::Result<Vec<Measured>> {
    let vocab = &corpus.vocab;
    let mut rng = Rng(77);
    let mut measured = Vec::with_capacity(turns);
    let mut conversation = None;
    // A warm-up turn loads the in-process indexes, as the first search after start does.
    for i in 0..=turns {
        let follow_up = i % TURNS_PER_CONVERSATION != 0;
        if !follow_up {
            conversation = Some(coaching.start_conversation(corpus.org, learner, Some(coach.id), None).await?.id);
        }
        let question = if follow_up {
            format!("And what about {}?", vocab.sentence(&mut rng, 1).trim())
        } else {
            let words = 4 + (rng.next() % 5) as usize;
            format!("How does {} work?", vocab.sentence(&mut rng, words).trim().trim_end_matches('.'))
        };
        // Loaded afresh each turn, as the message handler does before the turn starts.
        let Some(id) = conversation else { unreachable!("the first turn starts a conversation") };
        let thread = Thread::Stored(coaching.conversation(id).await?);
        let input = TurnInput {
            org: corpus.org,
            person: learner,
            coach: coach.clone(),
            thread,
            question,
            channel: Channel::Web,
        };
        let (events, mut receiver) = mpsc::channel(64);
        let drain = tokio::spawn(async move { while receiver.recv().await.is_some() {} });
        let t = Instant::now();
        coaching.check_budget(corpus.org, learner).await?;
        let budget_ms = t.elapsed().as_secs_f64() * 1000.0;
        let outcome = coaching.run_turn(input, &events).await?;
        drop(events);
        drain.await?;
        if i > 0 {
            measured.push(Measured { outcome, budget_ms, follow_up });
        }
    }
    Ok(measured)
}

/// Reads one stage's time off a measured turn.
type Stage = fn(&Measured) -> f64;

fn report(label: &str, turns: &[Measured]) {
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for t in turns {
        *kinds.entry(t.outcome.kind.into()).or_default() += 1;
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let follow_ups = turns.iter().filter(|t| t.follow_up).count();
    let narrowed = turns.iter().filter(|t| t.outcome.searches > 1).count();
    println!(
        "{label}: {} turns ({}; {follow_ups} follow-ups; {narrowed} searched again within the routed domains), ms:",
        turns.len(),
        kinds.join(", ")
    );
    println!("  {:<26} {:>8} {:>8} {:>8}", "stage", "p50", "p95", "p99");
    let stages: [(&str, Stage); 6] = [
        ("budget check", |t| t.budget_ms),
        ("history + rewrite", |t| t.outcome.rewrite_ms),
        ("routing + retrieval", |t| t.outcome.retrieval_ms),
        ("prompt/extract + citations", |t| t.outcome.answer_ms),
        ("storage (one transaction)", |t| t.outcome.storage_ms),
        ("whole turn", |t| t.budget_ms + t.outcome.total_ms),
    ];
    for (name, value) in stages {
        let mut values: Vec<f64> = turns.iter().map(value).collect();
        println!(
            "  {name:<26} {:>8.2} {:>8.2} {:>8.2}",
            percentile(&mut values, 50.0),
            percentile(&mut values, 95.0),
            percentile(&mut values, 99.0)
        );
    }
}
