//! A user's own tables: `--csv FILE`, `--sqlite FILE --table NAME`, and the challenge layout as
//! distributed (plain tables, no `sqlcoder_columns`), through the binary.

use crate::support;

use serde_json::{json, Value};
use std::path::Path;
use support::{
    random_model, run, run_with_input, sample, shipped_model, with_model, ServeProcess, QUESTION,
    TABLE,
};

const CITIES: &str = "City,Country,Population\n\
                      Lisbon,Portugal,545000\n\
                      Porto,Portugal,\"231,800\"\n\
                      Madrid,Spain,3300000\n\
                      Seville,Spain,684000\n";

#[test]
fn ask_answers_about_a_csv_file() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("cities.csv");
    std::fs::write(&csv, CITIES).unwrap();
    let (ok, stdout, stderr) = run(with_model(
        &shipped_model(),
        &[
            "ask",
            "--json",
            "What is the population of Madrid?",
            "--csv",
            &csv.display().to_string(),
        ],
    ));
    assert!(ok, "{stderr}");
    let a: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(a["table"], "cities");
    let sql = a["sql"].as_str().unwrap();
    assert_eq!(
        sql,
        "SELECT \"Population\" FROM \"table_cities\" \
         WHERE lower(\"City\") = lower('Madrid')"
    );
    assert_eq!(a["rows"], json!([3300000.0]), "{stdout}");

    let (ok, stdout, stderr) = run(with_model(
        &shipped_model(),
        &[
            "ask",
            "Which city has a population of 684000?",
            "--csv",
            &csv.display().to_string(),
        ],
    ));
    assert!(ok, "{stderr}");
    assert!(stdout.contains("SQL:        SELECT \"City\""), "{stdout}");
    assert!(stdout.contains("  Seville\n"), "{stdout}");

    let (ok, _, stderr) = run(with_model(
        &shipped_model(),
        &[
            "ask",
            "--table",
            "1-1",
            "who?",
            "--csv",
            &csv.display().to_string(),
        ],
    ));
    assert!(!ok);
    assert!(stderr.contains("cannot be used with"), "{stderr}");

    // A row with the wrong number of fields: one line, naming the place.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "a,b\n1,2\n3;4\n").unwrap();
    let (ok, _, stderr) = run(with_model(
        &shipped_model(),
        &["ask", "what is a?", "--csv", &bad.display().to_string()],
    ));
    assert!(!ok);
    let line = format!("error: {}:3: 1 fields, but the header has 2", bad.display());
    assert!(stderr.starts_with(&line), "{stderr}");
}

/// A table as users name columns: snake_case and abbreviations.
const SHOP: &str = "item_name,unit_price,qty_sold\n\
                    Rye loaf,4.5,10\n\
                    Baguette,3.0,25\n\
                    Croissant,2.25,40\n";

#[test]
fn whole_column_questions_on_snake_case_headers_get_no_invented_condition() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("shop.csv");
    std::fs::write(&csv, SHOP).unwrap();
    for (question, sql, rows) in [
        (
            "What is the average price?",
            "SELECT AVG(\"unit_price\") FROM \"table_shop\"",
            json!([3.25]),
        ),
        (
            "How many items are there?",
            "SELECT COUNT(\"item_name\") FROM \"table_shop\"",
            json!([3]),
        ),
    ] {
        let (ok, stdout, stderr) = run(with_model(
            &shipped_model(),
            &[
                "ask",
                "--json",
                question,
                "--csv",
                &csv.display().to_string(),
            ],
        ));
        assert!(ok, "{stderr}");
        let a: Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(a["sql"], sql, "{question}");
        assert_eq!(a["rows"], rows, "{question}");
    }
}

