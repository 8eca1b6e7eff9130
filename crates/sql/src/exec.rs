//! Running statements on a built WikiSQL database, read-only, and reading tables back out of it.
//!
//! Two layouts are read: ours ([`super::schema`], with its metadata table: exact headers and
//! types) and the challenge's as distributed (plain `table_<id>` tables: headers are the column
//! names, types from the declared column types).
//!
//! A table read is bounded ([`TableLimits`], [`MAX_TABLE_BYTES`]), since a file (or a view in
//! it) can hold or compute any amount: SQLite builds no value over [`SQLITE_MAX_LENGTH`] bytes
//! on a file's connection, each cell's size is checked before it is copied, and the deadline is
//! checked between rows as well as inside SQLite.

use super::assemble::FOLD_FUNCTION;
use super::dialect::Dialect;
use super::limits::{Clock, Deadline, QueryLimits, QueryTimeout};
use super::naming::{quote_ident, table_name};
use super::postgres::PgDb;
use super::schema::{type_from_word, COLUMNS_TABLE};
use super::value::fold_text;
use super::{SqlParam, SqlStatement};
use anyhow::{bail, Context, Result};
use rusqlite::functions::FunctionFlags;
use rusqlite::limits::Limit;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql};
use sqlcoder_data::csv::TableLimits;
use sqlcoder_data::types::{Cell, ColumnType, FamilyQuery, Query, Table};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Longest string or blob, in bytes, that SQLite may build on a connection to a database file
/// (`SQLITE_LIMIT_LENGTH`): a view computing a giant value (`zeroblob(1e8)`) fails inside SQLite
/// with "string or blob too big" instead of handing it over. Far above a cell's cap
/// ([`max_cell_bytes`]) so that whole rows (a sort's records: up to 64 columns of 4,000 bytes)
/// and long view definitions still fit.
pub const SQLITE_MAX_LENGTH: i32 = 1 << 20;

/// Most bytes one table read may hold (each cell's text, numbers as 8, plus one per cell: about
/// the table's size as CSV), whatever its row and cell limits allow: the CSV file limit, 64 MiB.
/// WikiSQL's largest table is about 108 KB.
pub const MAX_TABLE_BYTES: usize = 64 << 20;

/// Most bytes a cell within `limits` can take in UTF-8 (4 a character): a longer value is
/// refused before it is copied.
pub fn max_cell_bytes(limits: &TableLimits) -> usize {
    limits.max_cell_chars.saturating_mul(4)
}

/// One result value, as the engine returns it.
#[derive(Clone, Debug, PartialEq)]
pub enum SqlValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
}

impl std::fmt::Display for SqlValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SqlValue::Null => f.write_str("NULL"),
            SqlValue::Integer(i) => write!(f, "{i}"),
            SqlValue::Real(x) => write!(f, "{x}"),
            SqlValue::Text(s) => f.write_str(s),
        }
    }
}

impl ToSql for SqlParam {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            SqlParam::Null => ToSqlOutput::Owned(rusqlite::types::Value::Null),
            SqlParam::Real(f) => ToSqlOutput::Owned(rusqlite::types::Value::Real(*f)),
            SqlParam::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

/// One result row: its values in select order.
pub type Row = Vec<SqlValue>;

/// A family query's result: column labels ([`super::result_columns`]), rows in the engine's
/// order, and at a LIMIT cut that split a tie, that tie.
#[derive(Clone, Debug, PartialEq)]
pub struct FamilyRows {
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    pub tie: Option<Tie>,
}

/// Rows tied on the ORDER BY key at a LIMIT cut: `tied` rows of the whole result share the last
/// kept row's key, `shown` of them were kept ("2 rows tie for first", 1 shown).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tie {
    pub tied: usize,
    pub shown: usize,
}

/// A read-only connection to the tables: a SQLite database, or a PostgreSQL server
/// ([`super::postgres`]). Statements run in the executor's [`Dialect`], under its time limits.
/// Not shareable between threads: open one per thread.
pub struct Executor {
    engine: Engine,
    dialect: Dialect,
    clock: Clock,
    /// Bounds on every table read ([`Executor::table`]).
    table_limits: TableLimits,
}

enum Engine {
    Sqlite(SqliteDb),
    Postgres(PgDb),
}

impl Executor {
    /// Opens the SQLite database `db` read-only; a missing file is an error (SQLite would
    /// otherwise report it obscurely).
    pub fn open(db: &Path) -> Result<Executor> {
        Ok(Self::sqlite(SqliteDb::open(db)?))
    }

    /// Opens the SQLite URI `uri` read-only (an in-memory database shared by name, see
    /// [`super::own::MemoryDb`]); `label` names it in messages.
    pub fn open_uri(uri: &str, label: &Path) -> Result<Executor> {
        Ok(Self::sqlite(SqliteDb::open_uri(uri, label)?))
    }

