//! `sqlcoder predict`: a split's questions → an official prediction file (`eval` scores it).

use super::backend::BackendArgs;
use super::session::{DecodeArgs, ModelArgs, SAMPLE_DATA};
use anyhow::{Context, Result};
use burn::backend::NdArray;
use burn::tensor::backend::Backend;
use clap::{Args, ValueEnum};
use sqlcoder_data::{self as data, Dataset, Split};
use sqlcoder_eval::{write_predictions, PredictionLine};
use sqlcoder_infer::baseline::{baseline_query, majority_select};
use sqlcoder_infer::split::predict_split;
use sqlcoder_infer::{AnswerOptions, Answerer};
use sqlcoder_model::backend::BackendKind;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Baseline {
    /// The training split's most frequent (select column, aggregation), no conditions.
    Majority,
}

/// A prepared split and the trained model that reads it (`predict`, `tune`).
#[derive(Args, Debug)]
pub struct SplitModelArgs {
    /// Split whose questions are read (`<data>/dataset_files/<split>.jsonl`).
    #[arg(long, default_value = "val")]
    pub split: Split,
    /// Prepared data folder (challenge layout).
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Questions per model call.
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
}

#[derive(Args, Debug)]
pub struct PredictArgs {
    #[command(flatten)]
    pub source: SplitModelArgs,
    /// Decoding, as for `ask` (execution guidance runs candidates on the split's database).
    #[command(flatten)]
    pub decode: DecodeArgs,
    /// Predict with a baseline instead of the model.
    #[arg(long, value_enum, conflicts_with_all = ["model", "guided", "no_guided", "snap_values"])]
    pub baseline: Option<Baseline>,
    /// Prediction file to write (one JSON line per question, in the split's order).
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub backend: BackendArgs,
}

pub fn run(args: &PredictArgs) -> Result<()> {
    anyhow::ensure!(args.source.batch_size > 0, "--batch-size must be positive");
    let ds = data::load_split(&args.source.data, args.source.split)?;
    let started = Instant::now();
    let preds: Vec<PredictionLine> = match args.baseline {
        Some(Baseline::Majority) => {
            let pair = majority_pair(&args.source.data)?;
            eprintln!(
                "majority select clause of the training split: column {}, aggregation {:?}",
                pair.0, pair.1
            );
            ds.examples
                .iter()
                .map(|e| {
                    Ok(PredictionLine::Sketch(baseline_query(
                        pair,
                        ds.table_of(e)?,
                    )))
                })
                .collect::<Result<_>>()?
        }
        None => {
            let options = args.decode.options();
            match args.backend.kind {
                BackendKind::Ndarray => predict_on::<NdArray>(args, &ds, options)?,
                BackendKind::Cuda => predict_cuda(args, &ds, options)?,
            }
        }
    };
    let n = preds.len();
    write_predictions(&args.out, preds)?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "wrote {n} predictions to {} in {secs:.1}s ({:.1} questions/s)",
        args.out.display(),
        n as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// The model's predictions for `ds` on backend `B`, batches shaped for `args.backend`.
fn predict_on<B: Backend>(
    args: &PredictArgs,
    ds: &Dataset,
    options: AnswerOptions,
) -> Result<Vec<PredictionLine>> {
    let found = args.source.model.locate()?;
    let mut answerer: Answerer<B> =
        Answerer::load(&found.model, &found.encoder, Default::default(), options)
            .map_err(|e| crate::locate::explain_load_error(&found, e))?;
    answerer.shapes = args.backend.kind.default_shapes();
    let db = data::db_path(&args.source.data, args.source.split);
    let (preds, stats) = predict_split(
        &answerer,
        &ds.examples,
        &ds.tables,
        &db,
        args.source.batch_size,
        true,
    )?;
    eprintln!(
        "{} questions: {} not encodable, {} changed by execution guidance, {} values snapped, \
         {} answered beyond WikiSQL's sketch",
        stats.questions,
        stats.not_encoded,
        stats.guidance_changed,
        stats.snapped_values,
        stats.beyond_sketch
    );
    Ok(preds)
}

#[cfg(feature = "cuda")]
fn predict_cuda(
    args: &PredictArgs,
    ds: &Dataset,
    options: AnswerOptions,
) -> Result<Vec<PredictionLine>> {
    sqlcoder_model::backend::configure_cubecl(&args.backend.gpu())?;
    predict_on::<burn::backend::Cuda>(args, ds, options)
}

#[cfg(not(feature = "cuda"))]
fn predict_cuda(_: &PredictArgs, _: &Dataset, _: AnswerOptions) -> Result<Vec<PredictionLine>> {
    Err(sqlcoder_model::backend::no_cuda())
}

/// The majority select clause of `<data>/dataset_files/train.jsonl`, or of the sample's
/// training questions when `data` has no training split.
fn majority_pair(data_dir: &Path) -> Result<(usize, sqlcoder_data::Agg)> {
    let train = match data::load_split(data_dir, Split::Train) {
        Ok(ds) => ds,
        Err(e) => {
            eprintln!(
                "note: no training split in {} ({e:#}); using {SAMPLE_DATA}",
                data_dir.display()
            );
            data::load_split(Path::new(SAMPLE_DATA), Split::Train)
                .context("reading the sample training split")?
        }
    };
    majority_select(&train.examples).context("the training split has no questions")
}
