//! The assembler: a WikiSQL [`Query`] over a [`Table`] → one executable statement in a [`Dialect`].
//!
//! Identifiers are always quoted and values always bound, so any header and any value give SQL
//! that prepares and runs. Comparisons follow the official engine (`lib/dbengine.py`): text is
//! compared case-insensitively (it lowercases both sides), `real` columns compare numbers parsed
//! the official way.

use super::dialect::Dialect;
use super::naming::{column_names, quote_ident, table_name};
use super::value::{fold_text, parse_official_number};
use super::{SqlError, SqlParam, SqlStatement};
use sqlcoder_data::types::{Agg, Cell, ColumnType, CondOp, CondValue, Query, Table};

/// The name of the SQLite function (registered by [`super::Executor`] for
/// [`Dialect::SqliteFold`]) folding text the way [`super::value::fold_text`] does.
pub const FOLD_FUNCTION: &str = "sqlcoder_fold";

/// `SELECT agg("col") FROM "table" WHERE … AND …` with placeholders for the values.
///
/// Text columns compare `lower("c") op lower(?N)` (for `>`/`<` too: the official engine compares
/// lowercased strings); with [`Dialect::SqliteFold`] through `sqlcoder_fold` instead. Real columns
/// compare `"c" op ?N` with the value parsed by [`parse_official_number`] (JSON numbers as they
/// are); an unparseable value binds NULL, which matches no row. Conditions keep their own
/// placeholders even when two share a column (the official engine binds one value per column
/// name there, a quirk not copied).
pub fn assemble(query: &Query, table: &Table, dialect: Dialect) -> Result<SqlStatement, SqlError> {
    let names = match dialect {
        Dialect::Sqlite | Dialect::SqliteFold => column_names(&table.header),
        Dialect::Postgres => table.header.clone(),
    };
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
    let type_of = |col: usize| table.types.get(col).copied().unwrap_or(ColumnType::Text);

    let selected = column("select", query.sel)?;
    let projection = match (query.agg, dialect, type_of(query.sel)) {
        (Agg::None, ..) => selected,
        // Byte-wise, as SQLite and the official engine order text.
        (Agg::Max | Agg::Min, Dialect::Postgres, ColumnType::Text) => {
            format!("{}({selected} COLLATE \"C\")", query.agg.name())
        }
        (agg, ..) => format!("{}({selected})", agg.name()),
    };
    let mut sql = format!("SELECT {projection} FROM {}", sql_table(table, dialect));

    let mut params = Vec::with_capacity(query.conds.len());
    let mut bind = |param: SqlParam| {
        params.push(param);
        dialect.placeholder(params.len())
    };
    for (i, cond) in query.conds.iter().enumerate() {
        let col = column("condition", cond.col)?;
        sql.push_str(if i == 0 { " WHERE " } else { " AND " });
        let op = cond.op.symbol();
        let condition = match type_of(cond.col) {
            ColumnType::Text => {
                let value = cond.value.python_str();
                match dialect {
                    Dialect::SqliteFold => {
                        let p = bind(SqlParam::Text(value));
                        format!("{FOLD_FUNCTION}({col}) {op} {FOLD_FUNCTION}({p})")
                    }
                    Dialect::Sqlite if cond.op == CondOp::Eq => {
                        match cells_lower_misses(table, cond.col, &value) {
                            Some(cells) => exact_cells(&col, cells, &mut bind),
                            None => {
                                format!("lower({col}) = lower({})", bind(SqlParam::Text(value)))
                            }
                        }
                    }
                    Dialect::Sqlite => {
                        format!("lower({col}) {op} lower({})", bind(SqlParam::Text(value)))
                    }
                    Dialect::Postgres => {
                        let p = bind(SqlParam::Text(value));
                        match cond.op {
                            CondOp::Eq => format!("lower({col}) = lower({p})"),
                            _ => format!("lower({col}) {op} lower({p}) COLLATE \"C\""),
                        }
                    }
                }
            }
            ColumnType::Real => {
                let p = bind(real_param(&cond.value));
                match dialect {
                    // Bound values are double precision whatever the column's numeric type.
                    Dialect::Postgres => format!("{col} {op} CAST({p} AS double precision)"),
                    Dialect::Sqlite | Dialect::SqliteFold => format!("{col} {op} {p}"),
                }
            }
        };
        sql.push_str(&condition);
    }
    Ok(SqlStatement {
        sql,
        params,
        dialect,
    })
}

/// The quoted table name: our layout's `table_<id>` in SQLite, the table's own (optionally
/// schema-qualified) name in PostgreSQL.
pub fn sql_table(table: &Table, dialect: Dialect) -> String {
    match dialect {
        Dialect::Sqlite | Dialect::SqliteFold => quote_ident(&table_name(&table.id)),
        Dialect::Postgres => table
            .id
            .splitn(2, '.')
            .map(quote_ident)
            .collect::<Vec<_>>()
            .join("."),
    }
}

