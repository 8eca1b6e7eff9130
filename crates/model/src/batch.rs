//! A batch as the slot model consumes it: padded token tensors plus the host-built structure
//! (which word pieces form each header, which are question tokens).
//!
//! [`ShapePolicy`] decides how far a batch is padded. On the CPU, exact lengths waste no work.
//! On a GPU every new tensor shape costs kernel compilations (seconds each,
//! see `experiments/gpu/README.md`), so there batches are padded to a few fixed shapes:
//! sequence lengths from [`SEQ_BUCKETS`], column counts from [`COL_BUCKETS`], and a fixed row
//! count filled with dummy rows. Padding never changes a real row's scores: padded tokens and
//! columns are masked, dummy rows are copies of the first row that no loss, metric or
//! prediction reads (only the first `layouts.len()` rows are real).

use crate::content::{ContentMatch, COLUMN_KINDS, TOKEN_KINDS};
use crate::heads::SlotStructure;
use crate::input::{pad_batch_to, EncodedInput, TokenRow};
use burn::tensor::backend::Backend;
use burn::tensor::{Bool, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Sequence lengths a bucketed batch is padded to (longer inputs: the next multiple of 256;
/// the input builder stops at 512, BERT's position limit).
pub const SEQ_BUCKETS: [usize; 8] = [32, 48, 64, 96, 128, 192, 256, 512];
/// Column counts a bucketed batch is padded to (wider tables: the next multiple of 64). One
/// bucket up to 32: with a 16 bucket beside it, an epoch of the train split touched 12 shapes
/// instead of 7, and the heads' cost at 32 columns is under a fifth of the encoder's.
pub const COL_BUCKETS: [usize; 2] = [32, 64];

/// How a batch's tensors are shaped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShapePolicy {
    /// Longest row, widest table, as many rows as given (CPU: no wasted work).
    #[default]
    Exact,
    /// Lengths and column counts rounded up to the buckets, rows filled up to the batch size
    /// (GPU: a handful of shapes, so kernels compile once).
    Buckets,
}

/// `[rows, seq, cols]` of a batch's tensors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BatchShape {
    pub rows: usize,
    pub seq: usize,
    pub cols: usize,
}

fn bucket(n: usize, buckets: &[usize], step: usize) -> usize {
    buckets
        .iter()
        .copied()
        .find(|&b| b >= n)
        .unwrap_or_else(|| n.div_ceil(step) * step)
}

impl ShapePolicy {
    /// The shape of a batch of `rows` whose longest input has `longest` tokens and widest table
    /// `widest` columns; `batch_size` is the caller's batch size (never fewer rows than given).
    pub fn shape(
        self,
        rows: usize,
        longest: usize,
        widest: usize,
        batch_size: usize,
    ) -> BatchShape {
        let widest = widest.max(1);
        match self {
            ShapePolicy::Exact => BatchShape {
                rows,
                seq: longest,
                cols: widest,
            },
            ShapePolicy::Buckets => BatchShape {
                rows: rows.max(batch_size),
                seq: bucket(longest, &SEQ_BUCKETS, 256),
                cols: bucket(widest, &COL_BUCKETS, 64),
            },
        }
    }

    /// The shape [`ModelBatch::shaped`] gives these rows.
    pub fn shape_of<T: SlotRow>(self, rows: &[&T], batch_size: usize) -> BatchShape {
        let longest = rows.iter().map(|r| r.token_len()).max().unwrap_or(0);
        let widest = rows
            .iter()
            .map(|r| r.header_spans().len())
            .max()
            .unwrap_or(0);
        self.shape(rows.len(), longest, widest, batch_size)
    }
}

/// What the heads need to know about one encoded input beyond its token ids.
pub trait SlotRow: TokenRow {
    fn question_tokens(&self) -> Range<usize>;
    fn header_spans(&self) -> &[Range<usize>];
    /// Table-content matches of the question's pieces ([`crate::content`]).
    fn content(&self) -> &[ContentMatch];
}

