//! `wayfinder program …` and `wayfinder path`: programs and learning paths
//! from the command line, through the same learning service the API uses.

use crate::admin::person_by_email;
use crate::cli::{PathArgs, ProgramCommand};
use anyhow::{Context, bail};
use chrono::Utc;
use std::path::Path;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_knowledge::KnowledgeBase;
use wayfinder_learning::{GoalSpec, Learning, LearningError, ProgramDocument};
use wayfinder_learning_rules::program::{GoalKind, ProgramId};
use wayfinder_store::Store;

async fn org_id(store: &Store, slug: &str) -> anyhow::Result<OrgId> {
    Ok(store.org_by_slug(slug).await.with_context(|| format!("no organisation {slug:?}"))?.id)
}

/// The program named by id or exact title.
async fn program_id(learning: &Learning, org: OrgId, program: &str) -> anyhow::Result<ProgramId> {
    let programs = learning.programs(org, true).await?;
    match programs.iter().find(|p| p.id.to_string() == program || p.title == program) {
        Some(p) => Ok(p.id),
        None => bail!("no program {program:?} (see `wayfinder program list`)"),
    }
}

/// An import's refusal, row by row.
fn explain(e: LearningError) -> anyhow::Error {
    match e {
        LearningError::Import(rows) => {
            let lines: Vec<String> =
                rows.iter().map(|r| format!("  row {}: {}: {}", r.row, r.field, r.message)).collect();
            anyhow::anyhow!("nothing was imported:\n{}", lines.join("\n"))
        }
        other => other.into(),
    }
}

/// The operator acting from the command line: the organisation's first admin,
/// named in the records as the one who imported.
async fn acting_admin(store: &Store, org: OrgId) -> anyhow::Result<PersonId> {
    let members = store.list_members(org).await?;
    members
        .iter()
        .find(|m| m.role == wayfinder_accounts_rules::Role::Admin)
        .map(|m| m.person.id)
        .context("the organisation has no admin to act as")
}

