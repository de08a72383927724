//! `wayfinder-bench analytics`: what the dashboards cost at an organisation's
//! scale, printed, never asserted. On a throwaway database of the configured
//! backend it builds a synthetic organisation, seeded so runs repeat: learners
//! enrolled in programs, coaches each following a share of them, a manager
//! over some coaches, a year of coaching — conversations, messages (half
//! questions, half answers: extractive, generated or refused), the question
//! log — and of graded practice (evidence), with the learner model's stored
//! mastery and the rollups those writes keep, all through the store's bulk
//! loads. Activity is skewed: a few learners do much, most do little; the
//! turns are spread over the year day after day and loaded in time order, as
//! a deployment writes them.
//!
//! It then serves the real application in this process on a free port and
//! measures, one request at a time with API tokens, every dashboard endpoint
//! (warm), the CSV export of every message (rows per second and the memory
//! it takes), and what keeping the rollups adds to a write (`Store::add_to_rollups`,
//! the same statements a message or evidence write runs in its transaction).

use crate::learning::{Client, Row, WARM_UP, bearer, expect, print_table, seed_member, token_for};
use crate::{
    api::{Scratch, read_memory},
    cli::BenchAnalyticsArgs,
    knowledge::{Rng, rss},
};
use anyhow::Context;
use chrono::{Duration, Utc};
use http_body_util::{BodyExt, Full};
use hyper::{
    Method, Request, StatusCode,
    body::Bytes,
    header::{AUTHORIZATION, HOST, HeaderValue},
};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;
use tokio::net::TcpListener;
use wayfinder::config::{Config, mask_url_password};
use wayfinder_accounts_rules::{OrgId, PersonId, RelationshipId, Role};
use wayfinder_insights_rules::{Day, OrgTimeZone};
use wayfinder_knowledge::{IngestLimits, KnowledgeBase};
use wayfinder_learning_rules::mastery::ConceptState;
use wayfinder_learning_rules::path::MASTERED_AT;
use wayfinder_learning_rules::program::{ConceptId, EvidenceId, ProgramId};
use wayfinder_store::{
    ActivityTable, BulkEnrolment, BulkMember, BulkProgram, BulkValue, ConceptRecord, EvidenceRecord,
    LearnerConceptRecord, LearningHistory, Store, StoreOptions, Tally, TallyScope,
};

const PROGRAMS: usize = 5;
const CONCEPTS_PER_PROGRAM: usize = 20;
/// Conversations each learner's questions are spread over.
const CONVERSATIONS_PER_LEARNER: usize = 5;
/// Coach profiles the conversations are spread over.
const COACH_PROFILES: usize = 3;
/// Coaches the manager oversees.
const MANAGED_COACHES: usize = 10;
/// Turns (question and answer) and evidence rows generated and loaded per batch.
const BATCH: usize = 100_000;
/// Topics the knowledge base covers and topics it lacks (their questions are refused).
const COVERED_TOPICS: [&str; 8] =
    ["budget", "study plan", "exam stress", "note taking", "group work", "deadlines", "reading", "sleep"];
const MISSING_TOPICS: [&str; 6] =
    ["visa application", "housing contract", "tax return", "car insurance", "parking permit", "gym membership"];

/// Runs the benchmark on a throwaway copy of the configured backend.
pub async fn run(config: &Config, args: &BenchAnalyticsArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.learners >= args.coaches && args.coaches > MANAGED_COACHES,
        "need more learners than coaches and over {MANAGED_COACHES} coaches"
    );
    anyhow::ensure!(args.requests > 0, "--requests must be at least 1");
    if let Some(url) = &args.reuse {
        println!(
            "wayfinder bench analytics — the organisation loaded earlier into {}; {}",
            mask_url_password(url),
            rss()
        );
        let store =
            Store::connect(&StoreOptions { url: url.clone(), max_connections: config.database_max_connections })
                .await?;
        store.migrate().await?;
        let outcome = async { measure(&store, config, args, &Seeded::find(&store).await?).await }.await;
        store.close().await;
        return outcome;
    }
    let scratch = Scratch::create(&config.database_url()).await?;
    println!(
        "wayfinder bench analytics — backend {}, {} learners, {} coaches, {} messages, {} evidence over {} days, seed {}; {}",
        scratch.backend,
        args.learners,
        args.coaches,
        args.messages,
        args.evidence,
        args.days,
        args.seed,
        rss()
    );
    let outcome = async {
        let store = Store::connect(&StoreOptions {
            url: scratch.database_url.clone(),
            max_connections: config.database_max_connections,
        })
        .await?;
        store.migrate().await?;
        let outcome = match load(&store, args).await {
            Ok(seeded) => measure(&store, config, args, &seeded).await,
            Err(e) => Err(e),
        };
        store.close().await;
        outcome
    }
    .await;
    if args.keep {
        println!("kept              the data stays for `--reuse {}`", scratch.database_url);
    } else {
        scratch.remove().await;
    }
    outcome
}

