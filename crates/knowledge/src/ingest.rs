//! Ingestion: uploads become a durable job; the job extracts, chunks and
//! indexes each file (one transaction per file, recorded on the job), then
//! embeds the chunks that have no vector yet, batch by batch.

use crate::{KnowledgeBase, KnowledgeError, KnowledgeResult};
use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicI64, Ordering},
};
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_embeddings::{EmbedPurpose, Embedder};
use wayfinder_knowledge_rules::{
    ChunkingConfig, CollectionId, ExtractError, ExtractFailure, chunk_document, content_hash, extract, lexical_terms,
    section_label,
};
use wayfinder_store::{Collection, Job, JobFile, JobKind, JobPhase, NewChunk, NewDocument, NewJobFile};

/// Limits on what an upload may contain.
#[derive(Clone, Debug)]
pub struct IngestLimits {
    /// Largest single file, in bytes.
    pub max_file_bytes: usize,
    /// Most files in one upload.
    pub max_files: usize,
    /// Chunks embedded per provider call.
    pub embed_batch: usize,
}

impl Default for IngestLimits {
    fn default() -> Self {
        Self { max_file_bytes: 25 * 1024 * 1024, max_files: 100, embed_batch: 64 }
    }
}

/// A file to ingest.
#[derive(Clone, Debug)]
pub struct UploadFile {
    pub filename: String,
    pub domains: Vec<String>,
    pub content: Vec<u8>,
}

/// Progress a running job reports through its lease heartbeat. While files are ingested the
/// store counts them with each file's outcome, so only embedding progress is kept here.
#[derive(Default)]
pub(crate) struct Progress {
    pub done: AtomicI64,
    pub total: AtomicI64,
    pub embedding: AtomicBool,
    pub lost: AtomicBool,
}

impl Progress {
    /// The phase, and the progress the heartbeat should store (`None` while ingesting).
    pub(crate) fn report(&self) -> (JobPhase, Option<(i64, i64)>) {
        if self.embedding.load(Ordering::Relaxed) {
            (JobPhase::Embedding, Some((self.done.load(Ordering::Relaxed), self.total.load(Ordering::Relaxed))))
        } else {
            (JobPhase::Ingesting, None)
        }
    }
}

impl KnowledgeBase {
    /// Queues an ingestion job for `files` into a collection. Files over the
    /// size limit are recorded as failed right away (their bytes are not kept).
    pub async fn queue_ingest(
        &self,
        org: OrgId,
        collection: CollectionId,
        by: Option<PersonId>,
        files: Vec<UploadFile>,
    ) -> KnowledgeResult<Job> {
        self.store.collection(org, collection).await.map_err(|_| KnowledgeError::NotFound("collection"))?;
        if files.is_empty() {
            return Err(KnowledgeError::Invalid { field: "files", message: "upload at least one file".into() });
        }
        if files.len() > self.limits.max_files {
            return Err(KnowledgeError::Invalid {
                field: "files",
                message: format!("at most {} files per upload", self.limits.max_files),
            });
        }
        let mut oversized = Vec::new();
        let mut new_files = Vec::with_capacity(files.len());
        for (i, file) in files.into_iter().enumerate() {
            let domains = crate::normalise_domains(&file.domains)?;
            if file.content.len() > self.limits.max_file_bytes {
                oversized.push(i);
                new_files.push(NewJobFile { filename: file.filename, domains, content: Vec::new() });
            } else {
                new_files.push(NewJobFile { filename: file.filename, domains, content: file.content });
            }
        }
        let job = self.store.create_job(org, JobKind::Ingest, collection, by, &new_files).await?;
        if !oversized.is_empty() {
            let files = self.store.job_files(job.id).await?;
            for i in oversized {
                let message = format!("the file is larger than the {} byte limit", self.limits.max_file_bytes);
                self.store.fail_job_file(files[i].id, ExtractFailure::FileTooLarge, &message).await?;
            }
        }
        self.wake.notify_one();
        Ok(job)
    }

    /// Runs a claimed job to its end (or until its lease is lost).
    pub(crate) async fn run_job(&self, job: &Job, progress: &Progress) -> KnowledgeResult<()> {
        let collection = self.store.collection(job.org, job.collection).await?;
        if job.kind == JobKind::Ingest {
            self.ingest_files(job, &collection, progress).await?;
        }
        if progress.lost.load(Ordering::Relaxed) {
            return Ok(());
        }
        self.embed_missing(job.org, &collection, progress).await
    }

    /// Ingests the job's pending files in order; the store counts each outcome as progress.
    /// While one file's chunks are written, the next file is already being extracted and
    /// chunked, so the database and the CPU work side by side.
    async fn ingest_files(&self, job: &Job, collection: &Collection, progress: &Progress) -> KnowledgeResult<()> {
        let mut next = self.start_next_file(job, collection, None).await?;
        while let Some((file, extraction)) = next.take() {
            if progress.lost.load(Ordering::Relaxed) {
                return Ok(());
            }
            let prepared =
                extraction.await.map_err(|e| KnowledgeError::Embedding(format!("ingestion task failed: {e}")))?;
            next = self.start_next_file(job, collection, Some(file.position)).await?;
            match prepared {
                Ok(prepared) => {
                    let new = NewDocument {
                        org: job.org,
                        collection: collection.id,
                        title: prepared.title,
                        source_name: file.filename.clone(),
                        content_type: prepared.content_type,
                        content_hash: prepared.hash,
                        size_bytes: file.size_bytes,
                        pages: prepared.pages,
                        domains: file.domains.clone(),
                        uploaded_by: job.created_by,
                    };
                    self.store.put_document_for_job(&new, &prepared.chunks, Some(file.id)).await?;
                }
                Err(e) => {
                    let message = e.to_string();
                    self.store.fail_job_file(file.id, e.code(), &message).await?;
                }
            }
        }
        Ok(())
    }

