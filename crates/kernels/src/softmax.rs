//! `softmax(scores + bias)` over attention rows ([`masked_softmax`]): the burn op, its ndarray
//! kernel (the bias add, max, exp and normalisation in one multi-threaded pass per row) and its
//! autodiff backward.

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

use crate::simd::{exp, multiversion, rows_per_task};
use crate::{f32_array, from_prim, into_prim, is, Ad, Nd};

/// `softmax(scores + bias, 3)` for attention: `scores` `[batch, heads, q, k]`, `bias`
/// `[batch, 1, 1, k]` (0 for tokens, a large negative number for padding).
///
/// On ndarray (plain or autodiff) it is one fused, multi-threaded pass per row; under autodiff
/// `bias` is a constant (no gradient flows to it: it comes from the padding mask). Elsewhere it
/// is burn's `softmax(scores + bias, 3)`.
pub fn masked_softmax<B: Backend>(scores: Tensor<B, 4>, bias: Tensor<B, 4>) -> Tensor<B, 4> {
    let [batch, heads, q, k] = scores.dims();
    let fused = bias.dims() == [batch, 1, 1, k];
    if fused && is::<B, Nd>() {
        return from_prim(ndarray_masked_softmax(
            into_prim(scores),
            into_prim(bias),
            heads * q,
            k,
        ));
    }
    if fused && is::<B, Ad>() {
        let bias: FloatTensor<Ad> = into_prim(bias);
        let bias = bias.primitive;
        return from_prim(autodiff_masked_softmax(
            into_prim(scores),
            bias,
            heads * q,
            k,
        ));
    }
    activation::softmax(scores + bias, 3)
}

fn ndarray_masked_softmax(
    scores: NdArrayTensor,
    bias: NdArrayTensor,
    rows_per_bias: usize,
    row_len: usize,
) -> NdArrayTensor {
    let mut scores = f32_array(scores, "attention scores");
    let bias = f32_array(bias, "attention bias");
    // Writes in place when the scores are not shared (they never are: a fresh matmul output).
    let out = scores.as_slice_mut().expect("standard layout");
    let bias = bias.as_slice().expect("standard layout");
    masked_softmax_in_place(out, bias, row_len, rows_per_bias);
    NdArrayTensor::from(scores)
}

#[derive(Debug)]
struct MaskedSoftmaxBackward {
    row_len: usize,
}

impl Backward<Nd, 1> for MaskedSoftmaxBackward {
    /// The output probabilities.
    type State = NdArrayTensor;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let probs = f32_array(ops.state, "softmax output");
        unary::<Nd, _>(ops.parents, ops.node, grads, |grad| {
            let mut grad = f32_array(grad, "softmax gradient");
            softmax_backward_in_place(
                probs.as_slice().expect("standard layout"),
                grad.as_slice_mut().expect("standard layout"),
                self.row_len,
            );
            NdArrayTensor::from(grad)
        });
    }
}