    /// Connects to the PostgreSQL server `conn` (a libpq connection string or URL, see
    /// [`super::postgres`]).
    pub fn open_postgres(conn: &str) -> Result<Executor> {
        Ok(Executor {
            engine: Engine::Postgres(PgDb::connect(conn)?),
            dialect: Dialect::Postgres,
            clock: Clock::new(None),
            table_limits: TableLimits::default(),
        })
    }

    fn sqlite(db: SqliteDb) -> Executor {
        Executor {
            engine: Engine::Sqlite(db),
            dialect: Dialect::Sqlite,
            clock: Clock::new(None),
            table_limits: TableLimits::default(),
        }
    }

    /// This executor with the official WikiSQL engine's text folding ([`Dialect::SqliteFold`]),
    /// for scoring. Only for SQLite.
    pub fn with_official_folding(mut self) -> Executor {
        if matches!(self.engine, Engine::Sqlite(_)) {
            self.dialect = Dialect::SqliteFold;
        }
        self
    }

    /// This executor with time limits on every statement (none by default: our own prepared
    /// databases run unlimited in `predict` and `eval`).
    pub fn with_limits(mut self, limits: QueryLimits) -> Executor {
        self.clock = Clock::new(Some(limits));
        self
    }

    /// This executor with other bounds on the tables it reads (the default: the CSV limits,
    /// [`TableLimits::default`], which WikiSQL's tables fit well within).
    pub fn with_table_limits(mut self, limits: TableLimits) -> Executor {
        self.table_limits = limits;
        self
    }

    /// The dialect statements are assembled in for this executor.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Starts one answer's time budget ([`QueryLimits::per_answer`]).
    pub fn begin_answer(&self) {
        self.clock.begin_answer();
    }

    /// What the executor reads, for messages: the database file, or the server (no password).
    pub fn source(&self) -> String {
        match &self.engine {
            Engine::Sqlite(db) => db.path.display().to_string(),
            Engine::Postgres(pg) => pg.label().to_string(),
        }
    }

    /// Runs `stmt` and returns every row, in the engine's order.
    pub fn run(&self, stmt: &SqlStatement) -> Result<Vec<Row>> {
        let deadline = self.clock.deadline();
        match &self.engine {
            Engine::Sqlite(db) => db.with_deadline(deadline, || db.run(stmt, deadline)),
            Engine::Postgres(pg) => pg.run(stmt, deadline),
        }
    }

    /// Assembles `query` on `table` and runs it: the one way a query is executed. A query that
    /// cannot be assembled or run is an `Err` with the reason, an outcome for the caller to
    /// weigh (a wrong prediction), not a failure of the caller.
    /// A sketch query selects one item, so its rows are single values.
    pub fn run_query(&self, query: &Query, table: &Table) -> Result<Vec<SqlValue>, String> {
        let stmt = super::assemble(query, table, self.dialect).map_err(|e| e.to_string())?;
        let rows = self.run(&stmt).map_err(|e| format!("{e:#}"))?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.into_iter().next())
            .collect())
    }

    /// The statement that runs `query` here: a query inside WikiSQL's sketch through the sketch's
    /// assembler (its semantics exactly: WikiSQL's scoring and today's answers stay as they
    /// were), any other through the family's.
    pub fn family_statement(
        &self,
        query: &FamilyQuery,
        table: &Table,
    ) -> Result<SqlStatement, super::SqlError> {
        match query.to_sketch() {
            Some(sketch) => super::assemble(&sketch, table, self.dialect),
            None => super::assemble_family(query, table, self.dialect),
        }
    }

    /// Assembles and runs a family query, and at a LIMIT counts the rows tied at the cut
    /// ([`super::family::tie_statement`]). Errors are outcomes, as in [`Executor::run_query`].
    pub fn run_family(&self, query: &FamilyQuery, table: &Table) -> Result<FamilyRows, String> {
        let stmt = self
            .family_statement(query, table)
            .map_err(|e| e.to_string())?;
        let rows = self.run(&stmt).map_err(|e| format!("{e:#}"))?;
        let tie = match super::family::tie_statement(query, table, self.dialect)
            .map_err(|e| e.to_string())?
        {
            Some(count) => {
                let counts = self.run(&count).map_err(|e| format!("{e:#}"))?;
                let number = |i: usize| match counts.first().and_then(|r| r.get(i)) {
                    Some(SqlValue::Integer(n)) => *n as usize,
                    Some(SqlValue::Real(x)) => *x as usize,
                    _ => 0,
                };
                let (tied, above) = (number(0), number(1));
                let shown = rows.len().saturating_sub(above);
                (tied > shown).then_some(Tie { tied, shown })
            }
            None => None,
        };
        Ok(FamilyRows {
            columns: super::result_columns(query, table),
            rows,
            tie,
        })
    }

    /// Whether text column `col` of `table` holds `value` (compared as the official engine does),
    /// asking the database when `table` holds only a sample of its cells; `None` when only the
    /// sample could tell.
    pub fn has_cell(&self, table: &Table, col: usize, value: &str) -> Option<bool> {
        if table.types.get(col) != Some(&ColumnType::Text) {
            return None;
        }
        match &self.engine {
            Engine::Sqlite(_) => None,
            Engine::Postgres(pg) => pg.has_cell(table, col, value, self.clock.deadline()),
        }
    }

    /// Every table id of the database, sorted: WikiSQL ids, or the tables a PostgreSQL user sees.
    pub fn table_ids(&self) -> Result<Vec<String>> {
        match &self.engine {
            Engine::Sqlite(db) => db.with_deadline(self.clock.deadline(), || db.table_ids()),
            Engine::Postgres(pg) => pg.table_ids(self.clock.deadline()),
        }
    }

    /// The table `id`: in SQLite a WikiSQL table (from the metadata table, or the challenge's
    /// plain `table_<id>`); in PostgreSQL the
    /// table or view named `id` (`schema.name` or `name`), its cells sampled.
    /// A table past the executor's table limits ([`Executor::with_table_limits`],
    /// [`MAX_TABLE_BYTES`]) is an error naming the table and the limit.
    pub fn table(&self, id: &str) -> Result<Table> {
        let deadline = self.clock.deadline();
        let limits = &self.table_limits;
        let out = match &self.engine {
            Engine::Sqlite(db) => db.with_deadline(deadline, || db.table(id, limits, deadline)),
            Engine::Postgres(pg) => pg.table(id, limits, deadline),
        };
        out.map_err(|e| self.name_timeout(e, id))
    }

    /// Any SQLite table `sql_table` as the table `id`: headers are its column names, a column
    /// declared with a numeric type is `real`, any other `text`. A table past `limits` (or
    /// [`MAX_TABLE_BYTES`]) is an error naming the table and the limit.
    pub fn plain_table(&self, sql_table: &str, id: &str, limits: &TableLimits) -> Result<Table> {
        let deadline = self.clock.deadline();
        let out = match &self.engine {
            Engine::Sqlite(db) => {
                db.with_deadline(deadline, || db.plain_table(sql_table, id, limits, deadline))
            }
            Engine::Postgres(_) => bail!("{sql_table:?}: not a SQLite database"),
        };
        out.map_err(|e| self.name_timeout(e, id))
    }

    /// A time limit's error, while reading the table `id`, with the table named.
    fn name_timeout(&self, e: anyhow::Error, id: &str) -> anyhow::Error {
        if e.downcast_ref::<QueryTimeout>().is_some() {
            e.context(format!("table {id:?} of {}", self.source()))
        } else {
            e
        }
    }
}

