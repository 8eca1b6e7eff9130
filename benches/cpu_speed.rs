//! The two CPU speed numbers compared against PyTorch (REPORT §6.1), on the ndarray backend:
//! `cargo bench --bench cpu_speed [-- --inputs FILE --out FILE --budget SECS]`.
//!
//! - inference: questions/s of the slot model (encoder + the six heads, logits read back to the
//!   host) at batch 16, on the committed sample's validation questions sorted by length and
//!   chunked as `predict` batches them;
//! - training: examples/s of a full fine-tuning step at batch 32 (forward, slot loss, backward,
//!   both AdamW steps with clipping, as `sqlcoder train` does), on the sample's training
//!   questions in the trainer's length-bucketed batches.
//!
//! `--inputs FILE` writes the batches used (token ids, type ids, padding) so
//! `experiments/torch_cpu_speed.py` can run PyTorch on exactly the same shapes;
//! `--out FILE` writes the two numbers as JSON. `experiments/cpu_speed.sh` runs both.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use burn::backend::{Autodiff, NdArray};
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::backend::Backend;
use burn::tensor::ElementConversion;
use serde_json::json;
use sqlcoder_data::io::write_atomic;
use sqlcoder_data::{self as data, Split};
use sqlcoder_kernels::adamw::AdamWSettings;
use sqlcoder_model::batch::ModelBatch;
use sqlcoder_model::input::{EncodedInput, InputBuilder};
use sqlcoder_model::slot_model::{ModelSpec, SlotModel};
use sqlcoder_model::trainable::FineTune;
use sqlcoder_train::cache::CachedExample;
use sqlcoder_train::cache_build::build_cache;
use sqlcoder_train::loss::{slot_loss, SlotTargets};
use sqlcoder_train::trainer::epoch_batches;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const INFER_BATCH: usize = 16;
const TRAIN_BATCH: usize = 32;

struct Args {
    inputs: Option<PathBuf>,
    out: Option<PathBuf>,
    budget: Duration,
}

fn args() -> Args {
    let mut a = Args {
        inputs: None,
        out: None,
        budget: Duration::from_secs(15),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--inputs" => a.inputs = it.next().map(PathBuf::from),
            "--out" => a.out = it.next().map(PathBuf::from),
            "--budget" => {
                let secs: f64 = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .expect("--budget SECS");
                a.budget = Duration::from_secs_f64(secs);
            }
            // `cargo bench` passes `--bench`; ignore it and anything else unknown.
            _ => {}
        }
    }
    a
}

fn encoder_dir() -> PathBuf {
    Path::new(ROOT).join("models/all-MiniLM-L6-v2")
}

fn spec() -> ModelSpec {
    ModelSpec {
        mode: FineTune::Full,
        dropout: 0.1,
        ..Default::default()
    }
}

/// CPU time (user + system) this process has used, from /proc (Linux); 0 elsewhere.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Runs `step` (which handles `rows(i)` examples for call `i`) once to warm up, then for at
/// least `budget` and `min_calls` calls; returns examples per second and the calls made, and
/// prints the CPU time per example (less sensitive than wall time to other load on the machine).
fn throughput(
    budget: Duration,
    min_calls: usize,
    rows: impl Fn(usize) -> usize,
    mut step: impl FnMut(usize),
) -> (f64, usize, f64) {
    step(0);
    let (start, cpu) = (Instant::now(), cpu_seconds());
    let (mut calls, mut done) = (0, 0);
    while calls < min_calls || start.elapsed() < budget {
        step(calls);
        done += rows(calls);
        calls += 1;
    }
    let (wall, cpu) = (start.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    let cpu_ms = cpu * 1e3 / done as f64;
    println!(
        "  ({cpu_ms:.1} ms CPU time per example, {:.2} CPUs busy on average)",
        cpu / wall
    );
    (done as f64 / wall, calls, cpu_ms)
}

/// Wall and CPU time per phase of a step, summed over the calls (warm-up included), to see
/// which phases keep both cores busy: a phase with "CPUs busy" near 1 runs on one thread.
struct Phases {
    names: &'static [&'static str],
    wall: Vec<f64>,
    cpu: Vec<f64>,
    mark: (Instant, f64),
}