    /// Reads the job's next pending file after `after` (a position) and starts extracting and
    /// chunking it on a blocking thread (CPU work, kept off the async workers). The permit goes
    /// with the task, so an extraction that outlives its job (at shutdown) still counts.
    async fn start_next_file(
        &self,
        job: &Job,
        collection: &Collection,
        after: Option<i64>,
    ) -> KnowledgeResult<Option<(JobFile, tokio::task::JoinHandle<Result<Prepared, ExtractError>>)>> {
        let Some((file, content)) = self.store.next_pending_file(job.id, after).await? else { return Ok(None) };
        let config = ChunkingConfig {
            target_tokens: collection.chunk_tokens as usize,
            overlap_tokens: collection.chunk_overlap as usize,
        };
        let counter = self.counter.clone();
        let max = self.limits.max_file_bytes;
        let name = file.filename.clone();
        let permit = self
            .extractions
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| KnowledgeError::Embedding(format!("ingestion task failed: {e}")))?;
        let extraction = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            prepare(&name, &content, max, &config, counter.as_ref())
        });
        Ok(Some((file, extraction)))
    }

    /// Embeds every chunk of the collection that has no vector yet.
    pub(crate) async fn embed_missing(
        &self,
        org: OrgId,
        collection: &Collection,
        progress: &Progress,
    ) -> KnowledgeResult<()> {
        let Some(embedder) = self.embedder_for_collection(org, collection).await? else { return Ok(()) };
        if collection.embedding_model.as_deref() != Some(embedder.model_id()) {
            return Ok(());
        }
        progress.embedding.store(true, Ordering::Relaxed);
        progress.done.store(0, Ordering::Relaxed);
        let missing = self.store.count_chunks_without_vectors(org, collection.id).await?;
        progress.total.store(missing, Ordering::Relaxed);
        let mut load = None;
        let loaded = self.embed_batches(org, collection, embedder.as_ref(), progress, missing, &mut load).await;
        let Some(dims) = load else { return loaded };
        // Also after a failed load: the organisation's search index must not stay missing.
        let indexed = self.store.finish_vector_load(org, dims).await;
        loaded?;
        Ok(indexed?)
    }

    /// Embeds and stores batch after batch. The load begins with the first batch's
    /// vectors, whose length is the dimension (a remote model's is unknown before its
    /// first answer); `load` then holds it, for the caller to finish the load.
    async fn embed_batches(
        &self,
        org: OrgId,
        collection: &Collection,
        embedder: &dyn Embedder,
        progress: &Progress,
        missing: i64,
        load: &mut Option<usize>,
    ) -> KnowledgeResult<()> {
        let mut after = None;
        loop {
            if progress.lost.load(Ordering::Relaxed) {
                return Ok(());
            }
            let page =
                self.store.chunks_without_vectors(org, collection.id, after, self.limits.embed_batch as i64).await?;
            let Some((last, batch)) = page else { return Ok(()) };
            after = Some(last);
            if batch.is_empty() {
                continue;
            }
            let texts: Vec<String> =
                batch.iter().map(|(_, text, section, title)| embedding_text(title, section, text)).collect();
            let vectors = embedder
                .embed(&texts, EmbedPurpose::Document)
                .await
                .map_err(|e| KnowledgeError::Embedding(e.to_string()))?;
            if let (None, Some(first)) = (*load, vectors.first()) {
                self.store.begin_vector_load(org, first.len(), missing).await?;
                *load = Some(first.len());
            }
            let pairs: Vec<_> = batch.iter().map(|(id, ..)| *id).zip(vectors).collect();
            self.store.put_vectors(org, collection.id, embedder.model_id(), &pairs).await?;
            progress.done.fetch_add(pairs.len() as i64, Ordering::Relaxed);
        }
    }
}

/// What a chunk's vector is computed from: where it sits, then what it says.
fn embedding_text(title: &str, section: &[String], text: &str) -> String {
    if section.is_empty() {
        format!("{title}\n{text}")
    } else {
        format!("{title} — {}\n{text}", section_label(section))
    }
}

/// A document ready to store.
struct Prepared {
    title: String,
    content_type: String,
    hash: String,
    pages: Option<i64>,
    chunks: Vec<NewChunk>,
}

fn prepare(
    filename: &str,
    bytes: &[u8],
    max_bytes: usize,
    config: &ChunkingConfig,
    counter: &dyn wayfinder_knowledge_rules::TokenCounter,
) -> Result<Prepared, ExtractError> {
    let document = extract(filename, bytes, max_bytes)?;
    let chunks = chunk_document(&document, config, counter);
    if chunks.is_empty() {
        return Err(ExtractError::Empty);
    }
    let chunks = chunks
        .into_iter()
        .map(|c| {
            // The title and section path are searchable words of every chunk.
            let indexed = format!("{} {} {}", document.title, c.section_path.join(" "), c.text);
            NewChunk {
                position: c.position as i64,
                terms: lexical_terms(&indexed),
                text: c.text,
                section_path: c.section_path,
                page_start: c.page_start.map(i64::from),
                page_end: c.page_end.map(i64::from),
                token_count: c.token_count as i64,
            }
        })
        .collect();
    Ok(Prepared {
        title: document.title,
        content_type: document.content_type.as_str().to_string(),
        hash: content_hash(bytes),
        pages: document.pages.map(i64::from),
        chunks,
    })
}

/// Shared flag bundle handed to a running job.
pub(crate) fn new_progress() -> Arc<Progress> {
    Arc::new(Progress::default())
}
