//! The command line: the same global flags as `wayfinder`, then one benchmark.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use wayfinder::GlobalArgs;

/// Wayfinder's performance measurements: they start their own server or
/// services on a throwaway database and print figures (they assert nothing).
/// Also reachable as `wayfinder bench …` when this program sits beside `wayfinder`.
#[derive(Parser)]
#[command(name = "wayfinder-bench", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: BenchCommand,
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Load-test `GET /api/v1/me` with a bearer token and report req/s, latency and memory.
    Api(BenchApiArgs),
    /// Knowledge base: ingestion throughput, local embedding speed, and search
    /// latency (lexical, dense, hybrid) at growing corpus sizes, with memory.
    Knowledge(BenchKnowledgeArgs),
    /// Coach: the time a turn takes besides the model (history, rewrite, routing,
    /// retrieval, prompt, citations, storage) on a synthetic corpus.
    Coach(BenchCoachArgs),
    /// Local embedding speed on given passages (JSON lines `{"text": …}`), best of a few
    /// runs: the figure `bench/peers/run` sets beside sentence-transformers'.
    Embed(BenchEmbedArgs),
    /// Ingestion without embeddings into a synthetic collection, through the real job;
    /// can write the chunks it made so a peer can ingest exactly the same texts.
    Ingest(BenchIngestArgs),
    /// Learning at an organisation's scale: evidence writes, paths, next steps and a
    /// coach's overview on a synthetic curriculum, learners and evidence history.
    Learning(BenchLearningArgs),
    /// Dashboards at an organisation's scale: every insights endpoint, the CSV export of every
    /// message, and what keeping the rollups adds to a write, on a year of synthetic activity.
    Analytics(BenchAnalyticsArgs),
    /// Live connections, fan-out between instances, outbox throughput and the nudge scheduler.
    Realtime(BenchRealtimeArgs),
    /// Spoken interviews at once: from an utterance's end to its transcript, and memory per interview.
    Voice(BenchVoiceArgs),
}

/// `wayfinder-bench analytics` options (smaller values make a quick run).
#[derive(Args, Clone)]
pub struct BenchAnalyticsArgs {
    #[arg(long, default_value_t = 10_000)]
    pub learners: usize,
    #[arg(long, default_value_t = 300)]
    pub coaches: usize,
    /// Messages (questions and answers) over the period.
    #[arg(long, default_value_t = 1_000_000)]
    pub messages: usize,
    /// Graded answers (evidence) over the period.
    #[arg(long, default_value_t = 2_000_000)]
    pub evidence: usize,
    /// Days of history, ending today.
    #[arg(long, default_value_t = 365)]
    pub days: i64,
    /// Measured calls per endpoint (one at a time, after a few unmeasured).
    #[arg(long, default_value_t = 200)]
    pub requests: usize,
    /// Seed of the synthetic data (the same seed builds the same organisation).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Keep the loaded database and print its URL, for `--reuse`.
    #[arg(long)]
    pub keep: bool,
    /// Measure the organisation a `--keep` run loaded into this database URL, without loading.
    #[arg(long, value_name = "DATABASE_URL", conflicts_with = "keep")]
    pub reuse: Option<String>,
}

