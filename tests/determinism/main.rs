//! Same seed, same data → the same training losses. In its own test binary because burn's
//! backend RNG is process-global: a test running beside it would draw from it too.

#[path = "../support/mod.rs"]
mod support;

use burn::backend::{Autodiff, NdArray};
use sqlcoder_data::{self as data, Split};
use sqlcoder_model::heads::HeadOptions;
use sqlcoder_model::lora::LoraConfig;
use sqlcoder_model::slot_model::{ModelSpec, SlotModel};
use sqlcoder_train::config::{FineTune, TrainConfig};
use sqlcoder_train::trainer::Trainer;
use sqlcoder_train::val::ValSet;

type B = Autodiff<NdArray>;

/// Same seed, same data → the same losses, step for step. Not bit-for-bit: burn-ndarray's
/// multi-threaded reductions may sum in a different order, which moves the 7th digit.
#[test]
fn training_is_deterministic_for_a_seed() {
    use burn::tensor::backend::Backend;
    let support::SampleTrain {
        builder,
        ds,
        cached,
    } = support::sample_train();
    let val = ValSet::from_examples(
        ds.examples[..8].to_vec(),
        ds.tables.clone(),
        data::db_path(&support::sample(), Split::Train),
        &builder,
    );
    let runs = tempfile::tempdir().unwrap();
    let spec = ModelSpec {
        mode: FineTune::Lora,
        lora: LoraConfig {
            rank: 4,
            alpha: 8.0,
            ..Default::default()
        },
        dropout: 0.1,
        content: true,
        // Every optional head variant on, so their training is held to determinism too.
        heads: HeadOptions {
            op_reads_value: true,
            where_attention: true,
            agg_reads_question: true,
            family: true,
        },
        spoken_headers: false,
    };
    let losses = |name: &str| -> Vec<(u64, f64)> {
        let config = TrainConfig {
            name: name.into(),
            runs_dir: runs.path().to_path_buf(),
            epochs: 3,
            batch_size: 8,
            seed: 7,
            model: spec.clone(),
            ..Default::default()
        };
        let device = Default::default();
        B::seed(&device, config.seed);
        let (model, _) = SlotModel::<B>::random(&support::tiny_bert(0.1), &spec, &device);
        let trainer = Trainer::new(&config, model, device, false).unwrap();
        trainer.fit(&cached, &val).unwrap();
        std::fs::read_to_string(runs.path().join(name).join("metrics.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["kind"] == "step")
            .map(|v| (v["step"].as_u64().unwrap(), v["loss"].as_f64().unwrap()))
            .collect()
    };
    let (a, b) = (losses("a"), losses("b"));
    assert!(a.len() >= 2);
    assert_eq!(a.len(), b.len());
    for ((sa, la), (sb, lb)) in a.iter().zip(&b) {
        assert_eq!(sa, sb);
        assert!(
            (la - lb).abs() <= 1e-5 * la.abs(),
            "step {sa}: loss {la} vs {lb}"
        );
    }
    assert_ne!(a[0].1, a.last().unwrap().1, "training moved the loss");
}