#[test]
fn questions_outside_the_sketch_are_answered_as_not_sure() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("shop.csv");
    std::fs::write(&csv, SHOP).unwrap();
    let csv = csv.display().to_string();
    for (question, outside) in [
        ("Which item has the highest price?", json!("ranking")),
        ("Show items priced between 2 and 3", json!("range")),
        ("What is the average price?", Value::Null),
    ] {
        let (ok, stdout, stderr) = run(with_model(
            &shipped_model(),
            &["ask", "--json", question, "--csv", &csv],
        ));
        assert!(ok, "{stderr}");
        let a: Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(a["outside_sketch"], outside, "{question}");
        assert_eq!(a["confident"], outside.is_null(), "{question}");
    }
    let (ok, stdout, stderr) = run(with_model(
        &shipped_model(),
        &["ask", "Which item has the highest price?", "--csv", &csv],
    ));
    assert!(ok, "{stderr}");
    assert!(
        stdout.starts_with("Not sure:   the question seems to need a ranking (ORDER BY … LIMIT)"),
        "{stdout}"
    );
}

#[test]
fn ask_answers_about_a_table_of_any_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mine.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE towns (Town TEXT, Region TEXT, Inhabitants INTEGER);
         INSERT INTO towns VALUES ('Faro', 'Algarve', 64000), ('Braga', 'Minho', 193000),
                                  ('Evora', 'Alentejo', 56000);",
    )
    .unwrap();
    drop(conn);
    let before = std::fs::read(&db).unwrap();
    let (ok, stdout, stderr) = run(with_model(
        &shipped_model(),
        &[
            "ask",
            "--json",
            "--table",
            "towns",
            "What region is Braga in?",
            "--sqlite",
            &db.display().to_string(),
        ],
    ));
    assert!(ok, "{stderr}");
    let a: Value = serde_json::from_str(stdout.trim()).unwrap();
    let sql = a["sql"].as_str().unwrap();
    assert_eq!(
        sql,
        "SELECT \"Region\" FROM \"table_towns\" \
         WHERE lower(\"Town\") = lower('Braga')"
    );
    assert_eq!(a["rows"], json!(["Minho"]));
    assert_eq!(std::fs::read(&db).unwrap(), before, "the database changed");

    let (ok, _, stderr) = run(with_model(
        &shipped_model(),
        &[
            "ask",
            "--table",
            "villages",
            "who?",
            "--sqlite",
            &db.display().to_string(),
        ],
    ));
    assert!(!ok);
    assert!(stderr.contains("no such table"), "{stderr}");
    let (ok, _, stderr) = run(with_model(
        &shipped_model(),
        &["ask", "who?", "--sqlite", &db.display().to_string()],
    ));
    assert!(!ok);
    assert!(stderr.contains("--table"), "{stderr}");
}

/// The sample's data folder with `sqlcoder_columns` dropped from its databases: the challenge
/// layout as distributed.
fn challenge_layout(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("data");
    for sub in ["dataset_files", "db_files"] {
        std::fs::create_dir_all(data.join(sub)).unwrap();
        for entry in std::fs::read_dir(sample().join(sub)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), data.join(sub).join(entry.file_name())).unwrap();
        }
    }
    for split in ["train", "val"] {
        let conn = rusqlite::Connection::open(data.join(format!("db_files/{split}.db"))).unwrap();
        conn.execute_batch("DROP TABLE sqlcoder_columns;").unwrap();
    }
    data
}

