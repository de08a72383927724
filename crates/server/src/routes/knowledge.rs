//! The knowledge base over HTTP: collections, document uploads (multipart,
//! several files at once, ingested by a background job), documents and their
//! chunks, jobs, and search.

use crate::error::ErrorCode;
use crate::{
    auth::{ClientIp, Principal},
    authz::OrgScope,
    error::{ApiError, ApiResult, ErrorBody},
    json::{JsonBody, PathIds},
    routes::audit,
    state::AppState,
};
use axum::{
    Json,
    extract::{Multipart, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, policy::OrgAction};
use wayfinder_knowledge::{CollectionSpec, KnowledgeError, SearchMode, SearchRequest, UploadFile};
use wayfinder_knowledge_rules::{ChunkId, CollectionId, DocumentId, ExtractFailure, JobId, section_label};
use wayfinder_store::{ChunkRecord, Collection, Document, Job, JobFile, JobFileState, JobKind, JobPhase, JobState};

impl From<KnowledgeError> for ApiError {
    fn from(e: KnowledgeError) -> Self {
        match e {
            KnowledgeError::NotFound(what) => ApiError::not_found(what),
            KnowledgeError::Invalid { field, message } => ApiError::invalid(field, message),
            KnowledgeError::DenseUnavailable => ApiError::new(ErrorCode::DenseUnavailable, e.to_string()),
            KnowledgeError::Embedding(detail) => {
                tracing::error!(error = %detail, "embedding provider failed");
                ApiError::new(ErrorCode::EmbeddingFailed, "the embedding model could not be reached; try again")
            }
            KnowledgeError::Store(inner) => inner.into(),
        }
    }
}

/// A collection as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct CollectionView {
    pub id: CollectionId,
    pub name: String,
    pub description: String,
    pub domains: Vec<String>,
    pub chunk_tokens: i64,
    pub chunk_overlap: i64,
    /// The model its vectors are made with; `null`: lexical search only.
    pub embedding_model: Option<String>,
    /// Open to anonymous visitors of the organisation's website widgets.
    pub public: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Collection> for CollectionView {
    fn from(c: Collection) -> Self {
        Self {
            id: c.id,
            name: c.name,
            description: c.description,
            domains: c.domains,
            chunk_tokens: c.chunk_tokens,
            chunk_overlap: c.chunk_overlap,
            embedding_model: c.embedding_model,
            public: c.public,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A new collection.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCollection {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The organisation's taxonomy for this collection, e.g. `["assessment", "collaborative-teams"]`.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Target chunk size in tokens (default 400).
    pub chunk_tokens: Option<i64>,
    /// Overlap between neighbouring chunks in tokens (default 15 % of the size).
    pub chunk_overlap: Option<i64>,
    /// Open to anonymous visitors of the organisation's website widgets (default false): their
    /// questions are answered from public collections only.
    #[serde(default)]
    pub public: bool,
}

/// Changes to a collection (chunking changes apply to documents ingested afterwards).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCollection {
    pub name: Option<String>,
    pub description: Option<String>,
    pub domains: Option<Vec<String>>,
    pub chunk_tokens: Option<i64>,
    pub chunk_overlap: Option<i64>,
    pub public: Option<bool>,
}

/// A document as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct DocumentView {
    pub id: DocumentId,
    pub collection_id: CollectionId,
    pub title: String,
    pub source_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub pages: Option<i64>,
    pub domains: Vec<String>,
    pub chunk_count: i64,
    pub uploaded_by: Option<wayfinder_accounts_rules::PersonId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Document> for DocumentView {
    fn from(d: Document) -> Self {
        Self {
            id: d.id,
            collection_id: d.collection,
            title: d.title,
            source_name: d.source_name,
            content_type: d.content_type,
            size_bytes: d.size_bytes,
            pages: d.pages,
            domains: d.domains,
            chunk_count: d.chunk_count,
            uploaded_by: d.uploaded_by,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

/// A chunk with what is needed to cite it.
#[derive(Serialize, ToSchema)]
pub struct ChunkView {
    pub id: ChunkId,
    pub document_id: DocumentId,
    pub collection_id: CollectionId,
    pub document_title: String,
    pub source_name: String,
    pub position: i64,
    pub text: String,
    pub section_path: Vec<String>,
    /// The section path as one label, e.g. `Chapter 3 › Note-taking`.
    pub section: String,
    pub page_start: Option<i64>,
    pub page_end: Option<i64>,
    pub token_count: i64,
    pub domains: Vec<String>,
}

impl From<ChunkRecord> for ChunkView {
    fn from(c: ChunkRecord) -> Self {
        Self {
            section: section_label(&c.section_path),
            id: c.id,
            document_id: c.document,
            collection_id: c.collection,
            document_title: c.document_title,
            source_name: c.source_name,
            position: c.position,
            text: c.text,
            section_path: c.section_path,
            page_start: c.page_start,
            page_end: c.page_end,
            token_count: c.token_count,
            domains: c.domains,
        }
    }
}

/// One file of an ingestion job.
#[derive(Serialize, ToSchema)]
pub struct JobFileView {
    pub filename: String,
    pub size_bytes: i64,
    pub state: JobFileState,
    /// Why a failed file could not be read.
    pub error_code: Option<ExtractFailure>,
    pub error_message: Option<String>,
    pub document_id: Option<String>,
    pub chunk_count: Option<i64>,
}

/// A background job and its progress.
#[derive(Serialize, ToSchema)]
pub struct JobView {
    pub id: JobId,
    pub kind: JobKind,
    pub state: JobState,
    pub phase: JobPhase,
    pub progress_done: i64,
    pub progress_total: i64,
    pub error: Option<String>,
    pub collection_id: CollectionId,
    pub files: Vec<JobFileView>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A job as read with its files in one snapshot ([`wayfinder_store::Store::job_with_files`]),
/// so its progress and its files' states agree.
fn job_view((job, files): (Job, Vec<JobFile>)) -> JobView {
    JobView {
        id: job.id,
        kind: job.kind,
        state: job.state,
        phase: job.phase,
        progress_done: job.progress_done,
        progress_total: job.progress_total,
        error: job.error,
        collection_id: job.collection,
        files: files
            .into_iter()
            .map(|f| JobFileView {
                filename: f.filename,
                size_bytes: f.size_bytes,
                state: f.state,
                error_code: f.error_code,
                error_message: f.error_message,
                document_id: f.document,
                chunk_count: f.chunk_count,
            })
            .collect(),
        created_at: job.created_at,
        started_at: job.started_at,
        finished_at: job.finished_at,
    }
}

/// The organisation's collections.
#[utoipa::path(get, path = "/orgs/{org_id}/collections", tag = "knowledge", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = [CollectionView]), (status = 404, body = ErrorBody)))]
pub async fn list_collections(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<CollectionView>>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::SearchKnowledge)?;
    Ok(Json(state.store.list_collections(org_id).await?.into_iter().map(Into::into).collect()))
}

/// Create a collection (admins).
#[utoipa::path(post, path = "/orgs/{org_id}/collections", tag = "knowledge", params(("org_id" = OrgId, Path)),
    request_body = CreateCollection,
    responses((status = 201, body = CollectionView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_collection(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(req): JsonBody<CreateCollection>,
) -> ApiResult<(StatusCode, Json<CollectionView>)> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManageKnowledge)?;
    let spec = CollectionSpec {
        name: req.name,
        description: req.description,
        domains: req.domains,
        chunk_tokens: req.chunk_tokens,
        chunk_overlap: req.chunk_overlap,
        public: req.public,
    };
    let collection = state.knowledge.create_collection(org_id, spec).await.map_err(duplicate_name)?;
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "collection.created",
        Some(collection.id.to_string()),
        serde_json::json!({ "name": collection.name }),
        &ip,
    )
    .await;
    Ok((StatusCode::CREATED, Json(collection.into())))
}

fn duplicate_name(e: KnowledgeError) -> ApiError {
    match e {
        KnowledgeError::Invalid { field: "name", message } if message == "already exists" => {
            ApiError::new(ErrorCode::AlreadyExists, "a collection with this name already exists").with_field("name")
        }
        other => other.into(),
    }
}

async fn load_collection(state: &AppState, org: OrgId, id: CollectionId) -> ApiResult<Collection> {
    state.store.collection(org, id).await.map_err(|_| ApiError::not_found("collection"))
}

async fn load_document(state: &AppState, org: OrgId, id: DocumentId) -> ApiResult<Document> {
    state.store.document(org, id).await.map_err(|_| ApiError::not_found("document"))
}

/// One collection.
#[utoipa::path(get, path = "/orgs/{org_id}/collections/{collection_id}", tag = "knowledge",
    params(("org_id" = OrgId, Path), ("collection_id" = CollectionId, Path)),
    responses((status = 200, body = CollectionView), (status = 404, body = ErrorBody)))]
pub async fn get_collection(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, CollectionId)>,
) -> ApiResult<Json<CollectionView>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::SearchKnowledge)?;
    Ok(Json(load_collection(&state, org_id, id).await?.into()))
}

