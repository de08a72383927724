//! `wayfinder eval retrieval`: loads a BEIR-format dataset into a throwaway
//! organisation on the configured backend, runs every query through the same
//! search the API uses, and prints nDCG@10, recall@10, recall@100, MRR@10 and
//! query latency — so anyone can reproduce the quality figures.

use super::{read_jsonl, throwaway_slug};
use crate::{cli::EvalRetrievalArgs, config::Config, knowledge};
use anyhow::{Context, bail};
use serde::Deserialize;
use std::{
    collections::{HashMap, HashSet},
    time::Instant,
};
use wayfinder_knowledge::{
    CollectionSpec, IngestLimits, JobWorker, KnowledgeBase, SearchMode, SearchRequest, UploadFile,
};
use wayfinder_knowledge_rules::{Fusion, metrics};

#[derive(Deserialize)]
struct CorpusLine {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    title: String,
    text: String,
}

#[derive(Deserialize)]
struct QueryLine {
    #[serde(rename = "_id")]
    id: String,
    text: String,
}

fn read_qrels(path: &std::path::Path) -> anyhow::Result<HashMap<String, metrics::Judgements>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut qrels: HashMap<String, metrics::Judgements> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 || (i == 0 && cols[2].parse::<u32>().is_err()) {
            continue;
        }
        let grade: u32 = cols[2].trim().parse().with_context(|| format!("{} line {}", path.display(), i + 1))?;
        qrels.entry(cols[0].to_string()).or_default().insert(cols[1].to_string(), grade);
    }
    Ok(qrels)
}

/// Parses `rrf`, `rrf:60`, `convex`, `convex:0.4`.
pub fn parse_fusion(text: &str) -> anyhow::Result<Fusion> {
    let (name, value) = text.split_once(':').map_or((text, None), |(n, v)| (n, Some(v)));
    let value =
        value.map(|v| v.parse::<f32>().with_context(|| format!("bad number in fusion {text:?}"))).transpose()?;
    match name {
        "rrf" => Ok(Fusion::Rrf { k: value.unwrap_or(60.0) }),
        "convex" => Ok(Fusion::Convex { dense_weight: value.unwrap_or(0.5) }),
        _ => bail!("unknown fusion {text:?}: use rrf[:K] or convex[:W]"),
    }
}

/// Figures for one mode.
struct ModeReport {
    label: String,
    ndcg10: f64,
    recall10: f64,
    recall100: f64,
    mrr10: f64,
    latency_ms: Vec<f64>,
    embed_ms: Vec<f64>,
}

/// A search of the whole corpus.
fn whole_corpus(query: &str, mode: SearchMode, k: usize) -> SearchRequest {
    SearchRequest { query: query.to_string(), collections: None, domains: None, documents: None, k, mode }
}

/// Runs the evaluation.
pub async fn run(config: &Config, args: EvalRetrievalArgs) -> anyhow::Result<()> {
    let mut config_for_model = config.clone_for_eval();
    if let Some(dir) = &args.embedding_model {
        config_for_model.embedding_model_dir = Some(dir.clone());
        config_for_model.embedding_provider = crate::config::EmbeddingProvider::Local;
    }
    let corpus: Vec<CorpusLine> = read_jsonl(&args.corpus)?;
    let queries: Vec<QueryLine> = read_jsonl(&args.queries)?;
    let qrels = read_qrels(&args.qrels)?;
    let queries: Vec<QueryLine> = queries.into_iter().filter(|q| qrels.contains_key(&q.id)).collect();
    if queries.is_empty() {
        bail!("no query has relevance judgements");
    }
    let store = crate::open_migrated(config).await?;
    let kb = knowledge::knowledge_base(&config_for_model, store.clone())?;
    let kb = kb.with_limits(IngestLimits {
        max_files: corpus.len().max(1),
        max_file_bytes: 64 * 1024 * 1024,
        ..IngestLimits::default()
    });
    let model = kb.embedding_model().map(str::to_string);
    outln!(
        "wayfinder eval retrieval — backend {:?}, {} documents, {} queries, embedding model {}",
        store.backend(),
        corpus.len(),
        queries.len(),
        model.as_deref().unwrap_or("none")
    );

    // A throwaway organisation holds the corpus.
    let slug = throwaway_slug();
    let org = store.create_org(&slug, "Retrieval evaluation").await?;
    let result = measure(&kb, org.id, &corpus, &queries, &qrels, &args).await;
    if args.keep {
        outln!("kept organisation {slug}");
    } else {
        for collection in store.list_collections(org.id).await? {
            store.delete_collection(org.id, collection.id).await?;
        }
        store.delete_org(org.id).await?;
    }
    result
}

