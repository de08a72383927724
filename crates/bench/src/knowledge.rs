//! `wayfinder-bench knowledge`: measurements of the knowledge base, printed,
//! never asserted. On a throwaway database of the configured backend it
//! reports
//! - ingestion throughput without embeddings (chunks/s through the real job
//!   pipeline: extraction, chunking, lexical analysis, one transaction per file),
//! - local embedding speed (tokens/s) when a model folder is given,
//! - search latency one query at a time for lexical, dense and hybrid at each
//!   corpus size (query embedding reported separately),
//! - the first search of a new process at each size, which loads its
//!   in-memory copies (the postings; the vectors on SQLite),
//! - this process's memory after each stage.
//!
//! Scale needs synthetic data: text drawn from a Zipf-distributed vocabulary
//! (like real text, a few words are very common) and vectors of the model's
//! size made from the words of each text ([`SyntheticEmbedder`]), so the dense
//! index does real work without hours of embedding. Both are seeded, so runs
//! are repeatable.

use crate::{
    api::{Scratch, read_memory},
    cli::BenchKnowledgeArgs,
};
use anyhow::Context;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Instant,
};
use wayfinder::config::Config;
use wayfinder_accounts_rules::OrgId;
use wayfinder_embeddings::{EmbedError, EmbedPurpose, Embedder, LocalEmbedder};
use wayfinder_knowledge::{
    CollectionSpec, IngestLimits, JobWorker, KnowledgeBase, SearchMode, SearchRequest, UploadFile,
};
use wayfinder_knowledge_rules::CollectionId;
use wayfinder_knowledge_rules::lexical_terms;
use wayfinder_knowledge_rules::metrics::percentile;
use wayfinder_store::{ChunkFilter, JobState, Store, StoreOptions};

/// splitmix64: a tiny seeded generator, enough for reproducible synthetic data.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A vocabulary of pronounceable pseudo-words sampled with Zipf's law.
pub(crate) struct Vocabulary {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Vocabulary {
    pub(crate) fn new(size: usize) -> Self {
        const SYLLABLES: [&str; 24] = [
            "ka", "lo", "mi", "ser", "tan", "vel", "dor", "pi", "qua", "ren", "sol", "tir", "ul", "ve", "xo", "yan",
            "zel", "bri", "cho", "fen", "gra", "hul", "jor", "mek",
        ];
        let mut rng = Rng(7);
        let words = (0..size)
            .map(|_| {
                let n = 2 + (rng.next() % 3) as usize;
                (0..n).map(|_| SYLLABLES[(rng.next() % SYLLABLES.len() as u64) as usize]).collect::<String>()
            })
            .collect();
        let mut total = 0.0;
        let cumulative = (1..=size)
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect::<Vec<_>>();
        let cumulative = cumulative.into_iter().map(|c| c / total).collect();
        Self { words, cumulative }
    }

    fn word(&self, rng: &mut Rng) -> &str {
        let x = rng.unit();
        let i = self.cumulative.partition_point(|c| *c < x).min(self.words.len() - 1);
        &self.words[i]
    }

    pub(crate) fn sentence(&self, rng: &mut Rng, words: usize) -> String {
        let mut out = String::with_capacity(words * 8);
        for i in 0..words {
            // Sentences start with a capital, as in real text (extractive answers quote whole sentences).
            let word = self.word(rng);
            match (i % 14 == 0).then(|| word.split_at(1)) {
                Some((first, rest)) => {
                    out.push_str(&first.to_uppercase());
                    out.push_str(rest);
                }
                None => out.push_str(word),
            }
            out.push_str(if i % 14 == 13 { ". " } else { " " });
        }
        out
    }
}

/// Vectors standing in for a model of `dims` dimensions: a text's vector is the
/// normalised sum of a random unit vector per distinct word, so texts that share words
/// point the same way and a repeated text repeats its vector. Independent random vectors
/// (what this was first) have no neighbourhoods, the worst case for a graph index: on
/// them pgvector's HNSW build over 100k vectors took 39–42 s, against 9.6 s for 100k
/// real MiniLM embeddings (SciFact and OpenStax in 50-token chunks) on the same machine.
pub(crate) struct SyntheticEmbedder {
    pub(crate) dims: usize,
    /// The model id its vectors are stored under (another id means "re-embed everything").
    pub(crate) model: &'static str,
    /// Each word's vector, made once.
    words: Mutex<HashMap<String, Arc<[f32]>>>,
}

impl SyntheticEmbedder {
    pub(crate) fn new(dims: usize) -> SyntheticEmbedder {
        SyntheticEmbedder::named(dims, "bench:synthetic")
    }

