//! The job worker: runs beside the server (or inside a CLI command), claims
//! queued jobs — and jobs whose worker died — and keeps its lease alive while
//! it works. Stops with the same shutdown signal as the server.

use crate::{KnowledgeBase, ingest::new_progress};
use chrono::Duration;
use std::{future::Future, sync::atomic::Ordering, time::Duration as StdDuration};
use wayfinder_knowledge_rules::JobId;
use wayfinder_store::Job;

/// Runs knowledge-base jobs.
pub struct JobWorker {
    kb: KnowledgeBase,
    owner: String,
    lease: Duration,
    poll: StdDuration,
}

impl JobWorker {
    /// A worker with a lease of `lease` (renewed every third of it).
    pub fn new(kb: KnowledgeBase, lease: Duration) -> Self {
        let owner = format!("worker-{}", uuid::Uuid::new_v4().simple());
        Self { kb, owner, lease, poll: StdDuration::from_secs(2) }
    }

    /// Claims and runs jobs until `shutdown` resolves; a job in progress at
    /// shutdown stops between steps and is resumed by the next worker.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            match self.kb.store.claim_job(&self.owner, self.lease, None).await {
                Ok(Some(job)) => {
                    tokio::select! {
                        _ = self.run_claimed(&job) => {}
                        _ = &mut shutdown => return,
                    }
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "could not claim a job"),
            }
            tokio::select! {
                _ = self.kb.wake.notified() => {}
                _ = tokio::time::sleep(self.poll) => {}
                _ = &mut shutdown => return,
            }
        }
    }

    /// Runs one job to completion in this task (the CLI uses this to ingest in
    /// the foreground). Returns the job as it ended; `None` if another worker holds it.
    pub async fn run_one(&self, job: JobId) -> Option<Job> {
        let claimed = self.kb.store.claim_job(&self.owner, self.lease, Some(job)).await.ok().flatten()?;
        self.run_claimed(&claimed).await;
        self.kb.store.job(claimed.org, claimed.id).await.ok()
    }

    async fn run_claimed(&self, job: &Job) {
        tracing::info!(job = %job.id, kind = ?job.kind, "job started");
        let progress = new_progress();
        let beat = {
            let (store, owner, lease, progress, id) =
                (self.kb.store.clone(), self.owner.clone(), self.lease, progress.clone(), job.id);
            tokio::spawn(async move {
                let every = StdDuration::from_millis((lease.num_milliseconds() / 3).max(200) as u64);
                loop {
                    tokio::time::sleep(every).await;
                    let (phase, counted) = progress.report();
                    match store.heartbeat_job(id, &owner, lease, phase, counted).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(job = %id, "lost the job's lease; another worker continues it");
                            progress.lost.store(true, Ordering::Relaxed);
                            return;
                        }
                        Err(e) => tracing::warn!(job = %id, error = %e, "could not renew the job's lease"),
                    }
                }
            })
        };
        let started = std::time::Instant::now();
        let outcome = self.kb.run_job(job, &progress).await;
        beat.abort();
        if progress.lost.load(Ordering::Relaxed) {
            return;
        }
        let error = outcome.err().map(|e| e.to_string());
        if let Some(e) = &error {
            tracing::error!(job = %job.id, error = %e, "job failed");
        } else {
            tracing::info!(job = %job.id, "job finished");
        }
        let (phase, counted) = progress.report();
        let _ = self.kb.store.heartbeat_job(job.id, &self.owner, self.lease, phase, counted).await;
        if let Err(e) = self.kb.store.finish_job(job.id, error.as_deref()).await {
            tracing::error!(job = %job.id, error = %e, "could not record the job's end");
        }
        let kind = format!("{:?}", job.kind).to_lowercase();
        let result = if error.is_some() { "failed" } else { "succeeded" };
        metrics::histogram!("wayfinder_ingest_job_seconds", "kind" => kind.clone(), "outcome" => result)
            .record(started.elapsed().as_secs_f64());
        if let Ok(ended) = self.kb.store.job_files(job.id).await {
            let chunks: i64 = ended.iter().filter_map(|f| f.chunk_count).sum();
            metrics::counter!("wayfinder_ingest_chunks_total", "kind" => kind).increment(chunks.max(0) as u64);
            metrics::counter!("wayfinder_ingest_documents_total")
                .increment(ended.iter().filter(|f| f.document.is_some()).count() as u64);
        }
    }
}
