//! Durable background jobs. A job and its input files live in the database,
//! so a job interrupted by a crash resumes from the database alone: a worker
//! holds a lease it renews while working; a lease that runs out lets any
//! worker (this process after a restart, or another instance) take over.
//! Each file's outcome is recorded in the same transaction as its document
//! and the job's progress, so a resumed job neither repeats nor loses work
//! and the progress shown never runs ahead of what is stored.

use crate::{Pool, Store, StoreError, StoreResult, in_snapshot, on_pool, rows::*};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_knowledge_rules::{CollectionId, ExtractFailure, JobFileId, JobId};

wayfinder_accounts_rules::closed_set! {
/// What a job does.
pub enum JobKind {
    /// Extract, chunk and index uploaded files, then embed what is new.
    Ingest,
    /// (Re-)embed a collection's chunks that have no vector.
    Embed,
}
}

wayfinder_accounts_rules::closed_set! {
/// Where a job stands.
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// A worker holds its lease.
    Running,
    /// Finished; files that could not be read say so on their own.
    Succeeded,
    /// Stopped by an error that is not about one file.
    Failed,
}
}

wayfinder_accounts_rules::closed_set! {
/// What a job is doing now.
pub enum JobPhase {
    /// Waiting for a worker.
    Queued,
    /// Extracting, chunking and indexing files.
    Ingesting,
    /// Embedding chunks that have no vector.
    Embedding,
    /// Finished.
    Succeeded,
    /// Stopped by an error.
    Failed,
}
}

wayfinder_accounts_rules::closed_set! {
/// What became of a job's file.
pub enum JobFileState {
    /// Not read yet.
    Pending,
    /// Stored as a document (new, or replacing one of the same name).
    Ingested,
    /// The collection already holds this content.
    Unchanged,
    /// Could not be read (`error_code` says why).
    Failed,
}
}

/// A file handed to an ingestion job.
#[derive(Clone, Debug)]
pub struct NewJobFile {
    pub filename: String,
    pub domains: Vec<String>,
    pub content: Vec<u8>,
}

/// A stored job.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub org: OrgId,
    pub kind: JobKind,
    pub state: JobState,
    pub collection: CollectionId,
    pub created_by: Option<PersonId>,
    pub phase: JobPhase,
    pub progress_done: i64,
    pub progress_total: i64,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A file of a job and what became of it.
#[derive(Clone, Debug, PartialEq)]
pub struct JobFile {
    pub id: JobFileId,
    pub position: i64,
    pub filename: String,
    pub domains: Vec<String>,
    pub size_bytes: i64,
    pub state: JobFileState,
    pub error_code: Option<ExtractFailure>,
    pub error_message: Option<String>,
    pub document: Option<String>,
    pub chunk_count: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: String,
    org_id: String,
    kind: String,
    state: String,
    collection_id: String,
    created_by: Option<String>,
    phase: String,
    progress_done: i64,
    progress_total: i64,
    error: Option<String>,
    created_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
}

