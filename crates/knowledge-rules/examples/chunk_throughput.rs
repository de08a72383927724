//! Measures chunking throughput on a large synthetic Markdown document (run with `--release`):
//! `cargo run --release --example chunk_throughput [megabytes]`. It prints figures; it asserts nothing.

use std::time::Instant;

use wayfinder_knowledge_rules::{ChunkingConfig, WordPieceEstimate, chunk_document, extract, lexical_terms};

const WORDS: &[&str] = &[
    "learning",
    "memory",
    "students",
    "practice",
    "retrieval",
    "spaced",
    "notes",
    "attention",
    "focus",
    "review",
    "the",
    "a",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "for",
    "with",
    "as",
    "on",
    "their",
    "by",
    "this",
    "example",
    "understanding",
    "concepts",
    "exam",
    "session",
    "teacher",
    "coach",
    "goal",
    "habit",
    "reading",
    "writing",
    "questions",
    "answers",
    "feedback",
    "motivation",
    "sleep",
    "schedule",
    "problem",
    "solution",
    "chapter",
];

/// A deterministic xorshift generator, so every run measures the same text.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn synthetic_markdown(bytes: usize) -> String {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut text = String::with_capacity(bytes + 1024);
    let mut chapter = 0;
    while text.len() < bytes {
        chapter += 1;
        text.push_str(&format!("# Chapter {chapter}\n\n"));
        for section in 1..=1 + rng.next(6) {
            text.push_str(&format!("## Section {chapter}.{section}\n\n"));
            for _ in 0..1 + rng.next(12) {
                for _ in 0..2 + rng.next(6) {
                    let length = 6 + rng.next(20);
                    for w in 0..length {
                        let word = WORDS[rng.next(WORDS.len())];
                        if w == 0 {
                            let mut chars = word.chars();
                            text.extend(chars.next().map(|c| c.to_ascii_uppercase()));
                            text.push_str(chars.as_str());
                        } else {
                            text.push(' ');
                            text.push_str(word);
                        }
                    }
                    text.push_str(if rng.next(5) == 0 { ", indeed. " } else { ". " });
                }
                text.push_str("\n\n");
            }
        }
    }
    text
}

fn main() {
    let megabytes: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20);
    let source = synthetic_markdown(megabytes * 1024 * 1024);

    let started = Instant::now();
    let document = extract("synthetic.md", source.as_bytes(), usize::MAX).expect("synthetic text extracts");
    let extract_time = started.elapsed();

    let config = ChunkingConfig::default();
    let started = Instant::now();
    let chunks = chunk_document(&document, &config, &WordPieceEstimate);
    let chunk_time = started.elapsed();

    // Worst case for the splitter: the same text as one long section, so every chunk is cut and overlapped.
    let flat = extract("synthetic.txt", source.replace('#', "").as_bytes(), usize::MAX).expect("text extracts");
    let started = Instant::now();
    let flat_chunks = chunk_document(&flat, &config, &WordPieceEstimate);
    let flat_time = started.elapsed();

    let started = Instant::now();
    let terms: usize = chunks.iter().map(|c| lexical_terms(&c.text).len()).sum();
    let terms_time = started.elapsed();

    let n = chunks.len() as f64;
    let tokens: u64 = chunks.iter().map(|c| u64::from(c.token_count)).sum();
    println!("input: {:.1} MiB Markdown, {} blocks", source.len() as f64 / 1048576.0, document.blocks.len());
    println!(
        "extract (markdown):  {:>8.3} s  {:>10.0} MiB/s",
        extract_time.as_secs_f64(),
        megabytes as f64 / extract_time.as_secs_f64()
    );
    println!(
        "chunk ({}/{}):     {:>8.3} s  {:>10.0} chunks/s  ({} chunks, mean {:.0} tokens)",
        config.target_tokens,
        config.overlap_tokens,
        chunk_time.as_secs_f64(),
        n / chunk_time.as_secs_f64(),
        chunks.len(),
        tokens as f64 / n
    );
    println!(
        "chunk, one section:  {:>8.3} s  {:>10.0} chunks/s  ({} chunks)",
        flat_time.as_secs_f64(),
        flat_chunks.len() as f64 / flat_time.as_secs_f64(),
        flat_chunks.len()
    );
    println!(
        "lexical_terms:       {:>8.3} s  {:>10.0} chunks/s  ({terms} terms)",
        terms_time.as_secs_f64(),
        n / terms_time.as_secs_f64()
    );
    let total = extract_time + chunk_time + terms_time;
    println!("extract + chunk + terms: {:.0} chunks/s", n / total.as_secs_f64());
}
