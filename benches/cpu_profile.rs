//! Where an encoder step's time goes on ndarray, op by op:
//! `cargo bench --bench cpu_profile` → experiments/results/cpu_profile.txt
//! (`-- optimizer`: only the AdamW step comparison).
//!
//! Each op of one MiniLM layer (and the embeddings) runs alone at the shapes of an inference
//! batch (16 × 40 tokens) and of a training batch (32 × 42 tokens). Forward times use `NdArray`;
//! backward times are (forward + backward) − forward under `Autodiff<NdArray>`, with the op's
//! output summed so the backward pass starts from a gradient of ones. Per-step totals multiply by
//! the op's count in the 6-layer encoder. The whole forward and forward+backward of the encoder
//! are timed too, so what the ops do not account for (graph bookkeeping, allocation) shows.
//! Rows indented with "fast::" are the replacements the encoder now uses on ndarray
//! (`sqlcoder_kernels`), beside burn's own op; the sum counts burn's ops only.

use std::time::{Duration, Instant};

use burn::backend::{Autodiff, NdArray};
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Int, Tensor};
use sqlcoder_kernels as fast;
use sqlcoder_model::{BertConfig, BertModel};

const HIDDEN: usize = 384;
const HEADS: usize = 12;
const HEAD_DIM: usize = 32;
const FF: usize = 1536;
const LAYERS: usize = 6;
const BUDGET: Duration = Duration::from_millis(1500);

type Nd = NdArray;
type Ad = Autodiff<NdArray>;

/// Mean time of `f` over at least [`BUDGET`] (after a warm-up call).
fn time(mut f: impl FnMut()) -> Duration {
    f();
    let start = Instant::now();
    let mut n = 0u32;
    while n < 3 || start.elapsed() < BUDGET {
        f();
        n += 1;
    }
    start.elapsed() / n
}

fn rand<B: Backend, const D: usize>(shape: [usize; D]) -> Tensor<B, D> {
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), &Default::default())
}

/// Forces the lazy result (ndarray ops are eager, but views stay views until read).
fn done<B: Backend, const D: usize>(t: Tensor<B, D>) {
    let _ = t.sum().into_scalar();
}

struct Row {
    name: &'static str,
    per_step: usize,
    forward: Duration,
    backward: Option<Duration>,
}

/// One op at batch `b` × `s` tokens: forward on `Nd`, forward+backward on `Ad`.
struct Ops {
    b: usize,
    s: usize,
    train: bool,
    rows: Vec<Row>,
}

impl Ops {
    fn op<const D: usize, const E: usize>(
        &mut self,
        name: &'static str,
        per_step: usize,
        input: [usize; D],
        nd: impl Fn(Tensor<Nd, D>) -> Tensor<Nd, E>,
        ad: impl Fn(Tensor<Ad, D>) -> Tensor<Ad, E>,
    ) {
        let x = rand::<Nd, D>(input);
        let forward = time(|| done(nd(x.clone())));
        let backward = self.train.then(|| {
            let x = rand::<Ad, D>(input).require_grad();
            let fwd = time(|| done(ad(x.clone())));
            let both = time(|| {
                let _ = ad(x.clone()).sum().backward();
            });
            both.saturating_sub(fwd)
        });
        self.rows.push(Row {
            name,
            per_step,
            forward,
            backward,
        });
    }

