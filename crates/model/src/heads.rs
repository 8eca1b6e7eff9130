//! The six SQLova slot heads over the encoder's hidden states.
//!
//! Every head reads *column features*: a header's pooled word pieces concatenated with an attention
//! summary of the question computed from that column (SQLova's column attention). A column vector
//! alone says what the header is; the attended question context says what the question asks about
//! it, which is what select/where decisions hinge on. Each head gets its own projection of those
//! features because the heads ask different things of the same column.

use crate::content::{COLUMN_KINDS, TOKEN_KINDS};
use crate::family_heads::{FamilyHeads, FamilyInputs, FamilyLogits};
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Initializer, Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{Bool, Tensor};
use serde::{Deserialize, Serialize};
use sqlcoder_kernels::{dense, dropout};

/// Number of aggregation classes ("", MAX, MIN, COUNT, SUM, AVG).
pub const N_AGG: usize = 6;
/// Operators predicted (=, >, <).
pub const N_OP: usize = 3;
/// Where-count classes: 0..=4 conditions.
pub const N_WHERE: usize = 5;
/// Logit given to masked positions: large enough to vanish under softmax, finite so 0·mask stays 0.
pub const MASKED_LOGIT: f32 = -1.0e4;

/// Optional head variants, each measured against the plain heads with
/// `experiments/ablation/run.sh` before a recipe turns it on. Off in stored specs that predate them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeadOptions {
    /// The operator head also reads the words at the value's predicted edges (the start and end
    /// pointers' attention over the question): "more than 3" is decided next to the 3, which
    /// the column's attention summary of the whole question blurs.
    pub op_reads_value: bool,
    /// The where-side heads (where column, operator, value pointers) get their own column →
    /// question attention instead of sharing the select head's: a select column and a condition
    /// column look for different words.
    pub where_attention: bool,
    /// The aggregation head also reads `[CLS]`, the question as a whole: "how many", "total" and
    /// "highest" ask for an aggregation wherever they stand, and the column's attention summary
    /// looks at the words about that column.
    pub agg_reads_question: bool,
    /// The family heads ([`crate::family_heads`]): clauses beyond WikiSQL's sketch (several
    /// columns, GROUP BY, HAVING, ORDER BY, LIMIT, DISTINCT, OR and the wider operators).
    pub family: bool,
}

/// The structural tensors a batch needs besides token ids (all built on the host from spans).
#[derive(Clone, Debug)]
pub struct SlotStructure<B: Backend> {
    /// `[batch, n_cols, seq]`: row c averages the word pieces of header c.
    pub column_pool: Tensor<B, 3>,
    /// `[batch, n_cols]`: true where the column is padding.
    pub column_pad: Tensor<B, 2, Bool>,
    /// `[batch, seq]`: true where the token is not a question word piece.
    pub non_question: Tensor<B, 2, Bool>,
    /// `[batch, n_cols, seq, TOKEN_KINDS]`: content features of each question piece for each
    /// column ([`crate::content`]), 0 or 1; zero outside the question.
    pub content_tokens: Tensor<B, 4>,
    /// `[batch, n_cols, COLUMN_KINDS]`: whether any question piece matches the column so.
    pub content_columns: Tensor<B, 3>,
}

/// Raw scores of every slot; decoding and losses read them.
#[derive(Clone, Debug)]
pub struct SlotLogits<B: Backend> {
    /// `[batch, n_cols]` select column.
    pub sel: Tensor<B, 2>,
    /// `[batch, n_cols, 6]` aggregation, per candidate select column.
    pub agg: Tensor<B, 3>,
    /// `[batch, 5]` number of conditions.
    pub where_count: Tensor<B, 2>,
    /// `[batch, n_cols]` where-column scores (sigmoid).
    pub where_col: Tensor<B, 2>,
    /// `[batch, n_cols, 3]` operator, per candidate where column.
    pub op: Tensor<B, 3>,
    /// `[batch, n_cols, seq]` value start pointer, per candidate where column.
    pub value_start: Tensor<B, 3>,
    /// `[batch, n_cols, seq]` value end pointer, per candidate where column.
    pub value_end: Tensor<B, 3>,
    /// The family's clauses, when the model has their heads ([`HeadOptions::family`]).
    pub family: Option<FamilyLogits<B>>,
}

