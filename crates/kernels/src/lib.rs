//! Fast CPU versions of the encoder's hot ops for burn-ndarray, plain and under `Autodiff`.
//!
//! Each public function takes and returns ordinary burn tensors of any backend. On
//! `NdArray<f32>` it runs a vectorised, multi-threaded kernel ([`kernels`]); on
//! `Autodiff<NdArray<f32>>` the same kernel with its own backward node; on every other backend
//! (CUDA, ...) burn's own op, unchanged. The choice is made from the backend's concrete type
//! (`Any` downcasts of the tensor primitive), not by a trait bound, so the model and everything
//! that uses it stay generic over plain `Backend`.
//!
//! Why (experiments/results/cpu_profile.txt): burn-ndarray 0.21 computes GELU as `erf` in f64
//! per element on one thread (a quarter of a training step on 2 cores; its backward is the tanh
//! approximation's derivative), and its matmuls run on `matrixmultiply`'s AVX2 kernels, while
//! the dense layers are most of the remaining time.

pub mod adamw;
pub mod attention;
pub mod dropout;
pub mod gemm;
pub mod kernels;
pub mod norm;

use std::any::{Any, TypeId};

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{unary, Backward, Ops, OpsKind};
use burn::backend::ndarray::{NdArrayTensor, SharedArray};
use burn::backend::{Autodiff, NdArray};
use burn::nn::{Dropout, LayerNorm, Linear};
use burn::tensor::activation;
use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::{Tensor, TensorData, TensorMetadata, TensorPrimitive};

use self::attention::Heads;
use self::gemm::{matmul, Mat};

type Nd = NdArray<f32>;
type Ad = Autodiff<Nd, NoCheckpointing>;

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

/// Attention scores per head, `scale · q·kᵀ`: `q`, `k` `[batch, seq, heads·dim]` (as the dense
/// layers give them) → `[batch, heads, seq, seq]`.
///
/// On ndarray (plain or autodiff) the heads are read in place through strides, one rayon task
/// per (batch item, head), with its own backward node; elsewhere it is burn's split heads
/// (`reshape` + `swap_dims`) and batched matmul, with `q` scaled first.
pub fn attention_scores<B: Backend>(
    q: Tensor<B, 3>,
    k: Tensor<B, 3>,
    heads: usize,
    scale: f64,
) -> Tensor<B, 4> {
    let [batch, seq, hidden] = q.dims();
    assert_eq!(k.dims(), [batch, seq, hidden], "attention: q and k shapes");
    let shape = Heads::split(batch, seq, hidden, heads);
    let dim = shape.dim;
    if is::<B, Nd>() {
        return from_prim(ndarray_scores(
            into_prim(q),
            into_prim(k),
            shape,
            scale as f32,
        ));
    }
    if is::<B, Ad>() {
        return from_prim(autodiff_scores(
            into_prim(q),
            into_prim(k),
            shape,
            scale as f32,
        ));
    }
    let q = (q * scale)
        .reshape([batch, seq, heads, dim])
        .swap_dims(1, 2); // [b, h, s, d]
    let k = k.reshape([batch, seq, heads, dim]).permute([0, 2, 3, 1]); // [b, h, d, s]
    q.matmul(k)
}

/// The attention output, `probs · v` per head merged back: `probs` `[batch, heads, seq, seq]`,
/// `v` `[batch, seq, heads·dim]` → `[batch, seq, heads·dim]`.
///
/// On ndarray (plain or autodiff) each head's block is written in place (no merge copy), one
/// rayon task per (batch item, head), with its own backward node; elsewhere it is burn's split
/// heads, batched matmul and merge.
pub fn attention_context<B: Backend>(probs: Tensor<B, 4>, v: Tensor<B, 3>) -> Tensor<B, 3> {
    let [batch, heads, seq, seq_k] = probs.dims();
    let [vb, vs, hidden] = v.dims();
    assert_eq!(
        (vb, vs, seq_k),
        (batch, seq, seq),
        "attention: probs {:?} vs v {:?}",
        probs.dims(),
        v.dims()
    );
    let shape = Heads::split(batch, seq, hidden, heads);
    let dim = shape.dim;
    if is::<B, Nd>() {
        return from_prim(ndarray_context(into_prim(probs), into_prim(v), shape));
    }
    if is::<B, Ad>() {
        return from_prim(autodiff_context(into_prim(probs), into_prim(v), shape));
    }
    let v = v.reshape([batch, seq, heads, dim]).swap_dims(1, 2); // [b, h, s, d]
    probs
        .matmul(v)
        .swap_dims(1, 2)
        .reshape([batch, seq, hidden])
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

/// Whether backend `B` is exactly `T`.
fn is<B: 'static, T: 'static>() -> bool {
    TypeId::of::<B>() == TypeId::of::<T>()
}

/// The float primitive of `x` as `P` (the caller has checked that `B`'s is `P` with [`is`]).
fn into_prim<B: Backend, P: 'static, const D: usize>(x: Tensor<B, D>) -> P {
    expect_cast(x.into_primitive().tensor())
}

