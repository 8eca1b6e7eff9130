//! The challenge format: `dataset_files/{train,val,test}.jsonl`, one question per line with its
//! table inline:
//!
//! ```json
//! {"question": "...", "table": {"id": "...", "header": [...], "types": [...], "rows": [...]},
//!  "sql": {"human_readable": "SELECT ...", "sel": 3, "agg": 0, "conds": [[5, 0, "Butler CC (KS)"]]}}
//! ```
//!
//! `conds` is read in both forms found in the wild: the list `[[col, op, value], ...]` and the
//! Hugging Face columns `{"column_index": [...], "operator_index": [...], "condition": [...]}`.
//! The writer always writes the list form. Unknown keys are ignored.
//!
//! A line with a `family` key and no `sql` (a generated question outside WikiSQL's sketch, see
//! `sqlcoder-augment`) is skipped: a split holds sketch queries only.

use crate::dataset::Dataset;
use crate::io::{line_error, read_lines, AtomicFile, NumberedLine, StagedPath};
use crate::types::{CondValue, Split, Table};
use crate::validate::{check_table, query_from_indices, query_indices, RawCond};
use crate::Example;
use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Lines parsed per parallel batch: bounds how many inline table copies live at once.
const BATCH: usize = 2048;

#[derive(Deserialize)]
struct LineIn {
    question: String,
    table: Table,
    #[serde(default)]
    sql: Option<SqlIn>,
    /// Present on the lines that are skipped (their query is outside the sketch).
    #[serde(default)]
    family: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct SqlIn {
    sel: usize,
    agg: usize,
    conds: Value,
}

#[derive(Serialize)]
struct LineOut<'a> {
    question: &'a str,
    table: &'a Table,
    sql: SqlOut<'a>,
}

#[derive(Serialize)]
struct SqlOut<'a> {
    human_readable: String,
    sel: usize,
    agg: usize,
    conds: Vec<(usize, usize, &'a CondValue)>,
}

/// `conds` in either JSON form, as (column, operator, value) triples.
fn conds_from_json(conds: Value) -> Result<Vec<RawCond>, String> {
    match conds {
        Value::Array(_) => serde_json::from_value(conds)
            .map_err(|e| format!("conds must be [[column, operator, value], ...]: {e}")),
        Value::Object(mut fields) => {
            let mut take = |key: &str| fields.remove(key).unwrap_or(Value::Null);
            let (cols, ops, values) = (
                take("column_index"),
                take("operator_index"),
                take("condition"),
            );
            let parsed: Result<(Vec<usize>, Vec<usize>, Vec<CondValue>), _> =
                serde_json::from_value(Value::Array(vec![cols, ops, values]));
            let (cols, ops, values) = parsed.map_err(|e| {
                format!("conds must hold column_index, operator_index and condition lists: {e}")
            })?;
            if cols.len() != ops.len() || cols.len() != values.len() {
                return Err(format!(
                    "conds lists differ in length: {} column_index, {} operator_index, {} condition",
                    cols.len(),
                    ops.len(),
                    values.len()
                ));
            }
            Ok(cols
                .into_iter()
                .zip(ops)
                .zip(values)
                .map(|((c, o), v)| (c, o, v))
                .collect())
        }
        other => Err(format!("conds must be a list or an object, not {other}")),
    }
}

/// One line into an example and its (checked) table; `None` for a family line.
fn parse_line(text: &str) -> Result<Option<(Example, Table)>, String> {
    let line: LineIn = serde_json::from_str(text).map_err(|e| format!("invalid JSON line: {e}"))?;
    let sql = match (line.sql, line.family) {
        (Some(sql), _) => sql,
        (None, Some(_)) => return Ok(None),
        (None, None) => return Err("the line has no sql (nor a family query)".into()),
    };
    check_table(&line.table)?;
    let conds = conds_from_json(sql.conds)?;
    let query = query_from_indices(sql.sel, sql.agg, conds, &line.table)?;
    let example = Example {
        table_id: line.table.id.clone(),
        question: line.question,
        query,
    };
    Ok(Some((example, line.table)))
}

/// `<dir>/dataset_files/<split>.jsonl`: the split's questions with inline tables.
pub fn dataset_path(dir: &Path, split: Split) -> PathBuf {
    dir.join("dataset_files")
        .join(format!("{}.jsonl", split.name()))
}

/// `<dir>/db_files/<split>.db`: the split's tables as SQLite.
pub fn db_path(dir: &Path, split: Split) -> PathBuf {
    dir.join("db_files").join(format!("{}.db", split.name()))
}

/// Read a split of the challenge layout (`dataset_files/<split>.jsonl`, or `.jsonl.xz`).
pub fn load_split(dir: &Path, split: Split) -> Result<Dataset> {
    let path = crate::io::require_plain_or_xz(&dataset_path(dir, split))?;
    read_file(&path, split)
}

/// Read a challenge-format file (plain or `.xz`). Inline tables are kept once per id; two lines
/// carrying different tables under one id are an error naming both lines.
pub fn read_file(path: &Path, split: Split) -> Result<Dataset> {
    let lines = read_lines(path)?;
    read_lines_of(path, &lines, split)
}

fn read_lines_of(path: &Path, lines: &[NumberedLine], split: Split) -> Result<Dataset> {
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let mut examples = Vec::with_capacity(lines.len());
    for batch in lines.chunks(BATCH) {
        let parsed: Vec<Option<(Example, Table)>> = batch
            .par_iter()
            .map(|l| parse_line(&l.text).map_err(|e| line_error(path, l.number, e)))
            .collect::<Result<_>>()?;
        let read = batch.iter().zip(parsed).filter_map(|(l, p)| Some((l, p?)));
        for (line, (example, table)) in read {
            match tables.get(&table.id) {
                Some(known) if *known != table => {
                    return Err(line_error(
                        path,
                        line.number,
                        format!(
                            "table {:?} differs from its copy on line {}",
                            table.id, first_line[&table.id]
                        ),
                    ))
                }
                Some(_) => {}
                None => {
                    first_line.insert(table.id.clone(), line.number);
                    tables.insert(table.id.clone(), table);
                }
            }
            examples.push(example);
        }
    }
    Ok(Dataset {
        split,
        tables,
        examples,
    })
}

