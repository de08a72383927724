//! `wayfinder-bench learning`: what the learning service costs at an
//! organisation's scale, printed, never asserted. On a throwaway database of
//! the configured backend it builds a synthetic organisation, seeded so runs
//! repeat: concepts in a few programs with a random prerequisite DAG (each
//! concept requires 0–6 earlier ones, 3 on average, mostly of its own
//! program), learners enrolled in the first programs of the curriculum, and
//! their evidence, practised roughly in curriculum order over two months.
//! The learner model's state is what the server would hold: every learner's
//! evidence is replayed through `wayfinder_learning_rules::mastery::update`
//! (with the same predictions and review cards as a live write), and all of
//! it goes in through `Store::bulk_load_learning`.
//!
//! It then serves the real application in this process on a free port and
//! measures, one request at a time as a coach (or an admin) with an API token:
//! - evidence written through `POST …/learners/{id}/evidence` (the mastery update included),
//! - the path to a goal whose concept has about 500 ancestors (`GET …/goals/{goal}/path`),
//! - the next best step (`GET …/next-step`), for a learner with that goal and for
//!   learners without goals (then every concept of their programs is a target),
//! - a coach's overview of their 200 learners' progress (`GET …/learners/progress`),
//!
//! and the process's memory after loading and after measuring.

use crate::{
    api::Scratch,
    cli::BenchLearningArgs,
    knowledge::{Rng, rss},
};
use anyhow::{Context, bail};
use chrono::{DateTime, Duration, Utc};
use http_body_util::{BodyExt, Full};
use hyper::{
    Method, Request, StatusCode,
    body::Bytes,
    client::conn::http1::{SendRequest, handshake},
    header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue},
};
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::{collections::HashMap, net::SocketAddr, str::FromStr, time::Instant};
use tokio::net::{TcpListener, TcpStream};
use wayfinder::config::Config;
use wayfinder_accounts_rules::{OrgId, PersonId, RelationshipKind, Role, new_secret};
use wayfinder_knowledge::{IngestLimits, KnowledgeBase};
use wayfinder_knowledge_rules::metrics::percentile;
use wayfinder_learning_rules::{
    graph::ConceptGraph,
    mastery::{self, ConceptParams, ConceptState, Evidence, EvidenceKind, LearnerState, MasteryParams},
    program::{ConceptId, EvidenceId, GoalId, GoalKind, MaterialRef, ProgramId},
    review::{self, ReviewCard},
};
use wayfinder_store::{
    BulkEnrolment, BulkMember, BulkPrerequisite, BulkProgram, ConceptRecord, EvidenceRecord, GoalRecord,
    LearnerConceptRecord, LearningHistory, NewCollection, NewDocument, NewPerson, QuestionRecord, Store, StoreOptions,
};

/// Programs the concepts are split into; learners take them in order.
const PROGRAMS: usize = 5;
/// Learners the measured coach follows.
const COACHED: usize = 200;
/// Ancestors the measured goal should have (at least).
const GOAL_ANCESTORS: usize = 500;
/// Concepts sharing one knowledge-base document as their material.
const CONCEPTS_PER_DOCUMENT: usize = 50;
/// Learners whose evidence and state go into one bulk-load transaction.
const LEARNERS_PER_LOAD: usize = 500;
/// How far back the synthetic history starts.
const HISTORY_DAYS: i64 = 60;
/// Share of a concept's prerequisites drawn from its own program.
const SAME_PROGRAM: f64 = 0.9;
/// Unmeasured calls of each operation first (connections, statement caches, the graph cache).
pub(crate) const WARM_UP: usize = 5;

/// Runs the benchmark on a throwaway copy of the configured backend.
pub async fn run(config: &Config, args: &BenchLearningArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.concepts >= PROGRAMS, "--concepts must be at least {PROGRAMS}");
    anyhow::ensure!(args.learners > COACHED, "--learners must be more than {COACHED}");
    anyhow::ensure!(args.requests > 0, "--requests must be at least 1");
    Scratch::around(&config.database_url(), async |scratch| measure(scratch, config, args).await).await
}

async fn measure(scratch: &Scratch, config: &Config, args: &BenchLearningArgs) -> anyhow::Result<()> {
    println!(
        "wayfinder bench learning — backend {}, {} concepts, {} learners, {} evidence, seed {}; {}",
        scratch.backend,
        args.concepts,
        args.learners,
        args.evidence,
        args.seed,
        rss()
    );
    let max_connections = config.database_max_connections;
    let store = Store::connect(&StoreOptions { url: scratch.database_url.clone(), max_connections }).await?;
    store.migrate().await?;
    let outcome = load_and_measure(&store, config, args).await;
    store.close().await;
    outcome
}

