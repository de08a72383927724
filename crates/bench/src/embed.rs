//! `wayfinder bench embed`: the local model's speed on given passages, the
//! figure `bench/peers/run` sets beside sentence-transformers on PyTorch.

use std::time::Instant;

use anyhow::Context;
use serde::Deserialize;
use wayfinder_embeddings::{EmbedPurpose, Embedder, LocalEmbedder, MatrixKernel};

use crate::cli::BenchEmbedArgs;
use crate::knowledge::rss;

#[derive(Deserialize)]
struct Passage {
    text: String,
}

pub async fn run(args: &BenchEmbedArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let kernel = args.kernel.unwrap_or_else(MatrixKernel::fastest);
    let model =
        LocalEmbedder::load_with(&args.model, kernel).with_context(|| format!("loading {}", args.model.display()))?;
    let kernel = model.kernel().as_str();
    let load_seconds = started.elapsed().as_secs_f64();
    let text =
        std::fs::read_to_string(&args.passages).with_context(|| format!("reading {}", args.passages.display()))?;
    let passages: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Passage>(l).map(|p| p.text))
        .collect::<Result<_, _>>()
        .context("passages must be JSON lines {\"text\": \"...\"}")?;
    anyhow::ensure!(!passages.is_empty(), "no passages in {}", args.passages.display());
    let tokens: usize = passages.iter().map(|p| model.count_tokens(p).min(model.max_tokens())).sum();
    // Warm-up: the first pass allocates the intermediates.
    model.embed(&passages[..passages.len().min(32)], EmbedPurpose::Document).await?;
    let mut best = f64::INFINITY;
    for _ in 0..args.repeat.max(1) {
        let started = Instant::now();
        model.embed(&passages, EmbedPurpose::Document).await?;
        best = best.min(started.elapsed().as_secs_f64());
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rate = tokens as f64 / best;
    println!(
        "wayfinder local embedding ({kernel} kernel): {} passages, {tokens} tokens in {best:.2} s: {rate:.0} tokens/s \
         ({threads} threads, {} tokens at most per passage); model loaded in {load_seconds:.2} s; {}",
        passages.len(),
        model.max_tokens(),
        rss()
    );
    println!(
        "RESULT {}",
        serde_json::json!({
            "tool": format!("wayfinder ({kernel})"),
            "kernel": kernel,
            "tokens": tokens,
            "seconds": best,
            "tokens_per_s": rate,
            "threads": threads
        })
    );
    Ok(())
}
