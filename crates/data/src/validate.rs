//! Checks shared by both readers: a table's shape, and a query's indices against its table.
//!
//! The JSON holds bare indices; turning them into [`Query`] here means every later layer can index
//! headers and rows without bounds worries.

use crate::types::{Agg, Cond, CondOp, CondValue, Query, Table};

/// A table is usable when it has columns, one type per column, and rectangular rows.
pub fn check_table(table: &Table) -> Result<(), String> {
    let width = table.header.len();
    if width == 0 {
        return Err(format!("table {:?} has no columns", table.id));
    }
    if table.types.len() != width {
        return Err(format!(
            "table {:?} has {} types for {} columns",
            table.id,
            table.types.len(),
            width
        ));
    }
    if let Some((i, row)) = table
        .rows
        .iter()
        .enumerate()
        .find(|(_, r)| r.len() != width)
    {
        return Err(format!(
            "table {:?} row {} has {} cells for {} columns",
            table.id,
            i,
            row.len(),
            width
        ));
    }
    Ok(())
}

/// One condition as the JSON indexes it: (column, operator, value).
pub type RawCond = (usize, usize, CondValue);

/// Build a [`Query`] from JSON indices, rejecting any index the table or WikiSQL does not have
/// (operator 3, "OP", is listed by WikiSQL but never used, so it is an error too).
pub fn query_from_indices(
    sel: usize,
    agg: usize,
    conds: Vec<RawCond>,
    table: &Table,
) -> Result<Query, String> {
    let width = table.header.len();
    let column = |what: &str, c: usize| {
        if c < width {
            Ok(c)
        } else {
            Err(format!(
                "{what} column {c} is out of range: table {:?} has {width} columns",
                table.id
            ))
        }
    };
    let sel = column("selected", sel)?;
    let agg = Agg::from_index(agg).ok_or_else(|| format!("unknown aggregation index {agg}"))?;
    let conds = conds
        .into_iter()
        .map(|(col, op, value)| {
            let col = column("condition", col)?;
            let op = CondOp::from_index(op).ok_or_else(|| {
                format!("unsupported condition operator index {op} (only 0 =, 1 >, 2 <)")
            })?;
            Ok(Cond { col, op, value })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Query { sel, agg, conds })
}

/// The JSON indices of a query (the inverse of [`query_from_indices`]).
pub fn query_indices(query: &Query) -> Vec<(usize, usize, &CondValue)> {
    query
        .conds
        .iter()
        .map(|c| (c.col, c.op.index(), &c.value))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Cell, ColumnType};

    fn table() -> Table {
        Table::new(
            "t",
            &["a", "b"],
            &[ColumnType::Text, ColumnType::Real],
            vec![vec!["x".into(), 1.0.into()]],
        )
    }

    #[test]
    fn valid_indices_make_a_query() {
        let q = query_from_indices(1, 3, vec![(0, 2, CondValue::Text("x".into()))], &table());
        let q = q.unwrap();
        assert_eq!((q.sel, q.agg, q.conds[0].op), (1, Agg::Count, CondOp::Lt));
    }

    #[test]
    fn bad_indices_are_rejected() {
        let t = table();
        let v = || CondValue::Text("x".into());
        assert!(query_from_indices(2, 0, vec![], &t)
            .unwrap_err()
            .contains("selected column 2"));
        assert!(query_from_indices(0, 6, vec![], &t).is_err());
        assert!(query_from_indices(0, 0, vec![(0, 3, v())], &t)
            .unwrap_err()
            .contains("operator index 3"));
        assert!(query_from_indices(0, 0, vec![(5, 0, v())], &t)
            .unwrap_err()
            .contains("condition column 5"));
    }

    #[test]
    fn ragged_rows_and_type_counts_are_rejected() {
        let mut t = table();
        assert!(check_table(&t).is_ok());
        t.rows.push(vec![Cell::Text("only one".into())]);
        assert!(check_table(&t).unwrap_err().contains("row 1 has 1 cells"));
        let mut t = table();
        t.types.pop();
        assert!(check_table(&t).is_err());
    }
}