async fn load_and_measure(store: &Store, config: &Config, args: &BenchLearningArgs) -> anyhow::Result<()> {
    let mut rng = Rng(args.seed);
    let mut ids = Ids::new(args.seed);
    let org = store.create_org("bench", "Benchmark").await?.id;
    let coach = seed_member(store, org, "coach@bench.example", "Bench Coach", Role::Coach).await?;
    let admin = seed_member(store, org, "admin@bench.example", "Bench Admin", Role::Admin).await?;

    let started = Instant::now();
    let mut graph = Curriculum::generate(&mut rng, &mut ids, args.concepts);
    let goal = graph.goal_concept();
    let goal_ancestors = graph.ancestors[goal];
    graph.material = create_documents(store, org, args.concepts.div_ceil(CONCEPTS_PER_DOCUMENT)).await?;
    let learners = Learners::generate(&mut rng, &mut ids, &graph, args, goal);
    let generated = started.elapsed().as_secs_f64();

    // The graph, the members, their enrolments and goals in one transaction; then the
    // learners' evidence and model state a few hundred learners per transaction.
    let mut load = LoadTally::default();
    let history = learners.first_slice(&graph, coach);
    load.add(store.bulk_load_learning(org, &history).await?, &history);
    drop(history);
    let replay_started = Instant::now();
    let mut replay_seconds = 0.0;
    for from in (0..args.learners).step_by(LEARNERS_PER_LOAD) {
        let t = Instant::now();
        let to = (from + LEARNERS_PER_LOAD).min(args.learners);
        let history = learners.evidence_slice(&mut ids, &graph, from..to, coach);
        replay_seconds += t.elapsed().as_secs_f64();
        let t = Instant::now();
        load.add(store.bulk_load_learning(org, &history).await?, &history);
        load.seconds += t.elapsed().as_secs_f64();
    }
    for learner in &learners.coached {
        store.create_relationship(org, RelationshipKind::CoachLearner, coach, learners.people[*learner]).await?;
    }
    // The practice bank, before ANALYZE so the planner knows it as it would a live system's.
    let questions = seed_questions(store, org, &graph, &learners, coach).await?;
    let t = Instant::now();
    store.analyze_after_bulk_load().await?;
    let analyze = t.elapsed().as_secs_f64();
    let total = replay_started.elapsed().as_secs_f64();
    println!(
        "data              {} programs, {} concepts, {} prerequisites ({:.2} per concept), {} learners \
         ({} coached by one coach), {} evidence, {} learner-concept states, {} goals",
        PROGRAMS,
        args.concepts,
        graph.edge_count(),
        graph.edge_count() as f64 / args.concepts as f64,
        args.learners,
        learners.coached.len(),
        load.evidence,
        load.learner_concepts,
        load.goals
    );
    println!(
        "goal              concept #{goal} with {goal_ancestors} ancestors (ancestors per concept: mean {:.0}, max {}; \
         {} concepts have at least {GOAL_ANCESTORS})",
        graph.ancestors.iter().sum::<usize>() as f64 / args.concepts as f64,
        graph.ancestors.iter().max().copied().unwrap_or(0),
        graph.ancestors.iter().filter(|a| **a >= GOAL_ANCESTORS).count()
    );
    println!(
        "load              {} rows in {:.1} s through Store::bulk_load_learning: {:.0} rows/s \
         (+ {generated:.1} s generating the graph and learners, {replay_seconds:.1} s generating and replaying \
         evidence through the learner model, {analyze:.1} s ANALYZE; {total:.0} s in all)",
        load.rows,
        load.seconds,
        load.rows as f64 / load.seconds.max(1e-9)
    );
    println!(
        "questions         {questions} approved questions on the goal's {} concepts",
        questions / QUESTIONS_PER_CONCEPT
    );
    println!("memory            after loading: {}", rss());

    let mut learner_tokens = HashMap::new();
    for &l in &learners.coached {
        learner_tokens.insert(l, bearer(&token_for(store, learners.people[l]).await?)?);
    }
    let tokens = Tokens {
        coach: bearer(&token_for(store, coach).await?)?,
        admin: bearer(&token_for(store, admin).await?)?,
        learners: learner_tokens,
    };
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
    let measured = run_requests(addr, org, &graph, &learners, &tokens, args).await;
    let _ = stop.send(());
    let _ = server.await;
    let rows = measured?;
    println!("memory            after measuring: {}", rss());
    print_table(&rows);
    Ok(())
}

// ---------------------------------------------------------------------------
// Deterministic ids

/// Ids drawn from the seed, ordered like the server's UUIDv7s (a counter in the high
/// bits, random low bits), so indexes see inserts in the order a live system makes them.
struct Ids {
    rng: Rng,
    counter: u64,
}

impl Ids {
    fn new(seed: u64) -> Self {
        Ids { rng: Rng(seed ^ 0x1D5), counter: 0x0190_0000_0000_0000 }
    }

    fn next<T: FromStr>(&mut self) -> T
    where
        T::Err: std::fmt::Debug,
    {
        self.counter += 1;
        let (high, low) = (self.counter, self.rng.next());
        let hex = format!("{high:016x}{low:016x}");
        let text = format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]);
        text.parse().expect("32 hex digits are an id")
    }
}

fn unit(rng: &mut Rng) -> f64 {
    (rng.next() >> 11) as f64 / (1u64 << 53) as f64
}

