//! Property test: random queries over tables with hostile headers and values always assemble to
//! SQL that prepares and executes, give the rows a plain Rust evaluation expects, read the same
//! when their literals are inlined (`display`), and never change the database file.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use sqlcoder_data::types::{Agg, Cell, ColumnType, Cond, CondOp, CondValue, Query, Table};
use sqlcoder_sql::schema::build_db;
use sqlcoder_sql::value::{fold_text, parse_official_number};
use sqlcoder_sql::{assemble, display, Dialect, Executor, Row, SqlStatement, SqlValue};
use std::cmp::Ordering;

const QUERIES: usize = 12_000;

const HOSTILE_HEADERS: &[&str] = &[
    "\"",
    "'",
    "`",
    "``",
    "[x]",
    "]",
    ";",
    "--",
    "/*",
    "*/",
    "é",
    "名前",
    "🦀",
    "",
    " ",
    "\t\n",
    "Name",
    "NAME",
    "name",
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "table",
    "a\0b",
    "?1",
    "?",
    ":x",
    "@y",
    "$z",
    "x\"y'z",
    "col0",
    "column_2",
    "Name (2)",
    "sqlcoder_fold",
    "rowid",
    "ROWID",
    "DROP TABLE x; --",
    "\u{202e}rtl",
    "  spaced  ",
    "MAX",
    "COUNT(*)",
    "a.b",
    "\\",
];

const HOSTILE_VALUES: &[&str] = &[
    "'",
    "\"",
    "'; DROP TABLE x; --",
    "\"; DROP TABLE sqlcoder_columns; --",
    "",
    " ",
    "1,234",
    "1,234.5",
    "-3.5",
    "abc 17",
    "ÉCOLE",
    "école",
    "straße",
    "STRASSE",
    "🦀",
    "NULL",
    "?1",
    ":x",
    "a\0b",
    "%",
    "_",
    "\\",
    "1e5",
    "inf",
    "NaN",
    "0x10",
    "  42 ",
    "99999999999999999999999999",
    "12",
    "12.0",
    "-0",
    "ΑΘΗΝΑ",
    "αθηνα",
    "*/ SELECT 1 /*",
];

fn hostile(rng: &mut StdRng, pool: &[&str]) -> String {
    let mut s = pool.choose(rng).unwrap().to_string();
    if rng.random_bool(0.3) {
        s.push_str(pool.choose(rng).unwrap());
    }
    s
}

fn random_table(rng: &mut StdRng, index: usize) -> Table {
    let width = rng.random_range(1..=7);
    let header: Vec<String> = (0..width).map(|_| hostile(rng, HOSTILE_HEADERS)).collect();
    let types: Vec<ColumnType> = (0..width)
        .map(|_| {
            if rng.random_bool(0.4) {
                ColumnType::Real
            } else {
                ColumnType::Text
            }
        })
        .collect();
    let rows = (0..rng.random_range(0..12))
        .map(|_| {
            types
                .iter()
                .map(|t| match t {
                    ColumnType::Real if rng.random_bool(0.6) => {
                        Cell::Number(rng.random_range(-50..50) as f64 / 4.0)
                    }
                    _ => Cell::Text(hostile(rng, HOSTILE_VALUES)),
                })
                .collect()
        })
        .collect();
    let id_stem = hostile(rng, HOSTILE_HEADERS);
    Table {
        id: format!("{id_stem}-{index}"),
        header,
        types,
        rows,
    }
}

fn random_value(rng: &mut StdRng, table: &Table, col: usize) -> CondValue {
    match rng.random_range(0..5) {
        0 | 4 if !table.rows.is_empty() => {
            let row = rng.random_range(0..table.rows.len());
            match &table.rows[row][col] {
                Cell::Text(s) => CondValue::Text(s.clone()),
                Cell::Number(n) => CondValue::Text(n.to_string()),
            }
        }
        1 => CondValue::Number(rng.random_range(-20i64..20).into()),
        2 => {
            CondValue::Number(serde_json::Number::from_f64(rng.random_range(-20.0..20.0)).unwrap())
        }
        _ => CondValue::Text(hostile(rng, HOSTILE_VALUES)),
    }
}

fn random_query(rng: &mut StdRng, table: &Table) -> Query {
    let width = table.header.len();
    let conds = (0..rng.random_range(0..=4))
        .map(|_| {
            let col = rng.random_range(0..width);
            Cond {
                col,
                op: *CondOp::ALL.choose(rng).unwrap(),
                value: random_value(rng, table, col),
            }
        })
        .collect();
    Query {
        sel: rng.random_range(0..width),
        agg: *Agg::ALL.choose(rng).unwrap(),
        conds,
    }
}

/// A cell of a real column as stored: numbers as they are, strings parsed officially, else NULL.
fn real_cell(cell: &Cell) -> Option<f64> {
    match cell {
        Cell::Number(n) => Some(*n),
        Cell::Text(s) => parse_official_number(s),
    }
}

fn holds(table: &Table, row: &[Cell], cond: &Cond) -> bool {
    let ordering = match table.types[cond.col] {
        ColumnType::Text => {
            let Cell::Text(cell) = &row[cond.col] else {
                unreachable!("text columns hold text")
            };
            Some(fold_text(cell).cmp(&fold_text(&cond.value.python_str())))
        }
        ColumnType::Real => {
            let value = match &cond.value {
                CondValue::Number(n) => n.as_f64(),
                CondValue::Text(s) => parse_official_number(s),
            };
            real_cell(&row[cond.col])
                .zip(value)
                .and_then(|(a, b)| a.partial_cmp(&b))
        }
    };
    let wanted = match cond.op {
        CondOp::Eq => Ordering::Equal,
        CondOp::Gt => Ordering::Greater,
        CondOp::Lt => Ordering::Less,
    };
    ordering == Some(wanted)
}

