//! Programs, their concepts and prerequisite edges, publishing and enrolment.

use crate::{Concept, ConceptName, Enrolment, Learning, LearningError, LearningResult, Program, ProgramDetail};
use std::collections::HashMap;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_learning_rules::graph::ConceptGraph;
use wayfinder_learning_rules::program::{
    self as rules, ConceptId, MAX_MATERIAL, MAX_TITLE_CHARS, MaterialRef, ProgramId, ProgramStatus,
};
use wayfinder_store::{ConceptRecord, NewProgram, Prerequisite, ProgramVersion, StoreError};

/// A program's describing fields (absent: unchanged).
#[derive(Clone, Debug, Default)]
pub struct ProgramSpec {
    pub title: Option<String>,
    pub description: Option<String>,
    pub self_enrolment: Option<bool>,
}

/// A concept's content (absent: unchanged, or the default on creation).
#[derive(Clone, Debug, Default)]
pub struct ConceptSpec {
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    pub estimated_minutes: Option<i64>,
    pub material: Option<Vec<MaterialRef>>,
}

/// A new concept's learning time when none is given.
const DEFAULT_MINUTES: i64 = 30;

impl Learning {
    /// Creates a draft program.
    pub async fn create_program(&self, org: OrgId, by: PersonId, spec: ProgramSpec) -> LearningResult<Program> {
        let title = rules::clean_title("title", spec.title.as_deref().unwrap_or_default(), MAX_TITLE_CHARS)?;
        let description = rules::clean_description("description", spec.description.as_deref().unwrap_or_default())?;
        let program = NewProgram {
            id: ProgramId::new(),
            org,
            title,
            description,
            self_enrolment: spec.self_enrolment.unwrap_or(false),
            created_by: Some(by),
        };
        Ok(self.store.create_program(&program).await?.into())
    }

    /// The organisation's programs; `drafts` includes never-published ones.
    pub async fn programs(&self, org: OrgId, drafts: bool) -> LearningResult<Vec<Program>> {
        let programs = self.store.programs(org).await?;
        Ok(programs.into_iter().filter(|p| drafts || p.published_version.is_some()).map(Program::from).collect())
    }

    /// One program with its concepts in `version`. A reader who may not see
    /// drafts (`drafts` false) gets the published version, and never-published programs are not found.
    pub async fn program(&self, org: OrgId, id: ProgramId, drafts: bool) -> LearningResult<ProgramDetail> {
        let record = self.store.program(org, id).await.map_err(|e| not_found(e, "program"))?;
        let (version, number) = match (drafts, record.published_version) {
            (true, _) => (ProgramVersion::Latest, record.latest_version),
            (false, Some(published)) => (ProgramVersion::Published, published),
            (false, None) => return Err(LearningError::NotFound("program")),
        };
        let concepts = self.concepts_with_edges(org, id, version).await?;
        Ok(ProgramDetail { program: record.into(), version: number, concepts })
    }

    pub(crate) async fn concepts_with_edges(
        &self,
        org: OrgId,
        program: ProgramId,
        version: ProgramVersion,
    ) -> LearningResult<Vec<Concept>> {
        let concepts = self.store.concepts(org, program, version).await?;
        let mut requires: HashMap<ConceptId, Vec<ConceptId>> = HashMap::new();
        for edge in self.store.program_prerequisites(org, program, version).await? {
            requires.entry(edge.concept).or_default().push(edge.requires);
        }
        Ok(concepts
            .into_iter()
            .map(|c| {
                let prerequisites = requires.remove(&c.id).unwrap_or_default();
                Concept::from_record(c, prerequisites)
            })
            .collect())
    }

    /// Changes a program's describing fields.
    pub async fn update_program(&self, org: OrgId, id: ProgramId, spec: ProgramSpec) -> LearningResult<Program> {
        let current = self.store.program(org, id).await.map_err(|e| not_found(e, "program"))?;
        let title = match spec.title {
            Some(t) => rules::clean_title("title", &t, MAX_TITLE_CHARS)?,
            None => current.title,
        };
        let description = match spec.description {
            Some(d) => rules::clean_description("description", &d)?,
            None => current.description,
        };
        let self_enrolment = spec.self_enrolment.unwrap_or(current.self_enrolment);
        Ok(self.store.update_program(org, id, &title, &description, self_enrolment).await?.into())
    }

    /// Publishes the program's latest version. A program without concepts cannot be published.
    pub async fn publish(&self, org: OrgId, id: ProgramId) -> LearningResult<Program> {
        let program = self.store.program(org, id).await.map_err(|e| not_found(e, "program"))?;
        if program.concept_count == 0 {
            return Err(LearningError::Conflict("a program needs at least one concept to be published".into()));
        }
        Ok(self.store.publish_program(org, id).await?.into())
    }

