//! The original WikiSQL release format: `<split>.jsonl` (questions with index-based SQL) beside
//! `<split>.tables.jsonl`, plain or `.xz`, in either of the layouts this project meets:
//!
//! - the release layout: `{train,dev,test}.jsonl` + `{train,dev,test}.tables.jsonl` in one folder;
//! - the shared layout (`../shared/wikisql`): `dev.jsonl.xz`, `test.jsonl.xz` at the top, their
//!   tables in `reconstructed/{dev,test}.tables.jsonl.xz`, and the rebuilt train split as
//!   `reconstructed/train.recon.jsonl.xz` + `reconstructed/train.recon.tables.jsonl.xz`.
//!
//! Unknown keys (`phase`, `page_title`, `exec_nonempty`, …) are ignored.

use crate::dataset::Dataset;
use crate::io::{find_plain_or_xz, line_error, parse_json_lines, read_lines};
use crate::types::{Example, Split, Table};
use crate::validate::{check_table, query_from_indices, RawCond};
use anyhow::{anyhow, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The original release's name of a split (`val` is "dev" there).
pub fn original_name(split: Split) -> &'static str {
    match split {
        Split::Train => "train",
        Split::Val => "dev",
        Split::Test => "test",
    }
}

/// The two files holding one split: questions and the tables they ask about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitFiles {
    pub questions: PathBuf,
    pub tables: PathBuf,
}

/// The (questions, tables) file pairs a split may use under `source`, most original first.
fn candidates(source: &Path, split: Split) -> Vec<(PathBuf, PathBuf)> {
    let name = original_name(split);
    let recon = source.join("reconstructed");
    vec![
        (
            source.join(format!("{name}.jsonl")),
            source.join(format!("{name}.tables.jsonl")),
        ),
        (
            source.join(format!("{name}.jsonl")),
            recon.join(format!("{name}.tables.jsonl")),
        ),
        (
            recon.join(format!("{name}.recon.jsonl")),
            recon.join(format!("{name}.recon.tables.jsonl")),
        ),
    ]
}

/// Find a split's files under `source`: the first candidate pair whose two files both exist
/// (each plain or `.xz`). The error lists every name tried.
pub fn locate_split(source: &Path, split: Split) -> Result<SplitFiles> {
    let pairs = candidates(source, split);
    for (q, t) in &pairs {
        if let (Some(questions), Some(tables)) = (find_plain_or_xz(q), find_plain_or_xz(t)) {
            return Ok(SplitFiles { questions, tables });
        }
    }
    let tried: Vec<String> = pairs
        .iter()
        .map(|(q, t)| format!("{} + {} (or .xz)", q.display(), t.display()))
        .collect();
    Err(anyhow!(
        "no WikiSQL {} split under {}: tried {}",
        original_name(split),
        source.display(),
        tried.join("; ")
    ))
}

/// Read one split of the original format under `source` (any layout above).
pub fn read_split(source: &Path, split: Split) -> Result<Dataset> {
    let files = locate_split(source, split)?;
    read_files(&files, split)
}

/// Read a questions file and its tables file.
pub fn read_files(files: &SplitFiles, split: Split) -> Result<Dataset> {
    let tables = read_tables(&files.tables)?;
    let examples = read_questions(&files.questions, &tables)?;
    Ok(Dataset {
        split,
        tables,
        examples,
    })
}

/// Read a `<split>.tables.jsonl[.xz]`: every table checked, ids unique.
pub fn read_tables(path: &Path) -> Result<BTreeMap<String, Table>> {
    let lines = read_lines(path)?;
    let parsed: Vec<Table> = parse_json_lines(path, &lines)?;
    let mut tables = BTreeMap::new();
    let mut first_line = std::collections::HashMap::new();
    for (line, table) in lines.iter().zip(parsed) {
        check_table(&table).map_err(|e| line_error(path, line.number, e))?;
        if let Some(first) = first_line.insert(table.id.clone(), line.number) {
            return Err(line_error(
                path,
                line.number,
                format!("table id {:?} already defined on line {first}", table.id),
            ));
        }
        tables.insert(table.id.clone(), table);
    }
    Ok(tables)
}

#[derive(Deserialize)]
struct QuestionLine {
    table_id: String,
    question: String,
    sql: SqlLine,
}

#[derive(Deserialize)]
struct SqlLine {
    sel: usize,
    agg: usize,
    conds: Vec<RawCond>,
}

