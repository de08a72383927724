//! Measures the resident memory of an ingestion job over PDFs, as the server runs it: the files
//! are queued in a SQLite store and one `JobWorker` extracts, chunks and stores them. Make the PDF
//! with the knowledge-rules example `pdf_memory` (150,000 short pages, the shape of a hostile
//! upload), then:
//!
//! ```text
//! cargo run -p wayfinder-knowledge --example ingest_memory -- /tmp/many-pages.pdf 4
//! cargo run -p wayfinder-knowledge --example ingest_memory -- /tmp/many-pages.pdf 2 2 1
//! ```
//!
//! Arguments: the PDF, how many copies to ingest (4), how many workers run at once, each with a
//! job of its own share of the copies (1), and how many files the service extracts at once (its
//! default). The copies differ by a trailing comment, so each is ingested rather than found
//! unchanged. It prints the peak (`VmHWM`) and current (`VmRSS`) resident memory after the jobs,
//! and again once their buffers are gone. It asserts nothing.

use wayfinder_knowledge::{CollectionSpec, IngestLimits, JobWorker, KnowledgeBase, UploadFile};
use wayfinder_store::{Store, StoreOptions};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: ingest_memory PDF [COPIES]");
        return;
    };
    let number = |i: usize, default: usize| args.get(i).map_or(default, |n| n.parse().expect("a number"));
    let (copies, workers, extractions) = (number(1, 4), number(2, 1).max(1), args.get(3).map(|_| number(3, 1)));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(run(path, copies, workers, extractions));
    println!("after the runtime stopped: {}", memory_status());
}

async fn run(path: &str, copies: usize, workers: usize, extractions: Option<usize>) {
    let dir = std::env::temp_dir().join(format!("ingest-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let url = format!("sqlite://{}", dir.join("wayfinder.db").display());
    let store = Store::connect(&StoreOptions { url, max_connections: 4 }).await.expect("store");
    store.migrate().await.expect("migrate");
    let org = store.create_org("memory", "Memory").await.expect("organisation").id;
    let limits = IngestLimits { max_file_bytes: 256 * 1024 * 1024, ..IngestLimits::default() };
    let mut kb = KnowledgeBase::new(store.clone(), None, None, limits);
    if let Some(files) = extractions {
        kb = kb.with_concurrent_extractions(files);
    }
    let collection = kb
        .create_collection(org, CollectionSpec { name: "PDFs".into(), ..CollectionSpec::default() })
        .await
        .expect("collection");
    let bytes = std::fs::read(path).expect("PDF read");
    let mut jobs = Vec::new();
    for worker in 0..workers {
        let files = (worker..copies)
            .step_by(workers)
            .map(|i| {
                let mut content = bytes.clone();
                content.extend(format!("%copy {i}\n").into_bytes());
                UploadFile { filename: format!("copy-{i}.pdf"), domains: Vec::new(), content }
            })
            .collect();
        jobs.push(kb.queue_ingest(org, collection.id, None, files).await.expect("job queued").id);
    }
    drop(bytes);
    println!("queued {copies} files in {workers} jobs: {}", memory_status());
    let started = std::time::Instant::now();
    let running: Vec<_> = jobs
        .into_iter()
        .map(|job| {
            let worker = JobWorker::new(kb.clone(), chrono::Duration::seconds(600));
            tokio::spawn(async move { worker.run_one(job).await.expect("job ran").state })
        })
        .collect();
    let mut states = Vec::new();
    for job in running {
        states.push(job.await.expect("worker task"));
    }
    println!("jobs {states:?} in {:.1?}: {}", started.elapsed(), memory_status());
    drop(kb);
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// `VmHWM` (peak resident) and `VmRSS` (now) from /proc/self/status.
fn memory_status() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS")).collect::<Vec<_>>().join(", ")
}
