//! A small database builder for tests (of this crate and its integration tests), following the
//! schema in DESIGN.md. The product builder is `data::sqlite_build::build_db`; this one only exists
//! so the SQL layer can be tested on its own.

use super::naming::{column_names, quote_ident, table_name};
use super::value::parse_official_number;
use crate::data::types::{Cell, ColumnType, Table};
use anyhow::{Context, Result};
use rusqlite::types::Value;
use rusqlite::Connection;
use std::path::Path;

/// Creates `path` (replacing it) holding `tables` and the `sqlcoder_columns` metadata.
pub fn build_db(path: &Path, tables: &[&Table]) -> Result<()> {
    if path.exists() {
        std::fs::remove_file(path).with_context(|| format!("cannot replace {}", path.display()))?;
    }
    let mut conn =
        Connection::open(path).with_context(|| format!("cannot create {}", path.display()))?;
    let tx = conn.transaction()?;
    tx.execute_batch(
        "CREATE TABLE sqlcoder_columns(table_id TEXT, table_name TEXT, col_index INTEGER, \
         header TEXT, column_name TEXT, type TEXT)",
    )?;
    for table in tables {
        let sql_table = table_name(&table.id);
        let names = column_names(&table.header);
        let types: Vec<ColumnType> = (0..names.len())
            .map(|i| table.types.get(i).copied().unwrap_or(ColumnType::Text))
            .collect();
        let columns: Vec<String> = names
            .iter()
            .zip(&types)
            .map(|(n, t)| format!("{} {}", quote_ident(n), sql_type(*t)))
            .collect();
        tx.execute_batch(&format!(
            "CREATE TABLE {} ({})",
            quote_ident(&sql_table),
            columns.join(", ")
        ))
        .with_context(|| format!("table {:?}: cannot create", table.id))?;
        for (i, (name, ty)) in names.iter().zip(&types).enumerate() {
            tx.execute(
                "INSERT INTO sqlcoder_columns VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![
                    table.id,
                    sql_table,
                    i as i64,
                    table.header[i],
                    name,
                    sql_type(*ty).to_ascii_lowercase()
                ],
            )?;
        }
        let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
        let insert = format!(
            "INSERT INTO {} VALUES ({})",
            quote_ident(&sql_table),
            placeholders.join(", ")
        );
        let mut stmt = tx.prepare(&insert)?;
        for row in &table.rows {
            let values: Vec<Value> = types
                .iter()
                .enumerate()
                .map(|(i, ty)| cell_value(*ty, row.get(i)))
                .collect();
            stmt.execute(rusqlite::params_from_iter(values))
                .with_context(|| format!("table {:?}: cannot insert a row", table.id))?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn sql_type(t: ColumnType) -> &'static str {
    match t {
        ColumnType::Text => "TEXT",
        ColumnType::Real => "REAL",
    }
}

/// Text cells as given; real cells as numbers, strings parsed officially, else NULL.
fn cell_value(ty: ColumnType, cell: Option<&Cell>) -> Value {
    match (ty, cell) {
        (_, None) => Value::Null,
        (ColumnType::Text, Some(Cell::Text(s))) => Value::Text(s.clone()),
        (_, Some(Cell::Number(n))) => Value::Real(*n),
        (ColumnType::Real, Some(Cell::Text(s))) => {
            parse_official_number(s).map_or(Value::Null, Value::Real)
        }
    }
}
