//! The heads that write the query family's clauses beyond WikiSQL's sketch, beside the six
//! SQLova heads ([`crate::heads`]), which keep filling the sketch's slots.
//!
//! The layout takes from three published designs (cited in REPORT §9):
//! - **M-SQL**: a select-number head (how many column items), the select column scores read as
//!   a set (the top n), a per-column aggregate, and the AND/OR connector.
//! - **tianchi_nl2sql** (beader): an aggregate class for every candidate column, here the
//!   sketch's six plus `COUNT(DISTINCT)` (an added logit, so the sketch's six stay where they were).
//! - **SyntaxSQLNet**: clause presence (GROUP BY, HAVING, DISTINCT), column pointers for GROUP BY
//!   and ORDER BY, and ORDER BY's direction joined with LIMIT in one classifier.
//!
//! `COUNT(*)` is not a column, so a binary head says whether it is selected. LIMIT's k is a pointer
//! over the question's pieces with one more place, `[CLS]`, meaning "no number: k = 1" ("the
//! highest" is a LIMIT 1 with no number in the question). The operator head gains the family's
//! operators as added logits. BETWEEN's two bounds are one value span from the first bound's
//! first piece to the second's last ("between 10 and 20"), split at the word between them when
//! decoded. HAVING's value is its own pointer pair over the question.
//!
//! Every layer here is new; a model without them ([`crate::heads::HeadOptions::family`] off)
//! is exactly the in-sketch model it was.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::backend::Backend;
use burn::tensor::{Bool, Tensor};
use sqlcoder_kernels::dense;

use crate::heads::MASKED_LOGIT;

/// The whole-question classifiers, in the order their logits sit in [`FamilyLogits::clauses`]:
/// (name, number of classes).
pub const CLAUSES: [(&str, usize); 10] = [
    // Column items selected: 0 (only COUNT(*)) up to 4.
    ("select_count", 5),
    // COUNT(*) among the selected items.
    ("count_rows", 2),
    ("distinct", 2),
    // AND, OR.
    ("connector", 2),
    ("group_by", 2),
    ("having", 2),
    // None, ASC, DESC, ASC + LIMIT, DESC + LIMIT.
    ("order", 5),
    // The ORDER BY key: a column or an aggregate ([`KEY_CLASSES`]).
    ("order_key", 6),
    // The HAVING operand, same classes (a plain column is never gold there).
    ("having_key", 6),
    // The HAVING operator: = != > < >= <=.
    ("having_op", 6),
];

/// Index into [`CLAUSES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clause {
    SelectCount = 0,
    CountRows,
    Distinct,
    Connector,
    GroupBy,
    Having,
    Order,
    OrderKey,
    HavingKey,
    HavingOp,
}

impl Clause {
    pub const ALL: [Clause; 10] = [
        Clause::SelectCount,
        Clause::CountRows,
        Clause::Distinct,
        Clause::Connector,
        Clause::GroupBy,
        Clause::Having,
        Clause::Order,
        Clause::OrderKey,
        Clause::HavingKey,
        Clause::HavingOp,
    ];

    pub fn name(self) -> &'static str {
        CLAUSES[self as usize].0
    }
    pub fn classes(self) -> usize {
        CLAUSES[self as usize].1
    }
    /// Where this clause's logits start in [`FamilyLogits::clauses`].
    pub fn offset(self) -> usize {
        CLAUSES[..self as usize].iter().map(|(_, n)| n).sum()
    }
}

/// Width of [`FamilyLogits::clauses`].
pub const CLAUSE_LOGITS: usize = {
    let mut sum = 0;
    let mut i = 0;
    while i < CLAUSES.len() {
        sum += CLAUSES[i].1;
        i += 1;
    }
    sum
};

/// What an ORDER BY or HAVING key is, by class: the plain column, `COUNT(*)`, or an aggregate
/// of the pointed column.
pub const KEY_CLASSES: [&str; 6] = ["column", "count(*)", "max", "min", "sum", "avg"];

/// Operators beyond the sketch's `=`, `>`, `<`, in the order their logits follow the sketch's
/// three: the operator classes are `= > < != >= <= BETWEEN LIKE LIKE-prefix NOT-LIKE`.
pub const EXTRA_OPS: [&str; 7] = [
    "!=",
    ">=",
    "<=",
    "between",
    "like",
    "like_prefix",
    "not_like",
];

/// Column pointers, in the order of [`FamilyLogits::columns`]' last axis.
pub const COLUMN_POINTERS: [&str; 3] = ["group_by", "having", "order_by"];

