//! The local provider: a sentence-transformers BERT or MPNet model run in-process.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use tokenizers::{PostProcessor, Tokenizer, TruncationDirection};

use crate::bert::{Bert, BertConfig, Pooling};
use crate::{EmbedError, EmbedPurpose, Embedder, MatrixKernel};

/// Longest input any BERT-family model here accepts, whatever its config claims.
const MAX_TOKENS_CAP: usize = 512;

/// Upper bound on tokens in one forward pass, counting each sequence as long as the
/// longest of its sub-batch. Measured with `examples/embed_throughput.rs` on MiniLM-L6,
/// 2 cores, int8 kernel: 512 and 1,024 were equally fast, 2,048 and 4,096 4–6 %
/// slower (larger intermediates fall out of cache and are allocated fresh each time).
const SUB_BATCH_TOKENS: usize = 1024;

/// A sentence-embedding model loaded from a folder, run on the CPU.
#[derive(Clone)]
pub struct LocalEmbedder {
    inner: Arc<LocalModel>,
    sub_batch_tokens: usize,
}

struct LocalModel {
    id: String,
    bert: Bert,
    /// Without padding or truncation: counts what a chunk of text really costs, and
    /// `embed` truncates to `max_tokens` before adding the special tokens. (One copy:
    /// a loaded tokenizer holds about 8 MB.)
    tokenizer: Tokenizer,
    /// The special tokens the tokenizer adds around a sequence (`[CLS]`/`[SEP]`).
    special_tokens: usize,
    max_tokens: usize,
    /// One single-threaded pool per core: sub-batches run side by side, each on
    /// one core, so the cores never wait on each other inside an operation.
    workers: Vec<rayon::ThreadPool>,
}

impl std::fmt::Debug for LocalEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalEmbedder")
            .field("model_id", &self.inner.id)
            .field("dimensions", &self.inner.bert.hidden_size())
            .field("max_tokens", &self.inner.max_tokens)
            .finish()
    }
}

#[derive(Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_cls_token: bool,
}

