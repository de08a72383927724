//! A BERT encoder on candle's CPU ops, shaped for inference only: weights are
//! re-laid out once at load time so the forward pass does the least work.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use serde::Deserialize;

use crate::EmbedError;

/// The fields of a Hugging Face `config.json` that a BERT encoder needs.
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
}

fn default_layer_norm_eps() -> f64 {
    1e-12
}

fn default_hidden_act() -> String {
    "gelu".to_owned()
}

impl BertConfig {
    /// Refuses configurations this encoder would silently get wrong.
    pub fn validate(&self) -> Result<(), String> {
        // RoBERTa-style models offset position ids by the padding index and
        // DistilBERT names its weights differently; both would load garbage here.
        if let Some(kind) = self.model_type.as_deref().filter(|k| *k != "bert") {
            return Err(format!("model_type {kind:?} is not supported (only BERT encoders are)"));
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
        if self.num_hidden_layers == 0 || self.intermediate_size == 0 || self.max_position_embeddings == 0 {
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

struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f32,
}

impl LayerNorm {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        candle_nn::ops::layer_norm(x, &self.weight, &self.bias, self.eps)
    }
}

/// A dense layer whose weight is stored `(in, out)` so `x · w` needs no transpose.
struct Dense {
    weight: Tensor,
    bias: Tensor,
}

impl Dense {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.matmul(&self.weight)?.broadcast_add(&self.bias)
    }
}

struct Layer {
    /// Query, key and value in one matmul; the query part is pre-scaled by 1/√head_dim.
    qkv: Dense,
    attention_out: Dense,
    attention_norm: LayerNorm,
    intermediate: Dense,
    output: Dense,
    output_norm: LayerNorm,
}

/// The encoder with its weights on the CPU.
pub(crate) struct Bert {
    word_embeddings: Tensor,
    /// Position embeddings with the type-0 token-type embedding already added:
    /// we only ever encode single sentences, so every token has type 0.
    position_embeddings: Tensor,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
    hidden: usize,
    heads: usize,
    pooling: Pooling,
}

/// Weights by name, accepting both bare (`embeddings.…`) and `bert.`-prefixed checkpoints.
struct Weights {
    tensors: HashMap<String, Tensor>,
    prefix: &'static str,
}

impl Weights {
    fn get(&self, name: &str, shape: &[usize]) -> Result<Tensor, String> {
        let full = format!("{}{name}", self.prefix);
        let tensor = self.tensors.get(&full).ok_or_else(|| format!("weight {full} is missing"))?;
        if tensor.dims() != shape {
            return Err(format!("weight {full} has shape {:?}, expected {shape:?}", tensor.dims()));
        }
        tensor.to_dtype(DType::F32).map_err(|e| e.to_string())
    }

    /// Older checkpoints name layer-norm parameters `gamma`/`beta`.
    fn layer_norm(&self, name: &str, size: usize, eps: f64) -> Result<LayerNorm, String> {
        let weight =
            self.get(&format!("{name}.weight"), &[size]).or_else(|_| self.get(&format!("{name}.gamma"), &[size]))?;
        let bias =
            self.get(&format!("{name}.bias"), &[size]).or_else(|_| self.get(&format!("{name}.beta"), &[size]))?;
        Ok(LayerNorm { weight, bias, eps: eps as f32 })
    }

    /// A PyTorch `Linear` stores `(out, in)`; we keep `(in, out)` contiguous.
    fn dense(&self, name: &str, input: usize, output: usize) -> Result<Dense, String> {
        let weight = self.get(&format!("{name}.weight"), &[output, input])?;
        let bias = self.get(&format!("{name}.bias"), &[output])?;
        Ok(Dense { weight: transpose(&weight)?, bias })
    }
}

fn transpose(t: &Tensor) -> Result<Tensor, String> {
    t.t().and_then(|t| t.contiguous()).map_err(|e| e.to_string())
}

/// What a padded sub-batch looks like to the encoder.
pub(crate) struct Batch<'a> {
    pub sequences: &'a [&'a [u32]],
}

impl Bert {
    /// Loads the weights from `model.safetensors` and re-lays them out for inference.
    pub fn load(weights_path: &Path, config: &BertConfig, pooling: Pooling) -> Result<Self, EmbedError> {
        let invalid = |message: String| EmbedError::InvalidModel { path: weights_path.to_path_buf(), message };
        let tensors = candle_core::safetensors::load(weights_path, &Device::Cpu)
            .map_err(|e| invalid(format!("cannot read weights: {e}")))?;
        let prefix = if tensors.contains_key("embeddings.word_embeddings.weight") { "" } else { "bert." };
        let w = Weights { tensors, prefix };
        Self::from_weights(&w, config, pooling).map_err(invalid)
    }