/// Question pointers, in the order of [`FamilyLogits::tokens`]' last axis.
pub const TOKEN_POINTERS: [&str; 3] = ["limit", "having_start", "having_end"];

/// Raw scores of the family's slots.
#[derive(Clone, Debug)]
pub struct FamilyLogits<B: Backend> {
    /// `[batch, CLAUSE_LOGITS]`: every [`Clause`]'s logits side by side.
    pub clauses: Tensor<B, 2>,
    /// `[batch, n_cols, 3]`: [`COLUMN_POINTERS`], padding columns masked.
    pub columns: Tensor<B, 3>,
    /// `[batch, n_cols, 1]`: the `COUNT(DISTINCT)` aggregate, after the sketch's six.
    pub agg_extra: Tensor<B, 3>,
    /// `[batch, n_cols, 7]`: [`EXTRA_OPS`], after the sketch's three.
    pub op_extra: Tensor<B, 3>,
    /// `[batch, seq, 3]`: [`TOKEN_POINTERS`] over question pieces; the limit pointer also may
    /// point at `[CLS]` (position 0), meaning k = 1.
    pub tokens: Tensor<B, 3>,
}

impl<B: Backend> FamilyLogits<B> {
    /// `[batch, classes]` logits of one clause.
    pub fn clause(&self, clause: Clause) -> Tensor<B, 2> {
        self.clauses
            .clone()
            .narrow(1, clause.offset(), clause.classes())
    }

    /// The first `rows` rows (a bucketed batch's real rows).
    pub fn narrow_rows(&self, rows: usize) -> Self {
        let l = self.clone();
        Self {
            clauses: l.clauses.narrow(0, 0, rows),
            columns: l.columns.narrow(0, 0, rows),
            agg_extra: l.agg_extra.narrow(0, 0, rows),
            op_extra: l.op_extra.narrow(0, 0, rows),
            tokens: l.tokens.narrow(0, 0, rows),
        }
    }
}

/// The inputs the family heads read, all computed by the sketch heads on the way.
pub struct FamilyInputs<B: Backend> {
    /// `[b, seq, d]` encoder states (after the heads' dropout).
    pub hidden: Tensor<B, 3>,
    /// `[b, 2d]`: `[CLS]` beside the mean column attention summary (what the where-count reads).
    pub question: Tensor<B, 2>,
    /// `[b, c, 2d]` column features (column beside its attention summary of the question).
    pub features: Tensor<B, 3>,
    /// `[b, c, d]` the aggregation head's hidden layer (after tanh).
    pub agg_hidden: Tensor<B, 3>,
    /// `[b, c, d]` the operator head's hidden layer (after tanh).
    pub op_hidden: Tensor<B, 3>,
    /// `[b, c]` true at padding columns.
    pub column_pad: Tensor<B, 2, Bool>,
    /// `[b, seq]` true where the token is not a question piece.
    pub non_question: Tensor<B, 2, Bool>,
}

#[derive(Module, Debug)]
pub struct FamilyHeads<B: Backend> {
    clause_hidden: Linear<B>,
    clause_out: Linear<B>,
    column_hidden: Linear<B>,
    column_out: Linear<B>,
    agg_extra: Linear<B>,
    op_extra: Linear<B>,
    /// Queries of the three question pointers, from the question vector.
    token_queries: Linear<B>,
}

impl<B: Backend> FamilyHeads<B> {
    pub fn new(hidden: usize, device: &B::Device) -> Self {
        let lin = |i: usize, o: usize| LinearConfig::new(i, o).init(device);
        Self {
            clause_hidden: lin(2 * hidden, hidden),
            clause_out: lin(hidden, CLAUSE_LOGITS),
            column_hidden: lin(2 * hidden, hidden),
            column_out: lin(hidden, COLUMN_POINTERS.len()),
            agg_extra: lin(hidden, 1),
            op_extra: lin(hidden, EXTRA_OPS.len()),
            token_queries: lin(2 * hidden, TOKEN_POINTERS.len() * hidden),
        }
    }

