//! A BERT-family encoder (BERT, MPNet) for inference on the CPU: the dense layers' products run on
//! the int8 kernel in `int8.rs` where the CPU has it, else (and as the reference)
//! on f32 gemm (`matmul.rs`), which also does attention's products
//! (`attention.rs`); the fused kernels in `kernels.rs` do everything between them.
//! The weights are read one at a time (`weights.rs`) and re-laid out (and
//! quantised) once at load time so the forward pass does the least work; the token
//! table stays in the file, read a row at a time. A batch's sequences are packed
//! one after another, without padding.

use std::path::Path;

use serde::Deserialize;

use crate::attention::{self, Heads, RelativePositionBias};
use crate::int8::Int8Dense;
use crate::kernels::{self, LayerNormParams};
use crate::matmul::{Strided, Threads, product};
use crate::weights::{RowsOnDisk, WeightFile, transpose};
use crate::{EmbedError, MatrixKernel};

/// The fields of a Hugging Face `config.json` that a BERT or MPNet encoder needs.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    #[serde(default = "default_layer_norm_eps")]
    pub layer_norm_eps: f64,
    #[serde(default = "default_hidden_act")]
    pub hidden_act: String,
    #[serde(default)]
    pub model_type: Option<String>,
    #[serde(default)]
    pub position_embedding_type: Option<String>,
    /// BERT: rows of the token-type table (only type 0 is used).
    #[serde(default = "default_type_vocab_size")]
    pub type_vocab_size: usize,
    /// MPNet: the padding token's id, from which position ids count.
    #[serde(default)]
    pub pad_token_id: Option<usize>,
    /// MPNet: how many distance buckets its attention bias has.
    #[serde(default)]
    pub relative_attention_num_buckets: Option<usize>,
}

/// The encoders this crate runs. They share the layer (attention, feed-forward,
/// residual layer norms) and differ around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Architecture {
    /// BERT: positions from 0, a token-type embedding, plain attention.
    Bert,
    /// MPNet: positions counted from the padding id + 1 (RoBERTa's convention), no
    /// token types, and a learned bias on the attention scores by relative distance.
    MPNet,
}

fn default_layer_norm_eps() -> f64 {
    1e-12
}

fn default_type_vocab_size() -> usize {
    2
}

fn default_hidden_act() -> String {
    "gelu".to_owned()
}

impl BertConfig {
    /// The encoder this configuration describes; refuses those this crate would
    /// silently get wrong (RoBERTa's and DistilBERT's weights would load as garbage).
    pub fn architecture(&self) -> Result<Architecture, String> {
        match self.model_type.as_deref() {
            None | Some("bert") => Ok(Architecture::Bert),
            Some("mpnet") => Ok(Architecture::MPNet),
            Some(kind) => Err(format!("model_type {kind:?} is not supported (only BERT and MPNet encoders are)")),
        }
    }

    /// Rows of the position table a token's position skips: MPNet counts from the
    /// padding id + 1.
    pub fn position_offset(&self) -> usize {
        match self.architecture() {
            Ok(Architecture::MPNet) => self.pad_token_id.map_or(0, |pad| pad + 1),
            _ => 0,
        }
    }

    /// The most tokens a sequence may have, special tokens included.
    pub fn max_positions(&self) -> usize {
        self.max_position_embeddings.saturating_sub(self.position_offset())
    }

    /// Refuses configurations this encoder would silently get wrong.
    pub fn validate(&self) -> Result<(), String> {
        let architecture = self.architecture()?;
        if architecture == Architecture::MPNet {
            if self.pad_token_id.is_none() {
                return Err("an MPNet configuration needs pad_token_id".into());
            }
            if !self.relative_attention_num_buckets.is_some_and(|b| (4..=256).contains(&b) && b % 4 == 0) {
                return Err(
                    "an MPNet configuration needs relative_attention_num_buckets, a multiple of 4 up to 256".into()
                );
            }
        }
        if let Some(kind) = self.position_embedding_type.as_deref().filter(|k| *k != "absolute") {
            return Err(format!("position_embedding_type {kind:?} is not supported (only \"absolute\" is)"));
        }
        if self.hidden_act != "gelu" {
            return Err(format!("hidden_act {:?} is not supported (only the exact \"gelu\" is)", self.hidden_act));
        }
        if self.num_attention_heads == 0 || !self.hidden_size.is_multiple_of(self.num_attention_heads) {
            return Err(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            ));
        }
        if self.num_hidden_layers == 0 || self.intermediate_size == 0 || self.max_positions() == 0 {
            return Err("num_hidden_layers, intermediate_size and max_position_embeddings must be positive".into());
        }
        Ok(())
    }
}

