//! Test and bench support: a model artifact with the pretrained encoder and random heads.
//! An untrained model still produces well-formed (wrong) queries, enough to test formats,
//! execution guidance and the applications before a trained model exists.

use anyhow::Result;
use burn::backend::NdArray;
use burn::tensor::backend::Backend;
use sqlcoder_model::slot_model::{ModelSpec, SlotModel};
use sqlcoder_model::trainable::FineTune;
use std::path::Path;

/// Writes a LoRA artifact (rank 8) with freshly initialised heads to `dir`, seeded for
/// reproducibility, on top of the encoder in `encoder_dir`.
pub fn random_head_artifact(dir: &Path, encoder_dir: &Path, seed: u64) -> Result<()> {
    let device = Default::default();
    <NdArray as Backend>::seed(&device, seed);
    let spec = ModelSpec {
        mode: FineTune::Lora,
        dropout: 0.0,
        ..Default::default()
    };
    let (model, _) = SlotModel::<NdArray>::pretrained(encoder_dir, &spec, &device)?;
    model.save_artifact(
        dir,
        &spec,
        serde_json::json!({ "note": "random heads, for tests" }),
    )
}
