//! Several columns named together: "the position and number of Ann Lee", "the name and age of
//! every dog", "the title and price of books by Ann Patchett" (several selected items); and the
//! columns a question of another shape lists its rows by, named after it: "books under $10
//! (title, author)", "the three cheapest rooms - name and price" ([`named_after`]).

use super::{column_words, compare, pick_column, quotable_row, say, Draft};
use crate::profile::{Column, Profile};
use crate::roles::Role;
use crate::words::{finished, pick};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;
use sqlcoder_data::types::{CmpOp, FamilyQuery, Item};

const OF_ONE: &[&str] = &[
    "What are the {cs} of {v}?",
    "Give the {cs} for {v}.",
    "{cs} of {v}?",
    "What is the {cs} of {v}?",
    "Show the {cs} of {v}.",
    "Tell me the {cs} for {v}.",
];
const OF_ALL: &[&str] = &[
    "List the {cs} of every {s}.",
    "Show the {cs} of all {n}.",
    "What are the {cs} of each {s}?",
    "{cs} of all {n}",
    "List the {cs} for each {s}.",
    "Give me the {cs} of the {n}.",
    "For each {s}, give the {cs}.",
    "I need the {cs} of all {n}.",
    "{n}: {cs}",
    "Show {cs} for every {s}.",
];
const OF_SOME: &[&str] = &[
    "List the {cs} of {n} with {w} {v}.",
    "What are the {cs} of the {n} whose {w} is {v}?",
    "Show the {cs} for {n} where {w} is {v}.",
    "{cs} of the {n} with {w} {v}",
    "Give the {cs} of the {n} in {v}.",
    "Show {cs} for {n} from {v}.",
    "For the {n} with {w} {v}, list the {cs}.",
];

pub fn draft(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    let others: Vec<&Column> = p
        .columns
        .iter()
        .filter(|c| c.index != p.subject && c.role != Role::Other)
        .collect();
    if others.len() < 2 {
        return None;
    }
    let subject = p.subject();
    let roll: f64 = rng.random();
    let (question, select, conds) = if roll < 0.4 && subject.role.names_rows() {
        // One row, named by its subject cell.
        let unique: Vec<usize> = subject
            .text_counts()
            .iter()
            .filter(|&&(_, n)| n == 1)
            .filter_map(|&(t, _)| subject.texts.iter().position(|x| x == t))
            .collect();
        let &row = unique.get(rng.random_range(0..unique.len().max(1)))?;
        let value = subject.value(row)?;
        let shown = choose(&others, rng);
        let question = say(
            pick(rng, OF_ONE),
            p,
            &[
                ("cs", &listed(p, &shown, rng)),
                ("v", subject.texts[row].trim()),
            ],
        );
        (
            question,
            items(&shown),
            vec![compare(p.subject, CmpOp::Eq, value)],
        )
    } else if roll < 0.7 {
        // Every row: the subject ("name") and another column, or two others.
        let mut shown = choose(&others, rng);
        if rng.random_bool(0.5) {
            shown[0] = subject;
            shown.truncate(2);
        }
        let question = say(pick(rng, OF_ALL), p, &[("cs", &listed(p, &shown, rng))]);
        (question, items(&shown), vec![])
    } else {
        let col = pick_column(&p.groups(), rng)?;
        let (_, value, v_words) = quotable_row(col, rng)?;
        let rest: Vec<&Column> = others
            .iter()
            .copied()
            .filter(|c| c.index != col.index)
            .collect();
        if rest.is_empty() {
            return None;
        }
        let mut shown = vec![subject, pick(rng, &rest)];
        shown.dedup_by_key(|c| c.index);
        if shown.len() < 2 {
            return None;
        }
        let question = say(
            pick(rng, OF_SOME),
            p,
            &[
                ("cs", &listed(p, &shown, rng)),
                ("w", &col.spoken),
                ("v", &v_words),
            ],
        );
        (
            question,
            items(&shown),
            vec![compare(col.index, CmpOp::Eq, value)],
        )
    };
    Some(Draft {
        question: finished(question, rng),
        query: FamilyQuery {
            select,
            conds,
            ..FamilyQuery::empty()
        },
    })
}

/// A question listing rows, with the columns it shows named after it.
const NAMED_AFTER: &[&str] = &[
    "{q} ({cs})",
    "{q} ({cs})",
    "{q} - {cs}",
    "{q}: {cs}",
    "{q}, with their {cs}",
    "{q}. Show the {cs}.",
    "{q}? Give {cs}.",
    "{q}, showing {cs}",
    "{q}; just the {cs}",
];

