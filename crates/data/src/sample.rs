//! Which questions make the small sample committed under `data/sample/` (challenge layout), so
//! tests, examples and CI run without the full data: about a hundred val questions on a few dozen
//! dev tables (starting with table 1-10015132-11, the first of the dev set) and 64 train
//! questions, each split with its tables in `dataset_files/<split>.jsonl` and `db_files/<split>.db`
//! (written by `app::prepare::write_sample`).
//!
//! Whole tables are picked, preferring ones whose questions add something not yet covered
//! (an aggregation, an operator, a value kind, …), so small tests still meet every query shape.
//! The choice depends only on file order, so regenerating from the same source gives the same files.

use crate::challenge::{dataset_path, load_split};
use crate::dataset::Dataset;
use crate::io::find_plain_or_xz;
use crate::types::{ColumnType, CondValue, Example, Split, Table};
use crate::wikisql;
use anyhow::{anyhow, Result};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// The dev table the val sample starts with (the first table of dev.jsonl).
pub const ANCHOR_TABLE: &str = "1-10015132-11";
/// Val questions in the sample.
pub const VAL_QUESTIONS: usize = 100;
/// Train questions in the sample (enough to train a tiny model in a test).
pub const TRAIN_QUESTIONS: usize = 64;

/// Read a split from `source`: the challenge layout if `source/dataset_files` has it, else the
/// original format.
pub fn read_any(source: &Path, split: Split) -> Result<Dataset> {
    if find_plain_or_xz(&dataset_path(source, split)).is_some() {
        load_split(source, split)
    } else {
        wikisql::read_split(source, split)
    }
}

/// The examples `keep` selects, with only the tables they use.
fn subset(dataset: &Dataset, keep: impl Fn(usize) -> bool) -> Dataset {
    let examples: Vec<_> = dataset
        .examples
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, e)| e.clone())
        .collect();
    let tables: BTreeMap<String, Table> = examples
        .iter()
        .filter_map(|e| dataset.tables.get(&e.table_id))
        .map(|t| (t.id.clone(), t.clone()))
        .collect();
    Dataset {
        split: dataset.split,
        tables,
        examples,
    }
}

/// What a question exercises, for picking a varied sample: aggregation, operators, condition
/// count, value kinds (text, integer, float) and the types of the columns it touches.
fn features(example: &Example, table: &Table) -> Vec<(&'static str, usize)> {
    let q = &example.query;
    let is_real = |c: usize| (table.types.get(c) == Some(&ColumnType::Real)) as usize;
    let mut f = vec![
        ("agg", q.agg.index()),
        ("conds", q.conds.len()),
        ("sel_real", is_real(q.sel)),
    ];
    for c in &q.conds {
        let kind = match &c.value {
            CondValue::Text(_) => 0,
            CondValue::Number(n) if n.is_f64() => 2,
            CondValue::Number(_) => 1,
        };
        f.extend([
            ("op", c.op.index()),
            ("value", kind),
            ("cond_real", is_real(c.col)),
        ]);
    }
    f
}