fn below(rng: &mut Rng, n: usize) -> usize {
    (rng.next() % n.max(1) as u64) as usize
}

// ---------------------------------------------------------------------------
// The concept graph

/// Concepts `0..n` in `PROGRAMS` consecutive blocks; every edge points to a lower index.
struct Curriculum {
    ids: Vec<ConceptId>,
    programs: Vec<ProgramId>,
    /// Concepts per program (the last may hold fewer).
    per_program: usize,
    prerequisites: Vec<Vec<usize>>,
    /// How many transitive prerequisites each concept has.
    ancestors: Vec<usize>,
    graph: ConceptGraph<usize>,
    /// Each concept's difficulty (added to the learners' chance of a right answer, in log-odds).
    ease: Vec<f64>,
    /// The knowledge-base documents concepts take their material from, `CONCEPTS_PER_DOCUMENT` each.
    material: Vec<wayfinder_knowledge_rules::DocumentId>,
}

impl Curriculum {
    fn generate(rng: &mut Rng, ids: &mut Ids, n: usize) -> Curriculum {
        let per_program = n.div_ceil(PROGRAMS);
        let mut prerequisites = vec![Vec::new(); n];
        for (i, list) in prerequisites.iter_mut().enumerate().skip(1) {
            let first = (i / per_program) * per_program;
            for _ in 0..below(rng, 7) {
                let j =
                    if i > first && unit(rng) < SAME_PROGRAM { first + below(rng, i - first) } else { below(rng, i) };
                list.push(j);
            }
            list.sort_unstable();
            list.dedup();
        }
        let graph =
            ConceptGraph::new(prerequisites.iter().enumerate().flat_map(|(i, list)| list.iter().map(move |j| (i, *j))));
        let ancestors = (0..n).map(|i| graph.ancestors(&[i]).len()).collect();
        Curriculum {
            ids: (0..n).map(|_| ids.next()).collect(),
            programs: (0..PROGRAMS).map(|_| ids.next()).collect(),
            per_program,
            prerequisites,
            ancestors,
            graph,
            ease: (0..n).map(|_| unit(rng) * 1.6 - 0.8).collect(),
            material: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.ids.len()
    }

    fn program_of(&self, concept: usize) -> usize {
        concept / self.per_program
    }

    /// Concepts of programs `0..=last`.
    fn concepts_through(&self, last: usize) -> usize {
        ((last + 1) * self.per_program).min(self.len())
    }

    fn edge_count(&self) -> usize {
        self.prerequisites.iter().map(Vec::len).sum()
    }

    /// The concept with the fewest ancestors at or above `GOAL_ANCESTORS` (else the most).
    fn goal_concept(&self) -> usize {
        let enough =
            (0..self.len()).filter(|c| self.ancestors[*c] >= GOAL_ANCESTORS).min_by_key(|c| self.ancestors[*c]);
        enough.unwrap_or_else(|| (0..self.len()).max_by_key(|c| self.ancestors[*c]).unwrap_or(0))
    }
}

async fn create_documents(
    store: &Store,
    org: OrgId,
    count: usize,
) -> anyhow::Result<Vec<wayfinder_knowledge_rules::DocumentId>> {
    let collection = store
        .create_collection(&NewCollection {
            org,
            name: "curriculum".into(),
            description: String::new(),
            domains: Vec::new(),
            chunk_tokens: 200,
            chunk_overlap: 20,
            embedding_model: None,
            public: false,
        })
        .await?;
    let mut documents = Vec::with_capacity(count);
    for i in 0..count {
        let new = NewDocument {
            org,
            collection: collection.id,
            title: format!("Unit {i}"),
            source_name: format!("unit-{i}.md"),
            content_type: "text/markdown".into(),
            content_hash: format!("bench-{i}"),
            size_bytes: 0,
            pages: None,
            domains: Vec::new(),
            uploaded_by: None,
        };
        let document = match store.put_document(&new, &[]).await? {
            wayfinder_store::DocumentWrite::Created(d)
            | wayfinder_store::DocumentWrite::Replaced(d)
            | wayfinder_store::DocumentWrite::Unchanged(d) => d,
        };
        documents.push(document.id);
    }
    Ok(documents)
}

// ---------------------------------------------------------------------------
// Learners

struct Learners {
    people: Vec<PersonId>,
    /// The last program each learner is enrolled in (they take programs `0..=last`).
    last_program: Vec<usize>,
    /// Each learner's goal concept, if any.
    goal_of: Vec<Option<usize>>,
    goal_ids: Vec<Option<GoalId>>,
    evidence_count: Vec<usize>,
    /// Learner indices the coach follows.
    coached: Vec<usize>,
    /// Learners without goals (next step over all their programs).
    without_goals: Vec<usize>,
    /// How able each learner is (log-odds).
    ability: Vec<f64>,
    seed: u64,
}

impl Learners {
    fn generate(rng: &mut Rng, ids: &mut Ids, graph: &Curriculum, args: &BenchLearningArgs, goal: usize) -> Learners {
        let n = args.learners;
        let people: Vec<PersonId> = (0..n).map(|_| ids.next()).collect();
        let step = n / COACHED;
        let coached: Vec<usize> = (0..COACHED).map(|i| i * step).collect();
        let mut last_program: Vec<usize> = (0..n).map(|_| below(rng, PROGRAMS)).collect();
        let mut goal_of: Vec<Option<usize>> = vec![None; n];
        for (l, target) in goal_of.iter_mut().enumerate() {
            // Half the learners have a goal in their programs.
            if rng.next().is_multiple_of(2) {
                *target = Some(below(rng, graph.concepts_through(last_program[l])));
            }
        }
        for &l in &coached {
            last_program[l] = last_program[l].max(graph.program_of(goal));
            goal_of[l] = Some(goal);
        }
        let goal_ids = goal_of.iter().map(|g| g.map(|_| ids.next())).collect();
        // Evidence per learner: 0.25× to 1.75× the mean, adjusted to the exact total.
        let mean = args.evidence as f64 / n as f64;
        let mut evidence_count: Vec<usize> = (0..n).map(|_| (mean * (0.25 + 1.5 * unit(rng))) as usize).collect();
        let mut total: usize = evidence_count.iter().sum();
        let mut l = 0;
        while total != args.evidence {
            if total < args.evidence {
                evidence_count[l % n] += 1;
                total += 1;
            } else if evidence_count[l % n] > 0 {
                evidence_count[l % n] -= 1;
                total -= 1;
            }
            l += 1;
        }
        let without_goals = (0..n).filter(|l| goal_of[*l].is_none() && !coached.contains(l)).collect();
        let ability = (0..n).map(|_| unit(rng) * 2.0 - 1.0).collect();
        Learners {
            people,
            last_program,
            goal_of,
            goal_ids,
            evidence_count,
            coached,
            without_goals,
            ability,
            seed: args.seed,
        }
    }