#[test]
fn ask_repl_and_serve_work_without_the_metadata_table() {
    let model = random_model();
    let dir = tempfile::tempdir().unwrap();
    let data = challenge_layout(dir.path());

    let (ok, stdout, stderr) = run(with_model(
        model.path(),
        &["ask", "--json", "--table", TABLE, QUESTION],
    )
    .arg("--data")
    .arg(&data));
    assert!(ok, "{stderr}");
    let a: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(a["sql"]
        .as_str()
        .unwrap()
        .contains("FROM \"table_1_10015132_11\""));

    let mut repl = with_model(model.path(), &["repl", "--json", "--table", TABLE]);
    let input = format!("{QUESTION}\n:table 1-10088101-1\nWho won?\n");
    let (ok, stdout, stderr) = run_with_input(repl.arg("--data").arg(&data), input.as_bytes());
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with('{')).count(),
        2,
        "{stdout}"
    );

    let server = ServeProcess::with_model(&data, model.path());
    let (status, body) = server.request("GET", "/api/tables", "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(TABLE), "{body}");
    let (status, body) = server.request("GET", &format!("/api/tables/{TABLE}"), "");
    assert_eq!(status, 200, "{body}");
    let ask = json!({ "table": TABLE, "question": QUESTION }).to_string();
    let (status, body) = server.request("POST", "/api/ask", &ask);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"sql\":\"SELECT "), "{body}");
}

#[test]
fn serve_loads_a_csv_upload_and_answers_about_it() {
    let model = random_model();
    let server = ServeProcess::with_model(&sample(), model.path());
    let upload = json!({ "name": "cities.csv", "text": CITIES }).to_string();
    let (status, body) = server.request("POST", "/api/csv", &upload);
    assert_eq!(status, 200, "{body}");
    let t: Value = serde_json::from_str(&body).unwrap();
    let id = t["id"].as_str().unwrap().to_string();
    assert_eq!(t["header"], json!(["City", "Country", "Population"]));
    assert_eq!(t["types"], json!(["text", "text", "real"]));
    assert_eq!(t["n_rows"], 4);
    let ask = json!({ "table": id, "question": "What is the population of Madrid?" }).to_string();
    let (status, body) = server.request("POST", "/api/ask", &ask);
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(&format!("FROM \\\"table_{id}\\\"").replace('-', "_")),
        "{body}"
    );

    let bad = json!({ "name": "bad.csv", "text": "a,b\n1\n" }).to_string();
    let (status, body) = server.request("POST", "/api/csv", &bad);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("bad.csv:2"), "{body}");
}

#[test]
fn terminal_output_escapes_control_characters_and_json_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("escapes.csv");
    // A header (the only column, so every query names it) and cells that would clear the
    // terminal and recolour it (no `;`, which would make it the delimiter).
    let evil_header = "Name\u{1b}[2J\u{7}";
    let text = format!("{evil_header}\nA\u{1b}[31mda\nB\u{1b}[31mob\n");
    std::fs::write(&csv, &text).unwrap();
    let model = random_model();
    let args = |json: bool| {
        let mut a = vec!["ask", "Who is Ada?", "--csv"];
        a.push(csv.to_str().unwrap());
        if json {
            a.push("--json");
        }
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let text_args = args(false);
    let text_args: Vec<&str> = text_args.iter().map(String::as_str).collect();
    let (ok, stdout, stderr) = run(with_model(model.path(), &text_args));
    assert!(ok, "{stderr}");
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "{stdout:?}"
    );
    assert!(stdout.contains("Name\\u{1b}[2J\\u{7}"), "{stdout}");

    let json_args = args(true);
    let json_args: Vec<&str> = json_args.iter().map(String::as_str).collect();
    let (ok, stdout, stderr) = run(with_model(model.path(), &json_args));
    assert!(ok, "{stderr}");
    let a: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(a["sql"].as_str().unwrap().contains(evil_header), "{stdout}");
}

#[test]
fn repl_skips_a_huge_line_with_one_error() {
    let model = random_model();
    let mut input = vec![b'w'; 10 << 20];
    input.extend_from_slice(b"\n:tables\n");
    let mut repl = with_model(model.path(), &["repl", "--table", TABLE]);
    let (ok, stdout, stderr) = run_with_input(repl.arg("--data").arg(sample()), &input);
    assert!(ok, "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("line 1 is over 65536 bytes"), "{stderr}");
    assert!(stdout.contains(TABLE), "the session went on: {stdout}");
}
