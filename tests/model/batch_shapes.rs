//! GPU batch shapes: an epoch of bucketed batches touches few tensor shapes, and bucket padding
//! (longer sequences, more columns, dummy rows) changes no real question's scores or loss.

use crate::support;

use burn::backend::NdArray;
use sqlcoder_data::{self as data, wikisql, Split};
use sqlcoder_infer::scorer::Scorer;
use sqlcoder_infer::scores::SlotScores;
use sqlcoder_model::batch::{BatchShape, ShapePolicy};
use sqlcoder_model::input::{EncodedInput, InputBuilder};
use sqlcoder_model::slot_model::{ModelSpec, SlotModel};
use sqlcoder_model::BertConfig;
use sqlcoder_train::cache::CachedExample;
use sqlcoder_train::cache_build::build_cache;
use sqlcoder_train::config::FineTune;
use sqlcoder_train::loss::slot_loss;
use sqlcoder_train::trainer::{epoch_batches, training_batch};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

type B = NdArray;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn builder() -> InputBuilder {
    InputBuilder::from_file(root().join("models/all-MiniLM-L6-v2/tokenizer.json")).unwrap()
}

/// The whole WikiSQL train split from the shared folder when it is there (CI has it beside
/// the checkout), else the committed sample's training questions.
fn train_set() -> (Vec<CachedExample>, &'static str) {
    let shared = support::shared().join("wikisql");
    let (ds, name) = if wikisql::has_split(&shared, Split::Train) {
        (
            wikisql::read_split(&shared, Split::Train).unwrap(),
            "full train split",
        )
    } else {
        (
            data::load_split(&root().join("data/sample"), Split::Train).unwrap(),
            "sample train split",
        )
    };
    let (cached, _) = build_cache(&ds.examples, &ds.tables, &builder(), false).unwrap();
    (cached, name)
}

fn epoch_shapes(
    train: &[CachedExample],
    policy: ShapePolicy,
    batch: usize,
) -> BTreeSet<BatchShape> {
    let lengths: Vec<usize> = train.iter().map(|e| e.input_ids.len()).collect();
    let device = Default::default();
    epoch_batches(&lengths, batch, 42, 0)
        .iter()
        .map(|idx| {
            training_batch::<B>(train, idx, policy, batch, &device)
                .0
                .shape()
        })
        .collect()
}

#[test]
fn a_bucketed_epoch_uses_at_most_ten_shapes() {
    let (train, name) = train_set();
    let bucketed = epoch_shapes(&train, ShapePolicy::Buckets, 32);
    eprintln!(
        "{name}: {} examples, bucketed shapes {bucketed:?}",
        train.len()
    );
    assert!(
        bucketed.len() <= 10,
        "{name}: {} distinct batch shapes: {bucketed:?}",
        bucketed.len()
    );
    assert!(bucketed.iter().all(|s| s.rows == 32), "fixed batch size");
    if train.len() > 10_000 {
        // The test can fail: exact lengths give dozens of shapes on the real data.
        let exact = epoch_shapes(&train, ShapePolicy::Exact, 32);
        eprintln!("{name}: exact shapes {}", exact.len());
        assert!(exact.len() > 10 * bucketed.len());
    }
}

fn tiny_model() -> SlotModel<B> {
    let spec = ModelSpec {
        mode: FineTune::Full,
        dropout: 0.0,
        ..Default::default()
    };
    let config = BertConfig::tiny(30522, 64, 2, 4, 0.0);
    SlotModel::<B>::random(&config, &spec, &Default::default()).0
}

fn max_diff(a: &SlotScores, b: &SlotScores) -> f32 {
    let flat = |s: &SlotScores| -> Vec<f32> {
        let mut v = s.sel.clone();
        v.extend(s.agg.iter().flatten());
        v.extend(s.where_count);
        v.extend(&s.where_col);
        v.extend(s.op.iter().flatten());
        v.extend(s.value_start.iter().flatten());
        v.extend(s.value_end.iter().flatten());
        v
    };
    let (a, b) = (flat(a), flat(b));
    assert_eq!(a.len(), b.len(), "same slots");
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn bucket_padding_leaves_slot_scores_unchanged() {
    let sample: PathBuf = root().join("data/sample");
    let ds = data::load_split(&sample, Split::Val).unwrap();
    let builder = builder();
    let encoded: Vec<EncodedInput> = ds
        .examples
        .iter()
        .take(40)
        .map(|e| {
            builder
                .encode(&e.question, &ds.tables[&e.table_id].header)
                .unwrap()
        })
        .collect();
    let inputs: Vec<&EncodedInput> = encoded.iter().collect();
    let model = tiny_model();
    let device = Default::default();
    let scorer = |shapes| Scorer {
        model: &model,
        batch_size: 16,
        shapes,
        device: &device,
    };
    // 40 questions in batches of 16: the last batch gets 8 dummy rows.
    let exact = scorer(ShapePolicy::Exact).score(&inputs);
    let bucketed = scorer(ShapePolicy::Buckets).score(&inputs);
    assert_eq!(exact.len(), bucketed.len());
    let worst = exact
        .iter()
        .zip(&bucketed)
        .map(|(a, b)| max_diff(a, b))
        .fold(0.0, f32::max);
    assert!(worst <= 1e-4, "bucket padding moved a score by {worst}");
}

#[test]
fn bucket_padding_leaves_the_training_loss_unchanged() {
    let sample = root().join("data/sample");
    let ds = data::load_split(&sample, Split::Train).unwrap();
    let (train, _) = build_cache(&ds.examples, &ds.tables, &builder(), false).unwrap();
    let model = tiny_model();
    let device = Default::default();
    // Five real rows in a batch of eight: three dummy rows that the loss must ignore.
    let idx: Vec<usize> = (0..5).collect();
    let loss = |policy| {
        let (batch, targets) = training_batch::<B>(&train, &idx, policy, 8, &device);
        let l = slot_loss(&model.forward(&batch), &targets);
        let mut v = vec![l.total.into_scalar()];
        v.extend(l.parts.into_iter().map(|(_, t)| t.into_scalar()));
        (batch.shape(), v)
    };
    let (exact_shape, exact) = loss(ShapePolicy::Exact);
    let (bucket_shape, bucketed) = loss(ShapePolicy::Buckets);
    assert_eq!(exact_shape.rows, 5);
    assert_eq!(bucket_shape.rows, 8);
    assert!(bucket_shape.seq > exact_shape.seq || bucket_shape.cols > exact_shape.cols);
    for (a, b) in exact.iter().zip(&bucketed) {
        assert!(
            (a - b).abs() <= 1e-4 * a.abs().max(1.0),
            "{exact:?} vs {bucketed:?}"
        );
    }
}
