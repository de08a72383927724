//! Practice sessions: a learner practises a concept, their next best step or
//! their due reviews. Each question is chosen so the learner's predicted
//! success on it sits in the productive band, graded at once with feedback
//! that quotes its cited passage, and recorded as evidence for the learner
//! model (rules in `wayfinder_learning_rules::practice`).

use crate::graph_cache::OrgGraph;
use crate::questions::QuestionCitation;
use crate::{ConceptMastery, EvidenceSpec, Learning, LearningError, LearningResult, programs::not_found};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_learning_rules::answer_grading::{MAX_GRADING_ATTEMPTS, grade_schema, grading_prompt, parse_grade};
use wayfinder_learning_rules::mastery::EvidenceKind;
use wayfinder_learning_rules::placement::{MAX_PLACEMENT_ITEMS, Placement, SETTLED};
use wayfinder_learning_rules::practice::{
    Answer, Candidate, Grade, PracticeSessionId, PracticeTarget, SessionStatus, answer_from_text, check_text,
    choose_item, grade, grade_by_meaning, guessing_chance,
};
use wayfinder_learning_rules::program::ConceptId;
use wayfinder_learning_rules::questions::{QuestionBody, QuestionId, QuestionStatus};
use wayfinder_llm::{ChatMessage, ChatRequest, ResponseFormat};
use wayfinder_store::{AnswerWrite, AttemptRecord, AttemptReview, PracticeSessionRecord, QuestionRecord, StoreError};

/// Most questions one session asks.
pub const MAX_SESSION_SIZE: usize = 20;
/// Questions a session asks unless told otherwise.
pub const DEFAULT_SESSION_SIZE: usize = 5;

/// A practice session to start.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionSpec {
    pub target: PracticeTarget,
    /// Questions to ask, 1 to 20 (default 5).
    pub size: Option<usize>,
}

/// A question as the learner sees it: no answer in it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PracticePrompt {
    MultipleChoice {
        stem: String,
        options: Vec<String>,
        /// Whether more than one option is correct.
        several: bool,
    },
    TrueFalse {
        statement: String,
    },
    ShortAnswer {
        prompt: String,
    },
    Cloze {
        /// The sentence with its blank (`_____`).
        text: String,
    },
}

impl From<&QuestionBody> for PracticePrompt {
    fn from(body: &QuestionBody) -> Self {
        match body {
            QuestionBody::MultipleChoice { stem, options, correct } => PracticePrompt::MultipleChoice {
                stem: stem.clone(),
                options: options.clone(),
                several: correct.len() > 1,
            },
            QuestionBody::TrueFalse { statement, .. } => PracticePrompt::TrueFalse { statement: statement.clone() },
            QuestionBody::ShortAnswer { prompt, .. } => PracticePrompt::ShortAnswer { prompt: prompt.clone() },
            QuestionBody::Cloze { text, .. } => PracticePrompt::Cloze { text: text.clone() },
        }
    }
}

/// The correct answer, in words.
fn correct_answer(body: &QuestionBody) -> String {
    match body {
        QuestionBody::MultipleChoice { options, correct, .. } => {
            correct.iter().filter_map(|&i| options.get(i).cloned()).collect::<Vec<_>>().join("; ")
        }
        QuestionBody::TrueFalse { answer, .. } => if *answer { "true" } else { "false" }.to_string(),
        QuestionBody::ShortAnswer { reference, .. } => reference.clone(),
        QuestionBody::Cloze { answers, .. } => answers.join(" / "),
    }
}

/// A question asked in a session.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PracticeQuestion {
    #[schema(value_type = String)]
    pub id: QuestionId,
    /// The concept it practises here.
    pub concept: crate::ConceptName,
    pub prompt: PracticePrompt,
}

/// What the learner learns after answering.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AnswerFeedback {
    /// The correct answer, in words.
    pub correct_answer: String,
    /// Why, quoting the material.
    pub explanation: String,
    /// The passages the question was made from.
    pub citations: Vec<QuestionCitation>,
}

/// One answered question.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PracticeAttempt {
    pub question: PracticeQuestion,
    pub answer: Answer,
    pub grade: Grade,
    pub feedback: AnswerFeedback,
    pub time_taken_ms: Option<i64>,
    pub answered_at: DateTime<Utc>,
    /// The coach's grading, for an answer that could not be graded automatically.
    pub review: Option<AttemptReviewView>,
}

/// A coach's grading of an answer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AttemptReviewView {
    #[schema(value_type = String)]
    pub reviewer_id: PersonId,
    pub reviewed_at: DateTime<Utc>,
    /// What the coach said about the answer (may be empty).
    pub comment: String,
}

