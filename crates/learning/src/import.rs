//! A whole program as one document (JSON), or as spreadsheets (concepts,
//! edges and, optionally, questions as CSV): export, and all-or-nothing import
//! with per-row errors. A program's approved questions travel with it.

use crate::{Learning, LearningError, LearningResult, ProgramDetail, programs::not_found};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_learning_rules::graph::ConceptGraph;
use wayfinder_learning_rules::practice::ItemStatistics;
use wayfinder_learning_rules::program::{
    self as rules, ConceptId, MAX_CONCEPTS_PER_PROGRAM, MAX_TITLE_CHARS, MaterialRef, ProgramId,
};
use wayfinder_learning_rules::questions::{
    MAX_QUESTION_CONCEPTS, MAX_TEXT_CHARS, QuestionBody, QuestionId, QuestionKind, QuestionOrigin, QuestionStatus,
};
use wayfinder_store::{
    ConceptRecord, NewProgram, Prerequisite, ProgramContent, ProgramVersion, QuestionFilter, QuestionRecord,
};

/// A program as one document: what `export` writes and `import` reads.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramDocument {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub self_enrolment: bool,
    pub concepts: Vec<ConceptRow>,
    /// Practice questions on the document's concepts; imported approved. (Their citations stay
    /// behind: they name chunks of one organisation's knowledge base.)
    #[serde(default)]
    pub questions: Vec<QuestionRow>,
}

/// One practice question of a [`ProgramDocument`].
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionRow {
    /// Keys of the document's concepts it practises.
    pub concepts: Vec<String>,
    pub body: QuestionBody,
    #[serde(default)]
    pub explanation: String,
}

/// The questions spreadsheet's columns: `concepts` (keys separated by `;`), `kind`, `prompt`
/// (a multiple-choice stem, a true/false statement, a cloze text with `_____`, a short-answer
/// question), `options` (multiple choice, separated by `;`), `answer` (the correct options,
/// accepted fillings separated by `;`, `true`/`false`, or the reference answer) and
/// `explanation`.
#[derive(Serialize, Deserialize)]
struct QuestionCsv {
    concepts: String,
    kind: QuestionKind,
    prompt: String,
    #[serde(default)]
    options: String,
    answer: String,
    #[serde(default)]
    explanation: String,
}

fn split_list(raw: &str) -> Vec<String> {
    raw.split(';').map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect()
}

impl QuestionCsv {
    fn to_row(&self) -> Result<QuestionRow, (&'static str, String)> {
        let body = match self.kind {
            QuestionKind::MultipleChoice => {
                let options = split_list(&self.options);
                let answers = split_list(&self.answer);
                let mut correct = Vec::new();
                for answer in &answers {
                    match options.iter().position(|o| o == answer) {
                        Some(i) => correct.push(i),
                        None => return Err(("answer", format!("{answer:?} is not one of the options"))),
                    }
                }
                QuestionBody::MultipleChoice { stem: self.prompt.clone(), options, correct }
            }
            QuestionKind::TrueFalse => match self.answer.trim().to_lowercase().as_str() {
                "true" => QuestionBody::TrueFalse { statement: self.prompt.clone(), answer: true },
                "false" => QuestionBody::TrueFalse { statement: self.prompt.clone(), answer: false },
                _ => return Err(("answer", "must be true or false".into())),
            },
            QuestionKind::Cloze => QuestionBody::Cloze { text: self.prompt.clone(), answers: split_list(&self.answer) },
            QuestionKind::ShortAnswer => {
                QuestionBody::ShortAnswer { prompt: self.prompt.clone(), reference: self.answer.clone() }
            }
        };
        Ok(QuestionRow { concepts: split_list(&self.concepts), body, explanation: self.explanation.clone() })
    }

    fn from_row(row: &QuestionRow) -> Self {
        let (prompt, options, answer) = match &row.body {
            QuestionBody::MultipleChoice { stem, options, correct } => {
                let answers: Vec<&str> = correct.iter().filter_map(|&i| options.get(i)).map(String::as_str).collect();
                (stem.clone(), options.join(";"), answers.join(";"))
            }
            QuestionBody::TrueFalse { statement, answer } => (statement.clone(), String::new(), answer.to_string()),
            QuestionBody::Cloze { text, answers } => (text.clone(), String::new(), answers.join(";")),
            QuestionBody::ShortAnswer { prompt, reference } => (prompt.clone(), String::new(), reference.clone()),
        };
        QuestionCsv {
            concepts: row.concepts.join(";"),
            kind: row.body.kind(),
            prompt,
            options,
            answer,
            explanation: row.explanation.clone(),
        }
    }
}

