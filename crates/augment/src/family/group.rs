//! Grouping: "for each", "per", "by" with COUNT(*), SUM, AVG, MAX or MIN (GROUP BY; each group
//! beside its value).

use super::{pick_column, say, Draft};
use crate::profile::Profile;
use crate::words::{finished, pick};
use rand::rngs::StdRng;
use sqlcoder_data::types::{Aggregate, FamilyQuery, Item};

const COUNT: &[&str] = &[
    "How many {n} are there for each {g}?",
    "How many {n} does each {g} have?",
    "Count the {n} per {g}.",
    "number of {n} per {g}",
    "For each {g}, how many {n} are there?",
    "How many {n} are in each {g}?",
    "Show each {g} with its number of {n}.",
    "{g} and number of {n}",
    "count of {n} by {g}",
    "How many {n} per {g}?",
    "number of {n} broken down by {g}",
    "For every {g}, count the {n}.",
    "Give me a count of the {n} in each {g}.",
    "How many {n} fall under each {g}?",
    "Break the {n} down by {g} and count them.",
    "What is the number of {n} for every {g}?",
];
const SUM: &[&str] = &[
    "What is the total {c} for each {g}?",
    "total {c} per {g}",
    "For each {g}, what is the sum of the {c}?",
    "Sum the {c} by {g}.",
    "What is the combined {c} of each {g}?",
    "Show the total {c} per {g}.",
    "total {c} broken down by {g}",
    "For every {g}, add up the {c}.",
    "What do the {n} of each {g} add up to in {c}?",
    "the sum of the {c} of the {n} in each {g}",
    "What is the total {c} of the {n} in each {g}?",
];
const AVG: &[&str] = &[
    "What is the average {c} for each {g}?",
    "average {c} per {g}",
    "For each {g}, what is the mean {c}?",
    "mean {c} by {g}",
    "What's the average {c} in each {g}?",
    "Show the average {c} by {g}.",
    "average {c} broken down by {g}",
    "What is the average {c} of the {n} in each {g}?",
    "For every {g}, what's the average {c}?",
    "the mean {c} of the {n} grouped by {g}",
    "Work out the average {c} for each {g}.",
];
const MAX: &[&str] = &[
    "What is the highest {c} for each {g}?",
    "maximum {c} per {g}",
    "For each {g}, what is the largest {c}?",
    "Show the top {c} in each {g}.",
    "max {c} by {g}",
    "highest {c} broken down by {g}",
    "What is the highest {c} among the {n} of each {g}?",
    "For every {g}, show the largest {c}.",
];
const MIN: &[&str] = &[
    "What is the lowest {c} for each {g}?",
    "minimum {c} per {g}",
    "For each {g}, what is the smallest {c}?",
    "min {c} by {g}",
    "lowest {c} broken down by {g}",
    "What is the smallest {c} among the {n} of each {g}?",
    "For every {g}, show the lowest {c}.",
];

pub fn draft(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    let group = pick_column(&p.groups(), rng)?;
    let summable: Vec<_> = p
        .summable()
        .into_iter()
        .filter(|c| c.index != group.index)
        .collect();
    let ordered: Vec<_> = p
        .ordered()
        .into_iter()
        .filter(|c| c.index != group.index && c.role.is_number())
        .collect();
    let mut choices = vec![Aggregate::Count, Aggregate::Count];
    if !summable.is_empty() {
        choices.extend([Aggregate::Sum, Aggregate::Avg, Aggregate::Avg]);
    }
    if !ordered.is_empty() {
        choices.extend([Aggregate::Max, Aggregate::Min]);
    }
    let agg = pick(rng, &choices);
    let (item, templates, col_words) = match agg {
        Aggregate::Count => (Item::count_rows(), COUNT, String::new()),
        Aggregate::Sum | Aggregate::Avg => {
            let col = pick_column(&summable, rng)?;
            let templates = if agg == Aggregate::Sum { SUM } else { AVG };
            (Item::of(agg, col.index), templates, col.spoken.clone())
        }
        _ => {
            let col = pick_column(&ordered, rng)?;
            let templates = if agg == Aggregate::Max { MAX } else { MIN };
            (Item::of(agg, col.index), templates, col.spoken.clone())
        }
    };
    let question = say(
        pick(rng, templates),
        p,
        &[("g", &group.spoken), ("c", &col_words)],
    );
    Some(Draft {
        question: finished(question, rng),
        query: FamilyQuery {
            select: vec![Item::column(group.index), item],
            group_by: Some(group.index),
            ..FamilyQuery::empty()
        },
    })
}