/// The distinct cells of text column `col` equal to `value` under full Unicode folding, when
/// SQLite's ASCII-only `lower()` would miss one of them (`'ÉVORA'` for `'évora'`); `None` when
/// `lower()` finds exactly them. (Text equal under `lower()` is equal under full folding too, so
/// `lower()` can only miss cells, never add one.)
pub(crate) fn cells_lower_misses(table: &Table, col: usize, value: &str) -> Option<Vec<String>> {
    let folded = fold_text(value);
    let ascii = value.to_ascii_lowercase();
    let mut cells: Vec<String> = Vec::new();
    let mut missed = false;
    for row in &table.rows {
        let text = match row.get(col) {
            Some(Cell::Text(s)) => s.clone(),
            Some(Cell::Number(n)) => Cell::Number(*n).to_string(),
            None => continue,
        };
        if fold_text(&text) == folded && !cells.contains(&text) {
            missed |= text.to_ascii_lowercase() != ascii;
            cells.push(text);
        }
    }
    missed.then_some(cells)
}

/// `"c" = ?N`, or `"c" IN (?N, …)` for several cells: exact text, which every engine compares alike.
pub(crate) fn exact_cells(
    col: &str,
    cells: Vec<String>,
    bind: &mut impl FnMut(SqlParam) -> String,
) -> String {
    let placeholders: Vec<String> = cells.into_iter().map(|c| bind(SqlParam::Text(c))).collect();
    match placeholders.as_slice() {
        [one] => format!("{col} = {one}"),
        many => format!("{col} IN ({})", many.join(", ")),
    }
}

/// A condition value on a `real` column: JSON numbers directly, strings parsed officially.
pub(crate) fn real_param(value: &CondValue) -> SqlParam {
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
        let stmt = assemble(&q, &table(), Dialect::SqliteFold).unwrap();
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
        let stmt = assemble(&q, &table(), Dialect::SqliteFold).unwrap();
        assert!(stmt.sql.starts_with("SELECT \"Goals \"\"total\"\"\" FROM"));
        assert_eq!(stmt.params, vec![SqlParam::Text("5.0".into())]);
    }

    #[test]
    fn portable_text_conditions_use_lower_or_exact_cells() {
        let t = Table::new(
            "t-1",
            &["City", "Pop"],
            &[ColumnType::Text, ColumnType::Real],
            vec![
                vec!["ÉVORA".into(), 1.0.into()],
                vec!["Évora".into(), 2.0.into()],
                vec!["Porto".into(), 3.0.into()],
            ],
        );
        let q = |value: &str, op| Query {
            sel: 1,
            agg: Agg::Max,
            conds: vec![cond(0, op, CondValue::Text(value.into()))],
        };
        let porto = assemble(&q("porto", CondOp::Eq), &t, Dialect::Sqlite).unwrap();
        assert_eq!(
            porto.sql,
            "SELECT MAX(\"Pop\") FROM \"table_t_1\" WHERE lower(\"City\") = lower(?1)"
        );
        let evora = assemble(&q("évora", CondOp::Eq), &t, Dialect::Sqlite).unwrap();
        assert_eq!(
            evora.sql,
            "SELECT MAX(\"Pop\") FROM \"table_t_1\" WHERE \"City\" IN (?1, ?2)"
        );
        assert_eq!(
            evora.params,
            vec![
                SqlParam::Text("ÉVORA".into()),
                SqlParam::Text("Évora".into())
            ]
        );
        let pg = assemble(&q("b", CondOp::Gt), &t, Dialect::Postgres).unwrap();
        assert_eq!(
            pg.sql,
            "SELECT MAX(\"Pop\") FROM \"t-1\" WHERE lower(\"City\") > lower($1) COLLATE \"C\""
        );
        let mut schema_t = t.clone();
        schema_t.id = "sales.towns".into();
        let q2 = Query {
            sel: 0,
            agg: Agg::Min,
            conds: vec![cond(1, CondOp::Lt, CondValue::Text("2".into()))],
        };
        assert_eq!(
            assemble(&q2, &schema_t, Dialect::Postgres).unwrap().sql,
            "SELECT MIN(\"City\" COLLATE \"C\") FROM \"sales\".\"towns\" \
             WHERE \"Pop\" < CAST($1 AS double precision)"
        );
    }

    #[test]
    fn out_of_range_columns_are_errors() {
        let q = Query {
            sel: 3,
            agg: Agg::None,
            conds: vec![],
        };
        let err = assemble(&q, &table(), Dialect::SqliteFold).unwrap_err();
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
        let err = assemble(&q, &table(), Dialect::SqliteFold).unwrap_err();
        assert!(err.to_string().contains("condition column 9"), "{err}");
    }
}
