//! Training targets for the slot heads, from a gold query and its encoded input.
//!
//! Value spans are QUESTION-RELATIVE token indices, inclusive: `(0, 0)` is the first question
//! token, i.e. position `input.question_tokens.start` of `input_ids`, and
//! `EncodedInput::span_to_question_text(question, start, end)` turns a span back into text.
//! A value that cannot be found in the question gets `None`: its span loss is masked out while the
//! condition's column and operator are still trained.

use crate::family_labels::{predicate_span, FamilyLabels, LimitLabel};
use rayon::prelude::*;
use sqlcoder_data::types::{FamilyQuery, Predicate};
use sqlcoder_data::{Example, Table};
use sqlcoder_model::family_classes::op_class;
use sqlcoder_model::heads::{N_AGG, N_OP};
use sqlcoder_model::input::{EncodedInput, InputBuilder};
use std::collections::BTreeMap;

/// The slot targets of one example. Conditions are in gold order: `where_cols[i]`, `ops[i]` and
/// `value_spans[i]` describe condition `i`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotLabels {
    /// The first selected column (0 when only `COUNT(*)` is selected: see `family.items`).
    pub sel: usize,
    /// Index into `AGG_NAMES` (or `COUNT(DISTINCT)`, [`sqlcoder_model::family_classes::ITEM_AGGS`]).
    pub agg: usize,
    pub where_count: usize,
    pub where_cols: Vec<usize>,
    /// Index into [`sqlcoder_model::family_classes::OP_CLASSES`] (the sketch's `OP_NAMES` first),
    /// per condition; `None` for an operator no class writes.
    pub ops: Vec<Option<usize>>,
    /// Question-relative token span (inclusive) of each condition's value, `None` if not found.
    pub value_spans: Vec<Option<(usize, usize)>>,
    /// The clauses beyond the sketch ("none" for a WikiSQL question).
    pub family: FamilyLabels,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("column {col} out of range: the table has {columns} columns")]
    ColumnOutOfRange { col: usize, columns: usize },
}

impl SlotLabels {
    /// Labels `example`, whose question and table headers were encoded into `input`.
    pub fn from_example(example: &Example, input: &EncodedInput) -> Result<Self, LabelError> {
        Self::from_family(&example.question, &FamilyQuery::from(&example.query), input)
    }

    /// Labels `query` asked as `question`, encoded into `input` with its table's headers.
    pub fn from_family(
        question: &str,
        query: &FamilyQuery,
        input: &EncodedInput,
    ) -> Result<Self, LabelError> {
        let columns = input.header_spans.len();
        let family = FamilyLabels::new(question, &input.question_offsets, query);
        let named = family.columns().chain(query.conds.iter().map(|c| c.col));
        for col in named {
            if col >= columns {
                return Err(LabelError::ColumnOutOfRange { col, columns });
            }
        }
        let (sel, agg) = family.items.first().copied().unwrap_or((0, 0));
        let conds = &query.conds;
        Ok(SlotLabels {
            sel,
            agg,
            where_count: conds.len(),
            where_cols: conds.iter().map(|c| c.col).collect(),
            ops: conds.iter().map(|c| op_class(&c.pred)).collect(),
            value_spans: conds
                .iter()
                .map(|c| predicate_span(question, &input.question_offsets, &c.pred))
                .collect(),
            family,
        })
    }

    /// Whether the labelled query is in WikiSQL's sketch, read off the labels by
    /// [`FamilyQuery::to_sketch`]'s rule: one column item with a sketch aggregate, conditions
    /// `=`/`>`/`<` (OR only with one of them), no other clause.
    pub fn in_sketch(&self) -> bool {
        let f = &self.family;
        matches!(f.items.as_slice(), [(_, agg)] if *agg < N_AGG)
            && !f.count_rows
            && !f.distinct
            && (!f.or || self.where_count < 2)
            && f.group_by.is_none()
            && f.having.is_none()
            && f.order.is_none()
            && f.limit == LimitLabel::None
            && self
                .ops
                .iter()
                .all(|op| op.is_some_and(|class| class < N_OP))
    }
}

/// How many condition values were found in their questions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ValueCoverage {
    pub conditions: usize,
    /// Values with a span.
    pub found: usize,
    /// Values whose span text equals the value case-insensitively (Python `str(value).lower()`),
    /// i.e. copying the span would give the gold value for logical-form accuracy.
    pub exact_text: usize,
}

impl ValueCoverage {
    /// Counts `query`'s condition values, asked as `question` and labelled `labels`. A
    /// BETWEEN's span holds both bounds and a LIKE's its text: those count as found, never exact.
    pub fn add(
        &mut self,
        question: &str,
        query: &FamilyQuery,
        input: &EncodedInput,
        labels: &SlotLabels,
    ) {
        for (cond, span) in query.conds.iter().zip(&labels.value_spans) {
            self.conditions += 1;
            let Some((start, end)) = *span else { continue };
            self.found += 1;
            let Predicate::Compare(_, value) = &cond.pred else {
                continue;
            };
            let text = input.span_to_question_text(question, start, end);
            if text.map(str::to_lowercase) == Some(value.python_str().to_lowercase()) {
                self.exact_text += 1;
            }
        }
    }
    pub fn merge(mut self, other: ValueCoverage) -> ValueCoverage {
        self.conditions += other.conditions;
        self.found += other.found;
        self.exact_text += other.exact_text;
        self
    }
    /// Share of conditions whose value was found (1.0 when there are none).
    pub fn found_share(&self) -> f64 {
        share(self.found, self.conditions)
    }
    pub fn exact_share(&self) -> f64 {
        share(self.exact_text, self.conditions)
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// Value coverage over a dataset, in parallel. Examples that cannot be encoded or labelled
/// (unknown table, too long, bad column) are left out; the cache builder reports those.
pub fn value_coverage(
    examples: &[Example],
    tables: &BTreeMap<String, Table>,
    builder: &InputBuilder,
) -> ValueCoverage {
    examples
        .par_iter()
        .filter_map(|ex| {
            let table = tables.get(&ex.table_id)?;
            let input = builder.encode(&ex.question, &table.header).ok()?;
            let labels = SlotLabels::from_example(ex, &input).ok()?;
            let mut cov = ValueCoverage::default();
            cov.add(&ex.question, &FamilyQuery::from(&ex.query), &input, &labels);
            Some(cov)
        })
        .reduce(ValueCoverage::default, ValueCoverage::merge)
}
