//! The BERT encoder (MiniLM-L6-H384): embeddings and a stack of post-LayerNorm transformer
//! layers, with module names mirroring Hugging Face's `BertModel` so checkpoints map 1:1.
//!
//! LoRA adapters are attached by [`BertModel::with_lora`]; which weights train (all, adapters and
//! LayerNorms, none) is set by [`crate::trainable::apply_mode`]. Dropout is active only on
//! autodiff backends.

mod embeddings;
mod layer;

pub use embeddings::BertEmbeddings;
pub use layer::{
    BertAttention, BertIntermediate, BertLayer, BertResidualOutput, BertSelfAttention,
};

use burn::module::Module;
use burn::tensor::backend::Backend;
use burn::tensor::{Bool, Int, Tensor};

use crate::config::BertConfig;
use crate::lora::LoraConfig;
use crate::params::{ParamSource, RandomInit, WeightsError};

/// Added to attention scores of padding keys: `exp` of it underflows to exactly 0 in f32, and
/// unlike `f32::MIN` or -1e9 it stays finite in f16.
const PAD_SCORE: f32 = -10_000.0;

/// HF `encoder`.
#[derive(Module, Debug)]
pub struct BertEncoder<B: Backend> {
    pub layer: Vec<BertLayer<B>>,
}

#[derive(Module, Debug)]
pub struct BertModel<B: Backend> {
    pub embeddings: BertEmbeddings<B>,
    pub encoder: BertEncoder<B>,
}

impl<B: Backend> BertModel<B> {
    /// A randomly initialised encoder (normal, std 0.02, as BERT's `initializer_range`).
    pub fn init(config: &BertConfig, device: &B::Device) -> Self {
        Self::build(config, &mut RandomInit::new(device))
            .expect("random initialisation cannot fail")
    }