/// Change a collection (admins).
#[utoipa::path(patch, path = "/orgs/{org_id}/collections/{collection_id}", tag = "knowledge",
    params(("org_id" = OrgId, Path), ("collection_id" = CollectionId, Path)), request_body = UpdateCollection,
    responses((status = 200, body = CollectionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_collection(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, CollectionId)>,
    JsonBody(req): JsonBody<UpdateCollection>,
) -> ApiResult<Json<CollectionView>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    let current = load_collection(&state, org_id, id).await?;
    scope.require(OrgAction::ManageKnowledge)?;
    let spec = CollectionSpec {
        name: req.name.unwrap_or(current.name.clone()),
        description: req.description.unwrap_or(current.description.clone()),
        domains: req.domains.unwrap_or(current.domains.clone()),
        chunk_tokens: Some(req.chunk_tokens.unwrap_or(current.chunk_tokens)),
        chunk_overlap: Some(req.chunk_overlap.unwrap_or(current.chunk_overlap)),
        public: req.public.unwrap_or(current.public),
    };
    let updated = state.knowledge.update_collection(&current, spec).await.map_err(duplicate_name)?;
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "collection.updated",
        Some(id.to_string()),
        serde_json::json!({ "name": updated.name }),
        &ip,
    )
    .await;
    Ok(Json(updated.into()))
}