/// The people and names of the loaded organisation a measurement acts as.
struct Seeded {
    org: OrgId,
    admin: PersonId,
    manager: PersonId,
    /// The first coach (who follows learners 0, coaches, 2 × coaches, …).
    coach: PersonId,
    /// The first two learners: the first has the most activity.
    learners: [PersonId; 2],
    /// The coach profile the first learner's questions went to.
    profile: String,
}

impl Seeded {
    /// Finds them in an organisation an earlier `--keep` run loaded.
    async fn find(store: &Store) -> anyhow::Result<Seeded> {
        let org = store.org_by_slug(BENCH_ORG).await.context("no benchmark organisation in that database")?.id;
        let person = async |email: String| -> anyhow::Result<PersonId> {
            let (person, _) = store.person_with_password(&email).await?.with_context(|| format!("no {email}"))?;
            Ok(person.id)
        };
        Ok(Seeded {
            org,
            admin: person(ADMIN_EMAIL.into()).await?,
            manager: person(MANAGER_EMAIL.into()).await?,
            coach: person(coach_email(0)).await?,
            learners: [person(learner_email(0)).await?, person(learner_email(1)).await?],
            profile: profile_name(0),
        })
    }
}

const BENCH_ORG: &str = "bench";
const ADMIN_EMAIL: &str = "admin@bench.example";
const MANAGER_EMAIL: &str = "manager@bench.example";

fn learner_email(i: usize) -> String {
    format!("learner{i}@bench.example")
}

fn coach_email(i: usize) -> String {
    format!("coach{i}@bench.example")
}

fn profile_name(i: usize) -> String {
    format!("bench-coach-profile-{i}")
}

/// Sums of one person's (or the organisation's, or a coach profile's) day.
#[derive(Clone, Default)]
struct Sums {
    activity: i64,
    questions: i64,
    generated: i64,
    extractive: i64,
    refused: i64,
    helpful: i64,
    unhelpful: i64,
    input_tokens: i64,
    output_tokens: i64,
    cost: f64,
    evidence: i64,
    answers: i64,
    correct: f64,
    wrong: i64,
    mastery_gain: f64,
    mastered_gain: i64,
    conversations: i64,
}

fn text(s: impl ToString) -> BulkValue {
    BulkValue::Text(Some(s.to_string()))
}
fn int(v: i64) -> BulkValue {
    BulkValue::Int(Some(v))
}
fn float(v: f64) -> BulkValue {
    BulkValue::Float(Some(v))
}

/// A learner index skewed towards the first learners (a few do much, most little).
fn skewed(rng: &mut Rng, n: usize) -> usize {
    let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
    ((u * u * u) * n as f64) as usize % n
}

fn below(rng: &mut Rng, n: usize) -> usize {
    (rng.next() % n.max(1) as u64) as usize
}

