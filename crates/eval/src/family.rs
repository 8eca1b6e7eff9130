//! Scoring answers of the query family by execution, under pinned rules:
//!
//! 1. **Rows are whole tuples**, columns compared by position in the gold's select order: a
//!    missing, extra or swapped column is wrong. Two looser rates are reported beside, never
//!    instead: the gold's columns found among the predicted ones ([`FamilyMatch::gold_columns_within`])
//!    and the same columns in another order ([`FamilyMatch::columns_other_order`]).
//! 2. **A multiset of rows**, unless the gold has ORDER BY: then rows must come in the gold's
//!    order, except that rows whose ORDER BY keys are equal may come in any order among themselves.
//! 3. **At a LIMIT k** the prediction has exactly k rows (fewer only when the whole result has
//!    fewer); the rows before the k-th row's tie group equal the gold's, the rest come from
//!    that tie group (any of them).
//! 4. **Values:** numbers equal within 1e-6 relative (3 = 3.0, integer or real), text exactly
//!    (both results come from the same database), NULL equals NULL.

use serde::Serialize;
use sqlcoder_data::types::{FamilyQuery, Table};
use sqlcoder_sql::{Executor, Row, SqlValue};

/// The gold's result as the rules need it: the whole result (no LIMIT), in order, each row with
/// its ORDER BY key when the gold has one, and the LIMIT.
#[derive(Clone, Debug, PartialEq)]
pub struct GoldResult {
    pub rows: Vec<Row>,
    pub keys: Option<Vec<SqlValue>>,
    pub limit: Option<usize>,
}

impl GoldResult {
    /// A result without ORDER BY: compared as a multiset.
    pub fn unordered(rows: Vec<Row>) -> GoldResult {
        GoldResult {
            rows,
            keys: None,
            limit: None,
        }
    }
}

/// Runs `gold` for scoring: without its LIMIT, and with its ORDER BY key as an extra column
/// (taken off again) when the key is not selected.
pub fn gold_result(
    exec: &Executor,
    gold: &FamilyQuery,
    table: &Table,
) -> Result<GoldResult, String> {
    let Some(order) = gold.order_by else {
        return Ok(GoldResult::unordered(exec.run_family(gold, table)?.rows));
    };
    let mut whole = gold.clone();
    whole.limit = None;
    let key_at = match whole.select.iter().position(|i| *i == order.item) {
        Some(i) => i,
        None => {
            whole.select.push(order.item);
            whole.select.len() - 1
        }
    };
    let mut rows = exec.run_family(&whole, table)?.rows;
    let keys = rows.iter().map(|r| r[key_at].clone()).collect();
    if whole.select.len() > gold.select.len() {
        rows.iter_mut().for_each(|r| {
            r.pop();
        });
    }
    Ok(GoldResult {
        rows,
        keys: Some(keys),
        limit: gold.limit.map(|k| k as usize),
    })
}

/// Rule 4.
pub fn family_values_equal(a: &SqlValue, b: &SqlValue) -> bool {
    let number = |v: &SqlValue| match v {
        SqlValue::Integer(i) => Some(*i as f64),
        SqlValue::Real(x) => Some(*x),
        _ => None,
    };
    match (a, b) {
        (SqlValue::Null, SqlValue::Null) => true,
        (SqlValue::Text(x), SqlValue::Text(y)) => x == y,
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-6 * x.abs().max(y.abs()),
            _ => false,
        },
    }
}

fn rows_equal(a: &[SqlValue], b: &[SqlValue]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| family_values_equal(x, y))
}

/// Whether `pred` holds the same rows as `gold` as multisets; with `sub`, whether it is a
/// sub-multiset.
fn multiset(gold: &[&Row], pred: &[&Row], sub: bool) -> bool {
    if (!sub && gold.len() != pred.len()) || pred.len() > gold.len() {
        return false;
    }
    let mut used = vec![false; gold.len()];
    pred.iter().all(|p| {
        let found = (0..gold.len()).find(|&i| !used[i] && rows_equal(gold[i], p));
        found.map(|i| used[i] = true).is_some()
    })
}

/// Rules 1-3: whether the predicted rows are the gold's.
pub fn rows_match(gold: &GoldResult, pred: &[Row]) -> bool {
    let all: Vec<&Row> = gold.rows.iter().collect();
    let pred_rows: Vec<&Row> = pred.iter().collect();
    let Some(keys) = &gold.keys else {
        return multiset(&all, &pred_rows, false);
    };
    let expected = gold.limit.map_or(all.len(), |k| k.min(all.len()));
    if pred.len() != expected {
        return false;
    }
    // Walk the gold's groups of equal keys; the group the cut falls in may be partly taken.
    let mut start = 0;
    while start < expected {
        let mut end = start + 1;
        while end < all.len() && family_values_equal(&keys[end], &keys[start]) {
            end += 1;
        }
        let taken = end.min(expected);
        if !multiset(&all[start..end], &pred_rows[start..taken], true) {
            return false;
        }
        start = end;
    }
    true
}

/// The predicted rows with their columns picked (and reordered) by `columns`.
fn project(pred: &[Row], columns: &[usize]) -> Vec<Row> {
    pred.iter()
        .map(|r| {
            columns
                .iter()
                .map(|&c| r.get(c).cloned().unwrap_or(SqlValue::Null))
                .collect()
        })
        .collect()
}

/// Every ordered choice of `k` distinct indices below `n` (k-permutations), small widths only.
fn arrangements(n: usize, k: usize) -> Vec<Vec<usize>> {
    if k == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for rest in arrangements(n, k - 1) {
        for i in (0..n).filter(|i| !rest.contains(i)) {
            let mut next = rest.clone();
            next.push(i);
            out.push(next);
        }
    }
    out
}