async fn measure(
    kb: &KnowledgeBase,
    org: wayfinder_accounts_rules::OrgId,
    corpus: &[CorpusLine],
    queries: &[QueryLine],
    qrels: &HashMap<String, metrics::Judgements>,
    args: &EvalRetrievalArgs,
) -> anyhow::Result<()> {
    let collection = kb.create_collection(org, CollectionSpec { name: "corpus".into(), ..Default::default() }).await?;
    // Each BEIR document becomes a Markdown file: its title is the heading.
    let files: Vec<UploadFile> = corpus
        .iter()
        .map(|d| UploadFile {
            filename: format!("{}.md", d.id),
            domains: Vec::new(),
            content: if d.title.trim().is_empty() {
                d.text.clone()
            } else {
                format!("# {}\n\n{}", d.title.trim(), d.text)
            }
            .into_bytes(),
        })
        .collect();
    let started = Instant::now();
    let job = kb.queue_ingest(org, collection.id, None, files).await?;
    let worker = JobWorker::new(kb.clone(), chrono::Duration::seconds(60));
    let ended = worker.run_one(job.id).await.context("the ingestion job was taken by another worker")?;
    let took = started.elapsed().as_secs_f64();
    let chunks = kb.store().count_chunks(org, Some(collection.id)).await?;
    let failed = kb
        .store()
        .job_files(job.id)
        .await?
        .into_iter()
        .filter(|f| f.state == wayfinder_store::JobFileState::Failed)
        .count();
    outln!(
        "ingested {chunks} chunks in {took:.1} s ({:.0} chunks/s including embedding); {failed} files failed; job {}",
        chunks as f64 / took,
        ended.state
    );

    // Chunk → BEIR document id, from the source file name.
    let documents = kb.store().list_documents(org, Some(collection.id)).await?;
    let doc_of: HashMap<_, String> =
        documents.iter().map(|d| (d.id, d.source_name.trim_end_matches(".md").to_string())).collect();

    let modes: Vec<SearchMode> = match args.mode.as_str() {
        "all" if kb.embedding_model().is_some() => vec![SearchMode::Lexical, SearchMode::Dense, SearchMode::Hybrid],
        "all" => vec![SearchMode::Lexical],
        "hybrid" => vec![SearchMode::Hybrid],
        "lexical" => vec![SearchMode::Lexical],
        "dense" => vec![SearchMode::Dense],
        other => bail!("unknown mode {other:?}"),
    };
    let mut runs: Vec<(String, SearchMode, Fusion)> = Vec::new();
    let main_fusion = parse_fusion(&args.fusion)?;
    for mode in modes {
        runs.push((format!("{mode:?}").to_lowercase(), mode, main_fusion));
        if mode == SearchMode::Hybrid {
            for extra in args.compare_fusions.iter().flat_map(|s| s.split(',')) {
                let fusion = parse_fusion(extra.trim())?;
                runs.push((format!("hybrid {extra}"), mode, fusion));
            }
        }
    }
    let mut reports = Vec::new();
    for (label, mode, fusion) in &runs {
        let (mode, kb) = (*mode, kb.clone().with_fusion(*fusion));
        let mut report = ModeReport {
            label: label.clone(),
            ndcg10: 0.0,
            recall10: 0.0,
            recall100: 0.0,
            mrr10: 0.0,
            latency_ms: vec![],
            embed_ms: vec![],
        };
        for query in queries {
            let t = Instant::now();
            let results = kb.search(org, &whole_corpus(&query.text, mode, 100)).await?;
            report.latency_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            report.embed_ms.push(results.timings.embed_ms);
            let mut seen = HashSet::new();
            let ranked: Vec<String> = results
                .hits
                .iter()
                .filter_map(|h| doc_of.get(&h.chunk.document).cloned())
                .filter(|d| seen.insert(d.clone()))
                .collect();
            let judged = &qrels[&query.id];
            report.ndcg10 += metrics::ndcg_at(&ranked, judged, 10);
            report.recall10 += metrics::recall_at(&ranked, judged, 10);
            report.recall100 += metrics::recall_at(&ranked, judged, 100);
            report.mrr10 += metrics::mrr_at(&ranked, judged, 10);
        }
        let n = queries.len() as f64;
        report.ndcg10 /= n;
        report.recall10 /= n;
        report.recall100 /= n;
        report.mrr10 /= n;
        reports.push(report);
    }
    outln!(
        "{:<18} {:>8} {:>10} {:>11} {:>7} {:>9} {:>9} {:>9} {:>12}",
        "mode",
        "nDCG@10",
        "recall@10",
        "recall@100",
        "MRR@10",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "embed p50"
    );
    for mut r in reports {
        let (p50, p95, p99) = (
            metrics::percentile(&mut r.latency_ms, 50.0),
            metrics::percentile(&mut r.latency_ms, 95.0),
            metrics::percentile(&mut r.latency_ms, 99.0),
        );
        let embed = metrics::percentile(&mut r.embed_ms, 50.0);
        outln!(
            "{:<18} {:>8.4} {:>10.4} {:>11.4} {:>7.4} {:>9.2} {:>9.2} {:>9.2} {:>12.2}",
            r.label,
            r.ndcg10,
            r.recall10,
            r.recall100,
            r.mrr10,
            p50,
            p95,
            p99,
            embed
        );
    }
    outln!(
        "(latency is the whole search at k = 100, query embedding included; `embed p50` is the query embedding alone)"
    );
    for (label, mode, fusion) in &runs {
        let kb = kb.clone().with_fusion(*fusion);
        for &k in &args.latency_k {
            let (mut latency_ms, mut ranking_ms) =
                (Vec::with_capacity(queries.len()), Vec::with_capacity(queries.len()));
            for query in queries {
                let t = Instant::now();
                let results = kb.search(org, &whole_corpus(&query.text, *mode, k)).await?;
                latency_ms.push(t.elapsed().as_secs_f64() * 1000.0);
                ranking_ms.push(results.timings.lexical_ms.max(results.timings.embed_ms + results.timings.dense_ms));
            }
            outln!(
                "latency {label} k = {k}: p50 {:.2} ms   p95 {:.2} ms   p99 {:.2} ms   (ranking alone: p50 {:.2} ms   p95 {:.2} ms)",
                metrics::percentile(&mut latency_ms, 50.0),
                metrics::percentile(&mut latency_ms, 95.0),
                metrics::percentile(&mut latency_ms, 99.0),
                metrics::percentile(&mut ranking_ms, 50.0),
                metrics::percentile(&mut ranking_ms, 95.0),
            );
        }
    }
    Ok(())
}
