//! Element-wise f32 kernels on plain slices: exact (erf) GELU and its derivative.
//!
//! Each kernel is one branch-free scalar body, compiled three times (AVX-512, AVX2+FMA, and the
//! baseline target) and picked at run time, so LLVM vectorises the loop at the widest width the
//! CPU has; slices are split across rayon's threads in chunks.
//!
//! Accuracy: Φ(x) comes from erfc through Numerical Recipes' `erfcc` (relative error < 1.2e-7
//! for every argument), so GELU's tail `x·Φ(x)` for negative x is accurate relative to its
//! own tiny size instead of inheriting the cancellation of `1 + erf(x/√2)`; measured against
//! f64 `erf`, forward and derivative stay within 1e-6·max(1, |value|) (see the tests).

use rayon::prelude::*;

/// Elements per rayon task: large enough that scheduling stays a small cost.
const CHUNK: usize = 16 * 1024;

const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// 1/√(2π), the normal density's constant.
const INV_SQRT_2PI: f32 = 0.398_942_3;

/// `e^x` for f32 (Cephes `expf`): round-to-nearest range reduction by ln 2 in two parts, a
/// degree-5 polynomial, and the exponent written into the bits. Relative error ≈ 1 ulp;
/// results below `e^-87` (the normal range) are 0, like the masked attention scores need.
#[inline(always)]
fn exp(x: f32) -> f32 {
    let underflow = x < -87.0;
    let x = x.clamp(-87.0, 88.0);
    // Adding and subtracting 1.5·2^23 rounds to the nearest integer for |v| < 2^22.
    const ROUND: f32 = 12_582_912.0;
    let n = (x * std::f32::consts::LOG2_E + ROUND) - ROUND;
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let p = 1.987_569_1e-4;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 0.166_666_65;
    let p = p * r + 0.5;
    let y = p * r * r + r + 1.0;
    let y = y * f32::from_bits((((n as i32) + 127) as u32) << 23);
    if underflow {
        0.0
    } else {
        y
    }
}

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

/// Defines `$name(args)` running `$body` (a loop over slices) compiled for AVX-512, AVX2+FMA
/// and the baseline, choosing at run time.
macro_rules! multiversion {
    ($name:ident ( $($arg:ident : $ty:ty),* ) $body:block) => {
        fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn body($($arg: $ty),*) $body

            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                fn avx512($($arg: $ty),*) { body($($arg),*) }
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) { body($($arg),*) }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU has the features the function was compiled for.
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: as above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}

pub(crate) use multiversion;

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
pub fn gelu(x: &[f32], out: &mut [f32]) {
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

/// Rows per rayon task for the row-wise kernels.
fn rows_per_task(row_len: usize) -> usize {
    (CHUNK / row_len.max(1)).max(1)
}

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
    use crate::{exact_gelu, exact_gelu_grad};

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
        gelu(&xs, &mut out);
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

    #[test]
    fn exp_is_accurate_to_a_few_ulps() {
        for i in -8000..=8000 {
            let x = i as f32 / 100.0;
            let (got, want) = (exp(x) as f64, (x as f64).exp());
            assert!(
                (got - want).abs() <= 3e-7 * want,
                "exp({x}) = {got}, want {want}"
            );
        }
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
