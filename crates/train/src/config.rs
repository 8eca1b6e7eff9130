//! Training configuration: a TOML file under `experiments/`, every field defaulted so that
//! `sqlcoder train` with no config runs the default (shipped-model) recipe.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
pub use sqlcoder_model::batch::ShapePolicy;
pub use sqlcoder_model::slot_model::ModelSpec;
pub use sqlcoder_model::trainable::FineTune;
use std::path::{Path, PathBuf};

/// A training run: where its inputs and outputs live, the model (`[model]`), the optimizer
/// (`[optim]`), and how long and on what it trains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Run name: outputs go to `<runs_dir>/<name>/`.
    pub name: String,
    pub runs_dir: PathBuf,
    /// Prepared data (challenge layout) and the encoder folder.
    pub data_dir: PathBuf,
    pub encoder_dir: PathBuf,
    /// Where the tokenized training cache lives (default `<data_dir>/cache`).
    pub cache_dir: Option<PathBuf>,
    /// More training questions in the challenge format (e.g. generated ones,
    /// `experiments/augment/generate.py`), trained on beside the train split; each gets its own
    /// cache file beside the train split's.
    pub extra_train: Vec<PathBuf>,
    /// Train on the first N questions of each `extra_train` file only (after a seeded shuffle):
    /// the same mix with fewer generated questions (the dose ablation) or a run sized to a session.
    pub extra_limit: Option<usize>,
    /// Keep only the extra questions whose query is beyond WikiSQL's sketch (after
    /// `extra_limit`'s cut), so that the sketch's questions come from the train split alone and
    /// the sketch heads never train on the generator's in-sketch wordings.
    pub extra_beyond_sketch_only: bool,
    /// Start from a trained model folder (`slots.json` + `slots.safetensors`) instead of fresh
    /// heads: continued training. Its spec must equal `[model]`.
    pub init_model: Option<PathBuf>,
    /// Train only the parameters whose path starts with one of these (e.g. `["heads.family"]`);
    /// the rest of what `[model] mode` trains stays as `init_model` has it. New heads on a
    /// trained model learn without changing its other answers, and no step runs the encoder
    /// backwards; `["heads.family", "encoder"]` keeps the sketch heads as they are while the
    /// encoder's adapters learn under them. Empty: everything the mode trains.
    pub train_only: Vec<String>,
    /// A trained in-sketch model folder whose sketch-slot distributions the run is held to on
    /// the training questions inside the sketch (learning without forgetting, `distill.rs`);
    /// `distill_weight` scales that term against the gold labels' loss.
    pub distill_from: Option<PathBuf>,
    pub distill_weight: f64,
    pub epochs: usize,
    pub batch_size: usize,
    pub seed: u64,
    /// Train on the first N training examples only (after a seeded shuffle): quick runs and subsets.
    pub train_limit: Option<usize>,
    /// Score on the first N validation questions only.
    pub val_limit: Option<usize>,
    /// Write a resumable checkpoint every N optimizer steps (and at every epoch end).
    pub checkpoint_every: usize,
    /// Stop after this many optimizer steps in total (None: run all epochs); the learning rate
    /// decays to zero at it. Resumable, and a run paused this way leaves `last/`.
    pub max_steps: Option<usize>,
    /// Batch shapes: "exact" (longest row) or "buckets" (a few fixed shapes, for GPUs).
    /// Unset: chosen by the backend (exact on the CPU, buckets on CUDA).
    pub shapes: Option<ShapePolicy>,
    /// What is trained: fine-tuning mode, adapters, dropout (saved with the model).
    pub model: ModelSpec,
    pub optim: OptimConfig,
}

/// AdamW with separate learning rates for the encoder's trainable weights and the heads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OptimConfig {
    /// Learning rate of the encoder's trainable weights (adapters, LayerNorms, or all of it).
    pub lr_encoder: f64,
    pub lr_heads: f64,
    pub weight_decay: f64,
    /// Share of all steps spent warming up linearly; the rest decays linearly to zero.
    pub warmup_fraction: f64,
    /// Gradient norm clipping per parameter tensor (burn's clipping granularity).
    pub grad_clip: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            name: "default".into(),
            runs_dir: "runs".into(),
            data_dir: "data".into(),
            encoder_dir: "models/all-MiniLM-L6-v2".into(),
            cache_dir: None,
            extra_train: Vec::new(),
            extra_limit: None,
            extra_beyond_sketch_only: false,
            init_model: None,
            train_only: Vec::new(),
            distill_from: None,
            distill_weight: 1.0,
            epochs: 3,
            batch_size: 32,
            seed: 42,
            train_limit: None,
            val_limit: None,
            checkpoint_every: 200,
            max_steps: None,
            shapes: None,
            model: ModelSpec::default(),
            optim: OptimConfig::default(),
        }
    }
}