    /// One under another model id (its vectors are the same; the id makes them "another model's").
    pub(crate) fn named(dims: usize, model: &'static str) -> SyntheticEmbedder {
        SyntheticEmbedder { dims, model, words: Mutex::new(HashMap::new()) }
    }

    fn vector(&self, text: &str) -> Vec<f32> {
        let mut words: Vec<String> =
            text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
        words.sort_unstable();
        words.dedup();
        let mut sum = vec![0f32; self.dims];
        let mut known = self.words.lock().unwrap_or_else(|e| e.into_inner());
        for word in words {
            let v = known.entry(word).or_insert_with_key(|w| random_unit(&mut Rng(seed_of(w)), self.dims).into());
            sum.iter_mut().zip(v.iter()).for_each(|(s, x)| *s += x);
        }
        if sum.iter().all(|x| *x == 0.0) {
            return random_unit(&mut Rng(seed_of(text)), self.dims);
        }
        let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
        sum.iter_mut().for_each(|x| *x /= norm);
        sum
    }
}

fn seed_of(text: &str) -> u64 {
    text.bytes().fold(1469598103934665603u64, |h, b| (h ^ b as u64).wrapping_mul(1099511628211))
}

fn random_unit(rng: &mut Rng, dims: usize) -> Vec<f32> {
    let mut v: Vec<f32> = (0..dims).map(|_| (rng.unit() * 2.0 - 1.0) as f32).collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(f32::EPSILON);
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

#[async_trait::async_trait]
impl Embedder for SyntheticEmbedder {
    fn model_id(&self) -> &str {
        self.model
    }
    fn dimensions(&self) -> usize {
        self.dims
    }
    async fn embed(&self, texts: &[String], _purpose: EmbedPurpose) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(texts.iter().map(|t| self.vector(t)).collect())
    }
}

/// Times the first lexical and dense search of a new store on the same
/// database: what a restarted process, or one that saw another's writes,
/// pays. First with the copies the writer saved (its changed copies are
/// saved now, as at shutdown or once writes pause), then with none saved,
/// each copy rebuilt from the rows.
async fn first_search_of_a_new_process(
    scratch: &Scratch,
    writer: &Store,
    org: OrgId,
    embedder: &dyn Embedder,
    vocab: &Vocabulary,
) -> anyhow::Result<()> {
    writer.save_changed_copies().await?;
    let (lexical, dense) = first_searches(scratch, org, embedder, vocab).await?;
    println!("  first search in a new process, copies saved: lexical {lexical:.0} ms, dense {dense:.0} ms");
    writer.forget_saved_copies(org).await?;
    let (lexical, dense) = first_searches(scratch, org, embedder, vocab).await?;
    println!(
        "  first search in a new process, nothing saved: lexical {lexical:.0} ms (rebuilds the postings copy), dense {dense:.0} ms (rebuilds the vector copy on SQLite)"
    );
    Ok(())
}

/// The first lexical and the first dense search of a new store, in milliseconds.
async fn first_searches(
    scratch: &Scratch,
    org: OrgId,
    embedder: &dyn Embedder,
    vocab: &Vocabulary,
) -> anyhow::Result<(f64, f64)> {
    let fresh = Store::connect(&StoreOptions { url: scratch.database_url.clone(), max_connections: 2 }).await?;
    let query = vocab.sentence(&mut Rng(3), 4);
    let started = Instant::now();
    fresh.lexical_search(org, &lexical_terms(&query), &ChunkFilter::default(), 10).await?;
    let lexical = started.elapsed().as_secs_f64() * 1000.0;
    let vector = embedder.embed(&[query], EmbedPurpose::Query).await?.remove(0);
    let started = Instant::now();
    fresh.dense_search(org, embedder.model_id(), &vector, &ChunkFilter::default(), 10).await?;
    let dense = started.elapsed().as_secs_f64() * 1000.0;
    fresh.close().await;
    Ok((lexical, dense))
}

pub(crate) fn rss() -> String {
    match read_memory(std::process::id()) {
        Ok(m) => format!("RSS {:.1} MB (peak {:.1} MB)", m.rss_kb as f64 / 1024.0, m.peak_kb as f64 / 1024.0),
        Err(_) => "RSS unknown".into(),
    }
}

/// A growing synthetic corpus in one collection of a throwaway organisation:
/// files of ~50 chunks of Zipf text go through the real ingestion job
/// (lexical only, as without a model), then an embedding job stores vectors.
pub(crate) struct Corpus {
    pub(crate) store: Store,
    pub(crate) org: OrgId,
    pub(crate) collection: CollectionId,
    /// Searches with the synthetic vectors.
    pub(crate) knowledge: KnowledgeBase,
    lexical_only: KnowledgeBase,
    /// Chunks stored so far.
    pub(crate) chunks: usize,
    domains: Vec<String>,
    /// The words its text is drawn from (queries draw from them too).
    pub(crate) vocab: Vocabulary,
    rng: Rng,
    words_per_chunk: usize,
}

/// Large uploads, and vectors written a thousand at a time.
fn bench_limits() -> IngestLimits {
    IngestLimits { max_files: 100_000, max_file_bytes: 256 * 1024 * 1024, embed_batch: 1000 }
}

/// What one `Corpus::grow_to` took.
pub(crate) struct Growth {
    pub(crate) chunks: i64,
    pub(crate) ingest_seconds: f64,
    pub(crate) embed_seconds: f64,
}

impl Corpus {
    /// An organisation with one collection whose files take `domains` in turn (none when empty).
    pub(crate) async fn create(
        store: &Store,
        embedder: Arc<dyn Embedder>,
        chunk_tokens: i64,
        domains: &[&str],
    ) -> anyhow::Result<Corpus> {
        let org = store.create_org("bench", "Benchmark").await?.id;
        let limits = bench_limits();
        let lexical_only = KnowledgeBase::new(store.clone(), None, None, limits.clone());
        let knowledge = KnowledgeBase::new(store.clone(), Some(embedder), None, limits);
        let domains: Vec<String> = domains.iter().map(|d| d.to_string()).collect();
        let spec = CollectionSpec {
            name: "synthetic".into(),
            domains: domains.clone(),
            chunk_tokens: Some(chunk_tokens),
            chunk_overlap: Some(chunk_tokens / 10),
            ..Default::default()
        };
        let collection = knowledge.create_collection(org, spec).await?.id;
        Ok(Corpus {
            store: store.clone(),
            org,
            collection,
            knowledge,
            lexical_only,
            chunks: 0,
            domains,
            vocab: Vocabulary::new(50_000),
            rng: Rng(42),
            words_per_chunk: (chunk_tokens as usize * 3) / 4,
        })
    }

