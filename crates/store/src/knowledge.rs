//! The knowledge base in storage: collections, documents and their chunks,
//! the lexical postings (`lexical_terms` and `chunk_postings`, the same on
//! both backends) and the vectors. Writing a document — its chunks and index entries —
//! is one transaction, and so is deleting it, so a search never sees half a
//! document and nothing is orphaned.

mod postgres;
pub(crate) mod sqlite;

use crate::{Pool, Store, StoreError, StoreResult, duplicate_as, in_tx, jobs::JobFileState, on_pool, rows::*};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_knowledge_rules::{ChunkId, CollectionId, DocumentId, JobFileId};
pub use wayfinder_search::ChunkFilter;
use wayfinder_search::{ChunkTerms, LexicalChange, term_frequencies};

/// A collection to create.
#[derive(Clone, Debug)]
pub struct NewCollection {
    pub org: OrgId,
    pub name: String,
    pub description: String,
    pub domains: Vec<String>,
    pub chunk_tokens: i64,
    pub chunk_overlap: i64,
    pub embedding_model: Option<String>,
    pub public: bool,
}

/// A stored collection.
#[derive(Clone, Debug, PartialEq)]
pub struct Collection {
    pub id: CollectionId,
    pub org: OrgId,
    pub name: String,
    pub description: String,
    pub domains: Vec<String>,
    pub chunk_tokens: i64,
    pub chunk_overlap: i64,
    pub embedding_model: Option<String>,
    /// Open to anonymous visitors of the organisation's website widgets.
    pub public: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A document to store with its chunks.
#[derive(Clone, Debug)]
pub struct NewDocument {
    pub org: OrgId,
    pub collection: CollectionId,
    pub title: String,
    pub source_name: String,
    pub content_type: String,
    pub content_hash: String,
    pub size_bytes: i64,
    pub pages: Option<i64>,
    pub domains: Vec<String>,
    pub uploaded_by: Option<PersonId>,
}

/// A chunk to store: its text, where it sits, and its analysed terms.
#[derive(Clone, Debug)]
pub struct NewChunk {
    pub position: i64,
    pub text: String,
    pub section_path: Vec<String>,
    pub page_start: Option<i64>,
    pub page_end: Option<i64>,
    pub token_count: i64,
    /// Analysed terms (stemmed, stopwords removed), with repeats.
    pub terms: Vec<String>,
}

/// A stored document.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub id: DocumentId,
    pub org: OrgId,
    pub collection: CollectionId,
    pub title: String,
    pub source_name: String,
    pub content_type: String,
    pub content_hash: String,
    pub size_bytes: i64,
    pub pages: Option<i64>,
    pub domains: Vec<String>,
    pub chunk_count: i64,
    pub uploaded_by: Option<PersonId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What storing a document did.
#[derive(Clone, Debug, PartialEq)]
pub enum DocumentWrite {
    /// A new document.
    Created(Document),
    /// A document with the same source name and different content was replaced.
    Replaced(Document),
    /// The same content was already in the collection; nothing changed.
    Unchanged(Document),
}

impl DocumentWrite {
    /// The document as stored.
    pub fn document(&self) -> &Document {
        match self {
            DocumentWrite::Created(d) | DocumentWrite::Replaced(d) | DocumentWrite::Unchanged(d) => d,
        }
    }
}

/// What a document write did inside its transaction.
enum Written {
    Unchanged(Box<DocumentRow>),
    Inserted { replaced: bool },
}

/// The epochs a transaction that changed an organisation's chunks committed at.
pub(crate) struct ChangeEpochs {
    pub lexical: i64,
    /// The vector epoch, where this process keeps a copy of the vectors (SQLite).
    pub vectors: Option<i64>,
}

/// A document's new chunks as stored: ids, and terms as (term number, tf).
#[derive(Default)]
pub(crate) struct ChunksWritten {
    pub ids: Vec<i64>,
    pub terms: Vec<Vec<(u32, u32)>>,
    /// Terms this transaction numbered.
    pub new_terms: Vec<(String, u32)>,
}

/// The numbers of a document's terms in `lexical_terms`, known and new. New
/// terms take the numbers after the organisation's largest; the writer holds
/// the organisation's `lexical_epochs` row, so writers number one at a time.
pub(crate) struct TermNumbers {
    numbers: HashMap<String, u32>,
    pub new_terms: Vec<(String, u32)>,
}

/// What is known about a document's distinct terms before numbering: each
/// one's number if it has one, and the largest number handed out so far.
pub(crate) type KnownTerms = (Vec<Option<u32>>, u32);

impl TermNumbers {
    /// The distinct terms of `chunks`, sorted.
    pub(crate) fn distinct(chunks: &[NewChunk]) -> Vec<&str> {
        let mut terms: Vec<&str> = chunks.iter().flat_map(|c| c.terms.iter().map(String::as_str)).collect();
        terms.sort_unstable();
        terms.dedup();
        terms
    }