impl Phases {
    fn new(names: &'static [&'static str]) -> Self {
        Self {
            names,
            wall: vec![0.0; names.len()],
            cpu: vec![0.0; names.len()],
            mark: (Instant::now(), cpu_seconds()),
        }
    }

    fn start(&mut self) {
        self.mark = (Instant::now(), cpu_seconds());
    }

    /// Ends phase `i` (and starts the next).
    fn lap(&mut self, i: usize) {
        let (now, cpu) = (Instant::now(), cpu_seconds());
        self.wall[i] += (now - self.mark.0).as_secs_f64();
        self.cpu[i] += cpu - self.mark.1;
        self.mark = (now, cpu);
    }

    fn print(&self) {
        let total: f64 = self.wall.iter().sum();
        for ((name, wall), cpu) in self.names.iter().zip(&self.wall).zip(&self.cpu) {
            println!(
                "    {name:<36} {:>5.1}% of the wall time, {:.2} CPUs busy",
                100.0 * wall / total,
                cpu / wall
            );
        }
    }
}

/// Host-side copy of a batch's token tensors, for the PyTorch script.
fn batch_json<B: Backend>(b: &ModelBatch<B>) -> serde_json::Value {
    let [rows, seq] = b.ids.dims();
    let ints = |t: &burn::tensor::Tensor<B, 2, burn::tensor::Int>| {
        let v: Vec<i64> = t.to_data().iter::<i64>().collect();
        v.chunks(seq).map(<[i64]>::to_vec).collect::<Vec<_>>()
    };
    let pad: Vec<bool> = b.pad.to_data().iter::<bool>().collect();
    let pad: Vec<Vec<bool>> = pad.chunks(seq).map(<[bool]>::to_vec).collect();
    assert_eq!(pad.len(), rows);
    json!({"ids": ints(&b.ids), "type_ids": ints(&b.type_ids), "pad": pad})
}

fn infer(budget: Duration, builder: &InputBuilder) -> (f64, f64, Vec<serde_json::Value>) {
    type B = NdArray;
    let device = Default::default();
    let sample = Path::new(ROOT).join("data/sample");
    let ds = data::load_split(&sample, Split::Val).expect("sample val split");
    let mut inputs: Vec<EncodedInput> = ds
        .examples
        .iter()
        .map(|e| {
            builder
                .encode(&e.question, &ds.tables[&e.table_id].header)
                .expect("encodable question")
        })
        .collect();
    inputs.sort_by_key(EncodedInput::len);
    let batches: Vec<ModelBatch<B>> = inputs
        .chunks(INFER_BATCH)
        .filter(|c| c.len() == INFER_BATCH)
        .map(|c| ModelBatch::new(&c.iter().collect::<Vec<_>>(), &device))
        .collect();
    let tokens: usize = inputs.iter().map(EncodedInput::len).sum();
    println!(
        "inference inputs: {} questions, {:.1} tokens on average; {} batches of {INFER_BATCH}",
        inputs.len(),
        tokens as f64 / inputs.len() as f64,
        batches.len()
    );
    let (model, _) =
        SlotModel::<B>::pretrained(&encoder_dir(), &spec(), &device).expect("pretrained encoder");
    let mut phases = Phases::new(&["encoder + heads, logits read back"]);
    let (q_per_s, calls, cpu_ms) = throughput(
        budget,
        2 * batches.len(),
        |i| batches[i % batches.len()].ids.dims()[0],
        |i| {
            phases.start();
            let logits = model.forward(&batches[i % batches.len()]);
            // Read every slot back, as decoding does.
            for t in [logits.sel, logits.where_count, logits.where_col] {
                let _ = t.into_data();
            }
            for t in [logits.agg, logits.op, logits.value_start, logits.value_end] {
                let _ = t.into_data();
            }
            phases.lap(0);
        },
    );
    phases.print();
    println!(
        "inference, encoder + heads (NdArray)  batch {INFER_BATCH}: {q_per_s:>7.1} questions/s  ({calls} batches)"
    );
    (q_per_s, cpu_ms, batches.iter().map(batch_json).collect())
}