    /// Throws away the program's unpublished draft.
    pub async fn discard_draft(&self, org: OrgId, id: ProgramId) -> LearningResult<Program> {
        self.store.program(org, id).await.map_err(|e| not_found(e, "program"))?;
        Ok(self.store.discard_draft(org, id).await?.into())
    }

    /// Deletes a program, or archives it when learners were ever enrolled (or
    /// another program's concepts require its concepts). Returns the program
    /// when archived, `None` when deleted.
    pub async fn delete_program(&self, org: OrgId, id: ProgramId) -> LearningResult<Option<Program>> {
        let archived = self.store.delete_or_archive_program(org, id).await.map_err(|e| not_found(e, "program"))?;
        Ok(if archived { Some(self.store.program(org, id).await?.into()) } else { None })
    }

    /// Adds a concept to a program's draft.
    pub async fn add_concept(&self, org: OrgId, program: ProgramId, spec: ConceptSpec) -> LearningResult<Concept> {
        self.store.program(org, program).await.map_err(|e| not_found(e, "program"))?;
        let base = ConceptRecord {
            id: ConceptId::new(),
            program,
            name: String::new(),
            description: String::new(),
            tags: Vec::new(),
            estimated_minutes: DEFAULT_MINUTES,
            material: Vec::new(),
            position: -1,
        };
        let concept = self.apply_concept_spec(org, base, spec, true).await?;
        let stored = self.store.add_concept(org, &concept).await?;
        Ok(Concept::from_record(stored, Vec::new()))
    }

    /// Changes a concept in its program's draft.
    pub async fn update_concept(&self, org: OrgId, id: ConceptId, spec: ConceptSpec) -> LearningResult<Concept> {
        let current = self.latest_concept(org, id).await?;
        let concept = self.apply_concept_spec(org, current, spec, false).await?;
        let stored = self.store.update_concept(org, &concept).await?;
        let requires = self.requires_of(org, &stored).await?;
        Ok(Concept::from_record(stored, requires))
    }

    /// Removes a concept from its program's draft.
    pub async fn remove_concept(&self, org: OrgId, id: ConceptId) -> LearningResult<()> {
        let concept = self.latest_concept(org, id).await?;
        Ok(self.store.remove_concept(org, concept.program, id).await?)
    }

    /// One concept as its authors see it, with its prerequisites.
    pub async fn concept(&self, org: OrgId, id: ConceptId) -> LearningResult<Concept> {
        let concept = self.latest_concept(org, id).await?;
        let requires = self.requires_of(org, &concept).await?;
        Ok(Concept::from_record(concept, requires))
    }

    async fn latest_concept(&self, org: OrgId, id: ConceptId) -> LearningResult<ConceptRecord> {
        self.store.concept(org, id, ProgramVersion::Latest).await.map_err(|e| not_found(e, "concept"))
    }

    async fn requires_of(&self, org: OrgId, concept: &ConceptRecord) -> LearningResult<Vec<ConceptId>> {
        let edges = self.store.program_prerequisites(org, concept.program, ProgramVersion::Latest).await?;
        Ok(edges.into_iter().filter(|e| e.concept == concept.id).map(|e| e.requires).collect())
    }

    async fn apply_concept_spec(
        &self,
        org: OrgId,
        mut concept: ConceptRecord,
        spec: ConceptSpec,
        creating: bool,
    ) -> LearningResult<ConceptRecord> {
        if let Some(name) = spec.name.as_deref().or(creating.then_some("")) {
            concept.name = rules::clean_title("name", name, MAX_TITLE_CHARS)?;
        }
        if let Some(description) = spec.description {
            concept.description = rules::clean_description("description", &description)?;
        }
        if let Some(tags) = spec.tags {
            concept.tags = rules::clean_tags("tags", &tags)?;
        }
        if let Some(minutes) = spec.estimated_minutes {
            concept.estimated_minutes = rules::check_minutes("estimated_minutes", minutes)?;
        }
        if let Some(material) = spec.material {
            self.check_material(org, "material", &material).await?;
            concept.material = material;
        }
        Ok(concept)
    }

