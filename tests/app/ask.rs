//! The question-answering commands through the binary, on the committed sample, with a
//! random-head model: `ask` (text, JSON, errors), `repl`, `predict` (+ `eval`).

use crate::support;

use serde_json::Value;
use sqlcoder_data::types::FamilyQuery;
use sqlcoder_eval::predictions::parse_prediction_line;
use std::ffi::OsStr;
use std::path::Path;
use support::{random_model, run, run_with_input, sample, sqlcoder, with_model, QUESTION, TABLE};

/// `ARGS --model MODEL --encoder … --data <sample>`.
fn ask(model: &Path, args: &[&str]) -> (bool, String, String) {
    run(with_model(model, args).arg("--data").arg(sample()))
}

/// `repl --json --table TABLE` on the sample, fed `input`.
fn repl(model: &Path, input: &[u8]) -> (bool, String, String) {
    let mut cmd = with_model(model, &["repl", "--json", "--table", TABLE]);
    run_with_input(cmd.arg("--data").arg(sample()), input)
}

/// `predict --baseline majority --split val --data DATA --out OUT`.
fn baseline(data: &Path, out: &Path) -> (bool, String, String) {
    let mut cmd = sqlcoder(&["predict", "--baseline", "majority", "--split", "val"]);
    run(cmd.arg("--data").arg(data).arg("--out").arg(out))
}

/// `eval --split val --data DATA ARGS`.
fn eval(data: &Path, args: &[&OsStr]) -> (bool, String, String) {
    let mut cmd = sqlcoder(&["eval", "--split", "val"]);
    run(cmd.arg("--data").arg(data).args(args))
}

fn error_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| !l.starts_with("note:")).collect()
}

#[test]
fn ask_prints_sql_rows_and_confidence() {
    let model = random_model();
    let (ok, stdout, stderr) = ask(model.path(), &["ask", "--table", TABLE, QUESTION]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("SQL:        SELECT "), "{stdout}");
    assert!(stdout.contains("FROM \"table_1_10015132_11\""), "{stdout}");
    assert!(stdout.contains("Readable:   SELECT "), "{stdout}");
    assert!(stdout.contains("Rows:"), "{stdout}");
    assert!(stdout.contains("Confidence: "), "{stdout}");
}

#[test]
fn ask_json_is_one_object_with_rows() {
    let model = random_model();
    let (ok, stdout, stderr) = ask(
        model.path(),
        &["ask", "--json", "--no-guided", "--table", TABLE, QUESTION],
    );
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim().lines().count(), 1, "{stdout}");
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["table"], TABLE);
    assert_eq!(v["question"], QUESTION);
    assert_eq!(v["guided"], false);
    assert!(v["sql"].as_str().unwrap().starts_with("SELECT "));
    assert!(v["rows"].is_array());
    let c = v["confidence"].as_f64().unwrap();
    assert!(c > 0.0 && c <= 1.0, "{c}");
    let q = serde_json::json!({ "query": v["query"] }).to_string();
    assert!(parse_prediction_line(&q).unwrap().is_ok());
}

/// `ask --json` carries the whole query (`family`), the result's column labels and its rows as
/// tuples; on a sketch answer (what the model writes today) one column, whose values are `rows`.
#[test]
fn ask_json_carries_the_family_columns_and_table_rows() {
    let model = random_model();
    for guided in ["--guided", "--no-guided"] {
        let (ok, stdout, stderr) = ask(
            model.path(),
            &["ask", "--json", guided, "--table", TABLE, QUESTION],
        );
        assert!(ok, "{stderr}");
        let v: Value = serde_json::from_str(stdout.trim()).unwrap();
        let family: FamilyQuery = serde_json::from_value(v["family"].clone())
            .unwrap_or_else(|e| panic!("family {}: {e}", v["family"]));
        let q = serde_json::json!({ "query": v["query"] }).to_string();
        let query = parse_prediction_line(&q).unwrap().unwrap();
        assert_eq!(family, FamilyQuery::from(&query), "{v}");
        assert_eq!(family.to_sketch(), Some(query), "{v}");
        let columns = v["columns"].as_array().unwrap();
        assert_eq!(columns.len(), 1, "{v}");
        assert!(columns[0].is_string(), "{v}");
        let table_rows = v["table_rows"].as_array().unwrap();
        let rows = v["rows"].as_array().unwrap();
        assert_eq!(table_rows.len(), rows.len(), "{v}");
        for (tuple, value) in table_rows.iter().zip(rows) {
            assert_eq!(tuple.as_array().unwrap(), &vec![value.clone()], "{v}");
        }
    }
}

