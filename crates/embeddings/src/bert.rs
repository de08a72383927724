//! A BERT encoder for inference on the CPU: candle (gemm) does the matrix
//! products, the fused kernels in `kernels.rs` everything between them.
//! Weights are re-laid out once at load time so the forward pass does the
//! least work.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use serde::Deserialize;

use crate::EmbedError;
use crate::kernels::{self, AttentionShape, LayerNormParams};

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

/// A dense layer whose weight is stored `(in, out)` so `x · w` needs no transpose;
/// the bias is added by the fused kernel that follows the matmul.
struct Dense {
    weight: Tensor,
    bias: Vec<f32>,
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
    /// `(vocab, hidden)`, row per token id.
    word_embeddings: Vec<f32>,
    /// `(max_positions, hidden)` with the type-0 token-type embedding already added:
    /// we only ever encode single sentences, so every token has type 0.
    position_embeddings: Vec<f32>,
    embedding_norm: LayerNormParams,
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

    fn vec(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, String> {
        to_vec(&self.get(name, shape)?)
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
    fn dense(&self, name: &str, input: usize, output: usize) -> Result<Dense, String> {
        let weight = self.get(&format!("{name}.weight"), &[output, input])?;
        let bias = self.vec(&format!("{name}.bias"), &[output])?;
        Ok(Dense { weight: weight.t().and_then(|t| t.contiguous()).map_err(|e| e.to_string())?, bias })
    }
}

fn to_vec(t: &Tensor) -> Result<Vec<f32>, String> {
    t.flatten_all().and_then(|t| t.to_vec1::<f32>()).map_err(|e| e.to_string())
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
        let word_embeddings = w.vec("embeddings.word_embeddings.weight", &[c.vocab_size, h])?;
        let mut position_embeddings =
            w.vec("embeddings.position_embeddings.weight", &[c.max_position_embeddings, h])?;
        let token_types = format!("{}embeddings.token_type_embeddings.weight", w.prefix);
        if let Some(types) = w.tensors.get(&token_types) {
            let type0 = to_vec(&types.to_dtype(DType::F32).and_then(|t| t.get(0)).map_err(err)?)?;
            if type0.len() != h {
                return Err(format!("weight {token_types} has rows of {}, expected {h}", type0.len()));
            }
            for row in position_embeddings.chunks_exact_mut(h) {
                row.iter_mut().zip(&type0).for_each(|(p, t)| *p += t);
            }
        }
        let embedding_norm = w.layer_norm("embeddings.LayerNorm", h, c.layer_norm_eps)?;

        let head_dim = h / c.num_attention_heads;
        let scale = 1.0 / (head_dim as f64).sqrt();
        let mut layers = Vec::with_capacity(c.num_hidden_layers);
        for i in 0..c.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            let q = w.dense(&format!("{p}.attention.self.query"), h, h)?;
            let k = w.dense(&format!("{p}.attention.self.key"), h, h)?;
            let v = w.dense(&format!("{p}.attention.self.value"), h, h)?;
            // Scaling the query projection once here saves a pass over the scores per layer.
            let q_weight = (q.weight * scale).map_err(err)?;
            let bias = q.bias.iter().map(|b| b * scale as f32).chain(k.bias).chain(v.bias).collect();
            let qkv = Dense { weight: Tensor::cat(&[&q_weight, &k.weight, &v.weight], 1).map_err(err)?, bias };
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

    /// Encodes token-id sequences (each already truncated to the position table and
    /// with special tokens) into pooled, L2-normalised vectors in input order.
    pub fn embed(&self, sequences: &[&[u32]]) -> candle_core::Result<Vec<Vec<f32>>> {
        let b = sequences.len();
        let s = sequences.iter().map(|t| t.len()).max().unwrap_or(0);
        if b == 0 || s == 0 {
            return Ok(vec![vec![0.0; self.hidden]; b]);
        }
        let h = self.hidden;
        let lens: Vec<usize> = sequences.iter().map(|t| t.len()).collect();
        let shape = AttentionShape { batch: b, seq: s, heads: self.heads, head_dim: h / self.heads };

        // Padding rows start at zero and never reach a real token: attention reads
        // only each sequence's own tokens, every other step is row by row, and
        // pooling skips them.
        let mut x = vec![0f32; b * s * h];
        for (tokens, rows) in sequences.iter().zip(x.chunks_exact_mut(s * h)) {
            for (t, (&id, row)) in tokens.iter().zip(rows.chunks_exact_mut(h)).enumerate() {
                let Some(word) = self.word_embeddings.get(id as usize * h..(id as usize + 1) * h) else {
                    candle_core::bail!("token id {id} is outside the model's vocabulary");
                };
                let Some(position) = self.position_embeddings.get(t * h..(t + 1) * h) else {
                    candle_core::bail!(
                        "sequence longer than the model's {} positions",
                        self.position_embeddings.len() / h
                    );
                };
                row.iter_mut().zip(word.iter().zip(position)).for_each(|(r, (w, p))| *r = w + p);
                self.embedding_norm.apply(row);
            }
        }
        let mut x = Tensor::from_vec(x, (b * s, h), &Device::Cpu)?;
        for layer in &self.layers {
            x = self.layer(layer, &x, &lens, shape)?;
        }
        with_slice(&x, |x| self.pool(x, &lens, s))
    }

    fn layer(&self, l: &Layer, x: &Tensor, lens: &[usize], shape: AttentionShape) -> candle_core::Result<Tensor> {
        let AttentionShape { batch: b, seq: s, heads, head_dim: d } = shape;
        let (h, cpu) = (self.hidden, &Device::Cpu);

        let qkv = with_slice(&x.matmul(&l.qkv.weight)?, |qkv| kernels::split_heads(qkv, &l.qkv.bias, shape))?;
        let qkv = Tensor::from_vec(qkv, (3, b, heads, s, d), cpu)?;
        let context = Tensor::from_vec(self.attention(&qkv, lens, shape)?, (b * s, h), cpu)?;

        let attended = context.matmul(&l.attention_out.weight)?;
        let x = with_slices(&attended, x, |y, x| {
            kernels::bias_residual_layer_norm(y, &l.attention_out.bias, x, &l.attention_norm)
        })?;
        let x = Tensor::from_vec(x, (b * s, h), cpu)?;
        let inner = with_slice(&x.matmul(&l.intermediate.weight)?, |y| kernels::bias_gelu(y, &l.intermediate.bias))?;
        let inner = Tensor::from_vec(inner, (b * s, l.intermediate.bias.len()), cpu)?;
        let out = inner.matmul(&l.output.weight)?;
        let out =
            with_slices(&out, &x, |y, x| kernels::bias_residual_layer_norm(y, &l.output.bias, x, &l.output_norm))?;
        Tensor::from_vec(out, (b * s, h), cpu)
    }

    /// Self-attention one sequence at a time, over its real tokens only: padding
    /// costs nothing here and each sequence's scores stay small enough to sit in cache.
    fn attention(&self, qkv: &Tensor, lens: &[usize], shape: AttentionShape) -> candle_core::Result<Vec<f32>> {
        let AttentionShape { batch, seq, heads, head_dim } = shape;
        let h = self.hidden;
        let mut context = vec![0f32; batch * seq * h];
        for (i, (&len, rows)) in lens.iter().zip(context.chunks_exact_mut(seq * h)).enumerate() {
            let part = |p: usize| qkv.get(p)?.get(i)?.narrow(1, 0, len); // (heads, len, head_dim)
            let (q, k, v) = (part(0)?, part(1)?, part(2)?);
            let probs = with_slice(&q.matmul(&k.t()?)?, |scores| kernels::softmax_rows(scores, len))?;
            let probs = Tensor::from_vec(probs, (heads, len, len), &Device::Cpu)?;
            with_slice(&probs.matmul(&v)?, |c| kernels::merge_heads_into(c, rows, heads, head_dim))?;
        }
        Ok(context)
    }

    fn pool(&self, x: &[f32], lens: &[usize], s: usize) -> Vec<Vec<f32>> {
        let h = self.hidden;
        lens.iter()
            .enumerate()
            .map(|(row, &len)| {
                let rows = &x[row * s * h..(row * s + len) * h];
                let mut v = match self.pooling {
                    Pooling::Cls => rows[..h].to_vec(),
                    Pooling::Mean => {
                        let mut sum = vec![0f32; h];
                        for token in rows.chunks_exact(h) {
                            sum.iter_mut().zip(token).for_each(|(a, b)| *a += b);
                        }
                        sum.iter_mut().for_each(|a| *a /= len as f32);
                        sum
                    }
                };
                crate::l2_normalise(&mut v);
                v
            })
            .collect()
    }
}

/// Runs `f` on a contiguous CPU f32 tensor's data without copying it.
fn with_slice<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> R) -> candle_core::Result<R> {
    let (storage, layout) = t.storage_and_layout();
    let candle_core::Storage::Cpu(cpu) = &*storage else { candle_core::bail!("tensor is not on the CPU") };
    let Some((start, end)) = layout.contiguous_offsets() else { candle_core::bail!("tensor is not contiguous") };
    Ok(f(&cpu.as_slice::<f32>()?[start..end]))
}

fn with_slices<R>(a: &Tensor, b: &Tensor, f: impl FnOnce(&[f32], &[f32]) -> R) -> candle_core::Result<R> {
    with_slice(a, |a| with_slice(b, |b| f(a, b)))?
}