#[derive(Module, Debug)]
pub struct SlotHeads<B: Backend> {
    /// Column → question attention query.
    column_attention: Linear<B>,
    sel_features: Linear<B>,
    sel_out: Linear<B>,
    agg_features: Linear<B>,
    agg_out: Linear<B>,
    count_hidden: Linear<B>,
    count_out: Linear<B>,
    where_features: Linear<B>,
    where_out: Linear<B>,
    op_features: Linear<B>,
    op_out: Linear<B>,
    start_query: Linear<B>,
    end_query: Linear<B>,
    /// [`HeadOptions::op_reads_value`]: value-edge context → operator features.
    op_value: Option<Linear<B>>,
    /// [`HeadOptions::where_attention`]: the where-side heads' own column → question attention.
    where_attention: Option<Linear<B>>,
    /// [`HeadOptions::agg_reads_question`]: [CLS] → aggregation features.
    agg_question: Option<Linear<B>>,
    /// [`HeadOptions::family`]: the clauses beyond the sketch.
    family: Option<FamilyHeads<B>>,
    dropout: Dropout,
    /// Weights on the table-content features, when the model reads table content.
    content: Option<ContentHeads<B>>,
}

/// Learned weights on the table-content features, each added to the logits it informs: token
/// features to the column attention and the value pointers (a piece inside a matching cell is
/// a likely value, and what the column should attend to), column features to the select,
/// aggregation, where-column and operator scores, and their sum over columns to the where count.
/// Zero at initialisation: a model starts exactly as it would without them.
#[derive(Module, Debug)]
pub struct ContentHeads<B: Backend> {
    attention: Linear<B>,
    value_start: Linear<B>,
    value_end: Linear<B>,
    sel: Linear<B>,
    agg: Linear<B>,
    where_col: Linear<B>,
    op: Linear<B>,
    count: Linear<B>,
}

impl<B: Backend> ContentHeads<B> {
    fn new(device: &B::Device) -> Self {
        let zero = |i: usize, o: usize| {
            LinearConfig::new(i, o)
                .with_bias(false)
                .with_initializer(Initializer::Zeros)
                .init(device)
        };
        let (kt, kc) = (TOKEN_KINDS.len(), COLUMN_KINDS.len());
        Self {
            attention: zero(kt, 1),
            value_start: zero(kt, 1),
            value_end: zero(kt, 1),
            sel: zero(kc, 1),
            agg: zero(kc, N_AGG),
            where_col: zero(kc, 1),
            op: zero(kc, N_OP),
            count: zero(kc, N_WHERE),
        }
    }

    /// `[b, c, seq]` scores from the token features.
    fn tokens(layer: &Linear<B>, s: &SlotStructure<B>) -> Tensor<B, 3> {
        layer.forward(s.content_tokens.clone()).squeeze_dim::<3>(3)
    }
}

/// A layer whose output is added to a head's hidden layer: no bias, zero at initialisation, so a
/// model with it starts exactly as one without and draws no random numbers for it (the arms of a
/// seed in an ablation then share every other initial weight).
fn added_term<B: Backend>(input: usize, output: usize, device: &B::Device) -> Linear<B> {
    LinearConfig::new(input, output)
        .with_bias(false)
        .with_initializer(Initializer::Zeros)
        .init(device)
}