    /// Builds the encoder from a parameter source, asking it for each tensor by its HF name.
    pub fn build<S: ParamSource<B>>(
        config: &BertConfig,
        source: &mut S,
    ) -> Result<Self, WeightsError> {
        let embeddings = BertEmbeddings::build(config, source)?;
        let layer = (0..config.num_hidden_layers)
            .map(|index| BertLayer::build(config, index, source))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            embeddings,
            encoder: BertEncoder { layer },
        })
    }

    /// The longest input (in tokens) the position table covers.
    pub fn max_len(&self) -> usize {
        self.embeddings.position_embeddings.weight.dims()[0]
    }

    pub fn hidden_size(&self) -> usize {
        self.embeddings.word_embeddings.weight.dims()[1]
    }

    /// `ids`, `type_ids`: `[batch, seq]`; `mask_pad`: `[batch, seq]`, true at padding.
    /// Returns the last hidden states `[batch, seq, hidden]` (padding rows are meaningless).
    ///
    /// # Panics
    /// If the three inputs differ in shape or `seq` exceeds [`Self::max_len`]: the input
    /// builder truncates before this point, so either is a programming error.
    pub fn forward(
        &self,
        ids: Tensor<B, 2, Int>,
        type_ids: Tensor<B, 2, Int>,
        mask_pad: Tensor<B, 2, Bool>,
    ) -> Tensor<B, 3> {
        let [batch, seq] = ids.dims();
        assert!(
            type_ids.dims() == [batch, seq] && mask_pad.dims() == [batch, seq],
            "encoder inputs differ in shape: ids {:?}, type ids {:?}, mask {:?}",
            ids.dims(),
            type_ids.dims(),
            mask_pad.dims()
        );
        assert!(
            seq <= self.max_len(),
            "input of {seq} tokens is longer than the encoder's {} positions",
            self.max_len()
        );
        // One [b, 1, 1, s] additive bias, broadcast over heads and query rows in every layer.
        let mask_bias = (mask_pad.float() * PAD_SCORE).reshape([batch, 1, 1, seq]);
        let mut hidden = self.embeddings.forward(ids, type_ids);
        for layer in &self.encoder.layer {
            hidden = layer.forward(hidden, mask_bias.clone());
        }
        hidden
    }

    /// Attaches fresh LoRA adapters to the dense layers `lora` targets. Which parameters then
    /// train is decided in one place, [`crate::trainable::apply_mode`].
    pub fn with_lora(mut self, lora: &LoraConfig) -> Self {
        for layer in &mut self.encoder.layer {
            layer.attach_lora(lora);
        }
        self
    }

    /// Folds every adapter into its base weight: same outputs, plain dense layers.
    pub fn merge_lora(mut self) -> Self {
        for layer in &mut self.encoder.layer {
            layer.merge_lora();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trainable::{apply_mode, FineTune};
    use burn::backend::{Autodiff, NdArray};
    use burn::module::Param;
    use burn::tensor::{Distribution, TensorData, Tolerance};

    type Ad = Autodiff<NdArray>;

    fn tiny() -> BertConfig {
        BertConfig::from_json(
            r#"{"vocab_size": 20, "hidden_size": 8, "num_hidden_layers": 2,
                "num_attention_heads": 2, "intermediate_size": 16, "max_position_embeddings": 10,
                "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_dropout_prob": 0.5,
                "attention_probs_dropout_prob": 0.5, "hidden_act": "gelu"}"#,
        )
        .unwrap()
    }

    fn inputs<B: Backend>(device: &B::Device) -> [Tensor<B, 2, Int>; 2] {
        let ids = TensorData::new(vec![1i64, 5, 7, 2, 1, 9, 2, 0], [2, 4]);
        let types = TensorData::new(vec![0i64, 0, 1, 1, 0, 0, 1, 0], [2, 4]);
        [
            Tensor::from_data(ids, device),
            Tensor::from_data(types, device),
        ]
    }

    fn mask<B: Backend>(device: &B::Device) -> Tensor<B, 2, Bool> {
        let pad = vec![false, false, false, false, false, false, false, true];
        Tensor::from_data(TensorData::new(pad, [2, 4]), device)
    }

    fn run<B: Backend>(model: &BertModel<B>, device: &B::Device) -> Tensor<B, 3> {
        let [ids, types] = inputs::<B>(device);
        model.forward(ids, types, mask(device))
    }

    /// Whether each kind of parameter received a gradient: (embeddings, base weights, adapters).
    fn grads_reach(model: &BertModel<Ad>) -> (bool, bool, bool) {
        let device = Default::default();
        let grads = run(model, &device).powi_scalar(2).sum().backward();
        let query = &model.encoder.layer[0].attention.self_attention.query;
        let adapter = query.lora.as_ref().map(|l| l.b.grad(&grads).is_some());
        (
            model
                .embeddings
                .word_embeddings
                .weight
                .grad(&grads)
                .is_some(),
            query.base.weight.grad(&grads).is_some(),
            adapter.unwrap_or(false),
        )
    }

    #[test]
    fn forward_shape_and_no_dropout_without_autodiff() {
        let device = Default::default();
        let model = BertModel::<NdArray>::init(&tiny(), &device);
        let first = run(&model, &device);
        assert_eq!(first.dims(), [2, 4, 8]);
        run(&model, &device)
            .into_data()
            .assert_approx_eq::<f32>(&first.into_data(), Tolerance::absolute(0.0));
    }

    #[test]
    fn dropout_is_active_under_autodiff() {
        let device = Default::default();
        let model = BertModel::<Ad>::init(&tiny(), &device);
        let a = run(&model, &device).into_data();
        let b = run(&model, &device).into_data();
        assert_ne!(a.to_vec::<f32>().unwrap(), b.to_vec::<f32>().unwrap());
    }

    #[test]
    fn fine_tuning_modes_route_gradients() {
        let device = Default::default();
        let model = BertModel::<Ad>::init(&tiny(), &device);
        assert_eq!(grads_reach(&model), (true, true, false), "full fine-tuning");
        let lora = LoraConfig::default();
        let adapted = model.with_lora(&lora);
        let (lora_trained, _) = apply_mode(adapted.clone(), FineTune::Lora);
        assert_eq!(grads_reach(&lora_trained), (false, false, true), "LoRA");
        let (frozen, _) = apply_mode(adapted, FineTune::Frozen);
        assert_eq!(grads_reach(&frozen), (false, false, false), "frozen");
    }

    #[test]
    fn lora_targets_select_layers_and_merge_keeps_outputs() {
        let device = Default::default();
        let lora = LoraConfig {
            rank: 2,
            alpha: 4.0,
            targets: crate::LoraTargets::attention(),
        };
        let mut model = BertModel::<NdArray>::init(&tiny(), &device).with_lora(&lora);
        for layer in &mut model.encoder.layer {
            assert!(layer.intermediate.dense.lora.is_none() && layer.output.dense.lora.is_none());
            let value = layer.attention.self_attention.value.lora.as_mut().unwrap();
            // Make the adapter matter, so merging has something to fold in.
            value.b = Param::from_tensor(Tensor::random(
                [2, 8],
                Distribution::Normal(0.0, 1.0),
                &device,
            ));
        }
        let adapted = run(&model, &device);
        let merged = model.merge_lora();
        assert!(merged.encoder.layer[0]
            .attention
            .self_attention
            .query
            .lora
            .is_none());
        run(&merged, &device)
            .into_data()
            .assert_approx_eq::<f32>(&adapted.into_data(), Tolerance::absolute(1e-5));
    }
}
