//! The query family on both engines: every hand-written gold SQL of our own questions
//! (`data/ood/source/*.family.jsonl`, and outside lines with a family gold) returns the same rows
//! as its assembled query under the scorer's rules, on SQLite and on PostgreSQL (a throw-away
//! cluster); `eval --family --gold-as-pred` scores 100%; and one test per portability trap of the
//! assembler, each run on both engines.

use crate::support::postgres::{cluster, Cluster};
use crate::support::{run, sqlcoder};
use rusqlite::types::ValueRef;
use sqlcoder_data::ood::{read_family_part, FamilyPart};
use sqlcoder_data::types::{Cell, ColumnType, FamilyQuery, Table};
use sqlcoder_eval::family::{gold_result, rows_match};
use sqlcoder_sql::display::literal;
use sqlcoder_sql::naming::quote_ident;
use sqlcoder_sql::own::MemoryDb;
use sqlcoder_sql::{Dialect, Executor, Row, SqlParam, SqlStatement, SqlValue};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

fn source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/ood/source")
}

fn parts() -> Vec<(&'static str, FamilyPart)> {
    ["dev", "test"]
        .into_iter()
        .map(|p| (p, read_family_part(&source(), p).unwrap()))
        .collect()
}

/// `"header" type, …` for `table`'s columns, with the engine's type names.
fn column_definitions(table: &Table, real: &str, text: &str) -> String {
    let columns: Vec<String> = table
        .header
        .iter()
        .zip(&table.types)
        .map(|(h, t)| {
            let ty = if *t == ColumnType::Real { real } else { text };
            format!("{} {ty}", quote_ident(h))
        })
        .collect();
    columns.join(", ")
}

/// `table` as `t` (columns named by the headers) in a fresh in-memory SQLite database.
fn sqlite_t(table: &Table) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let columns = column_definitions(table, "REAL", "TEXT");
    conn.execute(&format!("CREATE TABLE t ({columns})"), [])
        .unwrap();
    let marks = vec!["?"; table.header.len()].join(", ");
    for row in &table.rows {
        let values: Vec<rusqlite::types::Value> = row
            .iter()
            .map(|c| match c {
                Cell::Number(n) => rusqlite::types::Value::Real(*n),
                Cell::Text(s) if s.is_empty() => rusqlite::types::Value::Null,
                Cell::Text(s) => rusqlite::types::Value::Text(s.clone()),
            })
            .collect();
        conn.execute(
            &format!("INSERT INTO t VALUES ({marks})"),
            rusqlite::params_from_iter(values),
        )
        .unwrap();
    }
    conn
}

fn sqlite_rows(conn: &rusqlite::Connection, sql: &str) -> Vec<Row> {
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let width = stmt.column_count();
    let mut rows = stmt.query([]).unwrap();
    let mut out = Vec::new();
    while let Some(r) = rows.next().unwrap() {
        out.push(
            (0..width)
                .map(|i| match r.get_ref(i).unwrap() {
                    ValueRef::Null => SqlValue::Null,
                    ValueRef::Integer(n) => SqlValue::Integer(n),
                    ValueRef::Real(x) => SqlValue::Real(x),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        SqlValue::Text(String::from_utf8_lossy(t).into_owned())
                    }
                })
                .collect(),
        );
    }
    out
}

/// Creates schema `schema` holding `table` as `t`; returns the table renamed `schema.t` (the
/// PostgreSQL assembler names a table by its id).
pub fn postgres_t(pg: &Cluster, schema: &str, table: &Table) -> Table {
    let mut script = format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};\n");
    let columns = column_definitions(table, "double precision", "text");
    script.push_str(&format!("CREATE TABLE {schema}.t ({columns});\n"));
    for row in &table.rows {
        let values: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Number(n) => literal(&SqlParam::Real(*n), Dialect::Postgres),
                Cell::Text(s) if s.is_empty() => "NULL".into(),
                Cell::Text(s) => literal(&SqlParam::Text(s.clone()), Dialect::Postgres),
            })
            .collect();
        script.push_str(&format!(
            "INSERT INTO {schema}.t VALUES ({});\n",
            values.join(", ")
        ));
    }
    let file = pg.dir.join(format!("{schema}.sql"));
    std::fs::write(&file, script).unwrap();
    pg.psql_ok(&format!("\\i {}", file.display()));
    let mut renamed = table.clone();
    renamed.id = format!("{schema}.t");
    renamed
}

fn postgres_exec(pg: &Cluster, schema: &str) -> Executor {
    Executor::open_postgres(&format!("{} options=-csearch_path={schema}", pg.conn())).unwrap()
}

fn hand_statement(sql: &str) -> SqlStatement {
    SqlStatement {
        sql: sql.to_string(),
        params: vec![],
        dialect: Dialect::Postgres,
    }
}

static SCHEMAS: AtomicUsize = AtomicUsize::new(0);

pub fn fresh_schema(prefix: &str) -> String {
    format!("{prefix}_{}", SCHEMAS.fetch_add(1, Ordering::Relaxed))
}

#[test]
fn every_hand_written_gold_returns_its_assembled_rows_on_sqlite_and_postgres() {
    let pg = cluster();
    let mut checked = 0;
    for (name, part) in parts() {
        let tables: Vec<&Table> = part.tables.iter().collect();
        let db = MemoryDb::build(&tables, Path::new(name)).unwrap();
        let exec = db.executor().unwrap();
        for table in &part.tables {
            let golds: Vec<_> = part
                .examples
                .iter()
                .filter(|e| e.table_id == table.id && e.gold.is_some())
                .collect();
            if golds.is_empty() {
                continue;
            }
            let conn = sqlite_t(table);
            let schema = fresh_schema("fam");
            let pg_table = postgres_t(pg, &schema, table);
            let pg_exec = postgres_exec(pg, &schema);
            for ex in golds {
                let gold: &FamilyQuery = ex.gold.as_ref().unwrap();
                let assembled = gold_result(&exec, gold, table).unwrap();
                assert!(
                    !assembled.rows.is_empty(),
                    "{name}: {:?} returns nothing",
                    ex.question
                );
                let hand = sqlite_rows(&conn, &ex.sql);
                assert!(
                    rows_match(&assembled, &hand),
                    "{name}, SQLite: {:?}\nhand {:?}\nassembled {:?}",
                    ex.question,
                    hand,
                    assembled.rows
                );
                let pg_assembled = gold_result(&pg_exec, gold, &pg_table).unwrap();
                let pg_hand = pg_exec
                    .run(&hand_statement(&ex.sql))
                    .unwrap_or_else(|e| panic!("{name}, PostgreSQL: {}: {e:#}", ex.sql));
                assert!(
                    rows_match(&pg_assembled, &pg_hand),
                    "{name}, PostgreSQL: {:?}\nhand {:?}\nassembled {:?}",
                    ex.question,
                    pg_hand,
                    pg_assembled.rows
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 500, "only {checked} golds checked");
}

#[test]
fn eval_family_scores_the_golds_as_predictions_at_100() {
    for split in ["val", "test"] {
        let (ok, out, err) = run(sqlcoder(&[
            "eval",
            "--split",
            split,
            "--gold-as-pred",
            "--family",
            source().to_str().unwrap(),
        ]));
        assert!(ok, "{err}");
        let all = out
            .lines()
            .find(|l| l.starts_with("| all family questions"))
            .unwrap_or_else(|| panic!("no total row in {out}"));
        let cells: Vec<&str> = all.split('|').map(str::trim).collect();
        assert_eq!(cells[4], "100.0", "{all}");
        assert!(out.contains("| ranking (ORDER BY) |"), "{out}");
    }
}
