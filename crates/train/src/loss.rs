//! Training loss of the slot heads: one term per slot, summed.
//!
//! Operators and value spans are scored only at the gold where columns (teacher forcing, as in
//! SQLova); a value whose span was not found in the question masks its own pointer loss and nothing else.
//!
//! A model with the family heads reads the select scores as a set: a question selecting n columns
//! puts 1/n of the select loss on each (so the top n come first), each selected column's
//! aggregate is trained at its column, and the operator has the family's ten classes; the family's
//! own terms are summed into one more part ([`crate::loss_family`]).

use crate::loss_family::{family_loss, FamilyTargets};
use burn::tensor::activation::log_softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use sqlcoder_model::family_classes::{ITEM_AGGS, N_OPS};
use sqlcoder_model::heads::{SlotLogits, N_AGG, N_OP};

/// Host-side gold targets of one batch, flattened for gathering.
#[derive(Clone, Debug, Default)]
pub struct SlotTargets {
    pub sel: Vec<i64>,
    pub agg: Vec<i64>,
    pub where_count: Vec<i64>,
    /// `[batch * n_cols]`, 1.0 where the column is in the gold where clause.
    pub where_cols: Vec<f32>,
    /// `[batch * n_cols]`, 1.0 for real (non-padding) columns.
    pub real_cols: Vec<f32>,
    /// Flat `b * n_cols + col` of every gold condition, with its operator.
    pub cond_rows: Vec<i64>,
    pub cond_ops: Vec<i64>,
    /// Flat rows of the conditions whose value span was found, with absolute token positions.
    pub span_rows: Vec<i64>,
    pub span_start: Vec<i64>,
    pub span_end: Vec<i64>,
    /// Flat `b * n_cols + col` of every selected column, its aggregate class and its share of
    /// its example's select loss (1/n for n columns); a model with the family heads trains on
    /// these instead of `sel`/`agg`.
    pub item_rows: Vec<i64>,
    pub item_aggs: Vec<i64>,
    pub item_weights: Vec<f32>,
    /// Examples selecting at least one column (the select loss's mean runs over them).
    pub selecting: usize,
    pub family: FamilyTargets,
    /// Per example, whether its query is inside WikiSQL's sketch (where distillation reads).
    pub in_sketch: Vec<bool>,
}

/// Names of the per-slot loss terms, in [`SlotLoss::parts`] order.
pub const LOSS_PARTS: [&str; 8] = [
    "sel",
    "agg",
    "where_count",
    "where_col",
    "op",
    "value",
    "family",
    "distill",
];

/// The per-slot loss values of one batch (for logging), and their sum (to back-propagate).
pub struct SlotLoss<B: Backend> {
    pub total: Tensor<B, 1>,
    pub parts: [(&'static str, Tensor<B, 1>); 8],
}

impl<B: Backend> SlotLoss<B> {
    /// The loss with a distillation term ([`crate::distill`]) added to the total and logged.
    pub fn with_distill(mut self, distill: Tensor<B, 1>) -> Self {
        self.total = self.total + distill.clone();
        self.parts[7] = (LOSS_PARTS[7], distill);
        self
    }
}

pub(crate) fn ints<B: Backend>(v: &[i64], device: &B::Device) -> Tensor<B, 1, Int> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), device)
}

/// Mean negative log-likelihood of `targets` under `logits` `[n, k]`.
pub(crate) fn cross_entropy<B: Backend>(
    logits: Tensor<B, 2>,
    targets: &[i64],
    device: &B::Device,
) -> Tensor<B, 1> {
    let n = targets.len();
    let picked = log_softmax(logits, 1).gather(1, ints::<B>(targets, device).reshape([n, 1]));
    picked.mean().neg()
}

/// The first `rows` rows of every slot's logits (a bucketed batch's real rows).
fn real_rows<B: Backend>(logits: &SlotLogits<B>, rows: usize) -> SlotLogits<B> {
    let l = logits.clone();
    SlotLogits {
        sel: l.sel.narrow(0, 0, rows),
        agg: l.agg.narrow(0, 0, rows),
        where_count: l.where_count.narrow(0, 0, rows),
        where_col: l.where_col.narrow(0, 0, rows),
        op: l.op.narrow(0, 0, rows),
        value_start: l.value_start.narrow(0, 0, rows),
        value_end: l.value_end.narrow(0, 0, rows),
        family: l.family.map(|f| f.narrow_rows(rows)),
    }
}

