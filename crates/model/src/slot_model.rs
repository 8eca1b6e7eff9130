//! The whole model (encoder + slot heads) and its shipped artifact.
//!
//! The artifact is small on purpose: only the parameters the fine-tuning mode trains
//! (`slots.safetensors`) plus `slots.json` saying how to rebuild the rest from the pretrained
//! encoder. The LoRA artifact (adapters + LayerNorms + heads) stays a few MB next to the 45 MB encoder.

use crate::batch::ModelBatch;
use crate::bert::BertModel;
use crate::config::BertConfig;
use crate::heads::{HeadOptions, SlotHeads, SlotLogits};
use crate::lora::LoraConfig;
use crate::trainable::{apply_mode, FineTune, ParamCounts};
use crate::weights::load_pretrained;
use anyhow::{bail, Context, Result};
use burn::module::Module;
use burn::store::{ModuleSnapshot, SafetensorsStore};
use burn::tensor::backend::Backend;
use serde::{Deserialize, Serialize};
use sqlcoder_data::io::{AtomicFile, StagedPath};
use std::path::{Path, PathBuf};

pub const ARTIFACT_WEIGHTS: &str = "slots.safetensors";
pub const ARTIFACT_META: &str = "slots.json";
/// Format 3 may hold the query family's heads (`spec.heads.family`, [`crate::family_heads`]);
/// format 2 nests the LoRA settings (`spec.lora`); format 1 spelled them flat. Folders of
/// formats 1 and 2 still load, as the in-sketch models they are (no family heads).
const FORMAT_VERSION: u32 = 3;

#[derive(Module, Debug)]
pub struct SlotModel<B: Backend> {
    pub encoder: BertModel<B>,
    pub heads: SlotHeads<B>,
}

/// How a model is put together: the `[model]` table of a training config, saved beside the
/// weights so the artifact can be rebuilt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelSpec {
    /// Which weights train (and so which the artifact stores).
    pub mode: FineTune,
    /// The adapters attached when `mode` is LoRA.
    pub lora: LoraConfig,
    /// Dropout before the heads (the encoder's own rates come from its config.json).
    pub dropout: f64,
    /// The heads read table-content features ([`crate::content`]): which question words
    /// match a column's cells or header. The WikiSQL leaderboard marks such models.
    pub content: bool,
    /// Optional head variants (`[model.heads]`), all off unless a recipe turns them on.
    pub heads: HeadOptions,
    /// The encoder reads identifier-style headers as words (`emp_no` → "employee number",
    /// [`crate::header_text`]); the SQL keeps the real names. Off for models trained
    /// before it existed, whose inputs must stay as they were.
    pub spoken_headers: bool,
}

impl Default for ModelSpec {
    fn default() -> Self {
        Self {
            mode: FineTune::Lora,
            lora: LoraConfig::default(),
            dropout: 0.1,
            content: true,
            heads: HeadOptions::default(),
            spoken_headers: false,
        }
    }
}

/// A stored spec: the current form, or format 1's flat LoRA fields.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredSpec {
    Current(ModelSpec),
    Flat {
        mode: FineTune,
        lora_rank: usize,
        lora_alpha: f64,
        dropout: f64,
    },
}