    /// Numbers `distinct`, giving the terms without one the next numbers.
    fn new(distinct: &[&str], (known, largest): KnownTerms) -> Self {
        let mut next = largest;
        let mut new_terms = Vec::new();
        let numbers = distinct
            .iter()
            .zip(known)
            .map(|(term, number)| {
                let number = number.unwrap_or_else(|| {
                    next += 1;
                    new_terms.push((term.to_string(), next));
                    next
                });
                (term.to_string(), number)
            })
            .collect();
        TermNumbers { numbers, new_terms }
    }

    /// A chunk's terms as (term number, tf), sorted by number.
    fn of(&self, chunk: &NewChunk) -> Vec<(u32, u32)> {
        let mut out: Vec<(u32, u32)> = term_frequencies(&chunk.terms)
            .into_iter()
            .filter_map(|(t, tf)| Some((*self.numbers.get(t)?, tf)))
            .collect();
        out.sort_unstable();
        out
    }
}

/// Known numbers from their stored form: the numbers of a term list in order,
/// space-separated, 0 for a term without one.
fn known_from_stored(stored: Option<String>, largest: i64, terms: usize) -> KnownTerms {
    let mut known: Vec<Option<u32>> =
        stored.unwrap_or_default().split(' ').map(|n| n.parse().ok().filter(|n| *n > 0)).collect();
    known.resize(terms, None);
    (known, largest.max(0) as u32)
}

/// A chunk with what a reader needs to cite it.
#[derive(Clone, Debug, PartialEq)]
pub struct ChunkRecord {
    pub id: ChunkId,
    pub collection: CollectionId,
    pub document: DocumentId,
    pub document_title: String,
    pub source_name: String,
    pub position: i64,
    pub text: String,
    pub section_path: Vec<String>,
    pub page_start: Option<i64>,
    pub page_end: Option<i64>,
    pub token_count: i64,
    pub domains: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct CollectionRow {
    id: String,
    org_id: String,
    name: String,
    description: String,
    domains: String,
    chunk_tokens: i64,
    chunk_overlap: i64,
    embedding_model: Option<String>,
    public_to_visitors: bool,
    created_at: i64,
    updated_at: i64,
}

impl CollectionRow {
    fn into_collection(self) -> StoreResult<Collection> {
        Ok(Collection {
            id: parse(&self.id, "collection id")?,
            org: parse(&self.org_id, "org id")?,
            name: self.name,
            description: self.description,
            domains: json_list(&self.domains),
            chunk_tokens: self.chunk_tokens,
            chunk_overlap: self.chunk_overlap,
            embedding_model: self.embedding_model,
            public: self.public_to_visitors,
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct DocumentRow {
    id: String,
    org_id: String,
    collection_id: String,
    title: String,
    source_name: String,
    content_type: String,
    content_hash: String,
    size_bytes: i64,
    pages: Option<i64>,
    domains: String,
    chunk_count: i64,
    uploaded_by: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl DocumentRow {
    fn into_document(self) -> StoreResult<Document> {
        Ok(Document {
            id: parse(&self.id, "document id")?,
            org: parse(&self.org_id, "org id")?,
            collection: parse(&self.collection_id, "collection id")?,
            title: self.title,
            source_name: self.source_name,
            content_type: self.content_type,
            content_hash: self.content_hash,
            size_bytes: self.size_bytes,
            pages: self.pages,
            domains: json_list(&self.domains),
            chunk_count: self.chunk_count,
            uploaded_by: self.uploaded_by.as_deref().map(|p| parse(p, "person id")).transpose()?,
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
        })
    }
}

/// A chunk with its document's title and domains. Also read from a JSON array of
/// the same values in `CHUNK_COLUMNS` order (serde takes a struct from a sequence).
#[derive(sqlx::FromRow, serde::Deserialize)]
struct ChunkRow {
    id: i64,
    collection_id: String,
    document_id: String,
    title: String,
    source_name: String,
    position: i64,
    text: String,
    section_path: String,
    page_start: Option<i64>,
    page_end: Option<i64>,
    token_count: i64,
    domains: String,
}

impl ChunkRow {
    fn into_record(self) -> StoreResult<ChunkRecord> {
        Ok(ChunkRecord {
            id: ChunkId(self.id),
            collection: parse(&self.collection_id, "collection id")?,
            document: parse(&self.document_id, "document id")?,
            document_title: self.title,
            source_name: self.source_name,
            position: self.position,
            text: self.text,
            section_path: json_list(&self.section_path),
            page_start: self.page_start,
            page_end: self.page_end,
            token_count: self.token_count,
            domains: json_list(&self.domains),
        })
    }
}

const COLLECTION_COLUMNS: &str =
    "id, org_id, name, description, domains, chunk_tokens, chunk_overlap, embedding_model, public_to_visitors, created_at,
     updated_at";
const DOCUMENT_COLUMNS: &str = "d.id, d.org_id, d.collection_id, d.title, d.source_name, d.content_type, d.content_hash, \
     d.size_bytes, d.pages, d.domains, d.chunk_count, d.uploaded_by, d.created_at, d.updated_at";
const CHUNK_COLUMNS: &str = "c.id, c.collection_id, c.document_id, d.title, d.source_name, c.position, c.text, \
     c.section_path, c.page_start, c.page_end, c.token_count, d.domains";

impl Store {
    /// Creates a collection; a taken name in the organisation is `Duplicate("name")`.
    pub async fn create_collection(&self, new: &NewCollection) -> StoreResult<Collection> {
        let id = CollectionId::new();
        let now = now_ms();
        let sql = "INSERT INTO collections (id, org_id, name, description, domains, chunk_tokens, chunk_overlap, embedding_model, created_at, updated_at,
                     public_to_visitors)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)";
        on_pool!(self, pool => sqlx::query(sql)
            .bind(id.to_string()).bind(new.org.to_string()).bind(&new.name).bind(&new.description)
            .bind(to_json(&new.domains)).bind(new.chunk_tokens).bind(new.chunk_overlap).bind(&new.embedding_model).bind(now)
            .bind(new.public)
            .execute(pool).await.map_err(duplicate_as("name"))?.rows_affected());
        self.collection(new.org, id).await
    }

    /// One collection of an organisation.
    pub async fn collection(&self, org: OrgId, id: CollectionId) -> StoreResult<Collection> {
        let sql = format!("SELECT {COLLECTION_COLUMNS} FROM collections WHERE org_id = $1 AND id = $2");
        let row: CollectionRow = on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).bind(id.to_string()).fetch_one(pool).await?);
        row.into_collection()
    }

    /// An organisation's collections by name.
    pub async fn list_collections(&self, org: OrgId) -> StoreResult<Vec<Collection>> {
        let sql = format!("SELECT {COLLECTION_COLUMNS} FROM collections WHERE org_id = $1 ORDER BY name, id");
        let rows: Vec<CollectionRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(CollectionRow::into_collection).collect()
    }

    /// Updates a collection's descriptive fields and chunking/embedding settings.
    pub async fn update_collection(&self, collection: &Collection) -> StoreResult<Collection> {
        let sql =
            "UPDATE collections SET name = $1, description = $2, domains = $3, chunk_tokens = $4, chunk_overlap = $5,
                   embedding_model = $6, updated_at = $7, public_to_visitors = $10 WHERE org_id = $8 AND id = $9";
        let done = on_pool!(self, pool => sqlx::query(sql)
            .bind(&collection.name).bind(&collection.description).bind(to_json(&collection.domains))
            .bind(collection.chunk_tokens).bind(collection.chunk_overlap).bind(&collection.embedding_model).bind(now_ms())
            .bind(collection.org.to_string()).bind(collection.id.to_string()).bind(collection.public)
            .execute(pool).await.map_err(duplicate_as("name"))?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        self.collection(collection.org, collection.id).await
    }

    /// Deletes a collection with all its documents, chunks, index entries and vectors.
    pub async fn delete_collection(&self, org: OrgId, id: CollectionId) -> StoreResult<()> {
        let documents = self.list_documents(org, Some(id)).await?;
        for document in documents {
            self.delete_document(org, document.id).await?;
        }
        let sql = "DELETE FROM collections WHERE org_id = $1 AND id = $2";
        let done = on_pool!(self, pool => sqlx::query(sql).bind(org.to_string()).bind(id.to_string()).execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// One document of an organisation.
    pub async fn document(&self, org: OrgId, id: DocumentId) -> StoreResult<Document> {
        let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE d.org_id = $1 AND d.id = $2");
        let row: DocumentRow = on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).bind(id.to_string()).fetch_one(pool).await?);
        row.into_document()
    }

    /// The titles of those of `ids` that exist in the organisation, in one query.
    pub async fn document_titles(
        &self,
        org: OrgId,
        ids: &[DocumentId],
    ) -> StoreResult<std::collections::HashMap<DocumentId, String>> {
        let mut titles = std::collections::HashMap::new();
        for batch in ids.chunks(500) {
            let marks: Vec<String> = (0..batch.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!("SELECT id, title FROM documents WHERE org_id = $1 AND id IN ({})", marks.join(", "));
            let rows: Vec<(String, String)> = on_pool!(self, pool => {
                let mut q = sqlx::query_as(&sql).bind(org.to_string());
                for id in batch {
                    q = q.bind(id.to_string());
                }
                q.fetch_all(pool).await?
            });
            for (id, title) in rows {
                titles.insert(parse(&id, "document id")?, title);
            }
        }
        Ok(titles)
    }

    /// An organisation's documents, in one collection or all, newest first.
    pub async fn list_documents(&self, org: OrgId, collection: Option<CollectionId>) -> StoreResult<Vec<Document>> {
        let sql = format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE d.org_id = $1 AND ($2 IS NULL OR d.collection_id = $2)
             ORDER BY d.created_at DESC, d.id"
        );
        let rows: Vec<DocumentRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(collection.map(|c| c.to_string())).fetch_all(pool).await?);
        rows.into_iter().map(DocumentRow::into_document).collect()
    }

    /// Stores a document and its chunks in one transaction. The same content
    /// already in the collection is `Unchanged`; a document with the same
    /// source name but other content is replaced (old chunks, index entries
    /// and vectors go in the same transaction).
    pub async fn put_document(&self, new: &NewDocument, chunks: &[NewChunk]) -> StoreResult<DocumentWrite> {
        self.put_document_for_job(new, chunks, None).await
    }

    /// [`Store::put_document`], also recording the outcome on an ingestion job's
    /// file in the same transaction, so a resumed job never ingests it twice.
    pub async fn put_document_for_job(
        &self,
        new: &NewDocument,
        chunks: &[NewChunk],
        job_file: Option<JobFileId>,
    ) -> StoreResult<DocumentWrite> {
        let (org_s, coll_s) = (new.org.to_string(), new.collection.to_string());
        let find = format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE d.collection_id = $1 AND (d.content_hash = $2 OR d.source_name = $3)"
        );
        let id = DocumentId::new();
        let now = now_ms();
        let (outcome, removed, change) = in_tx!(self, tx => {
            let existing: Vec<DocumentRow> = sqlx::query_as(&find)
                .bind(&coll_s).bind(&new.content_hash).bind(&new.source_name).fetch_all(&mut *tx).await?;
            let mut replaced = false;
            let mut removed = Vec::new();
            let mut unchanged = None;
            for row in existing {
                if row.content_hash == new.content_hash {
                    unchanged = Some(row);
                } else {
                    replaced = true;
                    removed.extend(tx.delete_document(&row.id).await?);
                }
            }
            let record = "UPDATE job_files SET state = $1, document_id = $2, chunk_count = $3, content = NULL WHERE id = $4";
            let outcome = if let Some(row) = unchanged {
                if let Some(file) = job_file {
                    sqlx::query(record).bind(<&str>::from(JobFileState::Unchanged)).bind(&row.id).bind(row.chunk_count).bind(file.to_string())
                        .execute(&mut *tx).await?;
                }
                Written::Unchanged(Box::new(row))
            } else {
                if let Some(file) = job_file {
                    sqlx::query(record).bind(<&str>::from(JobFileState::Ingested)).bind(id.to_string()).bind(chunks.len() as i64).bind(file.to_string())
                        .execute(&mut *tx).await?;
                }
                sqlx::query("INSERT INTO documents (id, org_id, collection_id, title, source_name, content_type, content_hash,
                             size_bytes, pages, domains, chunk_count, uploaded_by, created_at, updated_at)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)")
                    .bind(id.to_string()).bind(&org_s).bind(&coll_s).bind(&new.title).bind(&new.source_name)
                    .bind(&new.content_type).bind(&new.content_hash).bind(new.size_bytes).bind(new.pages)
                    .bind(to_json(&new.domains)).bind(chunks.len() as i64).bind(new.uploaded_by.map(|p| p.to_string())).bind(now)
                    .execute(&mut *tx).await.map_err(duplicate_as("document"))?;
                Written::Inserted { replaced }
            };
            if let Some(file) = job_file {
                sqlx::query(crate::jobs::COUNT_FILE_DONE).bind(file.to_string()).execute(&mut *tx).await?;
            }
            let change = if replaced || matches!(outcome, Written::Inserted { .. }) {
                // The epoch first: its row lock makes this the organisation's only writer until commit.
                let epochs = tx.chunks_changed(&org_s, replaced).await?;
                let written = match outcome {
                    Written::Inserted { .. } => {
                        let distinct = TermNumbers::distinct(chunks);
                        // This process's copy, when it is at the epoch just before ours, knows every number.
                        let known = self.known_term_numbers(new.org, epochs.lexical - 1, &distinct);
                        tx.insert_chunks(&org_s, &coll_s, &id.to_string(), chunks, &distinct, known).await?
                    }
                    Written::Unchanged(_) => ChunksWritten::default(),
                };
                Some((epochs, written))
            } else {
                None
            };
            (outcome, removed, change)
        });
        if let Some((epochs, written)) = change {
            let inserted = written
                .ids
                .iter()
                .zip(written.terms)
                .map(|(chunk, terms)| ChunkTerms { id: *chunk, collection: new.collection, document: id, terms })
                .collect();
            self.apply_chunk_change(new.org, epochs, &removed, &written.new_terms, inserted);
        }
        match outcome {
            Written::Unchanged(row) => Ok(DocumentWrite::Unchanged(row.into_document()?)),
            Written::Inserted { replaced, .. } => {
                let doc = self.document(new.org, id).await?;
                Ok(if replaced { DocumentWrite::Replaced(doc) } else { DocumentWrite::Created(doc) })
            }
        }
    }

