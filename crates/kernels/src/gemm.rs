//! Dense products on row-major f32 slices through the `gemm` crate (AVX-512 / AVX2 kernels
//! chosen at run time, rayon threads), with transposes expressed as strides (no copies).
//!
//! burn-ndarray multiplies with `matrixmultiply` (AVX2 at most); on the AVX-512 machines we
//! train on, `gemm` is faster at the encoder's shapes (see experiments/results/cpu_profile.txt).

use gemm::Parallelism;

/// A row-major matrix view: `rows × cols` values starting at `data`, or its transpose.
#[derive(Clone, Copy)]
pub struct Mat<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    /// Read as the transpose of the stored `rows × cols` matrix.
    pub transposed: bool,
}

impl<'a> Mat<'a> {
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert_eq!(data.len(), rows * cols, "matrix size");
        Self {
            data,
            rows,
            cols,
            transposed: false,
        }
    }

    pub fn t(self) -> Self {
        Self {
            transposed: !self.transposed,
            ..self
        }
    }

    /// (rows, cols) as read.
    fn shape(&self) -> (usize, usize) {
        if self.transposed {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }

    /// (row stride, column stride) as read, in elements.
    fn strides(&self) -> (isize, isize) {
        let (rs, cs) = (self.cols as isize, 1);
        if self.transposed {
            (cs, rs)
        } else {
            (rs, cs)
        }
    }
}

fn parallelism(m: usize, n: usize, k: usize) -> Parallelism {
    // Small products cost less than waking the pool.
    if m * n * k < 64 * 64 * 64 {
        Parallelism::None
    } else {
        Parallelism::Rayon(rayon::current_num_threads())
    }
}

/// `out = a·b` when `accumulate` is false, `out += a·b` when true; `out` is row-major
/// `a.rows × b.cols` (as read).
pub fn matmul(a: Mat, b: Mat, out: &mut [f32], accumulate: bool) {
    let (m, k) = a.shape();
    let (k2, n) = b.shape();
    assert_eq!(k, k2, "inner dimensions");
    assert_eq!(out.len(), m * n, "output size");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            out.fill(0.0);
        }
        return;
    }
    let (a_rs, a_cs) = a.strides();
    let (b_rs, b_cs) = b.strides();
    // SAFETY: the shapes and strides above describe memory inside the three slices (checked
    // lengths), `out` is exclusively borrowed and does not overlap the shared inputs.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a_cs,
            a_rs,
            b.data.as_ptr(),
            b_cs,
            b_rs,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism(m, n, k),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        out
    }

    fn transpose(x: &[f32], rows: usize, cols: usize) -> Vec<f32> {
        (0..cols)
            .flat_map(|c| (0..rows).map(move |r| x[r * cols + c]))
            .collect()
    }

    #[test]
    fn products_and_transposes_match_the_naive_loop() {
        let (m, k, n) = (70, 33, 90);
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 37) % 17) as f32 - 8.0).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 11) % 13) as f32 - 6.0).collect();
        let want = naive(&a, &b, m, k, n);
        let mut out = vec![f32::NAN; m * n];
        matmul(Mat::new(&a, m, k), Mat::new(&b, k, n), &mut out, false);
        assert_eq!(out, want);
        // The same product from stored transposes.
        let (at, bt) = (transpose(&a, m, k), transpose(&b, k, n));
        let mut out_t = vec![0.0; m * n];
        matmul(
            Mat::new(&at, k, m).t(),
            Mat::new(&bt, n, k).t(),
            &mut out_t,
            false,
        );
        assert_eq!(out_t, want);
        // Accumulating adds onto what is there.
        matmul(Mat::new(&a, m, k), Mat::new(&b, k, n), &mut out_t, true);
        assert!(out_t.iter().zip(&want).all(|(o, w)| *o == 2.0 * w));
    }
}
