//! One post-LayerNorm transformer layer (HF `BertLayer`): self-attention, then the GELU
//! feed-forward block, each followed by dropout, a residual add and LayerNorm.

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, LayerNorm};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

use crate::config::BertConfig;
use crate::lora::{AdaptedLinear, LoraConfig, LoraTargets};
use crate::params::{ParamSource, WeightsError};
use sqlcoder_kernels::{
    attention_context, attention_scores, dropout, gelu, layer_norm, masked_softmax,
};

/// Multi-head scaled dot-product self-attention (HF `attention.self`).
#[derive(Module, Debug)]
pub struct BertSelfAttention<B: Backend> {
    pub query: AdaptedLinear<B>,
    pub key: AdaptedLinear<B>,
    pub value: AdaptedLinear<B>,
    /// Dropout on the attention probabilities.
    pub dropout: Dropout,
    num_heads: usize,
    head_dim: usize,
}

impl<B: Backend> BertSelfAttention<B> {
    /// `x`: `[batch, seq, hidden]`; `mask_bias`: `[batch, 1, 1, seq]`, 0 for tokens and a large
    /// negative number for padding, added to every query row's scores.
    pub fn forward(&self, x: Tensor<B, 3>, mask_bias: Tensor<B, 4>) -> Tensor<B, 3> {
        let scale = 1.0 / (self.head_dim as f64).sqrt();
        let q = self.query.forward(x.clone());
        let k = self.key.forward(x.clone());
        let v = self.value.forward(x);
        // Heads are read and written in place in the [batch, seq, hidden] layout on ndarray (no
        // split/merge copies); mask and softmax in one pass (see `sqlcoder_kernels`).
        let scores = attention_scores(q, k, self.num_heads, scale); // [b, h, s, s]
        let probs = masked_softmax(scores, mask_bias);
        attention_context(dropout(&self.dropout, probs), v)
    }
}

/// A dense projection, dropout, residual add and LayerNorm (HF `BertSelfOutput` / `BertOutput`).
#[derive(Module, Debug)]
pub struct BertResidualOutput<B: Backend> {
    pub dense: AdaptedLinear<B>,
    /// HF `LayerNorm`.
    pub layer_norm: LayerNorm<B>,
    pub dropout: Dropout,
    /// `layer_norm`'s epsilon (burn keeps the module's private; not a parameter, not recorded).
    layer_norm_eps: f64,
}

impl<B: Backend> BertResidualOutput<B> {
    pub fn forward(&self, x: Tensor<B, 3>, residual: Tensor<B, 3>) -> Tensor<B, 3> {
        let projected = dropout(&self.dropout, self.dense.forward(x));
        // Residual add and LayerNorm in one pass on ndarray (see `sqlcoder_kernels`).
        layer_norm(
            projected,
            Some(residual),
            &self.layer_norm,
            self.layer_norm_eps,
        )
    }
}

/// HF `attention`: self-attention followed by its output block.
#[derive(Module, Debug)]
pub struct BertAttention<B: Backend> {
    /// HF `self`.
    pub self_attention: BertSelfAttention<B>,
    pub output: BertResidualOutput<B>,
}

/// HF `intermediate`: the widening projection and GELU.
#[derive(Module, Debug)]
pub struct BertIntermediate<B: Backend> {
    pub dense: AdaptedLinear<B>,
}

#[derive(Module, Debug)]
pub struct BertLayer<B: Backend> {
    pub attention: BertAttention<B>,
    pub intermediate: BertIntermediate<B>,
    pub output: BertResidualOutput<B>,
}

impl<B: Backend> BertLayer<B> {
    /// Builds layer `index`, reading parameters named like HF's `encoder.layer.{index}.…`.
    pub(crate) fn build<S: ParamSource<B>>(
        config: &BertConfig,
        index: usize,
        source: &mut S,
    ) -> Result<Self, WeightsError> {
        let (h, ff) = (config.hidden_size, config.intermediate_size);
        let eps = config.layer_norm_eps;
        let p = format!("encoder.layer.{index}");
        let mut dense = |name: &str, d_in, d_out| {
            Ok::<_, WeightsError>(AdaptedLinear::new(source.linear(
                &format!("{p}.{name}"),
                d_in,
                d_out,
            )?))
        };
        let query = dense("attention.self.query", h, h)?;
        let key = dense("attention.self.key", h, h)?;
        let value = dense("attention.self.value", h, h)?;
        let attention_dense = dense("attention.output.dense", h, h)?;
        let intermediate_dense = dense("intermediate.dense", h, ff)?;
        let output_dense = dense("output.dense", ff, h)?;
        let hidden_dropout = DropoutConfig::new(config.hidden_dropout_prob).init();
        Ok(Self {
            attention: BertAttention {
                self_attention: BertSelfAttention {
                    query,
                    key,
                    value,
                    dropout: DropoutConfig::new(config.attention_probs_dropout_prob).init(),
                    num_heads: config.num_attention_heads,
                    head_dim: config.head_dim(),
                },
                output: BertResidualOutput {
                    dense: attention_dense,
                    layer_norm: source.layer_norm(
                        &format!("{p}.attention.output.LayerNorm"),
                        h,
                        eps,
                    )?,
                    dropout: hidden_dropout.clone(),
                    layer_norm_eps: eps,
                },
            },
            intermediate: BertIntermediate {
                dense: intermediate_dense,
            },
            output: BertResidualOutput {
                dense: output_dense,
                layer_norm: source.layer_norm(&format!("{p}.output.LayerNorm"), h, eps)?,
                dropout: hidden_dropout,
                layer_norm_eps: eps,
            },
        })
    }

    pub fn forward(&self, x: Tensor<B, 3>, mask_bias: Tensor<B, 4>) -> Tensor<B, 3> {
        let attended = self.attention.self_attention.forward(x.clone(), mask_bias);
        let x = self.attention.output.forward(attended, x);
        // The exact erf form (as BERT), with its exact derivative; vectorised and multi-threaded
        // on ndarray, burn's own gelu on other backends (see `sqlcoder_kernels`).
        let widened = gelu(self.intermediate.dense.forward(x.clone()));
        self.output.forward(widened, x)
    }

    /// The six dense layers, each with whether `targets` selects it.
    fn dense_layers_mut(&mut self, targets: LoraTargets) -> [(bool, &mut AdaptedLinear<B>); 6] {
        let attention = &mut self.attention;
        [
            (targets.query, &mut attention.self_attention.query),
            (targets.key, &mut attention.self_attention.key),
            (targets.value, &mut attention.self_attention.value),
            (targets.attention_output, &mut attention.output.dense),
            (targets.intermediate, &mut self.intermediate.dense),
            (targets.output, &mut self.output.dense),
        ]
    }

    /// Attaches fresh adapters to the dense layers `lora` targets.
    pub(crate) fn attach_lora(&mut self, lora: &LoraConfig) {
        for (targeted, dense) in self.dense_layers_mut(lora.targets) {
            if targeted {
                dense.attach_lora(lora.rank, lora.alpha);
            }
        }
    }

    pub(crate) fn merge_lora(&mut self) {
        for (_, dense) in self.dense_layers_mut(LoraTargets::all()) {
            dense.merge_lora_in_place();
        }
    }
}