/// Read a `<split>.jsonl[.xz]` against its tables: every table id must exist and every index fit.
pub fn read_questions(path: &Path, tables: &BTreeMap<String, Table>) -> Result<Vec<Example>> {
    let lines = read_lines(path)?;
    let parsed: Vec<QuestionLine> = parse_json_lines(path, &lines)?;
    lines
        .iter()
        .zip(parsed)
        .map(|(line, q)| {
            let table = tables.get(&q.table_id).ok_or_else(|| {
                line_error(
                    path,
                    line.number,
                    format!("unknown table id {:?}", q.table_id),
                )
            })?;
            let query = query_from_indices(q.sql.sel, q.sql.agg, q.sql.conds, table)
                .map_err(|e| line_error(path, line.number, e))?;
            Ok(Example {
                table_id: q.table_id,
                question: q.question,
                query,
            })
        })
        .collect()
}

/// Whether `source` looks like an original-format folder for `split` (used to pick a reader).
pub fn has_split(source: &Path, split: Split) -> bool {
    locate_split(source, split).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ColumnType, CondValue};

    const TABLE: &str = r#"{"id": "1-1-1", "header": ["Name", "No."], "types": ["text", "real"], "rows": [["A", 1], ["B", 2.5]], "page_title": "x"}"#;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn release_layout_is_preferred_and_shared_layout_found() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "dev.jsonl", "");
        write(d, "reconstructed/dev.tables.jsonl", "");
        write(d, "reconstructed/train.recon.jsonl", "");
        write(d, "reconstructed/train.recon.tables.jsonl", "");
        let dev = locate_split(d, Split::Val).unwrap();
        assert_eq!(dev.tables, d.join("reconstructed/dev.tables.jsonl"));
        let train = locate_split(d, Split::Train).unwrap();
        assert_eq!(train.questions, d.join("reconstructed/train.recon.jsonl"));
        write(d, "dev.tables.jsonl", "");
        assert_eq!(
            locate_split(d, Split::Val).unwrap().tables,
            d.join("dev.tables.jsonl")
        );
        let err = locate_split(d, Split::Test).unwrap_err().to_string();
        assert!(err.contains("test.jsonl") && err.contains("test.recon.tables.jsonl"));
    }

    #[test]
    fn reads_values_of_every_kind_and_ignores_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "dev.tables.jsonl", &format!("{TABLE}\n"));
        write(
            d,
            "dev.jsonl",
            concat!(
                r#"{"phase": 1, "table_id": "1-1-1", "question": "q1", "sql": {"sel": 0, "conds": [[1, 1, 2], [1, 2, 3.5], [0, 0, "A"]], "agg": 0}}"#,
                "\n"
            ),
        );
        let ds = read_split(d, Split::Val).unwrap();
        assert_eq!(
            ds.tables["1-1-1"].types,
            vec![ColumnType::Text, ColumnType::Real]
        );
        let values: Vec<String> = ds.examples[0]
            .query
            .conds
            .iter()
            .map(|c| c.value.python_str())
            .collect();
        assert_eq!(values, vec!["2", "3.5", "A"]);
        assert!(matches!(
            ds.examples[0].query.conds[2].value,
            CondValue::Text(_)
        ));
    }

    #[test]
    fn bad_indices_and_unknown_tables_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "dev.tables.jsonl", &format!("{TABLE}\n"));
        let ok =
            r#"{"table_id": "1-1-1", "question": "q", "sql": {"sel": 0, "conds": [], "agg": 0}}"#;
        let cases = [
            (
                r#"{"table_id": "1-1-1", "question": "q", "sql": {"sel": 0, "conds": [[0, 3, "A"]], "agg": 0}}"#,
                "operator index 3",
            ),
            (
                r#"{"table_id": "1-1-1", "question": "q", "sql": {"sel": 2, "conds": [], "agg": 0}}"#,
                "selected column 2",
            ),
            (
                r#"{"table_id": "9-9-9", "question": "q", "sql": {"sel": 0, "conds": [], "agg": 0}}"#,
                "unknown table id \"9-9-9\"",
            ),
        ];
        for (bad, want) in cases {
            write(d, "dev.jsonl", &format!("{ok}\n{ok}\n{bad}\n"));
            let err = read_split(d, Split::Val).unwrap_err().to_string();
            assert!(err.contains("dev.jsonl:3: ") && err.contains(want), "{err}");
        }
    }

    #[test]
    fn duplicate_table_ids_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        std::fs::write(&path, format!("{TABLE}\n{TABLE}\n")).unwrap();
        let err = read_tables(&path).unwrap_err().to_string();
        assert!(
            err.contains("t.jsonl:2: ") && err.contains("line 1"),
            "{err}"
        );
    }
}