/// How token vectors become one sentence vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pooling {
    /// Average of the token vectors under the attention mask (sentence-transformers' default).
    Mean,
    /// The `[CLS]` token's vector.
    Cls,
}

/// A dense layer; the bias is added by the fused kernel that follows the product.
struct Dense {
    product: Product,
    bias: Vec<f32>,
}

/// How a dense layer multiplies.
enum Product {
    /// The weight `(in, out)` row-major, so `x · w` needs no transpose.
    F32 {
        weight: Vec<f32>,
        inputs: usize,
        outputs: usize,
    },
    Int8(Int8Dense),
}

impl Dense {
    /// `x · W` for `x` of `rows × in`, as `rows × out` values.
    fn product(&self, x: &[f32], rows: usize) -> Vec<f32> {
        match &self.product {
            Product::F32 { weight, inputs, outputs } => {
                let (inputs, outputs) = (*inputs, *outputs);
                if rows == 0 {
                    return Vec::new();
                }
                let mut out = vec![0f32; rows * outputs];
                let (w, dense) = (Strided::dense(outputs), Strided::dense(inputs));
                product(&mut out, w, x, dense, weight, w, (rows, outputs, inputs), Threads::Pool);
                out
            }
            Product::Int8(weight) => weight.matmul(x),
        }
    }

    /// A layer from its f32 weight `(in, out)`, quantised when `kernel` is int8 and
    /// this CPU runs it.
    fn new(weight: Vec<f32>, inputs: usize, bias: Vec<f32>, kernel: MatrixKernel) -> Dense {
        let outputs = bias.len();
        if kernel == MatrixKernel::Int8
            && let Some(quantised) = Int8Dense::for_this_cpu(&weight, inputs, outputs)
        {
            return Dense { product: Product::Int8(quantised), bias };
        }
        Dense { product: Product::F32 { weight, inputs, outputs }, bias }
    }
}

/// Where each architecture keeps a layer's attention weights, under `encoder.layer.N.`
/// (the feed-forward's are named alike in both).
struct LayerNames {
    query: &'static str,
    key: &'static str,
    value: &'static str,
    attention_out: &'static str,
    attention_norm: &'static str,
}

impl LayerNames {
    fn of(architecture: Architecture) -> Self {
        match architecture {
            Architecture::Bert => LayerNames {
                query: "attention.self.query",
                key: "attention.self.key",
                value: "attention.self.value",
                attention_out: "attention.output.dense",
                attention_norm: "attention.output.LayerNorm",
            },
            Architecture::MPNet => LayerNames {
                query: "attention.attn.q",
                key: "attention.attn.k",
                value: "attention.attn.v",
                attention_out: "attention.attn.o",
                attention_norm: "attention.LayerNorm",
            },
        }
    }
}

struct Layer {
    /// Query, key and value in one matmul; the query part is pre-scaled by 1/√head_dim.
    qkv: Dense,
    attention_out: Dense,
    attention_norm: LayerNormParams,
    intermediate: Dense,
    output: Dense,
    output_norm: LayerNormParams,
}

/// The encoder with its weights on the CPU.
pub(crate) struct Bert {
    /// `(vocab, hidden)`, row per token id, read from the weights file as needed.
    word_embeddings: RowsOnDisk,
    /// `(max_positions, hidden)` from a sequence's first token on, with BERT's type-0
    /// token-type embedding already added: we only ever encode single sentences, so
    /// every token has type 0.
    position_embeddings: Vec<f32>,
    embedding_norm: LayerNormParams,
    layers: Vec<Layer>,
    /// MPNet's bias on attention scores, shared by every layer.
    position_bias: Option<RelativePositionBias>,
    hidden: usize,
    heads: usize,
    pooling: Pooling,
    kernel: MatrixKernel,
}

/// Weights by name, accepting both bare (`embeddings.…`) and prefixed (`bert.…`,
/// `mpnet.…`) checkpoints.
struct Weights {
    file: WeightFile,
    prefix: &'static str,
}

