//! WikiSQL's `human_readable` strings: `SELECT COUNT Notes FROM table WHERE Current slogan = SOUTH AUSTRALIA`.
//!
//! They name columns by header and inline values unquoted, so they are for reading, not running.

use crate::data::types::Query;

/// Render a query exactly as WikiSQL's `human_readable` field (HF `wikisql.py`, after
/// salesforce `lib/query.py`): `SELECT {agg} {header} FROM table[ WHERE {header} {op} {value} AND …]`,
/// then every whitespace run collapsed to one space (`" ".join(rep.split())`), inside headers and values too.
pub fn render(query: &Query, header: &[String]) -> String {
    let col = |i: usize| header.get(i).map(String::as_str).unwrap_or("");
    let mut rep = format!("SELECT {} {} FROM table", query.agg.name(), col(query.sel));
    if !query.conds.is_empty() {
        let conds: Vec<String> = query
            .conds
            .iter()
            .map(|c| format!("{} {} {}", col(c.col), c.op.symbol(), c.value.python_str()))
            .collect();
        rep.push_str(" WHERE ");
        rep.push_str(&conds.join(" AND "));
    }
    collapse_whitespace(&rep)
}

/// Python's `" ".join(s.split())`.
pub fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::types::{Agg, Cond, CondOp, CondValue};

    #[test]
    fn renders_like_wikisql() {
        let header: Vec<String> = ["State/territory", "Current  slogan", "Notes"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let q = Query {
            sel: 2,
            agg: Agg::None,
            conds: vec![Cond {
                col: 1,
                op: CondOp::Eq,
                value: CondValue::Text("SOUTH AUSTRALIA".into()),
            }],
        };
        assert_eq!(
            render(&q, &header),
            "SELECT Notes FROM table WHERE Current slogan = SOUTH AUSTRALIA"
        );
        let q = Query {
            sel: 2,
            agg: Agg::Count,
            conds: vec![],
        };
        assert_eq!(render(&q, &header), "SELECT COUNT Notes FROM table");
    }
}