/// `wayfinder program …`
pub async fn program(kb: &KnowledgeBase, command: ProgramCommand) -> anyhow::Result<()> {
    let store = kb.store().clone();
    let learning = Learning::new(store.clone(), kb.clone());
    match command {
        ProgramCommand::List { org } => {
            let org = org_id(&store, &org).await?;
            for p in learning.programs(org, true).await? {
                let published = p.published_version.map(|v| format!("v{v} published")).unwrap_or("unpublished".into());
                let draft = if p.has_draft { format!(", draft v{}", p.latest_version) } else { String::new() };
                outln!(
                    "{}\t{}\t{}\t{published}{draft}\t{} concepts\t{} enrolled",
                    p.id,
                    p.title,
                    p.status,
                    p.concept_count,
                    p.enrolled_count
                );
            }
        }
        ProgramCommand::Import { org, file, into, concepts_csv, edges_csv, questions_csv, title } => {
            let org = org_id(&store, &org).await?;
            let document = match (file, concepts_csv, edges_csv) {
                (Some(file), None, None) => {
                    let text =
                        std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
                    serde_json::from_str::<ProgramDocument>(&text)
                        .with_context(|| format!("{} is not a program document", file.display()))?
                }
                (None, Some(concepts), Some(edges)) => {
                    let read =
                        |p: &Path| std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()));
                    let title = title.context("--title names a program imported from spreadsheets")?;
                    let questions = questions_csv.as_deref().map(read).transpose()?;
                    ProgramDocument::from_csv(&title, &read(&concepts)?, &read(&edges)?, questions.as_deref())
                        .map_err(|rows| explain(LearningError::Import(rows)))?
                }
                _ => bail!("give a program document (FILE) or both --concepts-csv and --edges-csv"),
            };
            let into = match into {
                Some(p) => Some(program_id(&learning, org, &p).await?),
                None => None,
            };
            let by = acting_admin(&store, org).await?;
            let detail = learning.import_program(org, by, document, into).await.map_err(explain)?;
            outln!(
                "imported {} concepts into {:?} id={} (draft v{}; publish it in the web app or the API)",
                detail.concepts.len(),
                detail.program.title,
                detail.program.id,
                detail.program.latest_version
            );
        }
        ProgramCommand::Export { org, program, csv } => {
            let org = org_id(&store, &org).await?;
            let id = program_id(&learning, org, &program).await?;
            let document = learning.export_program(org, id, true).await?;
            match csv {
                None => outln!("{}", serde_json::to_string_pretty(&document)?),
                Some(prefix) => {
                    let (concepts, edges, questions) = document.to_csv();
                    let a = prefix.with_extension("concepts.csv");
                    let b = prefix.with_extension("edges.csv");
                    let c = prefix.with_extension("questions.csv");
                    std::fs::write(&a, concepts)?;
                    std::fs::write(&b, edges)?;
                    std::fs::write(&c, questions)?;
                    outln!("wrote {}, {} and {}", a.display(), b.display(), c.display());
                }
            }
        }
        ProgramCommand::Draft { org, collection, title } => {
            let org_uuid = org_id(&store, &org).await?;
            let found = store
                .list_collections(org_uuid)
                .await?
                .into_iter()
                .find(|c| c.name == collection || c.id.to_string() == collection)
                .with_context(|| format!("no collection {collection:?} in {org}"))?;
            let by = acting_admin(&store, org_uuid).await?;
            let detail = learning.draft_from_collection(org_uuid, by, found.id, title).await?;
            let edges: usize = detail.concepts.iter().map(|c| c.prerequisites.len()).sum();
            let cited = detail.concepts.iter().filter(|c| !c.material.is_empty()).count();
            outln!(
                "drafted {:?} id={}: {} concepts ({cited} citing their sections), {edges} prerequisite edges",
                detail.program.title,
                detail.program.id,
                detail.concepts.len()
            );
            for c in &detail.concepts {
                outln!("  {}\t{} min\t{} prerequisite(s)", c.name, c.estimated_minutes, c.prerequisites.len());
            }
        }
        ProgramCommand::Questions { org, program, concepts, per_concept } => {
            let org = org_id(&store, &org).await?;
            let id = program_id(&learning, org, &program).await?;
            let by = acting_admin(&store, org).await?;
            let detail = learning.program(org, id, true).await?;
            let mut by_kind: std::collections::BTreeMap<String, usize> = Default::default();
            let (mut made, mut passing, mut duplicates, mut failed) = (0, 0, 0, 0);
            outln!("concept\titems\tfailed check\tduplicates");
            for concept in detail.concepts.iter().filter(|c| !c.material.is_empty()).take(concepts) {
                let generated = learning.generate_questions(org, by, concept.id, per_concept, None).await?;
                outln!(
                    "{}\t{}\t{}\t{}",
                    concept.name,
                    generated.questions.len(),
                    generated.failed_check,
                    generated.duplicates
                );
                for q in &generated.questions {
                    *by_kind.entry(q.body.kind().to_string()).or_default() += 1;
                    passing += usize::from(q.checked && q.defect.is_none());
                }
                made += generated.questions.len();
                duplicates += generated.duplicates;
                failed += generated.failed_check;
            }
            let kinds: Vec<String> = by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
            outln!(
                "{made} new questions ({}); {passing} of {made} pass the check against their cited passage ({:.1} %); \
                 {failed} dropped by the check, {duplicates} already in the bank",
                kinds.join(", "),
                if made == 0 { 0.0 } else { 100.0 * passing as f64 / made as f64 }
            );
        }
        ProgramCommand::Fit { org } => {
            let org = org_id(&store, &org).await?;
            let report = learning.fit_model(org).await?;
            if report.fitted {
                outln!(
                    "fitted on {} graded answers: log-loss {:.4} (defaults {:.4})",
                    report.answers,
                    report.log_loss,
                    report.initial_log_loss
                );
            } else {
                outln!("{} graded answers: too few to fit; the defaults stay", report.answers);
            }
        }
    }
    Ok(())
}

/// `wayfinder path`: a learner's goals and the path to each, or their next step.
pub async fn path(kb: &KnowledgeBase, args: PathArgs) -> anyhow::Result<()> {
    let store = kb.store().clone();
    let learning = Learning::new(store.clone(), kb.clone());
    let org = org_id(&store, &args.org).await?;
    let learner = person_by_email(&store, &args.learner).await?.id;
    let now = Utc::now();
    if let Some(text) = args.goal {
        let spec = GoalSpec { kind: GoalKind::Text, concept: None, program: None, text: Some(text), deadline: None };
        let goal = learning.set_goal(org, learner, learner, spec).await?;
        outln!(
            "goal set: {} → {}",
            goal.title,
            goal.targets.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
        );
    }
    for goal in learning.goals(org, learner).await? {
        let path = learning.path(org, goal.id, now).await?;
        outln!("{} ({} steps, {} min)", goal.title, path.steps.len(), path.total_minutes);
        for (i, step) in path.steps.iter().enumerate() {
            outln!(
                "  {:>2}. {} — mastery {:.2}, {} min — {}",
                i + 1,
                step.concept.name,
                step.mastery,
                step.estimated_minutes,
                step.why
            );
        }
    }
    match learning.next_step(org, learner, now).await? {
        Some(next) => outln!("next: {} ({}) — {}", next.concept.name, next.kind, next.why),
        None => outln!("next: nothing left to learn or review"),
    }
    Ok(())
}
