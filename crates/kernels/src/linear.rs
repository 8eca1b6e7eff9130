//! Dense layers ([`linear`], [`dense`]): the burn op, its ndarray kernel and autodiff backward,
//! and the products under them.
//!
//! Dense products on row-major f32 slices through the `gemm` crate (AVX-512 / AVX2 kernels
//! chosen at run time, rayon threads), with transposes expressed as strides (no copies).
//!
//! burn-ndarray multiplies with `matrixmultiply` (AVX2 at most); on the AVX-512 machines we
//! train on, `gemm` is faster at the encoder's shapes (see experiments/results/cpu_profile.txt).

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::ndarray::NdArrayTensor;
use burn::nn::Linear;
use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::Tensor;
use gemm::Parallelism;

use crate::{f32_array, from_prim, from_vec, into_prim, is, Ad, Nd, SharedArray};

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

/// A dense layer `x·weight + bias` on `[..., d_in]` inputs, `weight` `[d_in, d_out]`.
///
/// On ndarray (plain or autodiff) the products run on [`gemm`] (bias written first, the product
/// accumulated onto it), reading the leading dimensions as rows in place: burn-ndarray's
/// `reshape` copies even a contiguous array, on one thread. Elsewhere, and without a bias under
/// autodiff, the input is flattened to `[rows, d_in]` for `burn::tensor::module::linear` (one
/// product, where burn's 3-d linear is a batched matmul whose weight gradient is one product
/// per batch item summed afterwards).
pub fn linear<B: Backend, const D: usize>(
    x: Tensor<B, D>,
    weight: Tensor<B, 2>,
    bias: Option<Tensor<B, 1>>,
) -> Tensor<B, D> {
    if is::<B, Nd>() {
        return from_prim(ndarray_linear(
            into_prim(x),
            into_prim(weight),
            bias.map(into_prim).as_ref(),
        ));
    }
    if is::<B, Ad>() {
        if let Some(bias) = bias {
            return from_prim(autodiff_linear(
                into_prim(x),
                into_prim(weight),
                into_prim(bias),
            ));
        }
    }
    if D <= 2 {
        return burn::tensor::module::linear(x, weight, bias);
    }
    let mut dims = x.dims();
    let rows = dims[..D - 1].iter().product::<usize>();
    let flat: Tensor<B, 2> = x.reshape([rows, dims[D - 1]]);
    let out = burn::tensor::module::linear(flat, weight, bias);
    dims[D - 1] = out.dims()[1];
    out.reshape(dims)
}

/// A burn `Linear` layer through [`linear`] (on `[..., d_in]` inputs).
pub fn dense<B: Backend, const D: usize>(layer: &Linear<B>, x: Tensor<B, D>) -> Tensor<B, D> {
    linear(x, layer.weight.val(), layer.bias.as_ref().map(|b| b.val()))
}

fn matrix_dims(a: &SharedArray<f32>, what: &str) -> (usize, usize) {
    match a.shape() {
        &[rows, cols] => (rows, cols),
        other => panic!("{what}: expected a matrix, got shape {other:?}"),
    }
}

/// `(rows, width)` of an array read as rows of its last dimension.
fn row_dims(a: &SharedArray<f32>, what: &str) -> (usize, usize) {
    match a.shape().last() {
        Some(&width) if width > 0 => (a.len() / width, width),
        Some(_) => (0, 0),
        None => panic!("{what}: a scalar has no rows"),
    }
}

/// The shape of `a` with its last dimension replaced by `last`.
fn with_last(a: &SharedArray<f32>, last: usize) -> Vec<usize> {
    let mut shape = a.shape().to_vec();
    *shape.last_mut().expect("at least one dimension") = last;
    shape
}

fn ndarray_linear(
    x: NdArrayTensor,
    weight: NdArrayTensor,
    bias: Option<&NdArrayTensor>,
) -> NdArrayTensor {
    let (x, w) = (
        f32_array(x, "linear input"),
        f32_array(weight, "linear weight"),
    );
    let ((rows, d_in), (d_in_w, d_out)) = (row_dims(&x, "input"), matrix_dims(&w, "weight"));
    assert_eq!(
        *x.shape().last().expect("checked"),
        d_in_w,
        "linear: input width vs weight rows {d_in_w}"
    );
    let mut out = match bias {
        Some(b) => {
            let b = f32_array(b.clone(), "linear bias");
            let b = b.as_slice().expect("standard layout");
            assert_eq!(b.len(), d_out, "linear bias size");
            b.repeat(rows)
        }
        None => vec![0.0; rows * d_out],
    };
    matmul(
        Mat::new(x.as_slice().expect("standard layout"), rows, d_in),
        Mat::new(w.as_slice().expect("standard layout"), d_in, d_out),
        &mut out,
        bias.is_some(),
    );
    from_vec(out, with_last(&x, d_out))
}

#[derive(Debug)]
struct LinearBackward;

