//! The layout of a built WikiSQL database, and the one builder that writes it (`data prepare`,
//! `data sample`, a user's own tables in memory, and the tests all build through here).
//!
//! Per WikiSQL table one SQLite table [`table_name`]`(id)` whose columns are
//! [`column_names`]`(header)`, always quoted, declared `TEXT` or `REAL` by `types`. Text cells are
//! stored as given; real cells as numbers, strings among them parsed with
//! [`parse_official_number`] (NULL when they hold no number). Rows keep their order (rowid). The
//! metadata table [`COLUMNS_TABLE`] maps every column back to its header and type word
//! ([`type_word`]), so a `.db` alone can be turned back into tables (`sql::exec::Executor::table`).

use super::naming::{column_names, quote_ident, table_name};
use super::value::parse_official_number;
use anyhow::{anyhow, Context, Result};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql};
use sqlcoder_data::io::StagedPath;
use sqlcoder_data::types::{Cell, ColumnType, Table};
use sqlcoder_data::validate::check_table;
use std::path::Path;

/// Name of the metadata table: one row per column of every WikiSQL table, with the columns
/// `table_id, table_name, col_index, header, column_name, type`.
pub const COLUMNS_TABLE: &str = "sqlcoder_columns";

/// The metadata table.
const CREATE_COLUMNS_TABLE: &str =
    "CREATE TABLE sqlcoder_columns (table_id TEXT, table_name TEXT, \
     col_index INTEGER, header TEXT, column_name TEXT, type TEXT)";
/// Lets `Executor::table(id)` find a table's columns without scanning every column of the split.
const CREATE_COLUMNS_INDEX: &str =
    "CREATE INDEX sqlcoder_columns_by_table ON sqlcoder_columns (table_id)";

/// The `type` string stored in the metadata table: WikiSQL's own word.
pub fn type_word(t: ColumnType) -> &'static str {
    match t {
        ColumnType::Text => "text",
        ColumnType::Real => "real",
    }
}

/// The column type a metadata `type` string names (any case), the inverse of [`type_word`].
pub fn type_from_word(word: &str) -> Option<ColumnType> {
    match word.to_ascii_lowercase().as_str() {
        "text" => Some(ColumnType::Text),
        "real" => Some(ColumnType::Real),
        _ => None,
    }
}

fn sql_type(t: ColumnType) -> &'static str {
    match t {
        ColumnType::Text => "TEXT",
        ColumnType::Real => "REAL",
    }
}

/// A cell as bound into SQLite, borrowed from the table.
enum Bound<'a> {
    Null,
    Real(f64),
    Text(&'a str),
    Owned(String),
}

impl ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Bound::Null => ValueRef::Null,
            Bound::Real(v) => ValueRef::Real(*v),
            Bound::Text(s) => ValueRef::Text(s.as_bytes()),
            Bound::Owned(s) => ValueRef::Text(s.as_bytes()),
        }))
    }
}

/// The stored value of a cell in a column of type `t` (see the module comment).
fn bound(cell: &Cell, t: ColumnType) -> Bound<'_> {
    match (t, cell) {
        (ColumnType::Text, Cell::Text(s)) => Bound::Text(s),
        // Not in WikiSQL's files (text columns hold strings), but keep the number's text.
        (ColumnType::Text, Cell::Number(n)) => Bound::Owned(Cell::Number(*n).to_string()),
        (ColumnType::Real, Cell::Number(n)) => Bound::Real(*n),
        (ColumnType::Real, Cell::Text(s)) => {
            parse_official_number(s).map_or(Bound::Null, Bound::Real)
        }
    }
}

/// Build the database at `path` from `tables` (atomically: on error nothing appears at `path`).
pub fn build_db(path: &Path, tables: &[&Table]) -> Result<()> {
    build_db_staged(path, tables, &|_| {})?.commit()
}

/// Build the database under `path`'s temporary name and return it staged, calling `progress(1)`
/// per table, so a run can commit it together with its other outputs.
pub fn build_db_staged(
    path: &Path,
    tables: &[&Table],
    progress: &(dyn Fn(u64) + Sync),
) -> Result<StagedPath> {
    let staged = StagedPath::new(path)?;
    write_tables(staged.tmp_path(), tables, progress)
        .with_context(|| format!("cannot build {}", path.display()))?;
    Ok(staged)
}