/// A read-only SQLite connection with `sqlcoder_fold` registered and a progress handler that
/// stops a statement at its deadline.
struct SqliteDb {
    conn: Connection,
    path: PathBuf,
    /// Whether the database has the metadata table [`COLUMNS_TABLE`].
    metadata: bool,
    /// The running statement's deadline in nanoseconds after `origin` (`u64::MAX`: none), read
    /// by the progress handler.
    stop_at: Arc<AtomicU64>,
    origin: Instant,
}

/// SQLite virtual-machine steps between two looks at the clock (about a millisecond or less).
const PROGRESS_STEPS: std::ffi::c_int = 10_000;

impl SqliteDb {
    fn open(db: &Path) -> Result<SqliteDb> {
        if !db.is_file() {
            bail!("database file {} not found", db.display());
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(db, flags)
            .with_context(|| format!("cannot open database {}", db.display()))?;
        // Whatever the file (or a view in it) computes, SQLite builds no giant value.
        conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, SQLITE_MAX_LENGTH)
            .context("cannot limit the database's value lengths")?;
        Self::with_connection(conn, db.to_path_buf())
    }

    fn open_uri(uri: &str, label: &Path) -> Result<SqliteDb> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(uri, flags)
            .with_context(|| format!("cannot open database {}", label.display()))?;
        Self::with_connection(conn, label.to_path_buf())
    }

    fn with_connection(conn: Connection, path: PathBuf) -> Result<SqliteDb> {
        // The read-only open flag does not bind a connection to a shared in-memory database
        // (the cache is shared with its writable creator); `query_only` does, for every kind.
        conn.pragma_update(None, "query_only", true)
            .context("cannot make the connection read-only")?;
        register_fold(&conn)?;
        conn.set_prepared_statement_cache_capacity(256);
        let stop_at = Arc::new(AtomicU64::new(u64::MAX));
        let origin = Instant::now();
        let handler_stop_at = Arc::clone(&stop_at);
        conn.progress_handler(
            PROGRESS_STEPS,
            Some(move || {
                let at = handler_stop_at.load(Ordering::Relaxed);
                at != u64::MAX && origin.elapsed().as_nanos() >= u128::from(at)
            }),
        );
        let metadata = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [COLUMNS_TABLE],
                |r| r.get::<_, i64>(0),
            )
            .with_context(|| format!("{} is not a readable SQLite database", path.display()))?
            > 0;
        Ok(SqliteDb {
            conn,
            path,
            metadata,
            stop_at,
            origin,
        })
    }

    /// Runs `f` with the progress handler armed for `deadline`; an error after the deadline is
    /// the time limit's.
    fn with_deadline<T>(
        &self,
        deadline: Option<Deadline>,
        f: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let Some(deadline) = deadline else {
            return f();
        };
        if deadline.passed() {
            return Err(deadline.reason.into());
        }
        let nanos = deadline
            .at
            .saturating_duration_since(self.origin)
            .as_nanos()
            .min(u128::from(u64::MAX - 1)) as u64;
        self.stop_at.store(nanos, Ordering::Relaxed);
        let out = f();
        self.stop_at.store(u64::MAX, Ordering::Relaxed);
        match out {
            Err(_) if deadline.passed() => Err(deadline.reason.into()),
            out => out,
        }
    }

    fn run(&self, stmt: &SqlStatement, deadline: Option<Deadline>) -> Result<Vec<Row>> {
        if stmt.dialect == Dialect::Postgres {
            bail!("a PostgreSQL statement cannot run on SQLite");
        }
        let mut prepared = self
            .conn
            .prepare_cached(&stmt.sql)
            .with_context(|| format!("cannot prepare {}", stmt.sql))?;
        let mut rows = prepared
            .query(rusqlite::params_from_iter(stmt.params.iter()))
            .with_context(|| format!("cannot run {}", stmt.sql))?;
        let width = rows.as_ref().map_or(0, |s| s.column_count());
        let mut values = Vec::new();
        while let Some(row) = rows
            .next()
            .with_context(|| format!("cannot run {}", stmt.sql))?
        {
            check_deadline(deadline)?;
            values.push(
                (0..width)
                    .map(|i| row.get_ref(i).map(sql_value))
                    .collect::<rusqlite::Result<Row>>()?,
            );
        }
        Ok(values)
    }

    /// Every WikiSQL table id in the database, sorted.
    fn table_ids(&self) -> Result<Vec<String>> {
        if !self.metadata {
            return self.plain_table_ids();
        }
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT DISTINCT table_id FROM {COLUMNS_TABLE} ORDER BY table_id"
            ))
            .with_context(|| format!("{} has no {COLUMNS_TABLE} table", self.path.display()))?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ids)
    }

    /// The ids of the challenge layout's plain tables: `table_<id>` with `_` read back as `-`.
    fn plain_table_ids(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'table\\_%' ESCAPE '\\'",
        )?;
        let mut ids = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .with_context(|| format!("cannot list the tables of {}", self.path.display()))?
            .into_iter()
            .map(|name| name["table_".len()..].replace('_', "-"))
            .collect::<Vec<_>>();
        ids.sort();
        Ok(ids)
    }

    /// The table `id`: from its metadata ([`COLUMNS_TABLE`]) when the database has it, else from
    /// the plain table `table_<id>` (`plain_table`).
    /// Real cells come back as numbers (NULL, an unparseable original, as an empty string).
    fn table(&self, id: &str, limits: &TableLimits, deadline: Option<Deadline>) -> Result<Table> {
        if !self.metadata {
            return self.plain_table(&table_name(id), id, limits, deadline);
        }
        let mut meta = self
            .conn
            .prepare(&format!(
                "SELECT table_name, header, column_name, type FROM {COLUMNS_TABLE} \
                 WHERE table_id = ?1 ORDER BY col_index"
            ))
            .with_context(|| format!("{} has no {COLUMNS_TABLE} table", self.path.display()))?;
        let columns = meta
            .query_map([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let Some((sql_table, ..)) = columns.first() else {
            bail!("unknown table id {id:?} in {}", self.path.display());
        };
        let headers: Vec<&str> = columns.iter().map(|(_, h, ..)| h.as_str()).collect();
        check_header(&headers, limits).with_context(|| self.about(id))?;
        let mut header = Vec::with_capacity(columns.len());
        let mut types = Vec::with_capacity(columns.len());
        let mut quoted = Vec::with_capacity(columns.len());
        for (_, h, name, ty) in &columns {
            header.push(h.clone());
            let Some(t) = type_from_word(ty) else {
                bail!(
                    "table {id:?}: unknown column type {:?} for {h:?}",
                    ty.to_ascii_lowercase()
                );
            };
            types.push(t);
            quoted.push(quote_ident(name));
        }
        let sql = format!(
            "SELECT {} FROM {} ORDER BY rowid",
            quoted.join(", "),
            quote_ident(sql_table)
        );
        let rows = self.read_rows(&sql, id, &types, limits, deadline)?;
        Ok(Table {
            id: id.to_string(),
            header,
            types,
            rows,
        })
    }

    /// Any SQLite table `sql_table` as the table `id`: headers are its column names, a column
    /// declared with a numeric type (INT, REAL, FLOAT, DOUBLE, NUMERIC, DECIMAL) is `real`, any
    /// other `text`. A table past `limits` is an error.
    fn plain_table(
        &self,
        sql_table: &str,
        id: &str,
        limits: &TableLimits,
        deadline: Option<Deadline>,
    ) -> Result<Table> {
        let columns = (|| {
            let mut info = self
                .conn
                .prepare(&format!("PRAGMA table_info({})", quote_ident(sql_table)))?;
            let columns = info
                .query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?
                .collect::<rusqlite::Result<Vec<_>>>();
            columns
        })()
        .map_err(|e| read_error(e, limits))
        .with_context(|| self.about(id))?;
        if columns.is_empty() {
            bail!(
                "unknown table {sql_table:?} in {} (no such table)",
                self.path.display()
            );
        }
        let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        check_header(&names, limits).with_context(|| self.about(id))?;
        let header: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
        let types: Vec<ColumnType> = columns.iter().map(|(_, t)| declared_type(t)).collect();
        let quoted: Vec<String> = header.iter().map(|h| quote_ident(h)).collect();
        let sql = format!(
            "SELECT {} FROM {}",
            quoted.join(", "),
            quote_ident(sql_table)
        );
        let rows = self.read_rows(&sql, id, &types, limits, deadline)?;
        Ok(Table {
            id: id.to_string(),
            header,
            types,
            rows,
        })
    }

    /// `table "id" of FILE`, to name a table in errors.
    fn about(&self, id: &str) -> String {
        format!("table {id:?} of {}", self.path.display())
    }

    /// The rows of `sql` (the table `id`, columns of `types`) within `limits` and
    /// [`MAX_TABLE_BYTES`], stopping at `deadline`: rows are counted as they arrive, each cell's
    /// size is checked before it is copied (once), the clock between rows.
    fn read_rows(
        &self,
        sql: &str,
        id: &str,
        types: &[ColumnType],
        limits: &TableLimits,
        deadline: Option<Deadline>,
    ) -> Result<Vec<Vec<Cell>>> {
        let read = || -> Result<Vec<Vec<Cell>>> {
            let mut stmt = self
                .conn
                .prepare(sql)
                .map_err(|e| read_error(e, limits))
                .context("cannot read its rows")?;
            let mut rows = Vec::new();
            let mut left = MAX_TABLE_BYTES;
            let mut cursor = stmt.query([]).map_err(|e| read_error(e, limits))?;
            while let Some(row) = cursor.next().map_err(|e| read_error(e, limits))? {
                check_deadline(deadline)?;
                if rows.len() == limits.max_rows {
                    bail!(
                        "over {} rows (at most {} are accepted)",
                        limits.max_rows,
                        limits.max_rows
                    );
                }
                let mut cells = Vec::with_capacity(types.len());
                for (i, ty) in types.iter().enumerate() {
                    let c = limited_cell(*ty, row.get_ref(i)?, limits)?;
                    let size = 1 + match &c {
                        Cell::Text(s) => s.len(),
                        Cell::Number(_) => 8,
                    };
                    left = left.checked_sub(size).with_context(|| {
                        format!(
                            "over {MAX_TABLE_BYTES} bytes of cells (at most {MAX_TABLE_BYTES} \
                             are accepted)"
                        )
                    })?;
                    cells.push(c);
                }
                rows.push(cells);
            }
            Ok(rows)
        };
        read().map_err(|e| {
            if e.downcast_ref::<QueryTimeout>().is_some() {
                e
            } else {
                e.context(self.about(id))
            }
        })
    }
}

/// The deadline's error once it has passed.
fn check_deadline(deadline: Option<Deadline>) -> Result<()> {
    match deadline {
        Some(d) if d.passed() => Err(d.reason.into()),
        _ => Ok(()),
    }
}

/// How a cell's limit is stated in errors.
fn cell_limit(limits: &TableLimits) -> String {
    format!(
        "at most {} characters ({} bytes) are accepted",
        limits.max_cell_chars,
        max_cell_bytes(limits)
    )
}

/// A read's SQLite error; "string or blob too big" (a value over [`SQLITE_MAX_LENGTH`]) as the
/// cell limit it passes.
fn read_error(e: rusqlite::Error, limits: &TableLimits) -> anyhow::Error {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::TooBig) {
        anyhow::anyhow!(
            "a cell holds over {SQLITE_MAX_LENGTH} bytes: {}",
            cell_limit(limits)
        )
    } else {
        e.into()
    }
}

