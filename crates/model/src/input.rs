//! Model input: a question and a table's column names as one BERT sequence,
//! `[CLS] question [SEP] h1 [SEP] h2 [SEP] … hn [SEP]`, token type 0 up to and including the
//! first `[SEP]`, 1 after it.
//!
//! This is exactly what the tokenizer gives for the pair `(question, " [SEP] ".join(headers))`
//! (checked against `fixtures/minilm_reference.json`), but the pieces are tokenized separately
//! and assembled here: the positions of the question and of every header are then known by
//! construction (a `[SEP]` typed inside a question or header cannot shift them), a table's
//! headers can be tokenized once for all its questions, and over-long inputs can be shortened
//! header by header instead of by the tokenizer's blind truncation.
//!
//! Length policy (`max_len`, 512 by default, BERT's position limit):
//! - a question is never cut (the value spans live in it): empty → [`InputError::EmptyQuestion`],
//!   more than `max_len / 2` tokens → [`InputError::QuestionTooLong`];
//! - when the whole input is longer than `max_len`, every header is cut to its first `k` word
//!   pieces, `k` the largest that fits (headers shorter than `k` are untouched, every header keeps
//!   at least one piece); if even `k = 1` cannot fit → [`InputError::TooManyColumns`].

use crate::content::{ContentMatch, TableContent};
use crate::header_text;
use anyhow::{Context, Result};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use sqlcoder_data::types::Table;
use std::ops::Range;
use std::path::Path;
use tokenizers::Tokenizer;

/// BERT's position-embedding limit.
pub const DEFAULT_MAX_LEN: usize = 512;
/// `[PAD]` in the BERT vocabularies (and MiniLM's tokenizer.json); pad type id is 0 as well.
pub const PAD_ID: u32 = 0;

/// Why a question/table pair cannot be encoded. Callers (the cache builder, the server) match on
/// it to count skips or to answer the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("empty question: it has no tokens")]
    EmptyQuestion,
    #[error("question too long: {tokens} tokens, at most {max} allowed")]
    QuestionTooLong { tokens: usize, max: usize },
    #[error("the table has no columns")]
    NoColumns,
    #[error(
        "too many columns: {columns} columns do not fit beside a {question_tokens}-token question \
         in {max_len} tokens even at one token per column name"
    )]
    TooManyColumns {
        columns: usize,
        question_tokens: usize,
        max_len: usize,
    },
    #[error("tokenizer failed: {0}")]
    Tokenizer(String),
}

/// One encoded question/table pair. Positions index `input_ids`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedInput {
    pub input_ids: Vec<u32>,
    pub token_type_ids: Vec<u32>,
    /// Positions of the question's word pieces (`1..1+q`: after `[CLS]`, before the first `[SEP]`).
    pub question_tokens: Range<usize>,
    /// Byte range in the question of each question token (`question_offsets[i]` is the token at
    /// position `question_tokens.start + i`), including any characters the normalizer dropped
    /// right after it (combining marks, control characters), so spans read back whole.
    pub question_offsets: Vec<(usize, usize)>,
    /// Per header, the positions of its word pieces, without the `[SEP]` that follows. Never
    /// empty: a header with no word pieces (empty or only control characters) gets its trailing
    /// `[SEP]` as its span, so the model can pool every span the same way.
    pub header_spans: Vec<Range<usize>>,
    /// `Some(k)` when the input was too long and headers were cut to their first `k` pieces.
    pub header_cap: Option<usize>,
    /// What the question's pieces have in common with the table's cells and headers (empty
    /// unless encoded with the table, [`InputBuilder::encode_table`]).
    pub content: Vec<ContentMatch>,
}

impl EncodedInput {
    pub fn len(&self) -> usize {
        self.input_ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.input_ids.is_empty()
    }
    /// Number of question tokens; question-relative token indices run over `0..question_len()`.
    pub fn question_len(&self) -> usize {
        self.question_tokens.len()
    }

    /// The exact substring of `question` covered by question tokens `start..=end` (question-relative
    /// indices, as in the value-span labels): from the first token's start byte to the last token's
    /// end byte, so punctuation and spacing between them are kept as typed. `None` when the span is
    /// out of range or reversed, or `question` is not the string this input was encoded from.
    pub fn span_to_question_text<'q>(
        &self,
        question: &'q str,
        start: usize,
        end: usize,
    ) -> Option<&'q str> {
        if start > end {
            return None;
        }
        let (from, _) = *self.question_offsets.get(start)?;
        let (_, to) = *self.question_offsets.get(end)?;
        question.get(from..to)
    }
}