impl LocalEmbedder {
    /// Loads a model folder holding `config.json`, `tokenizer.json` and `model.safetensors`
    /// (and optionally sentence-transformers' `1_Pooling/config.json`), on the fastest
    /// kernel this CPU runs.
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        Self::load_with(dir, MatrixKernel::fastest())
    }

    /// Loads a model folder on `kernel` (the reference where this CPU cannot run it).
    pub fn load_with(dir: &Path, kernel: MatrixKernel) -> Result<Self, EmbedError> {
        let ModelFiles { config: config_path, tokenizer: tokenizer_path, weights: weights_path } = model_files(dir)?;
        let config = read_config(&config_path)?;
        let pooling = read_pooling(dir)?;
        let max_tokens = config.max_positions().min(MAX_TOKENS_CAP);

        let invalid_tokenizer = |message: String| EmbedError::InvalidModel { path: tokenizer_path.clone(), message };
        let mut tokenizer = Tokenizer::from_file(&tokenizer_path).map_err(|e| invalid_tokenizer(e.to_string()))?;
        // Model folders often ship a tokenizer.json that pads to a fixed length; we
        // batch and pad ourselves, and count tokens untruncated.
        tokenizer.with_padding(None);
        tokenizer.with_truncation(None).map_err(|e| invalid_tokenizer(e.to_string()))?;
        let special_tokens = tokenizer.get_post_processor().map_or(0, |p| p.added_tokens(false));
        if special_tokens >= max_tokens {
            return Err(invalid_tokenizer(format!("{special_tokens} special tokens leave no room in {max_tokens}")));
        }
        if tokenizer.get_vocab_size(true) > config.vocab_size {
            return Err(invalid_tokenizer(format!(
                "the tokenizer has {} tokens but the model only {}",
                tokenizer.get_vocab_size(true),
                config.vocab_size
            )));
        }

        let bert = Bert::load(&weights_path, &config, pooling, kernel)?;
        let id = model_id(dir);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let workers = (0..cores)
            .map(|i| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .thread_name(move |_| format!("embed-worker-{i}"))
                    .build()
                    .map_err(|e| EmbedError::Inference(format!("cannot start embedding threads: {e}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(LocalEmbedder {
            inner: Arc::new(LocalModel { id, bert, tokenizer, special_tokens, max_tokens, workers }),
            sub_batch_tokens: SUB_BATCH_TOKENS,
        })
    }

    /// The kernel the dense layers run on.
    pub fn kernel(&self) -> MatrixKernel {
        self.inner.bert.kernel()
    }

    /// The most tokens (including `[CLS]` and `[SEP]`) the model reads; longer texts are truncated.
    pub fn max_tokens(&self) -> usize {
        self.inner.max_tokens
    }

    /// How many tokens `text` has, without special tokens or truncation, for chunking:
    /// a chunk is read whole when `count_tokens(chunk) + 2 <= max_tokens()`.
    pub fn count_tokens(&self, text: &str) -> usize {
        // A tokenizer error can only come from a malformed tokenizer.json, which `load`
        // already parsed; fall back to a rough word count rather than fail chunking.
        self.inner
            .tokenizer
            .encode_fast(text, false)
            .map(|e| e.len())
            .unwrap_or_else(|_| text.split_whitespace().count())
    }

    /// Sets how many padded tokens one forward pass may hold (memory against speed).
    pub fn with_sub_batch_tokens(mut self, tokens: usize) -> Self {
        self.sub_batch_tokens = tokens.max(1);
        self
    }

    /// Embeds on the calling thread; `Embedder::embed` runs this on tokio's blocking pool.
    pub fn embed_blocking(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.inner.embed(texts, self.sub_batch_tokens)
    }
}

impl LocalModel {
    fn embed(&self, texts: &[String], sub_batch_tokens: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let inputs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let tokenizer_error = |e: tokenizers::Error| EmbedError::Tokenizer(e.to_string());
        let encodings = self
            .tokenizer
            .encode_batch_fast(inputs, false)
            .map_err(tokenizer_error)?
            .into_iter()
            .map(|mut encoding| {
                // What the model reads: the text's first tokens, then the special ones around them.
                encoding.truncate(self.max_tokens - self.special_tokens, 0, TruncationDirection::Right);
                encoding.take_overflowing();
                self.tokenizer.post_process(encoding, None, true).map_err(tokenizer_error)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<&[u32]> = encodings.iter().map(|e| e.get_ids()).collect();

        // Longest first: each sub-batch holds sequences of similar length, and the short
        // ones at the end even out the workers' finish.
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(ids[i].len()));
        let groups = sub_batches(&order, &ids, sub_batch_tokens);
        let run = |group: &[usize]| {
            let sequences: Vec<&[u32]> = group.iter().map(|&i| ids[i]).collect();
            self.bert.embed(&sequences)
        };
        let results: Vec<Result<Vec<Vec<f32>>, EmbedError>> = if groups.len() == 1 || self.workers.len() == 1 {
            // One forward pass (a query, a short document): let gemm spread it over every core.
            groups.iter().map(|g| run(g)).collect()
        } else {
            self.run_on_workers(&groups, &run)
        };
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); ids.len()];
        for (group, vectors) in groups.iter().zip(results) {
            for (&i, v) in group.iter().zip(vectors?) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    /// Runs sub-batches on the worker pools, each worker taking the next one when it is
    /// free (they come longest first, so the short ones at the end even out the finish).
    fn run_on_workers<R: Send>(&self, groups: &[&[usize]], run: &(dyn Fn(&[usize]) -> R + Sync)) -> Vec<R> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let done: Vec<Vec<(usize, R)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .workers
                .iter()
                .map(|pool| {
                    let next = &next;
                    scope.spawn(move || {
                        pool.install(|| {
                            let mut done = Vec::new();
                            loop {
                                let g = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                let Some(group) = groups.get(g) else { return done };
                                done.push((g, run(group)));
                            }
                        })
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
        });
        let mut done: Vec<(usize, R)> = done.into_iter().flatten().collect();
        done.sort_by_key(|(g, _)| *g);
        done.into_iter().map(|(_, r)| r).collect()
    }
}

/// Splits indices (sorted longest first) into runs whose padded size fits `budget` tokens.
fn sub_batches<'a>(order: &'a [usize], ids: &[&[u32]], budget: usize) -> Vec<&'a [usize]> {
    let mut groups = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let longest = ids[order[start]].len().max(1);
        let size = (budget / longest).max(1).min(order.len() - start);
        groups.push(&order[start..start + size]);
        start += size;
    }
    groups
}

/// The files a model folder must hold.
struct ModelFiles {
    config: PathBuf,
    tokenizer: PathBuf,
    weights: PathBuf,
}

/// Checks that `dir` is a folder holding the model's files, naming the first one missing.
fn model_files(dir: &Path) -> Result<ModelFiles, EmbedError> {
    if !dir.is_dir() {
        return Err(EmbedError::ModelFolderNotFound { folder: dir.to_path_buf() });
    }
    let file = |name: &'static str| -> Result<PathBuf, EmbedError> {
        let path = dir.join(name);
        if path.is_file() {
            Ok(path)
        } else {
            Err(EmbedError::MissingModelFile { folder: dir.to_path_buf(), file: name })
        }
    };
    Ok(ModelFiles {
        config: file("config.json")?,
        tokenizer: file("tokenizer.json")?,
        weights: file("model.safetensors")?,
    })
}

/// The id stored with the model's vectors: `local:` and the folder's name.
fn model_id(dir: &Path) -> String {
    let name = dir.canonicalize().ok().and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    format!("local:{}", name.unwrap_or_else(|| "model".into()))
}