/// A tensor of `B` from its float primitive, typed as `P` (`B`'s primitive is `P`).
fn from_prim<B: Backend, P: 'static, const D: usize>(primitive: P) -> Tensor<B, D> {
    Tensor::from_primitive(TensorPrimitive::Float(expect_cast(primitive)))
}

/// `t` as a `U`, when `T` is `U`; `t` back otherwise.
fn cast<T: 'static, U: 'static>(t: T) -> Result<U, T> {
    let mut slot = Some(t);
    match (&mut slot as &mut dyn Any).downcast_mut::<Option<U>>() {
        Some(u) => Ok(u.take().expect("just filled")),
        None => Err(slot.expect("not taken")),
    }
}

/// The inverse of a successful [`cast`]: the types are known to be equal here.
fn expect_cast<T: 'static, U: 'static>(t: T) -> U {
    cast(t).unwrap_or_else(|_| unreachable!("backend primitive types were just matched"))
}

/// The values of an f32 tensor in row-major order (no copy when they already are).
fn standard_f32(t: NdArrayTensor) -> Result<SharedArray<f32>, NdArrayTensor> {
    match t {
        NdArrayTensor::F32(storage) => {
            let array = storage.into_shared();
            Ok(if array.is_standard_layout() {
                array
            } else {
                array.as_standard_layout().into_owned().into_shared()
            })
        }
        other => Err(other),
    }
}

fn ndarray_gelu(x: NdArrayTensor) -> NdArrayTensor {
    let mut array = match standard_f32(x) {
        Ok(array) => array,
        Err(other) => return <Nd as burn::tensor::ops::ActivationOps<Nd>>::gelu(other),
    };
    if array.is_unique() {
        kernels::gelu_in_place(array.as_slice_mut().expect("standard layout"));
        return NdArrayTensor::from(array);
    }
    // Shared (autodiff keeps the input for the backward pass): write into a new buffer.
    let input = array.as_slice().expect("standard layout");
    let mut out = vec![0.0f32; input.len()];
    kernels::gelu(input, &mut out);
    let shape = array.shape().to_vec();
    NdArrayTensor::from_data(burn::tensor::TensorData::new(out, shape))
}

