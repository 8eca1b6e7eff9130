//! A question of another shape about the rows one condition keeps, the condition said with the
//! rows' noun: "Which player from Duke scored the most points?", "How many planets with rings are
//! there of each type?", "List the books under $10 sorted by pages". People filter and rank, or
//! filter and group, in one breath; a template of one shape alone never shows two clauses said
//! together. A value of a grouping column is often said bare, the column left to be guessed:
//! "the employees in IT", "players from Duke", "the orders at the Central store". The condition
//! may leave a value out or bound a number inclusively ("stalls other than Vegetables", "stays
//! of 3 nights or more"), and a question of an operator's own shape may be narrowed too ("books
//! not by Bram Stoker kept more than 20 days"), since people say two conditions together.

use super::{
    column_words, compare, counted, number_columns, number_words, pick_column, quotable_row, Draft,
};
use crate::profile::{number_value, Profile};
use crate::roles::Role;
use crate::words::{fill, pick};
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::{CmpOp, Condition, Connector, Predicate};

const IS: &[&str] = &[
    "with {w} {v}",
    "whose {w} is {v}",
    "where the {w} is {v}",
    "with a {w} of {v}",
    "that have {w} {v}",
];
/// A grouping column's value said bare or with the column after it (taken two times in five).
const BARE: &[&str] = &[
    "in {v}",
    "from {v}",
    "in the {v} {w}",
    "at {v}",
    "of the {v} {w}",
    "in {w} {v}",
];
/// A grouping column's value left out ("the employees not in IT", "stalls other than Vegetables").
const NOT_IS: &[&str] = &[
    "not in {v}",
    "other than {v}",
    "whose {w} is not {v}",
    "that aren't {v}",
    "outside {v}",
    "not from {v}",
    "with a {w} other than {v}",
    "except {v}",
];
/// Inclusive bounds: "with at least 3 goals", "costing $20 or less".
const AT_LEAST: &[&str] = &[
    "with {w} of at least {v}",
    "with {w} {v} or more",
    "whose {w} is {v} or above",
    "with a {w} no less than {v}",
];
const AT_MOST: &[&str] = &[
    "with {w} of at most {v}",
    "with {w} {v} or less",
    "whose {w} is {v} or below",
    "with a {w} up to {v}",
];
const AT_LEAST_TALLY: &[&str] = &["with at least {v} {w}", "with {v} or more {w}"];
const AT_MOST_TALLY: &[&str] = &["with at most {v} {w}", "with {v} or fewer {w}"];
const SINCE: &[&str] = &["with {w} {v} or later", "since {v}", "from {v} on"];
const UNTIL: &[&str] = &["with {w} {v} or earlier", "up to {v}"];
/// Both ends inclusive: "with 14 to 21 days out", "whose year is between 2018 and 2020".
const RANGE: &[&str] = &[
    "with {w} between {lo} and {hi}",
    "with {w} from {lo} to {hi}",
    "whose {w} is {lo} to {hi}",
    "with a {w} of {lo} through {hi}",
];
const RANGE_TALLY: &[&str] = &["with between {lo} and {hi} {w}", "with {lo} to {hi} {w}"];
const OVER: &[&str] = &[
    "with {w} over {v}",
    "with {w} above {v}",
    "whose {w} is more than {v}",
    "with a {w} greater than {v}",
];
const UNDER: &[&str] = &[
    "with {w} under {v}",
    "with {w} below {v}",
    "whose {w} is less than {v}",
    "with a {w} lower than {v}",
];
const OVER_TALLY: &[&str] = &["with more than {v} {w}", "with over {v} {w}"];
const UNDER_TALLY: &[&str] = &["with fewer than {v} {w}", "with under {v} {w}"];
const AFTER: &[&str] = &["with {w} after {v}", "whose {w} is later than {v}"];
const BEFORE: &[&str] = &["with {w} before {v}", "whose {w} is earlier than {v}"];