/// The loss of the rows `t` describes: the first `t.sel.len()` rows of the batch (any rows after
/// them are dummies that fill a bucketed batch, and take no part).
pub fn slot_loss<B: Backend>(logits: &SlotLogits<B>, t: &SlotTargets) -> SlotLoss<B> {
    let owned;
    let logits = if logits.sel.dims()[0] > t.sel.len() {
        owned = real_rows(logits, t.sel.len());
        &owned
    } else {
        logits
    };
    let device = logits.sel.device();
    let [batch, n_cols] = logits.sel.dims();
    let seq = logits.value_start.dims()[2];
    let zero = || Tensor::<B, 1>::zeros([1], &device);

    let (sel, agg) = match &logits.family {
        None => {
            let sel = cross_entropy(logits.sel.clone(), &t.sel, &device);
            // Aggregation is read at the gold select column.
            let sel_rows: Vec<i64> = t
                .sel
                .iter()
                .enumerate()
                .map(|(b, &c)| b as i64 * n_cols as i64 + c)
                .collect();
            let agg_rows = logits
                .agg
                .clone()
                .reshape([batch * n_cols, N_AGG])
                .select(0, ints::<B>(&sel_rows, &device));
            (sel, cross_entropy(agg_rows, &t.agg, &device))
        }
        Some(family) if !t.item_rows.is_empty() => {
            let idx = ints::<B>(&t.item_rows, &device);
            let weights = Tensor::<B, 1>::from_data(
                TensorData::new(t.item_weights.clone(), [t.item_weights.len()]),
                &device,
            );
            let picked = log_softmax(logits.sel.clone(), 1)
                .reshape([batch * n_cols])
                .select(0, idx.clone());
            let sel = (picked * weights)
                .sum()
                .div_scalar(t.selecting as f32)
                .neg();
            let aggs = Tensor::cat(vec![logits.agg.clone(), family.agg_extra.clone()], 2)
                .reshape([batch * n_cols, ITEM_AGGS.len()])
                .select(0, idx);
            (sel, cross_entropy(aggs, &t.item_aggs, &device))
        }
        Some(_) => (zero(), zero()),
    };

    let where_count = cross_entropy(logits.where_count.clone(), &t.where_count, &device);

    // Binary cross-entropy with logits over real columns: softplus(x) - x·y, computed stably.
    let x = logits.where_col.clone().reshape([batch * n_cols]);
    let y = Tensor::<B, 1>::from_data(
        TensorData::new(t.where_cols.clone(), [batch * n_cols]),
        &device,
    );
    let real = Tensor::<B, 1>::from_data(
        TensorData::new(t.real_cols.clone(), [batch * n_cols]),
        &device,
    );
    let bce = x.clone().clamp_min(0.0) - x.clone() * y + x.abs().neg().exp().log1p();
    let where_col = (bce * real.clone()).sum().div(real.sum().clamp_min(1.0));

    let op = if t.cond_rows.is_empty() {
        zero()
    } else {
        let (ops, classes) = match &logits.family {
            Some(family) => (
                Tensor::cat(vec![logits.op.clone(), family.op_extra.clone()], 2),
                N_OPS,
            ),
            None => (logits.op.clone(), N_OP),
        };
        let rows = ops
            .reshape([batch * n_cols, classes])
            .select(0, ints::<B>(&t.cond_rows, &device));
        cross_entropy(rows, &t.cond_ops, &device)
    };

    let value = if t.span_rows.is_empty() {
        zero()
    } else {
        let idx = ints::<B>(&t.span_rows, &device);
        let start = logits
            .value_start
            .clone()
            .reshape([batch * n_cols, seq])
            .select(0, idx.clone());
        let end = logits
            .value_end
            .clone()
            .reshape([batch * n_cols, seq])
            .select(0, idx);
        cross_entropy(start, &t.span_start, &device) + cross_entropy(end, &t.span_end, &device)
    };

    let family = match &logits.family {
        Some(f) => family_loss(f, &t.family, &device),
        None => zero(),
    };
    let total = sel.clone()
        + agg.clone()
        + where_count.clone()
        + where_col.clone()
        + op.clone()
        + value.clone()
        + family.clone();
    SlotLoss {
        total,
        parts: [
            (LOSS_PARTS[0], sel),
            (LOSS_PARTS[1], agg),
            (LOSS_PARTS[2], where_count),
            (LOSS_PARTS[3], where_col),
            (LOSS_PARTS[4], op),
            (LOSS_PARTS[5], value),
            (LOSS_PARTS[6], family),
            (LOSS_PARTS[7], zero()),
        ],
    }
}

impl SlotTargets {
    /// Targets of a batch whose rows have these labels; `question_start` is each row's first
    /// question token (labels hold question-relative spans), `n_cols` the batch's padded column count.
    pub fn from_labels(rows: &[(&crate::labels::SlotLabels, usize, usize)], n_cols: usize) -> Self {
        let mut t = SlotTargets {
            where_cols: vec![0.0; rows.len() * n_cols],
            real_cols: vec![0.0; rows.len() * n_cols],
            ..Default::default()
        };
        for (b, &(labels, question_start, real_cols)) in rows.iter().enumerate() {
            t.sel.push(labels.sel as i64);
            t.agg.push(labels.agg as i64);
            t.in_sketch.push(labels.in_sketch());
            t.where_count
                .push(labels.where_count.min(sqlcoder_model::heads::N_WHERE - 1) as i64);
            t.real_cols[b * n_cols..b * n_cols + real_cols].fill(1.0);
            let items = &labels.family.items;
            t.selecting += usize::from(!items.is_empty());
            for &(col, agg) in items {
                t.item_rows.push((b * n_cols + col) as i64);
                t.item_aggs.push(agg as i64);
                t.item_weights.push(1.0 / items.len() as f32);
            }
            t.family.add(b, &labels.family, question_start);
            for (i, &col) in labels.where_cols.iter().enumerate() {
                let row = (b * n_cols + col) as i64;
                t.where_cols[row as usize] = 1.0;
                let Some(op) = labels.ops[i] else { continue };
                t.cond_rows.push(row);
                // A model without the family heads knows the sketch's operators only (its
                // training keeps to questions inside the sketch).
                t.cond_ops.push(op as i64);
                if let Some((s, e)) = labels.value_spans[i] {
                    t.span_rows.push(row);
                    t.span_start.push((question_start + s) as i64);
                    t.span_end.push((question_start + e) as i64);
                }
            }
        }
        t
    }
}