/// One example as a challenge-format line (no newline); `human_readable` is rendered from the query.
pub fn line_json(example: &Example, table: &Table) -> Result<String> {
    let line = LineOut {
        question: &example.question,
        table,
        sql: SqlOut {
            human_readable: crate::human::render(&example.query, &table.header),
            sel: example.query.sel,
            agg: example.query.agg.index(),
            conds: query_indices(&example.query),
        },
    };
    serde_json::to_string(&line).context("cannot serialise a challenge line")
}

/// Write a dataset's examples in order, one line each, calling `progress(n)` as lines go out.
pub fn write(
    dataset: &Dataset,
    out: &mut impl Write,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<()> {
    for batch in dataset.examples.chunks(BATCH) {
        let lines: Vec<String> = batch
            .par_iter()
            .map(|e| line_json(e, dataset.table_of(e)?))
            .collect::<Result<_>>()?;
        for line in &lines {
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
        }
        progress(batch.len() as u64);
    }
    Ok(())
}

/// Write a dataset to `path` as a staged file, to be committed with the run's other outputs.
pub fn write_staged(
    path: &Path,
    dataset: &Dataset,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<StagedPath> {
    let mut file = AtomicFile::create(path)?;
    write(dataset, &mut file, progress)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.finish()
}

/// Write a dataset to `path` (atomically: nothing appears there unless all of it was written).
pub fn write_file(path: &Path, dataset: &Dataset) -> Result<()> {
    write_staged(path, dataset, &|_| {})?.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::CondOp;

    #[test]
    fn paths_follow_the_challenge_layout() {
        let dir = Path::new("/d");
        assert_eq!(
            dataset_path(dir, Split::Val),
            Path::new("/d/dataset_files/val.jsonl")
        );
        assert_eq!(db_path(dir, Split::Test), Path::new("/d/db_files/test.db"));
    }

    const TABLE: &str = r#"{"id": "1-1-1", "header": ["Name", "No."], "types": ["text", "real"], "rows": [["A", "1"], ["B", "2.5"]], "caption": "c"}"#;

    fn line(conds: &str) -> String {
        format!(
            r#"{{"phase": 1, "question": "q?", "table": {TABLE}, "sql": {{"human_readable": "ignored", "sel": 0, "agg": 3, "conds": {conds}}}}}"#
        )
    }

    fn parse(text: &str) -> Result<Dataset> {
        let lines: Vec<NumberedLine> = text
            .lines()
            .enumerate()
            .map(|(i, t)| NumberedLine {
                number: i + 1,
                text: t.to_string(),
            })
            .collect();
        read_lines_of(Path::new("x.jsonl"), &lines, Split::Val)
    }

    #[test]
    fn both_conds_forms_read_alike() {
        let list = parse(&line(r#"[[1, 1, 2], [0, 0, "A"]]"#)).unwrap();
        let cols = parse(&line(
            r#"{"column_index": [1, 0], "operator_index": [1, 0], "condition": [2, "A"]}"#,
        ))
        .unwrap();
        assert_eq!(list, cols);
        assert_eq!(list.examples[0].query.conds[0].op, CondOp::Gt);
        assert_eq!(
            list.examples[0].query.conds[1].value,
            CondValue::Text("A".into())
        );
    }

    #[test]
    fn uneven_conds_columns_are_an_error() {
        let err = parse(&line(
            r#"{"column_index": [1, 0], "operator_index": [1], "condition": [2, "A"]}"#,
        ))
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("x.jsonl:1: conds lists differ"), "{err}");
    }

    #[test]
    fn tables_are_deduplicated_and_conflicts_rejected() {
        let a = line("[]");
        let ds = parse(&format!("{a}\n{a}")).unwrap();
        assert_eq!((ds.tables.len(), ds.examples.len()), (1, 2));
        let changed = a.replace(r#"["B", "2.5"]"#, r#"["B", "3"]"#);
        let err = parse(&format!("{a}\n{changed}")).unwrap_err().to_string();
        assert!(
            err.contains("x.jsonl:2: ") && err.contains("line 1"),
            "{err}"
        );
    }

    #[test]
    fn family_lines_are_skipped_and_lines_without_a_query_refused() {
        let family = format!(
            r#"{{"question": "oldest?", "table": {TABLE}, "family": {{"select": [{{"col": 0}}]}}}}"#
        );
        let ds = parse(&format!("{}\n{family}", line("[]"))).unwrap();
        assert_eq!(ds.examples.len(), 1);
        let bare = format!(r#"{{"question": "q", "table": {TABLE}}}"#);
        let err = parse(&bare).unwrap_err().to_string();
        assert!(err.contains("x.jsonl:1: the line has no sql"), "{err}");
    }

    #[test]
    fn written_lines_use_the_list_form_and_read_back() {
        let ds = parse(&line(
            r#"{"column_index": [1], "operator_index": [2], "condition": [7]}"#,
        ))
        .unwrap();
        let mut out = Vec::new();
        write(&ds, &mut out, &|_| {}).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(r#""conds":[[1,2,7]]"#), "{text}");
        assert!(text.contains(r#""human_readable":"SELECT COUNT Name FROM table WHERE No. < 7""#));
        assert_eq!(parse(text.trim_end()).unwrap(), ds);
    }
}
