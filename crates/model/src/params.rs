//! Where the encoder's parameters come from: the [`ParamSource`] interface the encoder builds
//! from, fresh initialisation ([`RandomInit`]), and why a source cannot supply a tensor. The
//! checkpoint reader is [`crate::weights`].

use burn::module::Initializer;
use burn::nn::{Embedding, LayerNorm, LayerNormConfig, Linear};
use burn::tensor::backend::Backend;

/// Why a checkpoint could not be loaded. Every variant names the file and, where there is
/// one, the tensor.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("cannot read weights {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a valid safetensors file: {message}")]
    Format { path: String, message: String },
    #[error("{path}: missing tensor `{name}`")]
    Missing { path: String, name: String },
    #[error("{path}: unexpected tensor(s) {}", names.join(", "))]
    Unexpected { path: String, names: Vec<String> },
    #[error("{path}: tensor `{name}` has shape {found:?}, expected {expected:?}")]
    Shape {
        path: String,
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    #[error("{path}: tensor `{name}` has dtype {dtype}, expected F32, F16 or BF16")]
    DType {
        path: String,
        name: String,
        dtype: String,
    },
}

/// Where the encoder's parameters come from. Names are the HF module prefixes
/// (`encoder.layer.3.attention.self.query`); shapes are burn's (`Linear` is `[in, out]`).
pub trait ParamSource<B: Backend> {
    fn linear(&mut self, name: &str, d_in: usize, d_out: usize) -> Result<Linear<B>, WeightsError>;
    fn embedding(
        &mut self,
        name: &str,
        rows: usize,
        dim: usize,
    ) -> Result<Embedding<B>, WeightsError>;
    fn layer_norm(
        &mut self,
        name: &str,
        dim: usize,
        eps: f64,
    ) -> Result<LayerNorm<B>, WeightsError>;
}

/// Fresh parameters: weights normal with std 0.02 (BERT's `initializer_range`), biases zero,
/// LayerNorm scale one.
pub struct RandomInit<'a, B: Backend> {
    device: &'a B::Device,
}

impl<'a, B: Backend> RandomInit<'a, B> {
    pub fn new(device: &'a B::Device) -> Self {
        Self { device }
    }
}

const INIT_STD: Initializer = Initializer::Normal {
    mean: 0.0,
    std: 0.02,
};

impl<B: Backend> ParamSource<B> for RandomInit<'_, B> {
    fn linear(&mut self, _: &str, d_in: usize, d_out: usize) -> Result<Linear<B>, WeightsError> {
        Ok(Linear {
            weight: INIT_STD.init([d_in, d_out], self.device),
            bias: Some(Initializer::Zeros.init([d_out], self.device)),
        })
    }

    fn embedding(
        &mut self,
        _: &str,
        rows: usize,
        dim: usize,
    ) -> Result<Embedding<B>, WeightsError> {
        Ok(Embedding {
            weight: INIT_STD.init([rows, dim], self.device),
        })
    }

    fn layer_norm(&mut self, _: &str, dim: usize, eps: f64) -> Result<LayerNorm<B>, WeightsError> {
        Ok(LayerNormConfig::new(dim)
            .with_epsilon(eps)
            .init(self.device))
    }
}
