//! Dropout ([`dropout`]) with masks from a counter-based hash, generated and applied on rayon's threads.
//!
//! burn's `Dropout` draws one Bernoulli sample per element from the backend's sequential RNG
//! (ChaCha, through an f64 per element) on one thread, then multiplies twice; in a training step
//! that was the largest single-threaded cost left (~17% of the wall time at batch 32). Here
//! element `i` is kept when the top 32 bits of SplitMix64(`seed` + `i`·γ) fall below
//! `keep · 2³²`, so any chunk of the mask can be made independently, and the backward pass
//! recomputes it from the seed instead of storing it. The seed is drawn from the backend's RNG,
//! so a run stays reproducible from `Backend::seed`; the masks are different draws from burn's
//! (same keep probability, same `1/keep` scaling).

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{unary, Backward, Ops};
use burn::backend::ndarray::NdArrayTensor;
use burn::nn::Dropout;
use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::Tensor;

use crate::{f32_array, from_prim, from_vec, into_prim, is, slice, Ad, Nd};

use rayon::prelude::*;

/// Elements per rayon task.
const CHUNK: usize = 16 * 1024;

/// The golden-ratio increment of SplitMix64.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// One mask: which elements survive, and the scale applied to those that do.
#[derive(Clone, Copy, Debug)]
pub struct Mask {
    pub seed: u64,
    /// Elements whose 32-bit draw is below this survive.
    pub threshold: u64,
    pub scale: f32,
}

impl Mask {
    /// Keep each element with probability `1 − prob`, scaling survivors by `1 / (1 − prob)`.
    pub fn new(seed: u64, prob: f64) -> Self {
        let keep = 1.0 - prob;
        Self {
            seed,
            threshold: (keep * 4_294_967_296.0).round() as u64,
            scale: (1.0 / keep) as f32,
        }
    }

    /// The factor for element `i`: `scale` or 0.
    #[inline(always)]
    fn factor(&self, i: usize) -> f32 {
        let mut z = self.seed.wrapping_add((i as u64).wrapping_mul(GAMMA));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        if (z >> 32) < self.threshold {
            self.scale
        } else {
            0.0
        }
    }
}

/// `values[i] *= mask.factor(i)`: the forward pass, and (with the same mask) the backward pass.
pub fn apply_in_place(values: &mut [f32], mask: &Mask) {
    values
        .par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(c, chunk)| {
            let start = c * CHUNK;
            for (j, v) in chunk.iter_mut().enumerate() {
                *v *= mask.factor(start + j);
            }
        });
}

/// `out[i] = values[i] · mask.factor(i)`.
pub fn apply(values: &[f32], out: &mut [f32], mask: &Mask) {
    assert_eq!(values.len(), out.len());
    out.par_chunks_mut(CHUNK)
        .zip(values.par_chunks(CHUNK))
        .enumerate()
        .for_each(|(c, (o, x))| {
            let start = c * CHUNK;
            for (j, (o, x)) in o.iter_mut().zip(x).enumerate() {
                *o = x * mask.factor(start + j);
            }
        });
}

/// Dropout as `burn::nn::Dropout::forward` (active only under autodiff, identity at p = 0).
///
/// On `Autodiff<NdArray>` the mask comes from a counter-based hash seeded from the backend's
/// RNG, made and applied on rayon's threads and recomputed for the backward pass (see
/// [`dropout`](self::dropout)): reproducible from `Backend::seed`, but not the same draws as
/// burn's. Elsewhere it is burn's `Dropout::forward`.
pub fn dropout<B: Backend, const D: usize>(dropout: &Dropout, x: Tensor<B, D>) -> Tensor<B, D> {
    if is::<B, Ad>() && dropout.prob > 0.0 {
        return from_prim(autodiff_dropout(into_prim(x), dropout.prob));
    }
    dropout.forward(x)
}

/// A 64-bit seed from the ndarray backend's RNG (so `Backend::seed` fixes it).
fn backend_seed() -> u64 {
    let draws = Tensor::<Nd, 1>::random(
        [2],
        burn::tensor::Distribution::Uniform(0.0, 16_777_216.0),
        &Default::default(),
    );
    let draws: Vec<f32> = draws.into_data().to_vec().expect("f32 draws");
    ((draws[0] as u64) << 24) ^ (draws[1] as u64)
}

