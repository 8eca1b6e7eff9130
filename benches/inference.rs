//! Inference speed: `cargo bench --bench inference` (`--features cuda` adds the CUDA backend).
//!
//! Questions are the committed sample's validation questions (data/sample), cycled. Prints
//! - end-to-end throughput (tokenize → encode → decode → assemble SQL → execute on the sample's
//!   validation database) at batch 1, 16 and 64, greedy and execution-guided;
//! - encoder-only throughput (the BERT forward pass on already-tokenized batches);
//! - single-question latency p50/p95 end to end (what `ask` and the web app see per question;
//!   alone with `-- latency`).
//!
//! The model is `$SQLCODER_BENCH_MODEL` when set, else `models/sqlcoder-lora` when it exists, else
//! the pretrained encoder with random heads (same cost: only the heads' weights differ). Every
//! measurement is time-boxed.

use burn::tensor::backend::Backend;
use sqlcoder_data::{self as data, Split, Table};
use sqlcoder_infer::testing::random_head_artifact;
use sqlcoder_infer::{AnswerOptions, Answerer};
use sqlcoder_model::batch::ModelBatch;
use sqlcoder_model::input::EncodedInput;
use sqlcoder_model::slot_model::shipped_model_dir;
use sqlcoder_sql::Executor;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Time spent measuring one configuration (after a warm-up call).
const BUDGET: Duration = Duration::from_secs(5);

struct Questions {
    items: Vec<(String, Table)>,
}

impl Questions {
    fn load() -> Self {
        let ds =
            data::load_split(&Path::new(ROOT).join("data/sample"), Split::Val).expect("sample");
        let items = ds
            .examples
            .iter()
            .map(|e| (e.question.clone(), ds.tables[&e.table_id].clone()))
            .collect();
        Questions { items }
    }

    /// `n` questions starting at `from`, cycling.
    fn batch(&self, from: usize, n: usize) -> Vec<(&str, &Table)> {
        (0..n)
            .map(|i| &self.items[(from + i) % self.items.len()])
            .map(|(q, t)| (q.as_str(), t))
            .collect()
    }
}

/// Runs `step` (which answers `per_call` questions) until [`BUDGET`] has passed, at least once.
fn throughput(label: &str, batch: usize, per_call: usize, mut step: impl FnMut()) {
    let start = Instant::now();
    let mut calls = 0;
    while calls < 1 || start.elapsed() < BUDGET {
        step();
        calls += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label:<34} batch {batch:>2}: {:>7.1} questions/s  ({} questions in {secs:.1}s)",
        (calls * per_call) as f64 / secs,
        calls * per_call
    );
}

/// All sample questions per call, batched as `predict` batches them (sorted by length, then
/// `batch` at a time), so padding is what a split prediction sees.
fn end_to_end<B: Backend>(name: &str, answerer: &mut Answerer<B>, qs: &Questions, exec: &Executor) {
    let all = qs.batch(0, qs.items.len());
    answerer.answer_many(&all[..4], exec, 4); // warm-up
    for guided in [false, true] {
        answerer.options.guided = guided;
        let label = format!(
            "end to end, {} ({name})",
            if guided { "guided" } else { "greedy" }
        );
        for batch in [1, 16, 64] {
            throughput(&label, batch, all.len(), || {
                for a in answerer.answer_many(&all, exec, batch) {
                    a.expect("answered");
                }
            });
        }
    }
}

fn encoder_only<B: Backend>(name: &str, answerer: &Answerer<B>, qs: &Questions) {
    let mut inputs: Vec<EncodedInput> = qs
        .items
        .iter()
        .map(|(q, t)| answerer.encode(q, t).unwrap())
        .collect();
    inputs.sort_by_key(EncodedInput::len);
    let lens: Vec<usize> = inputs.iter().map(EncodedInput::len).collect();
    println!(
        "inputs: {:.1} tokens on average, median {}, longest {}",
        lens.iter().sum::<usize>() as f64 / lens.len() as f64,
        lens[lens.len() / 2],
        lens[lens.len() - 1]
    );
    for batch in [1, 16, 64] {
        throughput(
            &format!("encoder only ({name})"),
            batch,
            inputs.len(),
            || {
                for chunk in inputs.chunks(batch) {
                    let rows: Vec<&EncodedInput> = chunk.iter().collect();
                    let b = ModelBatch::<B>::new(&rows, answerer.device());
                    let _ = answerer
                        .model()
                        .encoder
                        .forward(b.ids, b.type_ids, b.pad)
                        .into_data();
                }
            },
        );
    }
}

