//! Official WikiSQL scoring of one prediction (salesforce `evaluate.py` semantics) and the
//! per-slot matches used to see where a model goes wrong.

use serde::Serialize;
use sqlcoder_data::types::{CondOp, Query};
use sqlcoder_sql::value::fold_text;
use sqlcoder_sql::SqlValue;
use std::collections::BTreeSet;

/// Which parts of a predicted query equal the gold one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SlotMatches {
    /// Same selected column.
    pub sel: bool,
    /// Same aggregation.
    pub agg: bool,
    /// Same number of conditions.
    pub where_count: bool,
    /// Same set of condition columns.
    pub where_columns: bool,
    /// Same set of (column, operator): every gold column carries its gold operator, nothing extra.
    pub where_ops: bool,
    /// Same set of (column, value as `str(value).lower()`), per gold column, nothing extra.
    pub where_values: bool,
    /// The official logical form match (see [`logical_form_match`]).
    pub logical_form: bool,
}

/// Python's `str(value).lower()`, the official comparison key of a condition value.
fn value_key(q: &Query) -> impl Iterator<Item = (usize, CondOp, String)> + '_ {
    q.conds
        .iter()
        .map(|c| (c.col, c.op, c.value.python_str().to_lowercase()))
}

/// The official logical-form match (`Query.__eq__`, unordered): same `sel`, same `agg`, and the
/// same SET of `(col, op, str(value).lower())`; condition order and repeats do not count.
pub fn logical_form_match(gold: &Query, pred: &Query) -> bool {
    let conds = |q| value_key(q).collect::<BTreeSet<_>>();
    gold.sel == pred.sel && gold.agg == pred.agg && conds(gold) == conds(pred)
}

/// Every per-slot match of `pred` against `gold`.
pub fn slot_matches(gold: &Query, pred: &Query) -> SlotMatches {
    let cols = |c: usize, _: CondOp, _: String| c;
    let ops = |c: usize, o: CondOp, _: String| (c, o);
    let values = |c: usize, _: CondOp, v: String| (c, v);
    SlotMatches {
        sel: gold.sel == pred.sel,
        agg: gold.agg == pred.agg,
        where_count: gold.conds.len() == pred.conds.len(),
        where_columns: cond_set(gold, cols) == cond_set(pred, cols),
        where_ops: cond_set(gold, ops) == cond_set(pred, ops),
        where_values: cond_set(gold, values) == cond_set(pred, values),
        logical_form: logical_form_match(gold, pred),
    }
}

/// The set of one key per condition.
fn cond_set<K: Ord>(q: &Query, key: impl Fn(usize, CondOp, String) -> K) -> BTreeSet<K> {
    value_key(q).map(|(c, o, v)| key(c, o, v)).collect()
}

/// The official execution match: the result lists are equal element by element, in order.
pub fn results_match(gold: &[SqlValue], pred: &[SqlValue]) -> bool {
    gold.len() == pred.len() && gold.iter().zip(pred).all(|(g, p)| values_equal(g, p))
}

/// One result value against another as the official engine's Python `==` sees them on its
/// lowercased database: text case-insensitively, integers and reals by numeric value (within a
/// relative 1e-9, for sums and averages computed in another order), NULL only equal to NULL.
pub fn values_equal(a: &SqlValue, b: &SqlValue) -> bool {
    match (a, b) {
        (SqlValue::Null, SqlValue::Null) => true,
        (SqlValue::Text(x), SqlValue::Text(y)) => x == y || fold_text(x) == fold_text(y),
        (SqlValue::Integer(x), SqlValue::Integer(y)) => x == y,
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
            _ => false,
        },
    }
}

fn number(v: &SqlValue) -> Option<f64> {
    match v {
        SqlValue::Integer(i) => Some(*i as f64),
        SqlValue::Real(f) => Some(*f),
        _ => None,
    }
}