    /// Ingests and embeds until the corpus holds at least `target` chunks.
    pub(crate) async fn grow_to(&mut self, target: usize) -> anyhow::Result<Growth> {
        self.grow(target, true).await
    }

    /// Ingests (lexical only, no vectors) until the corpus holds at least `target` chunks.
    pub(crate) async fn ingest_to(&mut self, target: usize) -> anyhow::Result<Growth> {
        self.grow(target, false).await
    }

    async fn grow(&mut self, target: usize, with_vectors: bool) -> anyhow::Result<Growth> {
        let mut growth = Growth { chunks: 0, ingest_seconds: 0.0, embed_seconds: 0.0 };
        let (org, collection) = (self.org, self.collection);
        while self.chunks < target {
            let have = self.chunks;
            let batch_files = ((target - have) / 50).clamp(1, 200);
            let files: Vec<UploadFile> = (0..batch_files)
                .map(|i| {
                    let mut text = format!("# Synthetic {have}-{i}\n\n");
                    for _ in 0..50 {
                        text.push_str(&self.vocab.sentence(&mut self.rng, self.words_per_chunk));
                        text.push_str("\n\n");
                    }
                    let domains = match self.domains.len() {
                        0 => Vec::new(),
                        n => vec![self.domains[(have / 50 + i) % n].clone()],
                    };
                    UploadFile { filename: format!("doc-{have}-{i}.md"), domains, content: text.into_bytes() }
                })
                .collect();
            let before = self.store.count_chunks(org, Some(collection)).await?;
            let started = Instant::now();
            let job = self.lexical_only.queue_ingest(org, collection, None, files).await?;
            JobWorker::new(self.lexical_only.clone(), chrono::Duration::seconds(60)).run_one(job.id).await;
            growth.ingest_seconds += started.elapsed().as_secs_f64();
            let after = self.store.count_chunks(org, Some(collection)).await?;
            growth.chunks += after - before;
            self.chunks = after as usize;
        }
        if with_vectors {
            growth.embed_seconds += self.embed_missing().await?;
        }
        Ok(growth)
    }