/// `d`, a question whose rows are named by the subject column alone, made to show that column
/// and one or two others, named after the question; sometimes the column the question filters
/// or orders on is among them. `None` when the table has no other column to show.
pub fn named_after(d: Draft, p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    let used: Vec<usize> = d
        .query
        .conds
        .iter()
        .map(|c| c.col)
        .chain(d.query.order_by.as_ref().and_then(|o| o.item.col))
        .filter(|&c| c != p.subject)
        .collect();
    let others: Vec<&Column> = p
        .columns
        .iter()
        .filter(|c| c.index != p.subject && c.role != Role::Other)
        .collect();
    let mut shown = vec![p.subject()];
    let wanted: usize = if others.len() >= 2 && rng.random_bool(0.3) {
        2
    } else {
        1
    };
    if let Some(&col) = used.first().filter(|_| rng.random_bool(0.5)) {
        shown.push(&p.columns[col]);
    }
    let rest: Vec<&Column> = others
        .iter()
        .copied()
        .filter(|c| shown.iter().all(|s| s.index != c.index))
        .collect();
    shown.extend(rest.choose_multiple(rng, (wanted + 1).saturating_sub(shown.len())));
    if shown.len() < 2 {
        return None;
    }
    shown.sort_by_key(|c| c.index);
    let cs = if rng.random_bool(0.4) {
        shown
            .iter()
            .map(|c| column_words(p, c))
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        listed(p, &shown, rng)
    };
    let q = d.question.trim_end_matches(['?', '.', '!']).to_string();
    let question = crate::words::fill(pick(rng, NAMED_AFTER), &[("q", &q), ("cs", &cs)]);
    Some(Draft {
        question,
        query: FamilyQuery {
            select: items(&shown),
            ..d.query
        },
    })
}

/// Two columns, sometimes three, in table order.
fn choose<'a>(columns: &[&'a Column], rng: &mut StdRng) -> Vec<&'a Column> {
    let n = if columns.len() >= 3 && rng.random_bool(0.25) {
        3
    } else {
        2
    };
    let mut chosen: Vec<&Column> = columns.choose_multiple(rng, n).copied().collect();
    chosen.sort_by_key(|c| c.index);
    chosen
}

fn items(columns: &[&Column]) -> Vec<Item> {
    columns.iter().map(|c| Item::column(c.index)).collect()
}

/// How several columns are joined: "a and b", "a, b and c", and the other ways people say it
/// ("a and the b", "a, b, and c", "a plus b", "a as well as b", "a along with b").
const JOINS: &[(&str, &str, &str)] = &[
    // (before each, between all but the last two, before the last)
    ("", ", ", " and "),
    ("", ", ", " and "),
    ("", ", ", " and "),
    ("", ", ", " and the "),
    ("", ", ", ", and "),
    ("", ", ", " plus "),
    ("", ", ", " as well as "),
    ("", ", ", " along with "),
    ("", ", ", " & "),
];

/// The columns' names joined one of [`JOINS`]' ways; two names ending in the same word share it
/// ("first and last name" for "first name" and "last name").
fn listed(p: &Profile, columns: &[&Column], rng: &mut StdRng) -> String {
    let words: Vec<String> = columns.iter().map(|c| column_words(p, c)).collect();
    if let [a, b] = words.as_slice() {
        if let Some(shared) = shared_last_word(a, b) {
            let head = a.strip_suffix(shared.as_str()).unwrap_or(a).trim_end();
            return format!("{head} and {b}");
        }
    }
    let (each, between, last_join) = pick(rng, JOINS);
    let words: Vec<String> = words.iter().map(|w| format!("{each}{w}")).collect();
    match words.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{}{last_join}{last}", rest.join(between)),
        None => String::new(),
    }
}

/// The last word of `a` when `b` ends in it too and both have words before it.
fn shared_last_word(a: &str, b: &str) -> Option<String> {
    let (a_head, a_last) = a.rsplit_once(' ')?;
    let (b_head, b_last) = b.rsplit_once(' ')?;
    (a_last == b_last && !a_head.is_empty() && !b_head.is_empty() && a_head != b_head)
        .then(|| format!(" {a_last}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use sqlcoder_data::types::ColumnType::{Real, Text};
    use sqlcoder_data::types::Table;

    #[test]
    fn names_ending_in_one_word_share_it_and_others_are_joined_in_several_ways() {
        let t = Table::new(
            "t",
            &["Player", "Home Town", "Birth Town", "Salary"],
            &[Text, Text, Text, Real],
            vec![
                vec![
                    "Ann Lee".into(),
                    "Oslo".into(),
                    "Bergen".into(),
                    10.0.into(),
                ],
                vec!["Bo Li".into(), "Lima".into(), "Cusco".into(), 12.0.into()],
            ],
        );
        let p = Profile::new(&t, None, 0);
        assert_eq!(p.subject, 0);
        let mut rng = StdRng::seed_from_u64(3);
        let names = [&p.columns[1], &p.columns[2]];
        assert_eq!(listed(&p, &names, &mut rng), "home and birth town");
        let mut joins = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let said = listed(&p, &[&p.columns[2], &p.columns[3]], &mut rng);
            assert!(
                said.starts_with("birth town") && said.ends_with("salary"),
                "{said}"
            );
            joins.insert(said);
        }
        assert!(joins.len() >= 5, "{joins:?}");
        assert!(joins.contains("birth town and salary"));
    }
}
