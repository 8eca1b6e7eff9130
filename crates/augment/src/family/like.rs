//! Text patterns: "contains", "starting with", "ending in" and their negations ([NOT] LIKE). The
//! text is a word of a cell, or the start or end of one.

use super::{column_words, pick_column, say, selected_items, Draft};
use crate::profile::Profile;
use crate::words::{finished, pick};
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::{Condition, FamilyQuery, LikeMatch, Predicate};

const CONTAINS: &[&str] = &[
    "Which {n} have a {w} containing {t}?",
    "List the {n} whose {w} contains {t}.",
    "{n} with {t} in their {w}",
    "Which {n} have {t} in the {w}?",
    "Show {n} where the {w} includes {t}.",
    "{n} whose {w} has {t} in it",
];
const STARTS: &[&str] = &[
    "Which {n} have a {w} starting with {t}?",
    "List the {n} whose {w} begins with {t}.",
    "{n} with a {w} that starts with {t}",
    "Which {n} have a {w} beginning with {t}?",
    "{n} whose {w} starts with {t}",
];
const ENDS: &[&str] = &[
    "Which {n} have a {w} ending in {t}?",
    "List the {n} whose {w} ends with {t}.",
    "{n} with a {w} ending with {t}",
    "Which {n} have a {w} that ends in {t}?",
];
const NOT_CONTAINS: &[&str] = &[
    "Which {n} have a {w} that does not contain {t}?",
    "List the {n} without {t} in their {w}.",
    "{n} whose {w} doesn't contain {t}",
    "Which {n} do not have {t} in the {w}?",
];
const NOT_STARTS: &[&str] = &[
    "Which {n} have a {w} that doesn't start with {t}?",
    "{n} whose {w} does not begin with {t}",
    "List the {n} with a {w} not starting with {t}.",
];
const NOT_ENDS: &[&str] = &[
    "Which {n} have a {w} that does not end in {t}?",
    "{n} whose {w} doesn't end with {t}",
];
/// Counting forms: `{m}` is the match said as a participle ("starting with"), `{ms}` as a verb
/// ("starts with").
const COUNT: &[&str] = &[
    "How many {n} have a {w} {m} {t}?",
    "Count the {n} whose {w} {ms} {t}.",
    "number of {n} with a {w} {m} {t}",
];
/// How the text is marked: bare half of the time, in double or single quotes otherwise.
const QUOTES: &[(&str, &str)] = &[("", ""), ("\"", "\""), ("'", "'"), ("", "")];

pub fn draft(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    let col = pick_column(&p.quotable(), rng)?;
    let matching = pick(
        rng,
        &[LikeMatch::Contains, LikeMatch::Starts, LikeMatch::Ends],
    );
    let rows: Vec<usize> = (0..p.rows())
        .filter(|&r| !col.texts[r].trim().is_empty())
        .collect();
    let row = *rows.get(rng.random_range(0..rows.len().max(1)))?;
    let text = piece(&col.texts[row], matching, rng)?;
    let negated = rng.random_bool(0.25);
    let count = rng.random_bool(0.3);
    let (open, close) = pick(rng, QUOTES);
    let quoted = format!("{open}{text}{close}");
    let w = column_words(p, col);
    let question = if count {
        let (m, ms) = match (matching, negated) {
            (LikeMatch::Contains, false) => ("containing", "contains"),
            (LikeMatch::Starts, false) => ("starting with", "starts with"),
            (LikeMatch::Ends, false) => ("ending in", "ends with"),
            (LikeMatch::Contains, true) => ("not containing", "does not contain"),
            (LikeMatch::Starts, true) => ("not starting with", "does not start with"),
            (LikeMatch::Ends, true) => ("not ending in", "does not end with"),
        };
        say(
            pick(rng, COUNT),
            p,
            &[("w", &w), ("m", m), ("ms", ms), ("t", &quoted)],
        )
    } else {
        let templates = match (matching, negated) {
            (LikeMatch::Contains, false) => CONTAINS,
            (LikeMatch::Starts, false) => STARTS,
            (LikeMatch::Ends, false) => ENDS,
            (LikeMatch::Contains, true) => NOT_CONTAINS,
            (LikeMatch::Starts, true) => NOT_STARTS,
            (LikeMatch::Ends, true) => NOT_ENDS,
        };
        say(pick(rng, templates), p, &[("w", &w), ("t", &quoted)])
    };
    Some(Draft {
        question: finished(question, rng),
        query: FamilyQuery {
            select: selected_items(p, count),
            conds: vec![Condition {
                col: col.index,
                pred: Predicate::Like {
                    negated,
                    text,
                    matching,
                },
            }],
            ..FamilyQuery::empty()
        },
    })
}

/// The text a pattern question quotes from `cell`: a whole word (as written) or, lowercased, the
/// start of its first word or the end of its last. Words of letters only, at least 3 of them.
fn piece(cell: &str, matching: LikeMatch, rng: &mut StdRng) -> Option<String> {
    let words: Vec<&str> = cell
        .split_whitespace()
        .filter(|w| w.chars().count() >= 3 && w.chars().all(char::is_alphabetic))
        .collect();
    let cut = |word: &str, rng: &mut StdRng| -> usize {
        let n = word.chars().count();
        rng.random_range(3.min(n)..=n)
    };
    match matching {
        LikeMatch::Contains => (!words.is_empty()).then(|| pick(rng, &words).to_string()),
        LikeMatch::Starts => {
            let first = cell.split_whitespace().next()?;
            if !words.contains(&first) {
                return None;
            }
            let n = cut(first, rng);
            Some(first.chars().take(n).collect::<String>().to_lowercase())
        }
        LikeMatch::Ends => {
            let last = cell.split_whitespace().last()?;
            if !words.contains(&last) {
                return None;
            }
            let n = cut(last, rng);
            let skip = last.chars().count() - n;
            Some(last.chars().skip(skip).collect::<String>().to_lowercase())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn pieces_come_from_the_cell() {
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..20 {
            let start = piece("Nanga Parbat", LikeMatch::Starts, &mut rng).unwrap();
            assert!(start.len() >= 3 && "nanga".starts_with(&start), "{start}");
            let end = piece("Nanga Parbat", LikeMatch::Ends, &mut rng).unwrap();
            assert!(end.len() >= 3 && "parbat".ends_with(&end), "{end}");
            let word = piece("Nanga Parbat", LikeMatch::Contains, &mut rng).unwrap();
            assert!(word == "Nanga" || word == "Parbat", "{word}");
        }
        assert_eq!(piece("K2", LikeMatch::Contains, &mut rng), None);
        assert_eq!(piece("444 - 464 (21)", LikeMatch::Starts, &mut rng), None);
    }
}