    /// The programs, concepts, prerequisites, members, enrolments and goals.
    fn first_slice(&self, graph: &Curriculum, coach: PersonId) -> LearningHistory {
        let programs = graph
            .programs
            .iter()
            .enumerate()
            .map(|(p, id)| BulkProgram {
                id: *id,
                title: format!("Program {p}"),
                description: format!("Synthetic program {p} of the benchmark"),
                self_enrolment: false,
            })
            .collect();
        let concepts = (0..graph.len())
            .map(|c| ConceptRecord {
                id: graph.ids[c],
                program: graph.programs[graph.program_of(c)],
                name: format!("Concept {c}"),
                description: format!("What concept {c} teaches"),
                tags: Vec::new(),
                estimated_minutes: 15 + (c % 4) as i64 * 15,
                material: vec![MaterialRef {
                    document: graph.material[c / CONCEPTS_PER_DOCUMENT],
                    section: vec![format!("Section {c}")],
                }],
                position: (c % graph.per_program) as i64,
            })
            .collect();
        let prerequisites = graph
            .prerequisites
            .iter()
            .enumerate()
            .flat_map(|(c, list)| {
                list.iter().map(move |r| BulkPrerequisite {
                    program: graph.programs[graph.program_of(c)],
                    concept: graph.ids[c],
                    requires: graph.ids[*r],
                })
            })
            .collect();
        let members = self
            .people
            .iter()
            .enumerate()
            .map(|(l, id)| BulkMember {
                id: *id,
                email: format!("learner{l}@bench.example"),
                display_name: format!("Learner {l}"),
                role: Role::Learner,
            })
            .collect();
        let enrolments = self
            .people
            .iter()
            .enumerate()
            .flat_map(|(l, person)| {
                (0..=self.last_program[l]).map(move |p| BulkEnrolment {
                    program: graph.programs[p],
                    person: *person,
                    enrolled_by: Some(coach),
                })
            })
            .collect();
        let goals = (0..self.people.len())
            .filter_map(|l| {
                let (concept, id) = (self.goal_of[l]?, self.goal_ids[l]?);
                Some(GoalRecord {
                    id,
                    person: self.people[l],
                    kind: GoalKind::Concept,
                    title: format!("Concept {concept}"),
                    targets: vec![graph.ids[concept]],
                    set_by: Some(coach),
                    created_at: Utc::now() - Duration::days(HISTORY_DAYS),
                    deadline: None,
                })
            })
            .collect();
        LearningHistory { members, programs, concepts, prerequisites, enrolments, goals, ..Default::default() }
    }

