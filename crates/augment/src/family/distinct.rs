//! Different values: "how many different positions are there?" (COUNT(DISTINCT)) and "which
//! different positions are there?" (SELECT DISTINCT), over the whole table or the rows with one
//! value: "how many different teams have players from Ohio?".

use super::{compare, pick_column, plural_of, quotable_row, say, Draft};
use crate::profile::Profile;
use crate::words::{finished, pick};
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::{Aggregate, CmpOp, FamilyQuery, Item};

const HOW_MANY: &[&str] = &[
    "How many different {gs} are there?",
    "How many distinct {gs} are listed?",
    "How many unique {gs} are there?",
    "number of different {gs}",
    "How many different {gs} appear in the table?",
    "Count the distinct {gs}.",
    "How many {gs} are represented?",
    "how many different {gs} do the {n} have?",
];
const WHICH: &[&str] = &[
    "Which different {gs} are there?",
    "List the distinct {gs}.",
    "What are the unique {gs}?",
    "Show each {g} once.",
    "What {gs} appear in the table?",
    "List all the different {gs}.",
    "Which {gs} are represented?",
    "different {gs}?",
    "What are the different {gs} of the {n}?",
];

/// The same, among the rows with `{w}` `{v}`.
const HOW_MANY_WHERE: &[&str] = &[
    "How many different {gs} have {w} {v}?",
    "How many distinct {gs} are there with {w} {v}?",
    "How many different {gs} are there among {n} with {w} {v}?",
    "number of different {gs} where {w} is {v}",
    "How many unique {gs} do the {n} with {w} {v} have?",
    "Count the different {gs} for {w} {v}.",
];
const WHICH_WHERE: &[&str] = &[
    "Which different {gs} have {w} {v}?",
    "List the distinct {gs} of {n} whose {w} is {v}.",
    "{gs} of the {n} with {w} {v}, each once",
    "What {gs} are there with {w} {v}? No repeats.",
    "unique {gs} where {w} is {v}",
];

pub fn draft(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    // Columns whose cells repeat: "different" then says something.
    let groups = p.groups();
    let group = pick_column(&groups, rng)?;
    let gs = plural_of(group);
    let others: Vec<_> = groups
        .iter()
        .copied()
        .filter(|c| c.index != group.index)
        .collect();
    let count = rng.random_bool(0.5);
    if !others.is_empty() && rng.random_bool(0.4) {
        let col = pick_column(&others, rng)?;
        let (_, value, v_words) = quotable_row(col, rng)?;
        let words = [
            ("g", group.spoken.as_str()),
            ("gs", gs.as_str()),
            ("w", col.spoken.as_str()),
            ("v", v_words.as_str()),
        ];
        let (templates, select, distinct) = if count {
            let item = Item::of(Aggregate::CountDistinct, group.index);
            (HOW_MANY_WHERE, item, false)
        } else {
            (WHICH_WHERE, Item::column(group.index), true)
        };
        return Some(Draft {
            question: finished(say(pick(rng, templates), p, &words), rng),
            query: FamilyQuery {
                select: vec![select],
                distinct,
                conds: vec![compare(col.index, CmpOp::Eq, value)],
                ..FamilyQuery::empty()
            },
        });
    }
    let words = [("g", group.spoken.as_str()), ("gs", gs.as_str())];
    let (question, query) = if count {
        (
            say(pick(rng, HOW_MANY), p, &words),
            FamilyQuery {
                select: vec![Item::of(Aggregate::CountDistinct, group.index)],
                ..FamilyQuery::empty()
            },
        )
    } else {
        (
            say(pick(rng, WHICH), p, &words),
            FamilyQuery {
                select: vec![Item::column(group.index)],
                distinct: true,
                ..FamilyQuery::empty()
            },
        )
    };
    Some(Draft {
        question: finished(question, rng),
        query,
    })
}
