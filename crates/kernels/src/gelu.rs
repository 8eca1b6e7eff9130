//! GELU, exact erf form (as BERT), and its derivative: the burn op ([`gelu`]), its ndarray
//! kernel and autodiff backward, and the element-wise f32 kernels on plain slices.
//!
//! Each kernel is one branch-free scalar body, compiled three times (AVX-512, AVX2+FMA, and the
//! baseline target) and picked at run time, so LLVM vectorises the loop at the widest width the
//! CPU has; slices are split across rayon's threads in chunks.
//!
//! Accuracy: Φ(x) comes from erfc through Numerical Recipes' `erfcc` (relative error < 1.2e-7
//! for every argument), so GELU's tail `x·Φ(x)` for negative x is accurate relative to its
//! own tiny size instead of inheriting the cancellation of `1 + erf(x/√2)`; measured against
//! f64 `erf`, forward and derivative stay within 1e-6·max(1, |value|) (see the tests).

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{unary, Backward, Ops, OpsKind};
use burn::backend::ndarray::NdArrayTensor;
use burn::tensor::activation;
use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::Tensor;
use rayon::prelude::*;

use crate::simd::{exp, multiversion, CHUNK};
use crate::{from_prim, into_prim, is, standard_f32, Ad, Nd};

/// GELU, exact erf form (as BERT): `x·Φ(x)`.
///
/// On ndarray (plain or autodiff) it matches f64 `erf` to 1e-6·max(1, |y|), forward and
/// gradient; elsewhere it is `burn::tensor::activation::gelu`.
pub fn gelu<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    if is::<B, Nd>() {
        return from_prim(ndarray_gelu(into_prim(x)));
    }
    if is::<B, Ad>() {
        return from_prim(autodiff_gelu(into_prim(x)));
    }
    activation::gelu(x)
}

fn ndarray_gelu(x: NdArrayTensor) -> NdArrayTensor {
    let mut array = match standard_f32(x) {
        Ok(array) => array,
        Err(other) => return <Nd as burn::tensor::ops::ActivationOps<Nd>>::gelu(other),
    };
    if array.is_unique() {
        gelu_in_place(array.as_slice_mut().expect("standard layout"));
        return NdArrayTensor::from(array);
    }
    // Shared (autodiff keeps the input for the backward pass): write into a new buffer.
    let input = array.as_slice().expect("standard layout");
    let mut out = vec![0.0f32; input.len()];
    gelu_into(input, &mut out);
    let shape = array.shape().to_vec();
    NdArrayTensor::from_data(burn::tensor::TensorData::new(out, shape))
}

/// `grad · GELU'(x)`, reusing `grad`'s buffer when it is not shared.
fn ndarray_gelu_backward(x: NdArrayTensor, grad: NdArrayTensor) -> NdArrayTensor {
    match (standard_f32(x), standard_f32(grad)) {
        (Ok(x), Ok(mut grad)) => {
            assert_eq!(x.shape(), grad.shape(), "GELU gradient shape");
            let out = grad.as_slice_mut().expect("standard layout");
            gelu_backward_in_place(x.as_slice().expect("standard layout"), out);
            NdArrayTensor::from(grad)
        }
        _ => panic!("GELU backward on ndarray expects f32 tensors"),
    }
}

#[derive(Debug)]
struct GeluBackward;

impl Backward<Nd, 1> for GeluBackward {
    /// The input, needed for the derivative.
    type State = NdArrayTensor;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let x = ops.state;
        unary::<Nd, _>(ops.parents, ops.node, grads, |grad| {
            ndarray_gelu_backward(x, grad)
        });
    }
}

