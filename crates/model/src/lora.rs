//! Linear layers that can carry a low-rank adapter (LoRA, Hu et al. 2021).
//!
//! Every dense layer of the encoder is an [`AdaptedLinear`]: a plain `burn` [`Linear`] plus an
//! optional adapter, so fine-tuning can switch between updating all weights, updating only
//! adapters on a frozen base, or nothing at all (frozen encoder) without changing the model code.

use burn::module::{Initializer, Module, Param};
use burn::nn::Linear;
use burn::tensor::backend::Backend;
use burn::tensor::module::linear;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use sqlcoder_kernels as fast;

/// Which encoder layers receive an adapter, and its size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoraConfig {
    /// Rank `r` of the update `A·B`.
    pub rank: usize,
    /// The update is scaled by `alpha / rank`, so changing the rank does not change the step size.
    pub alpha: f64,
    pub targets: LoraTargets,
}

impl Default for LoraConfig {
    fn default() -> Self {
        Self {
            rank: 8,
            alpha: 16.0,
            targets: LoraTargets::default(),
        }
    }
}

impl LoraConfig {
    /// The factor applied to `x·A·B`.
    pub fn scaling(&self) -> f64 {
        self.alpha / self.rank as f64
    }
}

/// The dense layers of one BERT layer that can be adapted (all of them by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoraTargets {
    pub query: bool,
    pub key: bool,
    pub value: bool,
    pub attention_output: bool,
    pub intermediate: bool,
    pub output: bool,
}

impl Default for LoraTargets {
    fn default() -> Self {
        Self::all()
    }
}

impl LoraTargets {
    pub fn all() -> Self {
        Self {
            query: true,
            key: true,
            value: true,
            attention_output: true,
            intermediate: true,
            output: true,
        }
    }

    /// Only the attention projections (query, key, value, attention output).
    pub fn attention() -> Self {
        Self {
            intermediate: false,
            output: false,
            ..Self::all()
        }
    }
}

/// The low-rank update `x·A·B·scaling`; `A` is `[d_in, rank]`, `B` is `[rank, d_out]`.
#[derive(Module, Debug)]
pub struct LoraAdapter<B: Backend> {
    pub a: Param<Tensor<B, 2>>,
    pub b: Param<Tensor<B, 2>>,
    /// `alpha / rank` (not persisted: it comes from the [`LoraConfig`]).
    pub scaling: f64,
}

impl<B: Backend> LoraAdapter<B> {
    /// `A` uniform in ±1/√d_in (PEFT's Kaiming-uniform choice), `B` zero, so a fresh adapter
    /// leaves the layer's output unchanged while `B` still receives a gradient.
    pub fn new(d_in: usize, d_out: usize, rank: usize, alpha: f64, device: &B::Device) -> Self {
        assert!(rank > 0, "LoRA rank must be positive");
        let bound = 1.0 / (d_in as f64).sqrt();
        let a = Initializer::Uniform {
            min: -bound,
            max: bound,
        }
        .init([d_in, rank], device);
        let b = Initializer::Zeros.init([rank, d_out], device);
        Self {
            a,
            b,
            scaling: alpha / rank as f64,
        }
    }

    pub fn forward<const D: usize>(&self, x: Tensor<B, D>) -> Tensor<B, D> {
        // Scale the narrow [.., rank] intermediate rather than the wide output.
        let low = linear(x, self.a.val(), None) * self.scaling;
        linear(low, self.b.val(), None)
    }

    /// The dense `[d_in, d_out]` update this adapter adds to the base weight.
    pub fn delta_weight(&self) -> Tensor<B, 2> {
        self.a.val().matmul(self.b.val()) * self.scaling
    }
}

/// A dense layer `x·W + b` with an optional LoRA adapter added to its output.
#[derive(Module, Debug)]
pub struct AdaptedLinear<B: Backend> {
    pub base: Linear<B>,
    pub lora: Option<LoraAdapter<B>>,
}

impl<B: Backend> AdaptedLinear<B> {
    pub fn new(base: Linear<B>) -> Self {
        Self { base, lora: None }
    }

    pub fn d_input(&self) -> usize {
        self.base.weight.dims()[0]
    }

    pub fn d_output(&self) -> usize {
        self.base.weight.dims()[1]
    }

    /// Attaches a fresh adapter (replacing any existing one). The base is left as it is: what
    /// trains is decided by [`crate::trainable::apply_mode`].
    pub fn attach_lora(&mut self, rank: usize, alpha: f64) {
        let device = self.base.weight.device();
        let (d_in, d_out) = (self.d_input(), self.d_output());
        self.lora = Some(LoraAdapter::new(d_in, d_out, rank, alpha, &device));
    }

    /// Folds the adapter into the base weight (`W + A·B·scaling`) and drops it: same outputs,
    /// no extra matmuls at inference.
    pub fn merge_lora(mut self) -> Self {
        self.merge_lora_in_place();
        self
    }

    /// In-place form of [`Self::merge_lora`].
    pub fn merge_lora_in_place(&mut self) {
        if let Some(adapter) = self.lora.take() {
            let delta = adapter.delta_weight();
            self.base.weight = self.base.weight.clone().map(|w| w + delta);
        }
    }

