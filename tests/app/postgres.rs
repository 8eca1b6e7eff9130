//! PostgreSQL tables through the binary, on a throw-away cluster ([`crate::support::postgres`]):
//! every sample question answers the same rows from PostgreSQL as from SQLite, the shown SQL run
//! through `psql` returns them too, and bad input gets one-line errors naming the cause.

use crate::shown_sql::{
    repl_answers, same_rows, same_value, sample_questions, sample_sqlite_answers,
};
use crate::support;

use serde_json::Value;
use sqlcoder_sql::display::literal;
use sqlcoder_sql::naming::{column_names, quote_ident, table_name};
use sqlcoder_sql::{Dialect, Executor, SqlParam};
use std::time::{Duration, Instant};
use support::postgres::{cluster, Cluster};
use support::{run, sample, shipped_model, sqlcoder, with_model};

/// Copies the sample's val tables into schema `schema` (text and double precision columns).
fn load_sample(pg: &Cluster, schema: &str) {
    let exec = Executor::open(&sample().join("db_files/val.db")).unwrap();
    let mut script = format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};\n");
    for id in exec.table_ids().unwrap() {
        let t = exec.table(&id).unwrap();
        let names = column_names(&t.header);
        let columns: Vec<String> = names
            .iter()
            .zip(&t.types)
            .map(|(n, ty)| {
                let sql_type = match ty {
                    sqlcoder_data::ColumnType::Real => "double precision",
                    sqlcoder_data::ColumnType::Text => "text",
                };
                format!("{} {sql_type}", quote_ident(n))
            })
            .collect();
        let name = format!("{schema}.{}", quote_ident(&table_name(&id)));
        script.push_str(&format!("CREATE TABLE {name} ({});\n", columns.join(", ")));
        for row in &t.rows {
            let values: Vec<String> = row
                .iter()
                .map(|c| match c {
                    sqlcoder_data::Cell::Number(n) => {
                        literal(&SqlParam::Real(*n), Dialect::Postgres)
                    }
                    sqlcoder_data::Cell::Text(s) if s.is_empty() => "NULL".into(),
                    sqlcoder_data::Cell::Text(s) => {
                        literal(&SqlParam::Text(s.clone()), Dialect::Postgres)
                    }
                })
                .collect();
            script.push_str(&format!(
                "INSERT INTO {name} VALUES ({});\n",
                values.join(", ")
            ));
        }
    }
    let file = pg.dir.join(format!("{schema}.sql"));
    std::fs::write(&file, script).unwrap();
    pg.psql_ok(&format!("\\i {}", file.display()));
}

/// `psql`'s unaligned output of one column as JSON values like the app's (numbers as numbers,
/// empty as NULL).
fn psql_rows(pg: &Cluster, sql: &str) -> Value {
    let out = pg.psql_ok(sql);
    Value::Array(
        out.lines()
            .map(|l| match l.parse::<f64>() {
                Ok(n) => n.into(),
                Err(_) if l.is_empty() => Value::Null,
                Err(_) => l.into(),
            })
            .collect(),
    )
}

#[test]
fn sample_questions_answer_alike_in_postgres_sqlite_and_psql() {
    let pg = cluster();
    load_sample(pg, "sample");
    let questions = sample_questions();
    let first = &questions[0].0;
    let sqlite = sample_sqlite_answers(&questions);
    let in_schema = |id: &str| format!("sample.{}", table_name(id));
    let postgres = repl_answers(
        with_model(
            &shipped_model(),
            &[
                "repl",
                "--json",
                "--postgres",
                &pg.conn(),
                "--table",
                &in_schema(first),
            ],
        ),
        &questions,
        in_schema,
    );
    let mut non_empty = 0;
    for (s, p) in sqlite.iter().zip(&postgres) {
        assert_eq!(s["query"], p["query"], "{s}\n{p}");
        assert!(same_rows(&s["rows"], &p["rows"]), "{s}\n{p}");
        let sql = p["sql"].as_str().unwrap();
        let from_psql = psql_rows(pg, sql);
        let reported = p["rows"].as_array().unwrap();
        let shown = from_psql.as_array().unwrap();
        assert_eq!(shown.len(), reported.len(), "{sql}");
        for (a, b) in shown.iter().zip(reported) {
            // psql prints text; a text cell that looks like a number reads back as one.
            let b_text = b
                .as_str()
                .map(|t| t.parse::<f64>().map_or(b.clone(), Value::from));
            assert!(
                same_value(a, b) || b_text.is_some_and(|t| same_value(a, &t)),
                "{sql}: psql {a} != {b}"
            );
        }
        non_empty += usize::from(!reported.is_empty());
    }
    assert!(non_empty > questions.len() / 2, "{non_empty}");
}