    /// Vectors for every chunk without one, in one embedding job as after an upload; seconds taken.
    pub(crate) async fn embed_missing(&self) -> anyhow::Result<f64> {
        let started = Instant::now();
        let job = self.knowledge.queue_embedding(self.org, self.collection, None).await?;
        JobWorker::new(self.knowledge.clone(), chrono::Duration::seconds(60)).run_one(job.id).await;
        Ok(started.elapsed().as_secs_f64())
    }

    /// Switches the organisation to another embedding model and re-embeds the whole collection
    /// as the server does at start-up (old vectors removed, one job); seconds taken.
    pub(crate) async fn reembed_with(&self, embedder: Arc<dyn Embedder>) -> anyhow::Result<f64> {
        let knowledge = KnowledgeBase::new(self.store.clone(), Some(embedder), None, bench_limits());
        let started = Instant::now();
        knowledge.reconcile_embedding_models(&[self.org]).await?;
        let jobs = self.store.list_jobs(self.org, 10).await?;
        for job in jobs.into_iter().filter(|j| j.state == JobState::Queued) {
            JobWorker::new(knowledge.clone(), chrono::Duration::seconds(60)).run_one(job.id).await;
        }
        Ok(started.elapsed().as_secs_f64())
    }
}

/// Runs the benchmark on a throwaway copy of the configured backend.
pub async fn run(config: &Config, args: &BenchKnowledgeArgs) -> anyhow::Result<()> {
    Scratch::around(&config.database_url(), async |scratch| measure(scratch, args).await).await
}

async fn measure(scratch: &Scratch, args: &BenchKnowledgeArgs) -> anyhow::Result<()> {
    println!("wayfinder bench knowledge — backend {}, {rss}", scratch.backend, rss = rss());
    let store = Store::connect(&StoreOptions { url: scratch.database_url.clone(), max_connections: 8 }).await?;
    store.migrate().await?;

    // Local embedding speed, and the dimension the synthetic vectors take.
    let mut dims = 384;
    let mut query_model: Option<Arc<LocalEmbedder>> = None;
    if let Some(dir) = &args.embedding_model {
        let model = Arc::new(LocalEmbedder::load(dir).with_context(|| format!("loading {}", dir.display()))?);
        dims = model.dimensions();
        let vocab = Vocabulary::new(20_000);
        let mut rng = Rng(11);
        let passages: Vec<String> = (0..args.embed_passages)
            .map(|_| {
                let words = 100 + (rng.next() % 300) as usize;
                vocab.sentence(&mut rng, words)
            })
            .collect();
        let tokens: usize = passages.iter().map(|p| model.count_tokens(p).min(model.max_tokens())).sum();
        let started = Instant::now();
        let vectors = model.embed(&passages, EmbedPurpose::Document).await?;
        let took = started.elapsed().as_secs_f64();
        println!(
            "local embedding   {} passages, {tokens} tokens in {took:.1} s: {:.0} tokens/s ({} threads), {}",
            vectors.len(),
            tokens as f64 / took,
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            rss()
        );
        query_model = Some(model);
    }

    let synthetic: Arc<dyn Embedder> = Arc::new(SyntheticEmbedder::new(dims));
    let mut corpus = Corpus::create(&store, synthetic.clone(), args.chunk_tokens, &[]).await?;
    let org = corpus.org;
    let with_vectors = corpus.knowledge.clone();
    let mut sizes = args.sizes.clone();
    sizes.sort_unstable();
    for target in sizes {
        let growth = corpus.grow_to(target).await?;
        let have = corpus.chunks;
        if growth.chunks > 0 {
            println!(
                "ingestion         {} chunks in {:.1} s: {:.0} chunks/s without embeddings; synthetic vectors stored at {:.0} chunks/s; {}",
                growth.chunks,
                growth.ingest_seconds,
                growth.chunks as f64 / growth.ingest_seconds,
                growth.chunks as f64 / growth.embed_seconds.max(1e-9),
                rss()
            );
        }
        println!("search at {have} chunks ({} queries each, k = 10, one at a time):", args.queries);
        for mode in [SearchMode::Lexical, SearchMode::Dense, SearchMode::Hybrid] {
            let mut latencies = Vec::with_capacity(args.queries);
            let mut qrng = Rng(1000 + have as u64);
            // Warm the caches (the in-process vector copy loads on first use).
            let warm = SearchRequest {
                query: corpus.vocab.sentence(&mut qrng, 3),
                collections: None,
                domains: None,
                documents: None,
                k: 10,
                mode,
            };
            with_vectors.search(org, &warm).await?;
            for _ in 0..args.queries {
                let words = 2 + (qrng.next() % 5) as usize;
                let request = SearchRequest {
                    query: corpus.vocab.sentence(&mut qrng, words),
                    collections: None,
                    domains: None,
                    documents: None,
                    k: 10,
                    mode,
                };
                let started = Instant::now();
                let results = with_vectors.search(org, &request).await?;
                latencies.push(started.elapsed().as_secs_f64() * 1000.0 - results.timings.embed_ms);
            }
            println!(
                "  {:<8} p50 {:>7.2} ms   p95 {:>7.2} ms   p99 {:>7.2} ms   (query embedding excluded)",
                format!("{mode:?}").to_lowercase(),
                percentile(&mut latencies, 50.0),
                percentile(&mut latencies, 95.0),
                percentile(&mut latencies, 99.0)
            );
        }
        println!("  {}", rss());
        first_search_of_a_new_process(scratch, &corpus.store, org, synthetic.as_ref(), &corpus.vocab).await?;
    }
    if let Some(model) = query_model {
        let mut times = Vec::new();
        let mut qrng = Rng(5);
        for _ in 0..50 {
            let q = vec![corpus.vocab.sentence(&mut qrng, 8)];
            let started = Instant::now();
            model.embed(&q, EmbedPurpose::Query).await?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        println!(
            "query embedding   p50 {:.2} ms   p95 {:.2} ms (local model, one short query at a time)",
            percentile(&mut times, 50.0),
            percentile(&mut times, 95.0)
        );
    }
    store.close().await;
    Ok(())
}
