//! Resumable checkpoints: the full model record (parameter ids included, so optimizer state
//! lines up again), both optimizers' state, and where training stood.
//!
//! A checkpoint is written into `checkpoint.tmp/` and then swapped in by renames, so a kill at
//! any moment leaves either the previous checkpoint or the new one, never a mix.

use anyhow::{Context, Result};
use burn::record::{FullPrecisionSettings, NamedMpkFileRecorder};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where training stood when the checkpoint was written.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Epoch in progress (0-based).
    pub epoch: usize,
    /// Batches of that epoch already done.
    pub batch_in_epoch: usize,
    /// Optimizer steps done in total.
    pub step: usize,
    /// Best validation logical-form accuracy so far, and its epoch.
    pub best_val_lf: Option<f64>,
    pub best_epoch: Option<usize>,
}

pub fn recorder() -> NamedMpkFileRecorder<FullPrecisionSettings> {
    NamedMpkFileRecorder::<FullPrecisionSettings>::new()
}

pub struct CheckpointDir {
    pub dir: PathBuf,
}

impl CheckpointDir {
    pub fn new(run_dir: &Path) -> Self {
        Self {
            dir: run_dir.join("checkpoint"),
        }
    }

    pub fn exists(&self) -> bool {
        self.dir.join("state.json").exists()
    }

    /// Write a checkpoint: `write_records` saves the records into the folder it is given.
    pub fn save(
        &self,
        state: &TrainState,
        write_records: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<()> {
        let tmp = self.dir.with_extension("tmp");
        let old = self.dir.with_extension("old");
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        write_records(&tmp)?;
        std::fs::write(tmp.join("state.json"), serde_json::to_string_pretty(state)?)?;
        let _ = std::fs::remove_dir_all(&old);
        if self.dir.exists() {
            std::fs::rename(&self.dir, &old)?;
        }
        std::fs::rename(&tmp, &self.dir)?;
        let _ = std::fs::remove_dir_all(&old);
        Ok(())
    }

    /// The saved state, recovering from a kill between the two renames of `save`.
    pub fn load_state(&self) -> Result<TrainState> {
        let old = self.dir.with_extension("old");
        if !self.dir.exists() && old.join("state.json").exists() {
            std::fs::rename(&old, &self.dir)?;
        }
        let path = self.dir.join("state.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn record_path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}
