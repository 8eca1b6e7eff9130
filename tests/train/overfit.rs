//! The training loop can drive a tiny random BERT to memorise ~64 examples: the loss falls and
//! train logical-form accuracy reaches 90%. This exercises labels, batching, all six heads, the
//! losses, both optimizers, greedy decoding and the official scorer end to end.

use crate::support;

use burn::backend::{Autodiff, NdArray};
use sqlcoder_data::{self as data, Example, Split};
use sqlcoder_model::slot_model::{ModelSpec, SlotModel};
use sqlcoder_train::cache::CachedExample;
use sqlcoder_train::config::{FineTune, OptimConfig, TrainConfig};
use sqlcoder_train::trainer::Trainer;
use sqlcoder_train::val::ValSet;

type B = Autodiff<NdArray>;

#[test]
fn tiny_model_overfits_the_sample_training_questions() {
    let support::SampleTrain {
        builder,
        ds,
        cached,
    } = support::sample_train();
    // Only questions whose every value is a question substring can reach exact logical form.
    let train: Vec<CachedExample> = cached
        .into_iter()
        .filter(|c| c.labels.value_spans.iter().all(Option::is_some))
        .collect();
    assert!(
        train.len() >= 48,
        "only {} usable sample questions",
        train.len()
    );
    let examples: Vec<Example> = train
        .iter()
        .map(|c| ds.examples[c.example_index as usize].clone())
        .collect();
    let val = ValSet::from_examples(
        examples,
        ds.tables.clone(),
        data::db_path(&support::sample(), Split::Train),
        &builder,
    );

    let runs = tempfile::tempdir().unwrap();
    let config = TrainConfig {
        name: "overfit".into(),
        runs_dir: runs.path().to_path_buf(),
        epochs: 60,
        batch_size: 16,
        checkpoint_every: 1_000_000,
        model: ModelSpec {
            mode: FineTune::Full,
            dropout: 0.0,
            ..Default::default()
        },
        optim: OptimConfig {
            lr_encoder: 1e-3,
            lr_heads: 2e-3,
            weight_decay: 0.0,
            warmup_fraction: 0.05,
            ..Default::default()
        },
        ..Default::default()
    };
    let device = Default::default();
    let (model, _) = SlotModel::<B>::random(&support::tiny_bert(0.0), &config.model, &device);
    let trainer = Trainer::new(&config, model, device, false).unwrap();
    let summary = trainer.fit(&train, &val).unwrap();

    let metrics = std::fs::read_to_string(runs.path().join("overfit/metrics.jsonl")).unwrap();
    let losses: Vec<f64> = metrics
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["kind"] == "step")
        .map(|v| v["loss"].as_f64().unwrap())
        .collect();
    let (first, last) = (losses[0], *losses.last().unwrap());
    assert!(
        last < first / 5.0,
        "loss fell only from {first:.3} to {last:.3}"
    );
    let lf = summary.best_val_lf.unwrap();
    assert!(
        lf >= 0.9,
        "train logical-form accuracy {:.1}% < 90%",
        100.0 * lf
    );
    assert!(runs.path().join("overfit/best/slots.safetensors").exists());
    assert!(runs.path().join("overfit/curves.svg").exists());
}
