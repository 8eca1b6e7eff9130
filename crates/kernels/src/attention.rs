//! The two attention products ([`attention_scores`], [`attention_context`]): the burn ops,
//! their autodiff backward, and their kernels on row-major f32 slices, straight from and to the `[batch, seq,
//! hidden]` layout of the dense layers: no head split (`reshape` + `swap_dims`) or merge copies.
//!
//! Head `h` of batch item `b` is the column block `h·dim .. (h+1)·dim` of rows `b·seq ..
//! (b+1)·seq`, read and written through strides. Every (batch item, head) pair is one rayon
//! task running small single-threaded `gemm` products, so both cores stay busy (burn-ndarray
//! copies the split heads on one thread and runs its batched matmul through `matrixmultiply`).
//! Each pair writes only its own block of the output, so the tasks never overlap.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::ndarray::NdArrayTensor;
use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::Tensor;

use crate::{f32_array, from_prim, from_vec, into_prim, is, slice, Ad, Nd};

use gemm::Parallelism;
use rayon::prelude::*;

/// The shapes of one attention call: `batch × seq` tokens, `heads × dim` hidden values each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Heads {
    pub batch: usize,
    pub seq: usize,
    pub heads: usize,
    pub dim: usize,
}

impl Heads {
    /// `hidden` values per token split into `heads` heads (which must divide it).
    pub fn split(batch: usize, seq: usize, hidden: usize, heads: usize) -> Self {
        assert_eq!(
            hidden % heads,
            0,
            "attention: {hidden} values in {heads} heads"
        );
        Self {
            batch,
            seq,
            heads,
            dim: hidden / heads,
        }
    }

    fn hidden(&self) -> usize {
        self.heads * self.dim
    }

    /// Values in a `[batch, seq, hidden]` tensor.
    pub fn token_len(&self) -> usize {
        self.batch * self.seq * self.hidden()
    }

    /// Values in a `[batch, heads, seq, seq]` tensor.
    pub fn score_len(&self) -> usize {
        self.batch * self.heads * self.seq * self.seq
    }

    /// Offset of head `bh % heads` of batch item `bh / heads` in a `[batch, seq, hidden]` slice.
    fn block(&self, bh: usize) -> usize {
        let (b, h) = (bh / self.heads, bh % self.heads);
        b * self.seq * self.hidden() + h * self.dim
    }
}

/// A raw pointer the tasks share; each writes a disjoint block through it.
#[derive(Clone, Copy)]
struct Out(*mut f32);
// SAFETY: only used to write disjoint blocks from different tasks (see each use).
unsafe impl Send for Out {}
// SAFETY: as for `Send`: no two tasks write the same element through it.
unsafe impl Sync for Out {}

impl Out {
    /// The pointer `offset` values on (a method, so closures capture the whole `Send` wrapper).
    ///
    /// # Safety
    /// `offset` must stay inside the buffer.
    unsafe fn at(self, offset: usize) -> *mut f32 {
        // SAFETY: the caller keeps `offset` inside the buffer `self.0` points into.
        unsafe { self.0.add(offset) }
    }
}

/// A strided matrix: pointer, rows, columns, row stride, column stride (elements).
#[derive(Clone, Copy)]
struct View {
    ptr: *const f32,
    rows: usize,
    cols: usize,
    rs: isize,
    cs: isize,
}

impl View {
    /// `rows × cols` at `data[offset..]` with row stride `rs` (column stride 1).
    fn new(data: &[f32], offset: usize, rows: usize, cols: usize, rs: usize) -> Self {
        assert!(rows == 0 || offset + (rows - 1) * rs + cols <= data.len());
        Self {
            // SAFETY (of the offset): checked against the slice length above.
            ptr: unsafe { data.as_ptr().add(offset) },
            rows,
            cols,
            rs: rs as isize,
            cs: 1,
        }
    }

    fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
            ..self
        }
    }
}

