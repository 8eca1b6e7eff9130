//! The data layer end to end: both file formats, compressed input, error reporting, atomic
//! outputs, the SQLite schema, the shared WikiSQL files and the committed sample.

use crate::support;

use rusqlite::types::Value;
use rusqlite::Connection;
use sqlcoder::prepare;
use sqlcoder_data::io::StagedPath;
use sqlcoder_data::{
    challenge, dataset_path, db_path, load_split, sample, wikisql, Cell, ColumnType, CondValue,
    Dataset, Split, Table,
};
use sqlcoder_sql::naming::{column_names, quote_ident, table_name};
use sqlcoder_sql::schema;
use sqlcoder_sql::value::parse_official_number;
use std::io::Write;
use std::path::{Path, PathBuf};
use support::{sample, shared_wikisql};

const TABLES: &str = r#"{"id": "1-1-1", "header": ["Name", "No."], "types": ["text", "real"], "rows": [["Ann", 1], ["Bob", 2.5], ["Cy", "1,200"]], "page_title": "ignored"}
{"id": "1-1-2", "header": ["City", "Team"], "types": ["text", "text"], "rows": [["Oslo", "A"]]}
"#;
const QUESTIONS: &str = r#"{"phase": 1, "table_id": "1-1-1", "question": "Who has No. 2?", "sql": {"sel": 0, "conds": [[1, 0, 2]], "agg": 0}}
{"phase": 1, "table_id": "1-1-1", "question": "Largest No. above 1.5?", "sql": {"sel": 1, "conds": [[1, 1, 1.5]], "agg": 1}}
{"phase": 1, "table_id": "1-1-2", "question": "Team in Oslo?", "sql": {"sel": 1, "conds": [[0, 0, "Oslo"]], "agg": 0}}
"#;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn write_xz(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut enc = liblzma::write::XzEncoder::new(std::fs::File::create(path).unwrap(), 6);
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap();
}

/// A small source in the release layout with all three splits.
fn small_source(dir: &Path) {
    for name in ["train", "dev", "test"] {
        write(&dir.join(format!("{name}.jsonl")), QUESTIONS);
        write(&dir.join(format!("{name}.tables.jsonl")), TABLES);
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A table back from a built `.db`, through `sqlcoder_columns` and the table's rows.
fn read_back(db: &Path, id: &str) -> (Table, Vec<String>) {
    let conn = Connection::open(db).unwrap();
    let mut meta = conn
        .prepare(
            "SELECT table_name, header, column_name, type FROM sqlcoder_columns \
             WHERE table_id = ?1 ORDER BY col_index",
        )
        .unwrap();
    let cols: Vec<(String, String, String, String)> = meta
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let name = cols[0].0.clone();
    let types: Vec<ColumnType> = cols
        .iter()
        .map(|c| match c.3.as_str() {
            "real" => ColumnType::Real,
            "text" => ColumnType::Text,
            other => panic!("unexpected type {other}"),
        })
        .collect();
    let selected: Vec<String> = cols.iter().map(|c| quote_ident(&c.2)).collect();
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {} FROM {} ORDER BY rowid",
            selected.join(", "),
            quote_ident(&name)
        ))
        .unwrap();
    let width = cols.len();
    let rows: Vec<Vec<Cell>> = stmt
        .query_map([], |r| {
            (0..width)
                .map(|i| {
                    Ok(match r.get::<_, Value>(i)? {
                        Value::Real(v) => Cell::Number(v),
                        Value::Text(s) => Cell::Text(s),
                        other => Cell::Text(format!("{other:?}")),
                    })
                })
                .collect()
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let table = Table {
        id: id.to_string(),
        header: cols.iter().map(|c| c.1.clone()).collect(),
        types,
        rows,
    };
    (table, cols.into_iter().map(|c| c.2).collect())
}

/// What the `.db` should hold for a table: real cells as numbers (strings parsed officially).
fn as_stored(table: &Table) -> Table {
    let mut t = table.clone();
    for row in &mut t.rows {
        for (cell, ty) in row.iter_mut().zip(&table.types) {
            if let (ColumnType::Real, Cell::Text(s)) = (ty, &cell) {
                let n = parse_official_number(s).expect("sample real cells hold numbers");
                *cell = Cell::Number(n);
            }
        }
    }
    t
}

#[test]
fn both_conds_forms_read_alike_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let table = r#"{"id": "1-1-1", "header": ["Name", "No."], "types": ["text", "real"], "rows": [["Ann", "1"]]}"#;
    let list = format!(
        r#"{{"question": "q", "table": {table}, "sql": {{"sel": 0, "agg": 0, "conds": [[1, 1, "0.5"], [0, 0, "Ann"]]}}}}"#
    );
    let columns = format!(
        r#"{{"question": "q", "table": {table}, "sql": {{"human_readable": "", "sel": 0, "agg": 0, "conds": {{"column_index": [1, 0], "operator_index": [1, 0], "condition": ["0.5", "Ann"]}}}}}}"#
    );
    write(&dir.path().join("list.jsonl"), &format!("{list}\n"));
    write(&dir.path().join("columns.jsonl"), &format!("{columns}\n"));
    let a = challenge::read_file(&dir.path().join("list.jsonl"), Split::Val).unwrap();
    let b = challenge::read_file(&dir.path().join("columns.jsonl"), Split::Val).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.examples[0].query.conds.len(), 2);
}