    fn print(&self, whole_forward: Duration, whole_backward: Option<Duration>) {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "\n== {} batch {} × {} tokens ==",
            if self.train {
                "training (Autodiff<NdArray>, full fine-tune)"
            } else {
                "inference (NdArray)"
            },
            self.b,
            self.s
        );
        println!(
            "{:<44} {:>5} {:>10} {:>10} {:>11} {:>11}",
            "op (one call)", "calls", "fwd ms", "bwd ms", "fwd ms/step", "bwd ms/step"
        );
        let (mut sum_f, mut sum_b) = (0.0, 0.0);
        let mut rows: Vec<&Row> = self.rows.iter().collect();
        let step_cost = |r: &Row| (ms(r.forward) + r.backward.map_or(0.0, ms)) * r.per_step as f64;
        rows.sort_by(|a, b| step_cost(b).total_cmp(&step_cost(a)));
        for r in rows {
            let (f, b) = (ms(r.forward), r.backward.map(ms));
            if !r.name.contains("fast::") {
                sum_f += f * r.per_step as f64;
                sum_b += b.unwrap_or(0.0) * r.per_step as f64;
            }
            println!(
                "{:<44} {:>5} {:>10.2} {:>10} {:>11.1} {:>11}",
                r.name,
                r.per_step,
                f,
                b.map_or("-".into(), |b| format!("{b:.2}")),
                f * r.per_step as f64,
                b.map_or("-".into(), |b| format!("{:.1}", b * r.per_step as f64)),
            );
        }
        println!(
            "{:<44} {:>5} {:>10} {:>10} {:>11.1} {:>11}",
            "sum of burn's ops (fast:: rows excluded)",
            "",
            "",
            "",
            sum_f,
            if self.train {
                format!("{sum_b:.1}")
            } else {
                "-".into()
            }
        );
        println!(
            "{:<44} {:>5} {:>10} {:>10} {:>11.1} {:>11}",
            "whole encoder, measured",
            "",
            "",
            "",
            ms(whole_forward),
            whole_backward.map_or("-".into(), |b| format!("{:.1}", ms(b)))
        );
    }
}

fn linear<B: Backend>(d_in: usize, d_out: usize) -> Linear<B> {
    LinearConfig::new(d_in, d_out).init(&Default::default())
}

fn layer_norm<B: Backend>() -> LayerNorm<B> {
    LayerNormConfig::new(HIDDEN).init(&Default::default())
}

