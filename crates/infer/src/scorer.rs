//! Batched scoring, the one way questions reach the model: encoded inputs in, slot scores out,
//! in input order. Validation during training, `predict`/`tune` and the answerer all score here.

use super::scores::{slot_scores, SlotScores};
use burn::tensor::backend::Backend;
use sqlcoder_model::batch::{ModelBatch, ShapePolicy};
use sqlcoder_model::input::EncodedInput;
use sqlcoder_model::slot_model::SlotModel;

/// Inputs scored between two progress reports (and sorted by length together).
const PROGRESS_CHUNK: usize = 1024;

/// The model and how it is fed: batch size (bounds memory) and batch shapes (for the backend).
pub struct Scorer<'m, B: Backend> {
    pub model: &'m SlotModel<B>,
    pub batch_size: usize,
    pub shapes: ShapePolicy,
    pub device: &'m B::Device,
}

impl<B: Backend> Scorer<'_, B> {
    /// Slot scores of every input, in input order. Inputs are batched by length so padding
    /// stays small.
    pub fn score(&self, inputs: &[&EncodedInput]) -> Vec<SlotScores> {
        let batch_size = self.batch_size.max(1);
        let mut order: Vec<usize> = (0..inputs.len()).collect();
        order.sort_by_key(|&i| inputs[i].input_ids.len());
        let mut out: Vec<Option<SlotScores>> = vec![None; inputs.len()];
        for chunk in order.chunks(batch_size) {
            let rows: Vec<&EncodedInput> = chunk.iter().map(|&i| inputs[i]).collect();
            let batch = ModelBatch::<B>::shaped(&rows, self.shapes, batch_size, self.device);
            let logits = self.model.forward(&batch);
            for (&i, s) in chunk.iter().zip(slot_scores(logits, &batch.layouts)) {
                out[i] = Some(s);
            }
        }
        out.into_iter()
            .map(|s| s.expect("every input scored"))
            .collect()
    }

    /// Scores of the questions that could be encoded (`None` where encoding failed), in order,
    /// `PROGRESS_CHUNK` at a time; `progress` is told how many are scored so far, of how many.
    pub fn score_encoded<E>(
        &self,
        encoded: &[Result<EncodedInput, E>],
        progress: impl Fn(usize, usize),
    ) -> Vec<Option<SlotScores>> {
        let ok: Vec<usize> = (0..encoded.len()).filter(|&i| encoded[i].is_ok()).collect();
        let mut out: Vec<Option<SlotScores>> = vec![None; encoded.len()];
        let mut done = 0;
        for chunk in ok.chunks(PROGRESS_CHUNK) {
            let inputs: Vec<&EncodedInput> = chunk
                .iter()
                .filter_map(|&i| encoded[i].as_ref().ok())
                .collect();
            for (&i, s) in chunk.iter().zip(self.score(&inputs)) {
                out[i] = Some(s);
            }
            done += chunk.len();
            progress(done, ok.len());
        }
        out
    }
}