/// An error unless `header` (column names) is within `limits`.
fn check_header(header: &[&str], limits: &TableLimits) -> Result<()> {
    if header.len() > limits.max_columns {
        bail!(
            "{} columns (at most {} are accepted)",
            header.len(),
            limits.max_columns
        );
    }
    for name in header {
        let n = name.chars().count();
        if n > limits.max_cell_chars {
            bail!(
                "a column name holds {n} characters (at most {} are accepted)",
                limits.max_cell_chars
            );
        }
    }
    Ok(())
}

/// `v` as a cell of a `ty` column, or an error when it passes the cell limit: its size is
/// checked before it is copied.
fn limited_cell(ty: ColumnType, v: ValueRef<'_>, limits: &TableLimits) -> Result<Cell> {
    let (ValueRef::Text(bytes) | ValueRef::Blob(bytes)) = v else {
        return Ok(cell(ty, v));
    };
    if bytes.len() > max_cell_bytes(limits) {
        bail!(
            "a cell holds over {} bytes: {}",
            max_cell_bytes(limits),
            cell_limit(limits)
        );
    }
    let text = String::from_utf8_lossy(bytes);
    let n = text.chars().count();
    if n > limits.max_cell_chars {
        bail!("a cell holds {n} characters: {}", cell_limit(limits));
    }
    Ok(Cell::Text(text.into_owned()))
}

