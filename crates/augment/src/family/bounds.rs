//! Inclusive bounds: "at least", "at most", "no more than", "or more", "or later" (`>=`, `<=`).
//! The bound is one of the column's own values, so the row holding it is in the answer.

use super::{
    compare, counted, number_columns, number_words, pick_column, say, selected_items, Draft,
};
use crate::profile::{number_value, Profile};
use crate::roles::Role;
use crate::words::{fill, finished, pick};
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::{CmpOp, FamilyQuery};

const AT_LEAST: &[&str] = &[
    "at least {v}",
    "{v} or more",
    "no less than {v}",
    "{v} or above",
    "a minimum of {v}",
];
const AT_MOST: &[&str] = &[
    "at most {v}",
    "no more than {v}",
    "{v} or less",
    "up to {v}",
    "not more than {v}",
];
const LATER: &[&str] = &["{v} or later", "no earlier than {v}", "{v} or after"];
const EARLIER: &[&str] = &["{v} or earlier", "no later than {v}", "{v} or before"];
const LIST: &[&str] = &[
    "Which {n} have a {c} of {b}?",
    "List the {n} whose {c} is {b}.",
    "{n} with {c} {b}",
    "Show the {n} with a {c} of {b}.",
    "Which {n} have {c} {b}?",
];
const LIST_TALLY: &[&str] = &[
    "Which {n} have {b} {c}?",
    "{n} with {b} {c}",
    "List the {n} that have {b} {c}.",
];
const COUNT: &[&str] = &[
    "How many {n} have a {c} of {b}?",
    "How many {n} have {c} {b}?",
    "Count the {n} with {c} {b}.",
    "number of {n} whose {c} is {b}",
];
const COUNT_TALLY: &[&str] = &["How many {n} have {b} {c}?", "Count the {n} with {b} {c}."];

pub fn draft(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    let col = pick_column(&number_columns(p), rng)?;
    let values = col.distinct_numbers();
    let at_least = rng.random_bool(0.5);
    // Not the extreme value: the bound then leaves some rows out.
    let v = if at_least {
        values[rng.random_range(1..values.len())]
    } else {
        values[rng.random_range(0..values.len() - 1)]
    };
    let phrases = match (col.role, at_least) {
        (Role::Year, true) => LATER,
        (Role::Year, false) => EARLIER,
        (_, true) => AT_LEAST,
        (_, false) => AT_MOST,
    };
    let v_words = number_words(col, v, rng);
    let bound = fill(pick(rng, phrases), &[("v", &v_words)]);
    let count = rng.random_bool(0.35);
    let templates = match (count, counted(col)) {
        (true, true) => COUNT_TALLY,
        (true, false) => COUNT,
        (false, true) => LIST_TALLY,
        (false, false) => LIST,
    };
    let question = say(
        pick(rng, templates),
        p,
        &[("c", &col.spoken), ("b", &bound)],
    );
    let op = if at_least { CmpOp::Ge } else { CmpOp::Le };
    Some(Draft {
        question: finished(question, rng),
        query: FamilyQuery {
            select: selected_items(p, count),
            conds: vec![compare(col.index, op, number_value(v))],
            ..FamilyQuery::empty()
        },
    })
}
