//! LayerNorm ([`layer_norm`]) over the last dimension (optionally of a residual sum `x + r`), row by row on
//! rayon's threads, with its own backward pass.
//!
//! burn decomposes LayerNorm into ~8 element-wise tensor ops (mean, centre, square, mean, add,
//! sqrt, divide, scale, shift), each on one thread with its own output array, and autodiff
//! records a node for each; the residual add before it is one more. Here the forward is one pass
//! per row and the backward one more, using the saved normalised rows:
//! `dx = (g·γ − mean(g·γ) − x̂·mean(g·γ·x̂)) / σ`, `dγ = Σ g·x̂`, `dβ = Σ g`
//! (the column sums are per fixed chunk of rows, added in order: deterministic).

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::ndarray::NdArrayTensor;
use burn::nn::LayerNorm;
use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::Tensor;

use crate::{f32_array, from_prim, from_vec, into_prim, is, slice, Ad, Nd};

use rayon::prelude::*;

/// Rows per rayon task.
const ROWS_PER_TASK: usize = 32;

/// The forward pass: `out = x̂·γ + β` where `x̂ = (z − mean z) / √(var z + eps)` per row of
/// `z = x (+ residual)`; writes `x̂` to `normalized` and `√(var + eps)` per row to `denom`.
#[allow(clippy::too_many_arguments)]
pub fn forward(
    x: &[f32],
    residual: Option<&[f32]>,
    gamma: &[f32],
    beta: Option<&[f32]>,
    eps: f32,
    out: &mut [f32],
    normalized: &mut [f32],
    denom: &mut [f32],
) {
    let width = gamma.len();
    assert!(
        width > 0 && x.len().is_multiple_of(width),
        "LayerNorm: rows of {width}"
    );
    assert_eq!(out.len(), x.len());
    assert_eq!(normalized.len(), x.len());
    assert_eq!(denom.len(), x.len() / width);
    if let Some(r) = residual {
        assert_eq!(r.len(), x.len(), "LayerNorm: residual size");
    }
    let chunk = ROWS_PER_TASK * width;
    out.par_chunks_mut(chunk)
        .zip(normalized.par_chunks_mut(chunk))
        .zip(denom.par_chunks_mut(ROWS_PER_TASK))
        .enumerate()
        .for_each(|(task, ((out, normalized), denom))| {
            let start = task * chunk;
            let x = &x[start..start + out.len()];
            let r = residual.map(|r| &r[start..start + out.len()]);
            for (row, ((o, n), d)) in out
                .chunks_exact_mut(width)
                .zip(normalized.chunks_exact_mut(width))
                .zip(denom.iter_mut())
                .enumerate()
            {
                let xr = &x[row * width..][..width];
                // z = x + r, kept in `n` until it is normalised.
                match r {
                    Some(r) => {
                        let rr = &r[row * width..][..width];
                        n.iter_mut()
                            .zip(xr.iter().zip(rr))
                            .for_each(|(n, (a, b))| *n = a + b);
                    }
                    None => n.copy_from_slice(xr),
                }
                let mean = n.iter().sum::<f32>() / width as f32;
                n.iter_mut().for_each(|v| *v -= mean);
                let var = n.iter().map(|v| v * v).sum::<f32>() / width as f32;
                *d = (var + eps).sqrt();
                let sd = *d;
                n.iter_mut().for_each(|v| *v /= sd);
                match beta {
                    Some(beta) => o
                        .iter_mut()
                        .zip(n.iter().zip(gamma.iter().zip(beta)))
                        .for_each(|(o, (n, (g, b)))| *o = n * g + b),
                    None => o
                        .iter_mut()
                        .zip(n.iter().zip(gamma))
                        .for_each(|(o, (n, g))| *o = n * g),
                }
            }
        });
}

