//! `whole`: questions without a condition: how many rows, the SUM/AVG/MAX/MIN of a number
//! column, all of a column.

use super::{noun_for, sketch};
use crate::family::Draft;
use crate::profile::Profile;
use crate::words::{fill, pick};
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::{Agg, Query};

const COUNT_WHOLE: &[&str] = &[
    "How many {n} are there?",
    "How many {n} are listed?",
    "how many {n} are in the table",
    "Count the {n}.",
    "What is the number of {n}?",
    "How many {n} do we have?",
    "Total number of {n}?",
    "how many {n} in total?",
    "What's the count of {n}?",
    "Give me the number of {n}.",
    "How many {n} does the list have?",
    "number of {n}",
];
const SUM_WHOLE: &[&str] = &[
    "What is the total {c}?",
    "What is the sum of the {c}?",
    "Add up all the {c}.",
    "total {c}?",
    "What's the combined {c}?",
    "How much {c} is there in total?",
    "What is the {c} in total?",
    "sum of {c}",
    "Give me the total {c}.",
];
const AVG_WHOLE: &[&str] = &[
    "What is the average {c}?",
    "What's the mean {c}?",
    "average {c}",
    "On average, what is the {c}?",
    "What is the {c} on average?",
    "What is the typical {c} on average?",
    "Give me the mean {c}.",
    "avg {c}?",
];
const MAX_WHOLE: &[&str] = &[
    "What is the highest {c}?",
    "What is the maximum {c}?",
    "largest {c}?",
    "What's the biggest {c}?",
    "What is the greatest {c}?",
    "max {c}",
    "What is the top {c}?",
    "Give me the highest {c}.",
];
const MIN_WHOLE: &[&str] = &[
    "What is the lowest {c}?",
    "What is the minimum {c}?",
    "smallest {c}?",
    "What's the least {c}?",
    "min {c}",
    "What is the smallest {c} listed?",
    "Give me the lowest {c}.",
];
const LIST_WHOLE: &[&str] = &[
    "List all the {c}.",
    "Show every {c}.",
    "What are all the {c} values?",
    "Give me all the {c}.",
    "list the {c}",
    "Which {c} are there?",
    "Show me the {c} column.",
    "What {c} are listed?",
];

/// The templates of a whole-column aggregate.
fn templates(agg: Agg) -> &'static [&'static str] {
    match agg {
        Agg::Sum => SUM_WHOLE,
        Agg::Avg => AVG_WHOLE,
        Agg::Max => MAX_WHOLE,
        _ => MIN_WHOLE,
    }
}

pub fn drafts(p: &Profile, rng: &mut StdRng) -> Vec<Draft> {
    let mut out = Vec::new();
    let noun = noun_for(p, rng);
    let question = fill(pick(rng, COUNT_WHOLE), &[("n", &noun)]);
    out.push(sketch(
        question,
        Query::with_text_conds(0, Agg::Count, &[]),
        rng,
    ));
    let numbers: Vec<usize> = p
        .columns
        .iter()
        .filter(|c| c.role.is_number())
        .map(|c| c.index)
        .collect();
    if !numbers.is_empty() {
        let c = pick(rng, &numbers);
        // SUM and AVG twice as often as MAX and MIN, as generate.py draws them.
        let agg = pick(
            rng,
            &[Agg::Sum, Agg::Avg, Agg::Avg, Agg::Sum, Agg::Max, Agg::Min],
        );
        let question = fill(pick(rng, templates(agg)), &[("c", &p.columns[c].spoken)]);
        out.push(sketch(question, Query::with_text_conds(c, agg, &[]), rng));
    }
    if rng.random_bool(0.5) {
        let c = rng.random_range(0..p.columns.len());
        let question = fill(pick(rng, LIST_WHOLE), &[("c", &p.columns[c].spoken)]);
        out.push(sketch(
            question,
            Query::with_text_conds(c, Agg::None, &[]),
            rng,
        ));
    }
    out
}
