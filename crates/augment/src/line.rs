//! One generated question and its output line (the format is in the crate docs), and the
//! reader that takes a line back.

use crate::kind::Kind;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sqlcoder_data::challenge::line_json;
use sqlcoder_data::types::{Example, FamilyQuery, Query, Table};
use sqlcoder_data::validate::{check_table, query_from_indices, RawCond};
use std::sync::Arc;

/// A kept question: its kind, its table (shared by the table's questions) and its query.
#[derive(Clone, Debug)]
pub struct Generated {
    pub kind: Kind,
    pub question: String,
    pub table: Arc<Table>,
    pub query: FamilyQuery,
}

#[derive(Serialize)]
struct FamilyLineOut<'a> {
    question: &'a str,
    table: &'a Table,
    family: &'a FamilyQuery,
}

impl Generated {
    /// The output line (no newline): a challenge line when the query is in WikiSQL's sketch, a
    /// family line otherwise.
    pub fn line(&self) -> Result<String> {
        match self.query.to_sketch() {
            Some(query) => {
                let example = Example {
                    table_id: self.table.id.clone(),
                    question: self.question.clone(),
                    query,
                };
                line_json(&example, &self.table)
            }
            None => serde_json::to_string(&FamilyLineOut {
                question: &self.question,
                table: &self.table,
                family: &self.query,
            })
            .context("cannot serialise a family line"),
        }
    }
}

/// A line read back.
#[derive(Clone, Debug, PartialEq)]
pub enum ReadLine {
    /// A challenge line: the query in WikiSQL's sketch.
    Sketch {
        question: String,
        table: Table,
        query: Query,
    },
    /// A family line: the query outside the sketch.
    Family {
        question: String,
        table: Table,
        query: FamilyQuery,
    },
}

#[derive(Deserialize)]
struct LineIn {
    question: String,
    table: Table,
    #[serde(default)]
    sql: Option<SqlIn>,
    #[serde(default)]
    family: Option<FamilyQuery>,
}

#[derive(Deserialize)]
struct SqlIn {
    sel: usize,
    agg: usize,
    conds: Vec<RawCond>,
}

/// Reads one output line: a checked table with either a sketch query (`sql`) or a family query
/// (`family`), never both, never neither.
pub fn read_line(text: &str) -> Result<ReadLine, String> {
    let line: LineIn = serde_json::from_str(text).map_err(|e| format!("invalid line: {e}"))?;
    check_table(&line.table)?;
    match (line.sql, line.family) {
        (Some(sql), None) => Ok(ReadLine::Sketch {
            query: query_from_indices(sql.sel, sql.agg, sql.conds, &line.table)?,
            question: line.question,
            table: line.table,
        }),
        (None, Some(query)) => Ok(ReadLine::Family {
            question: line.question,
            table: line.table,
            query,
        }),
        (Some(_), Some(_)) => Err("a line holds either sql or family, not both".into()),
        (None, None) => Err("a line needs sql or family".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlcoder_data::types::{Agg, ColumnType, CondOp, Direction, Item, OrderBy};

    fn table() -> Arc<Table> {
        Arc::new(Table::new(
            "t",
            &["Name", "Age"],
            &[ColumnType::Text, ColumnType::Real],
            vec![
                vec!["Ann".into(), 30.0.into()],
                vec!["Bo".into(), 41.0.into()],
            ],
        ))
    }

    #[test]
    fn sketch_lines_are_challenge_lines_and_family_lines_carry_family() {
        let sketch = Query::with_text_conds(1, Agg::Max, &[(0, CondOp::Eq, "Ann")]);
        let g = Generated {
            kind: Kind::Count,
            question: "q".into(),
            table: table(),
            query: FamilyQuery::from(&sketch),
        };
        let line = g.line().unwrap();
        assert!(
            line.starts_with(r#"{"question":"q","table":{"id":"t""#),
            "{line}"
        );
        assert!(line.contains(r#""sql":{"human_readable":"SELECT MAX Age FROM table WHERE Name = Ann","sel":1,"agg":1,"conds":[[0,0,"Ann"]]}"#), "{line}");
        match read_line(&line).unwrap() {
            ReadLine::Sketch { query, .. } => assert_eq!(query, sketch),
            other => panic!("{other:?}"),
        }

        let family = FamilyQuery {
            select: vec![Item::column(0)],
            order_by: Some(OrderBy {
                item: Item::column(1),
                dir: Direction::Desc,
            }),
            limit: Some(1),
            ..FamilyQuery::empty()
        };
        let g = Generated {
            query: family.clone(),
            ..g
        };
        let line = g.line().unwrap();
        assert!(
            line.ends_with(
                r#""family":{"select":[{"col":0}],"order_by":{"col":1,"dir":"desc"},"limit":1}}"#
            ),
            "{line}"
        );
        assert!(!line.contains("\"sql\""));
        match read_line(&line).unwrap() {
            ReadLine::Family { query, .. } => assert_eq!(query, family),
            other => panic!("{other:?}"),
        }
        assert!(read_line(
            r#"{"question":"q","table":{"id":"t","header":["a"],"types":["text"],"rows":[["x"]]}}"#
        )
        .unwrap_err()
        .contains("sql or family"));
    }
}
