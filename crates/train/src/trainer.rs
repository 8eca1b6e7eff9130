//! The training loop: length-bucketed batches from the tokenized cache, AdamW with separate
//! learning rates for the encoder's trainable weights and the heads, warmup + linear decay,
//! per-epoch validation (greedy decoding, official LF/EX), best-model artifact (and the last
//! model of a run paused by `max_steps`), resumable checkpoints, metrics as JSON lines and an
//! SVG plot.
//!
//! [`Trainer`] holds the model, both optimizers and where training stands; [`Trainer::step`]
//! takes one optimizer step and [`Trainer::end_epoch`] validates, keeps the best model and
//! checkpoints. [`Trainer::fit`] is the epoch loop around them.

use super::checkpoint::{recorder, CheckpointDir, TrainState};
use super::config::TrainConfig;
use super::loss::{slot_loss, SlotLoss, SlotTargets, LOSS_PARTS};
use super::metrics::MetricsLog;
use super::val::{ValReport, ValSet};
use crate::cache::CachedExample;
use anyhow::{bail, Context, Result};
use burn::module::{AutodiffModule, Module};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{GradientsParams, Optimizer};
use burn::record::Recorder;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;
use sqlcoder_data::io::AtomicFile;
use sqlcoder_kernels::adamw::{AdamW, AdamWSettings};
use sqlcoder_model::batch::{ModelBatch, ShapePolicy};
use sqlcoder_model::slot_model::SlotModel;
use sqlcoder_model::trainable::apply_mode;
use std::io::Write;
use std::time::{Duration, Instant};

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

/// One step's loss values, the total then each of [`LOSS_PARTS`], off the graph.
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

type Adam<B> = OptimizerAdaptor<AdamW, SlotModel<B>, B>;

/// A model in training: both optimizers, where training stands, and the run's outputs.
pub struct Trainer<B: AutodiffBackend> {
    config: TrainConfig,
    /// Taken out only for the length of an optimizer step, which updates it in place.
    model: Option<SlotModel<B>>,
    opt_encoder: Adam<B>,
    opt_heads: Adam<B>,
    state: TrainState,
    device: B::Device,
    ckpt: CheckpointDir,
    metrics: MetricsLog,
    /// Batch shapes: `train::run` picks them from the backend; a direct caller gets exact ones.
    shapes: ShapePolicy,
    /// Loss rows of the steps not read back yet, and the totals read since the last metric line.
    pending: Vec<Tensor<B::InnerBackend, 1>>,
    loss_window: Vec<f64>,
    /// Until the first step's loss is read: when training started, and the notice that a GPU
    /// backend is compiling its kernels.
    first_step: Option<(Instant, Option<sqlcoder_model::backend::CompileNotice>)>,
    last_val: Option<ValReport>,
    final_train_loss: Option<f64>,
    /// The frozen model the sketch's slots are distilled from, and the term's weight.
    teacher: Option<(SlotModel<B::InnerBackend>, f32)>,
}

