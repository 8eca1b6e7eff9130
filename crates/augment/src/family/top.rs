//! Top k: "the top 3 players by goals", "the 5 largest cities", "the 2 cheapest books", "the 3
//! highest heights", "the top 2 positions by number of players" (ORDER BY … LIMIT k, k ≥ 2; one
//! row is a superlative).

use super::{ordered_by, pick_column, random_dir, say, selected_items, Draft};
use crate::profile::Profile;
use crate::roles::Role;
use crate::words::{finished, pick};
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::{Direction, FamilyQuery, Item};

const BY_COLUMN_DESC: &[&str] = &[
    "top {k} {n} by {c}",
    "List the top {k} {n} by {c}.",
    "What are the top {k} {n} in terms of {c}?",
];
const BY_COLUMN_ASC: &[&str] = &["bottom {k} {n} by {c}", "List the bottom {k} {n} by {c}."];
const WITH_SUP: &[&str] = &[
    "What are the {k} {n} with the {sup} {c}?",
    "Which {k} {n} have the {sup} {c}?",
    "Show the {k} {n} with the {sup} {c}.",
    "Give me {k} {n} with the {sup} {c}.",
    "the {k} {n} with the {sup} {c}",
    "Name the {k} {n} that have the {sup} {c}.",
];
const WITH_ADJ: &[&str] = &[
    "the {k} {adj} {n}",
    "What are the {k} {adj} {n}?",
    "List the {k} {adj} {n}.",
    "Which are the {k} {adj} {n}?",
    "{k} {adj} {n}?",
    "Show me the {k} {adj} {n}.",
];
const VALUES: &[&str] = &[
    "What are the {k} {sup} {cs}?",
    "List the {k} {sup} {cs}.",
    "the {k} {sup} {cs}",
    "Give the {k} {sup} {cs}.",
];
const GROUPS_DESC: &[&str] = &[
    "top {k} {gs} by number of {n}",
    "Which {k} {gs} have the most {n}?",
    "What are the {k} most common {gs}?",
];
const GROUPS_ASC: &[&str] = &[
    "Which {k} {gs} have the fewest {n}?",
    "What are the {k} least common {gs}?",
];

pub fn draft(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    // Room for a cut that leaves rows on both sides.
    if p.rows() < 4 {
        return None;
    }
    let k = rng.random_range(2..=5.min(p.rows() - 2)) as u32;
    let groups = p.groups();
    if !groups.is_empty() && rng.random_bool(0.2) {
        return by_groups(p, k, rng);
    }
    let col = pick_column(&p.ordered(), rng)?;
    let dir = random_dir(rng);
    let k_words = k.to_string();
    let adjectives = col.role.adjectives(dir);
    let sup = pick(rng, col.role.superlatives(dir));
    let mut select = selected_items(p, false);
    let roll: f64 = rng.random();
    // The values themselves ("the 5 largest populations") only of measured columns: "the 3
    // highest numbers" of a jersey column, or the latest dates, read badly.
    let measured =
        !col.role.is_time() && !col.role.orders_by_words_only() && col.role != Role::Identifier;
    let question = if roll < 0.2 && measured {
        select = vec![Item::column(col.index)];
        let many = super::plural_of(col);
        let sup = match dir {
            Direction::Desc => pick(rng, &["largest", "highest", "biggest", "top"]),
            Direction::Asc => pick(rng, &["smallest", "lowest"]),
        };
        say(
            pick(rng, VALUES),
            p,
            &[("k", &k_words), ("sup", sup), ("cs", &many)],
        )
    } else if !adjectives.is_empty() && roll < 0.6 {
        let adj = pick(rng, adjectives);
        say(pick(rng, WITH_ADJ), p, &[("k", &k_words), ("adj", adj)])
    } else if roll < 0.75 && !col.role.orders_by_words_only() {
        let templates = match dir {
            Direction::Desc => BY_COLUMN_DESC,
            Direction::Asc => BY_COLUMN_ASC,
        };
        say(
            pick(rng, templates),
            p,
            &[("k", &k_words), ("c", &col.spoken)],
        )
    } else {
        say(
            pick(rng, WITH_SUP),
            p,
            &[("k", &k_words), ("sup", sup), ("c", &col.spoken)],
        )
    };
    Some(Draft {
        question: finished(question, rng),
        query: FamilyQuery {
            select,
            order_by: ordered_by(Item::column(col.index), dir),
            limit: Some(k),
            ..FamilyQuery::empty()
        },
    })
}

fn by_groups(p: &Profile, k: u32, rng: &mut StdRng) -> Option<Draft> {
    let group = pick_column(&p.groups(), rng)?;
    let dir = random_dir(rng);
    let templates = match dir {
        Direction::Desc => GROUPS_DESC,
        Direction::Asc => GROUPS_ASC,
    };
    let question = say(
        pick(rng, templates),
        p,
        &[("k", &k.to_string()), ("gs", &super::plural_of(group))],
    );
    Some(Draft {
        question: finished(question, rng),
        query: FamilyQuery {
            select: vec![Item::column(group.index)],
            group_by: Some(group.index),
            order_by: ordered_by(Item::count_rows(), dir),
            limit: Some(k),
            ..FamilyQuery::empty()
        },
    })
}