impl<B: Backend> SlotHeads<B> {
    /// Heads over `hidden`-wide encoder states; `content`: with weights on table-content features.
    pub fn new(
        hidden: usize,
        dropout: f64,
        content: bool,
        options: &HeadOptions,
        device: &B::Device,
    ) -> Self {
        let lin = |i: usize, o: usize| LinearConfig::new(i, o).init(device);
        Self {
            column_attention: lin(hidden, hidden),
            sel_features: lin(2 * hidden, hidden),
            sel_out: lin(hidden, 1),
            agg_features: lin(2 * hidden, hidden),
            agg_out: lin(hidden, N_AGG),
            count_hidden: lin(2 * hidden, hidden),
            count_out: lin(hidden, N_WHERE),
            where_features: lin(2 * hidden, hidden),
            where_out: lin(hidden, 1),
            op_features: lin(2 * hidden, hidden),
            op_out: lin(hidden, N_OP),
            start_query: lin(2 * hidden, hidden),
            end_query: lin(2 * hidden, hidden),
            op_value: options
                .op_reads_value
                .then(|| added_term(hidden, hidden, device)),
            where_attention: options.where_attention.then(|| lin(hidden, hidden)),
            agg_question: options
                .agg_reads_question
                .then(|| added_term(hidden, hidden, device)),
            family: options.family.then(|| FamilyHeads::new(hidden, device)),
            dropout: DropoutConfig::new(dropout).init(),
            content: content.then(|| ContentHeads::new(device)),
        }
    }

    /// These heads with fresh family heads over `hidden`-wide states.
    pub fn with_family(self, hidden: usize, device: &B::Device) -> Self {
        Self {
            family: Some(FamilyHeads::new(hidden, device)),
            ..self
        }
    }