impl<B: AutodiffBackend> Trainer<B> {
    /// Optimizers for `model` (built from `config.model`), resumed from the run's checkpoint
    /// when `resume`; a run folder that holds a checkpoint is never silently overwritten.
    pub fn new(
        config: &TrainConfig,
        model: SlotModel<B>,
        device: B::Device,
        resume: bool,
    ) -> Result<Self> {
        let run_dir = config.run_dir();
        std::fs::create_dir_all(&run_dir)
            .with_context(|| format!("creating {}", run_dir.display()))?;
        let ckpt = CheckpointDir::new(&run_dir);
        let state = match (resume, ckpt.exists()) {
            (true, true) => ckpt.load_state()?,
            (true, false) => bail!("nothing to resume: {} has no checkpoint", run_dir.display()),
            (false, true) => bail!(
                "{} already holds a checkpoint: pass --resume to continue it, or pick another run name",
                run_dir.display()
            ),
            (false, false) => TrainState::default(),
        };
        // burn's AdamW with per-tensor norm clipping; fused and multi-threaded on ndarray.
        let optim = || {
            let (decay, clip) = (config.optim.weight_decay, config.optim.grad_clip);
            AdamWSettings::new(decay as f32, Some(clip as f32)).init::<B, SlotModel<B>>()
        };
        let compiles = sqlcoder_model::backend::compiles_kernels(&B::name(&device));
        let mut trainer = Trainer {
            config: config.clone(),
            model: Some(model),
            opt_encoder: optim(),
            opt_heads: optim(),
            // Lines logged after the checkpoint (by a killed run) are dropped, not logged twice.
            metrics: MetricsLog::open(&run_dir, state.step)?,
            state,
            device,
            ckpt,
            shapes: config.shapes.unwrap_or_default(),
            pending: Vec::new(),
            loss_window: Vec::new(),
            first_step: Some((
                Instant::now(),
                compiles.then(|| {
                    sqlcoder_model::backend::CompileNotice::start(Duration::from_secs(10))
                }),
            )),
            last_val: None,
            final_train_loss: None,
            teacher: None,
        };
        if resume {
            trainer.load_checkpoint_records()?;
        }
        let mut file = AtomicFile::create(&run_dir.join("config.toml"))?;
        file.write_all(toml::to_string(config)?.as_bytes())?;
        file.commit()?;
        Ok(trainer)
    }

    /// The checkpointed model and optimizer state (the training state is already loaded).
    fn load_checkpoint_records(&mut self) -> Result<()> {
        let rec = recorder();
        let err = |e: burn::record::RecorderError| anyhow::anyhow!("{e:?}");
        let model = (self.model.take().expect("a model between steps"))
            .load_file(self.ckpt.record_path("model"), &rec, &self.device)
            .map_err(err)
            .context("loading the checkpointed model")?;
        self.model = Some(apply_mode(model, self.config.model.mode).0);
        let load = |name| Recorder::<B>::load(&rec, self.ckpt.record_path(name), &self.device);
        let encoder = load("optim_encoder").map_err(err)?;
        let heads = load("optim_heads").map_err(err)?;
        self.opt_encoder = self.opt_encoder.clone().load_record(encoder);
        self.opt_heads = self.opt_heads.clone().load_record(heads);
        eprintln!(
            "resuming at epoch {} batch {} (step {})",
            self.state.epoch + 1,
            self.state.batch_in_epoch,
            self.state.step
        );
        Ok(())
    }

    /// Holds the sketch's slots to `teacher`'s on the questions inside the sketch, with
    /// `weight` against the gold labels' loss ([`crate::distill`]).
    pub fn with_teacher(mut self, teacher: SlotModel<B::InnerBackend>, weight: f32) -> Self {
        self.teacher = Some((teacher, weight));
        self
    }

    /// The model as trained so far.
    pub fn model(&self) -> &SlotModel<B> {
        self.model.as_ref().expect("a model between steps")
    }

    /// One optimizer step on the examples `idx` of `train`, at the schedule's learning rates
    /// for a run of `total_steps`. The loss stays on the device until `read_losses`.
    pub fn step(&mut self, train: &[CachedExample], idx: &[usize], total_steps: usize) {
        let (batch, targets) = training_batch::<B>(
            train,
            idx,
            self.shapes,
            self.config.batch_size,
            &self.device,
        );
        let model = self.model.take().expect("a model between steps");
        let logits = model.forward(&batch);
        let mut loss = slot_loss(&logits, &targets);
        if let Some((teacher, weight)) = &self.teacher {
            if targets.in_sketch.iter().any(|&s| s) {
                // The same rows and shapes on the inner backend: the teacher needs no targets.
                let rows: Vec<&CachedExample> = idx.iter().map(|&i| &train[i]).collect();
                let inner = ModelBatch::<B::InnerBackend>::shaped(
                    &rows,
                    self.shapes,
                    self.config.batch_size,
                    &self.device,
                );
                let soft = crate::distill::lifted::<B>(teacher.forward(&inner));
                let distill = crate::distill::distill_loss(&logits, &soft, &targets);
                loss = loss.with_distill(distill.mul_scalar(*weight));
            }
        }
        self.pending.push(loss_row(&loss));
        let mut grads = loss.total.backward();
        let heads_grads = GradientsParams::from_module(&mut grads, &model.heads);
        let encoder_grads = GradientsParams::from_module(&mut grads, &model.encoder);
        let optim = &self.config.optim;
        let factor = optim.lr_factor(self.state.step, total_steps);
        let model = self
            .opt_heads
            .step(optim.lr_heads * factor, model, heads_grads);
        self.model = Some(if encoder_grads.is_empty() {
            model
        } else {
            (self.opt_encoder).step(optim.lr_encoder * factor, model, encoder_grads)
        });
        self.state.step += 1;
    }