/// Delete a collection with all its documents (admins).
#[utoipa::path(delete, path = "/orgs/{org_id}/collections/{collection_id}", tag = "knowledge",
    params(("org_id" = OrgId, Path), ("collection_id" = CollectionId, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_collection(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, CollectionId)>,
) -> ApiResult<StatusCode> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    let collection = load_collection(&state, org_id, id).await?;
    scope.require(OrgAction::ManageKnowledge)?;
    state.store.delete_collection(org_id, id).await?;
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "collection.deleted",
        Some(id.to_string()),
        serde_json::json!({ "name": collection.name }),
        &ip,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Upload documents (multipart: one or more `file` parts, optional `domains`
/// part with comma-separated tags). Answers at once with the ingestion job.
#[utoipa::path(post, path = "/orgs/{org_id}/collections/{collection_id}/documents", tag = "knowledge",
    params(("org_id" = OrgId, Path), ("collection_id" = CollectionId, Path)),
    request_body(content_type = "multipart/form-data", description = "`file` parts (TXT, Markdown, HTML, PDF, DOCX) and an optional `domains` part"),
    responses((status = 202, body = JobView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_documents(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, CollectionId)>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    load_collection(&state, org_id, id).await?;
    scope.require(OrgAction::ManageKnowledge)?;
    let mut multipart = multipart.map_err(|e| {
        ApiError::new(ErrorCode::UnsupportedMediaType, format!("send multipart/form-data: {}", e.body_text()))
    })?;
    let mut files = Vec::new();
    let mut domains = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::new(ErrorCode::PayloadTooLarge, "the upload is too large"));
            }
            Err(e) => return Err(ApiError::new(ErrorCode::MalformedMultipart, e.body_text())),
        };
        match field.name() {
            Some("file") | Some("files") => {
                let filename = field.file_name().map(str::to_string).unwrap_or_default();
                let filename = filename.rsplit(['/', '\\']).next().unwrap_or_default().trim().to_string();
                if filename.is_empty() || filename.chars().count() > 255 {
                    return Err(ApiError::invalid(
                        "file",
                        "every file part needs a file name of at most 255 characters",
                    ));
                }
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        ApiError::new(ErrorCode::PayloadTooLarge, "the upload is too large")
                    } else {
                        ApiError::new(ErrorCode::MalformedMultipart, e.body_text())
                    }
                })?;
                files.push(UploadFile { filename, domains: Vec::new(), content: bytes.to_vec() });
            }
            Some("domains") => {
                let text =
                    field.text().await.map_err(|e| ApiError::new(ErrorCode::MalformedMultipart, e.body_text()))?;
                domains = text.split(',').map(str::trim).filter(|d| !d.is_empty()).map(str::to_string).collect();
            }
            other => {
                return Err(ApiError::invalid(
                    other.unwrap_or("part").to_string(),
                    "is not a known part; send `file` and `domains`",
                ));
            }
        }
    }
    for file in &mut files {
        file.domains = domains.clone();
    }
    let count = files.len();
    let job = state.knowledge.queue_ingest(org_id, id, Some(principal.person.id), files).await?;
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "documents.uploaded",
        Some(job.id.to_string()),
        serde_json::json!({ "collection": id, "files": count }),
        &ip,
    )
    .await;
    Ok((StatusCode::ACCEPTED, Json(job_view(state.store.job_with_files(job.id).await?))))
}

