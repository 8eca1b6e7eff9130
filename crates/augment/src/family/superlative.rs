//! Superlatives: one row, the first in some order. Through adjectives of the column's role ("the
//! oldest dog", "the cheapest book", "the most recent concert"), through the column's name ("the
//! player with the most goals"), and over groups ("the most common position": GROUP BY and ORDER
//! BY COUNT(*); "the team with the highest total attendance").

use super::{ordered_by, pick_column, random_dir, say, selected_items, Draft};
use crate::profile::Profile;
use crate::words::{finished, pick};
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::{Aggregate, Direction, FamilyQuery, Item};

const ALONE: &[&str] = &[
    "Which {s} is the {adj}?",
    "What is the {adj} {s}?",
    "Name the {adj} {s}.",
    "the {adj} {s}?",
    "Tell me the {adj} {s}.",
    "Find the {adj} {s}.",
    "Which one of the {n} is the {adj}?",
    "{adj} {s}?",
    "Which is the {adj} {s}?",
];
const ALONE_PERSON: &[&str] = &["Who is the {adj} {s}?", "Who is the {adj}?"];
const WITH_COLUMN: &[&str] = &[
    "Which {s} has the {sup} {c}?",
    "What {s} has the {sup} {c}?",
    "Which {s} had the {sup} {c}?",
    "Name the {s} with the {sup} {c}.",
    "the {s} with the {sup} {c}",
    "{s} with the {sup} {c}?",
    "Which {s} has the {sup} {c} of all?",
    "Find the {s} whose {c} is the {sup}.",
    "Which of the {n} has the {sup} {c}?",
];
const WITH_COLUMN_PERSON: &[&str] = &["Who has the {sup} {c}?", "Who had the {sup} {c}?"];
const MOST_COMMON: &[&str] = &[
    "Which {g} has the most {n}?",
    "What is the most common {g}?",
    "Which {g} appears most often?",
    "Which {g} occurs the most?",
    "most frequent {g}?",
    "Which {g} has the largest number of {n}?",
    "the {g} with the most {n}",
    "Which {g} do most {n} have?",
];
const LEAST_COMMON: &[&str] = &[
    "Which {g} has the fewest {n}?",
    "What is the least common {g}?",
    "Which {g} appears least often?",
    "the {g} with the fewest {n}",
    "Which {g} has the smallest number of {n}?",
    "rarest {g}?",
];
const GROUP_TOTAL: &[&str] = &[
    "Which {g} has the {sup} {agg} {c}?",
    "What {g} has the {sup} {agg} {c}?",
    "the {g} with the {sup} {agg} {c}",
    "Which {g} had the {sup} {agg} {c}?",
];

enum Form {
    /// The subject of the row first in a column's order.
    Ordered,
    /// The group with the most (or fewest) rows.
    Commonest,
    /// The group whose total or average is the largest (or smallest).
    GroupTotal,
}

pub fn draft(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    let mut forms = Vec::new();
    if !p.ordered().is_empty() {
        forms.extend([Form::Ordered, Form::Ordered]);
    }
    if !p.groups().is_empty() {
        forms.push(Form::Commonest);
        if !p.summable().is_empty() {
            forms.push(Form::GroupTotal);
        }
    }
    if forms.is_empty() {
        return None;
    }
    match forms.swap_remove(rng.random_range(0..forms.len())) {
        Form::Ordered => ordered(p, rng),
        Form::Commonest => commonest(p, rng),
        Form::GroupTotal => group_total(p, rng),
    }
}

fn ordered(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    let col = pick_column(&p.ordered(), rng)?;
    let dir = random_dir(rng);
    let adjectives = col.role.adjectives(dir);
    let question = if !adjectives.is_empty() && rng.random_bool(0.6) {
        let mut templates = ALONE.to_vec();
        if p.noun.person {
            templates.extend(ALONE_PERSON);
        }
        let adj = pick(rng, adjectives);
        say(pick(rng, &templates), p, &[("adj", adj)])
    } else {
        let mut templates = WITH_COLUMN.to_vec();
        if p.noun.person {
            templates.extend(WITH_COLUMN_PERSON);
        }
        let sup = pick(rng, col.role.superlatives(dir));
        say(
            pick(rng, &templates),
            p,
            &[("sup", sup), ("c", &col.spoken)],
        )
    };
    Some(Draft {
        question: finished(question, rng),
        query: FamilyQuery {
            select: selected_items(p, false),
            order_by: ordered_by(Item::column(col.index), dir),
            limit: Some(1),
            ..FamilyQuery::empty()
        },
    })
}

fn commonest(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    let group = pick_column(&p.groups(), rng)?;
    let dir = random_dir(rng);
    let templates = match dir {
        Direction::Desc => MOST_COMMON,
        Direction::Asc => LEAST_COMMON,
    };
    let question = say(pick(rng, templates), p, &[("g", &group.spoken)]);
    Some(Draft {
        question: finished(question, rng),
        query: FamilyQuery {
            select: vec![Item::column(group.index)],
            group_by: Some(group.index),
            order_by: ordered_by(Item::count_rows(), dir),
            limit: Some(1),
            ..FamilyQuery::empty()
        },
    })
}

fn group_total(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    let group = pick_column(&p.groups(), rng)?;
    let col = pick_column(&p.summable(), rng).filter(|c| c.index != group.index)?;
    let (agg, agg_words) = if rng.random_bool(0.5) {
        (Aggregate::Sum, pick(rng, &["total", "combined"]))
    } else {
        (Aggregate::Avg, pick(rng, &["average", "mean"]))
    };
    let dir = random_dir(rng);
    let sup = match dir {
        Direction::Desc => pick(rng, &["highest", "largest", "biggest"]),
        Direction::Asc => pick(rng, &["lowest", "smallest"]),
    };
    let question = say(
        pick(rng, GROUP_TOTAL),
        p,
        &[
            ("g", &group.spoken),
            ("sup", sup),
            ("agg", agg_words),
            ("c", &col.spoken),
        ],
    );
    Some(Draft {
        question: finished(question, rng),
        query: FamilyQuery {
            select: vec![Item::column(group.index)],
            group_by: Some(group.index),
            order_by: ordered_by(Item::of(agg, col.index), dir),
            limit: Some(1),
            ..FamilyQuery::empty()
        },
    })
}