    /// Learners `range`'s evidence and the learner model's state after replaying it.
    fn evidence_slice(
        &self,
        ids: &mut Ids,
        graph: &Curriculum,
        range: std::ops::Range<usize>,
        coach: PersonId,
    ) -> LearningHistory {
        let params = MasteryParams::default();
        let concept_params = ConceptParams::unseen(&params);
        let now = Utc::now().timestamp();
        let mut history = LearningHistory::default();
        for l in range {
            // Each learner's own stream, so a slice does not depend on the ones before it.
            let mut rng = Rng(self.seed.wrapping_mul(0x9E37_79B9).wrapping_add(l as u64 * 7919));
            let count = self.evidence_count[l];
            if count == 0 {
                continue;
            }
            let person = self.people[l];
            let coached = self.coached.binary_search(&l).is_ok();
            // The concepts practised, about six pieces of evidence each: a first stretch of each
            // enrolled program, longer in the earlier ones, so what a learner practised mostly
            // has its prerequisites practised too. Worked through in that order.
            let last = self.last_program[l];
            let mut left = (count / 6).max(1);
            let mut studied = Vec::with_capacity(left);
            for p in 0..=last {
                let first = p * graph.per_program;
                let size = graph.concepts_through(p) - first;
                let share = if p == last { left } else { (left as f64 * (0.3 + 0.4 * unit(&mut rng))) as usize };
                let share = share.min(size);
                studied.extend(first..first + share);
                left -= share;
            }
            if studied.is_empty() {
                studied.push(0);
            }
            let start = now - HISTORY_DAYS * 86_400 + below(&mut rng, 14 * 86_400) as i64;
            let span = (now - 3_600 - start).max(1);

            let mut learner = LearnerState::default();
            let mut concepts: HashMap<usize, (ConceptState, f64, i64, Option<ReviewCard>, i64)> = HashMap::new();
            for j in 0..count {
                let at = start + span * j as i64 / count as i64;
                let block = studied[j * studied.len() / count];
                // One answer in five goes back to an earlier concept.
                let c = if unit(&mut rng) < 0.2 { studied[below(&mut rng, studied.len())].min(block) } else { block };
                let r = unit(&mut rng);
                let kind = match r {
                    r if r < 0.88 => EvidenceKind::GradedAnswer,
                    r if r < 0.93 => EvidenceKind::Exposure,
                    r if r < 0.98 => EvidenceKind::Review,
                    _ => EvidenceKind::Demonstrated,
                };
                let tried = concepts.get(&c).map_or(0, |e| e.0.answers);
                let chance = sigmoid(1.0 + self.ability[l] + graph.ease[c] + 0.8 * f64::from(tried).ln_1p());
                let outcome = kind.is_graded().then(|| if unit(&mut rng) < chance { 1.0 } else { 0.0 });

                // The server's update (Learning::record_evidence): predictions before and after,
                // prerequisites counted by their stored mastery.
                let list = &graph.prerequisites[c];
                let prerequisites = mastery::prerequisite_mastery(list.iter().map(|p| concepts.get(p).map(|e| e.1)));
                let entry = concepts.entry(c).or_insert_with(|| (ConceptState::default(), 0.0, 0, None, at));
                let evidence = Evidence { kind, outcome, at };
                let before =
                    mastery::predict(&params, &concept_params, &learner, &entry.0, prerequisites, at).probability;
                mastery::update(&params, &mut learner, &mut entry.0, evidence);
                let after =
                    mastery::predict(&params, &concept_params, &learner, &entry.0, prerequisites, at).probability;
                entry.3 = review::card_after(entry.3.take(), kind, outcome, before, after, at);
                entry.1 = after;
                entry.2 += 1;
                entry.4 = at;
                let occurred_at = time(at);
                history.evidence.push(EvidenceRecord {
                    id: ids.next::<EvidenceId>(),
                    person,
                    concept: graph.ids[c],
                    kind: kind.to_string(),
                    outcome,
                    source: "practice".into(),
                    recorded_by: (coached && kind == EvidenceKind::Demonstrated).then_some(coach),
                    idempotency_key: None,
                    occurred_at,
                });
            }
            history.learner_states.push((person, learner));
            let mut rows: Vec<_> = concepts.into_iter().collect();
            rows.sort_unstable_by_key(|(c, _)| *c);
            for (c, (state, mastery, count, card, last)) in rows {
                history.learner_concepts.push(LearnerConceptRecord {
                    person,
                    concept: graph.ids[c],
                    state,
                    mastery,
                    evidence_count: count,
                    review_due: card.as_ref().map(|c| time(c.due)),
                    review: card,
                    updated_at: time(last),
                });
            }
        }
        history
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn time(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

#[derive(Default)]
struct LoadTally {
    rows: u64,
    seconds: f64,
    evidence: usize,
    learner_concepts: usize,
    goals: usize,
}

impl LoadTally {
    fn add(&mut self, rows: u64, history: &LearningHistory) {
        self.rows += rows;
        self.evidence += history.evidence.len();
        self.learner_concepts += history.learner_concepts.len();
        self.goals += history.goals.len();
    }
}

pub(crate) async fn seed_member(
    store: &Store,
    org: OrgId,
    email: &str,
    name: &str,
    role: Role,
) -> anyhow::Result<PersonId> {
    let person = store
        .create_person(&NewPerson {
            email: email.into(),
            display_name: name.into(),
            password_hash: None,
            is_operator: false,
        })
        .await?
        .id;
    store.add_member(org, person, role).await?;
    Ok(person)
}

pub(crate) async fn token_for(store: &Store, person: PersonId) -> anyhow::Result<String> {
    let secret = new_secret("wft");
    store.create_token(person, "bench", &secret.digest, Utc::now() + Duration::days(1)).await?;
    Ok(secret.plaintext)
}

pub(crate) fn bearer(token: &str) -> anyhow::Result<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))?;
    value.set_sensitive(true);
    Ok(value)
}

// ---------------------------------------------------------------------------
// Measuring

struct Tokens {
    coach: HeaderValue,
    admin: HeaderValue,
    /// The coached learners' own tokens, by learner index: practice is done as the learner.
    learners: HashMap<usize, HeaderValue>,
}

/// One keep-alive HTTP/1.1 connection to the server under test.
pub(crate) struct Client {
    sender: SendRequest<Full<Bytes>>,
    addr: SocketAddr,
}

impl Client {
    pub(crate) async fn connect(addr: SocketAddr) -> anyhow::Result<Client> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Client { sender, addr })
    }

    /// Sends a request and reads the whole answer; the time covers both.
    pub(crate) async fn call(
        &mut self,
        method: Method,
        path: &str,
        auth: &HeaderValue,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<(StatusCode, serde_json::Value, f64)> {
        let started = Instant::now();
        self.sender.ready().await?;
        let mut request =
            Request::builder().method(method).uri(path).header(HOST, self.addr.to_string()).header(AUTHORIZATION, auth);
        let body = match body {
            Some(json) => {
                request = request.header(CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(json.to_string()))
            }
            None => Full::new(Bytes::new()),
        };
        let response = self.sender.send_request(request.body(body)?).await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        Ok((status, json, ms))
    }
}

