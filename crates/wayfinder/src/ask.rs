//! `wayfinder ask`: one question to a coach from the command line, the answer
//! streamed to the terminal, then its sources. Without `--org` it asks the
//! guide: a small knowledge base shipped inside the binary (study habits,
//! note-taking, coaching practice, using Wayfinder), loaded into its own
//! organisation on first use, so a fresh install answers with citations at once.

use crate::{cli::AskArgs, config::Config};
use anyhow::{Context, bail};
use std::time::Instant;
use wayfinder_accounts_rules::{OrgId, PersonId, Role};
use wayfinder_channels_rules::Channel;
use wayfinder_coach::{AnswerKind, Coaching, Thread, TurnEvent, TurnInput};

use wayfinder_knowledge::{CollectionSpec, JobWorker, KnowledgeBase, UploadFile};
use wayfinder_store::{NewPerson, Store};

/// The guide's pages, compiled in.
const GUIDE: [(&str, &str); 4] = [
    ("study-habits.md", include_str!("../guide/study-habits.md")),
    ("note-taking.md", include_str!("../guide/note-taking.md")),
    ("coaching-practice.md", include_str!("../guide/coaching-practice.md")),
    ("using-wayfinder.md", include_str!("../guide/using-wayfinder.md")),
];
const GUIDE_ORG: &str = "wayfinder-guide";
const GUIDE_READER: &str = "guide@wayfinder.invalid";

/// The guide organisation and its reader, created and loaded when missing.
async fn guide(store: &Store, kb: &KnowledgeBase) -> anyhow::Result<(OrgId, PersonId)> {
    let org = match store.org_by_slug(GUIDE_ORG).await {
        Ok(org) => org,
        Err(_) => store.create_org(GUIDE_ORG, "Wayfinder guide").await?,
    };
    let reader = match store.person_with_password(GUIDE_READER).await? {
        Some((p, _)) => p,
        None => {
            let new = NewPerson {
                email: GUIDE_READER.into(),
                display_name: "Guide reader".into(),
                password_hash: None,
                is_operator: false,
            };
            let person = store.create_person(&new).await?;
            store.add_member(org.id, person.id, Role::Learner).await?;
            person
        }
    };
    let collection = match store.list_collections(org.id).await?.into_iter().next() {
        Some(c) => c,
        None => {
            // Small chunks: one section each, so citations name the section.
            let spec = CollectionSpec {
                name: "Guide".into(),
                chunk_tokens: Some(160),
                chunk_overlap: Some(16),
                ..Default::default()
            };
            kb.create_collection(org.id, spec).await?
        }
    };
    // Same content → unchanged, so this is cheap after the first run and picks up new pages.
    if store.list_documents(org.id, Some(collection.id)).await?.len() < GUIDE.len() {
        let files = GUIDE
            .iter()
            .map(|(name, text)| UploadFile {
                filename: name.to_string(),
                domains: Vec::new(),
                content: text.as_bytes().to_vec(),
            })
            .collect();
        let job = kb.queue_ingest(org.id, collection.id, None, files).await?;
        JobWorker::new(kb.clone(), chrono::Duration::seconds(60)).run_one(job.id).await;
        if kb.embedding_model().is_some() {
            let job = kb.queue_embedding(org.id, collection.id, None).await?;
            JobWorker::new(kb.clone(), chrono::Duration::seconds(60)).run_one(job.id).await;
        }
    }
    Ok((org.id, reader.id))
}

/// Runs `wayfinder ask`.
pub async fn run(config: &Config, store: Store, args: &AskArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let kb = crate::knowledge::knowledge_base(config, store.clone())?;
    let coaching = Coaching::new(store.clone(), kb.clone(), crate::knowledge::chat_models(config)?);
    let (org, person) = match &args.org {
        None => guide(&store, &kb).await?,
        Some(slug) => {
            let org = store.org_by_slug(slug).await.with_context(|| format!("no organisation {slug:?}"))?;
            let members = store.list_members(org.id).await?;
            let asker = match &args.as_person {
                Some(email) => members.iter().find(|m| m.person.email.eq_ignore_ascii_case(email)),
                None => members.iter().find(|m| m.role == Role::Admin),
            };
            let Some(asker) = asker else {
                bail!("say who asks with --as EMAIL (a member of {slug})");
            };
            (org.id, asker.person.id)
        }
    };
    let coaches = coaching.coaches(org).await?;
    let coach = match &args.coach {
        None => coaches.iter().find(|c| c.is_default).or(coaches.first()),
        Some(name) => coaches.iter().find(|c| c.name.eq_ignore_ascii_case(name) || c.id.to_string() == *name),
    };
    let Some(coach) = coach.cloned() else { bail!("no such coach") };
    coaching.check_budget(org, person).await?;
    let input = TurnInput {
        org,
        person,
        coach,
        thread: Thread::Stateless(Vec::new()),
        question: args.question.clone(),
        channel: Channel::Web,
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let turn = tokio::spawn({
        let coaching = coaching.clone();
        async move { coaching.run_turn(input, &tx).await }
    });
    let mut answer = None;
    let mut streamed = false;
    while let Some(event) = rx.recv().await {
        match event {
            TurnEvent::Delta(text) if !args.json => {
                use std::io::Write;
                out!("{text}");
                let _ = std::io::stdout().flush();
                streamed = true;
            }
            TurnEvent::Done(message) => answer = Some(message),
            TurnEvent::Failed { message, partial, .. } => {
                eprintln!("\n{message}");
                answer = partial;
            }
            _ => {}
        }
    }
    turn.await.context("the answer task failed")??;
    let Some(answer) = answer else { bail!("no answer") };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(());
    }
    if !streamed || answer.kind == Some(AnswerKind::Generated) {
        // The stored text is authoritative (invalid citations removed).
        if streamed {
            outln!("\n");
        }
        outln!("{}", answer.content);
    }
    outln!();
    if answer.kind == Some(AnswerKind::Extractive) {
        outln!("(drawn directly from the sources; configure chat_base_url and chat_model for written answers)");
    }
    for c in &answer.citations {
        let pages = match (c.page_start, c.page_end) {
            (Some(a), Some(b)) if a != b => format!(", pp. {a}–{b}"),
            (Some(a), _) => format!(", p. {a}"),
            _ => String::new(),
        };
        let section = c.section.as_deref().map(|s| format!(" › {s}")).unwrap_or_default();
        outln!("[{}] {}{section}{pages}", c.number, c.document_title);
    }
    eprintln!("({:.0} ms)", started.elapsed().as_secs_f64() * 1000.0);
    Ok(())
}