/// Pick whole tables (so every question keeps all its table's neighbours) for at most `limit`
/// questions: `first` (if given), then, in order of first use, each table whose questions bring
/// a feature not yet covered, then any table that still fits. Questions stay in file order.
fn select_tables(dataset: &Dataset, first: Option<&str>, limit: usize) -> Result<Dataset> {
    let mut by_table: Vec<(&str, Vec<usize>)> = Vec::new();
    let mut slot: HashMap<&str, usize> = HashMap::new();
    for (i, e) in dataset.examples.iter().enumerate() {
        let s = *slot.entry(&e.table_id).or_insert_with(|| {
            by_table.push((&e.table_id, Vec::new()));
            by_table.len() - 1
        });
        by_table[s].1.push(i);
    }
    if let Some(id) = first {
        let s = *slot
            .get(id)
            .ok_or_else(|| anyhow!("the {} split has no question on table {id}", dataset.split))?;
        let anchor = by_table.remove(s);
        by_table.insert(0, anchor);
    }
    let mut covered = HashSet::new();
    let mut chosen = vec![false; by_table.len()];
    let mut count = 0;
    let fits = |count: usize, n: usize| count + n <= limit;
    for (k, (id, questions)) in by_table.iter().enumerate() {
        let table = dataset.table(id)?;
        let mut new = false;
        for &i in questions {
            for f in features(&dataset.examples[i], table) {
                new |= !covered.contains(&f);
            }
        }
        let is_first = k == 0 && first.is_some();
        if (new || is_first) && fits(count, questions.len()) {
            for &i in questions {
                covered.extend(features(&dataset.examples[i], table));
            }
            chosen[k] = true;
            count += questions.len();
        }
    }
    for (k, (_, questions)) in by_table.iter().enumerate() {
        if !chosen[k] && fits(count, questions.len()) {
            chosen[k] = true;
            count += questions.len();
        }
    }
    let keep: HashSet<usize> = by_table
        .iter()
        .zip(&chosen)
        .filter(|(_, &c)| c)
        .flat_map(|((_, qs), _)| qs.iter().copied())
        .collect();
    Ok(subset(dataset, |i| keep.contains(&i)))
}

/// The val sample: table [`ANCHOR_TABLE`] and a varied set of other dev tables, with all their
/// questions, [`VAL_QUESTIONS`] at most.
pub fn select_val(dev: &Dataset) -> Result<Dataset> {
    select_tables(dev, Some(ANCHOR_TABLE), VAL_QUESTIONS)
}

/// The train sample: a varied set of train tables with all their questions, [`TRAIN_QUESTIONS`] at most.
pub fn select_train(train: &Dataset) -> Result<Dataset> {
    select_tables(train, None, TRAIN_QUESTIONS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Agg, Cell, Cond, CondOp, Query};

    /// A dataset with one question per (table id, operator or None) entry.
    fn dataset(questions: &[(&str, Option<CondOp>)]) -> Dataset {
        let tables = questions
            .iter()
            .map(|(id, _)| {
                let t = Table {
                    id: id.to_string(),
                    header: vec!["a".into()],
                    types: vec![ColumnType::Text],
                    rows: vec![vec![Cell::Text("x".into())]],
                };
                (id.to_string(), t)
            })
            .collect();
        let examples = questions
            .iter()
            .enumerate()
            .map(|(i, (id, op))| Example {
                table_id: id.to_string(),
                question: format!("q{i}"),
                query: Query {
                    sel: 0,
                    agg: Agg::None,
                    conds: op
                        .iter()
                        .map(|&op| Cond {
                            col: 0,
                            op,
                            value: CondValue::Text("x".into()),
                        })
                        .collect(),
                },
            })
            .collect();
        Dataset {
            split: Split::Val,
            tables,
            examples,
        }
    }

    #[test]
    fn anchor_first_then_new_features_then_fill_whole_tables() {
        let mut qs = vec![("1-1-1", None); 60];
        qs.extend([(ANCHOR_TABLE, None); 3]);
        qs.extend([("1-1-2", None); 50]);
        qs.extend([("1-1-3", Some(CondOp::Gt)); 2]);
        qs.extend([("1-1-4", None); 30]);
        let val = select_val(&dataset(&qs)).unwrap();
        let ids: Vec<&str> = val.tables.keys().map(String::as_str).collect();
        // anchor (3) + 1-1-3 for its ">" (2) + 1-1-1 (60) + 1-1-4 (30); 1-1-2 (50) no longer fits.
        assert_eq!(ids, vec!["1-1-1", "1-1-3", "1-1-4", ANCHOR_TABLE]);
        assert_eq!(val.examples.len(), 95);
        assert_eq!(val.examples[0].question, "q0", "questions keep file order");
    }

    #[test]
    fn val_sample_needs_the_anchor() {
        let err = select_val(&dataset(&[("1-1-1", None)])).unwrap_err();
        assert!(err.to_string().contains(ANCHOR_TABLE));
    }
}