/// One measured operation's samples and what it observed.
pub(crate) struct Row {
    pub(crate) name: String,
    pub(crate) how: &'static str,
    pub(crate) ms: Vec<f64>,
    pub(crate) note: String,
}

async fn run_requests(
    addr: SocketAddr,
    org: OrgId,
    graph: &Curriculum,
    learners: &Learners,
    tokens: &Tokens,
    args: &BenchLearningArgs,
) -> anyhow::Result<Vec<Row>> {
    let mut client = Client::connect(addr).await?;
    let mut rng = Rng(args.seed ^ 0xBE7C);
    let n = args.requests;
    let base = format!("/api/v1/orgs/{org}/learners");
    let person = |l: usize| learners.people[l];
    let mut rows = Vec::new();

    // The first call of a fresh process loads the published graph.
    let first = learners.coached[0];
    let (status, body, first_ms) =
        client.call(Method::GET, &format!("{}/{}/next-step", base, person(first)), &tokens.coach, None).await?;
    expect(status, StatusCode::OK, "next-step", &body)?;

    // 1. Evidence through the API: graded answers on concepts of the learner's path.
    let closure: Vec<usize> = {
        let goal = learners.goal_of[first].expect("coached learners have the goal");
        let mut c = graph.graph.ancestors(&[goal]);
        c.push(goal);
        c
    };
    let mut ms = Vec::with_capacity(n);
    for i in 0..WARM_UP + n {
        let l = learners.coached[i % learners.coached.len()];
        let concept = graph.ids[closure[below(&mut rng, closure.len())]];
        let body = json!({
            "concept_id": concept,
            "kind": "graded_answer",
            "correct": !rng.next().is_multiple_of(3),
            "source": "bench",
            "idempotency_key": format!("bench-{i}"),
        });
        let (status, answer, took) =
            client.call(Method::POST, &format!("{}/{}/evidence", base, person(l)), &tokens.coach, Some(body)).await?;
        expect(status, StatusCode::CREATED, "evidence", &answer)?;
        if i >= WARM_UP {
            ms.push(took);
        }
    }
    rows.push(Row {
        name: "evidence write + mastery update".into(),
        how: "POST …/evidence (coach)",
        ms,
        note: "graded answers, with idempotency keys".into(),
    });

    // 2. The path to the goal with ~500 ancestors, for each coached learner in turn.
    let mut ms = Vec::with_capacity(n);
    let mut steps = Vec::with_capacity(n);
    for i in 0..WARM_UP + n {
        let l = learners.coached[i % learners.coached.len()];
        let goal = learners.goal_ids[l].expect("coached learners have a goal");
        let (status, path, took) =
            client.call(Method::GET, &format!("{}/{}/goals/{goal}/path", base, person(l)), &tokens.coach, None).await?;
        expect(status, StatusCode::OK, "path", &path)?;
        if i >= WARM_UP {
            ms.push(took);
            steps.push(path["steps"].as_array().map_or(0, Vec::len) as f64);
        }
    }
    let goal = learners.goal_of[first].expect("coached learners have the goal");
    rows.push(Row {
        name: format!("path to a goal ({} ancestors)", graph.ancestors[goal]),
        how: "GET …/goals/{id}/path (coach)",
        note: format!("steps p50 {:.0}, max {:.0}", percentile(&mut steps, 50.0), percentile(&mut steps, 100.0)),
        ms,
    });

    // 3. The next step, with that goal and without goals.
    let mut ms = Vec::with_capacity(n);
    let mut kinds: HashMap<String, usize> = HashMap::new();
    for i in 0..WARM_UP + n {
        let l = learners.coached[i % learners.coached.len()];
        let (status, next, took) =
            client.call(Method::GET, &format!("{}/{}/next-step", base, person(l)), &tokens.coach, None).await?;
        expect(status, StatusCode::OK, "next-step", &next)?;
        if i >= WARM_UP {
            ms.push(took);
            *kinds.entry(next["next"]["kind"].as_str().unwrap_or("none").to_string()).or_default() += 1;
        }
    }
    rows.push(Row {
        name: "next best step (learner with that goal)".into(),
        how: "GET …/next-step (coach)",
        note: describe_kinds(&kinds),
        ms,
    });
    let mut ms = Vec::with_capacity(n);
    let mut kinds: HashMap<String, usize> = HashMap::new();
    let mut targets = Vec::with_capacity(n);
    for i in 0..WARM_UP + n {
        let l = learners.without_goals[below(&mut rng, learners.without_goals.len())];
        let (status, next, took) =
            client.call(Method::GET, &format!("{}/{}/next-step", base, person(l)), &tokens.admin, None).await?;
        expect(status, StatusCode::OK, "next-step", &next)?;
        if i >= WARM_UP {
            ms.push(took);
            targets.push(graph.concepts_through(learners.last_program[l]) as f64);
            *kinds.entry(next["next"]["kind"].as_str().unwrap_or("none").to_string()).or_default() += 1;
        }
    }
    rows.push(Row {
        name: "next best step (no goal: all enrolled concepts)".into(),
        how: "GET …/next-step (admin)",
        note: format!(
            "{} targets on average; {}",
            (targets.iter().sum::<f64>() / targets.len() as f64).round(),
            describe_kinds(&kinds)
        ),
        ms,
    });

    // 4. The coach's overview of their learners.
    let mut ms = Vec::with_capacity(n);
    let mut summary = String::new();
    let url = format!("/api/v1/orgs/{org}/learners/progress?limit={COACHED}");
    for i in 0..WARM_UP + n {
        let (status, page, took) = client.call(Method::GET, &url, &tokens.coach, None).await?;
        expect(status, StatusCode::OK, "learners' progress", &page)?;
        let listed = page["learners"].as_array().map_or(0, Vec::len);
        if listed != learners.coached.len() {
            bail!("the overview lists {listed} learners, expected {}", learners.coached.len());
        }
        if i >= WARM_UP {
            ms.push(took);
        }
        if i == 0 {
            let lines = page["learners"].as_array().into_iter().flatten();
            let (mut mastered, mut enrolled, mut progress) = (0, 0, Vec::new());
            for line in lines {
                mastered += line["mastered_concepts"].as_u64().unwrap_or(0);
                enrolled += line["enrolled_concepts"].as_u64().unwrap_or(0);
                progress.extend(line["goals"].as_array().into_iter().flatten().filter_map(|g| g["progress"].as_f64()));
            }
            summary = format!(
                "{mastered} of {enrolled} enrolled concepts mastered; mean goal progress {:.0} %",
                100.0 * progress.iter().sum::<f64>() / progress.len().max(1) as f64
            );
        }
    }
    rows.push(Row {
        name: format!("coach overview ({} learners × path progress)", learners.coached.len()),
        how: "GET …/learners/progress (coach)",
        note: summary,
        ms,
    });
    // 5. Practice as the learner: start a session on a concept of the goal's closure, then
    // answer its questions (grade, evidence, item statistics, the next item).
    let mut starts = Vec::new();
    let mut answers = Vec::with_capacity(n);
    let mut right = 0usize;
    let mut i = 0usize;
    while answers.len() < n {
        let l = learners.coached[i % learners.coached.len()];
        let token = &tokens.learners[&l];
        let concept = graph.ids[closure[below(&mut rng, closure.len())]];
        let body = json!({ "target": { "kind": "concept", "concept_id": concept }, "size": QUESTIONS_PER_CONCEPT });
        let (status, session, took) =
            client.call(Method::POST, &format!("{}/{}/practice-sessions", base, person(l)), token, Some(body)).await?;
        expect(status, StatusCode::CREATED, "practice session", &session)?;
        if i >= WARM_UP {
            starts.push(took);
        }
        let id = session["id"].as_str().unwrap_or_default().to_string();
        let mut current = session["current"].clone();
        while !current.is_null() && answers.len() < n {
            // Learners answer right about two times in three.
            let correct = !rng.next().is_multiple_of(3);
            let answer = practice_answer(&current["prompt"], correct);
            let body = json!({ "question_id": current["id"], "answer": answer });
            let url = format!("/api/v1/orgs/{org}/practice-sessions/{id}/answers");
            let (status, outcome, took) = client.call(Method::POST, &url, token, Some(body)).await?;
            expect(status, StatusCode::OK, "practice answer", &outcome)?;
            if i >= WARM_UP {
                answers.push(took);
                right += usize::from(outcome["attempt"]["grade"]["correct"] == true);
            }
            current = outcome["session"]["current"].clone();
        }
        i += 1;
    }
    rows.push(Row {
        name: "practice: start a session (choose the first item)".into(),
        how: "POST …/practice-sessions (learner)",
        note: format!("{QUESTIONS_PER_CONCEPT} approved items per concept"),
        ms: starts,
    });
    let graded = answers.len();
    rows.push(Row {
        name: "practice: answer (grade, evidence, next item)".into(),
        how: "POST …/practice-sessions/{id}/answers (learner)",
        note: format!("{right} of {graded} graded right"),
        ms: answers,
    });
    println!("first request     {first_ms:.1} ms (GET next-step of a fresh server: loads the published graph)");
    Ok(rows)
}