fn profile(b: usize, s: usize, train: bool) {
    let rows = b * s;
    let mut ops = Ops {
        b,
        s,
        train,
        rows: vec![],
    };
    let (qn, qa) = (linear::<Nd>(HIDDEN, HIDDEN), linear::<Ad>(HIDDEN, HIDDEN));
    ops.op(
        "linear 384→384 (q, k, v, attention out)",
        4 * LAYERS,
        [rows, HIDDEN],
        |x| qn.forward(x),
        |x| qa.forward(x),
    );
    let (un, ua) = (linear::<Nd>(HIDDEN, FF), linear::<Ad>(HIDDEN, FF));
    ops.op(
        "linear 384→1536 (intermediate)",
        LAYERS,
        [rows, HIDDEN],
        |x| un.forward(x),
        |x| ua.forward(x),
    );
    let (dn, da) = (linear::<Nd>(FF, HIDDEN), linear::<Ad>(FF, HIDDEN));
    ops.op(
        "linear 1536→384 (output)",
        LAYERS,
        [rows, FF],
        |x| dn.forward(x),
        |x| da.forward(x),
    );
    ops.op(
        "gelu [b·s, 1536]",
        LAYERS,
        [rows, FF],
        burn::tensor::activation::gelu,
        burn::tensor::activation::gelu,
    );
    // The replacements in `sqlcoder_kernels` (what the encoder now runs on ndarray).
    let (wn, bn) = (qn.weight.val(), qn.bias.as_ref().map(|b| b.val()));
    let (wa, ba) = (qa.weight.val(), qa.bias.as_ref().map(|b| b.val()));
    ops.op(
        "  fast::linear 384→384 (gemm)",
        4 * LAYERS,
        [rows, HIDDEN],
        |x| fast::linear(x, wn.clone(), bn.clone()),
        |x| fast::linear(x, wa.clone(), ba.clone()),
    );
    let (wn, bn) = (un.weight.val(), un.bias.as_ref().map(|b| b.val()));
    let (wa, ba) = (ua.weight.val(), ua.bias.as_ref().map(|b| b.val()));
    ops.op(
        "  fast::linear 384→1536 (gemm)",
        LAYERS,
        [rows, HIDDEN],
        |x| fast::linear(x, wn.clone(), bn.clone()),
        |x| fast::linear(x, wa.clone(), ba.clone()),
    );
    let (wn, bn) = (dn.weight.val(), dn.bias.as_ref().map(|b| b.val()));
    let (wa, ba) = (da.weight.val(), da.bias.as_ref().map(|b| b.val()));
    ops.op(
        "  fast::linear 1536→384 (gemm)",
        LAYERS,
        [rows, FF],
        |x| fast::linear(x, wn.clone(), bn.clone()),
        |x| fast::linear(x, wa.clone(), ba.clone()),
    );
    ops.op("  fast::gelu", LAYERS, [rows, FF], fast::gelu, fast::gelu);
    fn heads<B: Backend>(x: Tensor<B, 2>, b: usize, s: usize) -> Tensor<B, 4> {
        x.reshape([b, s, HEADS, HEAD_DIM]).swap_dims(1, 2)
    }
    ops.op(
        "q·kᵀ scores (split heads + batched matmul)",
        LAYERS,
        [rows, HIDDEN],
        |x| heads(x.clone(), b, s).matmul(heads(x, b, s).swap_dims(2, 3)),
        |x| heads(x.clone(), b, s).matmul(heads(x, b, s).swap_dims(2, 3)),
    );
    let bias_n = rand::<Nd, 4>([b, 1, 1, s]);
    let bias_a = rand::<Ad, 4>([b, 1, 1, s]);
    ops.op(
        "+ mask bias [b, 12, s, s]",
        LAYERS,
        [b, HEADS, s, s],
        |x| x + bias_n.clone(),
        |x| x + bias_a.clone(),
    );
    ops.op(
        "softmax [b, 12, s, s]",
        LAYERS,
        [b, HEADS, s, s],
        |x| softmax(x, 3),
        |x| softmax(x, 3),
    );
    ops.op(
        "  fast::masked_softmax (mask + softmax)",
        LAYERS,
        [b, HEADS, s, s],
        |x| fast::masked_softmax(x, bias_n.clone()),
        |x| fast::masked_softmax(x, bias_a.clone()),
    );
    let drop = DropoutConfig::new(0.1).init();
    if train {
        let d: Dropout = drop.clone();
        ops.op(
            "dropout on probs [b·12·s, s]",
            LAYERS,
            [b * HEADS * s, s],
            |x| x,
            |x| d.forward(x),
        );
        let d: Dropout = drop;
        ops.op(
            "dropout on hidden [b·s, 384]",
            2 * LAYERS + 1,
            [rows, HIDDEN],
            |x| x,
            |x| d.forward(x),
        );
    }
    let vn = rand::<Nd, 4>([b, HEADS, s, HEAD_DIM]);
    let va = rand::<Ad, 4>([b, HEADS, s, HEAD_DIM]).require_grad();
    ops.op(
        "probs·v (batched matmul)",
        LAYERS,
        [b, HEADS, s, s],
        |p| p.matmul(vn.clone()),
        |p| p.matmul(va.clone()),
    );
    ops.op(
        "merge heads (swap + reshape) + copy",
        LAYERS,
        [b, HEADS, s, HEAD_DIM],
        |c| c.swap_dims(1, 2).reshape([b * s, HIDDEN]) * 1.0,
        |c| c.swap_dims(1, 2).reshape([b * s, HIDDEN]) * 1.0,
    );
    ops.op(
        "  fast::attention_scores (heads in place)",
        LAYERS,
        [b, s, HIDDEN],
        |x| fast::attention_scores(x.clone(), x, HEADS, 1.0),
        |x| fast::attention_scores(x.clone(), x, HEADS, 1.0),
    );
    let vn3 = rand::<Nd, 3>([b, s, HIDDEN]);
    let va3 = rand::<Ad, 3>([b, s, HIDDEN]).require_grad();
    ops.op(
        "  fast::attention_context (probs·v + merge)",
        LAYERS,
        [b, HEADS, s, s],
        |p| fast::attention_context(p, vn3.clone()),
        |p| fast::attention_context(p, va3.clone()),
    );
    let (ln, la) = (layer_norm::<Nd>(), layer_norm::<Ad>());
    let rn = rand::<Nd, 2>([rows, HIDDEN]);
    let ra = rand::<Ad, 2>([rows, HIDDEN]).require_grad();
    ops.op(
        "residual add + LayerNorm [b·s, 384]",
        2 * LAYERS + 1,
        [rows, HIDDEN],
        |x| ln.forward(x + rn.clone()),
        |x| la.forward(x + ra.clone()),
    );
    ops.op(
        "  fast::layer_norm (residual add + LayerNorm)",
        2 * LAYERS + 1,
        [rows, HIDDEN],
        |x| fast::layer_norm(x, Some(rn.clone()), &ln, 1e-5),
        |x| fast::layer_norm(x, Some(ra.clone()), &la, 1e-5),
    );

    // The whole encoder (random weights: same cost as the pretrained ones).
    let config = BertConfig::from_file(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("models/all-MiniLM-L6-v2/config.json"),
    )
    .expect("encoder config");
    let ids = |device: &_| {
        Tensor::<Nd, 2, Int>::random([b, s], Distribution::Uniform(1000.0, 20000.0), device)
    };
    let device = Default::default();
    let (whole_forward, whole_backward) = if train {
        let model = BertModel::<Ad>::init(&config, &device);
        let ids = Tensor::<Ad, 2, Int>::from_inner(ids(&device));
        let types = ids.zeros_like();
        let pad = types.clone().equal_elem(1);
        let fwd = time(|| done(model.forward(ids.clone(), types.clone(), pad.clone())));
        let both = time(|| {
            let _ = model
                .forward(ids.clone(), types.clone(), pad.clone())
                .sum()
                .backward();
        });
        (fwd, Some(both.saturating_sub(fwd)))
    } else {
        let model = BertModel::<Nd>::init(&config, &device).no_grad();
        let ids = ids(&device);
        let types = ids.zeros_like();
        let pad = types.clone().equal_elem(1);
        let fwd = time(|| done(model.forward(ids.clone(), types.clone(), pad.clone())));
        (fwd, None)
    };
    ops.print(whole_forward, whole_backward);
}

