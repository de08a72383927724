//! `wayfinder bench ingest`: ingestion without embeddings through the real job,
//! on the configured backend; optionally writes the chunks it made so a peer
//! (`bench/peers/run`) ingests exactly the same texts.

use std::io::Write;
use std::sync::Arc;

use anyhow::Context;
use wayfinder::config::Config;
use wayfinder_store::{Store, StoreOptions};

use crate::api::Scratch;
use crate::cli::BenchIngestArgs;
use crate::knowledge::{Corpus, SyntheticEmbedder, rss};

pub async fn run(config: &Config, args: &BenchIngestArgs) -> anyhow::Result<()> {
    Scratch::around(&config.database_url(), async |scratch| measure(scratch, args).await).await
}

async fn measure(scratch: &Scratch, args: &BenchIngestArgs) -> anyhow::Result<()> {
    let store = Store::connect(&StoreOptions { url: scratch.database_url.clone(), max_connections: 8 }).await?;
    store.migrate().await?;
    let embedder = Arc::new(SyntheticEmbedder::new(384));
    let mut corpus = Corpus::create(&store, embedder, args.chunk_tokens, &[]).await?;
    let growth = corpus.ingest_to(args.chunks).await?;
    let rate = growth.chunks as f64 / growth.ingest_seconds.max(1e-9);
    println!(
        "wayfinder ingestion ({}): {} chunks in {:.1} s: {rate:.0} chunks/s without embeddings; {}",
        scratch.backend,
        growth.chunks,
        growth.ingest_seconds,
        rss()
    );
    if let Some(path) = &args.chunks_out {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        );
        for document in store.list_documents(corpus.org, Some(corpus.collection)).await? {
            for chunk in store.document_chunks(corpus.org, document.id).await? {
                writeln!(out, "{}", serde_json::json!({ "text": chunk.text }))?;
            }
        }
        out.flush()?;
    }
    let mut result = serde_json::json!({"tool": "wayfinder", "backend": scratch.backend.to_string(),
                                        "chunks": growth.chunks, "seconds": growth.ingest_seconds, "chunks_per_s": rate});
    if args.vectors {
        let vectors = corpus.chunks as f64;
        let first = corpus.embed_missing().await?;
        println!(
            "vectors stored: {vectors:.0} in {first:.1} s: {:.0} vectors/s, index included; {}",
            vectors / first,
            rss()
        );
        let again = corpus.reembed_with(Arc::new(SyntheticEmbedder::named(384, "bench:synthetic-2"))).await?;
        println!(
            "re-embedded under another model: {vectors:.0} in {again:.1} s: {:.0} vectors/s; {}",
            vectors / again,
            rss()
        );
        result["vectors_per_s"] = serde_json::json!(vectors / first);
        result["reembed_vectors_per_s"] = serde_json::json!(vectors / again);
    }
    println!("RESULT {result}");
    store.close().await;
    Ok(())
}