/// Approved questions per concept of the goal's closure: a true/false, a cloze and two multiple
/// choice items each.
const QUESTIONS_PER_CONCEPT: usize = 4;

/// The practice bank: [`QUESTIONS_PER_CONCEPT`] approved questions on each concept of the goal's
/// closure, written through the store in one transaction.
async fn seed_questions(
    store: &Store,
    org: OrgId,
    graph: &Curriculum,
    learners: &Learners,
    coach: PersonId,
) -> anyhow::Result<usize> {
    use wayfinder_learning_rules::practice::ItemStatistics;
    use wayfinder_learning_rules::questions::{QuestionBody, QuestionId, QuestionOrigin, QuestionStatus};
    let goal = learners.goal_of[learners.coached[0]].context("coached learners have the goal")?;
    let mut closure = graph.graph.ancestors(&[goal]);
    closure.push(goal);
    let now = Utc::now();
    let mut records = Vec::new();
    for c in closure {
        let name = format!("concept {c}");
        let bodies = [
            QuestionBody::TrueFalse { statement: format!("{name} holds."), answer: true },
            QuestionBody::Cloze {
                text: format!("The key term of {name} is _____."),
                answers: vec![format!("term{c}")],
            },
            QuestionBody::MultipleChoice {
                stem: format!("Which belongs to {name}?"),
                options: vec![format!("a{c}"), format!("b{c}"), format!("c{c}"), format!("d{c}")],
                correct: vec![c % 4],
            },
            QuestionBody::MultipleChoice {
                stem: format!("Which does not belong to {name}?"),
                options: vec![format!("w{c}"), format!("x{c}"), format!("y{c}"), format!("z{c}")],
                correct: vec![(c + 1) % 4],
            },
        ];
        for body in bodies {
            let record = QuestionRecord {
                id: QuestionId::new(),
                concepts: vec![graph.ids[c]],
                body,
                explanation: format!("See the material of {name}."),
                citations: Vec::new(),
                status: QuestionStatus::Approved,
                origin: QuestionOrigin::Authored,
                statistics: ItemStatistics::default(),
                created_by: Some(coach),
                created_at: now,
                updated_at: now,
            };
            records.push(record);
        }
    }
    Ok(store.add_questions(org, &records).await?.len())
}

