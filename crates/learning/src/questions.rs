//! The question bank: items made from a concept's cited material (without a
//! model by the rules in `wayfinder_learning_rules::questions`, or written by
//! the chat model as `wayfinder_learning_rules::question_writing` asks), authored by
//! coaches and admins, and reviewed (approve, edit, reject, retire). Every
//! item that cites material is checked against it whenever it is shown, so a
//! reviewer sees at once when an answer is not supported by its passage.

use crate::{Learning, LearningError, LearningResult, programs::not_found};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_knowledge_rules::{ChunkId, DocumentId, section_label};
use wayfinder_learning_rules::practice::ItemStatistics;
use wayfinder_learning_rules::program::{ConceptId, FieldError, MaterialRef};
use wayfinder_learning_rules::question_writing::{
    MAX_WRITING_ATTEMPTS, QuestionWriter, WrittenReply, parse_written_questions, writing_prompt,
    written_questions_schema,
};
use wayfinder_learning_rules::questions::{
    Defect, GenerationInput, MAX_CITATIONS, MAX_QUESTION_CONCEPTS, MAX_TEXT_CHARS, Passage, QuestionBody, QuestionId,
    QuestionOrigin, QuestionStatus, check_against_passage, extract_questions,
};
use wayfinder_llm::{ChatMessage, ChatRequest, ResponseFormat};
use wayfinder_store::{ChunkRecord, ProgramVersion, QuestionFilter, QuestionRecord};

/// Most items one generation request makes for a concept.
pub const MAX_GENERATED_PER_REQUEST: usize = 50;

/// A chunk a question cites.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct QuestionCitation {
    pub chunk_id: i64,
    #[schema(value_type = String)]
    pub document_id: DocumentId,
    pub document_title: String,
    /// The section's heading path joined for display ("" for the whole document).
    pub section: String,
    /// The chunk's text, so a reviewer can compare.
    pub text: String,
}

/// A question of the bank, as coaches and admins see it (answers included).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Question {
    #[schema(value_type = String)]
    pub id: QuestionId,
    #[schema(value_type = Vec<String>)]
    pub concepts: Vec<ConceptId>,
    pub body: QuestionBody,
    /// One line of feedback shown after answering.
    pub explanation: String,
    pub citations: Vec<QuestionCitation>,
    pub status: QuestionStatus,
    pub origin: QuestionOrigin,
    /// What the item has learned from practice answers.
    pub statistics: QuestionStatistics,
    /// The check against the cited text: null when the item passes or cites nothing
    /// (see `checked`), else what is wrong.
    pub defect: Option<Defect>,
    /// Whether the item cites text it could be checked against.
    pub checked: bool,
    #[schema(value_type = Option<String>)]
    pub created_by: Option<PersonId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An item's practice statistics.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct QuestionStatistics {
    /// Graded answers.
    pub attempts: i64,
    /// Share answered right (null before any answer).
    pub correct_rate: Option<f64>,
    /// Offset on the logit scale from its concept's difficulty (positive: harder).
    pub difficulty: f64,
    /// Point-biserial correlation of being right with the learner's mastery (null until 20
    /// answers from learners of differing mastery).
    pub discrimination: Option<f64>,
    /// Nearly everyone or no one gets it right, or it does not tell strong learners from weak:
    /// a candidate to retire.
    pub weak: bool,
}

impl From<&ItemStatistics> for QuestionStatistics {
    fn from(s: &ItemStatistics) -> Self {
        QuestionStatistics {
            attempts: s.attempts,
            correct_rate: s.correct_rate(),
            difficulty: s.difficulty,
            discrimination: s.discrimination(),
            weak: s.is_weak(),
        }
    }
}

/// A page of questions.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct QuestionPage {
    pub questions: Vec<Question>,
    /// How many match the filter in all.
    pub total: i64,
}

/// What a generation request made.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GeneratedQuestions {
    /// The new items, drafts waiting for review.
    pub questions: Vec<Question>,
    /// Items the bank already held (in any state, rejected ones included), not added again.
    pub duplicates: usize,
    /// Items dropped because they failed the check against their passage.
    pub failed_check: usize,
    /// Who wrote them.
    pub writer: QuestionWriter,
    /// Model-written items dropped because they were malformed (a missing field, a passage
    /// that was not given…).
    pub malformed_items: usize,
    /// Replies of the model that were not the JSON asked for (each asked again, up to three
    /// tries in all).
    pub malformed_replies: usize,
}

/// What became of a model's replies.
#[derive(Default)]
struct WrittenOutcome {
    malformed_items: usize,
    malformed_replies: usize,
}

/// One item made for a concept, before the check against its passage.
struct Draft {
    body: QuestionBody,
    explanation: String,
    /// The key of the passage it cites.
    passage: u64,
}

