//! `count`: COUNT, SUM or AVG with one condition on a text column, in everyday wording; the
//! condition's value is one of the column's cells.

use super::{noun_for, sketch};
use crate::family::Draft;
use crate::profile::Profile;
use crate::words::{cell_text, fill, pick};
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::{Agg, ColumnType, CondOp, Query};

const COUNT_COND: &[&str] = &[
    "How many {n} have {w} {v}?",
    "How many {n} have a {w} of {v}?",
    "How many {n} are {v}?",
    "Number of {n} with {w} {v}?",
    "how many {n} with {v} as {w}",
    "Count the {n} where {w} is {v}.",
    "How many times does {v} appear as {w}?",
    "How many {n} list {v} as their {w}?",
];
const SUM_COND: &[&str] = &[
    "What is the total {c} for {v}?",
    "What is the total {c} when {w} is {v}?",
    "Sum the {c} of {v}.",
    "total {c} where {w} is {v}",
    "How much {c} in total for {w} {v}?",
];
const AVG_COND: &[&str] = &[
    "What is the average {c} for {v}?",
    "What is the average {c} when {w} is {v}?",
    "average {c} of {w} {v}",
    "What's the mean {c} where {w} is {v}?",
];
/// Longest cell a question quotes.
const MAX_VALUE_CHARS: usize = 40;

pub fn drafts(p: &Profile, rng: &mut StdRng) -> Vec<Draft> {
    let texts: Vec<usize> = (0..p.columns.len())
        .filter(|&i| p.table.types[i] == ColumnType::Text)
        .collect();
    if texts.is_empty() || p.table.rows.is_empty() {
        return Vec::new();
    }
    let w = pick(rng, &texts);
    let row = rng.random_range(0..p.table.rows.len());
    let v = cell_text(p.cell(row, w)).trim().to_string();
    if v.is_empty() || v.chars().count() > MAX_VALUE_CHARS {
        return Vec::new();
    }
    let w_words = &p.columns[w].spoken;
    let noun = noun_for(p, rng);
    let question = fill(
        pick(rng, COUNT_COND),
        &[("n", &noun), ("w", w_words), ("v", &v)],
    );
    let cond = [(w, CondOp::Eq, v.as_str())];
    let mut out = vec![sketch(
        question,
        Query::with_text_conds(0, Agg::Count, &cond),
        rng,
    )];
    let numbers: Vec<usize> = p
        .columns
        .iter()
        .filter(|c| c.role.is_number() && c.index != w)
        .map(|c| c.index)
        .collect();
    if !numbers.is_empty() && rng.random_bool(0.6) {
        let c = pick(rng, &numbers);
        let (agg, templates) = pick(rng, &[(Agg::Sum, SUM_COND), (Agg::Avg, AVG_COND)]);
        let question = fill(
            pick(rng, templates),
            &[("c", &p.columns[c].spoken), ("w", w_words), ("v", &v)],
        );
        out.push(sketch(question, Query::with_text_conds(c, agg, &cond), rng));
    }
    out
}