/// A table's headers tokenized once (word pieces, no special tokens), reusable for all of the
/// table's questions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenizedHeaders {
    pieces: Vec<Vec<u32>>,
}

impl TokenizedHeaders {
    pub fn len(&self) -> usize {
        self.pieces.len()
    }
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }
}

/// Turns question + headers into [`EncodedInput`]s with the encoder's own tokenizer.
pub struct InputBuilder {
    tokenizer: Tokenizer,
    cls_id: u32,
    sep_id: u32,
    max_len: usize,
    tokenizer_sha256: [u8; 32],
    /// Headers reach the encoder as [`header_text::spoken`] words (a model spec option).
    spoken_headers: bool,
}

impl InputBuilder {
    /// Loads a HF `tokenizer.json`, switching off its own truncation and padding (MiniLM's file
    /// fixes both at 128, which would silently cut tables).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).with_context(|| format!("reading tokenizer {}", path.display()))?;
        Self::from_bytes(&bytes).with_context(|| format!("loading tokenizer {}", path.display()))
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut tokenizer =
            Tokenizer::from_bytes(bytes).map_err(|e| anyhow::anyhow!("invalid tokenizer: {e}"))?;
        tokenizer
            .with_truncation(None)
            .map_err(|e| anyhow::anyhow!("switching off truncation: {e}"))?;
        tokenizer.with_padding(None);
        let special = |t: &str| {
            tokenizer
                .token_to_id(t)
                .with_context(|| format!("tokenizer has no {t} token"))
        };
        let (cls_id, sep_id) = (special("[CLS]")?, special("[SEP]")?);
        Ok(InputBuilder {
            tokenizer,
            cls_id,
            sep_id,
            max_len: DEFAULT_MAX_LEN,
            tokenizer_sha256: Sha256::digest(bytes).into(),
            spoken_headers: false,
        })
    }

    /// Sets the sequence limit (at least 8, so a short question and a column always fit).
    pub fn with_max_len(mut self, max_len: usize) -> Self {
        self.max_len = max_len.max(8);
        self
    }
    pub fn max_len(&self) -> usize {
        self.max_len
    }
    /// Reads headers as [`header_text::spoken`] words, as a model with `spoken_headers` expects.
    pub fn with_spoken_headers(mut self, on: bool) -> Self {
        self.spoken_headers = on;
        self
    }
    pub fn spoken_headers(&self) -> bool {
        self.spoken_headers
    }
    /// A header as the encoder reads it.
    pub fn header_text<'h>(&self, header: &'h str) -> std::borrow::Cow<'h, str> {
        if self.spoken_headers {
            header_text::spoken(header)
        } else {
            std::borrow::Cow::Borrowed(header)
        }
    }
    /// A table's cells and headers indexed for the content features, headers read as the
    /// encoder reads them.
    pub fn table_content(&self, table: &Table) -> TableContent {
        TableContent::with_headers(table, |h| self.header_text(h))
    }
    /// Longest question accepted, in tokens: half the sequence, leaving the rest to the table.
    pub fn max_question_tokens(&self) -> usize {
        self.max_len / 2
    }
    /// Vocabulary size including added tokens (ids are below it).
    pub fn vocab_size(&self) -> usize {
        self.tokenizer.get_vocab_size(true)
    }
    /// SHA-256 of the tokenizer.json bytes: identifies the tokenization a cache was built with.
    pub fn tokenizer_sha256(&self) -> [u8; 32] {
        self.tokenizer_sha256
    }

    /// Encodes one question against one table's headers.
    pub fn encode(&self, question: &str, headers: &[String]) -> Result<EncodedInput, InputError> {
        let headers = self.tokenize_headers(headers)?;
        self.encode_with_headers(question, &headers)
    }

    /// Encodes a question against a whole table: its headers, and what the question has in
    /// common with its cells and headers ([`crate::content`]). Every path that feeds
    /// a question to the model (training cache, validation, answering) encodes this way.
    pub fn encode_table(&self, question: &str, table: &Table) -> Result<EncodedInput, InputError> {
        let headers = self.tokenize_headers(&table.header)?;
        self.encode_with_table(question, &headers, &self.table_content(table))
    }

    /// [`Self::encode_table`] with the table's headers tokenized and its content indexed once,
    /// for many questions about one table.
    pub fn encode_with_table(
        &self,
        question: &str,
        headers: &TokenizedHeaders,
        content: &TableContent,
    ) -> Result<EncodedInput, InputError> {
        let mut input = self.encode_with_headers(question, headers)?;
        input.content = content.matches(question, &input.question_offsets);
        Ok(input)
    }

    /// Encodes many pairs in parallel (rayon); results in input order.
    pub fn encode_many(
        &self,
        items: &[(&str, &[String])],
    ) -> Vec<Result<EncodedInput, InputError>> {
        items
            .par_iter()
            .map(|(question, headers)| self.encode(question, headers))
            .collect()
    }

    /// Tokenizes a table's headers once, for [`Self::encode_with_headers`].
    pub fn tokenize_headers(&self, headers: &[String]) -> Result<TokenizedHeaders, InputError> {
        let pieces = headers
            .iter()
            .map(|h| {
                // encode_fast: header offsets are never needed.
                let enc = self
                    .tokenizer
                    .encode_fast(self.header_text(h).as_ref(), false)
                    .map_err(|e| InputError::Tokenizer(e.to_string()))?;
                Ok(enc.get_ids().to_vec())
            })
            .collect::<Result<_, InputError>>()?;
        Ok(TokenizedHeaders { pieces })
    }

    /// Encodes a question against headers tokenized with [`Self::tokenize_headers`].
    pub fn encode_with_headers(
        &self,
        question: &str,
        headers: &TokenizedHeaders,
    ) -> Result<EncodedInput, InputError> {
        let q = self
            .tokenizer
            .encode(question, false)
            .map_err(|e| InputError::Tokenizer(e.to_string()))?;
        let q_len = q.get_ids().len();
        if q_len == 0 {
            return Err(InputError::EmptyQuestion);
        }
        if q_len > self.max_question_tokens() {
            return Err(InputError::QuestionTooLong {
                tokens: q_len,
                max: self.max_question_tokens(),
            });
        }
        if headers.is_empty() {
            return Err(InputError::NoColumns);
        }
        let header_cap = self.header_cap(q_len, headers)?;
        let cap = header_cap.unwrap_or(usize::MAX);

        let total = 2
            + q_len
            + headers
                .pieces
                .iter()
                .map(|p| p.len().min(cap) + 1)
                .sum::<usize>();
        let mut input_ids = Vec::with_capacity(total);
        input_ids.push(self.cls_id);
        input_ids.extend_from_slice(q.get_ids());
        input_ids.push(self.sep_id);
        let question_part = input_ids.len();
        let mut header_spans = Vec::with_capacity(headers.len());
        for pieces in &headers.pieces {
            let start = input_ids.len();
            input_ids.extend_from_slice(&pieces[..pieces.len().min(cap)]);
            let end = input_ids.len();
            input_ids.push(self.sep_id);
            // An empty header is represented by its [SEP] (see `header_spans`).
            header_spans.push(if end > start {
                start..end
            } else {
                end..end + 1
            });
        }
        let mut token_type_ids = vec![0; question_part];
        token_type_ids.resize(input_ids.len(), 1);
        Ok(EncodedInput {
            input_ids,
            token_type_ids,
            question_tokens: 1..1 + q_len,
            question_offsets: cover_dropped_chars(question, q.get_offsets()),
            header_spans,
            header_cap,
            content: Vec::new(),
        })
    }

    /// `None` when everything fits; else the largest per-header piece count `k` that fits.
    fn header_cap(
        &self,
        q_len: usize,
        headers: &TokenizedHeaders,
    ) -> Result<Option<usize>, InputError> {
        // [CLS] question [SEP], then per header its (capped) pieces and a [SEP].
        let total = |cap: usize| {
            2 + q_len
                + headers
                    .pieces
                    .iter()
                    .map(|p| p.len().min(cap) + 1)
                    .sum::<usize>()
        };
        let longest = headers.pieces.iter().map(Vec::len).max().unwrap_or(0);
        if total(longest) <= self.max_len {
            return Ok(None);
        }
        if total(1) > self.max_len {
            return Err(InputError::TooManyColumns {
                columns: headers.len(),
                question_tokens: q_len,
                max_len: self.max_len,
            });
        }
        // total() is monotone in cap: binary search the largest cap in [1, longest) that fits.
        let (mut fits, mut too_long) = (1, longest);
        while too_long - fits > 1 {
            let mid = (fits + too_long) / 2;
            if total(mid) <= self.max_len {
                fits = mid;
            } else {
                too_long = mid;
            }
        }
        Ok(Some(fits))
    }
}