fn write_tables(path: &Path, tables: &[&Table], progress: &(dyn Fn(u64) + Sync)) -> Result<()> {
    let mut conn = Connection::open(path)?;
    // The file is private until renamed into place, so crash safety inside SQLite buys nothing.
    conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")?;
    write_into(&mut conn, tables, progress)?;
    conn.close().map_err(|(_, e)| e)?;
    std::fs::File::open(path)?.sync_all()?;
    Ok(())
}

/// Writes `tables` (and the metadata table) into an open, empty database: a file being built,
/// or an in-memory database holding a user's own table.
pub fn write_into(
    conn: &mut Connection,
    tables: &[&Table],
    progress: &(dyn Fn(u64) + Sync),
) -> Result<()> {
    let tx = conn.transaction()?;
    tx.execute(CREATE_COLUMNS_TABLE, [])?;
    {
        let mut meta = tx.prepare(
            "INSERT INTO sqlcoder_columns (table_id, table_name, col_index, header, column_name, type) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for table in tables {
            check_table(table).map_err(|e| anyhow!(e))?;
            let name = table_name(&table.id);
            let columns = column_names(&table.header);
            let declared: Vec<String> = columns
                .iter()
                .zip(&table.types)
                .map(|(c, t)| format!("{} {}", quote_ident(c), sql_type(*t)))
                .collect();
            tx.execute(
                &format!(
                    "CREATE TABLE {} ({})",
                    quote_ident(&name),
                    declared.join(", ")
                ),
                [],
            )
            .with_context(|| format!("cannot create the table of {:?}", table.id))?;
            for (i, (header, column)) in table.header.iter().zip(&columns).enumerate() {
                meta.execute(rusqlite::params![
                    table.id,
                    name,
                    i as i64,
                    header,
                    column,
                    type_word(table.types[i])
                ])?;
            }
            insert_rows(&tx, &name, table)?;
            progress(1);
        }
    }
    tx.execute(CREATE_COLUMNS_INDEX, [])?;
    tx.commit()?;
    Ok(())
}

fn insert_rows(tx: &rusqlite::Transaction, name: &str, table: &Table) -> Result<()> {
    let placeholders: Vec<String> = (1..=table.header.len()).map(|i| format!("?{i}")).collect();
    let mut insert = tx.prepare(&format!(
        "INSERT INTO {} VALUES ({})",
        quote_ident(name),
        placeholders.join(", ")
    ))?;
    for row in &table.rows {
        for (i, (cell, t)) in row.iter().zip(&table.types).enumerate() {
            insert.raw_bind_parameter(i + 1, bound(cell, *t))?;
        }
        insert.raw_execute()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_stored_by_column_type() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let t = Table::new(
            "1-2-3",
            &["Name", "Score"],
            &[ColumnType::Text, ColumnType::Real],
            vec![
                vec![Cell::Text("A".into()), Cell::Number(2.5)],
                vec![Cell::Text("B".into()), Cell::Text("1,234".into())],
                vec![Cell::Text("C".into()), Cell::Text("n/a".into())],
            ],
        );
        build_db(&path, &[&t]).unwrap();
        let conn = Connection::open(&path).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT \"Name\", \"Score\", typeof(\"Score\") FROM table_1_2_3 ORDER BY rowid",
            )
            .unwrap();
        let rows: Vec<(String, Option<f64>, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![
                ("A".into(), Some(2.5), "real".into()),
                ("B".into(), Some(1234.0), "real".into()),
                ("C".into(), None, "null".into()),
            ]
        );
        assert!(!dir.path().join("t.db.tmp").exists());
    }

    #[test]
    fn a_bad_table_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let good = Table::new("1-1-1", &["a"], &[ColumnType::Text], vec![]);
        let ragged = Table::new(
            "1-1-2",
            &["a", "b"],
            &[ColumnType::Text, ColumnType::Text],
            vec![vec![Cell::Text("x".into())]],
        );
        let err = build_db(&path, &[&good, &ragged]).unwrap_err();
        assert!(format!("{err:#}").contains("row 0 has 1 cells"), "{err:#}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