/// What the query must return, for no aggregation and COUNT (other aggregations follow SQLite's
/// own type rules and are only checked to run).
fn expected(table: &Table, q: &Query) -> Option<Vec<SqlValue>> {
    let rows = table
        .rows
        .iter()
        .filter(|row| q.conds.iter().all(|c| holds(table, row, c)));
    let column = rows.map(|row| match table.types[q.sel] {
        ColumnType::Real => real_cell(&row[q.sel]).map_or(SqlValue::Null, SqlValue::Real),
        ColumnType::Text => SqlValue::Text(row[q.sel].to_string()),
    });
    match q.agg {
        Agg::None => Some(column.collect()),
        Agg::Count => Some(vec![SqlValue::Integer(
            column.filter(|v| *v != SqlValue::Null).count() as i64,
        )]),
        _ => None,
    }
}

/// A sketch query's rows as values: it selects one item, so every row holds exactly one.
fn single_values(rows: Vec<Row>) -> Vec<SqlValue> {
    rows.into_iter()
        .map(|r| {
            let [v]: [SqlValue; 1] = r
                .try_into()
                .unwrap_or_else(|r: Row| panic!("a sketch row of {} values", r.len()));
            v
        })
        .collect()
}

fn sha256(path: &std::path::Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

#[test]
fn random_hostile_queries_run_and_leave_the_database_untouched() {
    let mut rng = StdRng::seed_from_u64(0x5eed_5c0de);
    let tables: Vec<Table> = (0..60).map(|i| random_table(&mut rng, i)).collect();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hostile.db");
    build_db(&db, &tables.iter().collect::<Vec<_>>()).unwrap();
    let before = sha256(&db);

    // The oracle follows the official engine, whose folding `SqliteFold` keeps; the portable
    // SQL is checked against the same oracle where its `lower()` agrees (ASCII-only text), and
    // for bound == displayed everywhere.
    let exec = Executor::open(&db).unwrap().with_official_folding();
    let portable = Executor::open(&db).unwrap();
    let mut ids = exec.table_ids().unwrap();
    let mut want_ids: Vec<String> = tables.iter().map(|t| t.id.clone()).collect();
    ids.sort();
    want_ids.sort();
    assert_eq!(ids, want_ids);

    let (mut checked_rows, mut non_empty, mut portable_checked) = (0, 0, 0);
    for i in 0..QUERIES {
        let table = &tables[rng.random_range(0..tables.len())];
        let q = random_query(&mut rng, table);
        let stmt = assemble(&q, table, Dialect::SqliteFold)
            .unwrap_or_else(|e| panic!("query {i} {q:?}: {e}"));
        let portable_stmt = assemble(&q, table, Dialect::Sqlite).unwrap();
        let portable_rows = single_values(
            portable
                .run(&portable_stmt)
                .unwrap_or_else(|e| panic!("portable query {i}: {e:#}\n{}", portable_stmt.sql)),
        );
        let portable_shown = SqlStatement {
            sql: display(&portable_stmt),
            params: vec![],
            dialect: Dialect::Sqlite,
        };
        assert_eq!(
            single_values(portable.run(&portable_shown).unwrap()),
            portable_rows,
            "query {i}: portable display differs\n{}",
            portable_shown.sql
        );
        let ascii_only = table
            .rows
            .iter()
            .flatten()
            .all(|c| c.to_string().is_ascii())
            && q.conds.iter().all(|c| c.value.python_str().is_ascii());
        if ascii_only || q.conds.iter().all(|c| c.op == CondOp::Eq) {
            portable_checked += 1;
        }
        let got = single_values(
            exec.run(&stmt)
                .unwrap_or_else(|e| panic!("query {i} on {:?}: {e:#}\n{stmt:?}", table.header)),
        );
        let inlined = SqlStatement {
            sql: display(&stmt),
            params: vec![],
            dialect: Dialect::SqliteFold,
        };
        let got_inlined = single_values(
            exec.run(&inlined)
                .unwrap_or_else(|e| panic!("display of query {i}: {e:#}\n{}", inlined.sql)),
        );
        assert_eq!(
            got, got_inlined,
            "query {i}: display differs\n{}",
            inlined.sql
        );
        if let Some(want) = expected(table, &q) {
            assert_eq!(got, want, "query {i} {q:?}\n{}", inlined.sql);
            if ascii_only || q.conds.iter().all(|c| c.op == CondOp::Eq) {
                assert_eq!(
                    portable_rows, want,
                    "portable query {i} {q:?}\n{}",
                    portable_shown.sql
                );
            }
            checked_rows += 1;
            if q.agg == Agg::None && !want.is_empty() && !q.conds.is_empty() {
                non_empty += 1;
            }
        }
    }
    eprintln!("{checked_rows} checked against the oracle, {non_empty} filtered non-empty");
    // The oracle checked a third of the queries, and filters matched rows often enough to matter.
    assert!(checked_rows > QUERIES / 4, "{checked_rows}");
    assert!(non_empty > 300, "{non_empty}");
    assert!(portable_checked > QUERIES / 4, "{portable_checked}");

    for table in &tables {
        let back = exec.table(&table.id).unwrap();
        assert_eq!(back.header, table.header);
        assert_eq!(back.types, table.types);
        assert_eq!(back.rows.len(), table.rows.len());
    }
    drop(exec);
    assert_eq!(sha256(&db), before, "the database file changed");
}
