//! `wayfinder eval answers`: ingests a folder of documents into a throwaway organisation,
//! asks every question of a JSON-lines file through the coach's own pipeline (the configured
//! chat model, or extractive answers without one), and reports how many answerable questions
//! were answered, how many cite a document that answers them, how many off-topic questions
//! were refused, and how long a turn took.

use super::{read_jsonl, throwaway_slug};
use crate::{cli::EvalAnswersArgs, config::Config, knowledge};
use anyhow::{Context, bail};
use serde::Deserialize;
use std::{collections::HashMap, path::Path, time::Instant};
use wayfinder_accounts_rules::{OrgId, PersonId, Role};
use wayfinder_channels_rules::Channel;
use wayfinder_coach::{AnswerKind, Coach, Coaching, Message, Thread, TurnEvent, TurnInput};
use wayfinder_knowledge::{
    CollectionSpec, IngestLimits, JobWorker, KnowledgeBase, SearchMode, SearchRequest, UploadFile,
};
use wayfinder_knowledge_rules::metrics;
use wayfinder_store::{JobFileState, NewPerson};

/// One line of the questions file.
#[derive(Deserialize)]
struct Question {
    question: String,
    /// File names of the documents that answer it; empty: the documents do not cover it.
    #[serde(default)]
    expect: Vec<String>,
}

/// What happened to one question.
struct Outcome {
    kind: AnswerKind,
    /// File names of the cited documents, in citation order.
    cited: Vec<String>,
    /// File names of the documents retrieved for the answer, best first.
    retrieved: Vec<String>,
    relevance: Option<f64>,
    latency_ms: f64,
    content: String,
}

/// The counts the command prints (and the test checks).
#[derive(Default)]
struct Tally {
    answerable: usize,
    answered: usize,
    answered_as_expected: usize,
    retrieved_in_top5: usize,
    off_topic: usize,
    off_topic_refused: usize,
}

impl Tally {
    fn add(&mut self, question: &Question, outcome: &Outcome) {
        let answered = outcome.kind != AnswerKind::Refusal;
        if question.expect.is_empty() {
            self.off_topic += 1;
            self.off_topic_refused += usize::from(!answered);
            return;
        }
        let expected = |name: &String| question.expect.contains(name);
        self.answerable += 1;
        self.answered += usize::from(answered);
        self.answered_as_expected += usize::from(answered && outcome.cited.iter().any(expected));
        self.retrieved_in_top5 += usize::from(outcome.retrieved.iter().take(5).any(expected));
    }
}

/// Runs the evaluation.
pub async fn run(config: &Config, args: EvalAnswersArgs) -> anyhow::Result<()> {
    let questions: Vec<Question> = read_jsonl(&args.questions)?;
    if questions.is_empty() {
        bail!("{} holds no questions", args.questions.display());
    }
    let files = read_documents(&args.documents)?;
    let known: Vec<&str> = files.iter().map(|f| f.filename.as_str()).collect();
    if let Some(unknown) = questions.iter().flat_map(|q| &q.expect).find(|name| !known.contains(&name.as_str())) {
        bail!("{} expects {unknown:?}, which is not in {}", args.questions.display(), args.documents.display());
    }
    let mut config = config.clone_for_eval();
    match args.mode.as_str() {
        "hybrid" => {
            if let Some(dir) = &args.embedding_model {
                config.embedding_model_dir = Some(dir.clone());
                config.embedding_provider = crate::config::EmbeddingProvider::Local;
            }
        }
        "lexical" => config.embedding_provider = crate::config::EmbeddingProvider::None,
        other => bail!("unknown mode {other:?}: use hybrid or lexical"),
    }
    let store = crate::open_migrated(&config).await?;
    let kb = knowledge::knowledge_base(&config, store.clone())?
        .with_limits(IngestLimits { max_files: files.len(), ..IngestLimits::default() });
    let coaching = Coaching::new(store.clone(), kb.clone(), knowledge::chat_models(&config)?);

    let (org, keep) = match &args.org {
        Some(slug) => match store.org_by_slug(slug).await {
            Ok(org) => (org, true),
            Err(_) => (store.create_org(slug, "Answer evaluation").await?, true),
        },
        None => (store.create_org(&throwaway_slug(), "Answer evaluation").await?, false),
    };
    let result = measure(&kb, &coaching, org.id, files, &questions, &args).await;
    if !keep {
        for collection in store.list_collections(org.id).await? {
            store.delete_collection(org.id, collection.id).await?;
        }
        store.delete_org(org.id).await?;
    }
    result
}