fn read_config(path: &Path) -> Result<BertConfig, EmbedError> {
    let config: BertConfig = read_json(path)?;
    config.validate().map_err(|message| EmbedError::InvalidModel { path: path.to_path_buf(), message })?;
    Ok(config)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, EmbedError> {
    let invalid = |message: String| EmbedError::InvalidModel { path: path.to_path_buf(), message };
    let text = std::fs::read_to_string(path).map_err(|e| invalid(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))
}

fn read_pooling(dir: &Path) -> Result<Pooling, EmbedError> {
    let path = dir.join("1_Pooling").join("config.json");
    if !path.is_file() {
        return Ok(Pooling::Mean);
    }
    let config: PoolingConfig = read_json(&path)?;
    match (config.pooling_mode_mean_tokens, config.pooling_mode_cls_token) {
        (true, false) => Ok(Pooling::Mean),
        (false, true) => Ok(Pooling::Cls),
        _ => Err(EmbedError::InvalidModel {
            path,
            message: "only mean or CLS pooling (exactly one) is supported".into(),
        }),
    }
}

#[async_trait::async_trait]
impl Embedder for LocalEmbedder {
    fn model_id(&self) -> &str {
        &self.inner.id
    }

    fn dimensions(&self) -> usize {
        self.inner.bert.hidden_size()
    }

    /// MiniLM-style models embed queries and documents the same way, so `purpose` is ignored.
    async fn embed(&self, texts: &[String], _purpose: EmbedPurpose) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        // The forward pass is seconds of CPU work: keep it off the async workers.
        let (model, sub_batch_tokens) = (Arc::clone(&self.inner), self.sub_batch_tokens);
        let texts = texts.to_vec();
        tokio::task::spawn_blocking(move || model.embed(&texts, sub_batch_tokens))
            .await
            .map_err(|e| EmbedError::Inference(format!("embedding task failed: {e}")))?
    }
}

/// A local model that loads on first use, so a server that never searches by meaning, or has
/// not yet, does not hold the model's weights (about 90 MB for MiniLM) in memory. Creating one
/// checks the folder and reads `config.json`; a model that then fails to load fails every
/// embedding with the same error.
#[derive(Clone)]
pub struct LazyLocalEmbedder {
    dir: PathBuf,
    id: String,
    dimensions: usize,
    kernel: MatrixKernel,
    loaded: Arc<std::sync::OnceLock<Result<LocalEmbedder, String>>>,
}

impl std::fmt::Debug for LazyLocalEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyLocalEmbedder").field("dir", &self.dir).field("loaded", &self.is_loaded()).finish()
    }
}

impl LazyLocalEmbedder {
    /// Checks that `dir` holds a model (the files are there, the configuration is one we run).
    pub fn new(dir: &Path) -> Result<Self, EmbedError> {
        let config = read_config(&model_files(dir)?.config)?;
        Ok(LazyLocalEmbedder {
            dir: dir.to_path_buf(),
            id: model_id(dir),
            dimensions: config.hidden_size,
            kernel: MatrixKernel::fastest(),
            loaded: Arc::default(),
        })
    }

    /// Loads on `kernel` instead of the fastest this CPU runs (the reference, to compare).
    pub fn with_kernel(mut self, kernel: MatrixKernel) -> Self {
        self.kernel = kernel;
        self
    }

    /// Whether the weights are in memory yet.
    pub fn is_loaded(&self) -> bool {
        self.loaded.get().is_some()
    }

    /// The loaded model, loading it now (on the calling thread) if this is the first use.
    pub fn model(&self) -> Result<&LocalEmbedder, EmbedError> {
        let loaded = self.loaded.get_or_init(|| {
            let started = std::time::Instant::now();
            let model = LocalEmbedder::load_with(&self.dir, self.kernel).map_err(|e| e.to_string());
            match &model {
                Ok(model) => tracing::info!(
                    model = %self.id,
                    kernel = model.kernel().as_str(),
                    ms = started.elapsed().as_millis() as u64,
                    "embedding model loaded"
                ),
                Err(e) => tracing::error!(model = %self.id, error = %e, "the embedding model failed to load"),
            }
            model
        });
        loaded.as_ref().map_err(|message| EmbedError::InvalidModel { path: self.dir.clone(), message: message.clone() })
    }
}

#[async_trait::async_trait]
impl Embedder for LazyLocalEmbedder {
    fn model_id(&self) -> &str {
        &self.id
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    async fn embed(&self, texts: &[String], purpose: EmbedPurpose) -> Result<Vec<Vec<f32>>, EmbedError> {
        if !self.is_loaded() {
            let this = self.clone();
            tokio::task::spawn_blocking(move || this.model().map(|_| ()))
                .await
                .map_err(|e| EmbedError::Inference(format!("loading the model failed: {e}")))??;
        }
        self.model()?.embed(texts, purpose).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_batches_respect_the_token_budget_and_keep_every_index() {
        let lens = [500usize, 300, 300, 120, 100, 10, 3];
        let seqs: Vec<Vec<u32>> = lens.iter().map(|&n| vec![1; n]).collect();
        let ids: Vec<&[u32]> = seqs.iter().map(Vec::as_slice).collect();
        let order: Vec<usize> = (0..ids.len()).collect();
        let groups = sub_batches(&order, &ids, 700);
        assert_eq!(groups, vec![&[0][..], &[1, 2], &[3, 4, 5, 6]]);
        // A sequence longer than the budget still gets a batch of its own.
        assert_eq!(sub_batches(&order[..1], &ids, 100), vec![&[0][..]]);
    }
}