/// `dst (rows × cols, row stride dst_rs) = scale · a·b`, single-threaded.
///
/// # Safety
/// `dst` must point to `a.rows` rows of `b.cols` writable values at stride `dst_rs`, not
/// overlapping `a` or `b` and not written by anyone else meanwhile.
unsafe fn product(a: View, b: View, dst: *mut f32, dst_rs: usize, scale: f32) {
    assert_eq!(a.cols, b.rows, "inner dimensions");
    // SAFETY: `a` and `b` describe memory inside their slices (`View::new` checks it); the
    // caller guarantees `dst` is writable, exclusive and disjoint from them.
    unsafe {
        gemm::gemm(
            a.rows,
            b.cols,
            a.cols,
            dst,
            1,
            dst_rs as isize,
            false,
            a.ptr,
            a.cs,
            a.rs,
            b.ptr,
            b.cs,
            b.rs,
            0.0,
            scale,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

/// `scores[b, h] = scale · Q_bh · K_bhᵀ` (`[batch, heads, seq, seq]`), from `q`, `k`
/// `[batch, seq, hidden]`.
pub fn scores(q: &[f32], k: &[f32], scores: &mut [f32], s: Heads, scale: f32) {
    assert_eq!(q.len(), s.token_len());
    assert_eq!(k.len(), s.token_len());
    assert_eq!(scores.len(), s.score_len());
    if scores.is_empty() {
        return;
    }
    let (seq, dim, hidden) = (s.seq, s.dim, s.hidden());
    scores
        .par_chunks_mut(seq * seq)
        .enumerate()
        .for_each(|(bh, out)| {
            let at = s.block(bh);
            let q = View::new(q, at, seq, dim, hidden);
            let k = View::new(k, at, seq, dim, hidden);
            // SAFETY: `out` is this task's own seq × seq chunk.
            unsafe { product(q, k.t(), out.as_mut_ptr(), seq, scale) };
        });
}

/// `context[b, :, head h] = P_bh · V_bh` (`[batch, seq, hidden]`), from `probs`
/// `[batch, heads, seq, seq]` and `v` `[batch, seq, hidden]`.
pub fn context(probs: &[f32], v: &[f32], context: &mut [f32], s: Heads) {
    assert_eq!(probs.len(), s.score_len());
    assert_eq!(v.len(), s.token_len());
    assert_eq!(context.len(), s.token_len());
    if context.is_empty() {
        return;
    }
    let (seq, dim, hidden) = (s.seq, s.dim, s.hidden());
    let out = Out(context.as_mut_ptr());
    probs.par_chunks(seq * seq).enumerate().for_each(|(bh, p)| {
        let at = s.block(bh);
        let p = View::new(p, 0, seq, seq, seq);
        let v = View::new(v, at, seq, dim, hidden);
        // SAFETY: block `at` (seq rows of dim values at stride hidden) lies inside `context`
        // (same layout as `v`, checked above) and belongs to this (b, h) pair alone.
        unsafe { product(p, v, out.at(at), hidden, 1.0) };
    });
}

/// Gradients of [`scores`]: `dq_bh = scale · G_bh · K_bh`, `dk_bh = scale · G_bhᵀ · Q_bh`, each
/// `[batch, seq, hidden]`; `None` for an input that needs none.
pub fn scores_backward(
    grad: &[f32],
    q: &[f32],
    k: &[f32],
    s: Heads,
    scale: f32,
    want: (bool, bool),
) -> (Option<Vec<f32>>, Option<Vec<f32>>) {
    assert_eq!(grad.len(), s.score_len());
    let (seq, dim, hidden) = (s.seq, s.dim, s.hidden());
    let mut dq = want.0.then(|| vec![0.0; s.token_len()]);
    let mut dk = want.1.then(|| vec![0.0; s.token_len()]);
    if grad.is_empty() {
        return (dq, dk);
    }
    let dq_out = dq.as_mut().map(|d| Out(d.as_mut_ptr()));
    let dk_out = dk.as_mut().map(|d| Out(d.as_mut_ptr()));
    grad.par_chunks(seq * seq).enumerate().for_each(|(bh, g)| {
        let at = s.block(bh);
        let g = View::new(g, 0, seq, seq, seq);
        // SAFETY: each (b, h) pair writes only its own block of dq / dk (as in `context`).
        if let Some(dq) = dq_out {
            let k = View::new(k, at, seq, dim, hidden);
            unsafe { product(g, k, dq.at(at), hidden, scale) };
        }
        if let Some(dk) = dk_out {
            let q = View::new(q, at, seq, dim, hidden);
            unsafe { product(g.t(), q, dk.at(at), hidden, scale) };
        }
    });
    (dq, dk)
}

/// Gradients of [`context`]: `dP_bh = G_bh · V_bhᵀ` (`[batch, heads, seq, seq]`) and
/// `dV_bh = P_bhᵀ · G_bh` (`[batch, seq, hidden]`); `None` for an input that needs none.
pub fn context_backward(
    grad: &[f32],
    probs: &[f32],
    v: &[f32],
    s: Heads,
    want: (bool, bool),
) -> (Option<Vec<f32>>, Option<Vec<f32>>) {
    assert_eq!(grad.len(), s.token_len());
    let (seq, dim, hidden) = (s.seq, s.dim, s.hidden());
    let mut dp = want.0.then(|| vec![0.0; s.score_len()]);
    let mut dv = want.1.then(|| vec![0.0; s.token_len()]);
    if grad.is_empty() {
        return (dp, dv);
    }
    let dp_out = dp.as_mut().map(|d| Out(d.as_mut_ptr()));
    let dv_out = dv.as_mut().map(|d| Out(d.as_mut_ptr()));
    (0..s.batch * s.heads).into_par_iter().for_each(|bh| {
        let at = s.block(bh);
        let g = View::new(grad, at, seq, dim, hidden);
        // SAFETY: each (b, h) pair writes only its own seq × seq chunk of dp and its own block
        // of dv.
        if let Some(dp) = dp_out {
            let v = View::new(v, at, seq, dim, hidden);
            unsafe { product(g, v.t(), dp.at(bh * seq * seq), seq, 1.0) };
        }
        if let Some(dv) = dv_out {
            let p = View::new(probs, bh * seq * seq, seq, seq, seq);
            unsafe { product(p.t(), g, dv.at(at), hidden, 1.0) };
        }
    });
    (dp, dv)
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

fn ndarray_scores(q: NdArrayTensor, k: NdArrayTensor, s: Heads, scale: f32) -> NdArrayTensor {
    let (q, k) = (f32_array(q, "attention q"), f32_array(k, "attention k"));
    let mut out = vec![0.0; s.score_len()];
    scores(slice(&q), slice(&k), &mut out, s, scale);
    from_vec(out, vec![s.batch, s.heads, s.seq, s.seq])
}

fn ndarray_context(probs: NdArrayTensor, v: NdArrayTensor, s: Heads) -> NdArrayTensor {
    let (p, v) = (
        f32_array(probs, "attention probabilities"),
        f32_array(v, "attention v"),
    );
    let mut out = vec![0.0; s.token_len()];
    context(slice(&p), slice(&v), &mut out, s);
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
        let (dq, dk) = scores_backward(
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
        let (dp, dv) = context_backward(
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

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, Tolerance};

    fn values(n: usize, seed: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (((i * 7919 + seed * 104_729) % 2003) as f32 / 1001.5 - 1.0) * 1.5)
            .collect()
    }

    /// `x[b, i, h·dim + d]` of a `[batch, seq, hidden]` slice.
    fn at(x: &[f32], s: Heads, b: usize, i: usize, h: usize, d: usize) -> f64 {
        x[(b * s.seq + i) * s.hidden() + h * s.dim + d] as f64
    }

    fn close(got: &[f32], want: &[f64], what: &str) {
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (*g as f64 - w).abs() <= 1e-5 * w.abs().max(1.0),
                "{what}[{i}]: {g} vs {w}"
            );
        }
    }

    #[test]
    fn products_and_gradients_match_the_definitions() {
        let s = Heads {
            batch: 2,
            seq: 5,
            heads: 3,
            dim: 4,
        };
        let scale = 0.5;
        let (q, k, v) = (
            values(s.token_len(), 1),
            values(s.token_len(), 2),
            values(s.token_len(), 3),
        );
        let p = values(s.score_len(), 4);
        let (gs, gc) = (values(s.score_len(), 5), values(s.token_len(), 6));
        let bhij =
            |b: usize, h: usize, i: usize, j: usize| ((b * s.heads + h) * s.seq + i) * s.seq + j;
        let bihd =
            |b: usize, i: usize, h: usize, d: usize| (b * s.seq + i) * s.hidden() + h * s.dim + d;

        let mut got = vec![f32::NAN; s.score_len()];
        scores(&q, &k, &mut got, s, scale);
        let mut want = vec![0.0; s.score_len()];
        let mut ctx = vec![0.0; s.token_len()];
        let (mut dq, mut dk) = (vec![0.0; s.token_len()], vec![0.0; s.token_len()]);
        let (mut dp, mut dv) = (vec![0.0; s.score_len()], vec![0.0; s.token_len()]);
        for b in 0..s.batch {
            for h in 0..s.heads {
                for i in 0..s.seq {
                    for j in 0..s.seq {
                        let dot: f64 = (0..s.dim)
                            .map(|d| at(&q, s, b, i, h, d) * at(&k, s, b, j, h, d))
                            .sum();
                        want[bhij(b, h, i, j)] = scale as f64 * dot;
                        let g = gs[bhij(b, h, i, j)] as f64 * scale as f64;
                        let pij = p[bhij(b, h, i, j)] as f64;
                        for d in 0..s.dim {
                            dq[bihd(b, i, h, d)] += g * at(&k, s, b, j, h, d);
                            dk[bihd(b, j, h, d)] += g * at(&q, s, b, i, h, d);
                            ctx[bihd(b, i, h, d)] += pij * at(&v, s, b, j, h, d);
                            dp[bhij(b, h, i, j)] += at(&gc, s, b, i, h, d) * at(&v, s, b, j, h, d);
                            dv[bihd(b, j, h, d)] += pij * at(&gc, s, b, i, h, d);
                        }
                    }
                }
            }
        }
        close(&got, &want, "scores");
        let mut got = vec![f32::NAN; s.token_len()];
        context(&p, &v, &mut got, s);
        close(&got, &ctx, "context");
        let (gq, gk) = scores_backward(&gs, &q, &k, s, scale, (true, true));
        close(&gq.unwrap(), &dq, "dq");
        close(&gk.unwrap(), &dk, "dk");
        let (gp, gv) = context_backward(&gc, &p, &v, s, (true, true));
        close(&gp.unwrap(), &dp, "dp");
        close(&gv.unwrap(), &dv, "dv");
        // Inputs without a gradient get none.
        let (none, some) = context_backward(&gc, &p, &v, s, (false, true));
        assert!(none.is_none() && some.is_some());
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
}
