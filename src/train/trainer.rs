//! The training loop: length-bucketed batches from the tokenized cache, AdamW with separate
//! learning rates for the encoder's trainable weights and the heads, warmup + linear decay,
//! per-epoch validation (greedy decoding, official LF/EX), best-model artifact, resumable
//! checkpoints, metrics as JSON lines and an SVG plot.

use super::checkpoint::{recorder, CheckpointDir, TrainState};
use super::config::TrainConfig;
use super::loss::{slot_loss, SlotLoss, SlotTargets, LOSS_PARTS};
use super::metrics::MetricsLog;
use super::val::ValSet;
use crate::model::batch::{ModelBatch, ShapePolicy};
use crate::model::fast::adamw::AdamWSettings;
use crate::model::slot_model::{ModelSpec, SlotModel};
use crate::model::trainable::apply_mode;
use crate::train::cache::CachedExample;
use anyhow::{bail, Context, Result};
use burn::module::{AutodiffModule, Module};
use burn::optim::{GradientsParams, Optimizer};
use burn::record::Recorder;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;
use std::time::Instant;

/// What a finished (or paused, with `max_steps`) run reports.
#[derive(Clone, Debug, Serialize)]
pub struct TrainSummary {
    pub steps: usize,
    pub epochs_done: usize,
    pub best_val_lf: Option<f64>,
    pub last_val_lf: Option<f64>,
    pub last_val_ex: Option<f64>,
    pub final_train_loss: Option<f64>,
    pub finished: bool,
}