/// A gold result that answers nothing: no rows, or one NULL (an aggregate over no rows).
pub fn is_empty_result(values: &[SqlValue]) -> bool {
    values.is_empty() || values == [SqlValue::Null]
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlcoder_data::types::{Agg, Cond, CondValue};

    fn q(sel: usize, agg: Agg, conds: &[(usize, CondOp, CondValue)]) -> Query {
        Query {
            sel,
            agg,
            conds: conds
                .iter()
                .map(|(col, op, value)| Cond {
                    col: *col,
                    op: *op,
                    value: value.clone(),
                })
                .collect(),
        }
    }

    fn t(s: &str) -> CondValue {
        CondValue::Text(s.into())
    }

    fn n(x: f64) -> CondValue {
        CondValue::Number(serde_json::Number::from_f64(x).unwrap())
    }

    #[test]
    fn logical_form_compares_lowercased_python_strings_as_a_set() {
        let gold = q(
            1,
            Agg::Count,
            &[(2, CondOp::Eq, t("Butler CC")), (3, CondOp::Gt, n(5.0))],
        );
        let same = q(
            1,
            Agg::Count,
            &[(3, CondOp::Gt, t("5.0")), (2, CondOp::Eq, t("butler cc"))],
        );
        assert!(logical_form_match(&gold, &same));
        // 5 is not "5.0": Python's str(5) differs from str(5.0).
        let int_five = q(
            1,
            Agg::Count,
            &[
                (2, CondOp::Eq, t("Butler CC")),
                (3, CondOp::Gt, CondValue::Number(5.into())),
            ],
        );
        assert!(!logical_form_match(&gold, &int_five));
        let repeated = q(
            1,
            Agg::Count,
            &[
                (2, CondOp::Eq, t("butler cc")),
                (3, CondOp::Gt, t("5.0")),
                (3, CondOp::Gt, t("5.0")),
            ],
        );
        assert!(logical_form_match(&gold, &repeated));
        assert!(!slot_matches(&gold, &repeated).where_count);
        assert!(!logical_form_match(&gold, &q(0, Agg::Count, &[])));
    }

    /// Test lines 7291 and 13139: gold floats whose shortest repr has 17 digits, predicted as the
    /// same digits in a string. `str(3.2800000000000002)` is that string in Python, so the official
    /// script counts both as matches; parsing the gold JSON must keep the float exact to agree.
    #[test]
    fn seventeen_digit_gold_floats_match_their_digits() {
        for (digits, col) in [("3.2800000000000002", 5), ("1.9500000000000002", 1)] {
            let gold_json: serde_json::Value = serde_json::from_str(&format!(
                r#"{{"sel": 0, "agg": 0, "conds": [[{col}, 2, {digits}]]}}"#
            ))
            .unwrap();
            let gold = crate::predictions::query_from_json(&gold_json)
                .unwrap()
                .unwrap();
            assert_eq!(gold.conds[0].value.python_str(), digits);
            let pred = q(0, Agg::None, &[(col, CondOp::Lt, t(digits))]);
            assert!(logical_form_match(&gold, &pred), "{digits}");
        }
    }

    #[test]
    fn slots_are_judged_separately() {
        let gold = q(
            1,
            Agg::None,
            &[(2, CondOp::Eq, t("x")), (3, CondOp::Lt, t("7"))],
        );
        let pred = q(
            1,
            Agg::Max,
            &[(2, CondOp::Eq, t("X")), (3, CondOp::Gt, t("8"))],
        );
        let m = slot_matches(&gold, &pred);
        assert_eq!(
            m,
            SlotMatches {
                sel: true,
                agg: false,
                where_count: true,
                where_columns: true,
                where_ops: false,
                where_values: false,
                logical_form: false,
            }
        );
        let extra = q(
            1,
            Agg::None,
            &[
                (2, CondOp::Eq, t("x")),
                (3, CondOp::Lt, t("7")),
                (4, CondOp::Eq, t("y")),
            ],
        );
        let m = slot_matches(&gold, &extra);
        assert!(!m.where_columns && !m.where_ops && !m.where_values && !m.where_count);
        assert!(slot_matches(&gold, &gold).logical_form);
    }

    #[test]
    fn results_compare_with_official_value_semantics() {
        use SqlValue::*;
        assert!(results_match(
            &[Text("ÉCOLE".into()), Integer(3)],
            &[Text("école".into()), Real(3.0)]
        ));
        assert!(results_match(&[Real(0.1 + 0.2)], &[Real(0.3)]));
        assert!(!results_match(&[Real(0.3)], &[Real(0.31)]));
        assert!(!results_match(&[Text("5".into())], &[Real(5.0)]));
        assert!(!results_match(&[Null], &[Integer(0)]));
        assert!(results_match(&[Null], &[Null]));
        assert!(!results_match(
            &[Integer(1), Integer(2)],
            &[Integer(2), Integer(1)]
        ));
        assert!(!results_match(&[Integer(1)], &[Integer(1), Integer(1)]));
        assert!(!results_match(
            &[Integer(i64::MAX)],
            &[Integer(i64::MAX - 1)]
        ));
        assert!(
            is_empty_result(&[]) && is_empty_result(&[Null]) && !is_empty_result(&[Integer(0)])
        );
    }
}
