//! Conditions on columns of dates written as text: "after 4 March 2024", "before 2023-05-01",
//! "on or after Mar 4, 2024", "between … and …", "in 2023". The question writes its date in the
//! column's own form or another one (the executor reads any of them as a date); ordering by a
//! date column is the order and superlative kinds' (their columns include dates).

use super::{pick_column, say, selected_items, Draft};
use crate::profile::Profile;
use crate::roles::Role;
use crate::words::{fill, finished, pick};
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::dates::{DateFormat, DateKey};
use sqlcoder_data::types::{CmpOp, CondValue, Condition, FamilyQuery, Item, Predicate};

const AFTER: &[&str] = &["after {d}", "later than {d}"];
const BEFORE: &[&str] = &["before {d}", "earlier than {d}", "prior to {d}"];
const ON_OR_AFTER: &[&str] = &["on or after {d}", "no earlier than {d}"];
const ON_OR_BEFORE: &[&str] = &["on or before {d}", "no later than {d}"];
const BETWEEN: &[&str] = &["between {d1} and {d2}", "from {d1} to {d2}"];
const IN_YEAR: &[&str] = &["in {y}", "during {y}"];
const LIST: &[&str] = &[
    "Which {n} have a {c} {x}?",
    "List the {n} with {c} {x}.",
    "{n} with a {c} {x}",
    "Show the {n} whose {c} is {x}.",
    "{n} {x}",
    "Which {n} are dated {x}?",
];
const LIST_WITH_DATE: &[&str] = &[
    "Which {n} have a {c} {x}, and what is it?",
    "List the {n} with a {c} {x}, with their {c}.",
    "Show the {n} and their {c} where the {c} is {x}.",
    "{n} and {c} for {c} {x}",
    "List each {s} with a {c} {x} and its {c}.",
];
const COUNT: &[&str] = &[
    "How many {n} have a {c} {x}?",
    "Count the {n} with {c} {x}.",
    "number of {n} {x}",
    "How many {n} are dated {x}?",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

pub fn draft(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
    let col = pick_column(&p.ordered(), rng).filter(|c| matches!(c.role, Role::Date(_)));
    let col = match col {
        Some(col) => col,
        None => pick_column(&p.dates(), rng)?,
    };
    let Role::Date(format) = col.role else {
        return None;
    };
    let mut keys: Vec<DateKey> = col.texts.iter().filter_map(|t| format.key_of(t)).collect();
    keys.sort();
    keys.dedup();
    if keys.len() < 2 {
        return None;
    }
    let last = keys.len() - 1;
    let (phrase, pred) = match rng.random_range(0..6) {
        0 => {
            let d = write(keys[rng.random_range(0..last)], format, rng);
            (phrase(AFTER, &d, rng), compared(CmpOp::Gt, d))
        }
        1 => {
            let d = write(keys[rng.random_range(1..=last)], format, rng);
            (phrase(BEFORE, &d, rng), compared(CmpOp::Lt, d))
        }
        2 => {
            let d = write(keys[rng.random_range(1..=last)], format, rng);
            (phrase(ON_OR_AFTER, &d, rng), compared(CmpOp::Ge, d))
        }
        3 => {
            let d = write(keys[rng.random_range(0..last)], format, rng);
            (phrase(ON_OR_BEFORE, &d, rng), compared(CmpOp::Le, d))
        }
        4 => {
            let lo = rng.random_range(0..last);
            let hi = rng.random_range(lo + 1..=last);
            let (d1, d2) = (write(keys[lo], format, rng), write(keys[hi], format, rng));
            let x = fill(pick(rng, BETWEEN), &[("d1", &d1), ("d2", &d2)]);
            (
                x,
                Predicate::Between(CondValue::Text(d1), CondValue::Text(d2)),
            )
        }
        _ => {
            let year = keys[rng.random_range(0..=last)] / 10_000;
            let style = pick_style(format, rng);
            let (d1, d2) = (
                write_as(year * 10_000 + 101, style),
                write_as(year * 10_000 + 1231, style),
            );
            let x = fill(pick(rng, IN_YEAR), &[("y", &year.to_string())]);
            (
                x,
                Predicate::Between(CondValue::Text(d1), CondValue::Text(d2)),
            )
        }
    };
    // One column under `>` or `<` is a query of WikiSQL's sketch, which compares text, not
    // dates: such a listing shows the dates too, which takes it out of the sketch. Where the
    // dates are what names the rows, only a count can leave it.
    let strict = matches!(pred, Predicate::Compare(CmpOp::Gt | CmpOp::Lt, _));
    let count = rng.random_bool(0.3) || (strict && col.index == p.subject);
    let (templates, select) = match (count, strict) {
        (true, _) => (COUNT, vec![Item::count_rows()]),
        (false, true) => {
            let mut items = selected_items(p, false);
            items.push(Item::column(col.index));
            (LIST_WITH_DATE, items)
        }
        (false, false) => (LIST, selected_items(p, false)),
    };
    let question = say(
        pick(rng, templates),
        p,
        &[("c", &col.spoken), ("x", &phrase)],
    );
    Some(Draft {
        question: finished(question, rng),
        query: FamilyQuery {
            select,
            conds: vec![Condition {
                col: col.index,
                pred,
            }],
            ..FamilyQuery::empty()
        },
    })
}

fn phrase(phrases: &[&str], date: &str, rng: &mut StdRng) -> String {
    fill(pick(rng, phrases), &[("d", date)])
}

fn compared(op: CmpOp, date: String) -> Predicate {
    Predicate::Compare(op, CondValue::Text(date))
}

/// How a question writes a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    /// `2024-03-04`
    Iso,
    /// `4 March 2024`
    DayMonthName,
    /// `March 4, 2024`
    MonthNameDay,
    /// `Mar 4, 2024`
    ShortMonthNameDay,
    /// The column's own numeric form (`13/04/2024` day first, `04/13/2024` month first).
    Numeric { sep: char, day_first: bool },
}

