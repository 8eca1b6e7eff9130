//! The scorer on the real dev split: gold scores 100%, predictions that differ from gold only in
//! ways the official semantics ignore (value case, condition order) score 100% as well, and the
//! share of gold queries with an empty result is the documented ~8%.

use crate::support;

use sqlcoder_data::types::CondValue;
use sqlcoder_eval::{run_eval, write_predictions, Prediction};
use sqlcoder_sql::schema::build_db;

#[test]
fn dev_gold_and_equivalent_predictions_score_full_marks() {
    let examples = support::examples("dev");
    let tables = support::tables("dev");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dev.db");
    build_db(&db, &tables.values().collect::<Vec<_>>()).unwrap();

    let gold = run_eval(&examples, &tables, &db, None).unwrap();
    assert_eq!(gold.questions, 8421);
    assert_eq!(gold.gold_errors, 0);
    assert_eq!(gold.correct.execution, 8421);
    assert_eq!(gold.correct.logical_form, 8421);
    let empty = gold.gold_empty as f64 / 8421.0;
    assert!((0.06..0.10).contains(&empty), "{empty}");

    let equivalent: Vec<Prediction> = examples
        .iter()
        .map(|e| {
            let mut q = e.query.clone();
            q.conds.reverse();
            for c in &mut q.conds {
                // Upper case where that is invertible by lowercasing ("Şımarık" is not: ı → I → i).
                if let CondValue::Text(s) = &c.value {
                    let upper = s.to_uppercase();
                    if upper.to_lowercase() == s.to_lowercase() {
                        c.value = CondValue::Text(upper);
                    }
                }
            }
            Ok(q)
        })
        .collect();
    let preds = dir.path().join("preds.jsonl");
    write_predictions(&preds, &equivalent).unwrap();
    let report = run_eval(&examples, &tables, &db, Some(&preds)).unwrap();
    eprintln!("{report}");
    assert_eq!(report.correct.logical_form, 8421);
    assert_eq!(report.correct.execution, 8421);
    assert_eq!(report.prediction_errors, 0);
}
