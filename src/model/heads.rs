//! The six SQLova slot heads over the encoder's hidden states.
//!
//! Every head reads *column features*: a header's pooled word pieces concatenated with an attention
//! summary of the question computed from that column (SQLova's column attention). A column vector
//! alone says what the header is; the attended question context says what the question asks about
//! it, which is what select/where decisions hinge on. Each head gets its own projection of those
//! features because the heads ask different things of the same column.

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{Bool, Tensor};

use crate::model::fast::{dense, dropout};

/// Number of aggregation classes ("", MAX, MIN, COUNT, SUM, AVG).
pub const N_AGG: usize = 6;
/// Operators predicted (=, >, <).
pub const N_OP: usize = 3;
/// Where-count classes: 0..=4 conditions.
pub const N_WHERE: usize = 5;
/// Logit given to masked positions: large enough to vanish under softmax, finite so 0·mask stays 0.
pub const MASKED_LOGIT: f32 = -1.0e4;

/// The structural tensors a batch needs besides token ids (all built on the host from spans).
#[derive(Clone, Debug)]
pub struct SlotStructure<B: Backend> {
    /// `[batch, n_cols, seq]`: row c averages the word pieces of header c.
    pub column_pool: Tensor<B, 3>,
    /// `[batch, n_cols]`: true where the column is padding.
    pub column_pad: Tensor<B, 2, Bool>,
    /// `[batch, seq]`: true where the token is not a question word piece.
    pub non_question: Tensor<B, 2, Bool>,
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
    dropout: Dropout,
}

impl<B: Backend> SlotHeads<B> {
    pub fn new(hidden: usize, dropout: f64, device: &B::Device) -> Self {
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
            dropout: DropoutConfig::new(dropout).init(),
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
        // Every dense layer through `fast::dense`: one flattened product (gemm on ndarray).
        let att = dense(&self.column_attention, columns.clone())
            .matmul(hidden.clone().swap_dims(1, 2)) // [b, c, seq]
            .mask_fill(question_mask.clone(), MASKED_LOGIT);
        let context = softmax(att, 2).matmul(hidden.clone()); // [b, c, d]
        let features = Tensor::cat(vec![columns, context], 2); // [b, c, 2d]

        let column_pad = s.column_pad.clone();
        let project = |layer: &Linear<B>| dense(layer, features.clone()).tanh();

        let sel = dense(&self.sel_out, project(&self.sel_features))
            .squeeze_dim::<2>(2)
            .mask_fill(column_pad.clone(), MASKED_LOGIT);
        let agg = dense(&self.agg_out, project(&self.agg_features));
        let where_col = dense(&self.where_out, project(&self.where_features))
            .squeeze_dim::<2>(2)
            .mask_fill(column_pad.clone(), MASKED_LOGIT);
        let op = dense(&self.op_out, project(&self.op_features));

        // Where-count reads [CLS] beside a mean of the column features (how many columns the
        // question talks about), masked to real columns.
        let real_cols = column_pad.clone().bool_not().float().unsqueeze_dim::<3>(2); // [b, c, 1]
        let n_real = real_cols.clone().sum_dim(1).clamp_min(1.0); // [b, 1, 1]
        let context_summary = (features.clone() * real_cols).sum_dim(1).div(n_real); // [b, 1, 2d]
        let cls = hidden.clone().narrow(1, 0, 1); // [b, 1, d]
        let d = cls.dims()[2];
        let count_in =
            Tensor::cat(vec![cls, context_summary.narrow(2, d, d)], 2).squeeze_dim::<2>(1);
        let where_count = dense(&self.count_out, dense(&self.count_hidden, count_in).tanh());

        // Value pointers: bilinear column × token scores, restricted to question word pieces.
        let tokens_t = hidden.swap_dims(1, 2); // [b, d, seq]
        let value_start = dense(&self.start_query, features.clone())
            .matmul(tokens_t.clone())
            .mask_fill(question_mask.clone(), MASKED_LOGIT);
        let value_end = dense(&self.end_query, features)
            .matmul(tokens_t)
            .mask_fill(question_mask, MASKED_LOGIT);

        SlotLogits {
            sel,
            agg,
            where_count,
            where_col,
            op,
            value_start,
            value_end,
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
    fn shapes_and_masks() {
        let device = Default::default();
        let heads = SlotHeads::<B>::new(8, 0.0, &device);
        let hidden = Tensor::<B, 3>::random([2, 7, 8], Distribution::Normal(0.0, 1.0), &device);
        // Example 0: question tokens 1..3, columns at 4..5 and 6..7; example 1 has one column.
        let mut pool = vec![0f32; 2 * 2 * 7];
        pool[4] = 1.0;
        pool[7 + 6] = 1.0;
        pool[14 + 4] = 1.0;
        let s = SlotStructure {
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
        };
        let out = heads.forward(hidden, &s);
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
}
