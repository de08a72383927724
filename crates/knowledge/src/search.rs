//! Search: lexical (BM25), dense (nearest vectors) or hybrid (both, fused),
//! always inside one organisation and optionally narrowed to collections,
//! domains and documents.

use crate::{KnowledgeBase, KnowledgeError, KnowledgeResult};
use serde::{Deserialize, Serialize};
use std::{collections::HashSet, time::Instant};
use wayfinder_accounts_rules::OrgId;
use wayfinder_embeddings::EmbedPurpose;
use wayfinder_knowledge_rules::{ChunkId, CollectionId, DocumentId, fuse, lexical_terms};
use wayfinder_store::{ChunkFilter, ChunkRecord, LexicalHits};

/// The longest search query, in characters.
pub const MAX_QUERY_CHARS: usize = 2000;

/// How to rank.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SearchMode {
    /// Lexical and dense rankings fused.
    #[default]
    Hybrid,
    /// BM25 only.
    Lexical,
    /// Nearest vectors only.
    Dense,
}

/// A search.
#[derive(Clone, Debug)]
pub struct SearchRequest {
    pub query: String,
    pub collections: Option<Vec<CollectionId>>,
    pub domains: Option<Vec<String>>,
    pub documents: Option<Vec<DocumentId>>,
    pub k: usize,
    pub mode: SearchMode,
}

/// One result.
#[derive(Clone, Debug)]
pub struct SearchHit {
    pub chunk: ChunkRecord,
    pub score: f32,
    /// 1-based rank in the lexical list, if it was there.
    pub lexical_rank: Option<usize>,
    /// 1-based rank in the dense list, if it was there.
    pub dense_rank: Option<usize>,
    /// BM25 score in the lexical list, if it was there (comparable within one search only).
    pub lexical_score: Option<f32>,
    /// Cosine similarity of the query and the chunk, if it was in the dense list: an absolute
    /// measure for one embedding model, comparable across searches.
    pub dense_score: Option<f32>,
}

/// Where the time went, in milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SearchTimings {
    pub lexical_ms: f64,
    pub embed_ms: f64,
    pub dense_ms: f64,
    pub total_ms: f64,
}

/// The outcome of a search.
#[derive(Clone, Debug)]
pub struct SearchResults {
    /// The mode actually used (hybrid falls back to lexical without a model).
    pub mode: SearchMode,
    pub hits: Vec<SearchHit>,
    /// Said when the results are less than asked for, e.g. lexical-only.
    pub notice: Option<String>,
    pub timings: SearchTimings,
}

/// Candidates taken from each list before fusing.
fn depth(k: usize) -> usize {
    (k * 5).clamp(50, 500)
}

fn elapsed_ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