/// The backward pass from the saved `normalized` rows and `denom`: returns `dx` (also the
/// residual's gradient), `dγ` and `dβ`.
pub fn backward(
    grad: &[f32],
    normalized: &[f32],
    denom: &[f32],
    gamma: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let width = gamma.len();
    assert_eq!(grad.len(), normalized.len());
    assert_eq!(denom.len() * width, grad.len());
    let mut dx = vec![0.0; grad.len()];
    let chunk = ROWS_PER_TASK * width;
    let partial: Vec<(Vec<f32>, Vec<f32>)> = dx
        .par_chunks_mut(chunk)
        .zip(grad.par_chunks(chunk))
        .zip(normalized.par_chunks(chunk))
        .zip(denom.par_chunks(ROWS_PER_TASK))
        .map(|(((dx, g), n), d)| {
            let (mut dgamma, mut dbeta) = (vec![0.0f32; width], vec![0.0f32; width]);
            for (((dx, g), n), &d) in dx
                .chunks_exact_mut(width)
                .zip(g.chunks_exact(width))
                .zip(n.chunks_exact(width))
                .zip(d)
            {
                let (mut sum_gg, mut sum_ggn) = (0.0f32, 0.0f32);
                for i in 0..width {
                    dgamma[i] += g[i] * n[i];
                    dbeta[i] += g[i];
                    let gg = g[i] * gamma[i];
                    sum_gg += gg;
                    sum_ggn += gg * n[i];
                }
                let (mean_gg, mean_ggn) = (sum_gg / width as f32, sum_ggn / width as f32);
                for i in 0..width {
                    dx[i] = (g[i] * gamma[i] - mean_gg - n[i] * mean_ggn) / d;
                }
            }
            (dgamma, dbeta)
        })
        .collect();
    let (mut dgamma, mut dbeta) = (vec![0.0f32; width], vec![0.0f32; width]);
    for (pg, pb) in &partial {
        dgamma.iter_mut().zip(pg).for_each(|(s, v)| *s += v);
        dbeta.iter_mut().zip(pb).for_each(|(s, v)| *s += v);
    }
    (dx, dgamma, dbeta)
}

/// `layer_norm(x + residual)` over the last dimension (`x` alone without a residual): the
/// module's γ and β, with `eps` (the one `layer_norm` was built with; burn keeps it private).
///
/// On ndarray (plain or autodiff) it is one multi-threaded pass per row with its own backward
/// node (the residual gets the same gradient as `x`); elsewhere, or without β, it is burn's
/// add and `LayerNorm::forward`.
pub fn layer_norm<B: Backend, const D: usize>(
    x: Tensor<B, D>,
    residual: Option<Tensor<B, D>>,
    layer_norm: &LayerNorm<B>,
    eps: f64,
) -> Tensor<B, D> {
    let gamma = layer_norm.gamma.val();
    let beta = layer_norm.beta.as_ref().map(|b| b.val());
    if let Some(beta) = beta {
        if is::<B, Nd>() {
            let (out, _, _) = ndarray_layer_norm(
                into_prim(x),
                residual.map(into_prim),
                into_prim(gamma),
                into_prim(beta),
                eps as f32,
            );
            return from_prim(out);
        }
        if is::<B, Ad>() {
            return from_prim(autodiff_layer_norm(
                into_prim(x),
                residual.map(into_prim),
                into_prim(gamma),
                into_prim(beta),
                eps as f32,
            ));
        }
    }
    layer_norm.forward(match residual {
        Some(r) => x + r,
        None => x,
    })
}

/// LayerNorm on ndarray: (output, normalised rows, per-row √(var + eps)).
fn ndarray_layer_norm(
    x: NdArrayTensor,
    residual: Option<NdArrayTensor>,
    gamma: NdArrayTensor,
    beta: NdArrayTensor,
    eps: f32,
) -> (NdArrayTensor, NdArrayTensor, Vec<f32>) {
    let x = f32_array(x, "LayerNorm input");
    let r = residual.map(|r| f32_array(r, "LayerNorm residual"));
    if let Some(r) = &r {
        assert_eq!(r.shape(), x.shape(), "LayerNorm: residual shape");
    }
    let (gamma, beta) = (
        f32_array(gamma, "LayerNorm γ"),
        f32_array(beta, "LayerNorm β"),
    );
    let shape = x.shape().to_vec();
    assert_eq!(shape.last(), Some(&gamma.len()), "LayerNorm width");
    let (mut out, mut normalized) = (vec![0.0; x.len()], vec![0.0; x.len()]);
    let mut denom = vec![0.0; x.len() / gamma.len().max(1)];
    forward(
        slice(&x),
        r.as_ref().map(slice),
        slice(&gamma),
        Some(slice(&beta)),
        eps,
        &mut out,
        &mut normalized,
        &mut denom,
    );
    (
        from_vec(out, shape.clone()),
        from_vec(normalized, shape),
        denom,
    )
}