impl Weights {
    fn vec(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, String> {
        self.file.f32(&format!("{}{name}", self.prefix), shape)
    }

    fn contains(&self, name: &str) -> bool {
        self.file.contains(&format!("{}{name}", self.prefix))
    }

    fn rows_on_disk(&self, name: &str, rows: usize, width: usize) -> Result<RowsOnDisk, String> {
        self.file.rows_on_disk(&format!("{}{name}", self.prefix), rows, width)
    }

    /// Older checkpoints name layer-norm parameters `gamma`/`beta`.
    fn layer_norm(&self, name: &str, size: usize, eps: f64) -> Result<LayerNormParams, String> {
        let weight =
            self.vec(&format!("{name}.weight"), &[size]).or_else(|_| self.vec(&format!("{name}.gamma"), &[size]))?;
        let bias =
            self.vec(&format!("{name}.bias"), &[size]).or_else(|_| self.vec(&format!("{name}.beta"), &[size]))?;
        Ok(LayerNormParams { weight, bias, eps: eps as f32 })
    }

    /// A PyTorch `Linear` stores `(out, in)`; we keep `(in, out)` contiguous.
    fn linear(&self, name: &str, input: usize, output: usize) -> Result<(Vec<f32>, Vec<f32>), String> {
        let weight = self.vec(&format!("{name}.weight"), &[output, input])?;
        let bias = self.vec(&format!("{name}.bias"), &[output])?;
        Ok((transpose(&weight, output, input), bias))
    }
}

impl Bert {
    /// Loads the weights from `model.safetensors` and re-lays them out for inference,
    /// quantising the dense layers when `kernel` is int8 and this CPU runs it.
    pub fn load(
        weights_path: &Path,
        config: &BertConfig,
        pooling: Pooling,
        kernel: MatrixKernel,
    ) -> Result<Self, EmbedError> {
        let invalid = |message: String| EmbedError::InvalidModel { path: weights_path.to_path_buf(), message };
        let file = WeightFile::open(weights_path).map_err(|e| invalid(format!("cannot read weights: {e}")))?;
        let architecture = config.architecture().map_err(invalid)?;
        let prefix = match architecture {
            _ if file.contains("embeddings.word_embeddings.weight") => "",
            Architecture::Bert => "bert.",
            Architecture::MPNet => "mpnet.",
        };
        let w = Weights { file, prefix };
        Self::from_weights(&w, config, pooling, kernel.or_reference()).map_err(invalid)
    }

    fn from_weights(w: &Weights, c: &BertConfig, pooling: Pooling, kernel: MatrixKernel) -> Result<Self, String> {
        let architecture = c.architecture()?;
        let names = LayerNames::of(architecture);
        let h = c.hidden_size;
        let word_embeddings = w.rows_on_disk("embeddings.word_embeddings.weight", c.vocab_size, h)?;
        let mut position_embeddings =
            w.vec("embeddings.position_embeddings.weight", &[c.max_position_embeddings, h])?;
        position_embeddings.drain(..c.position_offset() * h);
        let token_types = "embeddings.token_type_embeddings.weight";
        if w.contains(token_types) {
            let type0 = &w.vec(token_types, &[c.type_vocab_size, h])?[..h];
            for row in position_embeddings.chunks_exact_mut(h) {
                row.iter_mut().zip(type0).for_each(|(p, t)| *p += t);
            }
        }
        let embedding_norm = w.layer_norm("embeddings.LayerNorm", h, c.layer_norm_eps)?;

        let head_dim = h / c.num_attention_heads;
        let scale = 1.0 / (head_dim as f64).sqrt();
        let mut layers = Vec::with_capacity(c.num_hidden_layers);
        for i in 0..c.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            let (q_weight, q_bias) = w.linear(&format!("{p}.{}", names.query), h, h)?;
            let (k_weight, k_bias) = w.linear(&format!("{p}.{}", names.key), h, h)?;
            let (v_weight, v_bias) = w.linear(&format!("{p}.{}", names.value), h, h)?;
            // Scaling the query projection once here saves a pass over the scores per layer.
            let scale = scale as f32;
            let bias = q_bias.iter().map(|b| b * scale).chain(k_bias).chain(v_bias).collect();
            // Each input's row: its query, key and value outputs side by side.
            let mut qkv = Vec::with_capacity(h * 3 * h);
            for ((q, k), v) in q_weight.chunks_exact(h).zip(k_weight.chunks_exact(h)).zip(v_weight.chunks_exact(h)) {
                qkv.extend(q.iter().map(|x| x * scale));
                qkv.extend_from_slice(k);
                qkv.extend_from_slice(v);
            }
            let dense = |name: &str, input: usize, output: usize| -> Result<Dense, String> {
                let (weight, bias) = w.linear(&format!("{p}.{name}"), input, output)?;
                Ok(Dense::new(weight, input, bias, kernel))
            };
            layers.push(Layer {
                qkv: Dense::new(qkv, h, bias, kernel),
                attention_out: dense(names.attention_out, h, h)?,
                attention_norm: w.layer_norm(&format!("{p}.{}", names.attention_norm), h, c.layer_norm_eps)?,
                intermediate: dense("intermediate.dense", h, c.intermediate_size)?,
                output: dense("output.dense", c.intermediate_size, h)?,
                output_norm: w.layer_norm(&format!("{p}.output.LayerNorm"), h, c.layer_norm_eps)?,
            });
        }
        let position_bias = match (architecture, c.relative_attention_num_buckets) {
            (Architecture::MPNet, Some(buckets)) => Some(RelativePositionBias::new(
                &w.vec("encoder.relative_attention_bias.weight", &[buckets, c.num_attention_heads])?,
                buckets,
                c.num_attention_heads,
                c.max_positions(),
            )),
            _ => None,
        };
        Ok(Bert {
            word_embeddings,
            position_embeddings,
            embedding_norm,
            layers,
            position_bias,
            hidden: h,
            heads: c.num_attention_heads,
            pooling,
            kernel,
        })
    }

