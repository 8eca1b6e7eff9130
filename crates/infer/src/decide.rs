//! One question's slot scores → the query to answer with: greedy or execution-guided, values
//! snapped to cells or not, as [`AnswerOptions`] say. `predict`, `tune`, validation during
//! training and the answerer all decide here.

use super::decode::{span_text, Decoded};
use super::family_decode::FamilyDecoded;
use super::guided::{decode_guided, greedy, GuidanceConfig};
use super::scores::SlotScores;
use sqlcoder_data::types::{FamilyQuery, Shape, Table};
use sqlcoder_sql::{Executor, SqlValue};
use std::collections::BTreeMap;

/// How questions are decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct AnswerOptions {
    /// Execution-guided decoding (see [`super::guided`]); off: greedy.
    pub guided: bool,
    /// Snap predicted `=` values on text columns to the column's closest cell ([`super::snap`]).
    pub snap_values: bool,
    pub guidance: GuidanceConfig,
    /// Answers less probable than this are flagged as unsure (`Answer::confident`); 0: never.
    pub abstain_below: f32,
    /// The same by the query's first shape ([`Shape::ALL`]'s order): a whole query's probability
    /// shrinks as its slots grow, so each shape may have its own threshold; a shape not listed
    /// uses `abstain_below`.
    pub abstain_below_shape: BTreeMap<Shape, f32>,
    /// The family heads' query beyond the sketch is answered only when the clause heads give
    /// the sketch's shape less than this probability ([`FamilyDecoded::sketch_prob`]); else the
    /// sketch's decoding answers. 1: whenever the heads' choices leave the sketch.
    pub leave_sketch_below: f32,
    /// [`super::family_decode::decode_family`]'s `select_share`: beyond the sketch, a column
    /// whose select probability is at least this share of the top column's is selected too,
    /// whatever the select-count head says. 0: the count head alone.
    pub select_share: f32,
}

impl Default for AnswerOptions {
    fn default() -> Self {
        Self {
            guided: true,
            snap_values: false,
            guidance: GuidanceConfig::default(),
            abstain_below: 0.0,
            abstain_below_shape: BTreeMap::new(),
            leave_sketch_below: 1.0,
            select_share: 0.0,
        }
    }
}

impl AnswerOptions {
    /// The confidence below which an answer running `query` on `table` is flagged as unsure.
    pub fn threshold(&self, query: &FamilyQuery, table: &Table) -> f32 {
        query
            .shapes(table)
            .first()
            .and_then(|s| self.abstain_below_shape.get(s).copied())
            .unwrap_or(self.abstain_below)
    }

    /// Whether `beyond`, the family heads' query beyond the sketch, answers (see
    /// [`Self::leave_sketch_below`]).
    pub fn leaves_sketch(&self, beyond: &FamilyDecoded) -> bool {
        beyond.sketch_prob < self.leave_sketch_below
    }

    /// Plain greedy decoding, values as the question spells them (validation during training).
    pub fn greedy() -> Self {
        Self {
            guided: false,
            ..Default::default()
        }
    }
}

/// The decoded query, and what deciding it found out on the way.
#[derive(Clone, Debug)]
pub struct Decision {
    pub decoded: Decoded,
    /// The query's result when guidance already ran it (`None`: greedy, not executed).
    pub rows: Option<Result<Vec<SqlValue>, String>>,
    /// Guidance replaced the greedy query.
    pub changed: bool,
    /// Conditions whose value is a table cell instead of its question span.
    pub snapped: usize,
}

/// Decodes one question. Guidance runs candidates on `exec`, so without a database the
/// decoding is greedy whatever `options` say.
pub fn decide(
    options: &AnswerOptions,
    scores: &SlotScores,
    question: &str,
    offsets: &[(usize, usize)],
    table: &Table,
    exec: Option<&Executor>,
) -> Decision {
    let snap = options.snap_values;
    let (decoded, rows, changed) = match exec.filter(|_| options.guided) {
        Some(exec) => {
            let g = decode_guided(
                scores,
                question,
                offsets,
                table,
                exec,
                &options.guidance,
                snap,
            );
            (g.decoded, Some(g.rows), g.changed)
        }
        None => (greedy(scores, question, offsets, table, snap), None, false),
    };
    // A condition's value differs from its question span only when it was snapped to a cell.
    let snapped = decoded
        .conds
        .iter()
        .filter(|c| c.value != span_text(question, offsets, c.span))
        .count();
    Decision {
        decoded,
        rows,
        changed,
        snapped,
    }
}