/// Widest result whose column arrangements are tried for the looser rates.
const MAX_ARRANGED_WIDTH: usize = 6;

/// How one prediction's rows compare with the gold's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FamilyMatch {
    /// Rules 1-4: the score.
    pub exact: bool,
    /// Some choice of the predicted columns, in the gold's order, matches (extra columns forgiven).
    pub gold_columns_within: bool,
    /// The same number of columns, matching in some order.
    pub columns_other_order: bool,
}

/// Scores predicted rows against the gold's result.
pub fn score_rows(gold: &GoldResult, pred: &[Row]) -> FamilyMatch {
    let exact = rows_match(gold, pred);
    let gold_width = gold.rows.first().map_or(0, Vec::len);
    let pred_width = pred.first().map_or(gold_width, Vec::len);
    let fits = |columns: &Vec<usize>| rows_match(gold, &project(pred, columns));
    let small = pred_width <= MAX_ARRANGED_WIDTH;
    FamilyMatch {
        exact,
        gold_columns_within: exact
            || (small
                && pred_width >= gold_width
                && arrangements(pred_width, gold_width).iter().any(fits)),
        columns_other_order: exact
            || (small
                && pred_width == gold_width
                && arrangements(pred_width, gold_width).iter().any(fits)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SqlValue::{Integer as I, Null, Real as R};

    fn t(s: &str) -> SqlValue {
        SqlValue::Text(s.into())
    }

    fn ordered(rows: Vec<Row>, keys: Vec<SqlValue>, limit: Option<usize>) -> GoldResult {
        GoldResult {
            rows,
            keys: Some(keys),
            limit,
        }
    }

    #[test]
    fn tuples_compare_by_position_and_width() {
        let gold = GoldResult::unordered(vec![vec![t("Ann"), I(30)]]);
        assert!(rows_match(&gold, &[vec![t("Ann"), R(30.0)]]));
        let swapped = [vec![I(30), t("Ann")]];
        assert!(!rows_match(&gold, &swapped), "swapped columns");
        assert!(!rows_match(&gold, &[vec![t("Ann")]]), "missing column");
        let extra = [vec![t("Ann"), I(30), t("IT")]];
        assert!(!rows_match(&gold, &extra), "extra column");
        let scored = score_rows(&gold, &swapped);
        assert!(!scored.exact && scored.columns_other_order && scored.gold_columns_within);
        let scored = score_rows(&gold, &extra);
        assert!(!scored.exact && !scored.columns_other_order && scored.gold_columns_within);
    }

    #[test]
    fn without_order_by_rows_are_a_multiset() {
        let gold = GoldResult::unordered(vec![vec![t("a")], vec![t("b")], vec![t("a")]]);
        assert!(rows_match(
            &gold,
            &[vec![t("b")], vec![t("a")], vec![t("a")]]
        ));
        assert!(
            !rows_match(&gold, &[vec![t("b")], vec![t("a")]]),
            "a lost duplicate"
        );
        assert!(!rows_match(
            &gold,
            &[vec![t("b")], vec![t("b")], vec![t("a")]]
        ));
    }

    #[test]
    fn order_by_decides_order_except_among_equal_keys() {
        let gold = ordered(
            vec![vec![t("x")], vec![t("y")], vec![t("z")]],
            vec![I(3), I(2), I(2)],
            None,
        );
        assert!(rows_match(
            &gold,
            &[vec![t("x")], vec![t("z")], vec![t("y")]]
        ));
        assert!(!rows_match(
            &gold,
            &[vec![t("y")], vec![t("x")], vec![t("z")]]
        ));
    }

    #[test]
    fn a_limit_cut_takes_any_rows_of_its_tie_group() {
        // Top 2 by score: x (9), then one of y/z (both 5).
        let gold = ordered(
            vec![vec![t("x")], vec![t("y")], vec![t("z")], vec![t("w")]],
            vec![I(9), I(5), I(5), I(1)],
            Some(2),
        );
        assert!(rows_match(&gold, &[vec![t("x")], vec![t("z")]]));
        assert!(rows_match(&gold, &[vec![t("x")], vec![t("y")]]));
        assert!(!rows_match(&gold, &[vec![t("x")]]), "k rows are due");
        assert!(!rows_match(
            &gold,
            &[vec![t("x")], vec![t("y")], vec![t("z")]]
        ));
        assert!(
            !rows_match(&gold, &[vec![t("y")], vec![t("x")]]),
            "above the tie in order"
        );
        assert!(!rows_match(&gold, &[vec![t("x")], vec![t("w")]]));
        // Top 3 of a 2-row result: the 2 rows.
        let short = ordered(vec![vec![t("x")], vec![t("y")]], vec![I(2), I(1)], Some(3));
        assert!(rows_match(&short, &[vec![t("x")], vec![t("y")]]));
    }

    #[test]
    fn numbers_match_within_a_millionth_and_null_matches_null() {
        assert!(family_values_equal(&I(3), &R(3.0)));
        assert!(family_values_equal(&R(1_000_000.0), &R(1_000_000.5)));
        assert!(!family_values_equal(&R(1.0), &R(1.001)));
        assert!(family_values_equal(&Null, &Null));
        assert!(!family_values_equal(&Null, &I(0)));
        assert!(!family_values_equal(&t("IT"), &t("it")));
        assert!(!family_values_equal(&t("3"), &I(3)));
    }
}