/// WikiSQL's type for an SQLite declared column type (SQLite's affinity rules, numeric ones real).
fn declared_type(declared: &str) -> ColumnType {
    let t = declared.to_ascii_uppercase();
    let numeric = ["INT", "REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL"];
    if numeric.iter().any(|n| t.contains(n)) {
        ColumnType::Real
    } else {
        ColumnType::Text
    }
}

fn sql_value(v: ValueRef<'_>) -> SqlValue {
    match v {
        ValueRef::Null => SqlValue::Null,
        ValueRef::Integer(i) => SqlValue::Integer(i),
        ValueRef::Real(f) => SqlValue::Real(f),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            SqlValue::Text(String::from_utf8_lossy(t).into_owned())
        }
    }
}

fn cell(ty: ColumnType, v: ValueRef<'_>) -> Cell {
    match (ty, sql_value(v)) {
        (ColumnType::Real, SqlValue::Real(f)) => Cell::Number(f),
        (ColumnType::Real, SqlValue::Integer(i)) => Cell::Number(i as f64),
        (_, SqlValue::Null) => Cell::Text(String::new()),
        (_, SqlValue::Text(s)) => Cell::Text(s),
        (ColumnType::Text, v) => Cell::Text(number_text(&v)),
    }
}

/// A number's text as the fold function sees it: integers plainly, reals with a decimal point.
fn number_text(v: &SqlValue) -> String {
    match v {
        SqlValue::Integer(i) => i.to_string(),
        SqlValue::Real(f) => format!("{f:?}"),
        other => other.to_string(),
    }
}