#[derive(Debug)]
struct DropoutBackward {
    mask: Mask,
}

impl Backward<Nd, 1> for DropoutBackward {
    type State = ();

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        unary::<Nd, _>(ops.parents, ops.node, grads, |grad| {
            let mut grad = f32_array(grad, "dropout gradient");
            if !grad.is_unique() {
                grad = grad.to_owned().into_shared();
            }
            apply_in_place(grad.as_slice_mut().expect("standard layout"), &self.mask);
            NdArrayTensor::from(grad)
        });
    }
}

fn autodiff_dropout(x: FloatTensor<Ad>, prob: f64) -> FloatTensor<Ad> {
    let mask = Mask::new(backend_seed(), prob);
    let input = f32_array(x.primitive.clone(), "dropout input");
    let mut out = vec![0.0; input.len()];
    apply(slice(&input), &mut out, &mask);
    let out = from_vec(out, input.shape().to_vec());
    DropoutBackward { mask }
        .prepare::<NoCheckpointing>([x.node.clone()])
        .compute_bound()
        .stateless(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, Tolerance};

    #[test]
    fn keeps_the_right_share_scaled_and_is_reproducible() {
        let n = 200_000;
        let mask = Mask::new(12345, 0.1);
        let mut a = vec![1.0f32; n];
        apply_in_place(&mut a, &mask);
        let kept = a.iter().filter(|&&v| v != 0.0).count();
        // Binomial(200000, 0.9): sd ≈ 134; allow 5 sd.
        assert!((kept as f64 - 0.9 * n as f64).abs() < 700.0, "kept {kept}");
        assert!(a.iter().all(|&v| v == 0.0 || v == (1.0f64 / 0.9) as f32));
        // The same seed gives the same mask in both forms; another seed another mask.
        let mut b = vec![0.0f32; n];
        apply(&vec![1.0f32; n], &mut b, &mask);
        assert_eq!(a, b);
        let mut c = vec![1.0f32; n];
        apply_in_place(&mut c, &Mask::new(12346, 0.1));
        assert_ne!(a, c);
        // Neighbouring elements are not correlated: runs of drops are as rare as chance says.
        let pairs = a.windows(2).filter(|w| w[0] == 0.0 && w[1] == 0.0).count();
        assert!(
            (pairs as f64 - 0.01 * n as f64).abs() < 300.0,
            "{pairs} adjacent drops"
        );
    }

    #[test]
    fn dropout_scales_survivors_and_routes_the_gradient_through_the_same_mask() {
        let device = Default::default();
        let layer = burn::nn::DropoutConfig::new(0.25).init();
        let x = Tensor::<Nd, 2>::random([64, 300], Distribution::Normal(0.0, 1.0), &device);
        // Without autodiff: identity, as burn's.
        dropout(&layer, x.clone())
            .into_data()
            .assert_approx_eq::<f32>(&x.clone().into_data(), Tolerance::absolute(0.0));
        let xa = Tensor::<Ad, 2>::from_inner(x.clone()).require_grad();
        let y = dropout(&layer, xa.clone());
        let (xs, ys): (Vec<f32>, Vec<f32>) =
            (x.to_data().to_vec().unwrap(), y.to_data().to_vec().unwrap());
        let grads = (y * 3.0).sum().backward();
        let g: Vec<f32> = xa.grad(&grads).unwrap().into_data().to_vec().unwrap();
        let mut dropped = 0;
        for ((x, y), g) in xs.iter().zip(&ys).zip(&g) {
            if *y == 0.0 {
                dropped += 1;
                assert_eq!(*g, 0.0, "a dropped element passes no gradient");
            } else {
                assert!((y - x / 0.75).abs() <= 1e-6 * x.abs().max(1.0));
                assert!((g - 3.0 / 0.75).abs() < 1e-6, "{g}");
            }
        }
        // 25% of 19200, within 5 standard deviations (60).
        assert!((dropped as f64 - 4800.0).abs() < 300.0, "{dropped} dropped");
        // Seeding the backend fixes the mask.
        let run = || {
            <Ad as Backend>::seed(&device, 3);
            dropout(&layer, Tensor::<Ad, 2>::from_inner(x.clone())).into_data()
        };
        run().assert_approx_eq::<f32>(&run(), Tolerance::absolute(0.0));
    }
}