/// How the organisation runs its question bank.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PracticeSettings {
    /// Generated questions that pass the check against their passage are approved at once
    /// instead of waiting in the review queue.
    pub auto_approve_generated: bool,
}

/// A question written by a coach or an admin.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionSpec {
    /// The concepts it practises (1 to 10, of this organisation).
    #[schema(value_type = Vec<String>)]
    pub concepts: Vec<ConceptId>,
    pub body: QuestionBody,
    #[serde(default)]
    pub explanation: String,
    /// Chunks of the knowledge base it is based on (up to 10).
    #[serde(default)]
    pub citations: Vec<i64>,
}

/// A review decision or an edit; absent fields stay as they are.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionPatch {
    pub body: Option<QuestionBody>,
    pub explanation: Option<String>,
    pub status: Option<QuestionStatus>,
}

fn clean_explanation(raw: &str) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(FieldError::new("explanation", format!("must be at most {MAX_TEXT_CHARS} characters")));
    }
    Ok(text.to_string())
}

/// The chunks of one piece of material: the whole document, or the chunks under its section.
fn material_chunks<'a>(chunks: &'a [ChunkRecord], material: &MaterialRef) -> impl Iterator<Item = &'a ChunkRecord> {
    chunks.iter().filter(|c| c.section_path.starts_with(&material.section))
}

impl Learning {
    /// Makes questions for a concept from its cited material without a model, checks each
    /// against its passage, and adds those that pass to the bank as drafts for review.
    pub async fn generate_questions(
        &self,
        org: OrgId,
        by: PersonId,
        concept: ConceptId,
        max_items: usize,
        writer: Option<QuestionWriter>,
    ) -> LearningResult<GeneratedQuestions> {
        let max_items = max_items.clamp(1, MAX_GENERATED_PER_REQUEST);
        let chat_model = self.chat_model_for(org).await;
        let writer = match (writer, &chat_model) {
            (Some(QuestionWriter::Model), None) => {
                return Err(LearningError::Invalid {
                    field: "writer".into(),
                    message: "no chat model is configured; questions can be made from the text".into(),
                });
            }
            (Some(writer), _) => writer,
            (None, Some(_)) => QuestionWriter::Model,
            (None, None) => QuestionWriter::Text,
        };
        let target =
            self.store.concept(org, concept, ProgramVersion::Latest).await.map_err(|e| not_found(e, "concept"))?;
        if target.material.is_empty() {
            return Err(LearningError::Invalid {
                field: "concept_id".into(),
                message: "the concept cites no material to make questions from".into(),
            });
        }
        let siblings = self.store.concepts(org, target.program, ProgramVersion::Latest).await?;
        // Each document's chunks are read once, whatever number of concepts cite it.
        let mut documents: HashMap<DocumentId, Vec<ChunkRecord>> = HashMap::new();
        for material in siblings.iter().flat_map(|c| &c.material) {
            if let std::collections::hash_map::Entry::Vacant(slot) = documents.entry(material.document) {
                slot.insert(self.store.document_chunks(org, material.document).await?);
            }
        }
        let chunks_of = |material: &[MaterialRef]| -> Vec<&ChunkRecord> {
            let mut seen = HashSet::new();
            material
                .iter()
                .flat_map(|m| {
                    documents.get(&m.document).map(|c| material_chunks(c, m).collect::<Vec<_>>()).unwrap_or_default()
                })
                .filter(|c| seen.insert(c.id))
                .collect()
        };
        let program_material: Vec<String> = siblings
            .iter()
            .map(|c| chunks_of(&c.material).iter().map(|k| k.text.as_str()).collect::<Vec<_>>().join("\n\n"))
            .collect();
        let passages: Vec<Passage> =
            chunks_of(&target.material).iter().map(|c| Passage { key: c.id.0 as u64, text: c.text.clone() }).collect();
        if passages.is_empty() {
            return Err(LearningError::Invalid {
                field: "concept_id".into(),
                message: "the concept's material has no ingested text".into(),
            });
        }
        let (drafts, reply) = match writer {
            QuestionWriter::Text => {
                let index = siblings.iter().position(|c| c.id == concept).unwrap_or(0);
                let input = GenerationInput { passages: &passages, program_material: &program_material, max_items };
                let drafts = extract_questions(&input, index)
                    .into_iter()
                    .map(|item| Draft { body: item.body, explanation: item.explanation, passage: item.passage })
                    .collect();
                (drafts, WrittenOutcome::default())
            }
            QuestionWriter::Model => {
                self.write_questions(chat_model.clone(), &target.name, &target.description, &passages, max_items)
                    .await?
            }
        };
        let origin = match writer {
            QuestionWriter::Text => QuestionOrigin::Extracted,
            QuestionWriter::Model => QuestionOrigin::Generated,
        };
        let texts: HashMap<u64, &str> = passages.iter().map(|p| (p.key, p.text.as_str())).collect();
        let status = if self.store.auto_approves_generated(org).await? {
            QuestionStatus::Approved
        } else {
            QuestionStatus::Draft
        };
        let now = Utc::now();
        let mut failed_check = 0;
        let mut records = Vec::new();
        for item in drafts {
            if check_against_passage(&item.body, texts[&item.passage]).is_err() {
                failed_check += 1;
                continue;
            }
            let record = QuestionRecord {
                id: QuestionId::new(),
                concepts: vec![concept],
                body: item.body,
                explanation: item.explanation,
                citations: vec![ChunkId(item.passage as i64)],
                status,
                origin,
                statistics: ItemStatistics::default(),
                created_by: Some(by),
                created_at: now,
                updated_at: now,
            };
            records.push(record);
        }
        let made = records.len();
        let added = self.store.add_questions(org, &records).await?;
        let added_set: HashSet<QuestionId> = added.iter().copied().collect();
        let questions = self.views(org, records.into_iter().filter(|r| added_set.contains(&r.id)).collect()).await?;
        Ok(GeneratedQuestions {
            questions,
            duplicates: made - added.len(),
            failed_check,
            writer,
            malformed_items: reply.malformed_items,
            malformed_replies: reply.malformed_replies,
        })
    }