/// Batches of one epoch: a seeded shuffle, then sorting by length inside windows of 50 batches
/// (so padding stays small but batches still differ between epochs), then shuffled batch order.
pub fn epoch_batches(
    lengths: &[usize],
    batch_size: usize,
    seed: u64,
    epoch: usize,
) -> Vec<Vec<usize>> {
    let mut rng = StdRng::seed_from_u64(seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.shuffle(&mut rng);
    let window = batch_size * 50;
    let mut batches = Vec::new();
    for chunk in order.chunks_mut(window) {
        chunk.sort_by_key(|&i| lengths[i]);
        batches.extend(chunk.chunks(batch_size).map(|c| c.to_vec()));
    }
    batches.shuffle(&mut rng);
    batches
}

/// Losses are read back from the device every this many steps (and at metric lines, checkpoints
/// and epoch ends, which fall on them): one transfer instead of seven synchronisations a step.
pub const LOSS_READ_EVERY: usize = 10;

/// The model batch and loss targets of the training examples `idx`, shaped by `shapes`.
pub fn training_batch<B: Backend>(
    train: &[CachedExample],
    idx: &[usize],
    shapes: ShapePolicy,
    batch_size: usize,
    device: &B::Device,
) -> (ModelBatch<B>, SlotTargets) {
    let rows: Vec<&CachedExample> = idx.iter().map(|&i| &train[i]).collect();
    let batch = ModelBatch::<B>::shaped(&rows, shapes, batch_size, device);
    let label_rows: Vec<_> = rows
        .iter()
        .map(|r| (&r.labels, r.question_tokens.start, r.header_spans.len()))
        .collect();
    let targets = SlotTargets::from_labels(&label_rows, batch.n_cols());
    (batch, targets)
}

/// One step's loss values, `[total, sel, agg, where_count, where_col, op, value]`, off the graph.
fn loss_row<B: AutodiffBackend>(loss: &SlotLoss<B>) -> Tensor<B::InnerBackend, 1> {
    let mut parts = vec![loss.total.clone().inner()];
    parts.extend(loss.parts.iter().map(|(_, t)| t.clone().inner()));
    Tensor::cat(parts, 0)
}

/// Reads the pending steps' loss rows back in one transfer.
fn read_losses<B: Backend>(pending: &mut Vec<Tensor<B, 1>>) -> Vec<Vec<f64>> {
    if pending.is_empty() {
        return Vec::new();
    }
    let n = pending.len();
    let flat: Vec<f64> = Tensor::cat(std::mem::take(pending), 0)
        .into_data()
        .convert::<f64>()
        .to_vec()
        .expect("f64 loss values");
    flat.chunks(flat.len() / n).map(|c| c.to_vec()).collect()
}

pub fn train_on<B: AutodiffBackend>(
    config: &TrainConfig,
    train: Vec<CachedExample>,
    val: &ValSet,
    device: B::Device,
    resume: bool,
) -> Result<TrainSummary> {
    B::seed(&device, config.seed);
    let run_dir = config.run_dir();
    std::fs::create_dir_all(&run_dir).with_context(|| format!("creating {}", run_dir.display()))?;
    let ckpt = CheckpointDir::new(&run_dir);
    if !resume && ckpt.exists() {
        bail!(
            "{} already holds a checkpoint: pass --resume to continue it, or pick another run name",
            run_dir.display()
        );
    }
    std::fs::write(run_dir.join("config.toml"), toml::to_string(config)?)?;

    let spec = ModelSpec {
        mode: config.mode,
        lora_rank: config.lora_rank,
        lora_alpha: config.lora_alpha,
        dropout: config.dropout,
    };
    let (model, counts) = SlotModel::<B>::pretrained(&config.encoder_dir, &spec, &device)?;
    eprintln!(
        "model: {:?} fine-tuning, {} trainable / {} frozen parameters; {} training examples, {} validation questions",
        config.mode,
        counts.trainable,
        counts.frozen,
        train.len(),
        val.len()
    );
    train_model(config, model, &spec, train, val, device, resume)
}

/// Train an already-built model (the entry used by tests with a tiny random encoder).
pub fn train_model<B: AutodiffBackend>(
    config: &TrainConfig,
    mut model: SlotModel<B>,
    spec: &ModelSpec,
    train: Vec<CachedExample>,
    val: &ValSet,
    device: B::Device,
    resume: bool,
) -> Result<TrainSummary> {
    anyhow::ensure!(!train.is_empty(), "no training examples");
    let run_dir = config.run_dir();
    std::fs::create_dir_all(&run_dir)?;
    let ckpt = CheckpointDir::new(&run_dir);
    // burn's AdamW with per-tensor norm clipping; fused and multi-threaded on ndarray.
    let optim = || {
        AdamWSettings::new(config.weight_decay as f32, Some(config.grad_clip as f32))
            .init::<B, SlotModel<B>>()
    };
    let (mut opt_encoder, mut opt_heads) = (optim(), optim());
    let mut state = TrainState::default();
    if resume {
        anyhow::ensure!(
            ckpt.exists(),
            "nothing to resume: {} has no checkpoint",
            run_dir.display()
        );
        state = ckpt.load_state()?;
        let rec = recorder();
        model = model
            .load_file(ckpt.record_path("model"), &rec, &device)
            .map_err(|e| anyhow::anyhow!("{e:?}"))
            .context("loading the checkpointed model")?;
        model = apply_mode(model, spec.mode).0;
        opt_encoder = opt_encoder.load_record(
            Recorder::<B>::load(&rec, ckpt.record_path("optim_encoder"), &device)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?,
        );
        opt_heads = opt_heads.load_record(
            Recorder::<B>::load(&rec, ckpt.record_path("optim_heads"), &device)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?,
        );
        eprintln!(
            "resuming at epoch {} batch {} (step {})",
            state.epoch + 1,
            state.batch_in_epoch,
            state.step
        );
    }
    let mut metrics = MetricsLog::open(&run_dir, state.step)?;

    let lengths: Vec<usize> = train.iter().map(|e| e.input_ids.len()).collect();
    let steps_per_epoch = train.len().div_ceil(config.batch_size);
    let total_steps = steps_per_epoch * config.epochs;
    let stop_at = config.max_steps.unwrap_or(usize::MAX).min(total_steps);

    let mut summary = TrainSummary {
        steps: state.step,
        epochs_done: state.epoch,
        best_val_lf: state.best_val_lf,
        last_val_lf: None,
        last_val_ex: None,
        final_train_loss: None,
        finished: false,
    };
    // `train::run` picks the policy from the backend; a direct caller without one gets exact lengths.
    let shapes = config.shapes.unwrap_or_default();
    let mut loss_window: Vec<f64> = Vec::new();
    let mut pending: Vec<Tensor<B::InnerBackend, 1>> = Vec::new();
    // The first step of a process compiles (and autotunes) every kernel on a GPU backend.
    let process_start = Instant::now();
    let mut compile_notice = super::gpu::compiles_kernels(&B::name(&device))
        .then(|| super::gpu::CompileNotice::start(std::time::Duration::from_secs(10)));
    let mut first_step_done = false;
    for epoch in state.epoch..config.epochs {
        let batches = epoch_batches(&lengths, config.batch_size, config.seed, epoch);
        let bar = ProgressBar::new(batches.len() as u64).with_position(state.batch_in_epoch as u64);
        bar.set_style(
            ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg} eta {eta}")
                .unwrap()
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("{}/{}", epoch + 1, config.epochs));
        let mut seen = 0usize;
        let started = Instant::now();
        for (bi, idx) in batches.iter().enumerate().skip(state.batch_in_epoch) {
            if state.step >= stop_at {
                break;
            }
            let (batch, targets) =
                training_batch::<B>(&train, idx, shapes, config.batch_size, &device);
            let logits = model.forward(&batch);
            let loss = slot_loss(&logits, &targets);
            pending.push(loss_row(&loss));
            let mut grads = loss.total.backward();
            let heads_grads = GradientsParams::from_module(&mut grads, &model.heads);
            let encoder_grads = GradientsParams::from_module(&mut grads, &model.encoder);
            let factor = config.lr_factor(state.step, total_steps);
            model = opt_heads.step(config.lr_heads * factor, model, heads_grads);
            if !encoder_grads.is_empty() {
                model = opt_encoder.step(config.lr_encoder * factor, model, encoder_grads);
            }
            state.step += 1;
            state.batch_in_epoch = bi + 1;
            seen += idx.len();
            bar.set_position(state.batch_in_epoch as u64);
            let log_now = state.step % LOSS_READ_EVERY == 0 || state.step == 1;
            let checkpoint_now = state.step % config.checkpoint_every.max(1) == 0;
            let last = state.step >= stop_at || state.batch_in_epoch == batches.len();
            if log_now || checkpoint_now || last || !first_step_done {
                let rows = read_losses(&mut pending);
                if !first_step_done {
                    first_step_done = true;
                    drop(compile_notice.take());
                    bar.suspend(|| {
                        eprintln!(
                            "first step done {:.1} s after the start of training",
                            process_start.elapsed().as_secs_f64()
                        )
                    });
                }
                let first_step = state.step - rows.len();
                for (k, row) in rows.iter().enumerate() {
                    if !row[0].is_finite() {
                        bail!(
                            "loss became {} at step {}: lower the learning rates",
                            row[0],
                            first_step + k
                        );
                    }
                    loss_window.push(row[0]);
                }
                let ex_per_s = seen as f64 / started.elapsed().as_secs_f64().max(1e-9);
                let latest = rows.last().expect("the step just taken");
                bar.set_message(format!("loss {:.3} {ex_per_s:.1} ex/s", latest[0]));
                if log_now {
                    let parts: Vec<(&str, f64)> = LOSS_PARTS
                        .into_iter()
                        .zip(latest[1..].iter().copied())
                        .collect();
                    let mean = loss_window.iter().sum::<f64>() / loss_window.len() as f64;
                    metrics.step(
                        state.step,
                        epoch,
                        mean,
                        &parts,
                        ex_per_s,
                        config.lr_heads * factor,
                    )?;
                    summary.final_train_loss = Some(mean);
                    loss_window.clear();
                }
            }
            if checkpoint_now {
                write_checkpoint(&ckpt, &model, &opt_encoder, &opt_heads, &state)?;
            }
        }
        bar.finish_and_clear();
        if state.step >= stop_at && state.batch_in_epoch < batches.len() {
            // Paused by max_steps inside an epoch: leave a checkpoint to resume from.
            write_checkpoint(&ckpt, &model, &opt_encoder, &opt_heads, &state)?;
            summary.steps = state.step;
            summary.epochs_done = state.epoch;
            return Ok(summary);
        }

        // Epoch end: validate, keep the best model, checkpoint, redraw the curves.
        let report = val.evaluate(&model.valid(), shapes, &device)?;
        let (lf, ex) = (report.lf, report.ex);
        eprintln!(
            "epoch {}: val LF {:.2}% EX {:.2}% ({} questions)",
            epoch + 1,
            100.0 * lf,
            100.0 * ex,
            report.n
        );
        metrics.epoch(state.step, epoch, &report)?;
        summary.last_val_lf = Some(lf);
        summary.last_val_ex = Some(ex);
        if state.best_val_lf.is_none_or(|b| lf > b) {
            state.best_val_lf = Some(lf);
            state.best_epoch = Some(epoch);
            let notes = serde_json::json!({"run": config.name, "epoch": epoch + 1, "step": state.step, "val": report});
            model
                .valid()
                .save_artifact(&run_dir.join("best"), spec, notes)?;
        }
        state.epoch = epoch + 1;
        state.batch_in_epoch = 0;
        write_checkpoint(&ckpt, &model, &opt_encoder, &opt_heads, &state)?;
        metrics.plot()?;
        summary.epochs_done = state.epoch;
        summary.best_val_lf = state.best_val_lf;
        summary.steps = state.step;
        if state.step >= stop_at {
            break;
        }
    }
    summary.finished = state.epoch >= config.epochs;
    Ok(summary)
}

fn write_checkpoint<
    B: AutodiffBackend,
    O1: Optimizer<SlotModel<B>, B>,
    O2: Optimizer<SlotModel<B>, B>,
>(
    ckpt: &CheckpointDir,
    model: &SlotModel<B>,
    opt_encoder: &O1,
    opt_heads: &O2,
    state: &TrainState,
) -> Result<()> {
    ckpt.save(state, |dir| {
        let rec = recorder();
        let err = |e: burn::record::RecorderError| anyhow::anyhow!("{e:?}");
        model
            .clone()
            .save_file(dir.join("model"), &rec)
            .map_err(err)?;
        Recorder::<B>::record(&rec, opt_encoder.to_record(), dir.join("optim_encoder"))
            .map_err(err)?;
        Recorder::<B>::record(&rec, opt_heads.to_record(), dir.join("optim_heads")).map_err(err)?;
        Ok(())
    })
}
