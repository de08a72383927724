//! Measures the resident memory of an ingestion job over PDFs, as the server runs it: the files
//! are queued in a SQLite store and one `JobWorker` extracts, chunks and stores them. Make the PDF
//! with the knowledge-rules example `pdf_memory` (150,000 short pages, the shape of a hostile
//! upload), then:
//!
//! ```text
//! cargo run -p wayfinder-knowledge --example ingest_memory -- /tmp/many-pages.pdf 4
//! ```
//!
//! The copies differ by a trailing comment, so each is ingested rather than found unchanged. It
//! prints the peak (`VmHWM`) and current (`VmRSS`) resident memory after the job, and again once
//! the job's buffers are gone. It asserts nothing.

use wayfinder_knowledge::{CollectionSpec, IngestLimits, JobWorker, KnowledgeBase, UploadFile};
use wayfinder_store::{Store, StoreOptions};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: ingest_memory PDF [COPIES]");
        return;
    };
    let copies: usize = args.get(1).map_or(4, |c| c.parse().expect("a number of copies"));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(run(path, copies));
    println!("after the runtime stopped: {}", memory_status());
}

async fn run(path: &str, copies: usize) {
    let dir = std::env::temp_dir().join(format!("ingest-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let url = format!("sqlite://{}", dir.join("wayfinder.db").display());
    let store = Store::connect(&StoreOptions { url, max_connections: 4 }).await.expect("store");
    store.migrate().await.expect("migrate");
    let org = store.create_org("memory", "Memory").await.expect("organisation").id;
    let limits = IngestLimits { max_file_bytes: 256 * 1024 * 1024, ..IngestLimits::default() };
    let kb = KnowledgeBase::new(store.clone(), None, None, limits);
    let collection = kb
        .create_collection(org, CollectionSpec { name: "PDFs".into(), ..CollectionSpec::default() })
        .await
        .expect("collection");
    let files = {
        let bytes = std::fs::read(path).expect("PDF read");
        (0..copies)
            .map(|i| {
                let mut content = bytes.clone();
                content.extend(format!("%copy {i}\n").into_bytes());
                UploadFile { filename: format!("copy-{i}.pdf"), domains: Vec::new(), content }
            })
            .collect()
    };
    let job = kb.queue_ingest(org, collection.id, None, files).await.expect("job queued");
    println!("queued {copies} files: {}", memory_status());
    let started = std::time::Instant::now();
    let ended = JobWorker::new(kb.clone(), chrono::Duration::seconds(600)).run_one(job.id).await.expect("job ran");
    let outcomes: Vec<String> = store.job_files(job.id).await.expect("files").into_iter().map(|f| f.state).collect();
    println!("job {} in {:.1?}, files {outcomes:?}: {}", ended.state, started.elapsed(), memory_status());
    drop(kb);
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// `VmHWM` (peak resident) and `VmRSS` (now) from /proc/self/status.
fn memory_status() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS")).collect::<Vec<_>>().join(", ")
}