impl Default for OptimConfig {
    fn default() -> Self {
        Self {
            lr_encoder: 1e-3,
            lr_heads: 1e-3,
            weight_decay: 0.01,
            warmup_fraction: 0.05,
            grad_clip: 1.0,
        }
    }
}

impl OptimConfig {
    /// Learning-rate multiplier at `step` of `total`: linear warmup, then linear decay to zero.
    pub fn lr_factor(&self, step: usize, total: usize) -> f64 {
        let total = total.max(1) as f64;
        let warmup = (self.warmup_fraction * total).max(1.0);
        let s = step as f64 + 1.0;
        if s <= warmup {
            s / warmup
        } else {
            ((total - s) / (total - warmup).max(1.0)).clamp(0.0, 1.0)
        }
    }
}

impl TrainConfig {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        let config: Self =
            toml::from_str(&text).with_context(|| format!("parsing config {}", path.display()))?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<()> {
        anyhow::ensure!(self.batch_size > 0, "batch_size must be positive");
        anyhow::ensure!(self.epochs > 0, "epochs must be positive");
        anyhow::ensure!(
            self.distill_weight >= 0.0,
            "distill_weight must not be negative"
        );
        anyhow::ensure!(
            self.model.lora.rank > 0 || self.model.mode != FineTune::Lora,
            "lora_rank must be positive"
        );
        anyhow::ensure!(
            (0.0..1.0).contains(&self.optim.warmup_fraction),
            "warmup_fraction must be in [0, 1)"
        );
        anyhow::ensure!(
            (0.0..1.0).contains(&self.model.dropout),
            "dropout must be in [0, 1)"
        );
        Ok(())
    }

    pub fn cache_path(&self) -> PathBuf {
        self.cache_file("train")
    }

    /// The cache file of the training questions named `stem`; models that read headers as
    /// words keep their own (`*.spoken.cache`), since their inputs differ.
    pub fn cache_file(&self, stem: &str) -> PathBuf {
        let suffix = if self.model.spoken_headers {
            "spoken.cache"
        } else {
            "cache"
        };
        self.cache_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("cache"))
            .join(format!("{stem}.{suffix}"))
    }

    pub fn run_dir(&self) -> PathBuf {
        self.runs_dir.join(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_through_toml() {
        let c = TrainConfig::default();
        let text = toml::to_string(&c).unwrap();
        let back: TrainConfig = toml::from_str(&text).unwrap();
        assert_eq!(c, back);
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(toml::from_str::<TrainConfig>("learning_rate = 3").is_err());
        assert!(toml::from_str::<TrainConfig>("[optim]\nlr = 3").is_err());
        assert!(toml::from_str::<TrainConfig>("[model.lora]\nrnak = 3").is_err());
    }

    #[test]
    fn nested_tables_set_only_what_they_name() {
        let c: TrainConfig =
            toml::from_str("epochs = 3\n[model]\nmode = \"full\"\n[optim]\nlr_encoder = 5e-5\n")
                .unwrap();
        assert_eq!(c.epochs, 3);
        assert_eq!(c.model.mode, FineTune::Full);
        assert_eq!(c.model.lora, ModelSpec::default().lora);
        assert_eq!(c.optim.lr_encoder, 5e-5);
        assert_eq!(c.optim.lr_heads, OptimConfig::default().lr_heads);
    }

    #[test]
    fn the_default_recipe_file_is_the_default_config() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments/default.toml");
        assert_eq!(TrainConfig::load(&path).unwrap(), TrainConfig::default());
    }

    #[test]
    fn schedule_warms_up_then_decays() {
        let c = OptimConfig {
            warmup_fraction: 0.1,
            ..Default::default()
        };
        assert!(c.lr_factor(0, 100) < c.lr_factor(5, 100));
        assert!((c.lr_factor(9, 100) - 1.0).abs() < 1e-9);
        assert!(c.lr_factor(50, 100) > c.lr_factor(90, 100));
        assert!(c.lr_factor(99, 100) <= 0.02);
    }
}