    /// Asks the chat model for questions on a concept from its passages, as structured output.
    /// A reply that is not the JSON asked for is logged and asked again with what was wrong,
    /// up to [`MAX_WRITING_ATTEMPTS`] tries; after that nothing is written. A model that fails
    /// (unreachable, refusing, timing out, after its own retries) is an error.
    async fn write_questions(
        &self,
        model: Option<std::sync::Arc<dyn wayfinder_llm::ChatModel>>,
        concept: &str,
        description: &str,
        passages: &[Passage],
        max_items: usize,
    ) -> LearningResult<(Vec<Draft>, WrittenOutcome)> {
        let model = model.ok_or(LearningError::NotFound("chat model"))?;
        let texts: Vec<&str> = passages.iter().map(|p| p.text.as_str()).collect();
        let (prompt, included) = writing_prompt(concept, description, &texts, max_items);
        let mut messages = vec![ChatMessage::system(prompt.system), ChatMessage::user(prompt.user)];
        let format = ResponseFormat { name: "practice_questions".into(), schema: written_questions_schema() };
        let mut outcome = WrittenOutcome::default();
        for attempt in 1..=MAX_WRITING_ATTEMPTS {
            let request = ChatRequest::new(messages.clone()).with_temperature(0.3).with_response_format(format.clone());
            let reply = model.complete(&request).await.map_err(LearningError::Model)?;
            match parse_written_questions(&reply.content, included) {
                Ok(WrittenReply { questions, malformed_items }) => {
                    outcome.malformed_items = malformed_items;
                    let drafts = questions
                        .into_iter()
                        .take(max_items)
                        .map(|q| Draft { body: q.body, explanation: q.explanation, passage: passages[q.passage].key })
                        .collect();
                    return Ok((drafts, outcome));
                }
                Err(malformed) => {
                    outcome.malformed_replies += 1;
                    tracing::warn!(%concept, attempt, error = %malformed, "the chat model's questions were malformed");
                    messages.push(ChatMessage::assistant(reply.content));
                    messages.push(ChatMessage::user(format!(
                        "That reply could not be used: {malformed}. Reply again with only the JSON object the schema describes."
                    )));
                }
            }
        }
        tracing::warn!(%concept, "the chat model's questions were dropped after {MAX_WRITING_ATTEMPTS} malformed replies");
        Ok((Vec::new(), outcome))
    }

    /// How the organisation runs its question bank.
    pub async fn practice_settings(&self, org: OrgId) -> LearningResult<PracticeSettings> {
        Ok(PracticeSettings { auto_approve_generated: self.store.auto_approves_generated(org).await? })
    }

    /// Changes how the organisation runs its question bank.
    pub async fn set_practice_settings(
        &self,
        org: OrgId,
        settings: PracticeSettings,
    ) -> LearningResult<PracticeSettings> {
        self.store.set_auto_approve_generated(org, settings.auto_approve_generated).await?;
        self.practice_settings(org).await
    }

    /// A page of the organisation's questions (the review queue is `status = draft`).
    pub async fn questions(
        &self,
        org: OrgId,
        filter: QuestionFilter,
        limit: i64,
        offset: i64,
    ) -> LearningResult<QuestionPage> {
        let (records, total) = self.store.questions(org, &filter, limit, offset).await?;
        Ok(QuestionPage { questions: self.views(org, records).await?, total })
    }

