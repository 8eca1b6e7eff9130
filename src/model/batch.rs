//! A batch as the slot model consumes it: padded token tensors plus the host-built structure
//! (which word pieces form each header, which are question tokens).

use crate::model::heads::SlotStructure;
use crate::model::input::{pad_batch, EncodedInput, TokenRow};
use crate::train::cache::CachedExample;
use burn::tensor::backend::Backend;
use burn::tensor::{Bool, Int, Tensor, TensorData};
use std::ops::Range;

/// What the heads need to know about one encoded input beyond its token ids.
pub trait SlotRow: TokenRow {
    fn question_tokens(&self) -> Range<usize>;
    fn header_spans(&self) -> &[Range<usize>];
}

impl SlotRow for EncodedInput {
    fn question_tokens(&self) -> Range<usize> {
        self.question_tokens.clone()
    }
    fn header_spans(&self) -> &[Range<usize>] {
        &self.header_spans
    }
}

impl SlotRow for CachedExample {
    fn question_tokens(&self) -> Range<usize> {
        self.question_tokens.clone()
    }
    fn header_spans(&self) -> &[Range<usize>] {
        &self.header_spans
    }
}

/// The shape of one question inside its batch: real column count and question token positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExampleLayout {
    pub n_cols: usize,
    pub question_tokens: Range<usize>,
}

/// Device tensors of one batch.
#[derive(Clone, Debug)]
pub struct ModelBatch<B: Backend> {
    pub ids: Tensor<B, 2, Int>,
    pub type_ids: Tensor<B, 2, Int>,
    /// `[batch, seq]`, true at padding.
    pub pad: Tensor<B, 2, Bool>,
    pub structure: SlotStructure<B>,
    pub layouts: Vec<ExampleLayout>,
}

impl<B: Backend> ModelBatch<B> {
    pub fn new<T: SlotRow>(rows: &[&T], device: &B::Device) -> Self {
        let padded = pad_batch(rows);
        let (batch, seq) = (padded.batch, padded.seq_len);
        let n_cols = rows
            .iter()
            .map(|r| r.header_spans().len())
            .max()
            .unwrap_or(0)
            .max(1);

        let mut pool = vec![0f32; batch * n_cols * seq];
        let mut column_pad = vec![true; batch * n_cols];
        let mut non_question = vec![true; batch * seq];
        let mut layouts = Vec::with_capacity(batch);
        for (b, row) in rows.iter().enumerate() {
            for (c, span) in row.header_spans().iter().enumerate() {
                column_pad[b * n_cols + c] = false;
                let base = (b * n_cols + c) * seq;
                if span.is_empty() {
                    // A header without word pieces is represented by the [SEP] at its place.
                    pool[base + span.start.min(seq - 1)] = 1.0;
                } else {
                    let w = 1.0 / span.len() as f32;
                    pool[base + span.start..base + span.end].fill(w);
                }
            }
            let q = row.question_tokens();
            non_question[b * seq + q.start..b * seq + q.end].fill(false);
            layouts.push(ExampleLayout {
                n_cols: row.header_spans().len(),
                question_tokens: q,
            });
        }

        let ints =
            |v: Vec<i64>| Tensor::<B, 2, Int>::from_data(TensorData::new(v, [batch, seq]), device);
        Self {
            ids: ints(padded.ids),
            type_ids: ints(padded.type_ids),
            pad: Tensor::from_data(TensorData::new(padded.mask, [batch, seq]), device),
            structure: SlotStructure {
                column_pool: Tensor::from_data(TensorData::new(pool, [batch, n_cols, seq]), device),
                column_pad: Tensor::from_data(TensorData::new(column_pad, [batch, n_cols]), device),
                non_question: Tensor::from_data(
                    TensorData::new(non_question, [batch, seq]),
                    device,
                ),
            },
            layouts,
        }
    }

    pub fn n_cols(&self) -> usize {
        self.structure.column_pad.dims()[1]
    }
}