#[test]
fn plain_and_xz_sources_read_alike() {
    let plain = tempfile::tempdir().unwrap();
    let xz = tempfile::tempdir().unwrap();
    write(&plain.path().join("dev.jsonl"), QUESTIONS);
    write(&plain.path().join("dev.tables.jsonl"), TABLES);
    write_xz(&xz.path().join("dev.jsonl.xz"), QUESTIONS);
    write_xz(&xz.path().join("reconstructed/dev.tables.jsonl.xz"), TABLES);
    let a = wikisql::read_split(plain.path(), Split::Val).unwrap();
    let b = wikisql::read_split(xz.path(), Split::Val).unwrap();
    assert_eq!(a, b);
    assert_eq!((a.examples.len(), a.tables.len()), (3, 2));
    let values: Vec<&CondValue> = a.examples.iter().map(|e| &e.query.conds[0].value).collect();
    assert_eq!(
        values.iter().map(|v| v.python_str()).collect::<Vec<_>>(),
        vec!["2", "1.5", "Oslo"]
    );
}

#[test]
fn malformed_lines_report_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut questions = QUESTIONS.lines().take(2).collect::<Vec<_>>().join("\n");
    questions.push_str("\n{\"table_id\": \"1-1-1\", \"question\": \"cut off\n");
    write(&d.join("dev.jsonl"), &questions);
    write(&d.join("dev.tables.jsonl"), TABLES);
    let err = wikisql::read_split(d, Split::Val).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}:3: ", d.join("dev.jsonl").display())),
        "{err}"
    );

    write(&d.join("dataset_files/val.jsonl"), "{}\n");
    let err = load_split(d, Split::Val).unwrap_err().to_string();
    assert!(err.contains("val.jsonl:1: invalid JSON line"), "{err}");
}

#[test]
fn missing_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_split(dir.path(), Split::Test).unwrap_err().to_string();
    assert!(err.contains("dataset_files/test.jsonl"), "{err}");
    let err = wikisql::read_split(dir.path(), Split::Val)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("dev.jsonl") && err.contains("dev.tables.jsonl"),
        "{err}"
    );
}

#[test]
fn unknown_table_id_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    small_source(dir.path());
    let ds = wikisql::read_split(dir.path(), Split::Val).unwrap();
    assert!(ds.table("1-1-2").is_ok());
    let err = ds.table("no-such-table").unwrap_err().to_string();
    assert!(err.contains("no-such-table"), "{err}");
}

#[test]
fn uncommitted_outputs_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.db");
    {
        let staged = StagedPath::new(&path).unwrap();
        std::fs::write(staged.tmp_path(), "partial").unwrap();
    }
    assert_eq!(files_under(dir.path()), Vec::<PathBuf>::new());
}

#[test]
fn failed_prepare_changes_nothing() {
    let src = tempfile::tempdir().unwrap();
    small_source(src.path());
    // The test split refers to a column its table lacks: found only after train and val are done.
    let bad = QUESTIONS.replace(
        r#""sel": 1, "conds": [[0, 0, "Oslo"]]"#,
        r#""sel": 7, "conds": []"#,
    );
    write(&src.path().join("test.jsonl"), &bad);
    let out = tempfile::tempdir().unwrap();
    let old = db_path(out.path(), Split::Train);
    write(&old, "old output");
    let err = prepare::prepare(src.path(), out.path()).unwrap_err();
    assert!(format!("{err:#}").contains("test.jsonl:3: "), "{err:#}");
    assert_eq!(files_under(out.path()), vec![old.clone()]);
    assert_eq!(std::fs::read_to_string(&old).unwrap(), "old output");
}

