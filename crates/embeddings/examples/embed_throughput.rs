//! Measures local embedding throughput on realistic passages.
//!
//! `cargo run --release --example embed_throughput -- MODEL_DIR [PASSAGES.jsonl] [--batch-tokens N] [--passages N] [--kernel int8|f32]`
//!
//! Builds 1,000 passages of 100–400 words, cut from the `text` field of a JSON-lines
//! file (by default the OpenStax College Success modules in `shared/data`) or, if no
//! file is available, from generated prose. Reports real tokens per second: padding
//! added inside sub-batches is not counted.

use std::path::PathBuf;
use std::time::Instant;

use wayfinder_embeddings::{LocalEmbedder, MatrixKernel};

const PASSAGES: usize = 1000;
const DEFAULT_CORPUS: &str = "/work/shared/data/openstax-college-success/modules_plaintext.jsonl";

fn main() {
    let mut args = std::env::args().skip(1);
    let mut model = None;
    let mut corpus = None;
    let mut batch_tokens = None;
    let mut count = PASSAGES;
    let mut kernel = MatrixKernel::fastest();
    while let Some(arg) = args.next() {
        if arg == "--kernel" {
            kernel = args.next().unwrap_or_default().parse().unwrap_or_else(|e: String| panic!("{e}"));
        } else if arg == "--batch-tokens" {
            batch_tokens = args.next().and_then(|n| n.parse::<usize>().ok());
        } else if arg == "--passages" {
            count = args.next().and_then(|n| n.parse::<usize>().ok()).unwrap_or(PASSAGES);
        } else if model.is_none() {
            model = Some(PathBuf::from(arg));
        } else {
            corpus = Some(PathBuf::from(arg));
        }
    }
    let model = model.unwrap_or_else(|| {
        eprintln!("usage: embed_throughput MODEL_DIR [PASSAGES.jsonl] [--batch-tokens N]");
        std::process::exit(2)
    });

    let started = Instant::now();
    let mut embedder = LocalEmbedder::load_with(&model, kernel).expect("load model");
    if let Some(n) = batch_tokens {
        embedder = embedder.with_sub_batch_tokens(n);
    }
    println!("loaded {} in {:.2?} ({} kernel)", model.display(), started.elapsed(), embedder.kernel().as_str());

    let words = corpus_words(corpus.unwrap_or_else(|| PathBuf::from(DEFAULT_CORPUS)));
    let passages = cut_passages(&words, count);
    let tokens: usize = passages.iter().map(|p| (embedder.count_tokens(p) + 2).min(embedder.max_tokens())).sum();
    let truncated = passages.iter().filter(|p| embedder.count_tokens(p) + 2 > embedder.max_tokens()).count();
    println!(
        "{} passages, {} words, {tokens} tokens after truncation to {} ({truncated} truncated)",
        passages.len(),
        passages.iter().map(|p| p.split_whitespace().count()).sum::<usize>(),
        embedder.max_tokens()
    );

    // Warm-up: first-touch page faults and thread-pool start-up are not throughput.
    embedder.embed_blocking(&passages[..16]).expect("warm-up");

    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let vectors = embedder.embed_blocking(&passages).expect("embed");
    let elapsed = started.elapsed();
    let cpu = cpu_seconds().zip(cpu_before).map(|(after, before)| after - before);
    assert_eq!(vectors.len(), passages.len());
    println!(
        "embedded in {elapsed:.2?}: {:.0} tokens/s, {:.1} passages/s",
        tokens as f64 / elapsed.as_secs_f64(),
        passages.len() as f64 / elapsed.as_secs_f64()
    );
    if let Some(cpu) = cpu {
        // Below the core count means threads waited (or another process had the cores).
        println!(
            "process CPU time {cpu:.1}s = {:.2} cores busy; {:.0} tokens per CPU-second",
            cpu / elapsed.as_secs_f64(),
            tokens as f64 / cpu
        );
    }
}

/// User + system CPU seconds of this process so far (Linux only).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Words of the corpus file, or of generated prose if it cannot be read.
fn corpus_words(path: PathBuf) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("{} not readable: using generated prose", path.display());
        return generated_words(400_000);
    };
    let mut words = Vec::new();
    for line in text.lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON object per line");
        if let Some(t) = value["text"].as_str() {
            words.extend(t.split_whitespace().map(str::to_owned));
        }
    }
    println!("corpus: {} ({} words)", path.display(), words.len());
    words
}

/// Cuts `n` passages of 100–400 words, wrapping around the corpus if needed.
fn cut_passages(words: &[String], n: usize) -> Vec<String> {
    let mut rng = Lcg(42);
    let mut at = 0;
    (0..n)
        .map(|_| {
            let len = 100 + rng.below(301);
            let passage: Vec<&str> = (0..len).map(|i| words[(at + i) % words.len()].as_str()).collect();
            at = (at + len) % words.len();
            passage.join(" ")
        })
        .collect()
}

/// Plausible study-skills prose from a small vocabulary, for machines without the corpus.
fn generated_words(n: usize) -> Vec<String> {
    const SUBJECTS: &[&str] = &["students", "a learner", "the tutor", "each group", "many readers", "the class"];
    const VERBS: &[&str] = &["reviews", "summarises", "questions", "plans", "compares", "practises", "explains"];
    const OBJECTS: &[&str] = &[
        "the lecture notes",
        "a difficult chapter",
        "their weekly schedule",
        "the main argument",
        "several worked examples",
        "an upcoming exam",
    ];
    const TAILS: &[&str] = &[
        "before the next session.",
        "with a partner, taking turns to ask questions.",
        "because spaced repetition improves recall.",
        "and writes a short reflection afterwards.",
        "while keeping track of time and energy.",
    ];
    let mut rng = Lcg(7);
    let mut words = Vec::with_capacity(n);
    while words.len() < n {
        for part in [SUBJECTS, VERBS, OBJECTS, TAILS] {
            words.extend(part[rng.below(part.len())].split(' ').map(str::to_owned));
        }
    }
    words
}

/// A tiny deterministic generator so every run measures the same input.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}