/// The column's own form half of the time, another of the forms the executor reads otherwise.
fn pick_style(format: DateFormat, rng: &mut StdRng) -> Style {
    let own = match format {
        DateFormat::Iso => Style::Iso,
        DateFormat::DayMonthYear(sep) => Style::Numeric {
            sep,
            day_first: true,
        },
        DateFormat::MonthDayYear(sep) => Style::Numeric {
            sep,
            day_first: false,
        },
        DateFormat::DayMonthName => Style::DayMonthName,
        // An ambiguous column is no date column (its role says so); the name forms never are.
        DateFormat::MonthNameDay | DateFormat::Ambiguous(_) => Style::MonthNameDay,
    };
    if rng.random_bool(0.5) {
        own
    } else {
        pick(
            rng,
            &[
                Style::Iso,
                Style::DayMonthName,
                Style::MonthNameDay,
                Style::ShortMonthNameDay,
            ],
        )
    }
}

fn write(key: DateKey, format: DateFormat, rng: &mut StdRng) -> String {
    write_as(key, pick_style(format, rng))
}

/// `yyyymmdd` written in `style`.
fn write_as(key: DateKey, style: Style) -> String {
    let (y, m, d) = (key / 10_000, (key / 100) % 100, key % 100);
    let month = MONTHS[(m - 1).clamp(0, 11) as usize];
    match style {
        Style::Iso => format!("{y:04}-{m:02}-{d:02}"),
        Style::DayMonthName => format!("{d} {month} {y}"),
        Style::MonthNameDay => format!("{month} {d}, {y}"),
        Style::ShortMonthNameDay => format!("{} {d}, {y}", &month[..3]),
        Style::Numeric { sep, day_first } if day_first => format!("{d:02}{sep}{m:02}{sep}{y}"),
        Style::Numeric { sep, .. } => format!("{m:02}{sep}{d:02}{sep}{y}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlcoder_data::dates::date_span;

    #[test]
    fn written_dates_read_back_on_their_column() {
        let key = 20240314;
        let columns = [
            DateFormat::Iso,
            DateFormat::DayMonthYear('/'),
            DateFormat::MonthDayYear('-'),
            DateFormat::DayMonthName,
            DateFormat::MonthNameDay,
        ];
        let styles = [
            Style::Iso,
            Style::DayMonthName,
            Style::MonthNameDay,
            Style::ShortMonthNameDay,
        ];
        for column in columns {
            let own = match column {
                DateFormat::DayMonthYear(sep) => Some(Style::Numeric {
                    sep,
                    day_first: true,
                }),
                DateFormat::MonthDayYear(sep) => Some(Style::Numeric {
                    sep,
                    day_first: false,
                }),
                _ => None,
            };
            for style in styles.into_iter().chain(own) {
                let text = write_as(key, style);
                let span = date_span(&text, column).unwrap_or_else(|| panic!("{text}"));
                assert_eq!((span.lo, span.hi), (key, key), "{text} on {column:?}");
            }
        }
        assert_eq!(write_as(20230101, Style::DayMonthName), "1 January 2023");
        assert_eq!(write_as(20231231, Style::ShortMonthNameDay), "Dec 31, 2023");
    }
}