    /// One question.
    pub async fn question(&self, org: OrgId, id: QuestionId) -> LearningResult<Question> {
        let record = self.store.question(org, id).await.map_err(|e| not_found(e, "question"))?;
        Ok(self.views(org, vec![record]).await?.remove(0))
    }

    /// Adds a question written by a coach or an admin; it is approved as written.
    pub async fn author_question(&self, org: OrgId, by: PersonId, spec: QuestionSpec) -> LearningResult<Question> {
        let body = spec.body.validated()?;
        let explanation = clean_explanation(&spec.explanation)?;
        let mut concepts = spec.concepts.clone();
        concepts.sort();
        concepts.dedup();
        if concepts.is_empty() || concepts.len() > MAX_QUESTION_CONCEPTS {
            return Err(FieldError::new("concepts", format!("must name 1 to {MAX_QUESTION_CONCEPTS} concepts")).into());
        }
        for concept in &concepts {
            self.store.concept(org, *concept, ProgramVersion::Latest).await.map_err(|e| not_found(e, "concept"))?;
        }
        let mut citations: Vec<ChunkId> = spec.citations.iter().copied().map(ChunkId).collect();
        citations.sort();
        citations.dedup();
        if citations.len() > MAX_CITATIONS {
            return Err(FieldError::new("citations", format!("at most {MAX_CITATIONS} chunks")).into());
        }
        if self.store.chunks(org, &citations).await?.len() != citations.len() {
            return Err(LearningError::NotFound("chunk"));
        }
        let now = Utc::now();
        let record = QuestionRecord {
            id: QuestionId::new(),
            concepts,
            body,
            explanation,
            citations,
            status: QuestionStatus::Approved,
            origin: QuestionOrigin::Authored,
            statistics: ItemStatistics::default(),
            created_by: Some(by),
            created_at: now,
            updated_at: now,
        };
        let id = record.id;
        if self.store.add_questions(org, &[record]).await?.is_empty() {
            return Err(LearningError::DuplicateQuestion);
        }
        self.question(org, id).await
    }

    /// Reviews or edits a question: approve, reject, retire, or change its text.
    pub async fn review_question(&self, org: OrgId, id: QuestionId, patch: QuestionPatch) -> LearningResult<Question> {
        let current = self.store.question(org, id).await.map_err(|e| not_found(e, "question"))?;
        let body = match &patch.body {
            Some(body) => body.validated()?,
            None => current.body.clone(),
        };
        let explanation = match &patch.explanation {
            Some(text) => clean_explanation(text)?,
            None => current.explanation.clone(),
        };
        let status = patch.status.unwrap_or(current.status);
        self.store.update_question(org, id, &body, &explanation, status).await.map_err(|e| match e {
            wayfinder_store::StoreError::Duplicate(_) => LearningError::DuplicateQuestion,
            other => not_found(other, "question"),
        })?;
        self.question(org, id).await
    }

    /// Questions as shown, with their citations' text and the check against it.
    pub(crate) async fn views(&self, org: OrgId, records: Vec<QuestionRecord>) -> LearningResult<Vec<Question>> {
        let ids: Vec<ChunkId> =
            records.iter().flat_map(|r| r.citations.iter().copied()).collect::<HashSet<_>>().into_iter().collect();
        let chunks: HashMap<ChunkId, ChunkRecord> =
            self.store.chunks(org, &ids).await?.into_iter().map(|c| (c.id, c)).collect();
        Ok(records
            .into_iter()
            .map(|r| {
                let cited: Vec<&ChunkRecord> = r.citations.iter().filter_map(|c| chunks.get(c)).collect();
                let text = cited.iter().map(|c| c.text.as_str()).collect::<Vec<_>>().join("\n\n");
                let checked = !cited.is_empty();
                let defect = if checked { check_against_passage(&r.body, &text).err() } else { None };
                Question {
                    id: r.id,
                    concepts: r.concepts,
                    body: r.body,
                    explanation: r.explanation,
                    citations: cited
                        .iter()
                        .map(|c| QuestionCitation {
                            chunk_id: c.id.0,
                            document_id: c.document,
                            document_title: c.document_title.clone(),
                            section: section_label(&c.section_path),
                            text: c.text.clone(),
                        })
                        .collect(),
                    status: r.status,
                    origin: r.origin,
                    statistics: QuestionStatistics::from(&r.statistics),
                    defect,
                    checked,
                    created_by: r.created_by,
                    created_at: r.created_at,
                    updated_at: r.updated_at,
                }
            })
            .collect())
    }
}
