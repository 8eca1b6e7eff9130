//! Portable SQL against today's: for every question of a split, the rows of the predicted query
//! as the portable SQL (`lower()`, exact cells; what `ask`, `serve` and `predict` run) returns
//! them, against the rows of the same query under the official engine's Unicode folding
//! (`sqlcoder_fold`, what was run and shown before). With a second prediction file (made before
//! the change, by the same model and decoding), also counts the questions whose final answer
//! changed, since guided decoding runs its candidates in the portable SQL too.
//!
//! `cargo run --release --example portable_sql -- DATA SPLIT PREDICTIONS.jsonl [BEFORE.jsonl] OUT.json`
//! (experiments/portable_sql.sh runs `predict` and this on val and test).

use serde_json::{json, Value};
use sqlcoder_data::{self as data, Split};
use sqlcoder_eval::read_predictions;
use sqlcoder_sql::{assemble, display, Dialect, Executor, SqlValue};
use std::path::Path;

/// Differences listed in the output (all are counted).
const LISTED: usize = 100;

fn rows_json(rows: &Result<Vec<SqlValue>, String>) -> Value {
    match rows {
        Ok(r) => json!(r.iter().map(|v| v.to_string()).collect::<Vec<_>>()),
        Err(e) => json!({ "error": e }),
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (data_dir, split, preds, before, out) = match args.as_slice() {
        [d, s, p, o] => (d, s, p, None, o),
        [d, s, p, b, o] => (d, s, p, Some(b), o),
        _ => anyhow::bail!("usage: portable_sql DATA SPLIT PREDICTIONS [BEFORE] OUT.json"),
    };
    let split: Split = split.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let ds = data::load_split(Path::new(data_dir), split)?;
    let db = data::db_path(Path::new(data_dir), split);
    let portable = Executor::open(&db)?;
    let official = Executor::open(&db)?.with_official_folding();
    let preds = read_predictions(Path::new(preds), ds.examples.len())?;
    let before = before
        .map(|b| read_predictions(Path::new(b), ds.examples.len()))
        .transpose()?;

    let (mut sql_differs, mut answer_differs, mut query_differs) = (0usize, 0usize, 0usize);
    let (mut exact_cells, mut listed) = (0usize, Vec::new());
    for (i, (example, pred)) in ds.examples.iter().zip(&preds).enumerate() {
        let table = ds.table_of(example)?;
        let Ok(query) = pred else { continue };
        let stmt = assemble(query, table, Dialect::Sqlite)?;
        // A text condition without lower() names exact cells.
        let folded = assemble(query, table, Dialect::SqliteFold)?;
        if stmt.sql.matches("lower(").count() < folded.sql.matches("sqlcoder_fold(").count() {
            exact_cells += 1;
        }
        // A sketch query selects one item: one value per row.
        let rows = portable
            .run(&stmt)
            .map(|rows| {
                rows.into_iter()
                    .filter_map(|r| r.into_iter().next())
                    .collect()
            })
            .map_err(|e| format!("{e:#}"));
        let today = official.run_query(query, table);
        let before_query = before.as_ref().and_then(|b| b[i].as_ref().ok());
        let before_rows = before_query.map(|q| official.run_query(q, table));
        let same_sql = rows == today;
        let same_answer = before_rows.as_ref().is_none_or(|b| *b == rows);
        sql_differs += usize::from(!same_sql);
        answer_differs += usize::from(!same_answer);
        query_differs += usize::from(before_query.is_some_and(|q| q != query));
        if (!same_sql || !same_answer) && listed.len() < LISTED {
            listed.push(json!({
                "index": i,
                "table_id": example.table_id,
                "question": example.question,
                "sql": display(&stmt),
                "rows": rows_json(&rows),
                "rows_today": rows_json(&today),
                "rows_before": before_rows.as_ref().map(rows_json),
                "before_sql": before_query
                    .map(|q| display(&assemble(q, table, Dialect::SqliteFold).expect("assembled before"))),
            }));
        }
    }
    let n = ds.examples.len();
    let share = |k: usize| 100.0 * k as f64 / n.max(1) as f64;
    let report = json!({
        "split": split.name(),
        "questions": n,
        "same_query_rows_differ": sql_differs,
        "same_query_rows_differ_pct": share(sql_differs),
        "conditions_as_exact_cells": exact_cells,
        "before": before.is_some(),
        "queries_changed_by_portable_guidance": query_differs,
        "answers_differ_from_before": answer_differs,
        "answers_differ_from_before_pct": share(answer_differs),
        "differences": listed,
    });
    std::fs::write(out, serde_json::to_string_pretty(&report)? + "\n")?;
    println!(
        "{}: {n} questions; same query, rows differ: {sql_differs} ({:.3}%); \
         queries using exact cells: {exact_cells}; guidance chose another query: {query_differs}; \
         answers differ from before: {answer_differs} ({:.3}%)",
        split.name(),
        share(sql_differs),
        share(answer_differs)
    );
    Ok(())
}
