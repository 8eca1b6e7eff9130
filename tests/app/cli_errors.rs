//! Bad input at the command line: one line on stderr, a non-zero exit, nothing half-written; and
//! a reader that goes away early (`sqlcoder … | head`) ends the command quietly.

use std::path::Path;
use std::process::Command;

fn sqlcoder(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sqlcoder"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).trim_end().to_string(),
    )
}

fn one_line_error(stderr: &str, must_contain: &str) {
    assert_eq!(
        stderr.lines().count(),
        1,
        "expected one line, got: {stderr}"
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains(must_contain),
        "{stderr:?} lacks {must_contain:?}"
    );
}

fn files_under(dir: &Path) -> usize {
    walk(dir).len()
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    entries
        .flatten()
        .flat_map(|e| {
            if e.path().is_dir() {
                walk(&e.path())
            } else {
                vec![e.path()]
            }
        })
        .collect()
}

#[test]
fn missing_source_folder_is_named_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (ok, err) = sqlcoder(&[
        "data",
        "prepare",
        "--source",
        "/no/such/wikisql",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!ok);
    one_line_error(&err, "/no/such/wikisql");
    assert_eq!(files_under(&out), 0);
}

#[test]
fn malformed_json_line_is_reported_with_its_number_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let table =
        r#"{"id": "1-1", "header": ["a", "b"], "types": ["text", "real"], "rows": [["x", 1]]}"#;
    let good = r#"{"phase": 1, "table_id": "1-1", "question": "q?", "sql": {"sel": 0, "agg": 0, "conds": [[1, 0, 1]]}}"#;
    for split in ["train", "dev", "test"] {
        std::fs::write(
            src.join(format!("{split}.tables.jsonl")),
            format!("{table}\n"),
        )
        .unwrap();
        let body = if split == "dev" {
            format!("{good}\n{good}\n{{\"phase\": 1, oops\n")
        } else {
            format!("{good}\n")
        };
        std::fs::write(src.join(format!("{split}.jsonl")), body).unwrap();
    }
    let out = tmp.path().join("out");
    let (ok, err) = sqlcoder(&[
        "data",
        "prepare",
        "--source",
        src.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!ok);
    one_line_error(&err, "dev.jsonl:3");
    assert_eq!(
        files_under(&out),
        0,
        "a failed prepare leaves nothing behind"
    );
}

#[test]
fn unknown_table_in_questions_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let table = r#"{"id": "1-1", "header": ["a"], "types": ["text"], "rows": [["x"]]}"#;
    for split in ["train", "dev", "test"] {
        std::fs::write(
            src.join(format!("{split}.tables.jsonl")),
            format!("{table}\n"),
        )
        .unwrap();
        let q = r#"{"phase": 1, "table_id": "9-999", "question": "q?", "sql": {"sel": 0, "agg": 0, "conds": []}}"#;
        std::fs::write(src.join(format!("{split}.jsonl")), format!("{q}\n")).unwrap();
    }
    let (ok, err) = sqlcoder(&[
        "data",
        "prepare",
        "--source",
        src.to_str().unwrap(),
        "--out",
        tmp.path().join("out").to_str().unwrap(),
    ]);
    assert!(!ok);
    one_line_error(&err, "9-999");
}

#[test]
fn eval_without_prepared_data_names_the_missing_file() {
    let (ok, err) = sqlcoder(&[
        "eval",
        "--split",
        "val",
        "--gold-as-pred",
        "--data",
        "/no/such/data",
    ]);
    assert!(!ok);
    one_line_error(&err, "/no/such/data");
}

#[test]
fn oracle_scores_100_percent_on_the_sample() {
    let out = Command::new(env!("CARGO_BIN_EXE_sqlcoder"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "eval",
            "--split",
            "val",
            "--gold-as-pred",
            "--data",
            "data/sample",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lf = text
        .lines()
        .find(|l| l.starts_with("logical form"))
        .unwrap();
    let ex = text.lines().find(|l| l.starts_with("execution")).unwrap();
    assert!(lf.ends_with("100.00%") && ex.ends_with("100.00%"), "{text}");
}

/// The reader of stdout closes before the answer is printed: no panic message, status 141.
#[test]
fn closed_stdout_ends_quietly() {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sqlcoder"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "ask",
            "--data",
            "data/sample",
            "--table",
            "1-10015132-11",
            "What position does the player who played for butler cc (ks) play?",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Closed while the model loads, before anything is printed.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}