/// A model tuned to abstain below a confidence no answer reaches flags every answer as a guess,
/// in text and in JSON; without `decoding.json` the same answer is confident.
#[test]
fn ask_says_not_sure_below_the_tuned_abstain_threshold() {
    let model = random_model();
    let ask_json = || {
        let (ok, stdout, stderr) =
            ask(model.path(), &["ask", "--json", "--table", TABLE, QUESTION]);
        assert!(ok, "{stderr}");
        serde_json::from_str::<Value>(stdout.trim()).unwrap()
    };
    assert_eq!(ask_json()["confident"], true);
    let tuned = r#"{"keep_above": 2.0, "count_zero_answers": true, "abstain_below": 1.0, "chosen_on": "test"}"#;
    std::fs::write(model.path().join("decoding.json"), tuned).unwrap();
    let v = ask_json();
    assert_eq!(v["confident"], false);
    assert!(v["sql"].as_str().unwrap().starts_with("SELECT "));
    let (ok, stdout, stderr) = ask(model.path(), &["ask", "--table", TABLE, QUESTION]);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("Not sure:"), "{stdout}");
    assert!(stdout.contains("SQL:        SELECT "), "{stdout}");
}

#[test]
fn unknown_tables_empty_questions_and_missing_models_fail_with_one_line() {
    let model = random_model();
    let (ok, _, stderr) = ask(model.path(), &["ask", "--table", "1-10015132-1", QUESTION]);
    assert!(!ok);
    let lines = error_lines(&stderr);
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("error: unknown table id \"1-10015132-1\""),
        "{stderr}"
    );
    assert!(lines[0].contains("did you mean 1-10015132-11"), "{stderr}");

    let (ok, _, stderr) = ask(model.path(), &["ask", "--table", TABLE, "  "]);
    assert!(!ok);
    assert_eq!(
        error_lines(&stderr),
        vec!["error: empty question: type a question about table 1-10015132-11"]
    );

    let missing = model.path().join("nothing-here");
    let (ok, _, stderr) = ask(&missing, &["ask", "--table", TABLE, QUESTION]);
    assert!(!ok);
    let lines = error_lines(&stderr);
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("has not been trained or shipped"),
        "{stderr}"
    );

    let long = "who ".repeat(400);
    let (ok, _, stderr) = ask(model.path(), &["ask", "--table", TABLE, &long]);
    assert!(!ok);
    assert!(
        stderr.contains("error: question too long: 400 tokens"),
        "{stderr}"
    );
}

#[test]
fn repl_answers_each_line_and_survives_errors() {
    let model = random_model();
    let input =
        format!("{QUESTION}\n:table 9-9\n:table 1-10088101-1\nWho won?\n:quit\nnever answered\n");
    let (ok, stdout, stderr) = repl(model.path(), input.as_bytes());
    assert!(ok, "{stderr}");
    let answers: Vec<Value> = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 2, "{stdout}");
    assert_eq!(answers[0]["table"], TABLE);
    assert_eq!(answers[1]["table"], "1-10088101-1");
    assert_eq!(answers[1]["question"], "Who won?");
    assert!(
        stderr.contains("error: unknown table id \"9-9\""),
        "{stderr}"
    );
}

#[test]
fn repl_survives_a_line_that_is_not_utf8() {
    let model = random_model();
    let mut input = b"who is \xff\xfe there?\n".to_vec();
    input.extend_from_slice(format!("{QUESTION}\n").as_bytes());
    let (ok, stdout, stderr) = repl(model.path(), &input);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("error: line 1 is not valid UTF-8"),
        "{stderr}"
    );
    let answers = stdout.lines().filter(|l| l.starts_with('{')).count();
    assert_eq!(
        answers, 1,
        "the line after the bad one is answered: {stdout}"
    );
}

