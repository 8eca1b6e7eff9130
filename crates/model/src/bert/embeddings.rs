//! Word + position + token-type embeddings, normalised (HF `BertEmbeddings`).

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Embedding, LayerNorm};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

use crate::config::BertConfig;
use crate::params::{ParamSource, WeightsError};
use sqlcoder_kernels::{dropout, layer_norm};

#[derive(Module, Debug)]
pub struct BertEmbeddings<B: Backend> {
    pub word_embeddings: Embedding<B>,
    pub position_embeddings: Embedding<B>,
    pub token_type_embeddings: Embedding<B>,
    /// HF `LayerNorm`.
    pub layer_norm: LayerNorm<B>,
    pub dropout: Dropout,
    /// `layer_norm`'s epsilon (burn keeps the module's private; not a parameter, not recorded).
    layer_norm_eps: f64,
}

impl<B: Backend> BertEmbeddings<B> {
    pub(crate) fn build<S: ParamSource<B>>(
        config: &BertConfig,
        source: &mut S,
    ) -> Result<Self, WeightsError> {
        let h = config.hidden_size;
        Ok(Self {
            word_embeddings: source.embedding(
                "embeddings.word_embeddings",
                config.vocab_size,
                h,
            )?,
            position_embeddings: source.embedding(
                "embeddings.position_embeddings",
                config.max_position_embeddings,
                h,
            )?,
            token_type_embeddings: source.embedding(
                "embeddings.token_type_embeddings",
                config.type_vocab_size,
                h,
            )?,
            layer_norm: source.layer_norm("embeddings.LayerNorm", h, config.layer_norm_eps)?,
            dropout: DropoutConfig::new(config.hidden_dropout_prob).init(),
            layer_norm_eps: config.layer_norm_eps,
        })
    }

    /// `ids`, `type_ids`: `[batch, seq]` → `[batch, seq, hidden]`. Positions are `0..seq`.
    pub fn forward(&self, ids: Tensor<B, 2, Int>, type_ids: Tensor<B, 2, Int>) -> Tensor<B, 3> {
        let seq_len = ids.dims()[1];
        // Positions are the same for every row: slice the table once and broadcast.
        let positions = self
            .position_embeddings
            .weight
            .val()
            .narrow(0, 0, seq_len)
            .unsqueeze::<3>();
        let summed = self.word_embeddings.forward(ids)
            + self.token_type_embeddings.forward(type_ids)
            + positions;
        // One multi-threaded pass on ndarray (see `sqlcoder_kernels`).
        let normalized = layer_norm(summed, None, &self.layer_norm, self.layer_norm_eps);
        dropout(&self.dropout, normalized)
    }
}