/// Builds the synthetic organisation.
async fn load(store: &Store, args: &BenchAnalyticsArgs) -> anyhow::Result<Seeded> {
    let mut rng = Rng(args.seed);
    let org = store.create_org(BENCH_ORG, "Benchmark").await?.id;
    let zone = OrgTimeZone::UTC;
    let admin = seed_member(store, org, ADMIN_EMAIL, "Bench Admin", Role::Admin).await?;
    let manager = seed_member(store, org, MANAGER_EMAIL, "Bench Manager", Role::Manager).await?;
    let started = Instant::now();
    let now = Utc::now();
    let today = zone.day_of(now);

    // Members, programs and enrolments.
    let learners: Vec<PersonId> = (0..args.learners).map(|_| PersonId::new()).collect();
    let coaches: Vec<PersonId> = (0..args.coaches).map(|_| PersonId::new()).collect();
    let programs: Vec<ProgramId> = (0..PROGRAMS).map(|_| ProgramId::new()).collect();
    let concepts: Vec<ConceptId> = (0..PROGRAMS * CONCEPTS_PER_PROGRAM).map(|_| ConceptId::new()).collect();
    let program_of = |c: usize| c / CONCEPTS_PER_PROGRAM;
    let mut members: Vec<BulkMember> = learners
        .iter()
        .enumerate()
        .map(|(i, id)| BulkMember {
            id: *id,
            email: learner_email(i),
            display_name: format!("Learner {i:05}"),
            role: Role::Learner,
        })
        .collect();
    members.extend(coaches.iter().enumerate().map(|(i, id)| BulkMember {
        id: *id,
        email: coach_email(i),
        display_name: format!("Coach {i:03}"),
        role: Role::Coach,
    }));
    // Each learner takes one program, every other learner a second.
    let enrolled: Vec<Vec<usize>> = (0..args.learners)
        .map(|i| if i % 2 == 0 { vec![i % PROGRAMS, (i + 1) % PROGRAMS] } else { vec![i % PROGRAMS] })
        .collect();
    let history = LearningHistory {
        members,
        programs: programs
            .iter()
            .enumerate()
            .map(|(i, id)| BulkProgram {
                id: *id,
                title: format!("Program {i}"),
                description: String::new(),
                self_enrolment: false,
            })
            .collect(),
        concepts: concepts
            .iter()
            .enumerate()
            .map(|(c, id)| ConceptRecord {
                id: *id,
                program: programs[program_of(c)],
                name: format!("Concept {c}"),
                description: String::new(),
                tags: Vec::new(),
                estimated_minutes: 20,
                material: Vec::new(),
                position: (c % CONCEPTS_PER_PROGRAM) as i64,
            })
            .collect(),
        enrolments: enrolled
            .iter()
            .enumerate()
            .flat_map(|(l, ps)| ps.iter().map(move |p| (l, *p)))
            .map(|(l, p)| BulkEnrolment { program: programs[p], person: learners[l], enrolled_by: None })
            .collect(),
        ..LearningHistory::default()
    };
    store.bulk_load_learning(org, &history).await?;
    drop(history);

    // Relationships: learner i is coached by coach i mod coaches; the manager oversees the first coaches.
    let coach_of = |l: usize| l % args.coaches;
    let mut relationships: Vec<Vec<BulkValue>> = (0..args.learners)
        .map(|l| {
            vec![
                text(RelationshipId::new()),
                text("coach_learner"),
                text(coaches[coach_of(l)]),
                text(learners[l]),
                int(now.timestamp_millis()),
            ]
        })
        .collect();
    relationships.extend(coaches[..MANAGED_COACHES].iter().map(|c| {
        vec![text(RelationshipId::new()), text("manager_coach"), text(manager), text(c), int(now.timestamp_millis())]
    }));
    store.bulk_load_activity(org, ActivityTable::Relationships, relationships).await?;

    // Conversations.
    let first_day = today.minus(args.days - 1);
    let start_ms = zone.start_of(first_day).timestamp_millis();
    let profiles: Vec<String> = (0..COACH_PROFILES).map(profile_name).collect();
    let mut conversation_ids = Vec::with_capacity(args.learners * CONVERSATIONS_PER_LEARNER);
    let mut rows = Vec::with_capacity(conversation_ids.capacity());
    for learner in &learners {
        for k in 0..CONVERSATIONS_PER_LEARNER {
            let id = wayfinder_coach_rules::ConversationId::new();
            conversation_ids.push(id);
            rows.push(vec![
                text(id),
                text(learner),
                BulkValue::Text(None),
                text(format!("Conversation {k}")),
                int(start_ms),
                int(start_ms),
            ]);
        }
    }
    store.bulk_load_activity(org, ActivityTable::Conversations, rows).await?;

    // A year of turns: messages, the question log and the rollups they would have produced.
    let mut person_days: HashMap<(usize, i64), Sums> = HashMap::new();
    let mut org_days: BTreeMap<i64, Sums> = BTreeMap::new();
    let mut coach_days: HashMap<(usize, i64), Sums> = HashMap::new();
    let mut program_days: HashMap<(usize, usize, i64), Sums> = HashMap::new();
    let mut seq: HashMap<usize, i64> = HashMap::new();
    let turns = args.messages / 2;
    let mut loaded_messages = 0u64;
    for from in (0..turns).step_by(BATCH) {
        // Each turn's two messages and its logged question, with the time they were written.
        let mut messages: Vec<(i64, [Vec<BulkValue>; 2])> = Vec::with_capacity(BATCH);
        let mut questions: Vec<(i64, Vec<BulkValue>)> = Vec::with_capacity(BATCH);
        for turn in from..(from + BATCH).min(turns) {
            let l = skewed(&mut rng, args.learners);
            let conv = l * CONVERSATIONS_PER_LEARNER + below(&mut rng, CONVERSATIONS_PER_LEARNER);
            // The year's turns day after day, at random times of their day.
            let day = first_day.plus(turn as i64 * args.days / turns as i64);
            let at = zone.start_of(day).timestamp_millis() + below(&mut rng, 86_000_000) as i64;
            let roll = below(&mut rng, 100);
            let (kind, outcome, topic) = if roll < 10 {
                ("refusal", "refused", MISSING_TOPICS[below(&mut rng, MISSING_TOPICS.len())])
            } else if roll < 40 {
                (
                    "generated",
                    if roll < 13 { "low_confidence" } else { "answered" },
                    COVERED_TOPICS[below(&mut rng, COVERED_TOPICS.len())],
                )
            } else {
                ("extractive", "answered", COVERED_TOPICS[below(&mut rng, COVERED_TOPICS.len())])
            };
            let (input, output) = if kind == "generated" { (900, 220) } else { (0, 0) };
            let cost = (input as f64 * 0.15 + output as f64 * 0.6) / 1_000_000.0;
            let question = format!(
                "How should I handle my {topic} this week, given {}?",
                ["a full schedule", "two exams", "a part-time job", "little sleep"][below(&mut rng, 4)]
            );
            let answer = format!("About your {topic}: start with the smallest step and plan the next one. [1]");
            let s = seq.entry(conv).or_insert(0);
            let (q_id, a_id) = (wayfinder_coach_rules::MessageId::new(), wayfinder_coach_rules::MessageId::new());
            let conversation = conversation_ids[conv];
            let asked = vec![
                text(q_id),
                text(conversation),
                int(*s + 1),
                text("user"),
                text(&question),
                BulkValue::Text(None),
                BulkValue::Float(None),
                int(0),
                int(0),
                float(0.0),
                int(at),
            ];
            let answered = vec![
                text(a_id),
                text(conversation),
                int(*s + 2),
                text("assistant"),
                text(answer),
                text(kind),
                float(0.7),
                int(input),
                int(output),
                float(cost),
                int(at + 1),
            ];
            messages.push((at, [asked, answered]));
            *s += 2;
            let profile = l % COACH_PROFILES;
            let answered_topic = (kind != "refusal").then(|| format!("Student handbook › {topic}"));
            questions.push((
                at,
                vec![
                    text(q_id),
                    text(a_id),
                    text(learners[l]),
                    text(&profiles[profile]),
                    text(&question),
                    text(outcome),
                    BulkValue::Text(answered_topic),
                    int(at),
                ],
            ));
            let rating = below(&mut rng, 100);
            for sums in [
                person_days.entry((l, day.0)).or_default(),
                org_days.entry(day.0).or_default(),
                coach_days.entry((profile, day.0)).or_default(),
            ] {
                sums.activity += 1;
                sums.questions += 1;
                match kind {
                    "refusal" => sums.refused += 1,
                    "generated" => sums.generated += 1,
                    _ => sums.extractive += 1,
                }
                sums.helpful += i64::from(rating < 5);
                sums.unhelpful += i64::from((5..7).contains(&rating));
                sums.input_tokens += input;
                sums.output_tokens += output;
                sums.cost += cost;
            }
        }
        // Written in time order, as a deployment appends them.
        messages.sort_by_key(|(at, _)| *at);
        questions.sort_by_key(|(at, _)| *at);
        let messages = messages.into_iter().flat_map(|(_, rows)| rows).collect();
        let questions = questions.into_iter().map(|(_, row)| row).collect();
        loaded_messages += store.bulk_load_activity(org, ActivityTable::Messages, messages).await?;
        store.bulk_load_activity(org, ActivityTable::QuestionLog, questions).await?;
    }

    // A year of practice: evidence, the stored mastery and its rollups.
    let mut mastery: HashMap<(usize, usize), (f64, i64)> = HashMap::new();
    let mut loaded_evidence = 0usize;
    for from in (0..args.evidence).step_by(BATCH) {
        let mut evidence = Vec::with_capacity(BATCH);
        for _ in from..(from + BATCH).min(args.evidence) {
            let l = skewed(&mut rng, args.learners);
            let p = enrolled[l][below(&mut rng, enrolled[l].len())];
            let c = p * CONCEPTS_PER_PROGRAM + below(&mut rng, CONCEPTS_PER_PROGRAM);
            let day = first_day.plus(below(&mut rng, args.days as usize) as i64);
            let at = zone.start_of(day) + Duration::milliseconds(below(&mut rng, 86_000_000) as i64);
            let correct = below(&mut rng, 100) < 70;
            let (m, count) = mastery.entry((l, c)).or_insert((0.0, 0));
            let before = *m;
            *m = (*m + if correct { 0.12 } else { -0.08 }).clamp(0.0, 0.99);
            *count += 1;
            let crossed = i64::from(*m >= MASTERED_AT) - i64::from(before >= MASTERED_AT);
            for sums in [person_days.entry((l, day.0)).or_default(), program_days.entry((p, l, day.0)).or_default()] {
                sums.evidence += 1;
                sums.answers += 1;
                sums.correct += if correct { 1.0 } else { 0.0 };
                sums.wrong += i64::from(!correct);
                sums.mastery_gain += *m - before;
                sums.mastered_gain += crossed;
            }
            person_days.get_mut(&(l, day.0)).expect("just added").activity += 1;
            let o = org_days.entry(day.0).or_default();
            o.evidence += 1;
            o.answers += 1;
            o.correct += if correct { 1.0 } else { 0.0 };
            evidence.push(EvidenceRecord {
                id: EvidenceId::new(),
                person: learners[l],
                concept: concepts[c],
                kind: "graded_answer".into(),
                outcome: Some(if correct { 1.0 } else { 0.0 }),
                source: "practice".into(),
                recorded_by: Some(learners[l]),
                idempotency_key: None,
                occurred_at: at,
            });
        }
        loaded_evidence += evidence.len();
        store.bulk_load_learning(org, &LearningHistory { evidence, ..LearningHistory::default() }).await?;
    }
    let standings: Vec<LearnerConceptRecord> = mastery
        .iter()
        .map(|(&(l, c), &(m, count))| LearnerConceptRecord {
            person: learners[l],
            concept: concepts[c],
            state: ConceptState::default(),
            mastery: m,
            evidence_count: count,
            review: None,
            review_due: None,
            updated_at: now,
        })
        .collect();
    let standing_rows = standings.len();
    store
        .bulk_load_learning(org, &LearningHistory { learner_concepts: standings, ..LearningHistory::default() })
        .await?;

    // The rollups: active people per day and the first day of each person's week.
    let mut weeks: HashMap<(usize, i64), i64> = HashMap::new();
    for (&(l, day), sums) in &person_days {
        if sums.activity > 0 {
            let first = weeks.entry((l, Day(day).week())).or_insert(day);
            *first = (*first).min(day);
        }
    }
    let mut active: HashMap<i64, i64> = HashMap::new();
    for (&(_, day), sums) in &person_days {
        if sums.activity > 0 {
            *active.entry(day).or_default() += 1;
        }
    }
    let mut starters: HashMap<i64, i64> = HashMap::new();
    for &day in weeks.values() {
        *starters.entry(day).or_default() += 1;
    }
    let rows: Vec<Vec<BulkValue>> = org_days
        .iter()
        .map(|(&day, s)| {
            vec![
                int(day),
                int(active.get(&day).copied().unwrap_or(0)),
                int(starters.get(&day).copied().unwrap_or(0)),
                int(s.conversations),
                int(s.questions),
                int(s.generated),
                int(s.extractive),
                int(s.refused),
                int(s.helpful),
                int(s.unhelpful),
                int(s.input_tokens),
                int(s.output_tokens),
                float(s.cost),
                int(s.evidence),
                int(s.answers),
                float(s.correct),
            ]
        })
        .collect();
    store.bulk_load_activity(org, ActivityTable::OrgDays, rows).await?;
    let person_rows = person_days.len();
    let mut rows = Vec::with_capacity(BATCH);
    for (&(l, day), s) in &person_days {
        rows.push(vec![
            text(learners[l]),
            int(day),
            int(s.activity),
            int(s.questions),
            int(s.generated),
            int(s.extractive),
            int(s.refused),
            int(s.helpful),
            int(s.unhelpful),
            int(s.input_tokens),
            int(s.output_tokens),
            float(s.cost),
            int(s.evidence),
            int(s.answers),
            float(s.correct),
            int(s.wrong),
            float(s.mastery_gain),
            int(s.mastered_gain),
        ]);
        if rows.len() == BATCH {
            store.bulk_load_activity(org, ActivityTable::PersonDays, std::mem::take(&mut rows)).await?;
        }
    }
    store.bulk_load_activity(org, ActivityTable::PersonDays, rows).await?;
    let rows: Vec<Vec<BulkValue>> = weeks.keys().map(|&(l, week)| vec![text(learners[l]), int(week)]).collect();
    store.bulk_load_activity(org, ActivityTable::PersonWeeks, rows).await?;
    let mut last: HashMap<usize, i64> = HashMap::new();
    for (&(l, day), s) in &person_days {
        if s.activity > 0 {
            let d = last.entry(l).or_insert(day);
            *d = (*d).max(day);
        }
    }
    let rows: Vec<Vec<BulkValue>> = last.iter().map(|(&l, &day)| vec![text(learners[l]), int(day)]).collect();
    store.bulk_load_activity(org, ActivityTable::PersonLastActive, rows).await?;
    let rows: Vec<Vec<BulkValue>> = coach_days
        .iter()
        .map(|(&(p, day), s)| {
            vec![
                text(&profiles[p]),
                int(day),
                int(s.questions),
                int(s.generated),
                int(s.extractive),
                int(s.refused),
                int(s.helpful),
                int(s.unhelpful),
                int(s.input_tokens),
                int(s.output_tokens),
                float(s.cost),
            ]
        })
        .collect();
    store.bulk_load_activity(org, ActivityTable::CoachDays, rows).await?;
    let program_rows = program_days.len();
    let mut rows = Vec::with_capacity(BATCH);
    for (&(p, l, day), s) in &program_days {
        rows.push(vec![
            text(programs[p]),
            text(learners[l]),
            int(day),
            int(s.evidence),
            int(s.answers),
            float(s.correct),
            float(s.mastery_gain),
            int(s.mastered_gain),
        ]);
        if rows.len() == BATCH {
            store.bulk_load_activity(org, ActivityTable::ProgramDays, std::mem::take(&mut rows)).await?;
        }
    }
    store.bulk_load_activity(org, ActivityTable::ProgramDays, rows).await?;
    drop((person_days, program_days, coach_days, mastery));
    let t = Instant::now();
    store.analyze_after_bulk_load().await?;
    println!(
        "data              {} learners, {} coaches ({MANAGED_COACHES} under the manager), {PROGRAMS} programs, {} conversations, {loaded_messages} messages, {loaded_evidence} evidence, {standing_rows} learner-concept states; rollups: {person_rows} person-days, {program_rows} program-days, {} org-days",
        args.learners,
        args.coaches,
        conversation_ids.len(),
        org_days.len()
    );
    println!(
        "load              {:.0} s in all (ANALYZE {:.1} s); {}",
        started.elapsed().as_secs_f64(),
        t.elapsed().as_secs_f64(),
        rss()
    );
    Ok(Seeded {
        org,
        admin,
        manager,
        coach: coaches[0],
        learners: [learners[0], learners[1]],
        profile: profiles[0].clone(),
    })
}