fn ask_error(args: &[&str]) -> String {
    let (ok, stdout, stderr) = run(with_model(&shipped_model(), args));
    assert!(!ok, "{stdout}");
    assert!(stdout.is_empty(), "{stdout}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("note:")).collect();
    assert_eq!(lines.len(), 1, "not one line: {stderr}");
    lines[0].to_string()
}

#[test]
fn bad_postgres_input_gets_one_line_errors() {
    let pg = cluster();
    pg.psql_ok(
        "DROP SCHEMA IF EXISTS bad CASCADE; CREATE SCHEMA bad; \
         CREATE TABLE bad.empty (name text, n integer); \
         CREATE TABLE bad.secret (name text); INSERT INTO bad.secret VALUES ('x'); \
         DROP ROLE IF EXISTS outsider; CREATE ROLE outsider LOGIN; \
         GRANT USAGE ON SCHEMA bad TO outsider;",
    );
    let conn = pg.conn();
    let q = "how many names are there?";
    let err = ask_error(&["ask", q, "--postgres", &conn, "--table", "bad.nothing"]);
    assert!(err.contains("\"bad.nothing\" not found"), "{err}");
    let err = ask_error(&["ask", q, "--postgres", &conn, "--table", "bad.empty"]);
    assert!(err.contains("has no rows"), "{err}");
    let err = ask_error(&[
        "ask",
        q,
        "--postgres",
        &pg.conn_as("outsider"),
        "--table",
        "bad.secret",
    ]);
    assert!(err.contains("no SELECT privilege"), "{err}");
    let err = ask_error(&[
        "ask",
        q,
        "--postgres",
        &pg.conn_as("nobody"),
        "--table",
        "bad.secret",
    ]);
    assert!(
        err.contains("cannot connect") && err.contains("nobody"),
        "{err}"
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = format!("postgres://postgres:hunter2@127.0.0.1:{closed}/postgres");
    let err = ask_error(&[
        "ask",
        q,
        "--postgres",
        &unreachable,
        "--table",
        "bad.secret",
    ]);
    assert!(
        err.contains("cannot connect to PostgreSQL at postgres://postgres@127.0.0.1"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "the password is shown: {err}");
}

#[test]
fn postgres_tables_past_the_table_limits_get_one_line_errors() {
    let pg = cluster();
    let wide: Vec<String> = (0..65).map(|i| format!("1 AS c{i}")).collect();
    pg.psql_ok(&format!(
        "DROP SCHEMA IF EXISTS big CASCADE; CREATE SCHEMA big; \
         CREATE VIEW big.cells AS SELECT n, repeat('x', 1000000) || n AS b \
         FROM generate_series(1, 40) AS n; \
         CREATE VIEW big.wide AS SELECT {}; \
         CREATE VIEW big.fits AS SELECT n, repeat('y', 1000) AS b FROM generate_series(1, 3) AS n;",
        wide.join(", ")
    ));
    let conn = pg.conn();
    let q = "how many?";
    let err = ask_error(&["ask", q, "--postgres", &conn, "--table", "big.cells"]);
    assert!(
        err.ends_with(": a cell holds over 1000 characters (at most 1000 are accepted)"),
        "{err}"
    );
    assert!(
        err.starts_with("error: table \"big.cells\" in postgres://"),
        "{err}"
    );
    let err = ask_error(&["ask", q, "--postgres", &conn, "--table", "big.wide"]);
    assert!(
        err.ends_with(": 65 columns (at most 64 are accepted)"),
        "{err}"
    );
    let t = Executor::open_postgres(&conn)
        .unwrap()
        .table("big.fits")
        .unwrap();
    let fits = sqlcoder_data::Cell::Text("y".repeat(1000));
    assert!(t.rows.iter().any(|r| r[1] == fits), "{:?}", t.rows);
}

#[test]
fn a_never_ending_postgres_view_stops_at_the_time_limit() {
    let pg = cluster();
    pg.psql_ok(
        "DROP SCHEMA IF EXISTS slow CASCADE; CREATE SCHEMA slow; \
         CREATE VIEW slow.v AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) \
         SELECT n FROM r WHERE n < 0;",
    );
    let started = Instant::now();
    let (ok, _, stderr) = run(sqlcoder(&[
        "ask",
        "how many?",
        "--postgres",
        &pg.conn(),
        "--table",
        "slow.v",
        "--query-timeout-ms",
        "500",
    ]));
    assert!(!ok);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("time limit of 500 ms"), "{stderr}");
}

#[test]
fn serve_answers_about_a_postgres_table() {
    let pg = cluster();
    load_sample(pg, "served");
    let table = format!("served.{}", table_name(support::TABLE));
    let conn = pg.conn();
    let model = shipped_model();
    let encoder = support::encoder();
    let server = support::ServeProcess::start(&[
        "--postgres".as_ref(),
        conn.as_ref(),
        "--table".as_ref(),
        table.as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        "--encoder".as_ref(),
        encoder.as_os_str(),
    ]);
    let (status, body) = server.request("GET", "/api/tables", "");
    assert_eq!(status, 200, "{body}");
    let tables: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(tables["tables"], serde_json::json!([table]));
    let ask = serde_json::json!({ "table": table, "question": support::QUESTION }).to_string();
    let (status, body) = server.request("POST", "/api/ask", &ask);
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        answer["rows"],
        serde_json::json!(["Guard-Forward"]),
        "{body}"
    );
    let sql = answer["sql"].as_str().unwrap();
    assert!(
        sql.contains("FROM \"served\".\"table_1_10015132_11\""),
        "{sql}"
    );
    assert_eq!(psql_rows(pg, sql), serde_json::json!(["Guard-Forward"]));
}
