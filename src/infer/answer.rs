//! Answering questions: question + table → query, SQL, rows and confidence.
//!
//! [`Answerer`] holds the model and the tokenizer; decoding ([`decode_answer`]) only needs the
//! slot scores, the table and its database, so batched callers can decode in parallel.

use super::decode::span_text;
use super::guided::{decode_guided, execute, greedy, GuidanceConfig};
use super::predictor::{score_questions, PreparedQuestion};
use super::scores::SlotScores;
use super::tuned::TunedDecoding;
use crate::data::types::{Query, Table};
use crate::model::batch::ShapePolicy;
use crate::model::input::{EncodedInput, InputBuilder};
use crate::model::slot_model::SlotModel;
use crate::sql::{self, Executor, SqlValue};
use anyhow::{bail, Context, Result};
use burn::backend::NdArray;
use burn::tensor::backend::Backend;
use std::path::Path;

/// How questions are decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct AnswerOptions {
    /// Execution-guided decoding (see [`super::guided`]); off: greedy.
    pub guided: bool,
    /// Snap predicted `=` values on text columns to the column's closest cell ([`super::snap`]).
    pub snap_values: bool,
    pub guidance: GuidanceConfig,
    /// Answers less probable than this are flagged as unsure ([`Answer::confident`]); 0: never.
    pub abstain_below: f32,
}

impl Default for AnswerOptions {
    fn default() -> Self {
        Self {
            guided: true,
            snap_values: false,
            guidance: GuidanceConfig::default(),
            abstain_below: 0.0,
        }
    }
}

/// The answer to one question.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub table_id: String,
    pub query: Query,
    /// The executed SQL with its values inlined ([`sql::display`]).
    pub sql: String,
    /// WikiSQL's human-readable form ([`crate::data::human::render`]).
    pub human: String,
    /// First column of every result row.
    pub rows: Vec<SqlValue>,
    /// Probability of the decoded query under the model.
    pub confidence: f32,
    /// `confidence` reaches the model's abstain threshold: below it the model is more often
    /// wrong than right (measured on val), and the answer is only a best guess.
    pub confident: bool,
    /// Execution guidance replaced the greedy query (which failed or returned nothing).
    pub guidance_changed: bool,
    /// Values replaced by a table cell (with `snap_values`).
    pub snapped_values: usize,
}

/// The model, its tokenizer and the decoding options. Inference only (NdArray by default).
pub struct Answerer<B: Backend = NdArray> {
    model: SlotModel<B>,
    builder: InputBuilder,
    device: B::Device,
    pub options: AnswerOptions,
    /// How batches are padded ([`ShapePolicy::Buckets`] on GPU backends).
    pub shapes: ShapePolicy,
}

impl<B: Backend> Answerer<B> {
    pub fn new(
        model: SlotModel<B>,
        builder: InputBuilder,
        device: B::Device,
        options: AnswerOptions,
    ) -> Self {
        Self {
            model,
            builder,
            device,
            options,
            shapes: ShapePolicy::Exact,
        }
    }

    /// A trained model folder (`slots.json` + `slots.safetensors`, and `decoding.json` when it
    /// was tuned, which overrides the matching `options`) on top of the pretrained encoder in
    /// `encoder_dir` (whose `tokenizer.json` is used too).
    pub fn load(
        model_dir: &Path,
        encoder_dir: &Path,
        device: B::Device,
        mut options: AnswerOptions,
    ) -> Result<Self> {
        if !model_dir
            .join(crate::model::slot_model::ARTIFACT_META)
            .is_file()
        {
            bail!(
                "no trained model in {}: the model has not been trained or shipped yet \
                 (train with `sqlcoder train`, copy runs/<name>/best there, or pass --model DIR)",
                model_dir.display()
            );
        }
        let builder = InputBuilder::from_file(encoder_dir.join("tokenizer.json"))
            .with_context(|| format!("loading the tokenizer of {}", encoder_dir.display()))?;
        let (model, _spec) = SlotModel::load_artifact(model_dir, encoder_dir, &device)
            .with_context(|| format!("loading the model {}", model_dir.display()))?;
        if let Some(tuned) = TunedDecoding::load(model_dir)? {
            tuned.apply(&mut options);
        }
        Ok(Self::new(model, builder, device, options))
    }