    /// The kernel the dense layers run on (int8 only where this CPU has it).
    pub fn kernel(&self) -> MatrixKernel {
        self.kernel
    }

    /// The length of a sentence vector.
    pub fn hidden_size(&self) -> usize {
        self.hidden
    }

    /// Encodes token-id sequences (each already truncated to the position table and
    /// with special tokens) into pooled, L2-normalised vectors in input order.
    pub fn embed(&self, sequences: &[&[u32]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let h = self.hidden;
        let lens: Vec<usize> = sequences.iter().map(|t| t.len()).collect();
        let tokens: usize = lens.iter().sum();
        let heads = Heads { count: self.heads, dim: h / self.heads };

        // The sequences' tokens one after another, without padding: every step but
        // attention works row by row, and attention and pooling take each sequence's
        // rows by its length.
        let mut x = vec![0f32; tokens * h];
        let mut rows = x.chunks_exact_mut(h);
        let mut buffer = Vec::new();
        for tokens in sequences {
            for (t, (&id, row)) in tokens.iter().zip(rows.by_ref()).enumerate() {
                match self.word_embeddings.row_into(id as usize, row, &mut buffer) {
                    Ok(true) => {}
                    Ok(false) => {
                        return Err(EmbedError::Inference(format!("token id {id} is outside the model's vocabulary")));
                    }
                    Err(e) => return Err(EmbedError::Inference(format!("cannot read token {id}'s embedding: {e}"))),
                }
                let Some(position) = self.position_embeddings.get(t * h..(t + 1) * h) else {
                    return Err(EmbedError::Inference(format!(
                        "sequence longer than the model's {} positions",
                        self.position_embeddings.len() / h
                    )));
                };
                row.iter_mut().zip(position).for_each(|(r, p)| *r += p);
                self.embedding_norm.apply(row);
            }
        }
        for layer in &self.layers {
            x = self.layer(layer, x, &lens, heads);
        }
        Ok(self.pool(&x, &lens))
    }

    /// One encoder layer over the batch's `(tokens, hidden)` rows. Each product is a
    /// fresh buffer that the fused kernel after it rewrites in place.
    fn layer(&self, l: &Layer, x: Vec<f32>, lens: &[usize], heads: Heads) -> Vec<f32> {
        let rows = x.len() / self.hidden;
        let mut qkv = l.qkv.product(&x, rows);
        kernels::add_bias(&mut qkv, &l.qkv.bias);
        let context = attention::attention(&qkv, lens, heads, self.position_bias.as_ref());

        let mut attended = l.attention_out.product(&context, rows);
        kernels::bias_residual_layer_norm(&mut attended, &l.attention_out.bias, &x, &l.attention_norm);
        let mut inner = l.intermediate.product(&attended, rows);
        kernels::bias_gelu(&mut inner, &l.intermediate.bias);
        let mut out = l.output.product(&inner, rows);
        kernels::bias_residual_layer_norm(&mut out, &l.output.bias, &attended, &l.output_norm);
        out
    }

    /// One unit vector per sequence from its rows (zero for an empty sequence).
    fn pool(&self, x: &[f32], lens: &[usize]) -> Vec<Vec<f32>> {
        let h = self.hidden;
        let mut rest = x;
        lens.iter()
            .map(|&len| {
                let (rows, more) = rest.split_at(len * h);
                rest = more;
                let mut v = vec![0f32; h];
                match self.pooling {
                    _ if len == 0 => {}
                    Pooling::Cls => v.copy_from_slice(&rows[..h]),
                    Pooling::Mean => {
                        for token in rows.chunks_exact(h) {
                            v.iter_mut().zip(token).for_each(|(a, b)| *a += b);
                        }
                        v.iter_mut().for_each(|a| *a /= len as f32);
                    }
                }
                crate::l2_normalise(&mut v);
                v
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Expected {
        sequences: Vec<Vec<u32>>,
        vectors: Vec<Vec<f64>>,
    }

    /// A two-layer MPNet with random weights and the vectors Hugging Face's own
    /// implementation gives it (mean pooled, normalised), for sequences of 1 to
    /// 320 tokens, the longest its position table holds (`tests/data/tiny-mpnet`).
    fn tiny_mpnet() -> (BertConfig, Bert, Expected) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny-mpnet");
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        let config: BertConfig = serde_json::from_str(&read("config.json")).unwrap();
        let expected: Expected = serde_json::from_str(&read("expected.json")).unwrap();
        let bert = Bert::load(&dir.join("model.safetensors"), &config, Pooling::Mean, MatrixKernel::F32).unwrap();
        (config, bert, expected)
    }

    fn largest_difference(got: &[f32], want: &[f64]) -> f64 {
        got.iter().zip(want).map(|(g, w)| (*g as f64 - w).abs()).fold(0f64, f64::max)
    }

    #[test]
    fn an_mpnet_encodes_as_the_reference_implementation_does() {
        let (config, bert, expected) = tiny_mpnet();
        config.validate().unwrap();
        assert_eq!(config.architecture(), Ok(Architecture::MPNet));
        assert_eq!(config.max_positions(), 320);
        let sequences: Vec<&[u32]> = expected.sequences.iter().map(Vec::as_slice).collect();
        let vectors = bert.embed(&sequences).unwrap();
        for ((ids, got), want) in sequences.iter().zip(&vectors).zip(&expected.vectors) {
            let worst = largest_difference(got, want);
            assert!(worst < 1e-5, "{} tokens: largest difference {worst}", ids.len());
        }
        // One token past the position table is refused, not wrapped around.
        let too_long = vec![3u32; 321];
        assert!(bert.embed(&[too_long.as_slice()]).is_err());
    }

    #[test]
    fn the_position_bias_matters_to_the_fixture() {
        // Without its relative-position bias the same weights give other vectors, so the
        // test above checks the bias and not only the layers BERT shares.
        let (_, mut bert, expected) = tiny_mpnet();
        bert.position_bias = None;
        let long = expected.sequences.last().unwrap().as_slice();
        let worst = largest_difference(&bert.embed(&[long]).unwrap()[0], expected.vectors.last().unwrap());
        assert!(worst > 1e-3, "largest difference without the bias: {worst}");
    }

    #[test]
    fn other_encoders_are_refused_by_name() {
        let config = |model_type: &str| -> BertConfig {
            serde_json::from_value(serde_json::json!({
                "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
                "intermediate_size": 8, "max_position_embeddings": 16, "model_type": model_type,
            }))
            .unwrap()
        };
        assert_eq!(config("bert").architecture(), Ok(Architecture::Bert));
        assert!(config("roberta").validate().unwrap_err().contains("roberta"));
        // An MPNet configuration without its bias buckets cannot be run as MPNet.
        assert!(config("mpnet").validate().unwrap_err().contains("pad_token_id"));
    }
}