/// [`SlotRow`] for a row type that stores `question_tokens`, `header_spans` and `content` as
/// fields under those names (the encoded input here, the training cache's row in `train`).
#[macro_export]
macro_rules! slot_row_from_fields {
    ($row:ty) => {
        impl $crate::batch::SlotRow for $row {
            fn question_tokens(&self) -> std::ops::Range<usize> {
                self.question_tokens.clone()
            }
            fn header_spans(&self) -> &[std::ops::Range<usize>] {
                &self.header_spans
            }
            fn content(&self) -> &[$crate::content::ContentMatch] {
                &self.content
            }
        }
    };
}
slot_row_from_fields!(EncodedInput);

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
    /// `rows` padded to the longest row and the widest table.
    pub fn new<T: SlotRow>(rows: &[&T], device: &B::Device) -> Self {
        Self::shaped(rows, ShapePolicy::Exact, rows.len(), device)
    }

    /// `rows` shaped by `policy` for batches of `batch_size`; any dummy rows come last.
    pub fn shaped<T: SlotRow>(
        rows: &[&T],
        policy: ShapePolicy,
        batch_size: usize,
        device: &B::Device,
    ) -> Self {
        let shape = policy.shape_of(rows, batch_size);
        // Dummy rows repeat the first row: real inputs keep every tensor finite, which an
        // all-padding row (fully masked attention) would only do by the grace of the mask value.
        let mut all: Vec<&T> = rows.to_vec();
        if let Some(&first) = rows.first() {
            all.resize(shape.rows, first);
        }
        let padded = pad_batch_to(&all, shape.seq);
        let (batch, seq, n_cols) = (padded.batch, padded.seq_len, shape.cols);

        let mut pool = vec![0f32; batch * n_cols * seq];
        let (kt, kc) = (TOKEN_KINDS.len(), COLUMN_KINDS.len());
        let mut content_tokens = vec![0f32; batch * n_cols * seq * kt];
        let mut content_columns = vec![0f32; batch * n_cols * kc];
        let mut column_pad = vec![true; batch * n_cols];
        let mut non_question = vec![true; batch * seq];
        let mut layouts = Vec::with_capacity(batch);
        for (b, row) in all.iter().enumerate() {
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
            let row_cols = row.header_spans().len();
            for m in row.content() {
                let (col, pos) = (usize::from(m.col), q.start + usize::from(m.token));
                if col >= row_cols || pos >= q.end {
                    continue;
                }
                let at = ((b * n_cols + col) * seq + pos) * kt;
                for (i, &kind) in TOKEN_KINDS.iter().enumerate() {
                    if m.kinds & kind != 0 {
                        content_tokens[at + i] = 1.0;
                    }
                }
                for (i, &kind) in COLUMN_KINDS.iter().enumerate() {
                    if m.kinds & kind != 0 {
                        content_columns[(b * n_cols + col) * kc + i] = 1.0;
                    }
                }
            }
            if b < rows.len() {
                layouts.push(ExampleLayout {
                    n_cols: row.header_spans().len(),
                    question_tokens: q,
                });
            }
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
                content_tokens: Tensor::from_data(
                    TensorData::new(content_tokens, [batch, n_cols, seq, kt]),
                    device,
                ),
                content_columns: Tensor::from_data(
                    TensorData::new(content_columns, [batch, n_cols, kc]),
                    device,
                ),
            },
            layouts,
        }
    }

    pub fn n_cols(&self) -> usize {
        self.structure.column_pad.dims()[1]
    }

    /// Rows that hold real questions (the first ones; the rest are dummies).
    pub fn real_rows(&self) -> usize {
        self.layouts.len()
    }

    /// `[rows, seq, cols]` of the batch's tensors.
    pub fn shape(&self) -> BatchShape {
        let [rows, seq] = self.ids.dims();
        BatchShape {
            rows,
            seq,
            cols: self.n_cols(),
        }
    }
}
