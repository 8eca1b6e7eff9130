//! Encoder parameters from a Hugging Face `model.safetensors` (f32, f16 or bf16), read directly,
//! so every tensor is checked by name, shape and dtype with a clear error. Fresh initialisation
//! and the [`ParamSource`] interface the encoder builds from are in [`crate::params`].
//!
//! We read the file ourselves rather than through `burn::store` because we need exact control
//! over three things: the strict missing/unexpected check (with the pooler and
//! `embeddings.position_ids` as the only tolerated extras), upcasting half-precision files to
//! the backend's float type, and HF → burn layout changes (Linear weights are `[out, in]` in
//! PyTorch, `[in, out]` in burn; LayerNorm `weight`/`bias` are burn's `gamma`/`beta`).

mod convert;

pub use convert::{convert_to_f16, F16Conversion};

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;
use burn::module::Param;
use burn::nn::{Embedding, LayerNorm, LayerNormConfig, Linear};
use burn::tensor::backend::Backend;
use burn::tensor::TensorData;
use safetensors::{Dtype, SafeTensors};

use crate::bert::BertModel;
use crate::config::BertConfig;
use crate::params::{ParamSource, WeightsError};

/// Tensors a BERT checkpoint may hold that the encoder does not use.
fn is_ignorable(name: &str) -> bool {
    name == "embeddings.position_ids" || name.starts_with("pooler.")
}

/// Parameters read from a parsed safetensors file, tracking which tensors were used.
pub struct SafetensorsSource<'data, B: Backend> {
    path: String,
    tensors: SafeTensors<'data>,
    used: BTreeSet<String>,
    device: B::Device,
}

impl<'data, B: Backend> SafetensorsSource<'data, B> {
    /// `path` is only used in error messages.
    pub fn new(bytes: &'data [u8], path: &str, device: &B::Device) -> Result<Self, WeightsError> {
        let tensors = SafeTensors::deserialize(bytes).map_err(|err| WeightsError::Format {
            path: path.to_string(),
            message: format!("{err:?}"),
        })?;
        Ok(Self {
            path: path.to_string(),
            tensors,
            used: BTreeSet::new(),
            device: device.clone(),
        })
    }

    /// Whether the file holds a tensor of this name.
    fn has(&self, name: &str) -> bool {
        self.tensors.tensor(name).is_ok()
    }

    /// Reads one tensor as f32 values after checking its shape (`[out, in]` order for Linear).
    fn take(&mut self, name: &str, expected: &[usize]) -> Result<Vec<f32>, WeightsError> {
        let path = || self.path.clone();
        let view = self
            .tensors
            .tensor(name)
            .map_err(|_| WeightsError::Missing {
                path: path(),
                name: name.to_string(),
            })?;
        if view.shape() != expected {
            return Err(WeightsError::Shape {
                path: path(),
                name: name.to_string(),
                expected: expected.to_vec(),
                found: view.shape().to_vec(),
            });
        }
        let values =
            decode_floats(view.dtype(), view.data()).ok_or_else(|| WeightsError::DType {
                path: path(),
                name: name.to_string(),
                dtype: format!("{:?}", view.dtype()),
            })?;
        self.used.insert(name.to_string());
        Ok(values)
    }

    fn param<const D: usize>(
        &self,
        values: Vec<f32>,
        shape: [usize; D],
    ) -> Param<burn::tensor::Tensor<B, D>> {
        // `from_data` converts to the backend's float type (f16 files stay f16 on a half backend).
        Param::from_data(TensorData::new(values, shape), &self.device)
    }

    /// Errors if the file holds tensors that nothing asked for (except the ignorable ones).
    pub fn finish(self) -> Result<(), WeightsError> {
        let names: Vec<String> = self
            .tensors
            .names()
            .into_iter()
            .filter(|name| !self.used.contains(*name) && !is_ignorable(name))
            .map(str::to_string)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if names.is_empty() {
            Ok(())
        } else {
            Err(WeightsError::Unexpected {
                path: self.path,
                names,
            })
        }
    }
}

/// Little-endian F32/F16/BF16 bytes as f32 values; `None` for any other dtype.
fn decode_floats(dtype: Dtype, bytes: &[u8]) -> Option<Vec<f32>> {
    Some(match dtype {
        Dtype::F32 => bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        Dtype::F16 => bytes
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        Dtype::BF16 => bytes
            .chunks_exact(2)
            .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        _ => return None,
    })
}

impl<B: Backend> ParamSource<B> for SafetensorsSource<'_, B> {
    fn linear(&mut self, name: &str, d_in: usize, d_out: usize) -> Result<Linear<B>, WeightsError> {
        // PyTorch stores [out, in]; burn multiplies by [in, out]. Transpose once, here, so the
        // forward pass sees a contiguous weight.
        let torch = self.take(&format!("{name}.weight"), &[d_out, d_in])?;
        let mut weight = vec![0f32; torch.len()];
        for (o, row) in torch.chunks_exact(d_in).enumerate() {
            for (i, &w) in row.iter().enumerate() {
                weight[i * d_out + o] = w;
            }
        }
        let bias = self.take(&format!("{name}.bias"), &[d_out])?;
        Ok(Linear {
            weight: self.param(weight, [d_in, d_out]),
            bias: Some(self.param(bias, [d_out])),
        })
    }

    fn embedding(
        &mut self,
        name: &str,
        rows: usize,
        dim: usize,
    ) -> Result<Embedding<B>, WeightsError> {
        let weight = self.take(&format!("{name}.weight"), &[rows, dim])?;
        Ok(Embedding {
            weight: self.param(weight, [rows, dim]),
        })
    }

    fn layer_norm(
        &mut self,
        name: &str,
        dim: usize,
        eps: f64,
    ) -> Result<LayerNorm<B>, WeightsError> {
        // Old TF-converted checkpoints call them gamma/beta.
        let (scale, shift) = if self.has(&format!("{name}.gamma")) {
            ("gamma", "beta")
        } else {
            ("weight", "bias")
        };
        let gamma = self.take(&format!("{name}.{scale}"), &[dim])?;
        let beta = self.take(&format!("{name}.{shift}"), &[dim])?;
        let mut norm = LayerNormConfig::new(dim)
            .with_epsilon(eps)
            .init(&self.device);
        norm.gamma = self.param(gamma, [dim]);
        norm.beta = Some(self.param(beta, [dim]));
        Ok(norm)
    }
}

/// Loads an encoder from a HF `model.safetensors`, strictly: every tensor must be present with
/// the config's shapes, and nothing but the pooler and `embeddings.position_ids` may be left over.
pub fn load_safetensors<B: Backend>(
    config: &BertConfig,
    path: &Path,
    device: &B::Device,
) -> Result<BertModel<B>, WeightsError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| WeightsError::Io {
        path: shown.clone(),
        source,
    })?;
    let mut source = SafetensorsSource::<B>::new(&bytes, &shown, device)?;
    let model = BertModel::build(config, &mut source)?;
    source.finish()?;
    Ok(model)
}

/// Loads `config.json` and `model.safetensors` from a HF model folder.
pub fn load_pretrained<B: Backend>(
    dir: &Path,
    device: &B::Device,
) -> anyhow::Result<(BertConfig, BertModel<B>)> {
    let config = BertConfig::from_file(&dir.join("config.json"))?;
    let model = load_safetensors(&config, &dir.join("model.safetensors"), device)
        .with_context(|| format!("loading the encoder from {}", dir.display()))?;
    Ok((config, model))
}