fn autodiff_masked_softmax(
    scores: FloatTensor<Ad>,
    bias: NdArrayTensor,
    rows_per_bias: usize,
    row_len: usize,
) -> FloatTensor<Ad> {
    let probs = ndarray_masked_softmax(scores.primitive, bias, rows_per_bias, row_len);
    match (MaskedSoftmaxBackward { row_len })
        .prepare::<NoCheckpointing>([scores.node.clone()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(probs.clone(), probs),
        OpsKind::UnTracked(prep) => prep.finish(probs),
    }
}

multiversion!(softmax_rows_chunk(scores: &mut [f32], bias: &[f32], row_len: usize, rows_per_bias: usize, first_row: usize) {
    for (r, row) in scores.chunks_exact_mut(row_len).enumerate() {
        let b = (first_row + r) / rows_per_bias;
        let bias = &bias[b * row_len..(b + 1) * row_len];
        let mut max = f32::NEG_INFINITY;
        for (v, &m) in row.iter_mut().zip(bias) {
            *v += m;
            max = max.max(*v);
        }
        let mut sum = 0.0;
        for v in row.iter_mut() {
            *v = exp(*v - max);
            sum += *v;
        }
        let inv = 1.0 / sum;
        for v in row.iter_mut() {
            *v *= inv;
        }
    }
});

multiversion!(softmax_backward_chunk(probs: &[f32], grad: &mut [f32], row_len: usize) {
    for (p, g) in probs.chunks_exact(row_len).zip(grad.chunks_exact_mut(row_len)) {
        let dot: f32 = p.iter().zip(g.iter()).map(|(p, g)| p * g).sum();
        for (g, &p) in g.iter_mut().zip(p) {
            *g = p * (*g - dot);
        }
    }
});

/// Softmax of every `row_len`-long row of `scores` after adding a bias row, in place: row `r`
/// gets `bias[r / rows_per_bias]` (the attention mask: one bias row per batch item, shared by
/// all heads and query positions).
pub fn masked_softmax_in_place(
    scores: &mut [f32],
    bias: &[f32],
    row_len: usize,
    rows_per_bias: usize,
) {
    assert_eq!(scores.len() % row_len, 0, "scores are whole rows");
    let rows = scores.len() / row_len;
    assert_eq!(
        bias.len() * rows_per_bias,
        rows * row_len,
        "one bias row per group"
    );
    let per_task = rows_per_task(row_len);
    scores
        .par_chunks_mut(per_task * row_len)
        .enumerate()
        .for_each(|(i, chunk)| {
            softmax_rows_chunk(chunk, bias, row_len, rows_per_bias, i * per_task)
        });
}

/// Softmax backward in place: `grad ← p ⊙ (grad − Σ_row p ⊙ grad)`, row by row.
pub fn softmax_backward_in_place(probs: &[f32], grad: &mut [f32], row_len: usize) {
    assert_eq!(probs.len(), grad.len());
    let per_task = rows_per_task(row_len) * row_len;
    grad.par_chunks_mut(per_task)
        .zip(probs.par_chunks(per_task))
        .for_each(|(g, p)| softmax_backward_chunk(p, g, row_len));
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, Tolerance};

    #[test]
    fn masked_softmax_matches_burn_forward_and_gradient() {
        let device = Default::default();
        let scores = Tensor::<Nd, 4>::random([2, 3, 5, 6], Distribution::Normal(0.0, 2.0), &device);
        let pad = Tensor::<Nd, 2>::from_floats(
            [
                [0.0, 0.0, 0.0, 0.0, 0.0, -10_000.0],
                [0.0, 0.0, 0.0, -10_000.0, -10_000.0, -10_000.0],
            ],
            &device,
        )
        .reshape([2, 1, 1, 6]);
        let tol = Tolerance::absolute(1e-6);
        let want = activation::softmax(scores.clone() + pad.clone(), 3);
        masked_softmax(scores.clone(), pad.clone())
            .into_data()
            .assert_approx_eq::<f32>(&want.into_data(), tol);

        let upstream =
            Tensor::<Ad, 4>::random([2, 3, 5, 6], Distribution::Normal(0.0, 1.0), &device);
        let run = |fused: bool| {
            let s = Tensor::<Ad, 4>::from_inner(scores.clone()).require_grad();
            let p = Tensor::<Ad, 4>::from_inner(pad.clone());
            let probs = if fused {
                masked_softmax(s.clone(), p)
            } else {
                activation::softmax(s.clone() + p, 3)
            };
            let grads = (probs.clone() * upstream.clone()).sum().backward();
            (probs.inner(), s.grad(&grads).unwrap())
        };
        let ((p1, g1), (p2, g2)) = (run(true), run(false));
        p1.into_data().assert_approx_eq::<f32>(&p2.into_data(), tol);
        g1.into_data()
            .assert_approx_eq::<f32>(&g2.into_data(), Tolerance::absolute(1e-5));
    }

    #[test]
    fn masked_softmax_matches_the_definition_and_its_gradient() {
        let (groups, rows_per_bias, n) = (3, 4, 7);
        let scores: Vec<f32> = (0..groups * rows_per_bias * n)
            .map(|i| ((i * 29) % 23) as f32 * 0.37 - 4.0)
            .collect();
        let bias: Vec<f32> = (0..groups * n)
            .map(|i| if i % 5 == 4 { -10_000.0 } else { 0.0 })
            .collect();
        let mut probs = scores.clone();
        masked_softmax_in_place(&mut probs, &bias, n, rows_per_bias);
        for (r, row) in probs.chunks(n).enumerate() {
            let b = &bias[(r / rows_per_bias) * n..][..n];
            let z: Vec<f64> = scores[r * n..][..n]
                .iter()
                .zip(b)
                .map(|(s, b)| (s + b) as f64)
                .collect();
            let max = z.iter().cloned().fold(f64::MIN, f64::max);
            let total: f64 = z.iter().map(|v| (v - max).exp()).sum();
            for (p, v) in row.iter().zip(&z) {
                assert!((*p as f64 - (v - max).exp() / total).abs() < 1e-6);
            }
            assert!(row.iter().zip(b).all(|(p, b)| *b == 0.0 || *p == 0.0));
        }
        // Backward: the Jacobian-vector product diag(p)·g − p·(pᵀg).
        let upstream: Vec<f32> = (0..probs.len()).map(|i| (i % 7) as f32 - 3.0).collect();
        let mut grad = upstream.clone();
        softmax_backward_in_place(&probs, &mut grad, n);
        for ((p, u), g) in probs.chunks(n).zip(upstream.chunks(n)).zip(grad.chunks(n)) {
            let dot: f64 = p.iter().zip(u).map(|(p, u)| (p * u) as f64).sum();
            for i in 0..n {
                let want = p[i] as f64 * (u[i] as f64 - dot);
                assert!((g[i] as f64 - want).abs() < 1e-5, "{} vs {want}", g[i]);
            }
        }
    }
}
