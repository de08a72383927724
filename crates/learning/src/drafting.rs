//! A program drafted from a collection of the knowledge base: one concept per
//! section, prerequisite edges from document order and cross-references
//! (rules in `wayfinder_learning_rules::draft`), each concept citing the
//! sections it is learned from. The draft is an unpublished program an admin
//! reviews, edits and publishes.

use crate::{Learning, LearningError, LearningResult, ProgramDetail, programs::not_found};
use std::collections::HashMap;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_knowledge_rules::CollectionId;
use wayfinder_learning_rules::draft::{SectionSource, draft_program};
use wayfinder_learning_rules::program::{
    self as rules, ConceptId, MAX_CONCEPTS_PER_PROGRAM, MAX_TITLE_CHARS, MaterialRef, ProgramId,
};
use wayfinder_store::{ConceptRecord, NewProgram, Prerequisite, ProgramContent};

impl Learning {
    /// Drafts a program from a collection's documents (in the order of their
    /// source names, so numbered files read as a book). Without a chat model
    /// the names are the sections' headings; nothing is published.
    pub async fn draft_from_collection(
        &self,
        org: OrgId,
        by: PersonId,
        collection: CollectionId,
        title: Option<String>,
    ) -> LearningResult<ProgramDetail> {
        let collection = self.store.collection(org, collection).await.map_err(|e| not_found(e, "collection"))?;
        let title = rules::clean_title("title", title.as_deref().unwrap_or(&collection.name), MAX_TITLE_CHARS)?;
        let mut documents = self.store.list_documents(org, Some(collection.id)).await?;
        documents.sort_by(|a, b| a.source_name.cmp(&b.source_name).then(a.id.cmp(&b.id)));
        let mut sections: Vec<SectionSource> = Vec::new();
        // Each section's place: its document and heading path, to cite it.
        let mut places: HashMap<u64, MaterialRef> = HashMap::new();
        for (document_index, document) in documents.iter().enumerate() {
            for chunk in self.store.document_chunks(org, document.id).await? {
                let key = chunk.id.0 as u64;
                places.insert(key, MaterialRef { document: document.id, section: chunk.section_path.clone() });
                match sections.last_mut() {
                    Some(last) if last.document_index == document_index && last.heading_path == chunk.section_path => {
                        last.text.push('\n');
                        last.text.push_str(&chunk.text);
                        last.chunk_keys.push(key);
                    }
                    _ => sections.push(SectionSource {
                        document_index,
                        document_title: document.title.clone(),
                        order: sections.len(),
                        heading_path: chunk.section_path.clone(),
                        text: chunk.text,
                        chunk_keys: vec![key],
                    }),
                }
            }
        }
        if sections.is_empty() {
            return Err(LearningError::Invalid {
                field: "collection_id".into(),
                message: "the collection has no ingested text to draft from".into(),
            });
        }
        let draft = draft_program(&sections);
        let program = ProgramId::new();
        let ids: Vec<ConceptId> = draft.concepts.iter().map(|_| ConceptId::new()).collect();
        let concepts = draft
            .concepts
            .iter()
            .take(MAX_CONCEPTS_PER_PROGRAM)
            .enumerate()
            .map(|(i, c)| {
                let mut material: Vec<MaterialRef> = Vec::new();
                for key in &c.chunk_keys {
                    if let Some(place) = places.get(key)
                        && !material.contains(place)
                    {
                        material.push(place.clone());
                    }
                }
                ConceptRecord {
                    id: ids[i],
                    program,
                    name: c.name.chars().take(MAX_TITLE_CHARS).collect(),
                    description: c.description.clone(),
                    tags: rules::clean_tags("tags", &c.tags).unwrap_or_default(),
                    estimated_minutes: i64::from(c.estimated_minutes).clamp(1, rules::MAX_ESTIMATED_MINUTES),
                    material: material.into_iter().take(rules::MAX_MATERIAL).collect(),
                    position: i as i64,
                }
            })
            .collect::<Vec<_>>();
        let prerequisites = draft
            .edges
            .iter()
            .filter(|(c, r)| *c < concepts.len() && *r < concepts.len())
            .map(|&(c, r)| Prerequisite { concept: ids[c], requires: ids[r] })
            .collect();
        let description =
            format!("Drafted from the collection \u{201c}{}\u{201d}; review before publishing.", collection.name);
        let new = NewProgram { id: program, org, title, description, self_enrolment: false, created_by: Some(by) };
        self.store.create_program(&new).await?;
        self.store
            .replace_program_content(org, program, &ProgramContent { concepts, prerequisites, questions: Vec::new() })
            .await?;
        self.program(org, program, true).await
    }
}
