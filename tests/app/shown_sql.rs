//! The SQL shown is the SQL that runs: every sample question's `sql` from `repl --json`, pasted
//! into a stock SQLite connection (none of our functions), returns the reported rows.

use crate::support;

use serde_json::Value;
use std::process::Command;
use support::{run_with_input, sample, shipped_model, with_model};

/// The sample's val questions as (table id, question).
pub fn sample_questions() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(sample().join("dataset_files/val.jsonl")).unwrap();
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["table"]["id"].as_str().unwrap().to_string(),
                v["question"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// One `repl --json` session answering every question about its table (`:table` lines switch;
/// `table_id` maps a sample id to the id the database knows it by); one JSON answer per question.
pub fn repl_answers(
    mut cmd: Command,
    questions: &[(String, String)],
    table_id: impl Fn(&str) -> String,
) -> Vec<Value> {
    let mut input = String::new();
    for (id, q) in questions {
        input.push_str(&format!(":table {}\n{q}\n", table_id(id)));
    }
    let (ok, stdout, stderr) = run_with_input(&mut cmd, input.as_bytes());
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    let answers: Vec<Value> = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), questions.len(), "{stdout}\n{stderr}");
    answers
}

/// The shipped model's answers to every sample question, through `repl --json` on the sample's
/// SQLite database.
pub fn sample_sqlite_answers(questions: &[(String, String)]) -> Vec<Value> {
    let db = sample().join("db_files/val.db");
    let cmd = with_model(
        &shipped_model(),
        &[
            "repl",
            "--json",
            "--db",
            db.to_str().unwrap(),
            "--table",
            &questions[0].0,
        ],
    );
    repl_answers(cmd, questions, str::to_string)
}

/// Whether two result values are the same: numbers within 1e-9 relative, text byte for byte.
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
        _ => a == b,
    }
}

pub fn same_rows(a: &Value, b: &Value) -> bool {
    match (a.as_array(), b.as_array()) {
        (Some(x), Some(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q)),
        _ => false,
    }
}

fn stock_rows(conn: &rusqlite::Connection, sql: &str) -> Value {
    let mut stmt = conn
        .prepare(sql)
        .unwrap_or_else(|e| panic!("stock SQLite cannot prepare {sql}: {e}"));
    let rows = stmt
        .query_map([], |r| {
            Ok(match r.get_ref(0)? {
                rusqlite::types::ValueRef::Null => Value::Null,
                rusqlite::types::ValueRef::Integer(i) => i.into(),
                rusqlite::types::ValueRef::Real(f) => f.into(),
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into(),
                rusqlite::types::ValueRef::Blob(_) => panic!("blob in {sql}"),
            })
        })
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    Value::Array(rows)
}

#[test]
fn shown_sql_runs_as_printed_in_stock_sqlite() {
    let questions = sample_questions();
    let db = sample().join("db_files/val.db");
    let answers = sample_sqlite_answers(&questions);
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut non_empty = 0;
    for a in &answers {
        let sql = a["sql"].as_str().unwrap();
        assert!(!sql.contains("sqlcoder_fold"), "{sql}");
        let got = stock_rows(&conn, sql);
        assert!(same_rows(&got, &a["rows"]), "{sql}: {got} != {}", a["rows"]);
        non_empty += usize::from(got.as_array().is_some_and(|r| !r.is_empty()));
    }
    // Answers with rows, so the comparison compares something.
    assert!(non_empty > questions.len() / 2, "{non_empty}");
}