fn autodiff_gelu(x: FloatTensor<Ad>) -> FloatTensor<Ad> {
    match GeluBackward
        .prepare::<NoCheckpointing>([x.node.clone()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => {
            let out = ndarray_gelu(x.primitive.clone());
            prep.finish(x.primitive, out)
        }
        OpsKind::UnTracked(prep) => prep.finish(ndarray_gelu(x.primitive)),
    }
}

const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// 1/√(2π), the normal density's constant.
const INV_SQRT_2PI: f32 = 0.398_942_3;

/// `erfc(z)` for `z ≥ 0` (Numerical Recipes `erfcc`, fractional error < 1.2e-7). `z` is capped
/// at 9, where erfc is already ~4e-37 (below anything GELU can show next to `x`).
#[inline(always)]
fn erfc_nonneg(z: f32) -> f32 {
    let z = z.min(9.0);
    let t = 1.0 / (1.0 + 0.5 * z);
    let p = 0.170_872_77;
    let p = p * t - 0.822_152_23;
    let p = p * t + 1.488_515_9;
    let p = p * t - 1.135_204;
    let p = p * t + 0.278_868_07;
    let p = p * t - 0.186_288_06;
    let p = p * t + 0.096_784_18;
    let p = p * t + 0.374_091_96;
    let p = p * t + 1.000_023_7;
    let p = p * t - 1.265_512_2;
    t * exp(p - z * z)
}

/// The standard normal CDF Φ(x) = ½·erfc(−x/√2).
#[inline(always)]
fn normal_cdf(x: f32) -> f32 {
    let half_tail = 0.5 * erfc_nonneg(x.abs() * FRAC_1_SQRT_2);
    if x < 0.0 {
        half_tail
    } else {
        1.0 - half_tail
    }
}

/// GELU(x) = x·Φ(x), the exact (erf) form BERT uses.
#[inline(always)]
pub fn gelu_one(x: f32) -> f32 {
    x * normal_cdf(x)
}

/// d GELU / dx = Φ(x) + x·φ(x).
#[inline(always)]
pub fn gelu_grad_one(x: f32) -> f32 {
    normal_cdf(x) + x * INV_SQRT_2PI * exp(-0.5 * x * x)
}

multiversion!(gelu_chunk(x: &[f32], out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = gelu_one(v);
    }
});

multiversion!(gelu_chunk_in_place(values: &mut [f32]) {
    for v in values.iter_mut() {
        *v = gelu_one(*v);
    }
});

multiversion!(gelu_backward_chunk(x: &[f32], grad: &mut [f32]) {
    for (g, &v) in grad.iter_mut().zip(x) {
        *g *= gelu_grad_one(v);
    }
});

/// `out[i] = GELU(x[i])`.
pub fn gelu_into(x: &[f32], out: &mut [f32]) {
    assert_eq!(x.len(), out.len());
    out.par_chunks_mut(CHUNK)
        .zip(x.par_chunks(CHUNK))
        .for_each(|(o, x)| gelu_chunk(x, o));
}

/// `values[i] = GELU(values[i])`.
pub fn gelu_in_place(values: &mut [f32]) {
    values.par_chunks_mut(CHUNK).for_each(gelu_chunk_in_place);
}

/// `grad[i] *= GELU'(x[i])`: the input gradient from the output gradient, in place.
pub fn gelu_backward_in_place(x: &[f32], grad: &mut [f32]) {
    assert_eq!(x.len(), grad.len());
    grad.par_chunks_mut(CHUNK)
        .zip(x.par_chunks(CHUNK))
        .for_each(|(g, x)| gelu_backward_chunk(x, g));
}

