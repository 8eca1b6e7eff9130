//! Predicting a whole split: every question encoded, scored in batches, decoded (greedy or
//! execution-guided) into the official prediction list.

use super::answer::{encode_question, AnswerOptions, Answerer};
use super::decode::{span_text, Decoded};
use super::guided::{decode_guided, greedy};
use super::predictor::PreparedQuestion;
use super::scores::SlotScores;
use crate::data::types::{Example, Table};
use crate::eval::Prediction;
use crate::model::input::EncodedInput;
use crate::sql::Executor;
use anyhow::{anyhow, Context, Result};
use burn::tensor::backend::Backend;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Questions scored per model call group between progress reports.
const PROGRESS_CHUNK: usize = 1024;

/// What happened while predicting a split.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SplitStats {
    pub questions: usize,
    /// Questions that could not be encoded (their line is an error).
    pub not_encoded: usize,
    /// Queries execution guidance replaced.
    pub guidance_changed: usize,
    /// Conditions whose value was snapped to a cell.
    pub snapped_values: usize,
}

/// Predictions for `examples` (in order), executing on `db` when guidance needs it.
pub fn predict_split<B: Backend>(
    answerer: &Answerer<B>,
    examples: &[Example],
    tables: &BTreeMap<String, Table>,
    db: &Path,
    batch_size: usize,
    progress: bool,
) -> Result<(Vec<Prediction>, SplitStats)> {
    if answerer.options.guided {
        Executor::open(db).context("execution guidance needs the split's database")?;
    }
    let scored = score_split(answerer, examples, tables, batch_size, progress);
    let (decoded, stats) = decode_split(&scored, &answerer.options, db)?;
    let preds = decoded.into_iter().map(|d| d.map(|d| d.query())).collect();
    Ok((preds, stats))
}

/// A split's questions, encoded and scored by the model, ready to be decoded in any way.
pub struct ScoredSplit<'a> {
    examples: &'a [Example],
    /// Per question: its table, and its encoding or why it has none.
    encoded: Vec<(Option<&'a Table>, Result<EncodedInput, String>)>,
    /// Indices of the encoded questions, and their slot scores (same order).
    ok: Vec<usize>,
    scores: Vec<SlotScores>,
}

/// Encodes every question of `examples` and scores the encodable ones in batches.
pub fn score_split<'a, B: Backend>(
    answerer: &Answerer<B>,
    examples: &'a [Example],
    tables: &'a BTreeMap<String, Table>,
    batch_size: usize,
    progress: bool,
) -> ScoredSplit<'a> {
    let builder = answerer.builder();
    let encoded: Vec<(Option<&Table>, Result<EncodedInput, String>)> = examples
        .par_iter()
        .map(|e| match tables.get(&e.table_id) {
            Some(t) => (
                Some(t),
                encode_question(builder, &e.question, t).map_err(|err| format!("{err:#}")),
            ),
            None => (None, Err(format!("unknown table {:?}", e.table_id))),
        })
        .collect();
    let ok: Vec<usize> = (0..examples.len())
        .filter(|&i| encoded[i].1.is_ok())
        .collect();

    let mut scores: Vec<SlotScores> = Vec::with_capacity(ok.len());
    for chunk in ok.chunks(PROGRESS_CHUNK) {
        let prepared: Vec<PreparedQuestion> = chunk
            .iter()
            .map(|&i| PreparedQuestion {
                question: &examples[i].question,
                input: encoded[i].1.as_ref().unwrap(),
            })
            .collect();
        scores.extend(answerer.score(&prepared, batch_size));
        if progress {
            eprintln!("scored {}/{} questions", scores.len(), ok.len());
        }
    }
    ScoredSplit {
        examples,
        encoded,
        ok,
        scores,
    }
}

/// Decodes a scored split (greedy or guided, as `options` say), in the split's order; a question
/// that could not be encoded is an `Err` with the reason.
pub fn decode_split(
    scored: &ScoredSplit<'_>,
    options: &AnswerOptions,
    db: &Path,
) -> Result<(Vec<Result<Decoded, String>>, SplitStats)> {
    let ScoredSplit {
        examples,
        encoded,
        ok,
        scores,
    } = scored;
    let decisions: Vec<Result<(Decoded, bool)>> = ok
        .par_iter()
        .zip(scores)
        .map_init(
            || options.guided.then(|| Executor::open(db)),
            |exec, (&i, s)| {
                let table = encoded[i].0.expect("encoded questions have tables");
                let question = &examples[i].question;
                let offsets = &encoded[i].1.as_ref().unwrap().question_offsets;
                match exec {
                    Some(Ok(exec)) => {
                        let g = decode_guided(
                            s,
                            question,
                            offsets,
                            table,
                            exec,
                            &options.guidance,
                            options.snap_values,
                        );
                        Ok((g.decoded, g.changed))
                    }
                    Some(Err(e)) => Err(anyhow!("cannot open {}: {e:#}", db.display())),
                    None => Ok((
                        greedy(s, question, offsets, table, options.snap_values),
                        false,
                    )),
                }
            },
        )
        .collect();

    let mut stats = SplitStats {
        questions: examples.len(),
        not_encoded: examples.len() - ok.len(),
        ..Default::default()
    };
    let mut out: Vec<Result<Decoded, String>> = encoded
        .iter()
        .map(|(_, r)| Err(r.as_ref().err().cloned().unwrap_or_default()))
        .collect();
    for (&i, decision) in ok.iter().zip(decisions) {
        let (decoded, changed) = decision?;
        let question = &examples[i].question;
        let offsets = &encoded[i].1.as_ref().unwrap().question_offsets;
        stats.guidance_changed += usize::from(changed);
        stats.snapped_values += decoded
            .conds
            .iter()
            .filter(|c| c.value != span_text(question, offsets, c.span))
            .count();
        out[i] = Ok(decoded);
    }
    Ok((out, stats))
}