/// One AdamW step (with norm clipping, as the trainer configures it) on a parameter of the
/// word embedding's shape, burn's against `fast::adamw`, with the moments already initialised.
fn optimizer_step() {
    use burn::optim::grad_clipping::GradientClipping;
    use burn::optim::{AdamWConfig, SimpleOptimizer};
    let shape = [30522, HIDDEN];
    let grad = rand::<Nd, 2>(shape) * 1e-3;
    let burn_optim = AdamWConfig::new().with_weight_decay(0.01).build();
    let fast_optim = fast::adamw::AdamWSettings::new(0.01, Some(1.0)).build();
    // Each step takes the previous one's parameter (its only copy, as in the trainer).
    let (p, mut state) = burn_optim.step(1e-4, rand(shape), grad.clone(), None);
    let mut param = Some(p);
    let burn_time = time(|| {
        let clipped = GradientClipping::Norm(1.0).clip_gradient(grad.clone());
        let (p, s) = burn_optim.step(1e-4, param.take().unwrap(), clipped, state.take());
        (param, state) = (Some(p), s);
    });
    done(param.unwrap());
    let (p, mut state) = fast_optim.step(1e-4, rand(shape), grad.clone(), None);
    let mut param = Some(p);
    let fast_time = time(|| {
        let (p, s) = fast_optim.step(1e-4, param.take().unwrap(), grad.clone(), state.take());
        (param, state) = (Some(p), s);
    });
    done(param.unwrap());
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("\n== optimizer: one AdamW step with norm clipping on a [30522, 384] parameter ==");
    println!(
        "{:<44} {:>10.1} ms",
        "burn clip_gradient + AdamW",
        ms(burn_time)
    );
    println!(
        "{:<44} {:>10.1} ms",
        "  fast::adamw (fused, multi-threaded)",
        ms(fast_time)
    );
}

fn main() {
    println!(
        "rayon threads: {}; {} logical CPUs; each figure is a mean over ≥ {:?}",
        rayon::current_num_threads(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        BUDGET
    );
    // `-- optimizer`: the optimizer comparison alone.
    if !std::env::args().any(|a| a == "optimizer") {
        profile(16, 40, false);
        profile(32, 42, true);
    }
    optimizer_step();
}
