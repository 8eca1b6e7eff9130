//! Scoring a whole split: every prediction against its gold query, in parallel.

use super::predictions::{read_predictions, Prediction};
use super::report::{EvalReport, ExampleScore};
use super::score::{is_empty_result, results_match, slot_matches};
use anyhow::{anyhow, Context, Result};
use rayon::prelude::*;
use sqlcoder_data::types::{Example, Query, Table};
use sqlcoder_sql::Executor;
use std::collections::BTreeMap;
use std::path::Path;

/// Scores the predictions in `preds` (official format, one line per example; `None`: the gold
/// queries themselves, a check of the data and the scorer) against `examples`, executing on `db`.
pub fn run_eval(
    examples: &[Example],
    tables: &BTreeMap<String, Table>,
    db: &Path,
    preds: Option<&Path>,
) -> Result<EvalReport> {
    let preds: Vec<Prediction> = match preds {
        Some(path) => read_predictions(path, examples.len())?,
        None => examples.iter().map(|e| Ok(e.query.clone())).collect(),
    };
    let scores = score_predictions(examples, tables, db, &preds)?;
    Ok(EvalReport::from_scores(&scores))
}

/// Scores each prediction against its example (same order, same length), one [`Executor`] per
/// worker thread. Unknown table ids and an unopenable database are errors; everything a
/// prediction can get wrong is a score.
pub fn score_predictions(
    examples: &[Example],
    tables: &BTreeMap<String, Table>,
    db: &Path,
    preds: &[Prediction],
) -> Result<Vec<ExampleScore>> {
    anyhow::ensure!(
        examples.len() == preds.len(),
        "{} predictions for {} questions",
        preds.len(),
        examples.len()
    );
    let with_tables = examples
        .iter()
        .map(|e| {
            tables.get(&e.table_id).map(|t| (e, t)).ok_or_else(|| {
                anyhow!(
                    "question {:?} names unknown table {:?}",
                    e.question,
                    e.table_id
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Scoring keeps the official engine's Unicode text folding (`sqlcoder_fold`), which the
    // portable SQL shown to users approximates with `lower()`.
    let open = || Executor::open(db).map(Executor::with_official_folding);
    open().context("cannot score")?;
    with_tables
        .par_iter()
        .zip(preds)
        .with_min_len(64)
        .map_init(open, |exec, ((example, table), pred)| match exec {
            Ok(exec) => Ok(score_example(exec, table, &example.query, pred)),
            Err(e) => Err(anyhow!("cannot open {}: {e:#}", db.display())),
        })
        .collect()
}

/// Scores one prediction: per-slot matches, the official logical form, and execution.
pub fn score_example(
    exec: &Executor,
    table: &Table,
    gold: &Query,
    pred: &Prediction,
) -> ExampleScore {
    let run = |q: &Query| exec.run_query(q, table);
    let gold_result = run(gold);
    let mut score = ExampleScore {
        gold_empty: gold_result.as_deref().is_ok_and(is_empty_result),
        gold_error: gold_result.as_ref().err().cloned(),
        ..Default::default()
    };
    let pred = match pred {
        Ok(q) => q,
        Err(e) => {
            score.prediction_error = Some(e.clone());
            return score;
        }
    };
    score.slots = slot_matches(gold, pred);
    // Gold as prediction (or an identical one) needs no second run.
    let pred_result = if pred == gold {
        gold_result.clone()
    } else {
        run(pred)
    };
    match (&gold_result, pred_result) {
        (Ok(g), Ok(p)) => score.execution = results_match(g, &p),
        (_, Err(e)) => score.prediction_error = Some(e),
        (Err(_), Ok(_)) => {}
    }
    score
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::predictions::write_predictions;
    use sqlcoder_data::types::{Agg, ColumnType, CondOp};
    use sqlcoder_sql::schema::build_db;

    fn table() -> Table {
        Table::new(
            "1-5",
            &["Team", "Wins", "Coach"],
            &[ColumnType::Text, ColumnType::Real, ColumnType::Text],
            vec![
                vec!["Lions".into(), 10.0.into(), "Ann".into()],
                vec!["Bears".into(), 4.0.into(), "Bob".into()],
                vec!["Hawks".into(), 10.0.into(), "ann".into()],
            ],
        )
    }

    fn q(sel: usize, agg: Agg, conds: &[(usize, CondOp, &str)]) -> Query {
        Query::with_text_conds(sel, agg, conds)
    }

    fn example(query: Query) -> Example {
        Example {
            table_id: "1-5".into(),
            question: "?".into(),
            query,
        }
    }

    #[test]
    fn scores_a_small_split_from_a_prediction_file() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("val.db");
        build_db(&db, &[&table()]).unwrap();
        let tables = BTreeMap::from([("1-5".to_string(), table())]);
        let examples = vec![
            example(q(0, Agg::None, &[(1, CondOp::Eq, "10")])),
            example(q(2, Agg::None, &[(0, CondOp::Eq, "Bears")])),
            example(q(1, Agg::Max, &[])),
            example(q(0, Agg::None, &[(2, CondOp::Eq, "Zed")])),
        ];
        let preds: Vec<Prediction> = vec![
            // Right rows, different query: EX yes, LF no.
            Ok(q(0, Agg::None, &[(2, CondOp::Eq, "ANN")])),
            // Same logical form up to case.
            Ok(q(2, Agg::None, &[(0, CondOp::Eq, "bears")])),
            Err("model gave up".into()),
            // Column 7 does not exist: a prediction error, not a failure of the run.
            Ok(q(7, Agg::None, &[])),
        ];
        let path = dir.path().join("preds.jsonl");
        write_predictions(&path, &preds).unwrap();
        let r = run_eval(&examples, &tables, &db, Some(&path)).unwrap();
        assert_eq!(r.questions, 4);
        assert_eq!(r.correct.execution, 2);
        assert_eq!(r.correct.logical_form, 1);
        assert_eq!(r.correct.sel, 2);
        assert_eq!(r.correct.where_columns, 1);
        assert_eq!(r.prediction_errors, 2);
        assert_eq!(r.gold_empty, 1);

        let gold = run_eval(&examples, &tables, &db, None).unwrap();
        assert_eq!((gold.correct.execution, gold.correct.logical_form), (4, 4));
        assert_eq!(gold.correct.where_values, 4);
    }

    #[test]
    fn unknown_tables_and_missing_databases_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("val.db");
        let tables = BTreeMap::from([("1-5".to_string(), table())]);
        let mut ex = example(q(0, Agg::None, &[]));
        let err = run_eval(std::slice::from_ref(&ex), &tables, &db, None).unwrap_err();
        assert!(format!("{err:#}").contains("not found"), "{err:#}");
        build_db(&db, &[&table()]).unwrap();
        ex.table_id = "2-2".into();
        let err = run_eval(&[ex], &tables, &db, None).unwrap_err();
        assert!(err.to_string().contains("\"2-2\""), "{err}");
    }
}
