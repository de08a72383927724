//! A whole program as one document (JSON), or as two spreadsheets (concepts
//! and edges as CSV): export, and all-or-nothing import with per-row errors.

use crate::{Learning, LearningError, LearningResult, ProgramDetail, programs::not_found};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_learning_rules::graph::ConceptGraph;
use wayfinder_learning_rules::program::{
    self as rules, ConceptId, MAX_CONCEPTS_PER_PROGRAM, MAX_TITLE_CHARS, MaterialRef, ProgramId,
};
use wayfinder_store::{ConceptRecord, NewProgram, Prerequisite, ProgramContent, ProgramVersion};

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
    pub fn from_csv(title: &str, concepts_csv: &str, edges_csv: &str) -> Result<Self, Vec<RowError>> {
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
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ProgramDocument { title: title.into(), description: String::new(), self_enrolment: false, concepts })
    }

    /// The program as its two spreadsheets: (concepts, edges).
    pub fn to_csv(&self) -> (String, String) {
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
        let text = |w: csv::Writer<Vec<u8>>| String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
        (text(concepts), text(edges))
    }
}

impl Learning {
    /// The program in one version as a document (`drafts`: the latest version).
    pub async fn export_program(&self, org: OrgId, id: ProgramId, drafts: bool) -> LearningResult<ProgramDocument> {
        let ProgramDetail { program, concepts, .. } = self.program(org, id, drafts).await?;
        Ok(ProgramDocument {
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
        let content = self.check_document(org, program, &document, &existing).await?;
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
        if !errors.is_empty() {
            return Err(LearningError::Import(errors));
        }
        Ok(ProgramContent { concepts, prerequisites })
    }

    async fn import_names(&self, cycle: &[ConceptId], concepts: &[ConceptRecord]) -> LearningResult<Vec<String>> {
        Ok(cycle
            .iter()
            .map(|id| concepts.iter().find(|c| c.id == *id).map(|c| c.name.clone()).unwrap_or_else(|| id.to_string()))
            .collect())
    }
}
