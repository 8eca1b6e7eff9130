//! Exclusions: "not", "other than", "except" (`!=`), counted or listed.

use super::{compare, pick_column, quotable_row, say, selected_items, Draft};
use crate::profile::Profile;
use crate::words::{finished, pick};
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::{CmpOp, FamilyQuery};

const COUNT: &[&str] = &[
    "How many {n} have a {w} other than {v}?",
    "How many {n} are not {v}?",
    "How many {n} don't have {w} {v}?",
    "Count the {n} whose {w} is not {v}.",
    "number of {n} with {w} not equal to {v}",
    "How many {n} have a {w} that isn't {v}?",
    "How many {n} are there besides those with {w} {v}?",
];
const LIST: &[&str] = &[
    "Which {n} have a {w} other than {v}?",
    "List the {n} whose {w} is not {v}.",
    "{n} with a {w} different from {v}",
    "Show all {n} except those with {w} {v}.",
    "Which {n} are not {v}?",
    "List every {s} that is not {v}.",
    "Which {n} do not have {w} {v}?",
    "{n} whose {w} isn't {v}",
];

pub fn draft(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    // Groups first: excluding one of several rows' value says more than excluding one row.
    let col = match pick_column(&p.other_groups(), rng) {
        Some(col) => col,
        None => pick_column(&p.quotable(), rng).filter(|c| c.index != p.subject)?,
    };
    let (_, value, v_words) = quotable_row(col, rng)?;
    let count = rng.random_bool(0.4);
    let templates = if count { COUNT } else { LIST };
    let question = say(
        pick(rng, templates),
        p,
        &[("w", &col.spoken), ("v", &v_words)],
    );
    Some(Draft {
        question: finished(question, rng),
        query: FamilyQuery {
            select: selected_items(p, count),
            conds: vec![compare(col.index, CmpOp::Ne, value)],
            ..FamilyQuery::empty()
        },
    })
}
