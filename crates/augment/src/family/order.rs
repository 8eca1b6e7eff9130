//! Listings in an order: "sorted by", "in order of", "from oldest to youngest", "in descending
//! order of", "alphabetically" (ORDER BY without LIMIT).

use super::{flipped, ordered_by, pick_column, random_dir, say, selected_items, Draft};
use crate::profile::Profile;
use crate::roles::Role;
use crate::words::{finished, pick};
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::{ColumnType, Direction, FamilyQuery, Item};

const ASC: &[&str] = &[
    "List the {n} sorted by {c}.",
    "List the {n} in order of {c}.",
    "Show all {n} ordered by {c}.",
    "Sort the {n} by {c}.",
    "{n} sorted by {c} in ascending order",
    "List the {n} by {c}, lowest first.",
    "Show the {n} from lowest to highest {c}.",
    "List the {n} in ascending order of {c}.",
    "Order the {n} by {c} ascending.",
    "{n} in order of increasing {c}",
];
const DESC: &[&str] = &[
    "List the {n} sorted by {c} in descending order.",
    "Show the {n} from highest to lowest {c}.",
    "List the {n} by {c}, highest first.",
    "Sort the {n} by {c} descending.",
    "{n} in descending order of {c}",
    "Order the {n} by {c}, largest first.",
    "List all {n} by decreasing {c}.",
    "Rank the {n} by {c} from high to low.",
];
/// Without "low" and "high": years and dates go from early to late, and the "highest" rank
/// may be rank 1 (the adjectives' forms, above, say which end comes first).
const NEUTRAL_ASC: &[&str] = &[
    "List the {n} sorted by {c}.",
    "List the {n} in order of {c}.",
    "Show all {n} ordered by {c}.",
    "Sort the {n} by {c}.",
    "{n} sorted by {c} in ascending order",
    "List the {n} in ascending order of {c}.",
];
const NEUTRAL_DESC: &[&str] = &[
    "List the {n} sorted by {c} in descending order.",
    "Sort the {n} by {c} descending.",
    "{n} in descending order of {c}",
    "List the {n} by {c}, in descending order.",
];
const FROM_TO: &[&str] = &[
    "List the {n} from {first} to {last}.",
    "Sort the {n} from {first} to {last}.",
    "Show the {n} ordered from {first} to {last}.",
    "{n} from {first} to {last}",
    "List the {n}, {first} first.",
];
const CHRONOLOGICAL: &[&str] = &[
    "List the {n} in chronological order.",
    "Show the {n} in order of {c}.",
    "{n} in chronological order",
    "List the {n} by {c}, earliest first.",
];
const REVERSE_CHRONOLOGICAL: &[&str] = &[
    "List the {n} in reverse chronological order.",
    "Show the {n} by {c}, most recent first.",
    "{n} from newest to oldest",
    "List the {n} by {c}, latest first.",
];
const ALPHABETICAL: &[&str] = &[
    "List the {n} alphabetically.",
    "List the {n} in alphabetical order.",
    "Sort the {n} by name.",
    "{n} from A to Z",
    "Show the {n} in alphabetical order.",
];
const REVERSE_ALPHABETICAL: &[&str] = &[
    "List the {n} in reverse alphabetical order.",
    "{n} from Z to A",
    "Sort the {n} by name, Z to A.",
];
/// Said after a listing that also shows the column it is ordered by.
const WITH_COLUMN: &[&str] = &[" with their {c}", " and their {c}", " along with the {c}"];

pub fn draft(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    let subject = p.subject();
    let alphabetical =
        subject.role.names_rows() && p.table.types[subject.index] == ColumnType::Text;
    if alphabetical && rng.random_bool(0.2) {
        return by_name(p, rng);
    }
    let col = pick_column(&p.ordered(), rng)?;
    let dir = random_dir(rng);
    let first = col.role.adjectives(dir);
    let last = col.role.adjectives(flipped(dir));
    let mut question = match (col.role, dir) {
        (Role::Date(_), Direction::Asc) if rng.random_bool(0.4) => {
            say(pick(rng, CHRONOLOGICAL), p, &[("c", &col.spoken)])
        }
        (Role::Date(_), Direction::Desc) if rng.random_bool(0.4) => {
            say(pick(rng, REVERSE_CHRONOLOGICAL), p, &[("c", &col.spoken)])
        }
        _ if !first.is_empty() && !last.is_empty() && rng.random_bool(0.4) => say(
            pick(rng, FROM_TO),
            p,
            &[("first", first[0]), ("last", last[0])],
        ),
        (role, dir) => {
            let neutral = role.is_time() || role.orders_by_words_only();
            let templates = match (neutral, dir) {
                (true, Direction::Asc) => NEUTRAL_ASC,
                (true, Direction::Desc) => NEUTRAL_DESC,
                (false, Direction::Asc) => ASC,
                (false, Direction::Desc) => DESC,
            };
            say(pick(rng, templates), p, &[("c", &col.spoken)])
        }
    };
    let mut select = selected_items(p, false);
    if rng.random_bool(0.3) {
        // "… with their {c}": the ordering column is shown too.
        let mark = question
            .ends_with(['.', '?'])
            .then(|| question.pop())
            .flatten();
        question.push_str(&say(pick(rng, WITH_COLUMN), p, &[("c", &col.spoken)]));
        question.extend(mark);
        select.push(Item::column(col.index));
    }
    Some(Draft {
        question: finished(question, rng),
        query: FamilyQuery {
            select,
            order_by: ordered_by(Item::column(col.index), dir),
            ..FamilyQuery::empty()
        },
    })
}

fn by_name(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    let dir = if rng.random_bool(0.75) {
        Direction::Asc
    } else {
        Direction::Desc
    };
    let templates = match dir {
        Direction::Asc => ALPHABETICAL,
        Direction::Desc => REVERSE_ALPHABETICAL,
    };
    let question = say(pick(rng, templates), p, &[]);
    Some(Draft {
        question: finished(question, rng),
        query: FamilyQuery {
            select: selected_items(p, false),
            order_by: ordered_by(Item::column(p.subject), dir),
            ..FamilyQuery::empty()
        },
    })
}
