//! Questions people wrote about tables of ours (`data/written`, format in its README.md): the
//! generator's templates reach what a query can be, not how people say it. On unseen WikiSQL
//! tables a model trained on the templates answers 67.7% of the templates' own questions beyond
//! the sketch, and 19.5% of people's on other tables (REPORT §10): the gap is the wording. These
//! questions go into the file as they are, each [`COPIES`] times, so that a pass over a part of
//! the file still reads them often enough to count beside tens of thousands of template lines.

use crate::family::Draft;
use anyhow::{bail, Result};
use serde::Deserialize;
use sqlcoder_data::io::{parse_json_lines, read_lines};
use sqlcoder_data::types::{FamilyQuery, Table};
use std::collections::BTreeMap;
use std::path::Path;

/// How many times each written question is written to the file.
pub const COPIES: usize = 8;

/// One line of `questions.jsonl`.
#[derive(Deserialize)]
struct Line {
    table_id: String,
    question: String,
    family: FamilyQuery,
}

/// The written tables, each with its questions, in the files' order; a question on an unknown
/// table, or a table id given twice, is an error.
pub fn read(dir: &Path) -> Result<Vec<(Table, Vec<Draft>)>> {
    let tables_path = dir.join("tables.jsonl");
    let questions_path = dir.join("questions.jsonl");
    let tables: Vec<Table> = parse_json_lines(&tables_path, &read_lines(&tables_path)?)?;
    let lines = read_lines(&questions_path)?;
    let questions: Vec<Line> = parse_json_lines(&questions_path, &lines)?;
    let mut at = BTreeMap::new();
    for (i, table) in tables.iter().enumerate() {
        if at.insert(table.id.clone(), i).is_some() {
            bail!(
                "{}: table {:?} is given twice",
                tables_path.display(),
                table.id
            );
        }
    }
    let mut drafts: Vec<Vec<Draft>> = tables.iter().map(|_| Vec::new()).collect();
    for (q, line) in questions.into_iter().zip(&lines) {
        let Some(&i) = at.get(&q.table_id) else {
            bail!(
                "{}:{}: unknown table {:?}",
                questions_path.display(),
                line.number,
                q.table_id
            );
        };
        drafts[i].push(Draft {
            question: q.question,
            query: q.family,
        });
    }
    Ok(tables.into_iter().zip(drafts).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(tables: &str, questions: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("tables.jsonl"), tables).unwrap();
        std::fs::write(dir.path().join("questions.jsonl"), questions).unwrap();
        dir
    }

    const TABLE: &str = r#"{"id": "written-rides", "header": ["rider", "km"], "types": ["text", "real"], "rows": [["Ana", 12.5], ["Bo", 30]]}"#;

    #[test]
    fn questions_join_their_tables() {
        let dir = folder(
            TABLE,
            r#"{"table_id": "written-rides", "question": "longest ride?", "family": {"select": [{"col": 0}], "order_by": {"col": 1, "dir": "desc"}, "limit": 1}}"#,
        );
        let read = read(dir.path()).unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].0.id, "written-rides");
        assert_eq!(read[0].1.len(), 1);
        assert_eq!(read[0].1[0].question, "longest ride?");
        assert_eq!(read[0].1[0].query.limit, Some(1));
    }

    #[test]
    fn an_unknown_table_names_its_line() {
        let dir = folder(
            TABLE,
            "\n{\"table_id\": \"written-nope\", \"question\": \"q\", \"family\": {\"select\": [{\"col\": 0}]}}",
        );
        let err = read(dir.path()).unwrap_err().to_string();
        assert!(
            err.ends_with("questions.jsonl:2: unknown table \"written-nope\""),
            "{err}"
        );
    }
}
