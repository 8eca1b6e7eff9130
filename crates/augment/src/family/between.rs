//! Ranges: "between 10 and 20", "from 1990 to 2000", "14 to 21" (BETWEEN, inclusive), counted
//! or listed.
//! Both ends are values of the column.

use super::{counted, number_columns, number_words, pick_column, say, selected_items, Draft};
use crate::profile::{number_value, Profile};
use crate::words::{fill, finished, pick};
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::{Condition, FamilyQuery, Predicate};

/// The first two read well before counted things too ("with 200 to 300 pages").
const RANGE: &[&str] = &[
    "between {lo} and {hi}",
    "{lo} to {hi}",
    "from {lo} to {hi}",
    "in the range {lo} to {hi}",
    "between {lo} and {hi} inclusive",
    "{lo} through {hi}",
    "from {lo} through {hi}",
];
const LIST: &[&str] = &[
    "Which {n} have a {c} {r}?",
    "List the {n} with {c} {r}.",
    "{n} whose {c} is {r}",
    "Show the {n} with a {c} {r}.",
    "Which {n} have {c} {r}?",
];
const COUNT: &[&str] = &[
    "How many {n} have a {c} {r}?",
    "Count the {n} with {c} {r}.",
    "number of {n} whose {c} is {r}",
    "How many {n} have {c} {r}?",
];
/// For counted things: "books with between 200 and 300 pages".
const LIST_COUNTED: &[&str] = &[
    "Which {n} have {r} {c}?",
    "{n} with {r} {c}",
    "List the {n} that have {r} {c}.",
];
const COUNT_COUNTED: &[&str] = &["How many {n} have {r} {c}?", "Count the {n} with {r} {c}."];

pub fn draft(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    let col = pick_column(&number_columns(p), rng)?;
    let values = col.distinct_numbers();
    let lo_at = rng.random_range(0..values.len() - 1);
    let hi_at = rng.random_range(lo_at + 1..values.len());
    let (lo, hi) = (values[lo_at], values[hi_at]);
    let (lo_words, hi_words) = (number_words(col, lo, rng), number_words(col, hi, rng));
    let ranges = if counted(col) { &RANGE[..2] } else { RANGE };
    let range = fill(pick(rng, ranges), &[("lo", &lo_words), ("hi", &hi_words)]);
    let count = rng.random_bool(0.35);
    let templates = match (count, counted(col)) {
        (true, true) => COUNT_COUNTED,
        (true, false) => COUNT,
        (false, true) => LIST_COUNTED,
        (false, false) => LIST,
    };
    let question = say(
        pick(rng, templates),
        p,
        &[("c", &col.spoken), ("r", &range)],
    );
    Some(Draft {
        question: finished(question, rng),
        query: FamilyQuery {
            select: selected_items(p, count),
            conds: vec![Condition {
                col: col.index,
                pred: Predicate::Between(number_value(lo), number_value(hi)),
            }],
            ..FamilyQuery::empty()
        },
    })
}
