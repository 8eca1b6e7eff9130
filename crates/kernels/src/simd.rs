//! What the element-wise and row-wise kernels share: the `multiversion!` macro (one scalar body
//! compiled for AVX-512, AVX2+FMA and the baseline target, picked at run time, so LLVM
//! vectorises each loop at the widest width the CPU has), the f32 `exp`, and how slices are cut
//! into rayon tasks.

/// Elements per rayon task: large enough that scheduling stays a small cost.
pub const CHUNK: usize = 16 * 1024;

/// `e^x` for f32 (Cephes `expf`): round-to-nearest range reduction by ln 2 in two parts, a
/// degree-5 polynomial, and the exponent written into the bits. Relative error ≈ 1 ulp;
/// results below `e^-87` (the normal range) are 0, like the masked attention scores need.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
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

/// Rows per rayon task for the row-wise kernels.
pub fn rows_per_task(row_len: usize) -> usize {
    (CHUNK / row_len.max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
