//! PostgreSQL tables: a connection (libpq connection string or `postgres://` URL, the standard
//! `PG*` environment variables filling what it omits), tables read from `information_schema` with
//! a bounded sample of their cells, and statements run read-only under a statement timeout.
//!
//! tokio-postgres is driven by a current-thread runtime owned by the connection, so its calls
//! block the calling thread; call them from plain threads (a worker pool), never from inside
//! another tokio runtime.

use super::dialect::Dialect;
use super::limits::Deadline;
use super::naming::quote_ident;
use super::{SqlParam, SqlStatement, SqlValue};
use anyhow::{anyhow, bail, Context, Result};
use sqlcoder_data::csv::TableLimits;
use sqlcoder_data::types::{Cell, ColumnType, Table};
use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::Mutex;
use std::time::Duration;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::types::{FromSql, ToSql, Type};
use tokio_postgres::{Client, Config, Row};

/// Distinct cells read per column for the content features and value checks; a column with
/// more is only sampled, and whether a value is one of its cells is asked of the database.
pub const SAMPLE_CELLS: usize = 1000;

/// How long connecting may take when the connection string does not say.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One connection to a PostgreSQL server.
pub struct PgDb {
    runtime: tokio::runtime::Runtime,
    client: Client,
    /// `postgres://user@host:port/dbname`, for messages (never the password).
    label: String,
    /// Per table read: whether each column's cells were read whole (not only sampled).
    complete: Mutex<HashMap<String, Vec<bool>>>,
}