/// Every file directly inside `dir`, by name.
fn read_documents(dir: &Path) -> anyhow::Result<Vec<UploadFile>> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.is_file() {
            paths.push(path);
        }
    }
    if paths.is_empty() {
        bail!("{} holds no files", dir.display());
    }
    paths.sort();
    knowledge::read_uploads(&paths, &[])
}

async fn measure(
    kb: &KnowledgeBase,
    coaching: &Coaching,
    org: OrgId,
    files: Vec<UploadFile>,
    questions: &[Question],
    args: &EvalAnswersArgs,
) -> anyhow::Result<()> {
    let count = files.len();
    let collection = match kb.store().list_collections(org).await?.into_iter().find(|c| c.name == "documents") {
        Some(existing) => existing,
        None => {
            let spec =
                CollectionSpec { name: "documents".into(), chunk_tokens: args.chunk_tokens, ..Default::default() };
            kb.create_collection(org, spec).await?
        }
    };
    let started = Instant::now();
    let job = kb.queue_ingest(org, collection.id, None, files).await?;
    let worker = JobWorker::new(kb.clone(), chrono::Duration::seconds(60));
    worker.run_one(job.id).await.context("the ingestion job was taken by another worker")?;
    let failed = kb.store().job_files(job.id).await?.into_iter().filter(|f| f.state == JobFileState::Failed).count();
    if failed > 0 {
        bail!("{failed} of {count} files failed to ingest");
    }
    let chunks = kb.store().count_chunks(org, Some(collection.id)).await?;
    outln!(
        "wayfinder eval answers — {count} documents, {chunks} chunks ingested in {:.1} s; embedding model {}; chat model {}",
        started.elapsed().as_secs_f64(),
        kb.embedding_model().unwrap_or("none (lexical search)"),
        coaching.models().default_model().unwrap_or("none (extractive answers)"),
    );
    let names: HashMap<String, String> = kb
        .store()
        .list_documents(org, Some(collection.id))
        .await?
        .into_iter()
        .map(|d| (d.id.to_string(), d.source_name))
        .collect();
    let person = asker(kb, org).await?;
    let mut coach = coaching.default_coach(org).await?;
    if let Some(threshold) = args.threshold {
        coach.relevance_threshold = Some(threshold);
    }
    outln!("relevance threshold {}", coach.relevance_threshold.map_or("default".to_string(), |t| format!("{t}")));
    if let Some(ms) = kb.warm_up().await? {
        outln!("embedding model loaded and warmed up in {ms:.0} ms (not counted in the latencies below)");
    }

    let mut trace = match &args.trace {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => None,
    };
    let mut tally = Tally::default();
    let mut latencies = Vec::with_capacity(questions.len());
    for question in questions {
        if let Some(out) = trace.as_mut() {
            use std::io::Write;
            let line = trace_line(kb, org, question, &names).await?;
            writeln!(out, "{line}")?;
        }
        let outcome = ask(coaching, org, person, &coach, &question.question, &names).await?;
        tally.add(question, &outcome);
        latencies.push(outcome.latency_ms);
        if args.show {
            show(question, &outcome);
        }
    }
    report(&tally, &mut latencies);
    Ok(())
}

/// One question's top hits with the signals a relevance decision can use.
async fn trace_line(
    kb: &KnowledgeBase,
    org: OrgId,
    question: &Question,
    names: &HashMap<String, String>,
) -> anyhow::Result<serde_json::Value> {
    let request = SearchRequest {
        query: question.question.clone(),
        collections: None,
        domains: None,
        documents: None,
        k: 30,
        mode: SearchMode::Hybrid,
    };
    let hits = kb.search(org, &request).await?.hits;
    let sources: Vec<_> = hits.iter().enumerate().map(|(i, h)| wayfinder_coach::source_of(i + 1, h)).collect();
    let judged = wayfinder_coach_rules::assess_relevance(&question.question, &sources);
    let hits: Vec<serde_json::Value> = hits
        .iter()
        .zip(&sources)
        .zip(&judged)
        .map(|((hit, source), judged)| {
            serde_json::json!({
                "document": names.get(&hit.chunk.document.to_string()),
                "section": source.section,
                "score": hit.score,
                "lexical_rank": hit.lexical_rank,
                "dense_rank": hit.dense_rank,
                "lexical_score": hit.lexical_score,
                "dense_score": hit.dense_score,
                "coverage": judged.coverage,
                "text": hit.chunk.text,
            })
        })
        .collect();
    Ok(serde_json::json!({ "question": question.question, "expect": question.expect, "hits": hits }))
}