/// Parents: the inputs (`x`, and the residual when there is one), then γ, then β.
#[derive(Debug)]
struct LayerNormBackward;

impl<const N: usize> Backward<Nd, N> for LayerNormBackward {
    /// The normalised rows, per-row √(var + eps), and γ.
    type State = (NdArrayTensor, Vec<f32>, NdArrayTensor);

    fn backward(self, ops: Ops<Self::State, N>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = f32_array(grads.consume::<Nd>(&ops.node), "LayerNorm gradient");
        let (normalized, denom, gamma) = ops.state;
        let (normalized, gamma) = (
            f32_array(normalized, "LayerNorm saved rows"),
            f32_array(gamma, "LayerNorm γ"),
        );
        let (dx, dgamma, dbeta) = backward(slice(&grad), slice(&normalized), &denom, slice(&gamma));
        let [inputs @ .., node_gamma, node_beta] = ops.parents.as_slice() else {
            unreachable!("LayerNorm has γ and β parents")
        };
        let dx = from_vec(dx, grad.shape().to_vec());
        for node in inputs.iter().flatten() {
            grads.register::<Nd>(node.id, dx.clone());
        }
        if let Some(node) = node_gamma {
            grads.register::<Nd>(node.id, from_vec(dgamma, vec![gamma.len()]));
        }
        if let Some(node) = node_beta {
            grads.register::<Nd>(node.id, from_vec(dbeta, vec![gamma.len()]));
        }
    }
}