impl PgDb {
    /// Connects to `conn`; an unreachable server or a refused login is an error naming the server.
    pub fn connect(conn: &str) -> Result<PgDb> {
        let config = config(conn)?;
        let label = label(&config);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the PostgreSQL client's runtime")?;
        let client = runtime
            .block_on(async {
                if config.get_ssl_mode() == SslMode::Require {
                    let (client, connection) = config.connect(tls()?).await?;
                    tokio::spawn(connection);
                    Ok::<_, anyhow::Error>(client)
                } else {
                    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
                    tokio::spawn(connection);
                    Ok(client)
                }
            })
            .map_err(|e| {
                anyhow!(
                    "cannot connect to PostgreSQL at {label}: {}",
                    cause(e.as_ref())
                )
            })?;
        Ok(PgDb {
            runtime,
            client,
            label,
            complete: Mutex::new(HashMap::new()),
        })
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// Runs `stmt` read-only within `deadline`: every row.
    pub fn run(&self, stmt: &SqlStatement, deadline: Option<Deadline>) -> Result<Vec<super::Row>> {
        if stmt.dialect != Dialect::Postgres {
            bail!("a SQLite statement cannot run on PostgreSQL");
        }
        let params: Vec<Box<dyn ToSql + Sync + Send>> = stmt.params.iter().map(bound).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let rows = self
            .read_only(deadline, &stmt.sql, &refs)
            .with_context(|| format!("cannot run {}", stmt.sql))?;
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| Ok(r.try_get::<_, PgValue>(i)?.0))
                    .collect()
            })
            .collect::<Result<_>>()
            .with_context(|| format!("cannot read the rows of {}", stmt.sql))
    }

    /// `sql` in a read-only transaction whose statements stop at `deadline`.
    fn read_only(
        &self,
        deadline: Option<Deadline>,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>> {
        if let Some(d) = deadline.filter(Deadline::passed) {
            return Err(d.reason.into());
        }
        let timeout = deadline.map_or(0, |d| d.remaining().as_millis().max(1));
        let out = self.runtime.block_on(async {
            self.client
                .batch_execute(&format!(
                    "BEGIN READ ONLY; SET LOCAL statement_timeout = {timeout}"
                ))
                .await?;
            let rows = self.client.query(sql, params).await;
            // Nothing to keep: a rollback ends the transaction whatever happened in it.
            self.client.batch_execute("ROLLBACK").await?;
            rows
        });
        out.map_err(|e| match deadline {
            Some(d) if is_timeout(&e) || d.passed() => anyhow::Error::from(d.reason),
            _ => anyhow!("{}", cause(&e)),
        })
    }

    /// The visible tables and views outside the system schemas: `name` in the current schema,
    /// `schema.name` elsewhere.
    pub fn table_ids(&self, deadline: Option<Deadline>) -> Result<Vec<String>> {
        let rows = self.read_only(
            deadline,
            "SELECT CASE WHEN table_schema = current_schema() THEN table_name \
             ELSE table_schema || '.' || table_name END AS id \
             FROM information_schema.tables \
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
            &[],
        )?;
        Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
    }

    /// The table or view `id` (`name`, found on the search path, or `schema.name`): columns and
    /// types from `information_schema` (numeric types are WikiSQL's `real`, the rest `text`),
    /// up to [`SAMPLE_CELLS`] distinct cells per column as its rows. More columns than `limits`
    /// accept, or a longer column name or cell, is an error; a cell's text is cut on the server
    /// just past the limit, so that no giant value is sent.
    pub fn table(
        &self,
        id: &str,
        limits: &TableLimits,
        deadline: Option<Deadline>,
    ) -> Result<Table> {
        let relation = super::assemble::sql_table(
            &Table {
                id: id.to_string(),
                header: vec![],
                types: vec![],
                rows: vec![],
            },
            Dialect::Postgres,
        );
        let found = self.read_only(
            deadline,
            "SELECT n.nspname::text, c.relname::text, has_table_privilege(c.oid, 'SELECT'), \
             current_user::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.oid = to_regclass($1)",
            &[&relation],
        )?;
        let Some(row) = found.first() else {
            bail!(
                "table {id:?} not found in {} (no such table or view)",
                self.label
            );
        };
        let (schema, name, allowed, user): (String, String, bool, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        if !allowed {
            bail!(
                "user {user:?} has no SELECT privilege on table {id:?} in {}",
                self.label
            );
        }
        let columns = self.read_only(
            deadline,
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
            &[&schema, &name],
        )?;
        if columns.is_empty() {
            bail!("table {id:?} in {} has no columns", self.label);
        }
        if columns.len() > limits.max_columns {
            bail!(
                "table {id:?} in {}: {} columns (at most {} are accepted)",
                self.label,
                columns.len(),
                limits.max_columns
            );
        }
        let header: Vec<String> = columns.iter().map(|r| r.get(0)).collect();
        let too_long = |what: &str| {
            anyhow!(
                "table {id:?} in {}: a {what} holds over {} characters (at most {} are accepted)",
                self.label,
                limits.max_cell_chars,
                limits.max_cell_chars
            )
        };
        if header
            .iter()
            .any(|h| h.chars().count() > limits.max_cell_chars)
        {
            return Err(too_long("column name"));
        }
        let types: Vec<ColumnType> = columns
            .iter()
            .map(|r| column_type(&r.get::<_, String>(1)))
            .collect();
        let nonempty = self.read_only(
            deadline,
            &format!("SELECT EXISTS (SELECT 1 FROM {relation})"),
            &[],
        )?;
        if !nonempty.first().is_some_and(|r| r.get::<_, bool>(0)) {
            bail!(
                "table {id:?} in {} has no rows: nothing to ask about",
                self.label
            );
        }
        let mut samples = Vec::with_capacity(header.len());
        for (h, ty) in header.iter().zip(&types) {
            let cast = match ty {
                ColumnType::Real => "double precision",
                ColumnType::Text => "text",
            };
            let col = quote_ident(h);
            // Text is cut one character past the limit: a longer cell is seen, never sent whole.
            let value = match ty {
                ColumnType::Real => "v".to_string(),
                ColumnType::Text => format!("left(v, {})", limits.max_cell_chars + 1),
            };
            let sql = format!(
                "SELECT {value} FROM (SELECT DISTINCT CAST({col} AS {cast}) AS v FROM {relation} \
                 WHERE {col} IS NOT NULL LIMIT {}) AS sample",
                SAMPLE_CELLS + 1
            );
            let cells: Vec<Cell> = self
                .read_only(deadline, &sql, &[])
                .with_context(|| format!("cannot read column {h:?} of {id:?}"))?
                .iter()
                .map(|r| match ty {
                    ColumnType::Real => Cell::Number(r.get(0)),
                    ColumnType::Text => Cell::Text(r.get(0)),
                })
                .collect();
            if cells.iter().any(|c| match c {
                Cell::Text(s) => s.chars().count() > limits.max_cell_chars,
                Cell::Number(_) => false,
            }) {
                return Err(too_long("cell"));
            }
            samples.push(cells);
        }
        let complete: Vec<bool> = samples.iter().map(|s| s.len() <= SAMPLE_CELLS).collect();
        let height = samples
            .iter()
            .map(|s| s.len().min(SAMPLE_CELLS))
            .max()
            .unwrap_or(0);
        let rows = (0..height)
            .map(|i| {
                samples
                    .iter()
                    .map(|s| {
                        s.get(i)
                            .cloned()
                            .unwrap_or_else(|| Cell::Text(String::new()))
                    })
                    .collect()
            })
            .collect();
        self.complete
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string(), complete);
        Ok(Table {
            id: id.to_string(),
            header,
            types,
            rows,
        })
    }

    /// Whether text column `col` of `table` has a cell equal to `value` ignoring case, asked of
    /// the database when the column was only sampled; `None` when the sample holds every cell.
    pub fn has_cell(
        &self,
        table: &Table,
        col: usize,
        value: &str,
        deadline: Option<Deadline>,
    ) -> Option<bool> {
        let sampled = self
            .complete
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&table.id)
            .and_then(|c| c.get(col))
            .is_some_and(|complete| !complete);
        if !sampled {
            return None;
        }
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE lower({}) = lower($1))",
            super::assemble::sql_table(table, Dialect::Postgres),
            quote_ident(table.header.get(col)?)
        );
        let rows = self.read_only(deadline, &sql, &[&value]).ok()?;
        rows.first().map(|r| r.get::<_, bool>(0))
    }
}