    pub fn builder(&self) -> &InputBuilder {
        &self.builder
    }

    pub fn model(&self) -> &SlotModel<B> {
        &self.model
    }

    pub fn device(&self) -> &B::Device {
        &self.device
    }

    /// Encodes a question against a table; empty and over-long questions are errors.
    pub fn encode(&self, question: &str, table: &Table) -> Result<EncodedInput> {
        encode_question(&self.builder, question, table)
    }

    /// Answers one question about `table`, executing on `exec` (the database holding it).
    pub fn answer(&self, question: &str, table: &Table, exec: &Executor) -> Result<Answer> {
        let input = self.encode(question, table)?;
        let scores = self
            .score(
                &[PreparedQuestion {
                    question,
                    input: &input,
                }],
                1,
            )
            .remove(0);
        decode_answer(&self.options, &scores, question, &input, table, exec)
    }

    /// Answers many questions with batched model calls; results in input order.
    pub fn answer_many(
        &self,
        items: &[(&str, &Table)],
        exec: &Executor,
        batch_size: usize,
    ) -> Vec<Result<Answer>> {
        let inputs: Vec<Result<EncodedInput>> =
            items.iter().map(|(q, t)| self.encode(q, t)).collect();
        let prepared: Vec<PreparedQuestion> = items
            .iter()
            .zip(&inputs)
            .filter_map(|((q, _), i)| {
                i.as_ref()
                    .ok()
                    .map(|input| PreparedQuestion { question: q, input })
            })
            .collect();
        let mut scores = self.score(&prepared, batch_size).into_iter();
        items
            .iter()
            .zip(inputs)
            .map(|((q, t), input)| {
                let input = input?;
                let s = scores.next().expect("one score per encoded question");
                decode_answer(&self.options, &s, q, &input, t, exec)
            })
            .collect()
    }

    /// Slot scores of encoded questions, in input order.
    pub fn score(&self, questions: &[PreparedQuestion<'_>], batch_size: usize) -> Vec<SlotScores> {
        score_questions(
            &self.model,
            questions,
            batch_size,
            self.shapes,
            &self.device,
        )
    }
}

/// Encodes a question against a table; an empty (or whitespace) question and the input
/// builder's refusals (question too long, too many columns) are errors.
pub fn encode_question(
    builder: &InputBuilder,
    question: &str,
    table: &Table,
) -> Result<EncodedInput> {
    if question.trim().is_empty() {
        bail!("empty question: type a question about table {}", table.id);
    }
    Ok(builder.encode(question, &table.header)?)
}

/// Decodes one question's slot scores (greedy or guided, values snapped or not), runs the query
/// and builds the answer. A query that fails to execute is an error.
pub fn decode_answer(
    options: &AnswerOptions,
    scores: &SlotScores,
    question: &str,
    input: &EncodedInput,
    table: &Table,
    exec: &Executor,
) -> Result<Answer> {
    let offsets = &input.question_offsets;
    let (decoded, rows, changed) = if options.guided {
        let g = decode_guided(
            scores,
            question,
            offsets,
            table,
            exec,
            &options.guidance,
            options.snap_values,
        );
        (g.decoded, g.rows, g.changed)
    } else {
        let d = greedy(scores, question, offsets, table, options.snap_values);
        let rows = execute(&d, table, exec);
        (d, rows, false)
    };
    let rows = rows.map_err(|e| anyhow::anyhow!("the predicted query failed to run: {e}"))?;
    // A condition's value differs from its question span only when it was snapped to a cell.
    let snapped_values = decoded
        .conds
        .iter()
        .filter(|c| c.value != span_text(question, offsets, c.span))
        .count();
    let query = decoded.query();
    let stmt = sql::assemble(&query, table)?;
    Ok(Answer {
        table_id: table.id.clone(),
        sql: sql::display(&stmt),
        human: crate::data::human::render(&query, &table.header),
        query,
        rows,
        confidence: decoded.confidence(),
        confident: decoded.confidence() >= options.abstain_below,
        guidance_changed: changed,
        snapped_values,
    })
}
