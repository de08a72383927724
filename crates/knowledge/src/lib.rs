//! The knowledge base as a running service. It turns uploads into durable
//! ingestion jobs (extract → chunk → index → embed), runs those jobs beside
//! the server with leases so a crash resumes them, and answers searches by
//! fusing the lexical and dense rankings. The rules it applies live in
//! `wayfinder-knowledge-rules`, the data in `wayfinder-store`, the models behind
//! `wayfinder-embeddings`.

mod ingest;
mod search;
mod worker;

pub use ingest::{IngestLimits, UploadFile};
pub use search::{MAX_QUERY_CHARS, SearchHit, SearchMode, SearchRequest, SearchResults, SearchTimings};
pub use worker::JobWorker;

use std::sync::Arc;
use tokio::sync::{Notify, Semaphore};
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_embeddings::Embedder;
use wayfinder_knowledge_rules::{CollectionId, Fusion, TokenCounter, WordPieceEstimate};
use wayfinder_store::{Collection, NewCollection, Store, StoreError};

/// What can go wrong in knowledge-base operations.
#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    /// A referenced collection, document or job does not exist in the organisation.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// An input broke a rule; names the field.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// Dense search was asked for but no embedding model is configured.
    #[error("no embedding model is configured, so only lexical search is available")]
    DenseUnavailable,
    /// The embedding provider failed.
    #[error("embedding failed: {0}")]
    Embedding(String),
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for KnowledgeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => KnowledgeError::NotFound("record"),
            StoreError::Duplicate(field) => KnowledgeError::Invalid {
                field: if field == "name" { "name" } else { field },
                message: "already exists".into(),
            },
            other => KnowledgeError::Store(other),
        }
    }
}

/// Result alias.
pub type KnowledgeResult<T> = Result<T, KnowledgeError>;

/// A collection to create (chunking defaults apply when `None`).
#[derive(Clone, Debug, Default)]
pub struct CollectionSpec {
    pub name: String,
    pub description: String,
    pub domains: Vec<String>,
    pub chunk_tokens: Option<i64>,
    pub chunk_overlap: Option<i64>,
    /// Open to the anonymous visitors of the organisation's website widgets (default: no).
    pub public: bool,
}

/// The knowledge-base service; cheap to clone.
#[derive(Clone)]
pub struct KnowledgeBase {
    pub(crate) store: Store,
    pub(crate) embedder: Option<Arc<dyn Embedder>>,
    /// Organisations' own embedding endpoints, used before `embedder`.
    pub(crate) org_endpoints: Option<wayfinder_providers::Providers>,
    pub(crate) counter: Arc<dyn TokenCounter>,
    pub(crate) limits: IngestLimits,
    pub(crate) fusion: Fusion,
    pub(crate) wake: Arc<Notify>,
    /// Permits for files being extracted, shared by every clone and so every job worker.
    pub(crate) extractions: Arc<Semaphore>,
}

impl KnowledgeBase {
    /// A service over `store`. Without an embedder, search is lexical only.
    /// `counter` measures chunk sizes (the embedding model's tokenizer when there is one).
    pub fn new(
        store: Store,
        embedder: Option<Arc<dyn Embedder>>,
        counter: Option<Arc<dyn TokenCounter>>,
        limits: IngestLimits,
    ) -> Self {
        Self {
            store,
            embedder,
            org_endpoints: None,
            counter: counter.unwrap_or_else(|| Arc::new(WordPieceEstimate)),
            limits,
            fusion: Fusion::default(),
            wake: Arc::new(Notify::new()),
            extractions: Arc::new(Semaphore::new(default_concurrent_extractions())),
        }
    }

    /// Extracts at most `files` files at once across all job workers of this service (at least 1).
    /// Reading a PDF holds its whole object graph, about 11 times the file's size (300 MB for a
    /// 26 MB file of 150,000 short pages), so this bounds the memory ingestion can take.
    pub fn with_concurrent_extractions(mut self, files: usize) -> Self {
        self.extractions = Arc::new(Semaphore::new(files.max(1)));
        self
    }

    /// Embeds an organisation's collections and searches with its own endpoint when it has one.
    pub fn with_org_endpoints(mut self, providers: wayfinder_providers::Providers) -> Self {
        self.org_endpoints = Some(providers);
        self
    }

    /// Organisations' own endpoints, when this knowledge base uses them.
    pub fn org_endpoints(&self) -> Option<&wayfinder_providers::Providers> {
        self.org_endpoints.as_ref()
    }

