//! A user's own tables (a CSV file, a table of any SQLite database) made queryable like
//! WikiSQL's: copied into an in-memory database in our layout, shared by name so that several
//! read-only connections (one per thread) can query it.

use super::exec::Executor;
use super::limits::QueryLimits;
use super::schema::write_into;
use anyhow::{Context, Result};
use rusqlite::{Connection, OpenFlags};
use sqlcoder_data::csv::TableLimits;
use sqlcoder_data::types::Table;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// An in-memory database holding some tables; it lives as long as this value (which keeps one
/// connection open). [`MemoryDb::executor`] opens read-only connections to it.
pub struct MemoryDb {
    uri: String,
    label: PathBuf,
    /// Never used after the build; behind a mutex so that a `MemoryDb` can be shared by threads.
    _keeper: std::sync::Mutex<Connection>,
}

impl MemoryDb {
    /// A new in-memory database with `tables`; `label` names it in messages (the source file).
    pub fn build(tables: &[&Table], label: &Path) -> Result<MemoryDb> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let uri = format!(
            "file:sqlcoder-own-{}-{n}?mode=memory&cache=shared",
            std::process::id()
        );
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut keeper = Connection::open_with_flags(&uri, flags)
            .context("cannot create an in-memory database")?;
        write_into(&mut keeper, tables, &|_| {})
            .with_context(|| format!("cannot load {}", label.display()))?;
        Ok(MemoryDb {
            uri,
            label: label.to_path_buf(),
            _keeper: std::sync::Mutex::new(keeper),
        })
    }

    /// A read-only connection to the tables.
    pub fn executor(&self) -> Result<Executor> {
        Executor::open_uri(&self.uri, &self.label)
    }
}

/// The table `name` of the SQLite database `db` (opened read-only; any layout), as the table
/// `name`, within `limits` (checked as it is read: a cell before it is copied).
/// Reading stops at `query_limits` (a view may never end). Errors name the table and the file.
pub fn read_sqlite_table(
    db: &Path,
    name: &str,
    limits: &TableLimits,
    query_limits: QueryLimits,
) -> Result<Table> {
    Executor::open(db)?
        .with_limits(query_limits)
        .plain_table(name, name, limits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{assemble, SqlValue};
    use sqlcoder_data::types::{Agg, Cell, ColumnType, Query};

    #[test]
    fn own_tables_are_read_copied_and_queried() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("mine.db");
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE \"my towns\" (name TEXT, people INTEGER, area);
             INSERT INTO \"my towns\" VALUES ('Porto', 230000, 'x'), ('Faro', 64000, NULL);",
        )
        .unwrap();
        drop(conn);
        let limits = TableLimits::default();
        let t = read_sqlite_table(&db, "my towns", &limits, QueryLimits::default()).unwrap();
        assert_eq!(t.header, vec!["name", "people", "area"]);
        assert_eq!(
            t.types,
            vec![ColumnType::Text, ColumnType::Real, ColumnType::Text]
        );
        assert_eq!(t.rows[1][1], Cell::Number(64000.0));
        let err = read_sqlite_table(&db, "nope", &limits, QueryLimits::default()).unwrap_err();
        assert!(format!("{err:#}").contains("no such table"), "{err:#}");
        let small = TableLimits {
            max_rows: 1,
            ..limits
        };
        assert!(read_sqlite_table(&db, "my towns", &small, QueryLimits::default()).is_err());

        let mem = MemoryDb::build(&[&t], &db).unwrap();
        let exec = mem.executor().unwrap();
        assert_eq!(exec.table_ids().unwrap(), vec!["my towns".to_string()]);
        let q = Query {
            sel: 1,
            agg: Agg::Sum,
            conds: vec![],
        };
        assert_eq!(
            exec.run(&assemble(&q, &t, crate::Dialect::Sqlite).unwrap())
                .unwrap(),
            vec![vec![SqlValue::Real(294000.0)]]
        );
        // Read-only: the copy cannot be changed through it.
        let drop = crate::SqlStatement {
            sql: "DELETE FROM \"table_my towns\"".into(),
            params: vec![],
            dialect: crate::Dialect::Sqlite,
        };
        assert!(exec.run(&drop).is_err());
    }
}