/// Serves the application over the loaded organisation and measures it.
async fn measure(store: &Store, config: &Config, args: &BenchAnalyticsArgs, seeded: &Seeded) -> anyhow::Result<()> {
    let (org, now) = (seeded.org, Utc::now());
    let tokens = [
        ("admin", bearer(&token_for(store, seeded.admin).await?)?),
        ("manager", bearer(&token_for(store, seeded.manager).await?)?),
        ("coach", bearer(&token_for(store, seeded.coach).await?)?),
        ("learner", bearer(&token_for(store, seeded.learners[0]).await?)?),
    ];
    let token = |who: &str| tokens.iter().find(|(w, _)| *w == who).map(|(_, t)| t.clone()).expect("a token");
    let knowledge = KnowledgeBase::new(store.clone(), None, None, IngestLimits::default());
    let state = wayfinder_server::AppState::new(knowledge, config.server_settings()?);
    let listener = TcpListener::bind("127.0.0.1:0").await.context("cannot listen on 127.0.0.1")?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(wayfinder_server::serve(
        listener,
        state,
        async move {
            let _ = stopped.await;
        },
        std::time::Duration::from_secs(5),
    ));

    let base = format!("/api/v1/orgs/{org}");
    let operations: Vec<(String, &'static str, &str)> = vec![
        ("admin overview, 30 days".into(), "GET …/insights/overview?days=30", "admin"),
        ("admin overview, a year".into(), "GET …/insights/overview?days=365", "admin"),
        ("knowledge gaps, 30 days".into(), "GET …/insights/gaps", "admin"),
        ("outcomes, 90 days".into(), "GET …/insights/outcomes", "admin"),
        ("admin: learners at a glance, page of 50".into(), "GET …/insights/learners", "admin"),
        ("coach: their learners at a glance".into(), "GET …/insights/learners", "coach"),
        ("manager: their coaches' learners".into(), "GET …/insights/learners", "manager"),
        ("manager: their coaches' teams".into(), "GET …/insights/team", "manager"),
        ("learner: own dashboard".into(), "GET …/insights/learners/{me}", "learner"),
    ];
    let paths = [
        format!("{base}/insights/overview?days=30"),
        format!("{base}/insights/overview?days=365"),
        format!("{base}/insights/gaps"),
        format!("{base}/insights/outcomes"),
        format!("{base}/insights/learners"),
        format!("{base}/insights/learners"),
        format!("{base}/insights/learners"),
        format!("{base}/insights/team"),
        format!("{base}/insights/learners/{}", seeded.learners[0]),
    ];
    let mut client = Client::connect(addr).await?;
    let mut table = Vec::new();
    for ((name, how, who), path) in operations.into_iter().zip(paths) {
        let auth = token(who);
        let mut ms = Vec::with_capacity(args.requests);
        let mut note = String::new();
        for i in 0..WARM_UP + args.requests {
            let (status, body, took) = client.call(Method::GET, &path, &auth, None).await?;
            expect(status, StatusCode::OK, &name, &body)?;
            if i == 0 {
                note = describe(&name, &body);
            }
            if i >= WARM_UP {
                ms.push(took);
            }
        }
        table.push(Row { name, how, ms, note });
    }
    print_table(&table);

    // The CSV export of every message, read as it streams.
    let before = read_memory(std::process::id())?;
    let t = Instant::now();
    let (rows, bytes) = stream_csv(addr, &format!("{base}/exports/messages"), &token("admin")).await?;
    let seconds = t.elapsed().as_secs_f64();
    let after = read_memory(std::process::id())?;
    println!(
        "csv export        {} message rows ({:.0} MB) in {seconds:.1} s: {:.0} rows/s; RSS {:.1} → {:.1} MB, peak {:.1} → {:.1} MB",
        rows,
        bytes as f64 / 1e6,
        rows as f64 / seconds,
        before.rss_kb as f64 / 1024.0,
        after.rss_kb as f64 / 1024.0,
        before.peak_kb as f64 / 1024.0,
        after.peak_kb as f64 / 1024.0
    );

    // What keeping the rollups adds to a write: the statements a turn runs inside its
    // transaction, and the same in a transaction of their own, commit included.
    let person = seeded.learners[1].to_string();
    let tally = Tally { activity: true, questions: 1, extractive: 1, ..Tally::default() };
    let (mut inside, mut whole) = (Vec::with_capacity(args.requests), Vec::with_capacity(args.requests));
    for i in 0..WARM_UP + args.requests {
        let t = Instant::now();
        let scope = TallyScope { person: Some(&person), coach: Some(&seeded.profile), program: None };
        let statements = store.add_to_rollups(org, scope, now.timestamp_millis(), &tally).await?;
        if i >= WARM_UP {
            whole.push(t.elapsed().as_secs_f64() * 1000.0);
            inside.push(statements.as_secs_f64() * 1000.0);
        }
    }
    print_table(&[
        Row {
            name: "rollups a message write adds".into(),
            how: "their statements in the write's transaction",
            ms: inside,
            note: String::new(),
        },
        Row {
            name: "rollups alone, committed".into(),
            how: "Store::add_to_rollups, begin to commit",
            ms: whole,
            note: String::new(),
        },
    ]);
    let _ = stop.send(());
    let _ = server.await;
    println!("memory            at the end: {}", rss());
    Ok(())
}