/// `wayfinder-bench learning` options (smaller values make a quick run).
#[derive(Args, Clone)]
pub struct BenchLearningArgs {
    /// Concepts in the synthetic curriculum (split over five programs).
    #[arg(long, default_value_t = 5_000)]
    pub concepts: usize,
    /// Learners (200 of them followed by the measured coach).
    #[arg(long, default_value_t = 10_000)]
    pub learners: usize,
    /// Evidence rows in the learners' history.
    #[arg(long, default_value_t = 2_000_000)]
    pub evidence: usize,
    /// Measured calls per operation (one at a time).
    #[arg(long, default_value_t = 500)]
    pub requests: usize,
    /// Seed of the synthetic data (the same seed builds the same organisation).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// `wayfinder-bench embed` options.
#[derive(Args, Clone)]
pub struct BenchEmbedArgs {
    /// The local embedding model folder.
    #[arg(long)]
    pub model: PathBuf,
    /// JSON lines, one passage `{"text": "..."}` per line.
    #[arg(long)]
    pub passages: PathBuf,
    /// Timed runs over all passages; the fastest is reported.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// The matrix kernel: `int8` (where the CPU has AVX-512 VNNI) or `f32` (the reference);
    /// default: the fastest this CPU runs.
    #[arg(long)]
    pub kernel: Option<wayfinder_embeddings::MatrixKernel>,
}

/// `wayfinder-bench ingest` options.
#[derive(Args, Clone)]
pub struct BenchIngestArgs {
    /// Chunks to ingest.
    #[arg(long, default_value_t = 100_000)]
    pub chunks: usize,
    /// Target tokens per synthetic chunk.
    #[arg(long, default_value_t = 200)]
    pub chunk_tokens: i64,
    /// Write every chunk's text to this file as JSON lines `{"text": "..."}`.
    #[arg(long)]
    pub chunks_out: Option<PathBuf>,
    /// Then store a vector for every chunk through the embedding job (synthetic 384-dimension
    /// vectors, so the figure is the store's: on PostgreSQL, rows and the HNSW index), and
    /// re-embed the whole collection under another model as after a model change.
    #[arg(long)]
    pub vectors: bool,
}

/// `wayfinder-bench coach` options.
#[derive(Args, Clone)]
pub struct BenchCoachArgs {
    /// Chunks in the synthetic corpus.
    #[arg(long, default_value_t = 100_000)]
    pub chunks: usize,
    /// Measured turns per pass (with a model, then without).
    #[arg(long, default_value_t = 200)]
    pub turns: usize,
    /// Target tokens per synthetic chunk.
    #[arg(long, default_value_t = 200)]
    pub chunk_tokens: i64,
}

/// `wayfinder-bench knowledge` options.
#[derive(Args, Clone)]
pub struct BenchKnowledgeArgs {
    /// Corpus sizes (chunks) to measure search at, ascending.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    pub sizes: Vec<usize>,
    /// Searches per mode and size (one at a time).
    #[arg(long, default_value_t = 200)]
    pub queries: usize,
    /// Target tokens per synthetic chunk.
    #[arg(long, default_value_t = 200)]
    pub chunk_tokens: i64,
    /// A local embedding model folder: measures embedding speed and uses it for query vectors.
    #[arg(long)]
    pub embedding_model: Option<PathBuf>,
    /// Passages embedded for the embedding-speed figure.
    #[arg(long, default_value_t = 400)]
    pub embed_passages: usize,
}

/// `wayfinder-bench api` options.
#[derive(Args, Clone)]
pub struct BenchApiArgs {
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Seconds of measured load (after a one-second warm-up).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
}

/// `wayfinder-bench realtime` options.
#[derive(Args, Clone)]
pub struct BenchRealtimeArgs {
    /// Idle live connections opened against the server.
    #[arg(long, default_value_t = 10_000)]
    pub connections: usize,
    /// Events timed from one socket to another.
    #[arg(long, default_value_t = 300)]
    pub events: usize,
    /// Messages sent through the outbox to the fake Bot API.
    #[arg(long, default_value_t = 5_000)]
    pub messages: usize,
    /// Inactive learners the nudge scheduler decides about.
    #[arg(long, default_value_t = 100_000)]
    pub people: usize,
}

/// `wayfinder-bench voice` options.
#[derive(Args, Clone)]
pub struct BenchVoiceArgs {
    /// Interviews speaking at once, each on its own socket.
    #[arg(long, default_value_t = 50)]
    pub interviews: usize,
    /// Utterances each interview speaks.
    #[arg(long, default_value_t = 5)]
    pub utterances: usize,
    /// Length of each utterance, in seconds.
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// The recorder's chunk length (sent at this pace), in milliseconds.
    #[arg(long, default_value_t = 250)]
    pub chunk_ms: u64,
    /// The speech model's own time per transcription (the fake server waits this long).
    #[arg(long, default_value_t = 300)]
    pub model_ms: u64,
}