impl Backward<Nd, 3> for LinearBackward {
    /// The input and the weight.
    type State = (NdArrayTensor, NdArrayTensor);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let grad = f32_array(grads.consume::<Nd>(&ops.node), "linear gradient");
        let (x, w) = ops.state;
        let (x, w) = (f32_array(x, "linear input"), f32_array(w, "linear weight"));
        let ((rows, d_in), (_, d_out)) = (row_dims(&x, "input"), matrix_dims(&w, "weight"));
        let g = Mat::new(grad.as_slice().expect("standard layout"), rows, d_out);
        if let Some(node) = node_x {
            // dx = g · wᵀ, in the input's shape
            let mut dx = vec![0.0; rows * d_in];
            let w = Mat::new(w.as_slice().expect("standard layout"), d_in, d_out);
            matmul(g, w.t(), &mut dx, false);
            grads.register::<Nd>(node.id, from_vec(dx, x.shape().to_vec()));
        }
        if let Some(node) = node_w {
            // dw = xᵀ · g
            let mut dw = vec![0.0; d_in * d_out];
            let x = Mat::new(x.as_slice().expect("standard layout"), rows, d_in);
            matmul(x.t(), g, &mut dw, false);
            grads.register::<Nd>(node.id, from_vec(dw, vec![d_in, d_out]));
        }
        if let Some(node) = node_b {
            // db = column sums of g
            let mut db = vec![0.0f32; d_out];
            for row in g.data.chunks_exact(d_out) {
                db.iter_mut().zip(row).for_each(|(s, v)| *s += v);
            }
            grads.register::<Nd>(node.id, from_vec(db, vec![d_out]));
        }
    }
}

fn autodiff_linear(x: FloatTensor<Ad>, w: FloatTensor<Ad>, b: FloatTensor<Ad>) -> FloatTensor<Ad> {
    let out = ndarray_linear(x.primitive.clone(), w.primitive.clone(), Some(&b.primitive));
    match LinearBackward
        .prepare::<NoCheckpointing>([x.node.clone(), w.node.clone(), b.node.clone()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish((x.primitive, w.primitive), out),
        OpsKind::UnTracked(prep) => prep.finish(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, Tolerance};

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

    #[test]
    fn linear_matches_burn_forward_and_gradients() {
        let device = Default::default();
        let normal = Distribution::Normal(0.0, 1.0);
        let x = Tensor::<Nd, 2>::random([37, 24], normal, &device);
        let w = Tensor::<Nd, 2>::random([24, 19], normal, &device);
        let b = Tensor::<Nd, 1>::random([19], normal, &device);
        let tol = Tolerance::absolute(1e-4);
        let want = burn::tensor::module::linear(x.clone(), w.clone(), Some(b.clone()));
        linear(x.clone(), w.clone(), Some(b.clone()))
            .into_data()
            .assert_approx_eq::<f32>(&want.into_data(), tol);
        let want = burn::tensor::module::linear(x.clone(), w.clone(), None);
        linear(x.clone(), w.clone(), None)
            .into_data()
            .assert_approx_eq::<f32>(&want.into_data(), tol);

        // Gradients of a weighted sum, against burn's own autodiff linear.
        let upstream = Tensor::<Ad, 2>::random([37, 19], normal, &device);
        let params = || {
            (
                Tensor::<Ad, 2>::from_inner(x.clone()).require_grad(),
                Tensor::<Ad, 2>::from_inner(w.clone()).require_grad(),
                Tensor::<Ad, 1>::from_inner(b.clone()).require_grad(),
            )
        };
        let (xa, wa, ba) = params();
        let grads = (linear(xa.clone(), wa.clone(), Some(ba.clone())) * upstream.clone())
            .sum()
            .backward();
        let (xr, wr, br) = params();
        let reference = (burn::tensor::module::linear(xr.clone(), wr.clone(), Some(br.clone()))
            * upstream)
            .sum()
            .backward();
        let pairs = [
            (xa.grad(&grads).unwrap(), xr.grad(&reference).unwrap()),
            (wa.grad(&grads).unwrap(), wr.grad(&reference).unwrap()),
        ];
        for (got, want) in pairs {
            got.into_data()
                .assert_approx_eq::<f32>(&want.into_data(), tol);
        }
        ba.grad(&grads)
            .unwrap()
            .into_data()
            .assert_approx_eq::<f32>(&br.grad(&reference).unwrap().into_data(), tol);
    }

    #[test]
    fn frozen_weight_gets_no_gradient_but_input_does() {
        let device = Default::default();
        let normal = Distribution::Normal(0.0, 1.0);
        let x = Tensor::<Ad, 2>::random([5, 4], normal, &device).require_grad();
        let w = Tensor::<Ad, 2>::random([4, 3], normal, &device);
        let b = Tensor::<Ad, 1>::random([3], normal, &device);
        let grads = linear(x.clone(), w.clone(), Some(b.clone()))
            .sum()
            .backward();
        assert!(w.grad(&grads).is_none() && b.grad(&grads).is_none());
        // d(sum)/dx = row sums of w, for every row of x.
        let want = w.inner().sum_dim(1).reshape([1, 4]).repeat_dim(0, 5);
        x.grad(&grads)
            .unwrap()
            .into_data()
            .assert_approx_eq::<f32>(&want.into_data(), Tolerance::absolute(1e-5));
    }
}