/// What a dashboard answered, in a few words, so a run shows it measured something real.
fn describe(name: &str, body: &serde_json::Value) -> String {
    let len = |v: &serde_json::Value| v.as_array().map_or(0, Vec::len);
    if name.starts_with("admin overview") {
        format!(
            "{} days, {} questions, {} active in the last week",
            len(&body["days"]),
            body["totals"]["questions"],
            body["weeks"]
                .as_array()
                .and_then(|w| w.last())
                .map_or(serde_json::Value::Null, |w| w["active_people"].clone())
        )
    } else if name.starts_with("knowledge gaps") {
        format!(
            "{} topics from {} unanswered and {} answered questions",
            len(&body["topics"]),
            body["unanswered_questions"],
            body["answered_questions"]
        )
    } else if name.starts_with("outcomes") {
        format!("{} programs", len(&body["programs"]))
    } else if name.contains("teams") {
        format!("{} coaches", len(&body["coaches"]))
    } else if name.contains("glance") || name.contains("learners") && !name.contains("dashboard") {
        format!("{} of {} learners", len(&body["learners"]), body["total"])
    } else {
        format!("{} activity days, streak {}", len(&body["activity"]), body["streak"]["current"])
    }
}

/// Reads a streamed answer to the end without keeping it: rows (lines after the header) and bytes.
async fn stream_csv(addr: std::net::SocketAddr, path: &str, auth: &HeaderValue) -> anyhow::Result<(u64, u64)> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let request = Request::builder()
        .method(Method::GET)
        .uri(path)
        .header(HOST, addr.to_string())
        .header(AUTHORIZATION, auth)
        .body(Full::new(Bytes::new()))?;
    let response = sender.send_request(request).await?;
    anyhow::ensure!(response.status() == StatusCode::OK, "the export answered {}", response.status());
    let mut body = response.into_body();
    let (mut newlines, mut bytes) = (0u64, 0u64);
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            bytes += data.len() as u64;
            newlines += data.iter().filter(|b| **b == b'\n').count() as u64;
        }
    }
    // Message contents here hold no line breaks: every line is a row, the first the header.
    Ok((newlines.saturating_sub(1), bytes))
}