/// Exact GELU in f64 (`x·Φ(x)`), the reference the kernels' tests compare against.
#[cfg(test)]
pub(crate) fn exact_gelu(x: f64) -> f64 {
    0.5 * x * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Its derivative `Φ(x) + x·φ(x)`.
#[cfg(test)]
pub(crate) fn exact_gelu_grad(x: f64) -> f64 {
    let pdf = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2) + x * pdf
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, Tolerance};

    fn assert_close(got: Vec<f32>, want: impl Iterator<Item = f64>, what: &str) {
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            let err = (*g as f64 - w).abs() / w.abs().max(1.0);
            assert!(err <= 1e-6, "{what}[{i}] = {g}, exact {w}");
        }
    }

    #[test]
    fn ndarray_forward_matches_exact_gelu_and_burn() {
        let device = Default::default();
        let x = Tensor::<Nd, 3>::random([3, 5, 70], Distribution::Normal(0.0, 3.0), &device);
        let values: Vec<f32> = x.to_data().to_vec().unwrap();
        let fast = gelu(x.clone());
        assert_eq!(fast.dims(), [3, 5, 70]);
        let got: Vec<f32> = fast.to_data().to_vec().unwrap();
        assert_close(got, values.iter().map(|&v| exact_gelu(v as f64)), "gelu");
        // A transposed (non-contiguous) input gives the transposed result.
        let t = gelu(x.clone().swap_dims(0, 2));
        t.swap_dims(0, 2)
            .into_data()
            .assert_approx_eq::<f32>(&fast.clone().into_data(), Tolerance::absolute(0.0));
        // burn's own op agrees to its accuracy.
        activation::gelu(x)
            .into_data()
            .assert_approx_eq::<f32>(&fast.into_data(), Tolerance::absolute(1e-5));
    }

    #[test]
    fn autodiff_gradient_is_the_exact_derivative() {
        let device = Default::default();
        let x = Tensor::<Ad, 2>::random([7, 300], Distribution::Normal(0.0, 3.0), &device)
            .require_grad();
        let values: Vec<f32> = x.to_data().to_vec().unwrap();
        let upstream = Tensor::<Ad, 2>::random([7, 300], Distribution::Normal(0.0, 1.0), &device);
        let weights: Vec<f32> = upstream.to_data().to_vec().unwrap();
        let y = gelu(x.clone());
        let got: Vec<f32> = y.to_data().to_vec().unwrap();
        assert_close(got, values.iter().map(|&v| exact_gelu(v as f64)), "gelu");
        let grads = (y * upstream).sum().backward();
        let grad: Vec<f32> = x.grad(&grads).unwrap().to_data().to_vec().unwrap();
        let want = values
            .iter()
            .zip(&weights)
            .map(|(&v, &w)| w as f64 * exact_gelu_grad(v as f64));
        assert_close(grad, want, "gradient");
    }

    #[test]
    fn untracked_autodiff_input_still_works() {
        let device = Default::default();
        let x = Tensor::<Ad, 1>::from_floats([-1.0, 0.0, 2.0], &device);
        let got: Vec<f32> = gelu(x).to_data().to_vec().unwrap();
        assert_close(got, [-1.0, 0.0, 2.0].into_iter().map(exact_gelu), "gelu");
    }

    /// Every f32 step of 1/1024 over [-16, 16], plus far tails and special values.
    fn grid() -> Vec<f32> {
        let mut xs: Vec<f32> = (-16 * 1024..=16 * 1024)
            .map(|i| i as f32 / 1024.0)
            .collect();
        xs.extend([
            -1e4, -100.0, -30.0, 30.0, 100.0, 1e4, 1e-30, -1e-30, 0.0, -0.0,
        ]);
        xs
    }

    /// Largest error relative to max(1, |exact|): absolute near zero, relative for large values
    /// (f32 itself cannot hold |y| > 8 to better than 1e-6 absolute).
    fn worst(got: &[f32], exact: impl Fn(f64) -> f64, xs: &[f32]) -> (f64, f32) {
        xs.iter()
            .zip(got)
            .map(|(&x, &g)| {
                let e = exact(x as f64);
                ((g as f64 - e).abs() / e.abs().max(1.0), x)
            })
            .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a })
    }

    #[test]
    fn gelu_matches_exact_erf_form() {
        let xs = grid();
        let mut out = vec![0.0; xs.len()];
        gelu_into(&xs, &mut out);
        let (err, at) = worst(&out, exact_gelu, &xs);
        assert!(err <= 1e-6, "GELU off by {err:e} at x = {at}");
        // In place gives the same values.
        let mut again = xs.clone();
        gelu_in_place(&mut again);
        assert_eq!(again, out);
        // Deep in the negative tail GELU is a tiny negative number (-5e-15 at -8), right to a few
        // parts per million, not a cancellation artefact of 1 + erf.
        let y = out[xs.iter().position(|&x| x == -8.0).unwrap()] as f64;
        assert!(
            (y - exact_gelu(-8.0)).abs() <= 1e-5 * exact_gelu(-8.0).abs(),
            "{y}"
        );
    }

    #[test]
    fn gelu_gradient_matches_exact_derivative() {
        let xs = grid();
        let mut grad = vec![1.0; xs.len()];
        gelu_backward_in_place(&xs, &mut grad);
        let (err, at) = worst(&grad, exact_gelu_grad, &xs);
        assert!(err <= 1e-6, "GELU' off by {err:e} at x = {at}");
        // The upstream gradient multiplies through.
        let mut scaled = vec![-2.5; xs.len()];
        gelu_backward_in_place(&xs, &mut scaled);
        assert!(scaled.iter().zip(&grad).all(|(s, g)| *s == -2.5 * g));
    }
}
