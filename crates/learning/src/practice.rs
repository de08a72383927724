//! Practice sessions: a learner practises a concept, their next best step or
//! their due reviews. Each question is chosen so the learner's predicted
//! success on it sits in the productive band, graded at once with feedback
//! that quotes its cited passage, and recorded as evidence for the learner
//! model (rules in `wayfinder_learning_rules::practice`).

use crate::questions::QuestionCitation;
use crate::{ConceptMastery, EvidenceSpec, Learning, LearningError, LearningResult, programs::not_found};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_learning_rules::mastery::EvidenceKind;
use wayfinder_learning_rules::practice::{
    Answer, Candidate, Grade, PracticeSessionId, PracticeTarget, SessionStatus, choose_item, grade,
};
use wayfinder_learning_rules::program::ConceptId;
use wayfinder_learning_rules::questions::{QuestionBody, QuestionId, QuestionStatus};
use wayfinder_store::{AnswerWrite, AttemptRecord, PracticeSessionRecord, QuestionFilter, QuestionRecord, StoreError};

/// Most questions one session asks.
pub const MAX_SESSION_SIZE: usize = 20;
/// Questions a session asks unless told otherwise.
pub const DEFAULT_SESSION_SIZE: usize = 5;
/// Approved questions considered per concept when choosing.
const CANDIDATES_PER_CONCEPT: i64 = 200;

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
}

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
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
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
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for &concept in concepts {
            let filter = QuestionFilter { concept: Some(concept), status: Some(QuestionStatus::Approved) };
            let (questions, _) = self.store.questions(org, &filter, CANDIDATES_PER_CONCEPT, 0).await?;
            out.extend(questions.into_iter().filter(|q| seen.insert(q.id)).map(|q| (concept, q)));
        }
        Ok(out)
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
        let size = spec.size.unwrap_or(DEFAULT_SESSION_SIZE);
        if !(1..=MAX_SESSION_SIZE).contains(&size) {
            return Err(invalid("size", format!("must be 1 to {MAX_SESSION_SIZE}")));
        }
        let concepts: Vec<ConceptId> = match spec.target {
            PracticeTarget::Concept { concept_id } => {
                let graph = self.published(org).await?;
                let Some(concept) = graph.concepts.get(&concept_id) else {
                    return Err(invalid("target.concept_id", "no such published concept"));
                };
                if !self.store.enrolled_programs(org, person).await?.contains(&concept.program) {
                    return Err(LearningError::NotEnrolled(format!("concept {:?}", concept.name)));
                }
                vec![concept_id]
            }
            PracticeTarget::NextStep => match self.next_step(org, person, at).await? {
                Some(step) => vec![step.concept.id],
                None => return Err(invalid("target", "nothing is left to learn or review")),
            },
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
        let predicted = self.predictions(org, person, &concepts, at).await?;
        let Some(first) = self.next_question(org, person, &candidates, &HashSet::new(), &predicted).await? else {
            return Err(LearningError::NoQuestions);
        };
        let now = Utc::now();
        let record = PracticeSessionRecord {
            id: PracticeSessionId::new(),
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
        let question = self.store.question(org, spec.question_id).await.map_err(|e| not_found(e, "question"))?;
        let graded = grade(&question.body, &spec.answer).map_err(|e| invalid("answer", e.to_string()))?;
        let concept =
            question.concepts.iter().copied().find(|c| session.concepts.contains(c)).unwrap_or(question.concepts[0]);
        let mut predicted = self.predictions(org, person, &session.concepts, at).await?;
        let before = predicted.get(&concept).copied().unwrap_or(0.5);
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
                Ok(standing) => {
                    // The next question is chosen from the standing after this answer.
                    predicted.insert(concept, standing.predicted_success);
                    mastery = Some(standing);
                }
                Err(LearningError::DuplicateEvidence) => {}
                Err(other) => return Err(other),
            }
        }
        let asked: HashSet<QuestionId> = attempts.iter().map(|a| a.question).chain([spec.question_id]).collect();
        let next = if session.answered + 1 < session.size {
            let candidates = self.practice_candidates(org, &session.concepts).await?;
            self.next_question(org, person, &candidates, &asked, &predicted).await?
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
            },
            mastery_before: matches!(graded, Grade::Graded { .. }).then_some(before),
            next,
        };
        match self.store.record_attempt(org, person, &write).await {
            Ok(()) | Err(StoreError::Duplicate(_)) => {}
            Err(other) => return Err(other.into()),
        }
        self.answer_outcome(org, person, session_id, question.id, mastery).await
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

    /// One session with its attempts and current question.
    pub async fn practice_session(&self, org: OrgId, id: PracticeSessionId) -> LearningResult<PracticeSession> {
        let record = self.store.practice_session(org, id).await.map_err(|e| not_found(e, "session"))?;
        let attempts = self.store.practice_attempts(org, id).await?;
        let graph = self.published(org).await?;
        let mut ids: Vec<QuestionId> = attempts.iter().map(|a| a.question).collect();
        ids.extend(record.current);
        let records = self.store.questions_by_id(org, &ids).await?;
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
        let attempts = attempts
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
                }
            })
            .collect();
        Ok(PracticeSession {
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
