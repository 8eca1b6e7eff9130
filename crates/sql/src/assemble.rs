//! The assembler: a WikiSQL [`Query`] over a [`Table`] → one executable SQLite statement.
//!
//! Identifiers are always quoted and values always bound, so any header and any value give SQL
//! that prepares and runs. Comparisons follow the official engine (`lib/dbengine.py`): text is
//! compared case-insensitively (it lowercases both sides), `real` columns compare numbers parsed
//! the official way.

use super::naming::{column_names, quote_ident, table_name};
use super::value::parse_official_number;
use super::{SqlError, SqlParam, SqlStatement};
use sqlcoder_data::types::{Agg, ColumnType, CondValue, Query, Table};

/// The name of the SQLite function (registered by [`super::Executor`]) folding text the way
/// [`super::value::fold_text`] does; SQLite's own `lower()` only folds ASCII.
pub const FOLD_FUNCTION: &str = "sqlcoder_fold";

/// `SELECT agg("col") FROM "table_x" WHERE … AND …` with `?N` placeholders for the values.
///
/// Text columns compare `sqlcoder_fold("c") op sqlcoder_fold(?N)` (for `>`/`<` too: the official
/// engine compares lowercased strings). Real columns compare `"c" op ?N` with the value parsed by
/// [`parse_official_number`] (JSON numbers as they are); an unparseable value binds NULL, which
/// matches no row. Conditions keep their own placeholders even when two share a column (the official
/// engine binds one value per column name there, a quirk not copied).
pub fn assemble(query: &Query, table: &Table) -> Result<SqlStatement, SqlError> {
    let names = column_names(&table.header);
    let column = |slot: &'static str, col: usize| {
        names
            .get(col)
            .map(|name| quote_ident(name))
            .ok_or_else(|| SqlError::ColumnOutOfRange {
                slot,
                col,
                width: names.len(),
                table_id: table.id.clone(),
            })
    };

    let selected = column("select", query.sel)?;
    let projection = match query.agg {
        Agg::None => selected,
        agg => format!("{}({selected})", agg.name()),
    };
    let mut sql = format!(
        "SELECT {projection} FROM {}",
        quote_ident(&table_name(&table.id))
    );

    let mut params = Vec::with_capacity(query.conds.len());
    for (i, cond) in query.conds.iter().enumerate() {
        let col = column("condition", cond.col)?;
        sql.push_str(if i == 0 { " WHERE " } else { " AND " });
        let placeholder = format!("?{}", i + 1);
        let op = cond.op.symbol();
        match table
            .types
            .get(cond.col)
            .copied()
            .unwrap_or(ColumnType::Text)
        {
            ColumnType::Text => {
                sql.push_str(&format!(
                    "{FOLD_FUNCTION}({col}) {op} {FOLD_FUNCTION}({placeholder})"
                ));
                params.push(SqlParam::Text(cond.value.python_str()));
            }
            ColumnType::Real => {
                sql.push_str(&format!("{col} {op} {placeholder}"));
                params.push(real_param(&cond.value));
            }
        }
    }
    Ok(SqlStatement { sql, params })
}

/// A condition value on a `real` column: JSON numbers directly, strings parsed officially.
fn real_param(value: &CondValue) -> SqlParam {
    let number = match value {
        CondValue::Number(n) => n.as_f64(),
        CondValue::Text(s) => parse_official_number(s),
    };
    number.map_or(SqlParam::Null, SqlParam::Real)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlcoder_data::types::{Cond, CondOp};

    fn table() -> Table {
        Table::new(
            "1-2-3",
            &["Player", "Goals \"total\"", "player"],
            &[ColumnType::Text, ColumnType::Real, ColumnType::Text],
            vec![],
        )
    }

    fn cond(col: usize, op: CondOp, value: CondValue) -> Cond {
        Cond { col, op, value }
    }

    #[test]
    fn text_and_real_conditions_are_bound() {
        let q = Query {
            sel: 0,
            agg: Agg::Count,
            conds: vec![
                cond(2, CondOp::Eq, CondValue::Text("O'Neil ÉTÉ".into())),
                cond(1, CondOp::Gt, CondValue::Text("1,234.5".into())),
                cond(1, CondOp::Lt, CondValue::Number(7.into())),
                cond(1, CondOp::Eq, CondValue::Text("none".into())),
            ],
        };
        let stmt = assemble(&q, &table()).unwrap();
        assert_eq!(
            stmt.sql,
            "SELECT COUNT(\"Player\") FROM \"table_1_2_3\" \
             WHERE sqlcoder_fold(\"player (2)\") = sqlcoder_fold(?1) \
             AND \"Goals \"\"total\"\"\" > ?2 AND \"Goals \"\"total\"\"\" < ?3 \
             AND \"Goals \"\"total\"\"\" = ?4"
        );
        assert_eq!(
            stmt.params,
            vec![
                SqlParam::Text("O'Neil ÉTÉ".into()),
                SqlParam::Real(1234.5),
                SqlParam::Real(7.0),
                SqlParam::Null,
            ]
        );
    }

    #[test]
    fn numbers_on_text_columns_compare_as_python_text() {
        let q = Query {
            sel: 1,
            agg: Agg::None,
            conds: vec![cond(
                0,
                CondOp::Eq,
                CondValue::Number(serde_json::Number::from_f64(5.0).unwrap()),
            )],
        };
        let stmt = assemble(&q, &table()).unwrap();
        assert!(stmt.sql.starts_with("SELECT \"Goals \"\"total\"\"\" FROM"));
        assert_eq!(stmt.params, vec![SqlParam::Text("5.0".into())]);
    }

    #[test]
    fn out_of_range_columns_are_errors() {
        let q = Query {
            sel: 3,
            agg: Agg::None,
            conds: vec![],
        };
        let err = assemble(&q, &table()).unwrap_err();
        assert!(matches!(
            err,
            SqlError::ColumnOutOfRange {
                col: 3,
                width: 3,
                ..
            }
        ));
        let q = Query {
            sel: 0,
            agg: Agg::Max,
            conds: vec![cond(9, CondOp::Eq, CondValue::Text("x".into()))],
        };
        let err = assemble(&q, &table()).unwrap_err();
        assert!(err.to_string().contains("condition column 9"), "{err}");
    }
}