/// WikiSQL's type for an `information_schema` data type.
fn column_type(data_type: &str) -> ColumnType {
    match data_type {
        "smallint" | "integer" | "bigint" | "real" | "double precision" | "numeric" => {
            ColumnType::Real
        }
        _ => ColumnType::Text,
    }
}

/// A bound value as tokio-postgres takes it (numbers always bind as `double precision`).
fn bound(param: &SqlParam) -> Box<dyn ToSql + Sync + Send> {
    match param {
        SqlParam::Null => Box::new(None::<f64>),
        SqlParam::Real(f) => Box::new(*f),
        SqlParam::Text(s) => Box::new(s.clone()),
    }
}

/// `conn` parsed, with what it omits from the `PG*` environment variables (as libpq does).
fn config(conn: &str) -> Result<Config> {
    let mut config: Config = conn
        .parse()
        .map_err(|e| anyhow!("invalid PostgreSQL connection string: {e}"))?;
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if config.get_hosts().is_empty() {
        let hosts = env("PGHOST").unwrap_or_else(|| "localhost".to_string());
        for host in hosts.split(',') {
            config.host(host);
        }
    }
    if config.get_ports().is_empty() {
        if let Some(port) = env("PGPORT") {
            let port: u16 = port
                .parse()
                .map_err(|_| anyhow!("PGPORT {port:?} is not a port number"))?;
            config.port(port);
        }
    }
    if config.get_user().is_none() {
        let user = env("PGUSER")
            .or_else(|| env("USER"))
            .context("no PostgreSQL user: give user= in the connection string or set PGUSER")?;
        config.user(user);
    }
    if config.get_password().is_none() {
        if let Some(password) = env("PGPASSWORD") {
            config.password(password);
        }
    }
    if config.get_dbname().is_none() {
        if let Some(db) = env("PGDATABASE") {
            config.dbname(db);
        }
    }
    // The parsed mode cannot tell "prefer" given from "prefer" by default: look for the key.
    if !conn.contains("sslmode") {
        match env("PGSSLMODE").as_deref() {
            Some("require") => {
                config.ssl_mode(SslMode::Require);
            }
            Some("disable") => {
                config.ssl_mode(SslMode::Disable);
            }
            _ => {}
        }
    }
    // Without require, TLS is not asked for (libpq's "prefer" would try it unverified).
    if config.get_ssl_mode() != SslMode::Require {
        config.ssl_mode(SslMode::Disable);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    config.application_name("sqlcoder");
    Ok(config)
}

/// `postgres://user@host:port/dbname` of `config`, without its password.
fn label(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or_default();
    let db = config.get_dbname().unwrap_or(user);
    format!("postgres://{user}@{host}:{port}/{db}")
}

/// The TLS connector for `sslmode=require`: rustls, certificates checked against the web's roots.
fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("cannot set up TLS")?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// Whether the server cancelled a statement (SQLSTATE 57014: statement timeout).
fn is_timeout(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&tokio_postgres::error::SqlState::QUERY_CANCELED)
}