    /// Deletes a document with its chunks, index entries and vectors, in one transaction.
    pub async fn delete_document(&self, org: OrgId, id: DocumentId) -> StoreResult<()> {
        let (org_s, id_s) = (org.to_string(), id.to_string());
        let (removed, epochs) = in_tx!(self, tx => {
            let found: Option<(String,)> = sqlx::query_as("SELECT id FROM documents WHERE org_id = $1 AND id = $2")
                .bind(&org_s).bind(&id_s).fetch_optional(&mut *tx).await?;
            if found.is_none() {
                return Err(StoreError::NotFound);
            }
            let removed = tx.delete_document(&id_s).await?;
            (removed, tx.chunks_changed(&org_s, true).await?)
        });
        self.apply_chunk_change(org, epochs, &removed, &[], Vec::new());
        Ok(())
    }

    /// Brings this process's in-memory copies up to date with its own committed
    /// change: applied in place when nothing else changed in between, else dropped.
    fn apply_chunk_change(
        &self,
        org: OrgId,
        epochs: ChangeEpochs,
        removed: &[(i64, String)],
        new_terms: &[(String, u32)],
        inserted: Vec<ChunkTerms>,
    ) {
        self.lexical_applied(org, epochs.lexical, LexicalChange { removed, new_terms, inserted });
        if !removed.is_empty() {
            let ids: Vec<i64> = removed.iter().map(|(id, _)| *id).collect();
            match epochs.vectors {
                Some(epoch) => self.vectors_removed(org, epoch, &ids),
                None => self.vectors_changed(org),
            }
        }
    }