    /// The embedder a collection's vectors are made with: the organisation's as read now. A
    /// collection expecting another model than this instance last read (another instance changed
    /// the endpoint a moment ago) reads the endpoint again.
    pub(crate) async fn embedder_for_collection(
        &self,
        org: OrgId,
        collection: &Collection,
    ) -> KnowledgeResult<Option<Arc<dyn Embedder>>> {
        let embedder = self.embedder_for(org).await?;
        let expected = collection.embedding_model.as_deref();
        match (&self.org_endpoints, &embedder) {
            (Some(providers), found) if found.as_ref().map(|e| e.model_id()) != expected => {
                providers.forget(org, wayfinder_providers::ModelEndpointKind::Embedding);
                self.embedder_for(org).await
            }
            _ => Ok(embedder),
        }
    }

    /// The embedder for `org`: its own endpoint's, else the instance's (`None`: lexical only).
    pub async fn embedder_for(&self, org: OrgId) -> KnowledgeResult<Option<Arc<dyn Embedder>>> {
        if let Some(providers) = &self.org_endpoints
            && let Some(own) = providers.embedder(org).await.map_err(|e| KnowledgeError::Embedding(e.to_string()))?
        {
            return Ok(Some(own));
        }
        Ok(self.embedder.clone())
    }

    /// Uses `fusion` to combine lexical and dense rankings.
    pub fn with_fusion(mut self, fusion: Fusion) -> Self {
        self.fusion = fusion;
        self
    }

    /// The store underneath.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The model id new vectors are made with, if any.
    pub fn embedding_model(&self) -> Option<&str> {
        self.embedder.as_ref().map(|e| e.model_id())
    }

    /// Makes the embedding model ready (a local model loads on first use) by embedding a word;
    /// returns how long that took in milliseconds, or `None` without a model.
    pub async fn warm_up(&self) -> KnowledgeResult<Option<f64>> {
        let Some(embedder) = &self.embedder else { return Ok(None) };
        let started = std::time::Instant::now();
        embedder
            .embed(&["warm up".to_string()], wayfinder_embeddings::EmbedPurpose::Query)
            .await
            .map_err(|e| KnowledgeError::Embedding(e.to_string()))?;
        Ok(Some(started.elapsed().as_secs_f64() * 1000.0))
    }

    /// How alike two texts are in meaning: the cosine of their embeddings (-1 to 1), or `None`
    /// without an embedding model.
    pub async fn similarity(&self, a: &str, b: &str) -> KnowledgeResult<Option<f64>> {
        let Some(vectors) = self.embed_queries(&[a.to_string(), b.to_string()]).await? else { return Ok(None) };
        let [x, y] = vectors.as_slice() else {
            return Err(KnowledgeError::Embedding("the model did not embed both texts".into()));
        };
        // Unit-length vectors: the dot product is the cosine.
        Ok(Some(x.iter().zip(y).map(|(p, q)| f64::from(*p) * f64::from(*q)).sum()))
    }

    /// The embeddings of short texts as queries (unit length), or `None` without an embedding model.
    pub async fn embed_queries(&self, texts: &[String]) -> KnowledgeResult<Option<Vec<Vec<f32>>>> {
        let Some(embedder) = &self.embedder else { return Ok(None) };
        let vectors = embedder
            .embed(texts, wayfinder_embeddings::EmbedPurpose::Query)
            .await
            .map_err(|e| KnowledgeError::Embedding(e.to_string()))?;
        Ok(Some(vectors))
    }

    /// The ingestion limits in force.
    pub fn limits(&self) -> &IngestLimits {
        &self.limits
    }

    /// Creates a collection, embedding with the configured model (if any).
    pub async fn create_collection(&self, org: OrgId, spec: CollectionSpec) -> KnowledgeResult<Collection> {
        let valid = spec.validated()?;
        let new = NewCollection {
            org,
            name: valid.name,
            description: valid.description,
            domains: valid.domains,
            chunk_tokens: valid.chunk_tokens,
            chunk_overlap: valid.chunk_overlap,
            embedding_model: self.embedder_for(org).await?.map(|e| e.model_id().to_string()),
            public: valid.public,
        };
        Ok(self.store.create_collection(&new).await?)
    }

