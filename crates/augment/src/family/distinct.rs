//! Different values: "how many different positions are there?" (COUNT(DISTINCT)) and "which
//! different positions are there?" (SELECT DISTINCT).

use super::{pick_column, plural_of, say, Draft};
use crate::profile::Profile;
use crate::words::{finished, pick};
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::{Aggregate, FamilyQuery, Item};

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

pub fn draft(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    // Columns whose cells repeat: "different" then says something.
    let group = pick_column(&p.groups(), rng)?;
    let gs = plural_of(group);
    let words = [("g", group.spoken.as_str()), ("gs", gs.as_str())];
    let (question, query) = if rng.random_bool(0.5) {
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
