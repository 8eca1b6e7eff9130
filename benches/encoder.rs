//! Encoder throughput on the CPU backend: `cargo bench --bench encoder`.
//!
//! Inputs are the three WikiSQL (question, headers) pairs of the parity fixture (30, 30 and 42
//! tokens; WikiSQL inputs average about 40), cycled to fill a batch and padded to the longest.
//! Prints milliseconds per batch and questions per second for inference (NdArray) and for a
//! training step's forward + backward (Autodiff<NdArray>) with full fine-tuning and with LoRA.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use burn::backend::{Autodiff, NdArray};
use burn::tensor::backend::Backend;
use burn::tensor::{Bool, Int, Tensor, TensorData};
use sqlcoder_model::trainable::{apply_mode, FineTune};
use sqlcoder_model::weights::load_pretrained;
use sqlcoder_model::{BertModel, LoraConfig};

const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/models/all-MiniLM-L6-v2");
/// Measure each configuration for at least this long (after one warm-up run).
const BUDGET: Duration = Duration::from_secs(3);

/// The fixture's inputs, or two made-up ones of typical length when the shared folder is absent.
fn sample_inputs() -> Vec<(Vec<i64>, Vec<i64>)> {
    match support::encoder_fixture() {
        Some(fixture) => fixture
            .cases
            .into_iter()
            .map(|c| (c.input_ids, c.token_type_ids))
            .collect(),
        None => [34usize, 46]
            .iter()
            .map(|&n| {
                let ids = (0..n as i64).map(|i| 1000 + (i * 7919) % 20000).collect();
                let types = (0..n).map(|i| i64::from(i >= 12)).collect();
                (ids, types)
            })
            .collect(),
    }
}

struct Batch<B: Backend> {
    ids: Tensor<B, 2, Int>,
    types: Tensor<B, 2, Int>,
    pad: Tensor<B, 2, Bool>,
    rows: usize,
    seq: usize,
}

fn batch<B: Backend>(
    samples: &[(Vec<i64>, Vec<i64>)],
    rows: usize,
    device: &B::Device,
) -> Batch<B> {
    let chosen: Vec<_> = samples.iter().cycle().take(rows).collect();
    let seq = chosen.iter().map(|(ids, _)| ids.len()).max().unwrap();
    let (mut ids, mut types, mut pad) = (vec![], vec![], vec![]);
    for (row_ids, row_types) in chosen {
        for t in 0..seq {
            ids.push(row_ids.get(t).copied().unwrap_or(0));
            types.push(row_types.get(t).copied().unwrap_or(0));
            pad.push(t >= row_ids.len());
        }
    }
    Batch {
        ids: Tensor::from_data(TensorData::new(ids, [rows, seq]), device),
        types: Tensor::from_data(TensorData::new(types, [rows, seq]), device),
        pad: Tensor::from_data(TensorData::new(pad, [rows, seq]), device),
        rows,
        seq,
    }
}

/// Runs `step` once to warm up, then repeatedly for [`BUDGET`]; prints the mean.
fn measure(label: &str, rows: usize, seq: usize, mut step: impl FnMut()) {
    step();
    let start = Instant::now();
    let mut runs = 0u32;
    while runs < 2 || start.elapsed() < BUDGET {
        step();
        runs += 1;
    }
    let per_batch = start.elapsed() / runs;
    println!(
        "{label:<34} batch {rows:>2} × {seq} tokens: {:>8.1} ms/batch  {:>7.1} questions/s  ({runs} runs)",
        per_batch.as_secs_f64() * 1e3,
        rows as f64 / per_batch.as_secs_f64()
    );
}

fn forward<B: Backend>(model: &BertModel<B>, b: &Batch<B>) -> Tensor<B, 3> {
    model.forward(b.ids.clone(), b.types.clone(), b.pad.clone())
}

fn main() {
    let samples = sample_inputs();
    println!(
        "rayon threads: {}; inputs: {:?} tokens",
        rayon::current_num_threads(),
        samples.iter().map(|s| s.0.len()).collect::<Vec<_>>()
    );

    let device = Default::default();
    let (_, model) = load_pretrained::<NdArray>(Path::new(MODEL), &device).expect("shipped model");
    for rows in [1, 32] {
        let b = batch(&samples, rows, &device);
        measure("inference (NdArray)", rows, b.seq, || {
            let _ = forward(&model, &b).into_data();
        });
    }

    let (_, model) =
        load_pretrained::<Autodiff<NdArray>>(Path::new(MODEL), &device).expect("model");
    let b = batch(&samples, 32, &device);
    measure("forward+backward, full", b.rows, b.seq, || {
        let _ = forward(&model, &b).mean().backward();
    });
    let model = apply_mode(model.with_lora(&LoraConfig::default()), FineTune::Lora).0;
    measure("forward+backward, LoRA r=8 all", b.rows, b.seq, || {
        let _ = forward(&model, &b).mean().backward();
    });
    let model = apply_mode(model, FineTune::Frozen).0;
    measure("forward (autodiff), frozen", b.rows, b.seq, || {
        let _ = forward(&model, &b).into_data();
    });
}