impl From<StoredSpec> for ModelSpec {
    fn from(stored: StoredSpec) -> Self {
        match stored {
            StoredSpec::Current(spec) => spec,
            StoredSpec::Flat {
                mode,
                lora_rank,
                lora_alpha,
                dropout,
            } => ModelSpec {
                mode,
                lora: LoraConfig {
                    rank: lora_rank,
                    alpha: lora_alpha,
                    ..Default::default()
                },
                dropout,
                content: false,
                heads: HeadOptions::default(),
                spoken_headers: false,
            },
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct ArtifactMeta {
    format_version: u32,
    #[serde(deserialize_with = "stored_spec")]
    spec: ModelSpec,
    /// Free-form provenance (run name, epoch, validation scores).
    #[serde(default)]
    notes: serde_json::Value,
}

fn stored_spec<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ModelSpec, D::Error> {
    StoredSpec::deserialize(d).map(ModelSpec::from)
}

impl<B: Backend> SlotModel<B> {
    pub fn forward(&self, batch: &ModelBatch<B>) -> SlotLogits<B> {
        let hidden =
            self.encoder
                .forward(batch.ids.clone(), batch.type_ids.clone(), batch.pad.clone());
        self.heads.forward(hidden, &batch.structure)
    }

    /// The same model with fresh family heads ([`crate::family_heads`]) beside its sketch heads:
    /// an in-sketch model learning the family keeps everything it knows.
    pub fn with_family_heads(self, device: &B::Device) -> Self {
        let hidden = self.encoder.hidden_size();
        Self {
            heads: self.heads.with_family(hidden, device),
            ..self
        }
    }

    /// Wrap an encoder: add adapters if the mode uses them, fresh heads, and the mode's
    /// require-grad flags.
    pub fn from_encoder(
        encoder: BertModel<B>,
        spec: &ModelSpec,
        device: &B::Device,
    ) -> (Self, ParamCounts) {
        let hidden = encoder.hidden_size();
        let encoder = if spec.mode == FineTune::Lora {
            encoder.with_lora(&spec.lora)
        } else {
            encoder
        };
        let model = Self {
            encoder,
            heads: SlotHeads::new(hidden, spec.dropout, spec.content, &spec.heads, device),
        };
        apply_mode(model, spec.mode)
    }

    /// Pretrained encoder from `encoder_dir` (HF folder) + fresh heads.
    pub fn pretrained(
        encoder_dir: &Path,
        spec: &ModelSpec,
        device: &B::Device,
    ) -> Result<(Self, ParamCounts)> {
        let (_config, encoder) = load_pretrained::<B>(encoder_dir, device)?;
        Ok(Self::from_encoder(encoder, spec, device))
    }

    /// A randomly initialised encoder of `config` + fresh heads (tests, smoke runs).
    pub fn random(
        config: &BertConfig,
        spec: &ModelSpec,
        device: &B::Device,
    ) -> (Self, ParamCounts) {
        Self::from_encoder(BertModel::init(config, device), spec, device)
    }

    /// Write the trained parameters (the mode's trainable set) and the spec to `dir`, atomically
    /// per file.
    pub fn save_artifact(
        &self,
        dir: &Path,
        spec: &ModelSpec,
        notes: serde_json::Value,
    ) -> Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let weights = dir.join(ARTIFACT_WEIGHTS);
        let staged = StagedPath::new(&weights)?;
        let mode = spec.mode;
        let mut store = SafetensorsStore::from_file(staged.tmp_path()).with_predicate(match mode {
            FineTune::Full => |_p: &str, _c: &str| true,
            FineTune::Lora => |p: &str, _c: &str| FineTune::Lora.trains(p),
            FineTune::Frozen => |p: &str, _c: &str| FineTune::Frozen.trains(p),
        });
        self.save_into(&mut store)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("cannot write model weights {}", weights.display()))?;
        staged.commit()?;
        let meta = ArtifactMeta {
            format_version: FORMAT_VERSION,
            spec: spec.clone(),
            notes,
        };
        let meta_path = dir.join(ARTIFACT_META);
        let mut file = AtomicFile::create(&meta_path)?;
        serde_json::to_writer_pretty(&mut file, &meta)
            .with_context(|| format!("cannot write {}", meta_path.display()))?;
        file.commit()
    }

    /// Rebuild a model from the pretrained encoder in `encoder_dir` and the artifact in `dir`.
    /// Every tensor the artifact's mode trains must be present in it.
    pub fn load_artifact(
        dir: &Path,
        encoder_dir: &Path,
        device: &B::Device,
    ) -> Result<(Self, ModelSpec)> {
        let meta_path = dir.join(ARTIFACT_META);
        let text = std::fs::read_to_string(&meta_path).with_context(|| {
            format!(
                "reading {} (is this a trained model folder?)",
                meta_path.display()
            )
        })?;
        let meta: ArtifactMeta = serde_json::from_str(&text)
            .with_context(|| format!("parsing {}", meta_path.display()))?;
        if !(1..=FORMAT_VERSION).contains(&meta.format_version) {
            bail!(
                "{}: model format {} is not supported (expected 1 to {FORMAT_VERSION})",
                meta_path.display(),
                meta.format_version
            );
        }
        let (mut model, _) = Self::pretrained(encoder_dir, &meta.spec, device)?;
        let weights = dir.join(ARTIFACT_WEIGHTS);
        anyhow::ensure!(
            weights.exists(),
            "missing model weights {}",
            weights.display()
        );
        let mut store = SafetensorsStore::from_file(&weights).allow_partial(true);
        let result = model
            .load_from(&mut store)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("loading {}", weights.display()))?;
        let mode = meta.spec.mode;
        let missing: Vec<&String> = result
            .missing
            .iter()
            .map(|(p, _)| p)
            .filter(|p| mode.trains(p))
            .collect();
        if !missing.is_empty() || !result.errors.is_empty() || !result.unused.is_empty() {
            bail!(
                "{}: weights do not fit the model (missing {:?}, unexpected {:?}, errors {:?})",
                weights.display(),
                missing.iter().take(5).collect::<Vec<_>>(),
                result.unused.iter().take(5).collect::<Vec<_>>(),
                result
                    .errors
                    .iter()
                    .take(3)
                    .map(|e| format!("{e:?}"))
                    .collect::<Vec<_>>()
            );
        }
        Ok((model, meta.spec))
    }
}

/// Where the shipped model lives, relative to the repository root.
pub fn shipped_model_dir() -> PathBuf {
    PathBuf::from("models/sqlcoder-lora")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_1_specs_still_load_and_format_2_round_trips() {
        let v1 = r#"{"format_version": 1, "spec": {"mode": "lora", "lora_rank": 4,
                     "lora_alpha": 8.0, "dropout": 0.2}, "notes": {}}"#;
        let meta: ArtifactMeta = serde_json::from_str(v1).unwrap();
        let expected = ModelSpec {
            mode: FineTune::Lora,
            lora: LoraConfig {
                rank: 4,
                alpha: 8.0,
                ..Default::default()
            },
            dropout: 0.2,
            content: false,
            heads: HeadOptions::default(),
            spoken_headers: false,
        };
        assert_eq!(meta.spec, expected);

        let v2 = serde_json::to_string(&ArtifactMeta {
            format_version: FORMAT_VERSION,
            spec: expected.clone(),
            notes: serde_json::Value::Null,
        })
        .unwrap();
        assert!(v2.contains(r#""lora":{"rank":4"#), "{v2}");
        let back: ArtifactMeta = serde_json::from_str(&v2).unwrap();
        assert_eq!(back.spec, expected);
        // A misspelt field is an error, not a silently defaulted spec.
        let typo = r#"{"format_version": 2, "spec": {"mode": "lora", "dropuot": 0.2}}"#;
        assert!(serde_json::from_str::<ArtifactMeta>(typo).is_err());
    }
}