/// A learner of the organisation who asks the questions.
async fn asker(kb: &KnowledgeBase, org: OrgId) -> anyhow::Result<PersonId> {
    let store = kb.store();
    let email = format!("learner@{}.invalid", org.0.simple());
    if let Some((person, _)) = store.person_with_password(&email).await? {
        return Ok(person.id);
    }
    let new = NewPerson { email, display_name: "Evaluation learner".into(), password_hash: None, is_operator: false };
    let person = store.create_person(&new).await?;
    store.add_member(org, person.id, Role::Learner).await?;
    Ok(person.id)
}

/// Asks one question as a new, stateless conversation and waits for the stored answer.
async fn ask(
    coaching: &Coaching,
    org: OrgId,
    person: PersonId,
    coach: &Coach,
    question: &str,
    names: &HashMap<String, String>,
) -> anyhow::Result<Outcome> {
    let input = TurnInput {
        org,
        person,
        coach: coach.clone(),
        thread: Thread::Stateless(Vec::new()),
        question: question.to_string(),
        channel: Channel::Web,
    };
    let (events, mut received) = tokio::sync::mpsc::channel(256);
    let started = Instant::now();
    let turn = tokio::spawn({
        let coaching = coaching.clone();
        async move { coaching.run_turn(input, &events).await }
    });
    let name_of = |document_id: &String| names.get(document_id).cloned().unwrap_or_default();
    let mut retrieved: Vec<String> = Vec::new();
    let mut answer: Option<Message> = None;
    while let Some(event) = received.recv().await {
        match event {
            TurnEvent::Sources(sources) => {
                for name in sources.iter().map(|s| name_of(&s.document_id)) {
                    if !retrieved.contains(&name) {
                        retrieved.push(name);
                    }
                }
            }
            TurnEvent::Done(message) => answer = Some(message),
            TurnEvent::Failed { message, .. } => bail!("the turn failed: {message}"),
            _ => {}
        }
    }
    turn.await.context("the turn panicked")??;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let answer = answer.context("the turn ended without an answer")?;
    let mut cited: Vec<String> = Vec::new();
    for name in answer.citations.iter().map(|c| name_of(&c.document_id)) {
        if !cited.contains(&name) {
            cited.push(name);
        }
    }
    Ok(Outcome {
        kind: answer.kind.unwrap_or(AnswerKind::Error),
        cited,
        retrieved,
        relevance: answer.relevance.as_ref().map(|r| f64::from(r.score)),
        latency_ms,
        content: answer.content,
    })
}

fn show(question: &Question, outcome: &Outcome) {
    let verdict = match (question.expect.is_empty(), outcome.kind) {
        (true, AnswerKind::Refusal) => "ok   refused",
        (true, _) => "MISS answered off-topic",
        (false, AnswerKind::Refusal) => "MISS refused",
        (false, _) if outcome.cited.iter().any(|c| question.expect.contains(c)) => "ok   cited",
        (false, _) => "MISS cited elsewhere",
    };
    let relevance = outcome.relevance.map_or("-".to_string(), |r| format!("{r:.3}"));
    outln!("{verdict:<24} relevance {relevance:>6}  {}", question.question);
    if !question.expect.is_empty() {
        outln!("    expected {:?}; cited {:?}; retrieved {:?}", question.expect, outcome.cited, outcome.retrieved);
    }
    for line in outcome.content.lines().filter(|l| !l.trim().is_empty()) {
        outln!("    | {line}");
    }
}

fn report(tally: &Tally, latencies: &mut [f64]) {
    let share = |part: usize, whole: usize| if whole == 0 { 0.0 } else { 100.0 * part as f64 / whole as f64 };
    outln!(
        "answerable questions: {}; answered: {} ({:.1} %); answered citing an expected document: {} ({:.1} %); \
         an expected document among the top 5 retrieved: {} ({:.1} %)",
        tally.answerable,
        tally.answered,
        share(tally.answered, tally.answerable),
        tally.answered_as_expected,
        share(tally.answered_as_expected, tally.answerable),
        tally.retrieved_in_top5,
        share(tally.retrieved_in_top5, tally.answerable),
    );
    outln!(
        "off-topic questions: {}; refused: {} ({:.1} %)",
        tally.off_topic,
        tally.off_topic_refused,
        share(tally.off_topic_refused, tally.off_topic),
    );
    outln!(
        "turn latency: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms over {} questions",
        metrics::percentile(latencies, 50.0),
        metrics::percentile(latencies, 95.0),
        metrics::percentile(latencies, 100.0),
        latencies.len(),
    );
}