/// One concept of a [`ProgramDocument`].
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConceptRow {
    /// The concept's reference inside the document. An export writes the
    /// concept's id, so importing it back into the same program keeps every
    /// learner's mastery.
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub estimated_minutes: Option<i64>,
    #[serde(default)]
    pub material: Vec<MaterialRef>,
    /// Keys of concepts of this document, or ids of other programs' concepts, it requires.
    #[serde(default)]
    pub requires: Vec<String>,
}

/// One edge row of the edges spreadsheet.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EdgeRow {
    pub concept: String,
    pub requires: String,
}

/// What is wrong with one row of an import (1-based row; 0: the document itself).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub message: String,
}

impl RowError {
    fn new(row: usize, field: &str, message: impl Into<String>) -> Self {
        Self { row, field: field.into(), message: message.into() }
    }
}

/// The concepts spreadsheet's columns.
#[derive(Serialize, Deserialize)]
struct ConceptCsv {
    key: String,
    name: String,
    #[serde(default)]
    description: String,
    /// Tags separated by `;`.
    #[serde(default)]
    tags: String,
    #[serde(default)]
    estimated_minutes: Option<i64>,
}

impl ProgramDocument {
    /// Reads a program from its two spreadsheets (header rows required:
    /// `key,name,description,tags,estimated_minutes` and `concept,requires`).
    /// A malformed row is reported with its line; nothing is half-read.
    pub fn from_csv(
        title: &str,
        concepts_csv: &str,
        edges_csv: &str,
        questions_csv: Option<&str>,
    ) -> Result<Self, Vec<RowError>> {
        let mut errors = Vec::new();
        let mut concepts = Vec::new();
        for (i, row) in csv::Reader::from_reader(concepts_csv.as_bytes()).deserialize::<ConceptCsv>().enumerate() {
            match row {
                Ok(c) => concepts.push(ConceptRow {
                    key: c.key,
                    name: c.name,
                    description: c.description,
                    tags: c.tags.split(';').map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect(),
                    estimated_minutes: c.estimated_minutes,
                    material: Vec::new(),
                    requires: Vec::new(),
                }),
                Err(e) => errors.push(RowError::new(i + 2, "concepts_csv", e.to_string())),
            }
        }
        let index: HashMap<String, usize> = concepts.iter().enumerate().map(|(i, c)| (c.key.clone(), i)).collect();
        for (i, row) in csv::Reader::from_reader(edges_csv.as_bytes()).deserialize::<EdgeRow>().enumerate() {
            match row {
                Ok(edge) => match index.get(&edge.concept) {
                    Some(&at) => concepts[at].requires.push(edge.requires),
                    None => {
                        errors.push(RowError::new(i + 2, "concept", format!("no concept with key {:?}", edge.concept)))
                    }
                },
                Err(e) => errors.push(RowError::new(i + 2, "edges_csv", e.to_string())),
            }
        }
        let mut questions = Vec::new();
        if let Some(sheet) = questions_csv {
            for (i, row) in csv::Reader::from_reader(sheet.as_bytes()).deserialize::<QuestionCsv>().enumerate() {
                match row.map_err(|e| ("questions_csv", e.to_string())).and_then(|q| q.to_row()) {
                    Ok(question) => questions.push(question),
                    Err((field, message)) => errors.push(RowError::new(i + 2, field, message)),
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ProgramDocument {
            title: title.into(),
            description: String::new(),
            self_enrolment: false,
            concepts,
            questions,
        })
    }

    /// The program as its spreadsheets: (concepts, edges, questions).
    pub fn to_csv(&self) -> (String, String, String) {
        let mut concepts = csv::Writer::from_writer(Vec::new());
        let mut edges = csv::Writer::from_writer(Vec::new());
        for c in &self.concepts {
            let row = ConceptCsv {
                key: c.key.clone(),
                name: c.name.clone(),
                description: c.description.clone(),
                tags: c.tags.join(";"),
                estimated_minutes: c.estimated_minutes,
            };
            // Writing into memory cannot fail.
            concepts.serialize(row).ok();
            for requires in &c.requires {
                edges.serialize(EdgeRow { concept: c.key.clone(), requires: requires.clone() }).ok();
            }
        }
        let mut questions = csv::Writer::from_writer(Vec::new());
        for q in &self.questions {
            questions.serialize(QuestionCsv::from_row(q)).ok();
        }
        let text = |w: csv::Writer<Vec<u8>>| String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
        (text(concepts), text(edges), text(questions))
    }
}

impl Learning {
    /// The program in one version as a document (`drafts`: the latest version).
    pub async fn export_program(&self, org: OrgId, id: ProgramId, drafts: bool) -> LearningResult<ProgramDocument> {
        let ProgramDetail { program, concepts, .. } = self.program(org, id, drafts).await?;
        let ours: HashSet<ConceptId> = concepts.iter().map(|c| c.id).collect();
        let approved = QuestionFilter { concept: None, status: Some(QuestionStatus::Approved) };
        let (bank, _) = self.store.questions(org, &approved, i64::MAX, 0).await?;
        let questions = bank
            .into_iter()
            .filter(|q| q.concepts.iter().all(|c| ours.contains(c)))
            .map(|q| QuestionRow {
                concepts: q.concepts.iter().map(ToString::to_string).collect(),
                body: q.body,
                explanation: q.explanation,
            })
            .collect();
        Ok(ProgramDocument {
            questions,
            title: program.title,
            description: program.description,
            self_enrolment: program.self_enrolment,
            concepts: concepts
                .into_iter()
                .map(|c| ConceptRow {
                    key: c.id.to_string(),
                    name: c.name,
                    description: c.description,
                    tags: c.tags,
                    estimated_minutes: Some(c.estimated_minutes),
                    material: c.material,
                    requires: c.prerequisites.iter().map(ToString::to_string).collect(),
                })
                .collect(),
        })
    }

    /// Imports a document as a new draft program, or as the new draft content
    /// of `into`. Every row is checked first; any error refuses the whole
    /// import with all the errors, and nothing is written.
    pub async fn import_program(
        &self,
        org: OrgId,
        by: PersonId,
        document: ProgramDocument,
        into: Option<ProgramId>,
    ) -> LearningResult<ProgramDetail> {
        let existing: HashSet<ConceptId> = match into {
            Some(program) => {
                self.store.program(org, program).await.map_err(|e| not_found(e, "program"))?;
                self.store.concepts(org, program, ProgramVersion::Latest).await?.iter().map(|c| c.id).collect()
            }
            None => HashSet::new(),
        };
        let program = into.unwrap_or_default();
        let content = self.check_document(org, program, &document, &existing, by).await?;
        let program = match into {
            Some(program) => program,
            None => {
                let title = rules::clean_title("title", &document.title, MAX_TITLE_CHARS)
                    .map_err(|e| LearningError::Import(vec![RowError::new(0, &e.field, e.message)]))?;
                let description = rules::clean_description("description", &document.description)
                    .map_err(|e| LearningError::Import(vec![RowError::new(0, &e.field, e.message)]))?;
                let new = NewProgram {
                    id: program,
                    org,
                    title,
                    description,
                    self_enrolment: document.self_enrolment,
                    created_by: Some(by),
                };
                self.store.create_program(&new).await?;
                program
            }
        };
        self.store.replace_program_content(org, program, &content).await?;
        self.program(org, program, true).await
    }

    /// Validates every row and resolves keys to ids: the program's content, or every error found.
    async fn check_document(
        &self,
        org: OrgId,
        program: ProgramId,
        document: &ProgramDocument,
        existing: &HashSet<ConceptId>,
        by: PersonId,
    ) -> LearningResult<ProgramContent> {
        let mut errors = Vec::new();
        if document.concepts.len() > MAX_CONCEPTS_PER_PROGRAM {
            let message = format!("at most {MAX_CONCEPTS_PER_PROGRAM} concepts");
            return Err(LearningError::Import(vec![RowError::new(0, "concepts", message)]));
        }
        // Keys that name one of this program's concepts keep that concept's id.
        let mut ids: HashMap<&str, ConceptId> = HashMap::new();
        let mut names = HashSet::new();
        let mut concepts = Vec::with_capacity(document.concepts.len());
        for (i, row) in document.concepts.iter().enumerate() {
            let n = i + 1;
            let key = row.key.trim();
            if key.is_empty() {
                errors.push(RowError::new(n, "key", "must not be empty"));
            } else if ids.contains_key(key) {
                errors.push(RowError::new(n, "key", format!("{key:?} is used by an earlier row")));
            }
            let id = key.parse::<ConceptId>().ok().filter(|id| existing.contains(id)).unwrap_or_default();
            ids.insert(key, id);
            let mut record = ConceptRecord {
                id,
                program,
                name: String::new(),
                description: String::new(),
                tags: Vec::new(),
                estimated_minutes: row.estimated_minutes.unwrap_or(30),
                material: row.material.clone(),
                position: i as i64,
            };
            match rules::clean_title("name", &row.name, MAX_TITLE_CHARS) {
                Ok(name) if !names.insert(name.to_lowercase()) => {
                    errors.push(RowError::new(n, "name", format!("{name:?} is used by an earlier row")))
                }
                Ok(name) => record.name = name,
                Err(e) => errors.push(RowError::new(n, &e.field, e.message)),
            }
            match rules::clean_description("description", &row.description) {
                Ok(d) => record.description = d,
                Err(e) => errors.push(RowError::new(n, &e.field, e.message)),
            }
            match rules::clean_tags("tags", &row.tags) {
                Ok(t) => record.tags = t,
                Err(e) => errors.push(RowError::new(n, &e.field, e.message)),
            }
            if let Err(e) = rules::check_minutes("estimated_minutes", record.estimated_minutes) {
                errors.push(RowError::new(n, &e.field, e.message));
            }
            if let Err(e) = self.check_material(org, "material", &row.material).await {
                match e {
                    LearningError::Invalid { field, message } => errors.push(RowError::new(n, &field, message)),
                    other => return Err(other),
                }
            }
            concepts.push(record);
        }
        let mut prerequisites = Vec::new();
        let mut outside_cache: HashMap<ConceptId, bool> = HashMap::new();
        for (i, row) in document.concepts.iter().enumerate() {
            for requires in &row.requires {
                let target = match ids.get(requires.trim()) {
                    Some(id) => Some(*id),
                    None => match requires.trim().parse::<ConceptId>() {
                        Ok(id) if existing.contains(&id) => None,
                        Ok(id) => {
                            let known = match outside_cache.get(&id) {
                                Some(known) => *known,
                                None => {
                                    let known = self.store.concept(org, id, ProgramVersion::Latest).await.is_ok();
                                    outside_cache.insert(id, known);
                                    known
                                }
                            };
                            known.then_some(id)
                        }
                        Err(_) => None,
                    },
                };
                match target {
                    Some(target) => prerequisites.push(Prerequisite { concept: concepts[i].id, requires: target }),
                    None => errors.push(RowError::new(
                        i + 1,
                        "requires",
                        format!("{requires:?} is neither a key of this document nor a concept of another program"),
                    )),
                }
            }
        }
        if errors.is_empty() {
            // The organisation's graph without this program's current draft edges, plus the new ones.
            let mine: HashSet<Prerequisite> = self
                .store
                .program_prerequisites(org, program, ProgramVersion::Latest)
                .await
                .unwrap_or_default()
                .into_iter()
                .collect();
            let others = self.store.prerequisites_for_check(org).await?.into_iter().filter(|e| !mine.contains(e));
            let all = others.chain(prerequisites.iter().copied()).map(|e| (e.concept, e.requires));
            if let Err(cycle) = ConceptGraph::new(all).topological_order() {
                let names = self.import_names(&cycle, &concepts).await?;
                errors.push(RowError::new(
                    0,
                    "requires",
                    format!("the prerequisites form a cycle: {}", names.join(" → ")),
                ));
            }
        }
        let questions = check_questions(&document.questions, &ids, by, &mut errors);
        if !errors.is_empty() {
            return Err(LearningError::Import(errors));
        }
        Ok(ProgramContent { concepts, prerequisites, questions })
    }

    async fn import_names(&self, cycle: &[ConceptId], concepts: &[ConceptRecord]) -> LearningResult<Vec<String>> {
        Ok(cycle
            .iter()
            .map(|id| concepts.iter().find(|c| c.id == *id).map(|c| c.name.clone()).unwrap_or_else(|| id.to_string()))
            .collect())
    }
}

/// The document's questions as records (approved, imported), their concept keys resolved; a row
/// whose body or keys are wrong adds its errors (`row` counts questions from 1).
fn check_questions(
    rows: &[QuestionRow],
    ids: &HashMap<&str, ConceptId>,
    by: PersonId,
    errors: &mut Vec<RowError>,
) -> Vec<QuestionRecord> {
    let now = Utc::now();
    let mut records = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let n = i + 1;
        let mut concepts = Vec::new();
        for key in &row.concepts {
            match ids.get(key.trim()) {
                Some(id) if !concepts.contains(id) => concepts.push(*id),
                Some(_) => {}
                None => {
                    errors.push(RowError::new(n, "question.concepts", format!("{key:?} is not a key of this document")))
                }
            }
        }
        if row.concepts.is_empty() || row.concepts.len() > MAX_QUESTION_CONCEPTS {
            errors.push(RowError::new(n, "question.concepts", format!("name 1 to {MAX_QUESTION_CONCEPTS} concepts")));
        }
        let body = match row.body.validated() {
            Ok(body) => body,
            Err(e) => {
                errors.push(RowError::new(n, &format!("question.{}", e.field), e.message));
                continue;
            }
        };
        if row.explanation.trim().chars().count() > MAX_TEXT_CHARS {
            errors.push(RowError::new(n, "question.explanation", format!("at most {MAX_TEXT_CHARS} characters")));
        }
        records.push(QuestionRecord {
            id: QuestionId::new(),
            concepts,
            body,
            explanation: row.explanation.trim().to_string(),
            citations: Vec::new(),
            status: QuestionStatus::Approved,
            origin: QuestionOrigin::Imported,
            statistics: ItemStatistics::default(),
            created_by: Some(by),
            created_at: now,
            updated_at: now,
        });
    }
    records
}
