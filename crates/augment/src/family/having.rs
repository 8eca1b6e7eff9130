//! Conditions on groups: "positions with more than 2 players", "teams with at least 3 entries",
//! "ranges whose average height is above 8000" (GROUP BY … HAVING). Thresholds come from the
//! table's own group sizes and values, so some groups pass and, mostly, some do not.

use super::{number_words, pick_column, plural_of, say, Draft};
use crate::profile::{number_value, Column, Profile};
use crate::words::{finished, pick};
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::{Aggregate, CmpOp, FamilyQuery, Having, Item};

const MORE_THAN: &[&str] = &[
    "Which {gs} have more than {t} {n}?",
    "List the {gs} with more than {t} {n}.",
    "{gs} with over {t} {n}",
    "Which {gs} appear more than {t} times?",
    "Show the {gs} that have more than {t} {n}.",
    "Which {g} has more than {t} {n}?",
];
const AT_LEAST: &[&str] = &[
    "Which {gs} have at least {t} {n}?",
    "{gs} with {t} or more {n}",
    "Which {gs} appear at least {t} times?",
    "List each {g} having no fewer than {t} {n}.",
];
const FEWER_THAN: &[&str] = &[
    "Which {gs} have fewer than {t} {n}?",
    "{gs} with less than {t} {n}",
    "Which {gs} appear fewer than {t} times?",
];
const AT_MOST: &[&str] = &[
    "Which {gs} have at most {t} {n}?",
    "{gs} with no more than {t} {n}",
    "Which {gs} appear {t} times or fewer?",
];
const AGG_ABOVE: &[&str] = &[
    "Which {gs} have {an} {a} {c} above {v}?",
    "{gs} whose {a} {c} is more than {v}",
    "List the {gs} with {an} {a} {c} over {v}.",
    "Which {g} has {an} {a} {c} greater than {v}?",
    "{gs} with {a} {c} above {v}",
];
const AGG_BELOW: &[&str] = &[
    "Which {gs} have {an} {a} {c} below {v}?",
    "{gs} whose {a} {c} is less than {v}",
    "List the {gs} with {an} {a} {c} under {v}.",
];

pub fn draft(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    let group = pick_column(&p.groups(), rng)?;
    let summable: Vec<_> = p
        .summable()
        .into_iter()
        .filter(|c| c.index != group.index)
        .collect();
    let (having, question) = if !summable.is_empty() && rng.random_bool(0.3) {
        on_values(p, group, pick_column(&summable, rng)?, rng)?
    } else {
        on_counts(p, group, rng)?
    };
    Some(Draft {
        question: finished(question, rng),
        query: FamilyQuery {
            select: vec![Item::column(group.index)],
            group_by: Some(group.index),
            having: Some(having),
            ..FamilyQuery::empty()
        },
    })
}

fn on_counts(p: &Profile, group: &Column, rng: &mut StdRng) -> Option<(Having, String)> {
    let largest = group.text_counts().iter().map(|&(_, n)| n).max()?;
    if largest < 2 {
        return None;
    }
    // Thresholds that keep the largest group (and, for "fewer", a smaller one).
    let (op, t, templates) = match rng.random_range(0..4) {
        0 => (CmpOp::Gt, rng.random_range(1..largest), MORE_THAN),
        1 => (CmpOp::Ge, rng.random_range(2..=largest), AT_LEAST),
        2 => (CmpOp::Lt, rng.random_range(2..=largest), FEWER_THAN),
        _ => (CmpOp::Le, rng.random_range(1..largest), AT_MOST),
    };
    let t_words = t.to_string();
    let question = say(
        pick(rng, templates),
        p,
        &[
            ("g", &group.spoken),
            ("gs", &plural_of(group)),
            ("t", &t_words),
        ],
    )
    // "more than once", not "more than 1 times".
    .replace(" 1 times", " once");
    let having = Having {
        item: Item::count_rows(),
        op,
        value: number_value(t as f64),
    };
    Some((having, question))
}

fn on_values(
    p: &Profile,
    group: &Column,
    col: &Column,
    rng: &mut StdRng,
) -> Option<(Having, String)> {
    let sum = rng.random_bool(0.5);
    let (agg, a_words, an) = if sum {
        (Aggregate::Sum, pick(rng, &["total", "combined"]), "a")
    } else {
        (Aggregate::Avg, pick(rng, &["average", "mean"]), "an")
    };
    let mut values = group_values(group, col, sum);
    values.sort_by(f64::total_cmp);
    values.dedup();
    if values.len() < 2 {
        return None;
    }
    let above = rng.random_bool(0.5);
    // A threshold between two groups' values: some groups on each side.
    let i = rng.random_range(0..values.len() - 1);
    let threshold = readable((values[i] + values[i + 1]) / 2.0);
    let (op, templates) = if above {
        (CmpOp::Gt, AGG_ABOVE)
    } else {
        (CmpOp::Lt, AGG_BELOW)
    };
    let v_words = number_words(col, threshold, rng);
    let question = say(
        pick(rng, templates),
        p,
        &[
            ("g", &group.spoken),
            ("gs", &plural_of(group)),
            ("a", a_words),
            ("an", if a_words == "mean" { "a" } else { an }),
            ("c", &col.spoken),
            ("v", &v_words),
        ],
    );
    let having = Having {
        item: Item::of(agg, col.index),
        op,
        value: number_value(threshold),
    };
    Some((having, question))
}

/// Each group's SUM (or AVG) of `col`, groups as the SQL forms them (equal text).
fn group_values(group: &Column, col: &Column, sum: bool) -> Vec<f64> {
    let mut groups: Vec<(&str, f64, usize)> = Vec::new();
    for (text, x) in group.texts.iter().zip(&col.numbers) {
        let Some(x) = x else { continue };
        match groups.iter_mut().find(|(t, ..)| *t == text.as_str()) {
            Some(entry) => {
                entry.1 += x;
                entry.2 += 1;
            }
            None => groups.push((text.as_str(), *x, 1)),
        }
    }
    groups
        .into_iter()
        .map(|(_, total, n)| if sum { total } else { total / n as f64 })
        .collect()
}

/// A threshold as people would say it: whole above 10, one decimal below.
fn readable(x: f64) -> f64 {
    if x.abs() >= 10.0 {
        x.round()
    } else {
        (x * 10.0).round() / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::number_text;
    use sqlcoder_data::types::CondValue;

    #[test]
    fn thresholds_read_naturally() {
        assert_eq!(readable(8123.4), 8123.0);
        assert_eq!(readable(2.345), 2.3);
        assert_eq!(number_text(readable(4.0)), "4");
        assert!(matches!(number_value(2.5), CondValue::Number(_)));
    }
}