/// The documents of a collection, newest first.
#[utoipa::path(get, path = "/orgs/{org_id}/collections/{collection_id}/documents", tag = "knowledge",
    params(("org_id" = OrgId, Path), ("collection_id" = CollectionId, Path)),
    responses((status = 200, body = [DocumentView]), (status = 404, body = ErrorBody)))]
pub async fn list_documents(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, CollectionId)>,
) -> ApiResult<Json<Vec<DocumentView>>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::SearchKnowledge)?;
    load_collection(&state, org_id, id).await?;
    Ok(Json(state.store.list_documents(org_id, Some(id)).await?.into_iter().map(Into::into).collect()))
}

/// One document.
#[utoipa::path(get, path = "/orgs/{org_id}/documents/{document_id}", tag = "knowledge",
    params(("org_id" = OrgId, Path), ("document_id" = DocumentId, Path)),
    responses((status = 200, body = DocumentView), (status = 404, body = ErrorBody)))]
pub async fn get_document(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, DocumentId)>,
) -> ApiResult<Json<DocumentView>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::SearchKnowledge)?;
    Ok(Json(load_document(&state, org_id, id).await?.into()))
}

/// A document's chunks, in order.
#[utoipa::path(get, path = "/orgs/{org_id}/documents/{document_id}/chunks", tag = "knowledge",
    params(("org_id" = OrgId, Path), ("document_id" = DocumentId, Path)),
    responses((status = 200, body = [ChunkView]), (status = 404, body = ErrorBody)))]
pub async fn document_chunks(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, DocumentId)>,
) -> ApiResult<Json<Vec<ChunkView>>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::SearchKnowledge)?;
    load_document(&state, org_id, id).await?;
    Ok(Json(state.store.document_chunks(org_id, id).await?.into_iter().map(Into::into).collect()))
}