    /// Reads the pending steps' losses back in one transfer, fails on a non-finite one, and
    /// writes a metric line when the step count is due. Returns the latest step's loss.
    fn read_losses(&mut self, ex_per_s: f64, total_steps: usize) -> Result<Option<f64>> {
        let rows = read_losses(&mut self.pending);
        let Some(latest) = rows.last() else {
            return Ok(None);
        };
        if let Some((started, _notice)) = self.first_step.take() {
            let secs = started.elapsed().as_secs_f64();
            eprintln!("first step done {secs:.1} s after the start of training");
        }
        let first = self.state.step - rows.len();
        for (k, row) in rows.iter().enumerate() {
            if !row[0].is_finite() {
                bail!(
                    "loss became {} at step {}: lower the learning rates",
                    row[0],
                    first + k
                );
            }
            self.loss_window.push(row[0]);
        }
        if self.state.step.is_multiple_of(LOSS_READ_EVERY) || self.state.step == 1 {
            let parts: Vec<(&str, f64)> = LOSS_PARTS
                .into_iter()
                .zip(latest[1..].iter().copied())
                .collect();
            let mean = self.loss_window.iter().sum::<f64>() / self.loss_window.len() as f64;
            let optim = &self.config.optim;
            let lr = optim.lr_heads * optim.lr_factor(self.state.step - 1, total_steps);
            let (step, epoch) = (self.state.step, self.state.epoch);
            self.metrics.step(step, epoch, mean, &parts, ex_per_s, lr)?;
            self.final_train_loss = Some(mean);
            self.loss_window.clear();
        }
        Ok(Some(latest[0]))
    }

    /// Epoch end: validate, keep the best model as `best/`, checkpoint, redraw the curves.
    pub fn end_epoch(&mut self, val: &ValSet) -> Result<ValReport> {
        let epoch = self.state.epoch;
        let report = val.evaluate(&self.model().valid(), self.shapes, &self.device)?;
        eprintln!(
            "epoch {}: val LF {:.2}% EX {:.2}% ({} questions)",
            epoch + 1,
            100.0 * report.lf,
            100.0 * report.ex,
            report.n
        );
        self.metrics.epoch(self.state.step, epoch, &report)?;
        if self.state.best_val_lf.is_none_or(|b| report.lf > b) {
            self.state.best_val_lf = Some(report.lf);
            self.state.best_epoch = Some(epoch);
            let notes = serde_json::json!({"run": self.config.name, "epoch": epoch + 1, "step": self.state.step, "val": report});
            let best = self.config.run_dir().join("best");
            (self.model().valid()).save_artifact(&best, &self.config.model, notes)?;
        }
        self.state.epoch = epoch + 1;
        self.state.batch_in_epoch = 0;
        self.checkpoint()?;
        self.metrics.plot()?;
        self.last_val = Some(report.clone());
        Ok(report)
    }