/// Token byte ranges widened over the characters the normalizer dropped right after them.
///
/// Accent stripping removes combining marks (a Tamil virama, a Thai vowel sign, a decomposed
/// accent) and clean-up removes control characters; the tokenizer's offsets then stop before them,
/// and a value span would lose its last mark ("அனுஷம்" read back as "அனுஷம"). Each token's end is
/// extended over the non-whitespace characters up to the next token's start.
fn cover_dropped_chars(question: &str, offsets: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out = offsets.to_vec();
    for i in 0..out.len() {
        let limit = out.get(i + 1).map_or(question.len(), |next| next.0);
        let end = out[i].1;
        if let Some(gap) = question.get(end..limit.max(end)) {
            out[i].1 += gap
                .chars()
                .take_while(|c| !c.is_whitespace())
                .map(char::len_utf8)
                .sum::<usize>();
        }
    }
    out
}

/// Something that can be a row of a padded batch: an [`EncodedInput`], or a cached training
/// example that stores its ids more compactly.
pub trait TokenRow {
    fn token_len(&self) -> usize;
    /// Writes the row's ids and type ids into the first `token_len()` slots of each slice.
    fn write_row(&self, ids: &mut [i64], type_ids: &mut [i64]);
}

impl TokenRow for EncodedInput {
    fn token_len(&self) -> usize {
        self.input_ids.len()
    }
    fn write_row(&self, ids: &mut [i64], type_ids: &mut [i64]) {
        for (dst, &src) in ids.iter_mut().zip(&self.input_ids) {
            *dst = i64::from(src);
        }
        for (dst, &src) in type_ids.iter_mut().zip(&self.token_type_ids) {
            *dst = i64::from(src);
        }
    }
}