/// Delete a document with its chunks, index entries and vectors (admins).
#[utoipa::path(delete, path = "/orgs/{org_id}/documents/{document_id}", tag = "knowledge",
    params(("org_id" = OrgId, Path), ("document_id" = DocumentId, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_document(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, DocumentId)>,
) -> ApiResult<StatusCode> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    let document = load_document(&state, org_id, id).await?;
    scope.require(OrgAction::ManageKnowledge)?;
    state.store.delete_document(org_id, id).await?;
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "document.deleted",
        Some(id.to_string()),
        serde_json::json!({ "source_name": document.source_name }),
        &ip,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// The organisation's recent jobs (admins).
#[utoipa::path(get, path = "/orgs/{org_id}/jobs", tag = "knowledge", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = [JobView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_jobs(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<JobView>>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManageKnowledge)?;
    Ok(Json(state.store.jobs_with_files(org_id, 50).await?.into_iter().map(job_view).collect()))
}

/// A job and its per-file outcome (admins of its organisation).
#[utoipa::path(get, path = "/jobs/{job_id}", tag = "knowledge", params(("job_id" = JobId, Path)),
    responses((status = 200, body = JobView), (status = 404, body = ErrorBody)))]
pub async fn get_job(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(id): PathIds<JobId>,
) -> ApiResult<Json<JobView>> {
    let (job, files) = state.store.job_with_files(id).await.map_err(|_| ApiError::not_found("job"))?;
    let scope = OrgScope::load(&state, &principal, job.org).await.map_err(|_| ApiError::not_found("job"))?;
    scope.require_or_hide(OrgAction::ManageKnowledge, "job")?;
    Ok(Json(job_view((job, files))))
}

/// A search.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    /// Needed only by people who belong to several organisations.
    pub org_id: Option<OrgId>,
    pub query: String,
    pub collections: Option<Vec<CollectionId>>,
    pub domains: Option<Vec<String>>,
    pub documents: Option<Vec<DocumentId>>,
    /// How many results (1–100, default 10).
    pub k: Option<usize>,
    /// Default `hybrid`.
    pub mode: Option<SearchMode>,
}

/// One search result.
#[derive(Serialize, ToSchema)]
pub struct SearchHitView {
    pub score: f32,
    pub lexical_rank: Option<usize>,
    pub dense_rank: Option<usize>,
    pub chunk: ChunkView,
}

/// Search results.
#[derive(Serialize, ToSchema)]
pub struct SearchResponse {
    /// The mode used.
    pub mode: SearchMode,
    pub results: Vec<SearchHitView>,
    /// Present when the search was narrower than asked, e.g. lexical-only for lack of a model.
    pub notice: Option<String>,
    #[schema(value_type = Object)]
    pub timings: wayfinder_knowledge::SearchTimings,
}

/// Search the organisation's knowledge base.
#[utoipa::path(post, path = "/search", tag = "knowledge", request_body = SearchBody,
    responses((status = 200, body = SearchResponse), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(req): JsonBody<SearchBody>,
) -> ApiResult<Json<SearchResponse>> {
    let org = match req.org_id {
        Some(org) => org,
        None => {
            let orgs = state.store.orgs_of(principal.person.id).await?;
            match orgs.as_slice() {
                [(org, _)] => org.id,
                [] => return Err(ApiError::not_found("organisation")),
                _ => {
                    return Err(ApiError::invalid(
                        "org_id",
                        "you belong to several organisations: say which to search",
                    ));
                }
            }
        }
    };
    let scope = OrgScope::load(&state, &principal, org).await?;
    scope.require(OrgAction::SearchKnowledge)?;
    let request = SearchRequest {
        query: req.query,
        collections: req.collections,
        domains: req.domains,
        documents: req.documents,
        k: req.k.unwrap_or(10),
        mode: req.mode.unwrap_or_default(),
    };
    let results = state.knowledge.search(org, &request).await?;
    Ok(Json(SearchResponse {
        mode: results.mode,
        notice: results.notice,
        timings: results.timings,
        results: results
            .hits
            .into_iter()
            .map(|h| SearchHitView {
                score: h.score,
                lexical_rank: h.lexical_rank,
                dense_rank: h.dense_rank,
                chunk: h.chunk.into(),
            })
            .collect(),
    }))
}