fn train(budget: Duration, builder: &InputBuilder) -> (f64, f64, Vec<serde_json::Value>) {
    type B = Autodiff<NdArray>;
    let device = Default::default();
    <B as Backend>::seed(&device, 7);
    let sample = Path::new(ROOT).join("data/sample");
    let ds = data::load_split(&sample, Split::Train).expect("sample train split");
    let (cached, _) =
        build_cache(&ds.examples, &ds.tables, builder, false).expect("cached examples");
    let lengths: Vec<usize> = cached.iter().map(|c| c.input_ids.len()).collect();
    let batches: Vec<Vec<&CachedExample>> = epoch_batches(&lengths, TRAIN_BATCH, 7, 0)
        .into_iter()
        .filter(|b| b.len() == TRAIN_BATCH)
        .take(8)
        .map(|idx| idx.iter().map(|&i| &cached[i]).collect())
        .collect();
    let seqs: Vec<usize> = batches
        .iter()
        .map(|b| b.iter().map(|c| c.input_ids.len()).max().unwrap())
        .collect();
    println!(
        "training inputs: {} batches of {TRAIN_BATCH}, padded to {seqs:?} tokens",
        batches.len()
    );
    let (model, _) =
        SlotModel::<B>::pretrained(&encoder_dir(), &spec(), &device).expect("pretrained encoder");
    let mut model = Some(model);
    // As the trainer builds it (burn's AdamW, fused on ndarray: `model::fast::adamw`).
    let optim = || AdamWSettings::new(0.01, Some(1.0)).init::<B, SlotModel<B>>();
    let (mut opt_encoder, mut opt_heads) = (optim(), optim());
    let model_batches: Vec<ModelBatch<B>> = batches
        .iter()
        .map(|rows| ModelBatch::new(rows, &device))
        .collect();
    let mut phases = Phases::new(&["forward + loss", "backward", "optimizer (heads + encoder)"]);
    let mut step = |i: usize| {
        let rows = &batches[i % batches.len()];
        let batch = &model_batches[i % batches.len()];
        let label_rows: Vec<_> = rows
            .iter()
            .map(|r| (&r.labels, r.question_tokens.start, r.header_spans.len()))
            .collect();
        let targets = SlotTargets::from_labels(&label_rows, batch.n_cols());
        phases.start();
        let current = model.as_ref().expect("model");
        let loss = slot_loss(&current.forward(batch), &targets);
        let value: f64 = loss.total.clone().into_scalar().elem();
        assert!(value.is_finite(), "loss {value}");
        phases.lap(0);
        let mut grads = loss.total.backward();
        let heads = GradientsParams::from_module(&mut grads, &current.heads);
        let encoder = GradientsParams::from_module(&mut grads, &current.encoder);
        phases.lap(1);
        // The trainer hands the optimizers its only copy of the model (updated in place).
        let m = model.take().expect("model");
        let m = opt_heads.step(1e-4, m, heads);
        model = Some(opt_encoder.step(1e-4, m, encoder));
        phases.lap(2);
    };
    let (ex_per_s, calls, cpu_ms) = throughput(budget, 3, |_| TRAIN_BATCH, &mut step);
    phases.print();
    println!(
        "training step, full fine-tune (Autodiff<NdArray>) batch {TRAIN_BATCH}: {ex_per_s:>7.1} examples/s  ({calls} steps)"
    );
    (
        ex_per_s,
        cpu_ms,
        model_batches.iter().map(batch_json).collect(),
    )
}

fn main() {
    let a = args();
    println!(
        "rayon threads: {}; {} logical CPUs; budget {:?} per measurement",
        rayon::current_num_threads(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        a.budget
    );
    let builder = InputBuilder::from_file(encoder_dir().join("tokenizer.json")).expect("tokenizer");
    let (infer_q, infer_cpu_ms, infer_batches) = infer(a.budget, &builder);
    let (train_ex, train_cpu_ms, train_batches) = train(a.budget, &builder);
    if let Some(path) = &a.inputs {
        let inputs = json!({"infer": infer_batches, "train": train_batches});
        write_atomic(path, inputs.to_string()).expect("writing --inputs");
    }
    if let Some(path) = &a.out {
        let out = json!({
            "burn_infer_q_per_s": (infer_q * 10.0).round() / 10.0,
            "burn_train_ex_per_s": (train_ex * 10.0).round() / 10.0,
            "burn_infer_cpu_ms_per_q": (infer_cpu_ms * 10.0).round() / 10.0,
            "burn_train_cpu_ms_per_ex": (train_cpu_ms * 10.0).round() / 10.0,
        });
        write_atomic(path, out.to_string()).expect("writing --out");
    }
}