/// Registers `sqlcoder_fold(x)`: [`fold_text`] of x's text; NULL stays NULL, numbers fold their text.
pub fn register_fold(conn: &Connection) -> Result<()> {
    conn.create_scalar_function(
        FOLD_FUNCTION,
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            Ok(match sql_value(ctx.get_raw(0)) {
                SqlValue::Null => None,
                SqlValue::Text(s) => Some(fold_text(&s)),
                number => Some(number_text(&number)),
            })
        },
    )
    .context("cannot register the sqlcoder_fold SQL function")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assemble;
    use crate::schema::build_db;
    use sqlcoder_data::types::{Agg, CondOp, Query};

    fn table() -> Table {
        Table::new(
            "1-1",
            &["City", "Pop."],
            &[ColumnType::Text, ColumnType::Real],
            vec![
                vec!["ÉVORA".into(), 56.0.into()],
                vec!["Porto".into(), "1,300".into()],
                vec!["Faro".into(), "n/a".into()],
            ],
        )
    }

    fn query(sel: usize, agg: Agg, conds: Vec<(usize, CondOp, &str)>) -> Query {
        Query::with_text_conds(sel, agg, &conds)
    }

    #[test]
    fn runs_with_official_comparisons() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        build_db(&db, &[&table()]).unwrap();
        let exec = Executor::open(&db).unwrap();
        let t = table();
        // Sketch queries select one column: each row is one value.
        let run = |q: Query| {
            exec.run(&assemble(&q, &t, Dialect::Sqlite).unwrap())
                .unwrap()
                .concat()
        };
        assert_eq!(
            run(query(1, Agg::None, vec![(0, CondOp::Eq, "évora")])),
            vec![SqlValue::Real(56.0)]
        );
        assert_eq!(
            run(query(0, Agg::None, vec![(1, CondOp::Gt, "100")])),
            vec![SqlValue::Text("Porto".into())]
        );
        assert_eq!(
            run(query(0, Agg::Count, vec![(1, CondOp::Lt, "nothing")])),
            vec![SqlValue::Integer(0)]
        );
        assert_eq!(
            run(query(0, Agg::None, vec![(0, CondOp::Gt, "g")])),
            vec![
                SqlValue::Text("ÉVORA".into()),
                SqlValue::Text("Porto".into())
            ]
        );
        assert_eq!(
            run(query(1, Agg::Sum, vec![])),
            vec![SqlValue::Real(1356.0)]
        );
    }

    #[test]
    fn tables_read_back_and_unknown_ids_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        build_db(&db, &[&table()]).unwrap();
        let exec = Executor::open(&db).unwrap();
        assert_eq!(exec.table_ids().unwrap(), vec!["1-1".to_string()]);
        let back = exec.table("1-1").unwrap();
        assert_eq!(back.header, table().header);
        assert_eq!(back.types, table().types);
        assert_eq!(back.rows[1][1], Cell::Number(1300.0));
        assert_eq!(back.rows[2][1], Cell::Text(String::new()));
        assert_eq!(back.rows[0][0], Cell::Text("ÉVORA".into()));
        let err = exec.table("9-9").unwrap_err().to_string();
        assert!(err.contains("\"9-9\""), "{err}");
    }

    #[test]
    fn missing_files_and_writes_fail_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let err = Executor::open(&dir.path().join("none.db")).err().unwrap();
        assert!(err.to_string().contains("not found"), "{err}");
        let db = dir.path().join("t.db");
        build_db(&db, &[&table()]).unwrap();
        let exec = Executor::open(&db).unwrap();
        let drop = SqlStatement {
            sql: "DROP TABLE \"table_1_1\"".into(),
            params: vec![],
            dialect: Dialect::Sqlite,
        };
        assert!(exec.run(&drop).is_err());
        assert_eq!(exec.table("1-1").unwrap().rows.len(), 3);
    }

    #[test]
    fn statements_stop_at_the_query_limit_and_the_answer_budget() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        build_db(&db, &[&table()]).unwrap();
        let endless = SqlStatement {
            sql: "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) \
                  SELECT count(*) FROM r"
                .into(),
            params: vec![],
            dialect: Dialect::Sqlite,
        };
        let limits = QueryLimits {
            per_query: std::time::Duration::from_millis(200),
            per_answer: std::time::Duration::from_secs(60),
        };
        let exec = Executor::open(&db).unwrap().with_limits(limits);
        let started = Instant::now();
        let err = exec.run(&endless).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert!(err.to_string().contains("200 ms per query"), "{err}");
        // The connection stays usable after an interrupted statement.
        let t = table();
        let q = query(0, Agg::Count, vec![]);
        assert_eq!(exec.run_query(&q, &t).unwrap(), vec![SqlValue::Integer(3)]);

        let exec = Executor::open(&db).unwrap().with_limits(QueryLimits {
            per_query: std::time::Duration::from_secs(60),
            per_answer: std::time::Duration::from_millis(150),
        });
        exec.begin_answer();
        let err = exec.run(&endless).unwrap_err();
        assert!(err.to_string().contains("budget of 150 ms"), "{err}");
        // Spent: the answer's next statements stop at once.
        assert!(exec.run_query(&q, &t).is_err());
        exec.begin_answer();
        assert!(exec.run_query(&q, &t).is_ok());
    }

    /// A database file holding only `sql` (views), with the metadata table pointing table id
    /// `v` at the view `v` (columns `n` real, `b` text; the view also names a `rowid`).
    fn hostile_db(dir: &Path, sql: &str) -> PathBuf {
        let db = dir.join("hostile.db");
        let _ = std::fs::remove_file(&db);
        Connection::open(&db)
            .unwrap()
            .execute_batch(&format!(
                "{sql}
                 CREATE TABLE sqlcoder_columns (table_id TEXT, table_name TEXT,
                     col_index INTEGER, header TEXT, column_name TEXT, type TEXT);
                 INSERT INTO sqlcoder_columns VALUES ('v', 'v', 0, 'n', 'n', 'real'),
                     ('v', 'v', 1, 'b', 'b', 'text');"
            ))
            .unwrap();
        db
    }

    /// A view `v` of `rows` rows: `rowid`, `n`, and `b` = `cell` (SQL over `n`).
    fn view(rows: u64, cell: &str) -> String {
        format!(
            "CREATE VIEW v AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r \
             WHERE n < {rows}) SELECT n AS rowid, n, {cell} AS b FROM r;"
        )
    }

    /// Both ways a file's table is read: `--db` (`table`) and `--sqlite` (`plain_table`).
    fn read_both(db: &Path, limits: &TableLimits) -> [Result<Table>; 2] {
        let exec = Executor::open(db)
            .unwrap()
            .with_limits(QueryLimits::default())
            .with_table_limits(*limits);
        [exec.table("v"), exec.plain_table("v", "v", limits)]
    }

    #[test]
    fn giant_cells_are_refused_before_they_are_copied() {
        let dir = tempfile::tempdir().unwrap();
        let limits = TableLimits::default();
        // SQLite itself refuses to build the value (40 × 2 MB unchecked before).
        let db = hostile_db(dir.path(), &view(40, "zeroblob(2000000)"));
        for out in read_both(&db, &limits) {
            let err = format!("{:#}", out.unwrap_err());
            assert!(err.starts_with("table \"v\" of "), "{err}");
            assert!(
                err.ends_with(
                    ": a cell holds over 1048576 bytes: at most 1000 characters (4000 bytes) \
                     are accepted"
                ),
                "{err}"
            );
        }
        // Within SQLite's length, over the cell's bytes: refused by its length alone.
        let db = hostile_db(dir.path(), &view(40, "printf('%.5000c', 'x')"));
        for out in read_both(&db, &limits) {
            let err = format!("{:#}", out.unwrap_err());
            assert!(err.contains("a cell holds over 4000 bytes"), "{err}");
        }
        // Few enough bytes, too many characters; a blob counts as its text.
        for cell in ["printf('%.1001c', 'x')", "zeroblob(1001)"] {
            let db = hostile_db(dir.path(), &view(3, cell));
            for out in read_both(&db, &limits) {
                let err = format!("{:#}", out.unwrap_err());
                assert!(err.contains("a cell holds 1001 characters"), "{err}");
            }
        }
        // At the limit: accepted, in both layouts' readers.
        let db = hostile_db(dir.path(), &view(3, "printf('%.1000c', 'x')"));
        for out in read_both(&db, &limits) {
            let t = out.unwrap();
            assert_eq!(t.rows.len(), 3);
            assert_eq!(t.rows[2].last(), Some(&Cell::Text("x".repeat(1000))));
        }
        // A long column name is refused too.
        let db = hostile_db(
            dir.path(),
            &format!(
                "CREATE VIEW w AS SELECT 1 AS \"{}\";",
                "c".repeat(limits.max_cell_chars + 1)
            ),
        );
        let exec = Executor::open(&db).unwrap();
        let err = format!("{:#}", exec.plain_table("w", "w", &limits).unwrap_err());
        assert!(err.contains("a column name holds 1001 characters"), "{err}");
    }

    #[test]
    fn table_reads_stop_at_the_row_cap_and_the_size_cap() {
        let dir = tempfile::tempdir().unwrap();
        // A view that never ends, read in its own order with no time limit: the row cap stops
        // it. (Our layout reads in rowid order: a sort, which only the time limit stops.)
        let db = hostile_db(
            dir.path(),
            "CREATE VIEW v AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) \
             SELECT n AS rowid, n, 'x' AS b FROM r;",
        );
        let small = TableLimits {
            max_rows: 10,
            ..TableLimits::default()
        };
        let exec = Executor::open(&db).unwrap();
        let err = format!("{:#}", exec.plain_table("v", "v", &small).unwrap_err());
        assert!(
            err.ends_with(": over 10 rows (at most 10 are accepted)"),
            "{err}"
        );
        // `table` (`--db`, `serve --db`, `repl :table`) has the executor's cap, by default the
        // CSV one.
        let db = hostile_db(dir.path(), &view(100_001, "'x'"));
        let exec = Executor::open(&db).unwrap();
        let err = format!("{:#}", exec.table("v").unwrap_err());
        assert!(
            err.ends_with(": over 100000 rows (at most 100000 are accepted)"),
            "{err}"
        );
        let exec = exec.with_table_limits(small);
        let err = format!("{:#}", exec.table("v").unwrap_err());
        assert!(err.contains("over 10 rows"), "{err}");
        let exec = exec.with_table_limits(TableLimits {
            max_rows: 100_001,
            ..small
        });
        assert_eq!(exec.table("v").unwrap().rows.len(), 100_001);

        // WikiSQL's tables (built in our layout, and the challenge's plain one) read whole.
        let t = table();
        build_db(&dir.path().join("w.db"), &[&t]).unwrap();
        let exec = Executor::open(&dir.path().join("w.db")).unwrap();
        assert_eq!(exec.table("1-1").unwrap().rows.len(), t.rows.len());

        // Cells within their limit, but more of them than a table may hold.
        let wide: Vec<String> = (0..64).map(|i| format!("x AS c{i}")).collect();
        let db = hostile_db(
            dir.path(),
            &format!(
                "CREATE VIEW big AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 \
                 FROM r WHERE n < 2000) SELECT {} FROM (SELECT printf('%.1000c', 'x') AS x FROM r);",
                wide.join(", ")
            ),
        );
        let limits = TableLimits::default();
        let exec = Executor::open(&db).unwrap();
        let err = format!("{:#}", exec.plain_table("big", "big", &limits).unwrap_err());
        assert!(
            err.ends_with(": over 67108864 bytes of cells (at most 67108864 are accepted)"),
            "{err}"
        );
        // Too many columns is refused before any row is read.
        let tight = TableLimits {
            max_columns: 63,
            ..limits
        };
        let err = format!("{:#}", exec.plain_table("big", "big", &tight).unwrap_err());
        assert!(
            err.ends_with(": 64 columns (at most 63 are accepted)"),
            "{err}"
        );
    }

    #[test]
    fn fold_is_null_safe_and_folds_numbers_as_text() {
        let conn = Connection::open_in_memory().unwrap();
        register_fold(&conn).unwrap();
        let got: (Option<String>, String, String, String) = conn
            .query_row(
                "SELECT sqlcoder_fold(NULL), sqlcoder_fold(12), sqlcoder_fold(2.5), sqlcoder_fold('ÀB')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(got, (None, "12".into(), "2.5".into(), "àb".into()));
    }
}
