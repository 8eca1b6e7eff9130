//! The family heads' loss: a cross-entropy per clause classifier over every example (a WikiSQL
//! question teaches "no such clause"), and per pointer over the examples that have its clause
//! (teacher forcing: the GROUP BY column is trained where the gold groups, as SQLova trains an
//! operator at the gold where column). The terms are summed with equal weight.

use crate::family_labels::{FamilyLabels, LimitLabel};
use crate::loss::{cross_entropy, ints};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use sqlcoder_model::family_classes::key_reads_column;
use sqlcoder_model::family_heads::{Clause, FamilyLogits, COLUMN_POINTERS, TOKEN_POINTERS};

/// Pointer targets over one axis: (flat row, target index) pairs.
#[derive(Clone, Debug, Default)]
pub struct PointerTargets {
    pub rows: Vec<i64>,
    pub targets: Vec<i64>,
}

impl PointerTargets {
    fn push(&mut self, row: usize, target: usize) {
        self.rows.push(row as i64);
        self.targets.push(target as i64);
    }
}

/// Host-side targets of the family heads for one batch.
#[derive(Clone, Debug, Default)]
pub struct FamilyTargets {
    /// Per [`Clause`], the (example, class) pairs it is trained on.
    pub clauses: [PointerTargets; 10],
    /// Per [`COLUMN_POINTERS`] entry: (example, column).
    pub columns: [PointerTargets; 3],
    /// Per [`TOKEN_POINTERS`] entry: (example, absolute token position).
    pub tokens: [PointerTargets; 3],
}

impl FamilyTargets {
    /// Adds example `b`'s targets; its question starts at token `question_start`.
    pub fn add(&mut self, b: usize, f: &FamilyLabels, question_start: usize) {
        let mut clause = |c: Clause, class: usize| self.clauses[c as usize].push(b, class);
        clause(
            Clause::SelectCount,
            f.items.len().min(Clause::SelectCount.classes() - 1),
        );
        clause(Clause::CountRows, usize::from(f.count_rows));
        clause(Clause::Distinct, usize::from(f.distinct));
        clause(Clause::Connector, usize::from(f.or));
        clause(Clause::GroupBy, usize::from(f.group_by.is_some()));
        clause(Clause::Having, usize::from(f.having.is_some()));
        clause(Clause::Order, f.order.as_ref().map_or(0, |o| o.class));
        if let Some(key) = f.order.as_ref().and_then(|o| o.key) {
            clause(Clause::OrderKey, key);
        }
        if let Some(h) = &f.having {
            clause(Clause::HavingKey, h.key);
            clause(Clause::HavingOp, h.op);
        }
        if let Some(g) = f.group_by {
            self.columns[0].push(b, g);
        }
        if let Some(h) = &f.having {
            if let (Some(col), true) = (h.col, key_reads_column(h.key)) {
                self.columns[1].push(b, col);
            }
            if let Some((s, e)) = h.span {
                self.tokens[1].push(b, question_start + s);
                self.tokens[2].push(b, question_start + e);
            }
        }
        if let Some(o) = &f.order {
            if let (Some(col), Some(true)) = (o.col, o.key.map(key_reads_column)) {
                self.columns[2].push(b, col);
            }
        }
        match f.limit {
            LimitLabel::Unspoken => self.tokens[0].push(b, 0),
            LimitLabel::At(piece) => self.tokens[0].push(b, question_start + piece),
            LimitLabel::None | LimitLabel::NotFound => {}
        }
    }
}

/// Cross-entropy of `logits` rows picked by `t`; zero when `t` is empty.
fn picked<B: Backend>(
    logits: Tensor<B, 2>,
    t: &PointerTargets,
    device: &B::Device,
) -> Option<Tensor<B, 1>> {
    if t.rows.is_empty() {
        return None;
    }
    let rows = logits.select(0, ints::<B>(&t.rows, device));
    Some(cross_entropy(rows, &t.targets, device))
}

/// The family heads' summed loss.
pub fn family_loss<B: Backend>(
    f: &FamilyLogits<B>,
    t: &FamilyTargets,
    device: &B::Device,
) -> Tensor<B, 1> {
    let [batch, n_cols, _] = f.columns.dims();
    let seq = f.tokens.dims()[1];
    let mut terms = Vec::new();
    for clause in Clause::ALL {
        terms.extend(picked(
            f.clause(clause),
            &t.clauses[clause as usize],
            device,
        ));
    }
    for (i, targets) in t.columns.iter().enumerate() {
        debug_assert!(i < COLUMN_POINTERS.len());
        let scores = f.columns.clone().narrow(2, i, 1).reshape([batch, n_cols]);
        terms.extend(picked(scores, targets, device));
    }
    for (i, targets) in t.tokens.iter().enumerate() {
        debug_assert!(i < TOKEN_POINTERS.len());
        let scores = f.tokens.clone().narrow(2, i, 1).reshape([batch, seq]);
        terms.extend(picked(scores, targets, device));
    }
    terms
        .into_iter()
        .reduce(|a, b| a + b)
        .unwrap_or_else(|| Tensor::zeros([1], device))
}