    /// Writes a resumable checkpoint of the model, both optimizers and the state.
    pub fn checkpoint(&self) -> Result<()> {
        self.ckpt.save(&self.state, |dir| {
            let rec = recorder();
            let err = |e: burn::record::RecorderError| anyhow::anyhow!("{e:?}");
            let records = [
                ("optim_encoder", &self.opt_encoder),
                ("optim_heads", &self.opt_heads),
            ];
            (self.model().clone())
                .save_file(dir.join("model"), &rec)
                .map_err(err)?;
            for (name, opt) in records {
                Recorder::<B>::record(&rec, opt.to_record(), dir.join(name)).map_err(err)?;
            }
            Ok(())
        })
    }

    /// Trains `config.epochs` epochs over `train` (or up to `config.max_steps`, leaving a
    /// checkpoint to resume from), validating on `val` after each.
    pub fn fit(mut self, train: &[CachedExample], val: &ValSet) -> Result<TrainSummary> {
        anyhow::ensure!(!train.is_empty(), "no training examples");
        let c = self.config.clone();
        let lengths: Vec<usize> = train.iter().map(|e| e.input_ids.len()).collect();
        // The learning-rate schedule ends where the run does: after its epochs, or at
        // `max_steps` when that comes first.
        let total_steps =
            (train.len().div_ceil(c.batch_size) * c.epochs).min(c.max_steps.unwrap_or(usize::MAX));
        let stop_at = total_steps;
        while self.state.epoch < c.epochs && self.state.step < stop_at {
            let batches = epoch_batches(&lengths, c.batch_size, c.seed, self.state.epoch);
            let bar = epoch_bar(
                &batches,
                self.state.epoch,
                c.epochs,
                self.state.batch_in_epoch,
            );
            let (started, mut seen) = (Instant::now(), 0usize);
            while self.state.batch_in_epoch < batches.len() && self.state.step < stop_at {
                let idx = &batches[self.state.batch_in_epoch];
                self.step(train, idx, total_steps);
                self.state.batch_in_epoch += 1;
                seen += idx.len();
                bar.set_position(self.state.batch_in_epoch as u64);
                let ex_per_s = seen as f64 / started.elapsed().as_secs_f64().max(1e-9);
                let checkpoint_now = self.state.step.is_multiple_of(c.checkpoint_every.max(1));
                let last = self.state.step >= stop_at || self.state.batch_in_epoch == batches.len();
                if self.state.step.is_multiple_of(LOSS_READ_EVERY)
                    || checkpoint_now
                    || last
                    || self.first_step.is_some()
                {
                    if let Some(loss) = bar.suspend(|| self.read_losses(ex_per_s, total_steps))? {
                        bar.set_message(format!("loss {loss:.3} {ex_per_s:.1} ex/s"));
                    }
                }
                if checkpoint_now {
                    self.checkpoint()?;
                }
            }
            bar.finish_and_clear();
            if self.state.batch_in_epoch < batches.len() {
                // Paused by max_steps inside an epoch: leave a checkpoint to resume from, and
                // the model as it stands as `last/` (not validated), to try it meanwhile.
                self.checkpoint()?;
                let notes = serde_json::json!({"run": c.name, "epoch": self.state.epoch + 1,
                    "step": self.state.step, "paused": true});
                let last = c.run_dir().join("last");
                (self.model().valid()).save_artifact(&last, &c.model, notes)?;
                break;
            }
            self.end_epoch(val)?;
        }
        Ok(TrainSummary {
            steps: self.state.step,
            epochs_done: self.state.epoch,
            best_val_lf: self.state.best_val_lf,
            last_val_lf: self.last_val.as_ref().map(|r| r.lf),
            last_val_ex: self.last_val.as_ref().map(|r| r.ex),
            final_train_loss: self.final_train_loss,
            finished: self.state.epoch >= c.epochs,
        })
    }
}

/// The progress bar of one epoch, starting at batch `done`.
fn epoch_bar(batches: &[Vec<usize>], epoch: usize, epochs: usize, done: usize) -> ProgressBar {
    let bar = ProgressBar::new(batches.len() as u64).with_position(done as u64);
    if let Ok(style) =
        ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg} eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(format!("{}/{epochs}", epoch + 1));
    bar
}
