//! Host-side slot scores of one question, cut out of a batch's logits and turned into log-probabilities.
//!
//! Decoding works on these plain vectors so it is backend-free, testable, and shared by greedy
//! decoding, execution-guided beams and confidence reporting.

use burn::tensor::activation::{log_sigmoid, log_softmax};
use burn::tensor::backend::Backend;
pub use sqlcoder_model::batch::ExampleLayout;
use sqlcoder_model::heads::{SlotLogits, N_AGG, N_OP, N_WHERE};

/// Log-probabilities of every slot for one question with `n_cols` columns and `n_q` question tokens.
#[derive(Clone, Debug)]
pub struct SlotScores {
    /// `[n_cols]` log P(select column).
    pub sel: Vec<f32>,
    /// `[n_cols][6]` log P(agg | select column).
    pub agg: Vec<[f32; N_AGG]>,
    /// `[5]` log P(where count).
    pub where_count: [f32; N_WHERE],
    /// `[n_cols]` log sigmoid(where-column score) (independent per column).
    pub where_col: Vec<f32>,
    /// `[n_cols][3]` log P(op | where column).
    pub op: Vec<[f32; N_OP]>,
    /// `[n_cols][n_q]` log P(value starts at question token t | where column).
    pub value_start: Vec<Vec<f32>>,
    /// `[n_cols][n_q]` log P(value ends at question token t | where column).
    pub value_end: Vec<Vec<f32>>,
}

fn rows<const K: usize>(flat: &[f32], offset: usize, n: usize) -> Vec<[f32; K]> {
    (0..n)
        .map(|c| {
            let mut a = [0f32; K];
            a.copy_from_slice(&flat[offset + c * K..offset + (c + 1) * K]);
            a
        })
        .collect()
}

/// Normalise a batch's logits and split them per question (one host transfer per slot); one
/// layout per real row, dummy rows (after them) are skipped.
pub fn slot_scores<B: Backend>(
    logits: SlotLogits<B>,
    layouts: &[ExampleLayout],
) -> Vec<SlotScores> {
    let [batch, n_cols] = logits.sel.dims();
    let seq = logits.value_start.dims()[2];
    let host = |t: burn::tensor::Tensor<B, 2>| -> Vec<f32> {
        t.into_data().convert::<f32>().to_vec().unwrap()
    };
    let host3 = |t: burn::tensor::Tensor<B, 3>| -> Vec<f32> {
        t.into_data().convert::<f32>().to_vec().unwrap()
    };
    // Pointer and select softmaxes run over masked logits, so padding gets ~0 probability.
    let sel = host(log_softmax(logits.sel, 1));
    let agg = host3(log_softmax(logits.agg, 2));
    let where_count = host(log_softmax(logits.where_count, 1));
    let where_col = host(log_sigmoid(logits.where_col));
    let op = host3(log_softmax(logits.op, 2));
    let start = host3(log_softmax(logits.value_start, 2));
    let end = host3(log_softmax(logits.value_end, 2));
    // Rows past the layouts are a bucketed batch's dummy rows: nobody reads them.
    assert!(layouts.len() <= batch, "one layout per real batch row");

    layouts
        .iter()
        .enumerate()
        .map(|(b, layout)| {
            let n = layout.n_cols;
            let row = b * n_cols;
            let q = layout.question_tokens.clone();
            let pointer = |flat: &[f32]| -> Vec<Vec<f32>> {
                (0..n)
                    .map(|c| flat[(row + c) * seq + q.start..(row + c) * seq + q.end].to_vec())
                    .collect()
            };
            let mut wc = [0f32; N_WHERE];
            wc.copy_from_slice(&where_count[b * N_WHERE..(b + 1) * N_WHERE]);
            SlotScores {
                sel: sel[row..row + n].to_vec(),
                agg: rows::<N_AGG>(&agg, row * N_AGG, n),
                where_count: wc,
                where_col: where_col[row..row + n].to_vec(),
                op: rows::<N_OP>(&op, row * N_OP, n),
                value_start: pointer(&start),
                value_end: pointer(&end),
            }
        })
        .collect()
}

/// Index of the largest value (first on ties).
pub fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &x)| {
            if x > best.1 {
                (i, x)
            } else {
                best
            }
        })
        .0
}