/// `shaped`'s question about the table with its rows' noun narrowed by one condition, and the
/// condition added to its query. `None` when the table has no column to narrow by, or the
/// question does not say the noun (the condition would go unsaid), or its query already has a
/// condition on that column or joins its conditions with OR.
pub fn draft(
    p: &Profile,
    rng: &mut StdRng,
    shaped: impl FnOnce(&Profile, &mut StdRng) -> Option<Draft>,
) -> Option<Draft> {
    let (cond, phrase) = condition(p, rng)?;
    let mut narrowed = p.clone();
    narrowed.noun.one = format!("{} {phrase}", p.noun.one);
    narrowed.noun.many = format!("{} {phrase}", p.noun.many);
    let mut d = shaped(&narrowed, rng)?;
    let unsaid = !d.question.contains(&phrase);
    let clashes = d.query.conds.iter().any(|c| c.col == cond.col)
        || (d.query.connector == Connector::Or && !d.query.conds.is_empty());
    if unsaid || clashes {
        return None;
    }
    d.query.conds.push(cond);
    Some(d)
}

/// A condition that keeps some of the rows, and how it is said after a noun: on a grouping
/// column `=` (or, one time in four, `!=`); on a number column `>` or `<` a value strictly
/// inside its range, `>=` or `<=` one, or BETWEEN two of its values. The tune part's questions
/// that use `!=`, `>=`/`<=` or BETWEEN nearly all say one more thing beside it (a second
/// condition, an order, the columns to show), so the operators are drawn here too, not only
/// by their own modules.
fn condition(p: &Profile, rng: &mut StdRng) -> Option<(Condition, String)> {
    let groups = p.other_groups();
    // Number columns with a value strictly inside their range, beside their values.
    let numbers: Vec<_> = number_columns(p)
        .into_iter()
        .filter(|c| c.role != Role::Identifier)
        .map(|c| (c, c.distinct_numbers()))
        .filter(|(_, values)| values.len() >= 3)
        .collect();
    let by_group = !groups.is_empty() && (numbers.is_empty() || rng.random_bool(0.5));
    if by_group {
        let col = pick_column(&groups, rng)?;
        let (_, value, v_words) = quotable_row(col, rng)?;
        let (templates, op) = if rng.random_bool(0.25) {
            (NOT_IS, CmpOp::Ne)
        } else if rng.random_bool(0.4) {
            (BARE, CmpOp::Eq)
        } else {
            (IS, CmpOp::Eq)
        };
        let phrase = fill(
            pick(rng, templates),
            &[("w", &column_words(p, col)), ("v", &v_words)],
        );
        return Some((compare(col.index, op, value), phrase));
    }
    if numbers.is_empty() {
        return None;
    }
    let (col, values) = &numbers[rng.random_range(0..numbers.len())];
    let roll: f64 = rng.random();
    if roll < 0.2 {
        let lo_at = rng.random_range(0..values.len() - 1);
        let hi_at = rng.random_range(lo_at + 1..values.len());
        let (lo, hi) = (values[lo_at], values[hi_at]);
        let templates = if counted(col) { RANGE_TALLY } else { RANGE };
        let phrase = fill(
            pick(rng, templates),
            &[
                ("w", &col.spoken),
                ("lo", &number_words(col, lo, rng)),
                ("hi", &number_words(col, hi, rng)),
            ],
        );
        let cond = Condition {
            col: col.index,
            pred: Predicate::Between(number_value(lo), number_value(hi)),
        };
        return Some((cond, phrase));
    }
    let v = values[rng.random_range(1..values.len() - 1)];
    let over = rng.random_bool(0.5);
    let inclusive = roll < 0.5;
    let templates = match (col.role, over, counted(col), inclusive) {
        (Role::Year, true, _, false) => AFTER,
        (Role::Year, false, _, false) => BEFORE,
        (Role::Year, true, _, true) => SINCE,
        (Role::Year, false, _, true) => UNTIL,
        (_, true, true, false) => OVER_TALLY,
        (_, false, true, false) => UNDER_TALLY,
        (_, true, false, false) => OVER,
        (_, false, false, false) => UNDER,
        (_, true, true, true) => AT_LEAST_TALLY,
        (_, false, true, true) => AT_MOST_TALLY,
        (_, true, false, true) => AT_LEAST,
        (_, false, false, true) => AT_MOST,
    };
    let v_words = number_words(col, v, rng);
    let phrase = fill(pick(rng, templates), &[("w", &col.spoken), ("v", &v_words)]);
    let op = match (over, inclusive) {
        (true, false) => CmpOp::Gt,
        (false, false) => CmpOp::Lt,
        (true, true) => CmpOp::Ge,
        (false, true) => CmpOp::Le,
    };
    Some((compare(col.index, op, number_value(v)), phrase))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::finished;
    use rand::SeedableRng;
    use sqlcoder_data::types::ColumnType::{Real, Text};
    use sqlcoder_data::types::{
        CondValue, Direction, FamilyQuery, Item, OrderBy, Predicate, Table,
    };

    fn table() -> Table {
        let rows = [
            ("Ann Lee", "guard", 3.0),
            ("Bo Li", "guard", 5.0),
            ("Cy Ma", "center", 8.0),
            ("Di Ng", "center", 11.0),
        ];
        Table::new(
            "t",
            &["Player", "Position", "Goals"],
            &[Text, Text, Real],
            rows.iter()
                .map(|&(a, b, c)| vec![a.into(), b.into(), c.into()])
                .collect(),
        )
    }

    fn ranked(p: &Profile, rng: &mut StdRng) -> Option<Draft> {
        Some(Draft {
            question: finished(format!("Which {} scored the most?", p.noun.one), rng),
            query: FamilyQuery {
                select: vec![Item::column(0)],
                order_by: Some(OrderBy {
                    item: Item::column(2),
                    dir: Direction::Desc,
                }),
                limit: Some(1),
                ..FamilyQuery::empty()
            },
        })
    }

    #[test]
    fn the_condition_is_said_with_the_noun_and_added_to_the_query() {
        let t = table();
        let p = Profile::new(&t, None, 0);
        let mut said = 0;
        let mut ops = std::collections::BTreeSet::new();
        for seed in 0..60 {
            let mut rng = StdRng::seed_from_u64(seed);
            let Some(d) = draft(&p, &mut rng, ranked) else {
                continue;
            };
            said += 1;
            let [cond] = d.query.conds.as_slice() else {
                panic!("{:?}", d.query);
            };
            assert!(d.question.contains("player "), "{}", d.question);
            match (&cond.pred, cond.col) {
                (Predicate::Compare(CmpOp::Eq | CmpOp::Ne, v), 1) => {
                    assert!(d.question.contains(&v.python_str()), "{}", d.question)
                }
                // Inside the range: 5 or 8, never an end.
                (Predicate::Compare(CmpOp::Gt | CmpOp::Lt | CmpOp::Ge | CmpOp::Le, v), 2) => {
                    assert!(["5", "8"].contains(&v.python_str().as_str()), "{v:?}");
                    assert!(d.question.contains(&v.python_str()), "{}", d.question)
                }
                (Predicate::Between(lo, hi), 2) => {
                    let number = |v: &CondValue| v.python_str().parse::<f64>().unwrap();
                    assert!(number(lo) < number(hi), "{lo:?} {hi:?}");
                    for v in [lo, hi] {
                        assert!(d.question.contains(&v.python_str()), "{}", d.question)
                    }
                }
                other => panic!("{other:?}"),
            }
            ops.insert(match &cond.pred {
                Predicate::Compare(op, _) => op.sql(),
                _ => "BETWEEN",
            });
            assert_eq!(d.query.limit, Some(1));
        }
        assert!(said >= 45, "{said} of 60");
        // Every kind of condition is drawn.
        assert_eq!(ops.len(), 7, "{ops:?}");
    }

    #[test]
    fn an_unsaid_noun_or_a_clashing_condition_gives_none() {
        let t = table();
        let p = Profile::new(&t, None, 0);
        let mut rng = StdRng::seed_from_u64(1);
        let who = |_: &Profile, _: &mut StdRng| {
            Some(Draft {
                question: "Who scored the most?".into(),
                query: FamilyQuery::empty(),
            })
        };
        assert_eq!(draft(&p, &mut rng, who), None);
        let or = |p: &Profile, _: &mut StdRng| {
            Some(Draft {
                question: format!("Which {} are guards or centers?", p.noun.many),
                query: FamilyQuery {
                    conds: vec![
                        compare(1, CmpOp::Eq, CondValue::Text("guard".into())),
                        compare(1, CmpOp::Eq, CondValue::Text("center".into())),
                    ],
                    connector: Connector::Or,
                    ..FamilyQuery::empty()
                },
            })
        };
        assert_eq!(draft(&p, &mut rng, or), None);
    }
}