/// A coach grades an answer that waited for them.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewSpec {
    #[schema(value_type = String)]
    pub question_id: QuestionId,
    /// Whether the answer is right.
    pub correct: bool,
    /// What to tell the learner (up to 1,000 characters).
    #[serde(default)]
    pub comment: String,
}

/// An answer waiting for a coach.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AwaitingAnswer {
    #[schema(value_type = String)]
    pub session_id: PracticeSessionId,
    #[schema(value_type = String)]
    pub person_id: PersonId,
    pub person_name: String,
    pub question: PracticeQuestion,
    pub answer: Answer,
    /// The reference answer to compare with.
    pub correct_answer: String,
    pub answered_at: DateTime<Utc>,
}

/// A question from the bank a coach poses in a conversation to check understanding.
#[derive(Clone, Debug)]
pub struct CheckQuestion {
    pub question: QuestionId,
    pub concept: ConceptId,
    /// The question as the chat shows it.
    pub text: String,
}

/// How a learner's chat reply to a check question was graded.
#[derive(Clone, Debug)]
pub struct CheckOutcome {
    pub correct: bool,
    pub correct_answer: String,
}

/// Longest comment a coach may leave on an answer.
pub const MAX_REVIEW_COMMENT_CHARS: usize = 1000;

/// A practice session with its answered questions and the one waiting.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PracticeSession {
    #[schema(value_type = String)]
    pub id: PracticeSessionId,
    #[schema(value_type = String)]
    pub person_id: PersonId,
    pub target: PracticeTarget,
    pub size: i64,
    pub status: SessionStatus,
    pub answered: i64,
    /// Answers graded right.
    pub correct: i64,
    /// The question waiting for an answer (null once completed).
    pub current: Option<PracticeQuestion>,
    pub attempts: Vec<PracticeAttempt>,
    /// For a placement: what it has found so far (null for other sessions).
    pub placement: Option<PlacementResult>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// One concept's standing as a placement estimates it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PlacedConcept {
    pub concept: crate::ConceptName,
    /// Probability that the learner knows it.
    pub probability: f64,
    /// Settled as known (true) or unknown (false); null while unsure.
    pub known: Option<bool>,
}

/// What a placement found: each concept of the program, and where to start.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PlacementResult {
    /// The program's concepts in its order.
    pub concepts: Vec<PlacedConcept>,
    /// The proposed starting path: the first concepts (up to 5, in program order) not yet known
    /// whose prerequisites in the program are.
    pub start_with: Vec<crate::ConceptName>,
}

/// A session in a list.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PracticeSessionSummary {
    #[schema(value_type = String)]
    pub id: PracticeSessionId,
    pub target: PracticeTarget,
    pub size: i64,
    pub status: SessionStatus,
    pub answered: i64,
    pub correct: i64,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// An answer to the session's current question.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerSpec {
    #[schema(value_type = String)]
    pub question_id: QuestionId,
    pub answer: Answer,
    /// How long the learner took, in milliseconds (0 to one day).
    pub time_taken_ms: Option<i64>,
}

/// The graded answer, the learner's standing on the concept right after it (null when a coach
/// grades it later), and the session as it now stands.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AnswerOutcome {
    pub attempt: PracticeAttempt,
    pub mastery: Option<ConceptMastery>,
    pub session: PracticeSession,
}