impl KnowledgeBase {
    /// Runs a search for `org`.
    pub async fn search(&self, org: OrgId, request: &SearchRequest) -> KnowledgeResult<SearchResults> {
        let started = Instant::now();
        let query = request.query.trim();
        if query.is_empty() || query.chars().count() > MAX_QUERY_CHARS {
            let message = format!("must be 1 to {MAX_QUERY_CHARS} characters");
            return Err(KnowledgeError::Invalid { field: "query", message });
        }
        if !(1..=100).contains(&request.k) {
            return Err(KnowledgeError::Invalid { field: "k", message: "must be between 1 and 100".into() });
        }
        let filter = self.resolve_filter(org, request).await?;
        let embedder = self.embedder_for(org).await?;
        let (mode, notice) = match (request.mode, &embedder) {
            (SearchMode::Dense, None) => return Err(KnowledgeError::DenseUnavailable),
            (SearchMode::Hybrid, None) => (
                SearchMode::Lexical,
                Some("no embedding model is configured: results are lexical (BM25) only".to_string()),
            ),
            (mode, _) => (mode, None),
        };
        let mut timings = SearchTimings::default();
        let depth = if mode == SearchMode::Hybrid { depth(request.k) } else { request.k };

        // The two rankings run side by side: SQLite's lexical query on its own
        // connection thread while the vector scan runs here.
        let lexical_side = async {
            if mode == SearchMode::Dense {
                return Ok((LexicalHits { hits: Vec::new(), seen: None }, 0.0));
            }
            let t = Instant::now();
            let terms = lexical_terms(query);
            let found = self.store.lexical_search(org, &terms, &filter, depth).await?;
            KnowledgeResult::Ok((found, elapsed_ms(t)))
        };
        let dense_side = async {
            let (Some(embedder), SearchMode::Dense | SearchMode::Hybrid) = (&embedder, mode) else {
                return Ok((Vec::new(), 0.0, 0.0));
            };
            let t = Instant::now();
            let vectors = embedder
                .embed(&[query.to_string()], EmbedPurpose::Query)
                .await
                .map_err(|e| KnowledgeError::Embedding(e.to_string()))?;
            let embed_ms = elapsed_ms(t);
            let t = Instant::now();
            let vector = vectors.into_iter().next().unwrap_or_default();
            let found = self.store.dense_search(org, embedder.model_id(), &vector, &filter, depth).await?;
            KnowledgeResult::Ok((found, embed_ms, elapsed_ms(t)))
        };
        let (lexical_side, dense_side) = tokio::join!(lexical_side, dense_side);
        let (LexicalHits { hits: lexical, seen }, lexical_ms) = lexical_side?;
        let (dense, embed_ms, dense_ms) = dense_side?;
        timings.lexical_ms = lexical_ms;
        timings.embed_ms = embed_ms;
        timings.dense_ms = dense_ms;
        let ranked: Vec<(ChunkId, f32)> = match mode {
            SearchMode::Lexical => lexical.iter().take(request.k).copied().collect(),
            SearchMode::Dense => dense.iter().take(request.k).copied().collect(),
            SearchMode::Hybrid => fuse(&lexical, &dense, self.fusion, request.k),
        };
        let ids: Vec<ChunkId> = ranked.iter().map(|(id, _)| *id).collect();
        let records = match seen {
            Some(seen) => self.store.chunks_seen_at(org, seen, &ids).await?,
            None => self.store.chunks(org, &ids).await?,
        };
        let found_in =
            |list: &[(ChunkId, f32)], id: ChunkId| list.iter().position(|(c, _)| *c == id).map(|p| (p + 1, list[p].1));
        let hits = records
            .into_iter()
            .zip(ranked.iter())
            .map(|(chunk, (id, score))| {
                let (lexical, dense) = (found_in(&lexical, *id), found_in(&dense, *id));
                SearchHit {
                    lexical_rank: lexical.map(|(rank, _)| rank),
                    dense_rank: dense.map(|(rank, _)| rank),
                    lexical_score: lexical.map(|(_, score)| score),
                    dense_score: dense.map(|(_, score)| score),
                    score: *score,
                    chunk,
                }
            })
            .collect();
        timings.total_ms = elapsed_ms(started);
        Ok(SearchResults { mode, hits, notice, timings })
    }

    /// Checks the requested scope belongs to the organisation and turns domain
    /// tags into the documents that carry them.
    async fn resolve_filter(&self, org: OrgId, request: &SearchRequest) -> KnowledgeResult<ChunkFilter> {
        if let Some(collections) = &request.collections {
            let known: HashSet<CollectionId> =
                self.store.list_collections(org).await?.into_iter().map(|c| c.id).collect();
            if collections.iter().any(|c| !known.contains(c)) {
                return Err(KnowledgeError::NotFound("collection"));
            }
        }
        let mut documents: Option<Vec<DocumentId>> = None;
        if request.documents.is_some() || request.domains.is_some() {
            let all = self.store.list_documents(org, None).await?;
            let in_scope =
                |d: &&wayfinder_store::Document| request.collections.as_ref().is_none_or(|c| c.contains(&d.collection));
            if let Some(wanted) = &request.documents {
                let known: HashSet<DocumentId> = all.iter().map(|d| d.id).collect();
                if wanted.iter().any(|d| !known.contains(d)) {
                    return Err(KnowledgeError::NotFound("document"));
                }
            }
            let domains = request.domains.as_ref().map(|d| crate::normalise_domains(d)).transpose()?;
            documents = Some(
                all.iter()
                    .filter(in_scope)
                    .filter(|d| request.documents.as_ref().is_none_or(|w| w.contains(&d.id)))
                    .filter(|d| domains.as_ref().is_none_or(|want| d.domains.iter().any(|t| want.contains(t))))
                    .map(|d| d.id)
                    .collect(),
            );
        }
        Ok(ChunkFilter { collections: request.collections.clone(), documents })
    }
}