    /// Chunks by id, inside one organisation, in the order asked.
    pub async fn chunks(&self, org: OrgId, ids: &[ChunkId]) -> StoreResult<Vec<ChunkRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let raw: Vec<i64> = ids.iter().map(|c| c.0).collect();
        let rows: Vec<ChunkRow> = match &self.pool {
            Pool::Sqlite(pool) => {
                // The `+` keeps SQLite from walking the organisation's whole
                // `chunks_collection` index and testing each entry against the
                // list (most of a search's time at 100k chunks: lexical p95
                // 27 ms before, 0.8 ms after): each id is looked up by key instead.
                // The rows come back as one JSON array: the driver's cost per row
                // (about 15 µs) was most of fetching a search's 100 chunks.
                let sql = format!(
                    "SELECT json_group_array(json_array({CHUNK_COLUMNS}))
                     FROM chunks c JOIN documents d ON d.id = c.document_id
                     WHERE c.id IN (SELECT value FROM json_each($2)) AND +c.org_id = $1"
                );
                let (rows,): (String,) = sqlx::query_as(&sql)
                    .bind(org.to_string())
                    .bind(serde_json::to_string(&raw).unwrap_or_default())
                    .fetch_one(pool)
                    .await?;
                serde_json::from_str(&rows).map_err(|e| StoreError::Corrupt(format!("chunk rows: {e}")))?
            }
            Pool::Postgres(pool) => {
                let sql = format!(
                    "SELECT {CHUNK_COLUMNS} FROM chunks c JOIN documents d ON d.id = c.document_id
                     WHERE c.org_id = $1 AND c.id = ANY($2)"
                );
                sqlx::query_as(&sql).bind(org.to_string()).bind(&raw).fetch_all(pool).await?
            }
        };
        let mut by_id: HashMap<i64, ChunkRecord> =
            rows.into_iter().map(|r| r.into_record().map(|c| (c.id.0, c))).collect::<StoreResult<_>>()?;
        Ok(raw.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// A document's chunks in order.
    pub async fn document_chunks(&self, org: OrgId, document: DocumentId) -> StoreResult<Vec<ChunkRecord>> {
        let sql = format!(
            "SELECT {CHUNK_COLUMNS} FROM chunks c JOIN documents d ON d.id = c.document_id
             WHERE c.org_id = $1 AND c.document_id = $2 ORDER BY c.position"
        );
        let rows: Vec<ChunkRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(document.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(ChunkRow::into_record).collect()
    }

    /// How many chunks an organisation has (optionally in one collection).
    pub async fn count_chunks(&self, org: OrgId, collection: Option<CollectionId>) -> StoreResult<i64> {
        let sql = "SELECT COUNT(*) FROM chunks WHERE org_id = $1 AND ($2 IS NULL OR collection_id = $2)";
        let (n,): (i64,) = on_pool!(self, pool => sqlx::query_as(sql)
            .bind(org.to_string()).bind(collection.map(|c| c.to_string())).fetch_one(pool).await?);
        Ok(n)
    }
}

/// Records that an organisation's chunks changed (same SQL on both backends); returns the new epoch.
const BUMP_LEXICAL_EPOCH: &str = "INSERT INTO lexical_epochs (org_id, epoch) VALUES ($1, 1)
     ON CONFLICT (org_id) DO UPDATE SET epoch = lexical_epochs.epoch + 1 RETURNING epoch";

/// The stored terms of a document's chunks, read before they are deleted, so
/// this process can take them out of its copy (same SQL on both backends).
const DOCUMENT_POSTINGS: &str =
    "SELECT chunk_id, terms FROM chunk_postings WHERE chunk_id IN (SELECT id FROM chunks WHERE document_id = $1)";

/// The statements of a knowledge-base write whose SQL differs between the
/// backends, run on the connection of an open write transaction. Each backend
/// implements it once (`knowledge/sqlite.rs`, `knowledge/postgres.rs`); the
/// write itself is written once in [`in_tx!`], and the compiler picks the
/// implementation from the transaction's type.
pub(crate) trait KnowledgeWrites {
    /// Inserts a document's chunks and their postings, numbering new terms.
    async fn insert_chunks(
        &mut self,
        org: &str,
        collection: &str,
        document: &str,
        chunks: &[NewChunk],
        distinct: &[&str],
        known: Option<KnownTerms>,
    ) -> Result<ChunksWritten, sqlx::Error>;

    /// Deletes a document with its chunks (postings and vectors cascade);
    /// returns the removed chunks with their stored terms.
    async fn delete_document(&mut self, document: &str) -> Result<Vec<(i64, String)>, sqlx::Error>;

    /// Records that an organisation's chunks changed, and its vectors too when
    /// chunks were `removed`; returns the new epochs.
    async fn chunks_changed(&mut self, org: &str, removed: bool) -> Result<ChangeEpochs, sqlx::Error>;

    /// Records that an organisation's vectors changed; returns the new vector
    /// epoch where this process keeps a copy of the vectors (SQLite).
    async fn vectors_changed(&mut self, org: &str) -> Result<Option<i64>, sqlx::Error>;
}