/// The seed of a placement's sample: fixed by its session, so every request replays it alike.
fn placement_seed(id: PracticeSessionId) -> u64 {
    id.to_string().bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// A placement over `concepts` (a program's, in order) with `answers` replayed: (concept,
/// right, guessing chance of the item).
fn replay_placement(
    graph: &OrgGraph,
    concepts: &[ConceptId],
    seed: u64,
    answers: &[(ConceptId, bool, f64)],
) -> LearningResult<Placement> {
    let index: HashMap<ConceptId, usize> = concepts.iter().enumerate().map(|(i, c)| (*c, i)).collect();
    let prerequisites: Vec<Vec<usize>> = concepts
        .iter()
        .map(|c| graph.graph.prerequisites(*c).iter().filter_map(|p| index.get(p).copied()).collect())
        .collect();
    let mut placement = Placement::new(&prerequisites, seed)
        .ok_or_else(|| LearningError::Conflict("the program's prerequisites form a cycle".into()))?;
    for (concept, correct, guess) in answers {
        if let Some(&i) = index.get(concept) {
            placement.observe(i, *correct, *guess);
        }
    }
    Ok(placement)
}

/// A placement's graded answers: (concept, right, guessing chance of the item), from the
/// questions in `questions` (an answer whose question is not there is left out).
fn placement_answers(
    concepts: &[ConceptId],
    attempts: &[AttemptRecord],
    questions: &HashMap<QuestionId, QuestionRecord>,
) -> Vec<(ConceptId, bool, f64)> {
    attempts
        .iter()
        .filter_map(|a| {
            let Grade::Graded { correct, .. } = a.grade else { return None };
            let q = questions.get(&a.question)?;
            let concept = q.concepts.iter().copied().find(|c| concepts.contains(c))?;
            Some((concept, correct, guessing_chance(&q.body)))
        })
        .collect()
}

/// The next placement question: the best item of the concept the placement most wants to ask.
fn next_placement_question(
    placement: &Placement,
    concepts: &[ConceptId],
    candidates: &[(ConceptId, QuestionRecord)],
    asked: &HashSet<QuestionId>,
) -> Option<QuestionId> {
    if placement.is_done() {
        return None;
    }
    // Each concept is asked through its most telling unasked item: the one hardest to guess.
    let mut best: HashMap<ConceptId, (f64, QuestionId)> = HashMap::new();
    for (concept, q) in candidates.iter().filter(|(_, q)| !asked.contains(&q.id)) {
        let guess = guessing_chance(&q.body);
        let slot = best.entry(*concept).or_insert((guess, q.id));
        if guess < slot.0 {
            *slot = (guess, q.id);
        }
    }
    let askable: Vec<Option<f64>> = concepts.iter().map(|c| best.get(c).map(|(g, _)| *g)).collect();
    let next = placement.next_concept(&askable)?;
    best.get(&concepts[next]).map(|(_, q)| *q)
}

fn invalid(field: &str, message: impl Into<String>) -> LearningError {
    LearningError::Invalid { field: field.into(), message: message.into() }
}

impl Learning {
    /// The approved questions of `concepts`, each with the concept it practises here.
    async fn practice_candidates(
        &self,
        org: OrgId,
        concepts: &[ConceptId],
    ) -> LearningResult<Vec<(ConceptId, QuestionRecord)>> {
        Ok(self.store.questions_of_concepts(org, concepts, QuestionStatus::Approved).await?)
    }

    /// The next question for `person` among `candidates`, skipping those in `asked`, given the
    /// learner's predicted success on each concept.
    async fn next_question(
        &self,
        org: OrgId,
        person: PersonId,
        candidates: &[(ConceptId, QuestionRecord)],
        asked: &HashSet<QuestionId>,
        predicted: &HashMap<ConceptId, f64>,
    ) -> LearningResult<Option<QuestionId>> {
        let counts = self.store.answer_counts(org, person).await?;
        let open: Vec<Candidate> = candidates
            .iter()
            .enumerate()
            .filter(|(_, (_, q))| !asked.contains(&q.id))
            .map(|(index, (concept, q))| Candidate {
                index,
                statistics: q.statistics,
                mastery: predicted.get(concept).copied().unwrap_or(0.5),
                answered_before: counts.get(&q.id).copied().unwrap_or(0),
            })
            .collect();
        Ok(choose_item(&open).map(|i| candidates[i].1.id))
    }

    /// Starts a session for `person` and picks its first question.
    pub async fn start_practice(
        &self,
        org: OrgId,
        person: PersonId,
        spec: SessionSpec,
        at: DateTime<Utc>,
    ) -> LearningResult<PracticeSession> {
        let placing = matches!(spec.target, PracticeTarget::Placement { .. });
        let most = if placing { MAX_PLACEMENT_ITEMS } else { MAX_SESSION_SIZE };
        let size = spec.size.unwrap_or(if placing { MAX_PLACEMENT_ITEMS } else { DEFAULT_SESSION_SIZE });
        if !(1..=most).contains(&size) {
            return Err(invalid("size", format!("must be 1 to {most}")));
        }
        let concepts: Vec<ConceptId> = match spec.target {
            PracticeTarget::Concept { concept_id } => {
                let graph = self.published(org).await?;
                let Some(concept) = graph.concepts.get(&concept_id) else {
                    return Err(invalid("target.concept_id", "no such published concept"));
                };
                if !self.store.enrolled_programs(org, person).await?.contains(&concept.program) {
                    return Err(LearningError::concept_not_enrolled(&concept.name));
                }
                vec![concept_id]
            }
            PracticeTarget::NextStep => match self.next_step(org, person, at).await? {
                Some(step) => vec![step.concept.id],
                None => return Err(invalid("target", "nothing is left to learn or review")),
            },
            PracticeTarget::Placement { program_id } => {
                let graph = self.published(org).await?;
                let Some(concepts) = graph.by_program.get(&program_id).filter(|c| !c.is_empty()) else {
                    return Err(invalid("target.program_id", "no such published program"));
                };
                if !self.store.enrolled_programs(org, person).await?.contains(&program_id) {
                    return Err(LearningError::program_not_enrolled());
                }
                concepts.clone()
            }
            PracticeTarget::Reviews => {
                let due: Vec<ConceptId> =
                    self.due_reviews(org, person, at).await?.into_iter().map(|d| d.concept.id).collect();
                if due.is_empty() {
                    return Err(invalid("target", "no review is due today"));
                }
                due
            }
        };
        let candidates = self.practice_candidates(org, &concepts).await?;
        let id = PracticeSessionId::new();
        let first = if placing {
            let graph = self.published(org).await?;
            let placement = replay_placement(&graph, &concepts, placement_seed(id), &[])?;
            next_placement_question(&placement, &concepts, &candidates, &HashSet::new())
        } else {
            let predicted = self.predictions(org, person, &concepts, at).await?;
            self.next_question(org, person, &candidates, &HashSet::new(), &predicted).await?
        };
        let Some(first) = first else {
            return Err(LearningError::NoQuestions);
        };
        let now = Utc::now();
        let record = PracticeSessionRecord {
            id,
            person,
            target: spec.target,
            concepts,
            size: size as i64,
            status: SessionStatus::Active,
            current: Some(first),
            answered: 0,
            correct: 0,
            created_at: now,
            updated_at: now,
            completed_at: None,
        };
        self.store.create_practice_session(org, &record).await?;
        self.practice_session(org, record.id).await
    }

    /// Answers the session's current question: grades it, records it as evidence, updates the
    /// item's statistics and picks the next question. Answering a question of the session
    /// again returns the first answer's outcome and changes nothing.
    pub async fn answer_practice(
        &self,
        org: OrgId,
        person: PersonId,
        session_id: PracticeSessionId,
        spec: AnswerSpec,
        at: DateTime<Utc>,
    ) -> LearningResult<AnswerOutcome> {
        let session = self.store.practice_session(org, session_id).await.map_err(|e| not_found(e, "session"))?;
        if session.person != person {
            return Err(LearningError::NotFound("session"));
        }
        if let Some(t) = spec.time_taken_ms
            && !(0..=86_400_000).contains(&t)
        {
            return Err(invalid("time_taken_ms", "must be 0 to 86400000"));
        }
        let attempts = self.store.practice_attempts(org, session_id).await?;
        if attempts.iter().any(|a| a.question == spec.question_id) {
            return self.answer_outcome(org, person, session_id, spec.question_id, None).await;
        }
        if session.status == SessionStatus::Completed {
            return Err(LearningError::Conflict("the session is complete".into()));
        }
        if session.current != Some(spec.question_id) {
            return Err(invalid("question_id", "is not the question this session is asking"));
        }
        // The asked question is normally among the session's approved candidates; one reviewed
        // away since it was asked is read on its own.
        let candidates = self.practice_candidates(org, &session.concepts).await?;
        let question = match candidates.iter().find(|(_, q)| q.id == spec.question_id) {
            Some((_, q)) => q.clone(),
            None => self.store.question(org, spec.question_id).await.map_err(|e| not_found(e, "question"))?,
        };
        let mut graded = grade(&question.body, &spec.answer).map_err(|e| invalid("answer", e.to_string()))?;
        // Short answers are graded by meaning: by the chat model with its rubric when there is
        // one, else by the embedding model's similarity to the reference; by their words when
        // neither can give a grade.
        if let (QuestionBody::ShortAnswer { prompt, reference }, Answer::Text { text }) = (&question.body, &spec.answer)
        {
            // A learner's answer goes to the chat model only where the organisation lets learner
            // data reach it.
            let to_model = !self.store.prompt_privacy(org).await?.no_learner_data;
            let by_model = if to_model { self.grade_by_model(org, prompt, reference, text).await } else { None };
            if let Some(by_model) = by_model {
                graded = by_model;
            } else {
                match self.knowledge.similarity(text, reference).await {
                    Ok(Some(similarity)) => graded = grade_by_meaning(graded, similarity),
                    Ok(None) => {}
                    Err(error) => tracing::warn!(%error, "a short answer is graded by its words alone"),
                }
            }
        }
        let concept =
            question.concepts.iter().copied().find(|c| session.concepts.contains(c)).unwrap_or(question.concepts[0]);
        // A one-concept session needs no prediction beyond what the evidence write reads.
        let graded_alone = session.concepts.len() == 1 && matches!(graded, Grade::Graded { .. });
        let mut predicted =
            if graded_alone { HashMap::new() } else { self.predictions(org, person, &session.concepts, at).await? };
        let mut before = predicted.get(&concept).copied().unwrap_or(0.5);
        let mut mastery = None;
        if let Grade::Graded { score, .. } = graded {
            let evidence = EvidenceSpec {
                concept,
                kind: EvidenceKind::GradedAnswer,
                correct: None,
                score: Some(score),
                source: Some(format!("practice session {session_id}, question {}", question.id)),
                // A retried answer whose first try recorded the evidence does not record it twice.
                idempotency_key: Some(format!("practice:{session_id}:{}", question.id)),
                occurred_at: None,
            };
            match self.record_evidence(org, person, Some(person), evidence, Utc::now()).await {
                Ok(recorded) => {
                    // The next question is chosen from the standing after this answer.
                    before = recorded.predicted_before;
                    predicted.insert(concept, recorded.standing.predicted_success);
                    mastery = Some(recorded.standing);
                }
                // A retry of an answer whose evidence was written: read the standing instead.
                Err(LearningError::DuplicateEvidence) => {
                    predicted = self.predictions(org, person, &session.concepts, at).await?;
                    before = predicted.get(&concept).copied().unwrap_or(0.5);
                }
                Err(other) => return Err(other),
            }
        }
        let asked: HashSet<QuestionId> = attempts.iter().map(|a| a.question).chain([spec.question_id]).collect();
        // The questions this request knows: the candidates and the one answered.
        let mut known: HashMap<QuestionId, QuestionRecord> =
            candidates.iter().map(|(_, q)| (q.id, q.clone())).collect();
        known.insert(question.id, question.clone());
        let placement = match session.target {
            PracticeTarget::Placement { .. } => {
                self.read_missing(org, attempts.iter().map(|a| a.question), &mut known).await?;
                let mut answers = placement_answers(&session.concepts, &attempts, &known);
                if let Grade::Graded { correct, .. } = graded {
                    answers.push((concept, correct, guessing_chance(&question.body)));
                }
                let graph = self.published(org).await?;
                Some(replay_placement(&graph, &session.concepts, placement_seed(session_id), &answers)?)
            }
            _ => None,
        };
        let next = if session.answered + 1 < session.size {
            match &placement {
                Some(placement) => next_placement_question(placement, &session.concepts, &candidates, &asked),
                None => self.next_question(org, person, &candidates, &asked, &predicted).await?,
            }
        } else {
            None
        };
        let write = AnswerWrite {
            attempt: AttemptRecord {
                session: session_id,
                question: question.id,
                answer: spec.answer,
                grade: graded,
                time_taken_ms: spec.time_taken_ms,
                created_at: Utc::now(),
                review: None,
            },
            mastery_before: matches!(graded, Grade::Graded { .. }).then_some(before),
            next,
        };
        match self.store.record_attempt(org, person, &write).await {
            Ok(()) => {}
            // Another request answered it first: answer as it did.
            Err(StoreError::Duplicate(_)) => {
                return self.answer_outcome(org, person, session_id, spec.question_id, None).await;
            }
            Err(other) => return Err(other.into()),
        }
        if let (Some(placement), None) = (&placement, next) {
            self.settle_placement(org, person, &session, placement).await?;
        }
        // The session as it now stands, from what this request read and wrote.
        let mut updated = session;
        updated.answered += 1;
        updated.correct += i64::from(matches!(graded, Grade::Graded { correct: true, .. }));
        updated.current = next;
        if next.is_none() {
            updated.status = SessionStatus::Completed;
            updated.completed_at = Some(write.attempt.created_at);
        }
        let mut all_attempts = attempts;
        all_attempts.push(write.attempt);
        let view = self.session_view(org, updated, all_attempts, known, placement.as_ref()).await?;
        let attempt = view
            .attempts
            .iter()
            .find(|a| a.question.id == spec.question_id)
            .cloned()
            .ok_or(LearningError::NotFound("attempt"))?;
        Ok(AnswerOutcome { attempt, mastery, session: view })
    }

    /// A short answer's grade from the chat model with the rubric, or `None` without a model, when
    /// it fails, or when it replies out of shape twice (logged).
    async fn grade_by_model(&self, org: OrgId, prompt: &str, reference: &str, answer: &str) -> Option<Grade> {
        let model = self.chat_model_for(org).await?;
        let asked = grading_prompt(prompt, reference, answer);
        let format = ResponseFormat { name: "short_answer_grade".into(), schema: grade_schema() };
        let request = ChatRequest::new(vec![ChatMessage::system(asked.system), ChatMessage::user(asked.user)])
            .with_temperature(0.0)
            .with_max_tokens(60)
            .with_response_format(format);
        for attempt in 1..=MAX_GRADING_ATTEMPTS {
            match model.complete(&request).await {
                Ok(reply) => match parse_grade(&reply.content) {
                    Some(grade) => return Some(grade),
                    None => tracing::warn!(attempt, "the chat model's grade was out of shape"),
                },
                Err(error) => {
                    tracing::warn!(%error, "the chat model could not grade a short answer; the rules' grade stands");
                    return None;
                }
            }
        }
        None
    }

    /// Adds to `known` the questions of `ids` it does not hold yet (one read for all).
    async fn read_missing(
        &self,
        org: OrgId,
        ids: impl Iterator<Item = QuestionId>,
        known: &mut HashMap<QuestionId, QuestionRecord>,
    ) -> LearningResult<()> {
        let missing: Vec<QuestionId> = ids.filter(|q| !known.contains_key(q)).collect();
        for q in self.store.questions_by_id(org, &missing).await? {
            known.insert(q.id, q);
        }
        Ok(())
    }

    /// Sets the initial mastery a finished placement found: every concept it settled as known
    /// is recorded as demonstrated (once per placement and concept), asked or not, since one
    /// right answer alone would leave a concept the placement is sure of on the learner's path.
    async fn settle_placement(
        &self,
        org: OrgId,
        person: PersonId,
        session: &PracticeSessionRecord,
        placement: &Placement,
    ) -> LearningResult<()> {
        for (i, p) in placement.probabilities().into_iter().enumerate() {
            if p < SETTLED {
                continue;
            }
            let evidence = EvidenceSpec {
                concept: session.concepts[i],
                kind: EvidenceKind::Demonstrated,
                correct: None,
                score: None,
                source: Some(format!("placement {}", session.id)),
                idempotency_key: Some(format!("placement:{}:{}", session.id, session.concepts[i])),
                occurred_at: None,
            };
            match self.record_evidence(org, person, Some(person), evidence, Utc::now()).await {
                Ok(_) | Err(LearningError::DuplicateEvidence) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// What a placement has found so far.
    fn placement_result(record: &PracticeSessionRecord, placement: &Placement, graph: &OrgGraph) -> PlacementResult {
        let probabilities = placement.probabilities();
        let index: HashMap<ConceptId, usize> = record.concepts.iter().enumerate().map(|(i, c)| (*c, i)).collect();
        let known = |i: usize| probabilities[i] >= 0.5;
        let start_with = record
            .concepts
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                !known(*i) && graph.graph.prerequisites(**c).iter().filter_map(|p| index.get(p)).all(|&p| known(p))
            })
            .take(5)
            .map(|(_, c)| crate::progress::named(graph, *c))
            .collect();
        let concepts = record
            .concepts
            .iter()
            .zip(&probabilities)
            .map(|(c, &p)| PlacedConcept {
                concept: crate::progress::named(graph, *c),
                probability: p,
                known: if p >= SETTLED {
                    Some(true)
                } else if p <= 1.0 - SETTLED {
                    Some(false)
                } else {
                    None
                },
            })
            .collect();
        PlacementResult { concepts, start_with }
    }

    async fn answer_outcome(
        &self,
        org: OrgId,
        person: PersonId,
        session_id: PracticeSessionId,
        question: QuestionId,
        mastery: Option<ConceptMastery>,
    ) -> LearningResult<AnswerOutcome> {
        let session = self.practice_session(org, session_id).await?;
        let attempt = session
            .attempts
            .iter()
            .find(|a| a.question.id == question)
            .cloned()
            .ok_or(LearningError::NotFound("attempt"))?;
        let mastery = match mastery {
            Some(m) => Some(m),
            None if matches!(attempt.grade, Grade::Graded { .. }) => self
                .mastery(org, person, Utc::now())
                .await?
                .concepts
                .into_iter()
                .find(|c| c.concept_id == attempt.question.concept.id),
            None => None,
        };
        Ok(AnswerOutcome { attempt, mastery, session })
    }

    /// Whose session this is.
    pub async fn practice_session_learner(&self, org: OrgId, id: PracticeSessionId) -> LearningResult<PersonId> {
        Ok(self.store.practice_session(org, id).await.map_err(|e| not_found(e, "session"))?.person)
    }

    /// One session with its attempts and current question.
    pub async fn practice_session(&self, org: OrgId, id: PracticeSessionId) -> LearningResult<PracticeSession> {
        let record = self.store.practice_session(org, id).await.map_err(|e| not_found(e, "session"))?;
        let attempts = self.store.practice_attempts(org, id).await?;
        self.session_view(org, record, attempts, HashMap::new(), None).await
    }

    /// A session as shown, from its record and attempts; `known` holds questions already read,
    /// `placement` a placement's state already replayed.
    async fn session_view(
        &self,
        org: OrgId,
        record: PracticeSessionRecord,
        attempts: Vec<AttemptRecord>,
        mut known: HashMap<QuestionId, QuestionRecord>,
        placement: Option<&Placement>,
    ) -> LearningResult<PracticeSession> {
        let graph = self.published(org).await?;
        let mut ids: Vec<QuestionId> = attempts.iter().map(|a| a.question).collect();
        ids.extend(record.current);
        self.read_missing(org, ids.iter().copied(), &mut known).await?;
        let placement = match (record.target, placement) {
            (PracticeTarget::Placement { .. }, Some(placement)) => {
                Some(Self::placement_result(&record, placement, &graph))
            }
            (PracticeTarget::Placement { .. }, None) => {
                let answers = placement_answers(&record.concepts, &attempts, &known);
                let placement = replay_placement(&graph, &record.concepts, placement_seed(record.id), &answers)?;
                Some(Self::placement_result(&record, &placement, &graph))
            }
            _ => None,
        };
        let records: Vec<QuestionRecord> = ids.iter().filter_map(|q| known.remove(q)).collect();
        let questions: HashMap<QuestionId, crate::Question> =
            self.views(org, records).await?.into_iter().map(|q| (q.id, q)).collect();
        if ids.iter().any(|id| !questions.contains_key(id)) {
            return Err(LearningError::NotFound("question"));
        }
        let asked = |id: QuestionId| -> PracticeQuestion {
            let question = &questions[&id];
            let concept =
                question.concepts.iter().copied().find(|c| record.concepts.contains(c)).unwrap_or(question.concepts[0]);
            PracticeQuestion {
                id,
                concept: crate::progress::named(&graph, concept),
                prompt: PracticePrompt::from(&question.body),
            }
        };
        let attempts: Vec<PracticeAttempt> = attempts
            .iter()
            .map(|a| {
                let question = &questions[&a.question];
                PracticeAttempt {
                    question: asked(a.question),
                    answer: a.answer.clone(),
                    grade: a.grade,
                    feedback: AnswerFeedback {
                        correct_answer: correct_answer(&question.body),
                        explanation: question.explanation.clone(),
                        citations: question.citations.clone(),
                    },
                    time_taken_ms: a.time_taken_ms,
                    answered_at: a.created_at,
                    review: a.review.as_ref().map(|r| AttemptReviewView {
                        reviewer_id: r.by,
                        reviewed_at: r.at,
                        comment: r.comment.clone(),
                    }),
                }
            })
            .collect();
        Ok(PracticeSession {
            placement,
            id: record.id,
            person_id: record.person,
            target: record.target,
            size: record.size,
            status: record.status,
            answered: record.answered,
            correct: record.correct,
            current: record.current.map(asked),
            attempts,
            created_at: record.created_at,
            completed_at: record.completed_at,
        })
    }

    /// A coach grades an answer of `session` that could not be graded automatically: it is
    /// recorded as evidence of the learner (by the coach), counts in the item's statistics and
    /// the session's score, and the learner sees the grade and the comment. Answers the session.
    pub async fn review_practice_answer(
        &self,
        org: OrgId,
        reviewer: PersonId,
        session_id: PracticeSessionId,
        spec: ReviewSpec,
    ) -> LearningResult<PracticeSession> {
        let comment = spec.comment.trim().to_string();
        if comment.chars().count() > MAX_REVIEW_COMMENT_CHARS {
            return Err(invalid("comment", format!("must be at most {MAX_REVIEW_COMMENT_CHARS} characters")));
        }
        let session = self.store.practice_session(org, session_id).await.map_err(|e| not_found(e, "session"))?;
        let attempts = self.store.practice_attempts(org, session_id).await?;
        let attempt =
            attempts.iter().find(|a| a.question == spec.question_id).ok_or(LearningError::NotFound("answer"))?;
        if attempt.grade != Grade::NeedsReview || attempt.review.is_some() {
            return Err(LearningError::Conflict("this answer is graded already".into()));
        }
        let question = self.store.question(org, spec.question_id).await.map_err(|e| not_found(e, "question"))?;
        let concept =
            question.concepts.iter().copied().find(|c| session.concepts.contains(c)).unwrap_or(question.concepts[0]);
        let now = Utc::now();
        let before =
            self.predictions(org, session.person, &[concept], now).await?.get(&concept).copied().unwrap_or(0.5);
        let score = if spec.correct { 1.0 } else { 0.0 };
        let evidence = EvidenceSpec {
            concept,
            kind: EvidenceKind::GradedAnswer,
            correct: None,
            score: Some(score),
            source: Some(format!("practice session {session_id}, question {}, graded by a coach", question.id)),
            idempotency_key: Some(format!("practice:{session_id}:{}", question.id)),
            occurred_at: Some(attempt.created_at),
        };
        match self.record_evidence(org, session.person, Some(reviewer), evidence, now).await {
            Ok(_) | Err(LearningError::DuplicateEvidence) => {}
            Err(other) => return Err(other),
        }
        let review = AttemptReview { by: reviewer, at: now, comment };
        let grade = Grade::Graded { score, correct: spec.correct };
        match self.store.review_attempt(org, session_id, question.id, grade, &review, before).await {
            Ok(()) => {}
            Err(StoreError::Duplicate(_)) => {
                return Err(LearningError::Conflict("this answer is graded already".into()));
            }
            Err(other) => return Err(other.into()),
        }
        self.practice_session(org, session_id).await
    }

    /// Answers waiting for a coach, oldest first: of `people`, or everyone's when `None`.
    pub async fn awaiting_review(
        &self,
        org: OrgId,
        people: Option<&[PersonId]>,
    ) -> LearningResult<Vec<AwaitingAnswer>> {
        let waiting = self.store.awaiting_review(org, people).await?;
        let ids: Vec<QuestionId> = waiting.iter().map(|w| w.attempt.question).collect();
        let mut known = HashMap::new();
        self.read_missing(org, ids.iter().copied(), &mut known).await?;
        let graph = self.published(org).await?;
        Ok(waiting
            .into_iter()
            .filter_map(|w| {
                let question = known.get(&w.attempt.question)?;
                Some(AwaitingAnswer {
                    session_id: w.attempt.session,
                    person_id: w.person,
                    person_name: w.person_name,
                    question: PracticeQuestion {
                        id: question.id,
                        concept: crate::progress::named(&graph, question.concepts[0]),
                        prompt: PracticePrompt::from(&question.body),
                    },
                    answer: w.attempt.answer,
                    correct_answer: correct_answer(&question.body),
                    answered_at: w.attempt.created_at,
                })
            })
            .collect())
    }

    /// A check question on `concept` for `person`: an approved one they have answered least often
    /// (the oldest first among equals), or `None` when the bank has none.
    pub async fn check_question(
        &self,
        org: OrgId,
        person: PersonId,
        concept: ConceptId,
    ) -> LearningResult<Option<CheckQuestion>> {
        let approved =
            wayfinder_store::QuestionFilter { concept: Some(concept), status: Some(QuestionStatus::Approved) };
        let (candidates, _) = self.store.questions(org, &approved, 50, 0).await?;
        let answered = self.store.answer_counts(org, person).await?;
        let chosen = candidates.into_iter().min_by_key(|q| (answered.get(&q.id).copied().unwrap_or(0), q.created_at));
        Ok(chosen.map(|q| CheckQuestion { question: q.id, concept, text: check_text(&q.body) }))
    }

    /// Grades a chat reply to a check question and records it as evidence about `person` (once per
    /// `key`, the message that posed it). `None` when the reply is no answer to it ("maybe") or
    /// the rules cannot grade it.
    pub async fn grade_check_reply(
        &self,
        org: OrgId,
        person: PersonId,
        question: QuestionId,
        concept: ConceptId,
        reply: &str,
        key: &str,
    ) -> LearningResult<Option<CheckOutcome>> {
        let record = self.store.question(org, question).await.map_err(|e| not_found(e, "question"))?;
        let Ok(Grade::Graded { score, correct }) = grade(&record.body, &answer_from_text(&record.body, reply)) else {
            return Ok(None);
        };
        let evidence = EvidenceSpec {
            concept,
            kind: EvidenceKind::GradedAnswer,
            correct: None,
            score: Some(score),
            source: Some(format!("check question {question} in a conversation")),
            idempotency_key: Some(format!("check:{key}")),
            occurred_at: None,
        };
        match self.record_evidence(org, person, Some(person), evidence, Utc::now()).await {
            Ok(_) | Err(LearningError::DuplicateEvidence) => {}
            Err(other) => return Err(other),
        }
        Ok(Some(CheckOutcome { correct, correct_answer: correct_answer(&record.body) }))
    }

    /// A learner's recent sessions, newest first.
    pub async fn practice_sessions(&self, org: OrgId, person: PersonId) -> LearningResult<Vec<PracticeSessionSummary>> {
        Ok(self
            .store
            .practice_sessions(org, person, 100)
            .await?
            .into_iter()
            .map(|r| PracticeSessionSummary {
                id: r.id,
                target: r.target,
                size: r.size,
                status: r.status,
                answered: r.answered,
                correct: r.correct,
                created_at: r.created_at,
                completed_at: r.completed_at,
            })
            .collect())
    }
}