/// Per-question latency of `answer` over one pass of the sample (at least [`BUDGET`] long).
fn latency(answerer: &mut Answerer, qs: &Questions, exec: &Executor) {
    for guided in [false, true] {
        answerer.options.guided = guided;
        let (q, t) = &qs.items[0];
        answerer.answer(q, t, exec).unwrap();
        let start = Instant::now();
        let mut times = Vec::new();
        while times.len() < qs.items.len() || start.elapsed() < BUDGET {
            let (q, t) = &qs.items[times.len() % qs.items.len()];
            let one = Instant::now();
            answerer.answer(q, t, exec).unwrap();
            times.push(one.elapsed());
        }
        times.sort();
        let pct =
            |p: f64| times[((times.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3;
        println!(
            "latency, one question, {} (NdArray): p50 {:.1} ms  p95 {:.1} ms  max {:.1} ms  ({} questions)",
            if guided { "guided" } else { "greedy" },
            pct(0.5),
            pct(0.95),
            pct(1.0),
            times.len()
        );
    }
}

/// The model folder named by `SQLCODER_BENCH_MODEL` (before/after comparisons of two models with
/// one build), else the shipped model, or a random-head artifact written to `scratch`.
fn model_dir(scratch: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("SQLCODER_BENCH_MODEL") {
        let dir = PathBuf::from(dir);
        println!("model: {}", dir.display());
        return dir;
    }
    let shipped = Path::new(ROOT).join(shipped_model_dir());
    if shipped.join("slots.json").is_file() {
        println!("model: {}", shipped.display());
        return shipped;
    }
    random_head_artifact(scratch, &encoder_dir(), 1).expect("random-head artifact");
    println!(
        "model: pretrained encoder + random heads (no trained model in {})",
        shipped.display()
    );
    scratch.to_path_buf()
}

fn encoder_dir() -> PathBuf {
    Path::new(ROOT).join("models/all-MiniLM-L6-v2")
}

fn main() {
    let started = Instant::now();
    let scratch = tempfile::tempdir().expect("temp dir");
    let model = model_dir(scratch.path());
    let qs = Questions::load();
    let exec = Executor::open(&data::db_path(
        &Path::new(ROOT).join("data/sample"),
        Split::Val,
    ))
    .expect("sample db");
    println!(
        "{} sample questions; rayon threads: {}; {} logical CPUs",
        qs.items.len(),
        rayon::current_num_threads(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let mut cpu: Answerer = Answerer::load(
        &model,
        &encoder_dir(),
        Default::default(),
        AnswerOptions::default(),
    )
    .unwrap();
    latency(&mut cpu, &qs, &exec);
    // `cargo bench --bench inference -- latency`: the single-question latency only.
    if std::env::args().any(|a| a == "latency") {
        return;
    }
    encoder_only("NdArray", &cpu, &qs);
    end_to_end("NdArray", &mut cpu, &qs, &exec);
    #[cfg(feature = "cuda")]
    cuda(&model, &qs, &exec);
    println!("total {:.0?}", started.elapsed());
}

#[cfg(feature = "cuda")]
fn cuda(model: &Path, qs: &Questions, exec: &Executor) {
    use burn::backend::Cuda;
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut gpu: Answerer<Cuda> = Answerer::load(
            model,
            &encoder_dir(),
            Default::default(),
            AnswerOptions::default(),
        )
        .unwrap();
        encoder_only("cuda", &gpu, qs);
        end_to_end("cuda", &mut gpu, qs, exec);
    }));
    if run.is_err() {
        println!("cuda: no usable GPU here");
    }
}