    /// Queues re-embedding for every collection whose vectors were made with
    /// another model than the organisation's (run at start-up, and when an organisation's own
    /// embedding endpoint changes).
    pub async fn reconcile_embedding_models(&self, orgs: &[OrgId]) -> KnowledgeResult<usize> {
        let mut queued = 0;
        for org in orgs {
            let Some(model) = self.embedder_for(*org).await?.map(|e| e.model_id().to_string()) else { continue };
            for mut collection in self.store.list_collections(*org).await? {
                if collection.embedding_model.as_deref() != Some(model.as_str()) {
                    self.store.delete_collection_vectors(*org, collection.id).await?;
                    collection.embedding_model = Some(model.clone());
                    self.store.update_collection(&collection).await?;
                    self.queue_embedding(*org, collection.id, None).await?;
                    queued += 1;
                }
            }
        }
        Ok(queued)
    }

    /// Queues a job that embeds a collection's chunks that have no vector.
    pub async fn queue_embedding(
        &self,
        org: OrgId,
        collection: CollectionId,
        by: Option<PersonId>,
    ) -> KnowledgeResult<wayfinder_store::Job> {
        let job = self.store.create_job(org, wayfinder_store::JobKind::Embed, collection, by, &[]).await?;
        self.wake.notify_one();
        Ok(job)
    }
}

/// Half the cores, 1 to 4: extraction is CPU work, and the other half serves requests.
fn default_concurrent_extractions() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    (cores / 2).clamp(1, 4)
}

/// A collection's settings after the rules have been applied.
struct ValidSpec {
    name: String,
    description: String,
    domains: Vec<String>,
    chunk_tokens: i64,
    chunk_overlap: i64,
    public: bool,
}

impl CollectionSpec {
    /// Applies the collection rules (one place for creating and updating).
    fn validated(self) -> KnowledgeResult<ValidSpec> {
        let (chunk_tokens, chunk_overlap) = chunking(self.chunk_tokens, self.chunk_overlap)?;
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(KnowledgeError::Invalid { field: "name", message: "must be 1 to 100 characters".into() });
        }
        Ok(ValidSpec {
            name,
            description: self.description.trim().to_string(),
            domains: normalise_domains(&self.domains)?,
            chunk_tokens,
            chunk_overlap,
            public: self.public,
        })
    }
}

/// Checks chunking settings: 50–2,000 tokens, overlap under half the size.
fn chunking(tokens: Option<i64>, overlap: Option<i64>) -> KnowledgeResult<(i64, i64)> {
    let tokens = tokens.unwrap_or(400);
    if !(50..=2000).contains(&tokens) {
        return Err(KnowledgeError::Invalid { field: "chunk_tokens", message: "must be between 50 and 2000".into() });
    }
    let overlap = overlap.unwrap_or(tokens * 15 / 100);
    if overlap < 0 || overlap * 2 >= tokens {
        return Err(KnowledgeError::Invalid {
            field: "chunk_overlap",
            message: "must be at least 0 and under half of chunk_tokens".into(),
        });
    }
    Ok((tokens, overlap))
}

/// Domain tags: lower-case words with hyphens, at most 50 of at most 64 characters.
pub fn normalise_domains(domains: &[String]) -> KnowledgeResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for raw in domains {
        let tag = raw.trim().to_lowercase().replace(' ', "-");
        let ok = !tag.is_empty() && tag.len() <= 64 && tag.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(KnowledgeError::Invalid {
                field: "domains",
                message: format!("{raw:?} is not a valid domain tag"),
            });
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > 50 {
        return Err(KnowledgeError::Invalid { field: "domains", message: "at most 50 domains".into() });
    }
    Ok(out)
}

impl KnowledgeBase {
    /// Applies new settings to a collection (chunking applies to later ingestion).
    pub async fn update_collection(&self, current: &Collection, spec: CollectionSpec) -> KnowledgeResult<Collection> {
        let valid = spec.validated()?;
        let updated = Collection {
            name: valid.name,
            description: valid.description,
            domains: valid.domains,
            chunk_tokens: valid.chunk_tokens,
            chunk_overlap: valid.chunk_overlap,
            public: valid.public,
            ..current.clone()
        };
        Ok(self.store.update_collection(&updated).await?)
    }
}

impl KnowledgeBase {
    /// The same service with other ingestion limits (e.g. the CLI, which takes whole folders).
    pub fn with_limits(mut self, limits: IngestLimits) -> Self {
        self.limits = limits;
        self
    }
}
