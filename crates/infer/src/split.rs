//! Predicting a whole split: every question encoded, scored in batches, decoded (greedy or
//! execution-guided) into the official prediction list.

use super::answer::{encode_question, Answerer};
use super::decide::{decide, AnswerOptions};
use super::decode::Decoded;
use super::family_decode::{decode_family, FamilyDecoded};
use super::scores::SlotScores;
use anyhow::{anyhow, Context, Result};
use burn::tensor::backend::Backend;
use rayon::prelude::*;
use serde::Serialize;
use sqlcoder_data::types::{Example, Table};
use sqlcoder_eval::PredictionLine;
use sqlcoder_model::input::EncodedInput;
use sqlcoder_sql::Executor;
use std::collections::BTreeMap;
use std::path::Path;

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
    /// Questions the family heads answer beyond WikiSQL's sketch (written `"query": null`, which
    /// WikiSQL's scoring counts wrong).
    pub beyond_sketch: usize,
}

/// Predictions for `examples` (in order), executing on `db` when guidance needs it: the family
/// heads' query where they write a well-formed one beyond the sketch (as `ask` answers), else
/// the sketch's decoding.
pub fn predict_split<B: Backend>(
    answerer: &Answerer<B>,
    examples: &[Example],
    tables: &BTreeMap<String, Table>,
    db: &Path,
    batch_size: usize,
    progress: bool,
) -> Result<(Vec<PredictionLine>, SplitStats)> {
    if answerer.options.guided {
        Executor::open(db).context("execution guidance needs the split's database")?;
    }
    let scored = score_split(answerer, examples, tables, batch_size, progress);
    let (decoded, mut stats) = decode_split(&scored, &answerer.options, db)?;
    let preds: Vec<PredictionLine> = decoded
        .into_iter()
        .zip(scored.beyond_sketch(&answerer.options))
        .map(|(d, beyond)| match (d, beyond) {
            (Err(e), _) => PredictionLine::Error(e),
            (Ok(_), Some(d)) => PredictionLine::Beyond {
                family: d.query,
                sketch_prob: d.sketch_prob,
            },
            (Ok(d), None) => PredictionLine::Sketch(d.query()),
        })
        .collect();
    stats.beyond_sketch = preds
        .iter()
        .filter(|p| matches!(p, PredictionLine::Beyond { .. }))
        .count();
    Ok((preds, stats))
}

/// A split's questions, encoded and scored by the model, ready to be decoded in any way.
pub struct ScoredSplit<'a> {
    examples: &'a [Example],
    /// Per question: its table, and its encoding or why it has none.
    encoded: Vec<(Option<&'a Table>, Result<EncodedInput, String>)>,
    /// Per question: its slot scores (`None` where it could not be encoded).
    scores: Vec<Option<SlotScores>>,
}

impl ScoredSplit<'_> {
    /// Per question: the family heads' well-formed query where they write one beyond the sketch
    /// and `options` let it leave the sketch.
    fn beyond_sketch(&self, options: &AnswerOptions) -> Vec<Option<FamilyDecoded>> {
        self.well_formed_beyond(options.select_share)
            .into_iter()
            .map(|d| d.filter(|d| options.leaves_sketch(d)))
            .collect()
    }

    /// Per question: the family heads' well-formed query beyond the sketch, whatever its
    /// [`FamilyDecoded::sketch_prob`] (its select list widened by `select_share`, as
    /// [`decode_family`] says).
    pub fn well_formed_beyond(&self, select_share: f32) -> Vec<Option<FamilyDecoded>> {
        self.encoded
            .iter()
            .zip(&self.scores)
            .zip(self.examples)
            .map(|(((table, input), s), example)| {
                let (Some(table), Ok(input), Some(s)) = (table, input, s) else {
                    return None;
                };
                decode_family(
                    s,
                    &example.question,
                    &input.question_offsets,
                    table,
                    select_share,
                )
                .filter(|d| d.well_formed)
            })
            .collect()
    }
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
    let (tables_of, encoded): (Vec<Option<&Table>>, Vec<Result<EncodedInput, String>>) = examples
        .par_iter()
        .map(|e| match tables.get(&e.table_id) {
            Some(t) => (
                Some(t),
                encode_question(builder, &e.question, t).map_err(|err| format!("{err:#}")),
            ),
            None => (None, Err(format!("unknown table {:?}", e.table_id))),
        })
        .unzip();
    let scores = answerer
        .scorer(batch_size)
        .score_encoded(&encoded, |done, all| {
            if progress {
                eprintln!("scored {done}/{all} questions");
            }
        });
    ScoredSplit {
        examples,
        encoded: tables_of.into_iter().zip(encoded).collect(),
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
        scores,
    } = scored;
    let decisions: Vec<Result<Option<(Decoded, bool, usize)>>> = encoded
        .par_iter()
        .zip(scores)
        .zip(examples.par_iter())
        .map_init(
            || options.guided.then(|| Executor::open(db)),
            |exec, (((table, input), s), example)| {
                let (Some(table), Ok(input), Some(s)) = (table, input, s) else {
                    return Ok(None);
                };
                let exec = match exec {
                    Some(Ok(exec)) => Some(&*exec),
                    Some(Err(e)) => return Err(anyhow!("cannot open {}: {e:#}", db.display())),
                    None => None,
                };
                let offsets = &input.question_offsets;
                let d = decide(options, s, &example.question, offsets, table, exec);
                Ok(Some((d.decoded, d.changed, d.snapped)))
            },
        )
        .collect();

    let mut stats = SplitStats {
        questions: examples.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(examples.len());
    for ((_, input), decision) in encoded.iter().zip(decisions) {
        match decision? {
            Some((decoded, changed, snapped)) => {
                stats.guidance_changed += usize::from(changed);
                stats.snapped_values += snapped;
                out.push(Ok(decoded));
            }
            None => {
                stats.not_encoded += 1;
                out.push(Err(input.as_ref().err().cloned().unwrap_or_default()));
            }
        }
    }
    Ok((out, stats))
}