/// The reason of a client error on one line: the server's message, else the innermost cause.
fn cause(e: &(dyn StdError + 'static)) -> String {
    if let Some(pg) = e.downcast_ref::<tokio_postgres::Error>() {
        if let Some(db) = pg.as_db_error() {
            return db.message().to_string();
        }
        let mut text = pg.to_string();
        let mut source = pg.source();
        while let Some(s) = source {
            text = s.to_string();
            source = s.source();
        }
        return text;
    }
    e.to_string()
}

/// A result value of any type the assembler's statements return.
struct PgValue(SqlValue);

impl<'a> FromSql<'a> for PgValue {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(PgValue(match *ty {
            Type::INT2 => SqlValue::Integer(i16::from_sql(ty, raw)?.into()),
            Type::INT4 => SqlValue::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT8 => SqlValue::Integer(i64::from_sql(ty, raw)?),
            Type::FLOAT4 => SqlValue::Real(f32::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => SqlValue::Real(f64::from_sql(ty, raw)?),
            Type::NUMERIC => SqlValue::Real(numeric(raw)?),
            Type::BOOL => SqlValue::Text(bool::from_sql(ty, raw)?.to_string()),
            _ if <String as FromSql>::accepts(ty) => SqlValue::Text(String::from_sql(ty, raw)?),
            _ => return Err(format!("values of type {ty} are not supported").into()),
        }))
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(PgValue(SqlValue::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A `numeric` in PostgreSQL's binary form (base-10000 digits) as the nearest `f64`.
fn numeric(raw: &[u8]) -> Result<f64, Box<dyn StdError + Sync + Send>> {
    let word = |i: usize| -> Result<u16, Box<dyn StdError + Sync + Send>> {
        raw.get(2 * i..2 * i + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "truncated numeric".into())
    };
    let (ndigits, weight, sign) = (word(0)? as usize, word(1)? as i16, word(2)?);
    match sign {
        0xC000 => return Ok(f64::NAN),
        0xD000 => return Ok(f64::INFINITY),
        0xF000 => return Ok(f64::NEG_INFINITY),
        _ => {}
    }
    let mut digits = String::from(if sign == 0x4000 { "-0" } else { "0" });
    for i in 0..ndigits {
        digits.push_str(&format!("{:04}", word(4 + i)?));
    }
    let exponent = 4 * (i32::from(weight) + 1 - ndigits as i32);
    Ok(format!("{digits}e{exponent}").parse()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerics_decode() {
        // 1234.5: digits [1234, 5000], weight 0, dscale 1
        let raw = [0, 2, 0, 0, 0, 0, 0, 1, 0x04, 0xD2, 0x13, 0x88];
        assert_eq!(numeric(&raw).unwrap(), 1234.5);
        // -0.0012: digits [12], weight -1, sign negative
        let raw = [0, 1, 0xFF, 0xFF, 0x40, 0, 0, 4, 0, 12];
        assert_eq!(numeric(&raw).unwrap(), -0.0012);
        assert_eq!(numeric(&[0, 0, 0, 0, 0, 0, 0, 0]).unwrap(), 0.0);
    }

    #[test]
    fn environment_fills_the_connection_string_and_labels_hide_passwords() {
        let parsed = config("postgres://ann:secret@db.example:6543/sales").unwrap();
        let shown = label(&parsed);
        assert_eq!(shown, "postgres://ann@db.example:6543/sales");
        assert!(!shown.contains("secret"));
        assert!(config("host=a port=notaport").is_err());
        assert_eq!(column_type("double precision"), ColumnType::Real);
        assert_eq!(column_type("character varying"), ColumnType::Text);
    }
}