    /// Every referenced document must be the organisation's.
    pub(crate) async fn check_material(&self, org: OrgId, field: &str, material: &[MaterialRef]) -> LearningResult<()> {
        if material.len() > MAX_MATERIAL {
            return Err(LearningError::Invalid {
                field: field.into(),
                message: format!("at most {MAX_MATERIAL} references"),
            });
        }
        for reference in material {
            match self.store.document(org, reference.document).await {
                Ok(_) => {}
                Err(StoreError::NotFound) => {
                    return Err(LearningError::Invalid {
                        field: field.into(),
                        message: format!(
                            "document {} is not in this organisation's knowledge base",
                            reference.document
                        ),
                    });
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Adds "`concept` requires `requires`" to the draft of `concept`'s
    /// program; `requires` may belong to another program of the organisation.
    /// Refused with the cycle when it would close one.
    pub async fn add_prerequisite(
        &self,
        org: OrgId,
        concept: ConceptId,
        requires: ConceptId,
    ) -> LearningResult<Concept> {
        let from = self.latest_concept(org, concept).await?;
        self.store.concept(org, requires, ProgramVersion::Latest).await.map_err(|e| match e {
            StoreError::NotFound => LearningError::Invalid {
                field: "requires".into(),
                message: "no such concept in this organisation".into(),
            },
            other => other.into(),
        })?;
        let graph =
            ConceptGraph::new(self.store.prerequisites_for_check(org).await?.iter().map(|e| (e.concept, e.requires)));
        if let Some(cycle) = graph.cycle_if_added(concept, requires) {
            return Err(LearningError::Cycle(self.names(org, &cycle).await?));
        }
        self.store.add_prerequisite(org, from.program, Prerequisite { concept, requires }).await?;
        self.concept(org, concept).await
    }

    /// Removes a prerequisite edge from the draft.
    pub async fn remove_prerequisite(&self, org: OrgId, concept: ConceptId, requires: ConceptId) -> LearningResult<()> {
        let from = self.latest_concept(org, concept).await?;
        self.store
            .remove_prerequisite(org, from.program, Prerequisite { concept, requires })
            .await
            .map_err(|e| not_found(e, "prerequisite"))
    }

    /// Names concepts for a message (latest version; an unknown id shows as itself).
    pub(crate) async fn names(&self, org: OrgId, ids: &[ConceptId]) -> LearningResult<Vec<ConceptName>> {
        let mut names = Vec::with_capacity(ids.len());
        for id in ids {
            let name = match self.store.concept(org, *id, ProgramVersion::Latest).await {
                Ok(c) => c.name,
                Err(StoreError::NotFound) => id.to_string(),
                Err(e) => return Err(e.into()),
            };
            names.push(ConceptName { id: *id, name });
        }
        Ok(names)
    }

    /// Enrols a learner in a published program.
    pub async fn enrol(
        &self,
        org: OrgId,
        program: ProgramId,
        person: PersonId,
        by: PersonId,
    ) -> LearningResult<Enrolment> {
        let record = self.store.program(org, program).await.map_err(|e| not_found(e, "program"))?;
        match record.status {
            ProgramStatus::Published => {}
            ProgramStatus::Draft => return Err(LearningError::Conflict("the program is not published yet".into())),
            ProgramStatus::Archived => return Err(LearningError::Conflict("the program is archived".into())),
        }
        Ok(self.store.enrol(org, program, person, Some(by)).await?.into())
    }

    /// Whether a program takes self-enrolment (and is published).
    pub async fn open_for_self_enrolment(&self, org: OrgId, program: ProgramId) -> LearningResult<bool> {
        let record = self.store.program(org, program).await.map_err(|e| not_found(e, "program"))?;
        Ok(record.self_enrolment && record.status == ProgramStatus::Published)
    }

    /// Withdraws a learner from a program (their evidence stays).
    pub async fn withdraw(&self, org: OrgId, program: ProgramId, person: PersonId) -> LearningResult<Enrolment> {
        Ok(self.store.withdraw(org, program, person).await.map_err(|e| not_found(e, "enrolment"))?.into())
    }

    /// Enrolments of a program or of a learner.
    pub async fn enrolments(
        &self,
        org: OrgId,
        program: Option<ProgramId>,
        person: Option<PersonId>,
    ) -> LearningResult<Vec<Enrolment>> {
        if let Some(program) = program {
            self.store.program(org, program).await.map_err(|e| not_found(e, "program"))?;
        }
        Ok(self.store.enrolments(org, program, person).await?.into_iter().map(Enrolment::from).collect())
    }
}

/// Maps the store's `NotFound` to the named record.
pub(crate) fn not_found(e: StoreError, what: &'static str) -> LearningError {
    match e {
        StoreError::NotFound => LearningError::NotFound(what),
        other => other.into(),
    }
}