    pub fn forward(&self, x: FamilyInputs<B>) -> FamilyLogits<B> {
        let [batch, seq, d] = x.hidden.dims();
        let n_cols = x.column_pad.dims()[1];
        let clauses = dense(
            &self.clause_out,
            dense(&self.clause_hidden, x.question.clone()).tanh(),
        );
        let columns = dense(
            &self.column_out,
            dense(&self.column_hidden, x.features).tanh(),
        )
        .mask_fill(
            x.column_pad
                .unsqueeze_dim::<3>(2)
                .expand([batch, n_cols, COLUMN_POINTERS.len()]),
            MASKED_LOGIT,
        );
        let agg_extra = dense(&self.agg_extra, x.agg_hidden);
        let op_extra = dense(&self.op_extra, x.op_hidden);

        // Bilinear question pointers: [b, 3, d] queries against [b, d, seq] pieces.
        let queries =
            dense(&self.token_queries, x.question).reshape([batch, TOKEN_POINTERS.len(), d]);
        let tokens = queries.matmul(x.hidden.swap_dims(1, 2)).swap_dims(1, 2); // [b, seq, 3]
                                                                               // Question pieces only; the limit pointer also keeps [CLS] ("no number: k = 1").
        let outside =
            x.non_question
                .unsqueeze_dim::<3>(2)
                .expand([batch, seq, TOKEN_POINTERS.len()]);
        let cls_for_limit = Tensor::<B, 3, Bool>::from_data(
            burn::tensor::TensorData::new(
                (0..seq * TOKEN_POINTERS.len())
                    .map(|i| i < TOKEN_POINTERS.len() && i % TOKEN_POINTERS.len() == 0)
                    .collect::<Vec<_>>(),
                [1, seq, TOKEN_POINTERS.len()],
            ),
            &outside.device(),
        )
        .expand([batch, seq, TOKEN_POINTERS.len()]);
        let masked = outside.bool_and(cls_for_limit.bool_not());
        let tokens = tokens.mask_fill(masked, MASKED_LOGIT);
        FamilyLogits {
            clauses,
            columns,
            agg_extra,
            op_extra,
            tokens,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;
    use burn::tensor::{Distribution, TensorData};

    type B = NdArray<f32>;

    #[test]
    fn clause_offsets_tile_the_logits() {
        let mut next = 0;
        for clause in Clause::ALL {
            assert_eq!(clause.offset(), next, "{}", clause.name());
            next += clause.classes();
        }
        assert_eq!(next, CLAUSE_LOGITS);
        assert_eq!(Clause::HavingOp.classes(), 6);
    }

    #[test]
    fn shapes_and_masks() {
        let device = Default::default();
        let (b, seq, c, d) = (2, 6, 3, 8);
        let heads = FamilyHeads::<B>::new(d, &device);
        let normal = Distribution::Normal(0.0, 1.0);
        // Question pieces at 1..=3; column 2 of example 1 is padding.
        let non_question = Tensor::<B, 2, Bool>::from_data(
            TensorData::new(
                (0..b * seq)
                    .map(|i| !matches!(i % seq, 1..=3))
                    .collect::<Vec<_>>(),
                [b, seq],
            ),
            &device,
        );
        let column_pad = Tensor::<B, 2, Bool>::from_data(
            TensorData::new(vec![false, false, false, false, false, true], [b, c]),
            &device,
        );
        let out = heads.forward(FamilyInputs {
            hidden: Tensor::random([b, seq, d], normal, &device),
            question: Tensor::random([b, 2 * d], normal, &device),
            features: Tensor::random([b, c, 2 * d], normal, &device),
            agg_hidden: Tensor::random([b, c, d], normal, &device),
            op_hidden: Tensor::random([b, c, d], normal, &device),
            column_pad,
            non_question,
        });
        assert_eq!(out.clauses.dims(), [b, CLAUSE_LOGITS]);
        assert_eq!(out.clause(Clause::Order).dims(), [b, 5]);
        assert_eq!(out.agg_extra.dims(), [b, c, 1]);
        assert_eq!(out.op_extra.dims(), [b, c, EXTRA_OPS.len()]);
        let columns: Vec<f32> = out.columns.into_data().to_vec().unwrap();
        // Example 1, column 2: all three pointers masked; column 1 not.
        assert!(columns[(3 + 2) * 3..(3 + 2) * 3 + 3]
            .iter()
            .all(|&v| v == MASKED_LOGIT));
        assert!(columns[(3 + 1) * 3] != MASKED_LOGIT);
        let tokens: Vec<f32> = out.tokens.into_data().to_vec().unwrap();
        let at = |t: usize, p: usize| tokens[t * 3 + p];
        assert_ne!(at(0, 0), MASKED_LOGIT, "[CLS] stands for k = 1");
        assert_eq!(at(0, 1), MASKED_LOGIT, "HAVING's value is in the question");
        assert_eq!(at(4, 0), MASKED_LOGIT, "not a question piece");
        assert_ne!(at(2, 2), MASKED_LOGIT);
    }
}