fn autodiff_layer_norm(
    x: FloatTensor<Ad>,
    residual: Option<FloatTensor<Ad>>,
    gamma: FloatTensor<Ad>,
    beta: FloatTensor<Ad>,
    eps: f32,
) -> FloatTensor<Ad> {
    let (out, normalized, denom) = ndarray_layer_norm(
        x.primitive.clone(),
        residual.as_ref().map(|r| r.primitive.clone()),
        gamma.primitive.clone(),
        beta.primitive.clone(),
        eps,
    );
    let state = (normalized, denom, gamma.primitive.clone());
    macro_rules! record {
        ($nodes:expr) => {
            match LayerNormBackward
                .prepare::<NoCheckpointing>($nodes)
                .compute_bound()
                .stateful()
            {
                OpsKind::Tracked(prep) => prep.finish(state, out),
                OpsKind::UnTracked(prep) => prep.finish(out),
            }
        };
    }
    match residual {
        Some(r) => record!([x.node, r.node, gamma.node, beta.node]),
        None => record!([x.node, gamma.node, beta.node]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, Tolerance};

    #[test]
    fn forward_and_backward_match_the_definitions() {
        let (rows, width, eps) = (70, 9, 1e-5f32);
        let x: Vec<f32> = (0..rows * width)
            .map(|i| ((i * 37) % 29) as f32 * 0.3 - 4.0)
            .collect();
        let r: Vec<f32> = (0..rows * width)
            .map(|i| ((i * 11) % 7) as f32 - 3.0)
            .collect();
        let gamma: Vec<f32> = (0..width).map(|i| 0.5 + i as f32 * 0.1).collect();
        let beta: Vec<f32> = (0..width).map(|i| i as f32 * 0.01 - 0.03).collect();
        let g: Vec<f32> = (0..rows * width)
            .map(|i| ((i * 13) % 11) as f32 * 0.2 - 1.0)
            .collect();
        let (mut out, mut n, mut d) = (vec![0.0; x.len()], vec![0.0; x.len()], vec![0.0; rows]);
        forward(
            &x,
            Some(&r),
            &gamma,
            Some(&beta),
            eps,
            &mut out,
            &mut n,
            &mut d,
        );
        let (dx, dgamma, dbeta) = backward(&g, &n, &d, &gamma);
        let (mut want_dg, mut want_db) = (vec![0.0f64; width], vec![0.0f64; width]);
        for row in 0..rows {
            let z: Vec<f64> = (0..width)
                .map(|i| (x[row * width + i] + r[row * width + i]) as f64)
                .collect();
            let mean = z.iter().sum::<f64>() / width as f64;
            let var = z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / width as f64;
            let sd = (var + eps as f64).sqrt();
            let xhat: Vec<f64> = z.iter().map(|v| (v - mean) / sd).collect();
            let gg: Vec<f64> = (0..width)
                .map(|i| g[row * width + i] as f64 * gamma[i] as f64)
                .collect();
            let mean_gg = gg.iter().sum::<f64>() / width as f64;
            let mean_ggn = gg.iter().zip(&xhat).map(|(a, b)| a * b).sum::<f64>() / width as f64;
            for i in 0..width {
                let k = row * width + i;
                let y = xhat[i] * gamma[i] as f64 + beta[i] as f64;
                assert!((out[k] as f64 - y).abs() < 1e-5, "y[{k}] {} vs {y}", out[k]);
                let want = (gg[i] - mean_gg - xhat[i] * mean_ggn) / sd;
                assert!(
                    (dx[k] as f64 - want).abs() < 1e-5,
                    "dx[{k}] {} vs {want}",
                    dx[k]
                );
                want_dg[i] += g[k] as f64 * xhat[i];
                want_db[i] += g[k] as f64;
            }
        }
        for i in 0..width {
            assert!((dgamma[i] as f64 - want_dg[i]).abs() < 1e-4 * want_dg[i].abs().max(1.0));
            assert!((dbeta[i] as f64 - want_db[i]).abs() < 1e-4 * want_db[i].abs().max(1.0));
        }
    }

    #[test]
    fn layer_norm_matches_burn_forward_and_gradients() {
        let device = Default::default();
        let normal = Distribution::Normal(0.0, 2.0);
        let eps = 1e-5;
        let x = Tensor::<Nd, 3>::random([3, 7, 10], normal, &device);
        let r = Tensor::<Nd, 3>::random([3, 7, 10], normal, &device);
        let ln = |gamma: Tensor<Nd, 1>, beta: Tensor<Nd, 1>| -> LayerNorm<Ad> {
            let mut ln = burn::nn::LayerNormConfig::new(10)
                .with_epsilon(eps)
                .init::<Ad>(&device);
            ln.gamma = burn::module::Param::from_tensor(Tensor::from_inner(gamma).require_grad());
            ln.beta = Some(burn::module::Param::from_tensor(
                Tensor::from_inner(beta).require_grad(),
            ));
            ln
        };
        let gamma = Tensor::<Nd, 1>::random([10], normal, &device);
        let beta = Tensor::<Nd, 1>::random([10], normal, &device);
        let tol = Tolerance::rel_abs(1e-4, 1e-5);
        // Plain ndarray forward, with and without a residual.
        let plain = burn::module::AutodiffModule::valid(&ln(gamma.clone(), beta.clone()));
        for residual in [None, Some(r.clone())] {
            let want = plain.forward(residual.clone().map_or(x.clone(), |r| x.clone() + r));
            layer_norm(x.clone(), residual, &plain, eps)
                .into_data()
                .assert_approx_eq::<f32>(&want.into_data(), tol);
        }
        // Gradients to x, the residual, γ and β against burn's autodiff LayerNorm.
        let upstream = Tensor::<Ad, 3>::random([3, 7, 10], normal, &device);
        let run = |fast: bool, with_residual: bool| {
            let module = ln(gamma.clone(), beta.clone());
            let xa = Tensor::<Ad, 3>::from_inner(x.clone()).require_grad();
            let ra = Tensor::<Ad, 3>::from_inner(r.clone()).require_grad();
            let residual = with_residual.then(|| ra.clone());
            let y = if fast {
                layer_norm(xa.clone(), residual, &module, eps)
            } else {
                module.forward(residual.map_or(xa.clone(), |r| xa.clone() + r))
            };
            let grads = (y * upstream.clone()).sum().backward();
            let mut out = vec![
                xa.grad(&grads).unwrap().into_data(),
                module.gamma.val().grad(&grads).unwrap().into_data(),
                module
                    .beta
                    .as_ref()
                    .unwrap()
                    .val()
                    .grad(&grads)
                    .unwrap()
                    .into_data(),
            ];
            if with_residual {
                out.push(ra.grad(&grads).unwrap().into_data());
            } else {
                assert!(ra.grad(&grads).is_none());
            }
            out
        };
        for with_residual in [true, false] {
            let (fast, burn) = (run(true, with_residual), run(false, with_residual));
            for (f, b) in fast.iter().zip(&burn) {
                f.assert_approx_eq::<f32>(b, tol);
            }
        }
    }
}
