//! Host-side slot scores of one question, cut out of a batch's logits and turned into log-probabilities.
//!
//! Decoding works on these plain vectors so it is backend-free, testable, and shared by greedy
//! decoding, execution-guided beams and confidence reporting.

use burn::tensor::activation::{log_sigmoid, log_softmax};
use burn::tensor::backend::Backend;
pub use sqlcoder_model::batch::ExampleLayout;
use sqlcoder_model::family_classes::N_OPS;
use sqlcoder_model::family_heads::{Clause, FamilyLogits, COLUMN_POINTERS, TOKEN_POINTERS};
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
    /// The family heads' scores, when the model has them.
    pub family: Option<FamilyScores>,
}

/// Log-probabilities of the family heads' slots for one question
/// ([`sqlcoder_model::family_heads`]).
#[derive(Clone, Debug)]
pub struct FamilyScores {
    /// Per [`Clause`] (in [`Clause::ALL`] order), log P(class).
    pub clauses: Vec<Vec<f32>>,
    /// `[n_cols][7]` log P(aggregate | column selected), `COUNT(DISTINCT)` included
    /// ([`sqlcoder_model::family_classes::ITEM_AGGS`]).
    pub agg: Vec<[f32; N_AGG + 1]>,
    /// `[n_cols][10]` log P(operator | where column) over the family's operators
    /// ([`sqlcoder_model::family_classes::OP_CLASSES`]).
    pub op: Vec<[f32; N_OPS]>,
    /// Per [`COLUMN_POINTERS`] entry, `[n_cols]` log P(column).
    pub columns: [Vec<f32>; 3],
    /// `[1 + n_q]` log P(LIMIT's k is said at question token t - 1); 0 stands for `[CLS]`, k = 1.
    pub limit: Vec<f32>,
    /// `[n_q]` log P(HAVING's value starts / ends at question token t).
    pub having_start: Vec<f32>,
    pub having_end: Vec<f32>,
}

impl FamilyScores {
    /// Log-probabilities of one clause's classes.
    pub fn clause(&self, clause: Clause) -> &[f32] {
        &self.clauses[clause as usize]
    }
}

/// A tensor's values on the host, as f32 (one transfer).
fn to_host<B: Backend, const D: usize>(t: burn::tensor::Tensor<B, D>) -> Vec<f32> {
    t.into_data().convert::<f32>().to_vec().unwrap()
}

/// Normalises the family logits of a batch and splits them per question.
fn family_scores<B: Backend>(
    logits: FamilyLogits<B>,
    sketch_agg: burn::tensor::Tensor<B, 3>,
    sketch_op: burn::tensor::Tensor<B, 3>,
    layouts: &[ExampleLayout],
) -> Vec<FamilyScores> {
    let clauses: Vec<Vec<f32>> = Clause::ALL
        .iter()
        .map(|&c| to_host(log_softmax(logits.clause(c), 1)))
        .collect();
    let [_, n_cols, _] = logits.columns.dims();
    let seq = logits.tokens.dims()[1];
    let agg = to_host(log_softmax(
        burn::tensor::Tensor::cat(vec![sketch_agg, logits.agg_extra], 2),
        2,
    ));
    let op = to_host(log_softmax(
        burn::tensor::Tensor::cat(vec![sketch_op, logits.op_extra], 2),
        2,
    ));
    let columns = to_host(log_softmax(logits.columns, 1)); // [b, c, 3]
    let tokens = to_host(log_softmax(logits.tokens, 1)); // [b, seq, 3]
    let n_ptr = COLUMN_POINTERS.len();
    layouts
        .iter()
        .enumerate()
        .map(|(b, layout)| {
            let n = layout.n_cols;
            let row = b * n_cols;
            let q = layout.question_tokens.clone();
            let column =
                |p: usize| -> Vec<f32> { (0..n).map(|c| columns[(row + c) * n_ptr + p]).collect() };
            let token = |p: usize, t: usize| tokens[(b * seq + t) * TOKEN_POINTERS.len() + p];
            FamilyScores {
                clauses: Clause::ALL
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let k = c.classes();
                        clauses[i][b * k..(b + 1) * k].to_vec()
                    })
                    .collect(),
                agg: rows::<{ N_AGG + 1 }>(&agg, row * (N_AGG + 1), n),
                op: rows::<N_OPS>(&op, row * N_OPS, n),
                columns: [column(0), column(1), column(2)],
                limit: std::iter::once(0)
                    .chain(q.clone())
                    .map(|t| token(0, t))
                    .collect(),
                having_start: q.clone().map(|t| token(1, t)).collect(),
                having_end: q.map(|t| token(2, t)).collect(),
            }
        })
        .collect()
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
    let mut family = match logits.family {
        Some(f) => family_scores(f, logits.agg.clone(), logits.op.clone(), layouts)
            .into_iter()
            .map(Some)
            .collect(),
        None => vec![None; layouts.len()],
    }
    .into_iter();
    // Pointer and select softmaxes run over masked logits, so padding gets ~0 probability.
    let sel = to_host(log_softmax(logits.sel, 1));
    let agg = to_host(log_softmax(logits.agg, 2));
    let where_count = to_host(log_softmax(logits.where_count, 1));
    let where_col = to_host(log_sigmoid(logits.where_col));
    let op = to_host(log_softmax(logits.op, 2));
    let start = to_host(log_softmax(logits.value_start, 2));
    let end = to_host(log_softmax(logits.value_end, 2));
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
                family: family.next().flatten(),
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