/// A right (or wrong) answer to a prompt, as a learner would send it. The seeded questions make
/// the right answer computable from the prompt: the option whose index the stem's concept fixes.
fn practice_answer(prompt: &serde_json::Value, correct: bool) -> serde_json::Value {
    let concept: usize = prompt
        .to_string()
        .split("concept ")
        .nth(1)
        .and_then(|rest| rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok())
        .unwrap_or(0);
    match prompt["kind"].as_str() {
        Some("true_false") => json!({ "kind": "true_false", "value": correct }),
        Some("cloze") => {
            json!({ "kind": "text", "text": if correct { format!("term{concept}") } else { "nothing".into() } })
        }
        _ => {
            let negative = prompt["stem"].as_str().is_some_and(|s| s.contains("does not"));
            let right = if negative { (concept + 1) % 4 } else { concept % 4 };
            json!({ "kind": "choice", "selected": [if correct { right } else { (right + 1) % 4 }] })
        }
    }
}

fn describe_kinds(kinds: &HashMap<String, usize>) -> String {
    let mut parts: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    parts.sort();
    parts.join(", ")
}

pub(crate) fn expect(
    status: StatusCode,
    wanted: StatusCode,
    what: &str,
    body: &serde_json::Value,
) -> anyhow::Result<()> {
    if status != wanted {
        bail!("{what} answered {status} (expected {wanted}): {body}");
    }
    Ok(())
}

pub(crate) fn print_table(rows: &[Row]) {
    println!(
        "one request at a time, after {WARM_UP} unmeasured; ms:\n  {:<48} {:<38} {:>5} {:>8} {:>8} {:>8}",
        "operation", "through", "n", "p50", "p95", "p99"
    );
    for row in rows {
        let mut ms = row.ms.clone();
        println!(
            "  {:<48} {:<38} {:>5} {:>8.2} {:>8.2} {:>8.2}",
            row.name,
            row.how,
            ms.len(),
            percentile(&mut ms, 50.0),
            percentile(&mut ms, 95.0),
            percentile(&mut ms, 99.0)
        );
    }
    for row in rows {
        if !row.note.is_empty() {
            println!("  {}: {}", row.name, row.note);
        }
    }
}