    /// The base layer on `[rows, d_in]`: burn's `Linear` computation, through [`fast::linear`]
    /// (gemm on ndarray, burn's op elsewhere).
    fn base_forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let bias = self.base.bias.as_ref().map(|b| b.val());
        fast::linear(x, self.base.weight.val(), bias)
    }

    /// `x`: `[..., d_in]` → `[..., d_out]`.
    pub fn forward<const D: usize>(&self, x: Tensor<B, D>) -> Tensor<B, D> {
        let Some(adapter) = &self.lora else {
            // One product over the leading dimensions as rows (no reshape copies on ndarray).
            let bias = self.base.bias.as_ref().map(|b| b.val());
            return fast::linear(x, self.base.weight.val(), bias);
        };
        // Flatten to one [rows, d_in] × [d_in, d_out] product: burn-ndarray runs a batched
        // matmul as one small GEMM per leading index, ~1.6x slower for [32, 42, 384] inputs.
        let mut dims = x.dims();
        let rows = dims[..D - 1].iter().product::<usize>();
        let flat: Tensor<B, 2> = x.reshape([rows, dims[D - 1]]);
        let out = self.base_forward(flat.clone()) + adapter.forward(flat);
        dims[D - 1] = self.d_output();
        out.reshape(dims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::{Autodiff, NdArray};
    use burn::nn::LinearConfig;
    use burn::tensor::{Distribution, Tolerance};

    type Ad = Autodiff<NdArray>;

    fn adapted<B: Backend>(rank: usize, alpha: f64, device: &B::Device) -> AdaptedLinear<B> {
        let mut layer = AdaptedLinear::new(LinearConfig::new(6, 4).init::<B>(device));
        layer.attach_lora(rank, alpha);
        layer
    }

    fn input<B: Backend>(device: &B::Device) -> Tensor<B, 3> {
        Tensor::random([2, 5, 6], Distribution::Normal(0.0, 1.0), device)
    }

    #[test]
    fn fresh_adapter_leaves_output_unchanged() {
        let device = Default::default();
        let mut layer = AdaptedLinear::new(LinearConfig::new(6, 4).init::<NdArray>(&device));
        let x = input::<NdArray>(&device);
        let before = layer.forward(x.clone());
        layer.attach_lora(3, 6.0);
        let adapter = layer.lora.as_ref().unwrap();
        assert_eq!(adapter.a.dims(), [6, 3]);
        assert_eq!(adapter.b.dims(), [3, 4]);
        assert_eq!(adapter.scaling, 2.0);
        // A is random, so the equality below holds only because B starts at zero.
        assert!(adapter.a.val().abs().sum().into_scalar() > 0.0);
        let after = layer.forward(x);
        after
            .into_data()
            .assert_approx_eq::<f32>(&before.into_data(), Tolerance::absolute(1e-7));
    }

    #[test]
    fn adapter_changes_output_by_scaled_low_rank_product() {
        let device = Default::default();
        let mut layer = adapted::<NdArray>(2, 1.0, &device);
        let adapter = layer.lora.as_mut().unwrap();
        adapter.b = Param::from_tensor(Tensor::ones([2, 4], &device));
        let x = input::<NdArray>(&device);
        let adapter = layer.lora.as_ref().unwrap();
        let expected = layer.base.forward(x.clone())
            + x.clone().matmul(adapter.a.val().unsqueeze()).sum_dim(2) * 0.5;
        layer
            .forward(x.clone())
            .into_data()
            .assert_approx_eq::<f32>(&expected.into_data(), Tolerance::absolute(1e-5));

        // Merging gives the same function without the adapter.
        let unmerged = layer.forward(x.clone());
        let merged = layer.merge_lora();
        assert!(merged.lora.is_none());
        merged
            .forward(x)
            .into_data()
            .assert_approx_eq::<f32>(&unmerged.into_data(), Tolerance::absolute(1e-5));
    }

    #[test]
    fn gradients_reach_adapter_but_not_frozen_base() {
        let device = Default::default();
        let mut layer = adapted::<Ad>(3, 3.0, &device);
        layer.base = layer.base.no_grad();
        let x = input::<Ad>(&device);

        // Fresh adapter: B = 0, so A's gradient is zero but B's is not (training can start).
        let grads = layer.forward(x.clone()).powi_scalar(2).sum().backward();
        let adapter = layer.lora.as_ref().unwrap();
        assert!(layer.base.weight.grad(&grads).is_none());
        assert!(layer.base.bias.as_ref().unwrap().grad(&grads).is_none());
        let grad_b = adapter.b.grad(&grads).expect("B has a gradient");
        assert!(grad_b.abs().sum().into_scalar() > 0.0);

        // With B non-zero, A receives a non-zero gradient too.
        layer.lora.as_mut().unwrap().b = Param::from_tensor(Tensor::ones([3, 4], &device));
        let grads = layer.forward(x).powi_scalar(2).sum().backward();
        let adapter = layer.lora.as_ref().unwrap();
        let grad_a = adapter.a.grad(&grads).expect("A has a gradient");
        assert!(grad_a.abs().sum().into_scalar() > 0.0);
        assert!(adapter.b.grad(&grads).is_some());
        assert!(layer.base.weight.grad(&grads).is_none());
    }

    #[test]
    fn unfrozen_base_receives_gradients() {
        let device = Default::default();
        let layer = adapted::<Ad>(2, 2.0, &device);
        let grads = layer.forward(input::<Ad>(&device)).sum().backward();
        assert!(layer.base.weight.grad(&grads).is_some());
    }
}