/// `grad · GELU'(x)`, reusing `grad`'s buffer when it is not shared.
fn ndarray_gelu_backward(x: NdArrayTensor, grad: NdArrayTensor) -> NdArrayTensor {
    match (standard_f32(x), standard_f32(grad)) {
        (Ok(x), Ok(mut grad)) => {
            assert_eq!(x.shape(), grad.shape(), "GELU gradient shape");
            let out = grad.as_slice_mut().expect("standard layout");
            kernels::gelu_backward_in_place(x.as_slice().expect("standard layout"), out);
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

fn f32_array(t: NdArrayTensor, what: &str) -> SharedArray<f32> {
    standard_f32(t).unwrap_or_else(|t| panic!("{what}: expected f32, got {:?}", t.dtype()))
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

fn from_vec(values: Vec<f32>, shape: Vec<usize>) -> NdArrayTensor {
    NdArrayTensor::from_data(TensorData::new(values, shape))
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
    kernels::masked_softmax_in_place(out, bias, row_len, rows_per_bias);
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
            kernels::softmax_backward_in_place(
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

fn slice(a: &SharedArray<f32>) -> &[f32] {
    a.as_slice().expect("standard layout")
}

fn ndarray_scores(q: NdArrayTensor, k: NdArrayTensor, s: Heads, scale: f32) -> NdArrayTensor {
    let (q, k) = (f32_array(q, "attention q"), f32_array(k, "attention k"));
    let mut out = vec![0.0; s.score_len()];
    attention::scores(slice(&q), slice(&k), &mut out, s, scale);
    from_vec(out, vec![s.batch, s.heads, s.seq, s.seq])
}

fn ndarray_context(probs: NdArrayTensor, v: NdArrayTensor, s: Heads) -> NdArrayTensor {
    let (p, v) = (
        f32_array(probs, "attention probabilities"),
        f32_array(v, "attention v"),
    );
    let mut out = vec![0.0; s.token_len()];
    attention::context(slice(&p), slice(&v), &mut out, s);
    from_vec(out, vec![s.batch, s.seq, s.heads * s.dim])
}

#[derive(Debug)]
struct ScoresBackward {
    shape: Heads,
    scale: f32,
}

impl Backward<Nd, 2> for ScoresBackward {
    /// q and k.
    type State = (NdArrayTensor, NdArrayTensor);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_q, node_k] = ops.parents;
        let grad = f32_array(grads.consume::<Nd>(&ops.node), "attention scores gradient");
        let (q, k) = ops.state;
        let (q, k) = (f32_array(q, "attention q"), f32_array(k, "attention k"));
        let s = self.shape;
        let (dq, dk) = attention::scores_backward(
            slice(&grad),
            slice(&q),
            slice(&k),
            s,
            self.scale,
            (node_q.is_some(), node_k.is_some()),
        );
        let tokens = vec![s.batch, s.seq, s.heads * s.dim];
        for (node, d) in [(node_q, dq), (node_k, dk)] {
            if let (Some(node), Some(d)) = (node, d) {
                grads.register::<Nd>(node.id, from_vec(d, tokens.clone()));
            }
        }
    }
}

fn autodiff_scores(
    q: FloatTensor<Ad>,
    k: FloatTensor<Ad>,
    shape: Heads,
    scale: f32,
) -> FloatTensor<Ad> {
    let out = ndarray_scores(q.primitive.clone(), k.primitive.clone(), shape, scale);
    match (ScoresBackward { shape, scale })
        .prepare::<NoCheckpointing>([q.node.clone(), k.node.clone()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish((q.primitive, k.primitive), out),
        OpsKind::UnTracked(prep) => prep.finish(out),
    }
}

#[derive(Debug)]
struct ContextBackward {
    shape: Heads,
}

impl Backward<Nd, 2> for ContextBackward {
    /// The probabilities and v.
    type State = (NdArrayTensor, NdArrayTensor);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_p, node_v] = ops.parents;
        let grad = f32_array(grads.consume::<Nd>(&ops.node), "attention output gradient");
        let (p, v) = ops.state;
        let (p, v) = (
            f32_array(p, "attention probabilities"),
            f32_array(v, "attention v"),
        );
        let s = self.shape;
        let (dp, dv) = attention::context_backward(
            slice(&grad),
            slice(&p),
            slice(&v),
            s,
            (node_p.is_some(), node_v.is_some()),
        );
        if let (Some(node), Some(dp)) = (node_p, dp) {
            grads.register::<Nd>(node.id, from_vec(dp, vec![s.batch, s.heads, s.seq, s.seq]));
        }
        if let (Some(node), Some(dv)) = (node_v, dv) {
            grads.register::<Nd>(node.id, from_vec(dv, vec![s.batch, s.seq, s.heads * s.dim]));
        }
    }
}

fn autodiff_context(p: FloatTensor<Ad>, v: FloatTensor<Ad>, shape: Heads) -> FloatTensor<Ad> {
    let out = ndarray_context(p.primitive.clone(), v.primitive.clone(), shape);
    match (ContextBackward { shape })
        .prepare::<NoCheckpointing>([p.node.clone(), v.node.clone()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish((p.primitive, v.primitive), out),
        OpsKind::UnTracked(prep) => prep.finish(out),
    }
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
    norm::forward(
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
        let (dx, dgamma, dbeta) =
            norm::backward(slice(&grad), slice(&normalized), &denom, slice(&gamma));
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
    mask: dropout::Mask,
}

impl Backward<Nd, 1> for DropoutBackward {
    type State = ();

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        unary::<Nd, _>(ops.parents, ops.node, grads, |grad| {
            let mut grad = f32_array(grad, "dropout gradient");
            if !grad.is_unique() {
                grad = grad.to_owned().into_shared();
            }
            dropout::apply_in_place(grad.as_slice_mut().expect("standard layout"), &self.mask);
            NdArrayTensor::from(grad)
        });
    }
}

fn autodiff_dropout(x: FloatTensor<Ad>, prob: f64) -> FloatTensor<Ad> {
    let mask = dropout::Mask::new(backend_seed(), prob);
    let input = f32_array(x.primitive.clone(), "dropout input");
    let mut out = vec![0.0; input.len()];
    dropout::apply(slice(&input), &mut out, &mask);
    let out = from_vec(out, input.shape().to_vec());
    DropoutBackward { mask }
        .prepare::<NoCheckpointing>([x.node.clone()])
        .compute_bound()
        .stateless(out)
}

/// Exact GELU in f64 (`x·Φ(x)`), the reference the kernels' tests compare against.
#[cfg(test)]
fn exact_gelu(x: f64) -> f64 {
    0.5 * x * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Its derivative `Φ(x) + x·φ(x)`.
#[cfg(test)]
fn exact_gelu_grad(x: f64) -> f64 {
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
    #[test]
    fn attention_products_match_burn_forward_and_gradients() {
        let device = Default::default();
        let normal = Distribution::Normal(0.0, 1.0);
        let (b, s, heads, hidden) = (2, 5, 3, 12);
        let q = Tensor::<Nd, 3>::random([b, s, hidden], normal, &device);
        let k = Tensor::<Nd, 3>::random([b, s, hidden], normal, &device);
        let v = Tensor::<Nd, 3>::random([b, s, hidden], normal, &device);
        let p = Tensor::<Nd, 4>::random([b, heads, s, s], normal, &device);
        let tol = Tolerance::absolute(1e-5);
        // burn's own ops (the generic fallback's formulas).
        let burn_scores = |q: Tensor<Ad, 3>, k: Tensor<Ad, 3>| {
            let q = (q * 0.5).reshape([b, s, heads, 4]).swap_dims(1, 2);
            q.matmul(k.reshape([b, s, heads, 4]).permute([0, 2, 3, 1]))
        };
        let burn_context = |p: Tensor<Ad, 4>, v: Tensor<Ad, 3>| {
            p.matmul(v.reshape([b, s, heads, 4]).swap_dims(1, 2))
                .swap_dims(1, 2)
                .reshape([b, s, hidden])
        };
        let want = burn_scores(Tensor::from_inner(q.clone()), Tensor::from_inner(k.clone()));
        attention_scores(q.clone(), k.clone(), heads, 0.5)
            .into_data()
            .assert_approx_eq::<f32>(&want.inner().into_data(), tol);
        let want = burn_context(Tensor::from_inner(p.clone()), Tensor::from_inner(v.clone()));
        attention_context(p.clone(), v.clone())
            .into_data()
            .assert_approx_eq::<f32>(&want.inner().into_data(), tol);

        // Gradients of weighted sums, fast vs burn, under autodiff.
        let up_s = Tensor::<Ad, 4>::random([b, heads, s, s], normal, &device);
        let up_c = Tensor::<Ad, 3>::random([b, s, hidden], normal, &device);
        let run = |fast: bool| {
            let leaf3 = |t: &Tensor<Nd, 3>| Tensor::<Ad, 3>::from_inner(t.clone()).require_grad();
            let (qa, ka, va) = (leaf3(&q), leaf3(&k), leaf3(&v));
            let pa = Tensor::<Ad, 4>::from_inner(p.clone()).require_grad();
            let (scores, ctx) = if fast {
                (
                    attention_scores(qa.clone(), ka.clone(), heads, 0.5),
                    attention_context(pa.clone(), va.clone()),
                )
            } else {
                (
                    burn_scores(qa.clone(), ka.clone()),
                    burn_context(pa.clone(), va.clone()),
                )
            };
            let grads = ((scores * up_s.clone()).sum() + (ctx * up_c.clone()).sum()).backward();
            let g3 = |t: &Tensor<Ad, 3>| t.grad(&grads).unwrap().into_data();
            (
                g3(&qa),
                g3(&ka),
                g3(&va),
                pa.grad(&grads).unwrap().into_data(),
            )
        };
        let (fast, burn) = (run(true), run(false));
        fast.0.assert_approx_eq::<f32>(&burn.0, tol);
        fast.1.assert_approx_eq::<f32>(&burn.1, tol);
        fast.2.assert_approx_eq::<f32>(&burn.2, tol);
        fast.3.assert_approx_eq::<f32>(&burn.3, tol);
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
}