impl JobRow {
    fn into_job(self) -> StoreResult<Job> {
        Ok(Job {
            id: parse(&self.id, "job id")?,
            org: parse(&self.org_id, "org id")?,
            kind: parse(&self.kind, "job kind")?,
            state: parse(&self.state, "job state")?,
            collection: parse(&self.collection_id, "collection id")?,
            created_by: self.created_by.as_deref().map(|p| parse(p, "person id")).transpose()?,
            phase: parse(&self.phase, "job phase")?,
            progress_done: self.progress_done,
            progress_total: self.progress_total,
            error: self.error,
            created_at: time(self.created_at),
            started_at: opt_time(self.started_at),
            finished_at: opt_time(self.finished_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct JobFileRow {
    id: String,
    position: i64,
    filename: String,
    domains: String,
    size_bytes: i64,
    state: String,
    error_code: Option<String>,
    error_message: Option<String>,
    document_id: Option<String>,
    chunk_count: Option<i64>,
}

/// A file row with the job it belongs to, for reads across several jobs.
#[derive(sqlx::FromRow)]
struct JobFileOfRow {
    job_id: String,
    #[sqlx(flatten)]
    file: JobFileRow,
}

impl JobFileRow {
    fn into_file(self) -> StoreResult<JobFile> {
        Ok(JobFile {
            id: parse(&self.id, "job file id")?,
            position: self.position,
            filename: self.filename,
            domains: serde_json::from_str(&self.domains).unwrap_or_default(),
            size_bytes: self.size_bytes,
            state: parse(&self.state, "job file state")?,
            error_code: self.error_code.as_deref().map(|c| parse(c, "job file error code")).transpose()?,
            error_message: self.error_message,
            document: self.document_id,
            chunk_count: self.chunk_count,
        })
    }
}

/// Sets a job's progress to the number of its files with an outcome, given one of its files (`$1`).
/// Run in the transaction that records that file's outcome, so progress never runs ahead of what
/// is stored; counted rather than incremented, so a job resumed by another worker stays exact.
pub(crate) const COUNT_FILE_DONE: &str = "UPDATE jobs SET progress_done =
            (SELECT COUNT(*) FROM job_files f WHERE f.job_id = jobs.id AND f.state <> 'pending')
        WHERE id = (SELECT job_id FROM job_files WHERE id = $1)";

const JOB_COLUMNS: &str = "id, org_id, kind, state, collection_id, created_by, phase, progress_done, progress_total, error, \
                               created_at, started_at, finished_at";
const FILE_COLUMNS: &str =
    "id, position, filename, domains, size_bytes, state, error_code, error_message, document_id, chunk_count";

impl Store {
    /// Queues a job with its files, in one transaction.
    pub async fn create_job(
        &self,
        org: OrgId,
        kind: JobKind,
        collection: CollectionId,
        created_by: Option<PersonId>,
        files: &[NewJobFile],
    ) -> StoreResult<Job> {
        let id = JobId::new();
        let now = now_ms();
        let (id_s, org_s) = (id.to_string(), org.to_string());
        crate::in_tx!(self, tx => {
            sqlx::query("INSERT INTO jobs (id, org_id, kind, state, collection_id, created_by, progress_total, created_at)
                         VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7)")
                .bind(&id_s).bind(&org_s).bind(<&str>::from(kind)).bind(collection.to_string())
                .bind(created_by.map(|p| p.to_string())).bind(files.len() as i64).bind(now)
                .execute(&mut *tx).await?;
            for (position, file) in files.iter().enumerate() {
                sqlx::query("INSERT INTO job_files (id, job_id, position, filename, domains, content, size_bytes, state)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending')")
                    .bind(JobFileId::new().to_string()).bind(&id_s).bind(position as i64).bind(&file.filename)
                    .bind(serde_json::to_string(&file.domains).unwrap_or_else(|_| "[]".into()))
                    .bind(&file.content).bind(file.content.len() as i64)
                    .execute(&mut *tx).await?;
            }
        });
        self.job(org, id).await
    }

    /// A job of an organisation.
    pub async fn job(&self, org: OrgId, id: JobId) -> StoreResult<Job> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE org_id = $1 AND id = $2");
        let row: JobRow = on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).bind(id.to_string()).fetch_one(pool).await?);
        row.into_job()
    }

    /// An organisation's jobs, newest first, at most `limit`.
    pub async fn list_jobs(&self, org: OrgId, limit: i64) -> StoreResult<Vec<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE org_id = $1 ORDER BY created_at DESC, id LIMIT $2");
        let rows: Vec<JobRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).bind(limit).fetch_all(pool).await?);
        rows.into_iter().map(JobRow::into_job).collect()
    }

    /// A job as it stands with its files, read in one snapshot: while a worker stores one file
    /// and chunks the next, the job's progress and its files' states always agree. Found by id
    /// alone: the caller checks the organisation.
    pub async fn job_with_files(&self, id: JobId) -> StoreResult<(Job, Vec<JobFile>)> {
        let job_sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1");
        let files_sql = format!("SELECT {FILE_COLUMNS} FROM job_files WHERE job_id = $1 ORDER BY position");
        let id = id.to_string();
        let (job, files): (JobRow, Vec<JobFileRow>) = in_snapshot!(self, tx => {
            let job = sqlx::query_as(&job_sql).bind(&id).fetch_one(&mut *tx).await?;
            (job, sqlx::query_as(&files_sql).bind(&id).fetch_all(&mut *tx).await?)
        });
        Ok((job.into_job()?, files.into_iter().map(JobFileRow::into_file).collect::<StoreResult<_>>()?))
    }

    /// An organisation's jobs, newest first, at most `limit`, each with its files, all read in
    /// one snapshot (as [`Store::job_with_files`] reads one).
    pub async fn jobs_with_files(&self, org: OrgId, limit: i64) -> StoreResult<Vec<(Job, Vec<JobFile>)>> {
        let jobs_sql =
            format!("SELECT {JOB_COLUMNS} FROM jobs WHERE org_id = $1 ORDER BY created_at DESC, id LIMIT $2");
        let files_sql = format!(
            "SELECT job_id, {FILE_COLUMNS} FROM job_files WHERE job_id IN
               (SELECT id FROM jobs WHERE org_id = $1 ORDER BY created_at DESC, id LIMIT $2)
             ORDER BY job_id, position"
        );
        let org = org.to_string();
        let (jobs, files): (Vec<JobRow>, Vec<JobFileOfRow>) = in_snapshot!(self, tx => {
            let jobs = sqlx::query_as(&jobs_sql).bind(&org).bind(limit).fetch_all(&mut *tx).await?;
            (jobs, sqlx::query_as(&files_sql).bind(&org).bind(limit).fetch_all(&mut *tx).await?)
        });
        let mut files_of: HashMap<String, Vec<JobFile>> = HashMap::new();
        for row in files {
            files_of.entry(row.job_id).or_default().push(row.file.into_file()?);
        }
        jobs.into_iter()
            .map(|row| {
                let files = files_of.remove(&row.id).unwrap_or_default();
                Ok((row.into_job()?, files))
            })
            .collect()
    }

    /// A job's files (without their content), in upload order.
    pub async fn job_files(&self, job: JobId) -> StoreResult<Vec<JobFile>> {
        let sql = format!("SELECT {FILE_COLUMNS} FROM job_files WHERE job_id = $1 ORDER BY position");
        let rows: Vec<JobFileRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(job.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(JobFileRow::into_file).collect()
    }

    /// The next pending file of a job with its content, after position `after` when given (a
    /// file being worked on is still pending).
    pub async fn next_pending_file(&self, job: JobId, after: Option<i64>) -> StoreResult<Option<(JobFile, Vec<u8>)>> {
        let sql = format!(
            "SELECT {FILE_COLUMNS}, content FROM job_files WHERE job_id = $1 AND state = 'pending' AND position > $2
             ORDER BY position LIMIT 1"
        );
        let after = after.unwrap_or(i64::MIN);
        let row: Option<PendingRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(job.to_string()).bind(after).fetch_optional(pool).await?);
        row.map(|r| Ok((r.file.into_file()?, r.content.unwrap_or_default()))).transpose()
    }

    /// Claims the oldest job that is queued, or running with an expired lease,
    /// for `owner` until `lease`. Only one worker can win a given job.
    pub async fn claim_job(&self, owner: &str, lease: Duration, only: Option<JobId>) -> StoreResult<Option<Job>> {
        let now = now_ms();
        let until = now + lease.num_milliseconds();
        let only = only.map(|j| j.to_string());
        let claimed: Option<(String, String)> = match &self.pool {
                Pool::Sqlite(pool) => {
                    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                    let row: Option<(String, String)> = sqlx::query_as(
                        "UPDATE jobs SET state = 'running', lease_owner = $1, lease_expires_at = $2, started_at = COALESCE(started_at, $3),
                             phase = CASE kind WHEN 'embed' THEN 'embedding' ELSE 'ingesting' END
                         WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' OR (state = 'running' AND lease_expires_at < $3))
                                     AND ($4 IS NULL OR id = $4) ORDER BY created_at LIMIT 1)
                         RETURNING id, org_id",
                    )
                    .bind(owner).bind(until).bind(now).bind(&only)
                    .fetch_optional(&mut *tx).await?;
                    tx.commit().await?;
                    row
                }
                Pool::Postgres(pool) => {
                    sqlx::query_as(
                        "UPDATE jobs SET state = 'running', lease_owner = $1, lease_expires_at = $2, started_at = COALESCE(started_at, $3),
                             phase = CASE kind WHEN 'embed' THEN 'embedding' ELSE 'ingesting' END
                         WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' OR (state = 'running' AND lease_expires_at < $3))
                                     AND ($4::text IS NULL OR id = $4) ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                         RETURNING id, org_id",
                    )
                    .bind(owner).bind(until).bind(now).bind(&only)
                    .fetch_optional(pool).await?
                }
            };
        match claimed {
            Some((id, org)) => Ok(Some(self.job(parse(&org, "org id")?, parse(&id, "job id")?).await?)),
            None => Ok(None),
        }
    }

    /// Renews a lease and records the phase, and the progress when given (`None` keeps the stored
    /// progress: while ingesting it is counted with each file's outcome); `false` when the lease was lost.
    pub async fn heartbeat_job(
        &self,
        job: JobId,
        owner: &str,
        lease: Duration,
        phase: JobPhase,
        progress: Option<(i64, i64)>,
    ) -> StoreResult<bool> {
        let sql = "UPDATE jobs SET lease_expires_at = $1, phase = $2,
                       progress_done = COALESCE($3, progress_done), progress_total = COALESCE($4, progress_total)
                       WHERE id = $5 AND lease_owner = $6 AND state = 'running'";
        let until = now_ms() + lease.num_milliseconds();
        let (done, total) = progress.unzip();
        let done = on_pool!(self, pool => sqlx::query(sql)
                .bind(until).bind(<&str>::from(phase)).bind(done).bind(total).bind(job.to_string()).bind(owner)
                .execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// Records that a file could not be read (stored files are recorded by
    /// [`Store::put_document_for_job`]), with the job's progress, in one transaction.
    pub async fn fail_job_file(&self, file: JobFileId, code: ExtractFailure, message: &str) -> StoreResult<()> {
        let sql = "UPDATE job_files SET state = $1, error_code = $2, error_message = $3, content = NULL WHERE id = $4";
        crate::in_tx!(self, tx => {
            sqlx::query(sql)
                .bind(<&str>::from(JobFileState::Failed)).bind(<&str>::from(code)).bind(message).bind(file.to_string())
                .execute(&mut *tx).await?;
            sqlx::query(COUNT_FILE_DONE).bind(file.to_string()).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// Ends a job: `succeeded` or `failed` with an error.
    pub async fn finish_job(&self, job: JobId, error: Option<&str>) -> StoreResult<()> {
        let state: &str = if error.is_some() { JobState::Failed.into() } else { JobState::Succeeded.into() };
        let sql = "UPDATE jobs SET state = $1, error = $2, phase = $1, finished_at = $3, lease_owner = NULL, lease_expires_at = NULL
                       WHERE id = $4";
        let done = on_pool!(self, pool => sqlx::query(sql)
                .bind(state).bind(error).bind(now_ms()).bind(job.to_string()).execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct PendingRow {
    #[sqlx(flatten)]
    file: JobFileRow,
    content: Option<Vec<u8>>,
}