/// Inputs padded to the longest one, row-major `[batch, seq_len]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaddedBatch {
    /// Token ids, [`PAD_ID`] in padding.
    pub ids: Vec<i64>,
    /// Token type ids, 0 in padding.
    pub type_ids: Vec<i64>,
    /// `true` where the position is PADDING (burn's `mask_pad` convention, as `BertModel::forward`
    /// takes it); real tokens are `false`. See [`PaddedBatch::attention_mask`] for the HF form.
    pub mask: Vec<bool>,
    pub batch: usize,
    pub seq_len: usize,
    /// Unpadded length of each row.
    pub lengths: Vec<usize>,
}

impl PaddedBatch {
    /// HF-style attention mask: 1 for real tokens, 0 for padding.
    pub fn attention_mask(&self) -> Vec<i64> {
        self.mask.iter().map(|&pad| i64::from(!pad)).collect()
    }
}

/// Pads `inputs` to the longest one.
pub fn pad_batch<T: TokenRow>(inputs: &[&T]) -> PaddedBatch {
    let longest = inputs.iter().map(|r| r.token_len()).max().unwrap_or(0);
    pad_batch_to(inputs, longest)
}

/// Pads `inputs` to `seq_len` tokens (at least the longest input's length).
pub fn pad_batch_to<T: TokenRow>(inputs: &[&T], seq_len: usize) -> PaddedBatch {
    let batch = inputs.len();
    let lengths: Vec<usize> = inputs.iter().map(|r| r.token_len()).collect();
    let seq_len = lengths.iter().copied().max().unwrap_or(0).max(seq_len);
    let mut ids = vec![i64::from(PAD_ID); batch * seq_len];
    let mut type_ids = vec![0; batch * seq_len];
    let mut mask = vec![true; batch * seq_len];
    for (b, row) in inputs.iter().enumerate() {
        let span = b * seq_len..(b + 1) * seq_len;
        row.write_row(&mut ids[span.clone()], &mut type_ids[span.clone()]);
        mask[span.start..span.start + lengths[b]].fill(false);
    }
    PaddedBatch {
        ids,
        type_ids,
        mask,
        batch,
        seq_len,
        lengths,
    }
}