#[test]
fn predict_writes_one_parseable_line_per_question_and_eval_scores_it() {
    let model = random_model();
    let data = sample();
    let dir = tempfile::tempdir().unwrap();
    let n_questions = std::fs::read_to_string(data.join("dataset_files/val.jsonl"))
        .unwrap()
        .lines()
        .count();
    for extra in [&["--no-guided"][..], &["--guided", "--snap-values"][..]] {
        let pred = dir.path().join("pred.jsonl");
        let mut cmd = with_model(
            model.path(),
            &["predict", "--split", "val", "--batch-size", "16"],
        );
        let (ok, stdout, stderr) = run(cmd
            .args(extra)
            .arg("--data")
            .arg(&data)
            .arg("--out")
            .arg(&pred));
        assert!(ok, "{stderr}");
        assert!(
            stdout.contains(&format!("wrote {n_questions} predictions")),
            "{stdout}"
        );
        let text = std::fs::read_to_string(&pred).unwrap();
        assert_eq!(text.lines().count(), n_questions);
        for line in text.lines() {
            let query = parse_prediction_line(line).unwrap().unwrap();
            let v: Value = serde_json::from_str(line).unwrap();
            let family: FamilyQuery = serde_json::from_value(v["family"].clone()).unwrap();
            assert_eq!(family, FamilyQuery::from(&query), "{line}");
        }
        let (ok, stdout, stderr) = eval(&data, &["--pred".as_ref(), pred.as_os_str()]);
        assert!(ok, "{stderr}");
        assert!(stdout.contains("execution (EX)"), "{stdout}");
    }
}

#[test]
fn the_majority_baseline_needs_no_model() {
    let data = sample();
    let dir = tempfile::tempdir().unwrap();
    let pred = dir.path().join("baseline.jsonl");
    let (ok, _, stderr) = baseline(&data, &pred);
    assert!(ok, "{stderr}");
    let lines: Vec<String> = std::fs::read_to_string(&pred)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let n_questions = std::fs::read_to_string(data.join("dataset_files/val.jsonl"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(lines.len(), n_questions);
    // Every line has the same select clause and no conditions (up to clamping to narrow tables).
    let first = parse_prediction_line(&lines[0]).unwrap().unwrap();
    for line in &lines {
        let q = parse_prediction_line(line).unwrap().unwrap();
        assert!(q.conds.is_empty());
        assert_eq!(q.agg, first.agg);
    }
}

/// Names in `dir` ending in `.tmp`.
fn tmp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

#[test]
fn failed_eval_and_predict_outputs_leave_no_tmp_and_name_the_path() {
    let data = sample();
    let dir = tempfile::tempdir().unwrap();
    // An unrelated file that a careless temporary name would clobber.
    std::fs::write(dir.path().join("report.tmp"), "keep me").unwrap();
    // The output path is a folder: writing succeeds, moving into place fails.
    let taken = dir.path().join("report.json");
    std::fs::create_dir(&taken).unwrap();
    let (ok, _, stderr) = eval(
        &data,
        &[
            "--gold-as-pred".as_ref(),
            "--out".as_ref(),
            taken.as_os_str(),
        ],
    );
    assert!(!ok);
    assert!(stderr.contains(&taken.display().to_string()), "{stderr}");
    assert_eq!(tmp_files(dir.path()), vec!["report.tmp".to_string()]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("report.tmp")).unwrap(),
        "keep me"
    );

    let taken = dir.path().join("pred.jsonl");
    std::fs::create_dir(&taken).unwrap();
    let (ok, _, stderr) = baseline(&data, &taken);
    assert!(!ok);
    assert!(stderr.contains(&taken.display().to_string()), "{stderr}");
    assert_eq!(tmp_files(dir.path()), vec!["report.tmp".to_string()]);

    // Inside a "folder" that is a file: the error names it, nothing is written.
    let file = dir.path().join("plain");
    std::fs::write(&file, "x").unwrap();
    let report = file.join("report.json");
    let (ok, _, stderr) = eval(
        &data,
        &[
            "--gold-as-pred".as_ref(),
            "--out".as_ref(),
            report.as_os_str(),
        ],
    );
    assert!(!ok);
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert_eq!(error_lines(&stderr).len(), 1, "{stderr}");
}

#[test]
fn predict_writes_through_a_symlinked_out_and_refuses_a_fifo() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.jsonl");
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let (ok, _, stderr) = baseline(&sample(), &link);
    assert!(ok, "{stderr}");
    let kind = std::fs::symlink_metadata(&link).unwrap().file_type();
    assert!(kind.is_symlink(), "the link was replaced");
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(written.lines().count() > 0 && written.contains("\"query\""));

    let fifo = dir.path().join("fifo.jsonl");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let (ok, _, stderr) = baseline(&sample(), &fifo);
    assert!(!ok);
    assert!(stderr.contains("is a FIFO, not a regular file"), "{stderr}");
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the FIFO was replaced");
}