    /// `hidden`: `[batch, seq, d]` encoder output.
    pub fn forward(&self, hidden: Tensor<B, 3>, s: &SlotStructure<B>) -> SlotLogits<B> {
        let [batch, seq, _d] = hidden.dims();
        let n_cols = s.column_pad.dims()[1];
        let hidden = dropout(&self.dropout, hidden);

        // Column vectors: mean of each header's word pieces.
        let columns = s.column_pool.clone().matmul(hidden.clone()); // [b, c, d]

        // Column attention over question tokens.
        let question_mask = s
            .non_question
            .clone()
            .unsqueeze_dim::<3>(1)
            .expand([batch, n_cols, seq]);
        // Column features: each column beside its attention summary of the question.
        let attend = |query: &Linear<B>| {
            // Every dense layer through `fast::dense`: one flattened product (gemm on ndarray).
            let mut att = dense(query, columns.clone()).matmul(hidden.clone().swap_dims(1, 2)); // [b, c, seq]
            if let Some(content) = &self.content {
                att = att + ContentHeads::tokens(&content.attention, s);
            }
            let att = att.mask_fill(question_mask.clone(), MASKED_LOGIT);
            let context = softmax(att, 2).matmul(hidden.clone()); // [b, c, d]
            Tensor::cat(vec![columns.clone(), context], 2) // [b, c, 2d]
        };
        let features = attend(&self.column_attention);
        let where_features = match &self.where_attention {
            Some(query) => attend(query),
            None => features.clone(),
        };

        let column_pad = s.column_pad.clone();
        let project = |layer: &Linear<B>, x: &Tensor<B, 3>| dense(layer, x.clone()).tanh();

        // Value pointers: bilinear column × token scores, restricted to question word pieces.
        let tokens_t = hidden.clone().swap_dims(1, 2); // [b, d, seq]
        let mut value_start =
            dense(&self.start_query, where_features.clone()).matmul(tokens_t.clone());
        let mut value_end = dense(&self.end_query, where_features.clone()).matmul(tokens_t);
        if let Some(content) = &self.content {
            value_start = value_start + ContentHeads::tokens(&content.value_start, s);
            value_end = value_end + ContentHeads::tokens(&content.value_end, s);
        }
        let value_start = value_start.mask_fill(question_mask.clone(), MASKED_LOGIT);
        let value_end = value_end.mask_fill(question_mask, MASKED_LOGIT);

        let mut op_hidden = dense(&self.op_features, where_features.clone());
        if let Some(op_value) = &self.op_value {
            // The words at the value's likely edges: half the start pointer's attention and half
            // the end pointer's, over the question.
            let edges = (softmax(value_start.clone(), 2) + softmax(value_end.clone(), 2)) * 0.5;
            op_hidden = op_hidden + dense(op_value, edges.matmul(hidden.clone()));
        }

        let mut sel = dense(&self.sel_out, project(&self.sel_features, &features));
        let cls = hidden.clone().narrow(1, 0, 1); // [b, 1, d]
        let mut agg_hidden = dense(&self.agg_features, features.clone());
        if let Some(agg_question) = &self.agg_question {
            let [_, _, width] = agg_hidden.dims();
            agg_hidden =
                agg_hidden + dense(agg_question, cls.clone()).expand([batch, n_cols, width]);
        }
        let agg_hidden = agg_hidden.tanh();
        let mut agg = dense(&self.agg_out, agg_hidden.clone());
        let mut where_col = dense(
            &self.where_out,
            project(&self.where_features, &where_features),
        );
        let op_hidden = op_hidden.tanh();
        let mut op = dense(&self.op_out, op_hidden.clone());
        if let Some(content) = &self.content {
            let columns = &s.content_columns;
            sel = sel + content.sel.forward(columns.clone());
            agg = agg + content.agg.forward(columns.clone());
            where_col = where_col + content.where_col.forward(columns.clone());
            op = op + content.op.forward(columns.clone());
        }
        let sel = sel
            .squeeze_dim::<2>(2)
            .mask_fill(column_pad.clone(), MASKED_LOGIT);
        let where_col = where_col
            .squeeze_dim::<2>(2)
            .mask_fill(column_pad.clone(), MASKED_LOGIT);

        // Where-count reads [CLS] beside a mean of the column features (how many columns the
        // question talks about), masked to real columns.
        let real_cols = column_pad.clone().bool_not().float().unsqueeze_dim::<3>(2); // [b, c, 1]
        let n_real = real_cols.clone().sum_dim(1).clamp_min(1.0); // [b, 1, 1]
        let context_summary = (features.clone() * real_cols).sum_dim(1).div(n_real); // [b, 1, 2d]
        let d = cls.dims()[2];
        let count_in =
            Tensor::cat(vec![cls, context_summary.narrow(2, d, d)], 2).squeeze_dim::<2>(1);
        let mut where_count = dense(
            &self.count_out,
            dense(&self.count_hidden, count_in.clone()).tanh(),
        );
        if let Some(content) = &self.content {
            // Padding columns have no matches, so the sum runs over the table's columns.
            let matched = s.content_columns.clone().sum_dim(1).squeeze_dim::<2>(1); // [b, kc]
            where_count = where_count + content.count.forward(matched);
        }

        let family = self.family.as_ref().map(|heads| {
            heads.forward(FamilyInputs {
                hidden,
                question: count_in,
                features,
                agg_hidden,
                op_hidden,
                column_pad,
                non_question: s.non_question.clone(),
            })
        });
        SlotLogits {
            sel,
            agg,
            where_count,
            where_col,
            op,
            value_start,
            value_end,
            family,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;
    use burn::tensor::{Distribution, TensorData};

    type B = NdArray<f32>;

    /// Two examples of 7 tokens: example 0 has question tokens 1..3 and columns at 4..5 and
    /// 6..7; example 1 has one column. `matches`: (example, column, token, kinds).
    fn structure(matches: &[(usize, usize, usize, u8)]) -> SlotStructure<B> {
        let device = Default::default();
        let mut pool = vec![0f32; 2 * 2 * 7];
        pool[4] = 1.0;
        pool[7 + 6] = 1.0;
        pool[14 + 4] = 1.0;
        let (kt, kc) = (TOKEN_KINDS.len(), COLUMN_KINDS.len());
        let mut tokens = vec![0f32; 2 * 2 * 7 * kt];
        let mut columns = vec![0f32; 2 * 2 * kc];
        for &(b, c, t, kinds) in matches {
            for (i, &k) in TOKEN_KINDS.iter().enumerate() {
                tokens[((b * 2 + c) * 7 + t) * kt + i] = f32::from(kinds & k != 0);
            }
            for (i, &k) in COLUMN_KINDS.iter().enumerate() {
                columns[(b * 2 + c) * kc + i] = f32::from(kinds & k != 0);
            }
        }
        SlotStructure {
            column_pool: Tensor::from_data(TensorData::new(pool, [2, 2, 7]), &device),
            column_pad: Tensor::from_data(
                TensorData::new(vec![false, false, false, true], [2, 2]),
                &device,
            ),
            non_question: Tensor::from_data(
                TensorData::new(
                    (0..14).map(|i| !matches!(i % 7, 1..=3)).collect::<Vec<_>>(),
                    [2, 7],
                ),
                &device,
            ),
            content_tokens: Tensor::from_data(TensorData::new(tokens, [2, 2, 7, kt]), &device),
            content_columns: Tensor::from_data(TensorData::new(columns, [2, 2, kc]), &device),
        }
    }

    fn hidden() -> Tensor<B, 3> {
        Tensor::<B, 3>::random(
            [2, 7, 8],
            Distribution::Normal(0.0, 1.0),
            &Default::default(),
        )
    }

    #[test]
    fn shapes_and_masks() {
        let device = Default::default();
        let heads = SlotHeads::<B>::new(8, 0.0, false, &HeadOptions::default(), &device);
        let out = heads.forward(hidden(), &structure(&[]));
        assert_eq!(out.sel.dims(), [2, 2]);
        assert_eq!(out.agg.dims(), [2, 2, N_AGG]);
        assert_eq!(out.where_count.dims(), [2, N_WHERE]);
        assert_eq!(out.op.dims(), [2, 2, N_OP]);
        assert_eq!(out.value_start.dims(), [2, 2, 7]);
        let sel: Vec<f32> = out.sel.into_data().to_vec().unwrap();
        assert_eq!(sel[3], MASKED_LOGIT, "padding column must be masked");
        let start: Vec<f32> = out.value_start.into_data().to_vec().unwrap();
        assert_eq!(start[0], MASKED_LOGIT, "[CLS] is not a question token");
        assert_ne!(start[1], MASKED_LOGIT);
    }

    #[test]
    fn content_weights_start_at_zero_and_then_move_the_matched_scores() {
        use crate::content::{CELL, CELL_START};
        let device = Default::default();
        let plain = SlotHeads::<B>::new(8, 0.0, false, &HeadOptions::default(), &device);
        let s = structure(&[(0, 1, 2, CELL | CELL_START)]);
        let x = hidden();
        // (Also materialises the lazily initialised weights, so that copies share them.)
        let a = plain.forward(x.clone(), &s);
        let mut with = SlotHeads::<B>::new(8, 0.0, true, &HeadOptions::default(), &device);
        // Same weights everywhere else: copy the plain heads' layers.
        with.column_attention = plain.column_attention.clone();
        with.where_features = plain.where_features.clone();
        with.where_out = plain.where_out.clone();
        with.start_query = plain.start_query.clone();
        let b = with.forward(x.clone(), &s);
        let flat = |t: Tensor<B, 2>| t.into_data().to_vec::<f32>().unwrap();
        let (wa, wb) = (flat(a.where_col.clone()), flat(b.where_col));
        assert!(
            wa.iter().zip(&wb).all(|(x, y)| (x - y).abs() < 1e-6),
            "{wa:?} {wb:?}"
        );

        // A positive weight on "some piece matches a cell" raises exactly column 1 of example 0.
        let content = with.content.as_mut().unwrap();
        let one = |i: usize, o: usize| {
            LinearConfig::new(i, o)
                .with_bias(false)
                .with_initializer(Initializer::Ones)
                .init(&device)
        };
        content.where_col = one(COLUMN_KINDS.len(), 1);
        content.value_start = one(TOKEN_KINDS.len(), 1);
        let c = with.forward(x, &s);
        let (before, after) = (flat(a.where_col), flat(c.where_col));
        assert!(
            (after[1] - before[1] - 1.0).abs() < 1e-5,
            "{before:?} {after:?}"
        );
        assert_eq!(after[0], before[0]);
        let start = |t: Tensor<B, 3>| t.into_data().to_vec::<f32>().unwrap();
        let (s0, s1) = (start(a.value_start), start(c.value_start));
        // [b=0, c=1, t=2] is index 7 + 2; CELL and CELL_START each add 1.
        assert!((s1[9] - s0[9] - 2.0).abs() < 1e-5);
        assert_eq!(s1[8], s0[8]);
    }

    #[test]
    fn operator_reads_the_value_pointers_only_when_asked() {
        let device = Default::default();
        let (x, s) = (hidden(), structure(&[]));
        let flat = |t: Tensor<B, 3>| t.into_data().to_vec::<f32>().unwrap();
        for op_reads_value in [false, true] {
            let options = HeadOptions {
                op_reads_value,
                where_attention: true,
                agg_reads_question: true,
                family: false,
            };
            let mut heads = SlotHeads::<B>::new(8, 0.0, false, &options, &device);
            if op_reads_value {
                // Zero at initialisation; random weights make the dependence visible.
                heads.op_value = Some(LinearConfig::new(8, 8).init(&device));
            }
            let a = heads.forward(x.clone(), &s); // materialise the lazy weights before cloning
            assert_eq!(a.op.dims(), [2, 2, N_OP]);
            let mut moved = heads.clone();
            moved.start_query = LinearConfig::new(16, 8).init(&device);
            let b = moved.forward(x.clone(), &s);
            assert_ne!(flat(a.value_start), flat(b.value_start));
            let changed = flat(a.op)
                .iter()
                .zip(flat(b.op))
                .any(|(p, q)| (p - q).abs() > 1e-6);
            assert_eq!(changed, op_reads_value);
        }
    }

    #[test]
    fn where_attention_separates_where_from_select() {
        let device = Default::default();
        let (x, s) = (hidden(), structure(&[]));
        let options = HeadOptions {
            op_reads_value: false,
            where_attention: true,
            agg_reads_question: false,
            family: false,
        };
        let heads = SlotHeads::<B>::new(8, 0.0, false, &options, &device);
        let a = heads.forward(x.clone(), &s);
        let mut moved = heads.clone();
        moved.where_attention = Some(LinearConfig::new(8, 8).init(&device));
        let b = moved.forward(x, &s);
        let flat = |t: Tensor<B, 2>| t.into_data().to_vec::<f32>().unwrap();
        assert_eq!(flat(a.sel), flat(b.sel), "select keeps its own attention");
        assert_ne!(flat(a.where_col), flat(b.where_col));
    }

    #[test]
    fn aggregation_reads_the_question_only_when_asked() {
        let device = Default::default();
        let s = structure(&[]);
        // Two inputs that differ only at [CLS] (position 0 is no question piece and no header).
        let x = hidden();
        let mut cls_moved = x.clone().into_data().to_vec::<f32>().unwrap();
        for v in &mut cls_moved[..8] {
            *v += 1.0;
        }
        let y = Tensor::<B, 3>::from_data(TensorData::new(cls_moved, [2, 7, 8]), &device);
        let flat = |t: Tensor<B, 3>| t.into_data().to_vec::<f32>().unwrap();
        for agg_reads_question in [false, true] {
            let options = HeadOptions {
                agg_reads_question,
                ..Default::default()
            };
            let mut heads = SlotHeads::<B>::new(8, 0.0, false, &options, &device);
            let (a, b) = (heads.forward(x.clone(), &s), heads.forward(y.clone(), &s));
            assert_eq!(
                flat(a.agg),
                flat(b.agg),
                "zero at initialisation: no effect yet"
            );
            if agg_reads_question {
                heads.agg_question = Some(LinearConfig::new(8, 8).init(&device));
            }
            let (a, b) = (heads.forward(x.clone(), &s), heads.forward(y.clone(), &s));
            assert_eq!(a.agg.dims(), [2, 2, N_AGG]);
            let changed = flat(a.agg)
                .iter()
                .zip(flat(b.agg))
                .any(|(p, q)| (p - q).abs() > 1e-6);
            assert_eq!(changed, agg_reads_question);
        }
    }
}