    fn from_weights(w: &Weights, c: &BertConfig, pooling: Pooling) -> Result<Self, String> {
        let h = c.hidden_size;
        let err = |e: candle_core::Error| e.to_string();
        let word_embeddings = w.get("embeddings.word_embeddings.weight", &[c.vocab_size, h])?;
        let positions = w.get("embeddings.position_embeddings.weight", &[c.max_position_embeddings, h])?;
        let token_types = w.tensors.get(&format!("{}embeddings.token_type_embeddings.weight", w.prefix));
        let position_embeddings = match token_types {
            Some(types) => {
                let type0 = types.to_dtype(DType::F32).and_then(|t| t.get(0)).map_err(err)?;
                positions.broadcast_add(&type0).map_err(err)?
            }
            None => positions,
        };
        let embedding_norm = w.layer_norm("embeddings.LayerNorm", h, c.layer_norm_eps)?;

        let head_dim = h / c.num_attention_heads;
        let scale = 1.0 / (head_dim as f64).sqrt();
        let mut layers = Vec::with_capacity(c.num_hidden_layers);
        for i in 0..c.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            let q = w.dense(&format!("{p}.attention.self.query"), h, h)?;
            let k = w.dense(&format!("{p}.attention.self.key"), h, h)?;
            let v = w.dense(&format!("{p}.attention.self.value"), h, h)?;
            // Scaling the query projection once here saves a (b, heads, s, s) multiply per layer.
            let qw = (q.weight * scale).map_err(err)?;
            let qb = (q.bias * scale).map_err(err)?;
            let qkv = Dense {
                weight: Tensor::cat(&[&qw, &k.weight, &v.weight], 1).map_err(err)?,
                bias: Tensor::cat(&[&qb, &k.bias, &v.bias], 0).map_err(err)?,
            };
            layers.push(Layer {
                qkv,
                attention_out: w.dense(&format!("{p}.attention.output.dense"), h, h)?,
                attention_norm: w.layer_norm(&format!("{p}.attention.output.LayerNorm"), h, c.layer_norm_eps)?,
                intermediate: w.dense(&format!("{p}.intermediate.dense"), h, c.intermediate_size)?,
                output: w.dense(&format!("{p}.output.dense"), c.intermediate_size, h)?,
                output_norm: w.layer_norm(&format!("{p}.output.LayerNorm"), h, c.layer_norm_eps)?,
            });
        }
        Ok(Bert {
            word_embeddings,
            position_embeddings,
            embedding_norm,
            layers,
            hidden: h,
            heads: c.num_attention_heads,
            pooling,
        })
    }

    /// The length of a sentence vector.
    pub fn hidden_size(&self) -> usize {
        self.hidden
    }

    /// Encodes token-id sequences (each already truncated and with special tokens) into
    /// pooled, L2-normalised sentence vectors, in input order.
    pub fn embed(&self, batch: Batch<'_>) -> candle_core::Result<Vec<Vec<f32>>> {
        let sequences = batch.sequences;
        let b = sequences.len();
        let s = sequences.iter().map(|t| t.len()).max().unwrap_or(0);
        if b == 0 || s == 0 {
            return Ok(vec![vec![0.0; self.hidden]; b]);
        }
        let h = self.hidden;
        let mut ids = vec![0u32; b * s];
        let mut mask_bias = vec![0f32; b * s];
        for (row, tokens) in sequences.iter().enumerate() {
            ids[row * s..row * s + tokens.len()].copy_from_slice(tokens);
            // Padding keys get a large negative score so softmax gives them zero weight.
            mask_bias[row * s + tokens.len()..(row + 1) * s].fill(MASKED);
        }
        let device = Device::Cpu;
        let ids = Tensor::from_vec(ids, b * s, &device)?;
        // Built once per batch, broadcast over heads and query rows in every layer.
        let mask_bias = Tensor::from_vec(mask_bias, (b, 1, 1, s), &device)?;

        let x = self.word_embeddings.index_select(&ids, 0)?.reshape((b, s, h))?;
        let x = x.broadcast_add(&self.position_embeddings.narrow(0, 0, s)?)?;
        let mut x = self.embedding_norm.forward(&x)?.reshape((b * s, h))?;
        for layer in &self.layers {
            x = self.layer(layer, &x, &mask_bias, b, s)?;
        }
        let x = x.reshape((b, s, h))?;
        self.pool(&x, sequences)
    }

    fn layer(&self, l: &Layer, x: &Tensor, mask_bias: &Tensor, b: usize, s: usize) -> candle_core::Result<Tensor> {
        let (h, heads) = (self.hidden, self.heads);
        let d = h / heads;
        let qkv = l.qkv.forward(x)?; // (b*s, 3h)
        let qkv = qkv.reshape((b, s, 3, heads, d))?.permute((2, 0, 3, 1, 4))?.contiguous()?; // (3, b, heads, s, d)
        let (q, k, v) = (qkv.get(0)?, qkv.get(1)?, qkv.get(2)?);
        let scores = q.matmul(&k.t()?)?.broadcast_add(mask_bias)?; // (b, heads, s, s)
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = probs.matmul(&v)?.transpose(1, 2)?.reshape((b * s, h))?;
        let x = l.attention_norm.forward(&(l.attention_out.forward(&context)? + x)?)?;
        let inner = l.intermediate.forward(&x)?.gelu_erf()?;
        l.output_norm.forward(&(l.output.forward(&inner)? + x)?)
    }

    fn pool(&self, x: &Tensor, sequences: &[&[u32]]) -> candle_core::Result<Vec<Vec<f32>>> {
        let h = self.hidden;
        let s = x.dim(1)?;
        let values = x.flatten_all()?.to_vec1::<f32>()?;
        let mut out = Vec::with_capacity(sequences.len());
        for (row, tokens) in sequences.iter().enumerate() {
            let rows = &values[row * s * h..(row * s + tokens.len()) * h];
            let mut v = match self.pooling {
                Pooling::Cls => rows[..h].to_vec(),
                Pooling::Mean => {
                    let mut sum = vec![0f32; h];
                    for token in rows.chunks_exact(h) {
                        sum.iter_mut().zip(token).for_each(|(a, b)| *a += b);
                    }
                    let n = tokens.len() as f32;
                    sum.iter_mut().for_each(|a| *a /= n);
                    sum
                }
            };
            crate::l2_normalise(&mut v);
            out.push(v);
        }
        Ok(out)
    }
}

/// Added to the attention scores of padding keys; finite so a row never becomes NaN.
const MASKED: f32 = -1e30;
