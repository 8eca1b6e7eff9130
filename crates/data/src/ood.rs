//! Our own out-of-distribution questions beyond WikiSQL's sketch (`data/ood/source`, formats in
//! `data/ood/README.md` and `data/ood/FAMILY.md`): one part's tables, its family questions with
//! their structured gold and hand-written SQL, and its questions outside the family (the right
//! answer to those is "Not sure"). Outside lines that carry a `family` gold are scored as family
//! questions.

use crate::types::{FamilyQuery, Table};
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::path::Path;

/// One question of a part.
#[derive(Clone, Debug, PartialEq)]
pub struct FamilyExample {
    pub table_id: String,
    pub question: String,
    /// The gold query; `None` for a question outside the family.
    pub gold: Option<FamilyQuery>,
    /// The hand-written SQL against a table named `t` (documentation for outside questions).
    pub sql: String,
}

/// A part's tables and questions: family lines first, then outside lines, each in file order.
#[derive(Clone, Debug)]
pub struct FamilyPart {
    pub tables: Vec<Table>,
    pub examples: Vec<FamilyExample>,
}

impl FamilyPart {
    pub fn table(&self, id: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.id == id)
    }
}

#[derive(Deserialize)]
struct FamilyLine {
    table_id: String,
    question: String,
    family: FamilyQuery,
    sql: String,
}

#[derive(Deserialize)]
struct OutsideLine {
    table_id: String,
    question: String,
    gold_sql: String,
    family: Option<FamilyQuery>,
}

fn lines<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{}:{}", path.display(), i + 1))
        })
        .collect()
}

/// Reads part `part` (`dev` = tune, `test` = report) from `source`: `<part>.tables.jsonl`,
/// `<part>.family.jsonl` and `<part>.outside.jsonl`. Every gold must be well formed on its table.
pub fn read_family_part(source: &Path, name: &str) -> Result<FamilyPart> {
    let tables: Vec<Table> = lines(&source.join(format!("{name}.tables.jsonl")))?;
    let family: Vec<FamilyLine> = lines(&source.join(format!("{name}.family.jsonl")))?;
    let outside: Vec<OutsideLine> = lines(&source.join(format!("{name}.outside.jsonl")))?;
    let examples: Vec<FamilyExample> = family
        .into_iter()
        .map(|l| FamilyExample {
            table_id: l.table_id,
            question: l.question,
            gold: Some(l.family),
            sql: l.sql,
        })
        .chain(outside.into_iter().map(|l| FamilyExample {
            table_id: l.table_id,
            question: l.question,
            gold: l.family,
            sql: l.gold_sql,
        }))
        .collect();
    let part = FamilyPart { tables, examples };
    for ex in &part.examples {
        let Some(table) = part.table(&ex.table_id) else {
            bail!(
                "{name}: question {:?} names an unknown table {:?}",
                ex.question,
                ex.table_id
            );
        };
        if let Some(gold) = &ex.gold {
            gold.check(table)
                .with_context(|| format!("{name}: the gold of {:?}", ex.question))?;
        }
    }
    Ok(part)
}
