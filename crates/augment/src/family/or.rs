//! Alternatives: "either … or", "… or …" (conditions joined by OR), on one column or two.

use super::{compare, pick_column, quotable_row, say, selected_items, Draft};
use crate::profile::{Column, Profile};
use crate::words::{finished, pick};
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::{CmpOp, Connector, FamilyQuery};

const ONE_COLUMN: &[&str] = &[
    "Which {n} have a {w} of {v1} or {v2}?",
    "List the {n} whose {w} is either {v1} or {v2}.",
    "{n} with {w} {v1} or {v2}",
    "Show the {n} where {w} is {v1} or {w} is {v2}.",
    "Which {n} have {w} {v1} or {v2}?",
];
const ONE_COLUMN_COUNT: &[&str] = &[
    "How many {n} have {w} either {v1} or {v2}?",
    "Count the {n} whose {w} is {v1} or {v2}.",
    "number of {n} with {w} {v1} or {v2}",
];
/// Values named without their column ("players who are guards or centers"): text values only,
/// a bare number says nothing.
const BARE: &[&str] = &[
    "Which {n} are either {v1} or {v2}?",
    "{n} that are {v1} or {v2}",
];
const BARE_COUNT: &[&str] = &[
    "How many {n} are {v1} or {v2}?",
    "How many {n} are either {v1} or {v2}?",
];
const TWO_COLUMNS: &[&str] = &[
    "Which {n} have {w1} {v1} or {w2} {v2}?",
    "List the {n} whose {w1} is {v1} or whose {w2} is {v2}.",
    "{n} with either {w1} {v1} or {w2} {v2}",
    "Show the {n} where the {w1} is {v1} or the {w2} is {v2}.",
];
const TWO_COLUMNS_COUNT: &[&str] = &[
    "How many {n} either have {w1} {v1} or {w2} {v2}?",
    "How many {n} have {w1} {v1} or {w2} {v2}?",
];

pub fn draft(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    let candidates: Vec<&Column> = p
        .quotable()
        .into_iter()
        .chain(p.columns.iter().filter(|c| c.role.is_number()))
        .filter(|c| c.index != p.subject)
        .collect();
    let count = rng.random_bool(0.35);
    let (question, conds) = if candidates.len() >= 2 && rng.random_bool(0.3) {
        let first = pick_column(&candidates, rng)?;
        let rest: Vec<&Column> = candidates
            .iter()
            .copied()
            .filter(|c| c.index != first.index)
            .collect();
        let second = pick_column(&rest, rng)?;
        let (_, v1, v1_words) = quotable_row(first, rng)?;
        let (_, v2, v2_words) = quotable_row(second, rng)?;
        let templates = if count {
            TWO_COLUMNS_COUNT
        } else {
            TWO_COLUMNS
        };
        let question = say(
            pick(rng, templates),
            p,
            &[
                ("w1", &first.spoken),
                ("v1", &v1_words),
                ("w2", &second.spoken),
                ("v2", &v2_words),
            ],
        );
        (
            question,
            vec![
                compare(first.index, CmpOp::Eq, v1),
                compare(second.index, CmpOp::Eq, v2),
            ],
        )
    } else {
        // Columns with at least two values to choose between.
        let columns: Vec<&Column> = candidates
            .into_iter()
            .filter(|c| c.distinct_texts().len() >= 2)
            .collect();
        let col = pick_column(&columns, rng)?;
        let (row1, v1, v1_words) = quotable_row(col, rng)?;
        let (_, v2, v2_words) =
            (0..8)
                .filter_map(|_| quotable_row(col, rng))
                .find(|(row, _, words)| {
                    *words != v1_words
                        && col.texts[*row].to_lowercase() != col.texts[row1].to_lowercase()
                })?;
        let bare = !col.role.is_number() && rng.random_bool(0.25);
        let templates = match (count, bare) {
            (true, true) => BARE_COUNT,
            (true, false) => ONE_COLUMN_COUNT,
            (false, true) => BARE,
            (false, false) => ONE_COLUMN,
        };
        let question = say(
            pick(rng, templates),
            p,
            &[("w", &col.spoken), ("v1", &v1_words), ("v2", &v2_words)],
        );
        (
            question,
            vec![
                compare(col.index, CmpOp::Eq, v1),
                compare(col.index, CmpOp::Eq, v2),
            ],
        )
    };
    Some(Draft {
        question: finished(question, rng),
        query: FamilyQuery {
            select: selected_items(p, count),
            conds,
            connector: Connector::Or,
            ..FamilyQuery::empty()
        },
    })
}
