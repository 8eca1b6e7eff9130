//! Batched prediction: encoded questions in, decoded queries (and their slot scores) out.

use super::decode::{decode_greedy, Decoded};
use super::scores::{slot_scores, SlotScores};
use crate::model::batch::{ModelBatch, ShapePolicy};
use crate::model::input::EncodedInput;
use crate::model::slot_model::SlotModel;
use burn::tensor::backend::Backend;

/// One question ready for the model.
pub struct PreparedQuestion<'a> {
    pub question: &'a str,
    pub input: &'a EncodedInput,
}

/// Slot scores of every question, in input order. Questions are batched by length so padding
/// stays small; `batch_size` bounds memory; `shapes` pads batches for the backend.
pub fn score_questions<B: Backend>(
    model: &SlotModel<B>,
    questions: &[PreparedQuestion<'_>],
    batch_size: usize,
    shapes: ShapePolicy,
    device: &B::Device,
) -> Vec<SlotScores> {
    let mut order: Vec<usize> = (0..questions.len()).collect();
    order.sort_by_key(|&i| questions[i].input.input_ids.len());
    let mut out: Vec<Option<SlotScores>> = vec![None; questions.len()];
    for chunk in order.chunks(batch_size.max(1)) {
        let rows: Vec<&EncodedInput> = chunk.iter().map(|&i| questions[i].input).collect();
        let batch = ModelBatch::<B>::shaped(&rows, shapes, batch_size.max(1), device);
        let logits = model.forward(&batch);
        for (&i, s) in chunk.iter().zip(slot_scores(logits, &batch.layouts)) {
            out[i] = Some(s);
        }
    }
    out.into_iter()
        .map(|s| s.expect("every question scored"))
        .collect()
}

/// Greedy predictions for every question, in input order.
pub fn predict_greedy<B: Backend>(
    model: &SlotModel<B>,
    questions: &[PreparedQuestion<'_>],
    batch_size: usize,
    shapes: ShapePolicy,
    device: &B::Device,
) -> Vec<Decoded> {
    score_questions(model, questions, batch_size, shapes, device)
        .iter()
        .zip(questions)
        .map(|(s, q)| decode_greedy(s, q.question, &q.input.question_offsets))
        .collect()
}