#[test]
fn prepare_writes_the_challenge_layout() {
    let src = tempfile::tempdir().unwrap();
    small_source(src.path());
    let out = tempfile::tempdir().unwrap();
    let report = prepare::prepare(src.path(), out.path()).unwrap();
    for split in Split::ALL {
        let r = report.split(split).unwrap();
        assert_eq!((r.questions, r.tables_used, r.db_tables), (3, 2, 2));
        let original = wikisql::read_split(src.path(), split).unwrap();
        let prepared = load_split(out.path(), split).unwrap();
        assert_eq!(prepared.examples, original.examples);
        assert_eq!(prepared.tables, original.tables);
        let (back, _) = read_back(&db_path(out.path(), split), "1-1-1");
        assert_eq!(back, as_stored(&original.tables["1-1-1"]));
    }
    let line = std::fs::read_to_string(out.path().join("dataset_files/val.jsonl")).unwrap();
    assert!(line.contains(r#""human_readable":"SELECT MAX No. FROM table WHERE No. > 1.5""#));
}

#[test]
fn db_round_trip_with_hostile_headers() {
    let header: Vec<String> = ["a\"b", "", "Name", "name", "select", "", "x; DROP TABLE t"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let types = vec![
        ColumnType::Text,
        ColumnType::Real,
        ColumnType::Text,
        ColumnType::Text,
        ColumnType::Real,
        ColumnType::Text,
        ColumnType::Text,
    ];
    let row = |i: f64| -> Vec<Cell> {
        vec![
            Cell::Text(format!("q\"uote {i}")),
            Cell::Number(i),
            Cell::Text("Ann".into()),
            Cell::Text("ann".into()),
            Cell::Number(-i),
            Cell::Text(String::new()),
            Cell::Text("'; --".into()),
        ]
    };
    let table = Table {
        id: "2-1234-5".into(),
        header: header.clone(),
        types,
        rows: vec![row(1.0), row(2.5)],
    };
    let other = Table {
        id: "1-1-1".into(),
        header: vec!["only".into()],
        types: vec![ColumnType::Text],
        rows: vec![],
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    schema::build_db(&db, &[&table, &other]).unwrap();
    let (back, columns) = read_back(&db, "2-1234-5");
    assert_eq!(back, table);
    assert_eq!(columns, column_names(&header));
    assert_eq!(columns[1], "column_2");
    assert_eq!(columns[3], "name (2)");
    let (empty, _) = read_back(&db, "1-1-1");
    assert_eq!(empty, other);
    let conn = Connection::open(&db).unwrap();
    let count: i64 = conn
        .query_row(
            &format!(
                "SELECT COUNT(*) FROM {}",
                quote_ident(&table_name("2-1234-5"))
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(count, 2);
}

#[test]
fn reads_the_shared_dev_split() {
    let ds = wikisql::read_split(&shared_wikisql(), Split::Val).unwrap();
    assert_eq!(ds.examples.len(), 8_421);
    assert_eq!(ds.tables.len(), 2_716);
    assert_eq!(ds.examples[0].table_id, sample::ANCHOR_TABLE);
    let numbers = ds
        .examples
        .iter()
        .flat_map(|e| &e.query.conds)
        .filter(|c| matches!(c.value, CondValue::Number(_)))
        .count();
    assert_eq!(numbers, 2_714 + 239, "integer and float condition values");
}

#[test]
fn committed_sample_loads_and_matches_its_databases() {
    let dir = sample();
    let val = load_split(&dir, Split::Val).unwrap();
    let train = load_split(&dir, Split::Train).unwrap();
    assert_eq!(val.examples.len(), sample::VAL_QUESTIONS);
    assert_eq!(train.examples.len(), sample::TRAIN_QUESTIONS);
    assert!(val.tables.contains_key(sample::ANCHOR_TABLE));
    for ds in [&val, &train] {
        for table in ds.tables.values() {
            let (back, _) = read_back(&db_path(&dir, ds.split), &table.id);
            assert_eq!(back, as_stored(table));
        }
    }
    let total: u64 = files_under(&dir)
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert!(total <= 1 << 20, "the sample is {total} bytes");
}

#[test]
fn committed_sample_is_reproducible_from_the_shared_data() {
    let out = tempfile::tempdir().unwrap();
    let report = prepare::write_sample(&shared_wikisql(), out.path()).unwrap();
    assert_eq!(report.val_questions, sample::VAL_QUESTIONS);
    for split in ["val", "train"] {
        let rel = format!("dataset_files/{split}.jsonl");
        let fresh = std::fs::read(out.path().join(&rel)).unwrap();
        let committed = std::fs::read(sample().join(&rel)).unwrap();
        assert!(fresh == committed, "{rel} differs from a fresh selection");
    }
    let fresh: Dataset = load_split(out.path(), Split::Val).unwrap();
    for table in fresh.tables.values() {
        assert_eq!(
            read_back(&db_path(out.path(), Split::Val), &table.id),
            read_back(&db_path(&sample(), Split::Val), &table.id)
        );
    }
}

#[test]
fn prepare_leaves_out_missing_splits_but_not_all() {
    let src = tempfile::tempdir().unwrap();
    small_source(src.path());
    for name in ["train.jsonl", "train.tables.jsonl"] {
        std::fs::remove_file(src.path().join(name)).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let report = prepare::prepare(src.path(), out.path()).unwrap();
    assert!(report.split(Split::Train).is_none());
    assert_eq!(report.split(Split::Val).unwrap().questions, 3);
    assert!(!dataset_path(out.path(), Split::Train).exists());
    assert!(dataset_path(out.path(), Split::Test).exists());

    let empty = tempfile::tempdir().unwrap();
    let err = prepare::prepare(empty.path(), out.path()).unwrap_err();
    assert!(format!("{err:#}").contains("no WikiSQL"), "{err:#}");
}
