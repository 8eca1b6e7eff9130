//! Scoring a part of our own family questions (`data/ood/source`, [`FamilyPart`]) and the
//! per-shape table `eval --family` prints. A question's shape is its gold query's
//! ([`FamilyQuery::shapes`]); questions outside the family are right when the answer is
//! "Not sure" (no query).

use super::family::{gold_result, score_rows, FamilyMatch};
use anyhow::{bail, Context, Result};
use serde::Serialize;
use serde_json::Value;
use sqlcoder_data::ood::FamilyPart;
use sqlcoder_data::types::{FamilyQuery, Shape};
use sqlcoder_sql::own::MemoryDb;
use std::path::Path;

/// A prediction for one family question: a query, or why there is none ("Not sure" included).
pub type FamilyPrediction = std::result::Result<FamilyQuery, String>;

/// One prediction line: `family` when present, else the official `query` widened, else the
/// `error` (a line may carry `query: null` beside its `family`).
pub fn parse_family_prediction_line(line: &str) -> std::result::Result<FamilyPrediction, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    if let Some(Value::String(e)) = obj.get("error").filter(|e| e.as_str() != Some("")) {
        return Ok(Err(e.clone()));
    }
    if let Some(f) = obj.get("family").filter(|f| !f.is_null()) {
        return serde_json::from_value(f.clone())
            .map(Ok)
            .map_err(|e| format!("\"family\": {e}"));
    }
    match obj.get("query").filter(|q| !q.is_null()) {
        Some(q) => Ok(super::predictions::query_from_json(q)?.map(|q| FamilyQuery::from(&q))),
        None => Err("neither \"family\", \"query\" nor \"error\"".into()),
    }
}

/// One question's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct FamilyScore {
    pub table_id: String,
    pub question: String,
    /// Shape names of the gold; empty for a question outside the family.
    pub shapes: Vec<&'static str>,
    /// A query was given (not "Not sure").
    pub answered: bool,
    pub matched: FamilyMatch,
    /// Why the prediction has no rows (its error, or the query's failure).
    pub error: Option<String>,
}

/// One row of the per-shape table.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ShapeRow {
    pub shape: &'static str,
    pub questions: usize,
    pub answered: usize,
    pub exact: usize,
    /// Answered (not "Not sure") and not exact: confident and wrong.
    pub answered_wrong: usize,
    pub gold_columns_within: usize,
    pub columns_other_order: usize,
}

impl ShapeRow {
    fn add(&mut self, s: &FamilyScore) {
        self.questions += 1;
        self.answered += usize::from(s.answered);
        self.exact += usize::from(s.matched.exact);
        self.answered_wrong += usize::from(s.answered && !s.matched.exact);
        self.gold_columns_within += usize::from(s.matched.gold_columns_within);
        self.columns_other_order += usize::from(s.matched.columns_other_order);
    }
}

/// The part's results: every family question, per shape, and the outside ones.
#[derive(Clone, Debug, Serialize)]
pub struct FamilyReport {
    pub all: ShapeRow,
    pub by_shape: Vec<ShapeRow>,
    /// Questions outside the family and how many got "Not sure".
    pub outside: usize,
    pub outside_not_sure: usize,
    pub scores: Vec<FamilyScore>,
}

/// Scores `preds` (one per question of `part`, in its order) by execution on an in-memory copy
/// of the part's tables.
pub fn score_family_part(part: &FamilyPart, preds: &[FamilyPrediction]) -> Result<FamilyReport> {
    if preds.len() != part.examples.len() {
        bail!(
            "{} predictions for {} questions",
            preds.len(),
            part.examples.len()
        );
    }
    let tables: Vec<_> = part.tables.iter().collect();
    let db = MemoryDb::build(&tables, Path::new("the family questions' tables"))?;
    let exec = db.executor()?;
    let mut scores = Vec::with_capacity(preds.len());
    for (ex, pred) in part.examples.iter().zip(preds) {
        let table = part.table(&ex.table_id).context("unknown table")?;
        let mut score = FamilyScore {
            table_id: ex.table_id.clone(),
            question: ex.question.clone(),
            shapes: Vec::new(),
            answered: pred.is_ok(),
            matched: FamilyMatch::default(),
            error: pred.as_ref().err().cloned(),
        };
        if let Some(gold) = &ex.gold {
            score.shapes = gold.shapes(table).into_iter().map(Shape::name).collect();
            let expected = gold_result(&exec, gold, table)
                .map_err(|e| anyhow::anyhow!("the gold of {:?} fails: {e}", ex.question))?;
            if let Ok(query) = pred {
                match exec.run_family(query, table) {
                    Ok(rows) => score.matched = score_rows(&expected, &rows.rows),
                    Err(e) => score.error = Some(e),
                }
            }
        }
        scores.push(score);
    }
    let mut all = ShapeRow {
        shape: "all family questions",
        ..ShapeRow::default()
    };
    let mut by_shape: Vec<ShapeRow> = Shape::ALL
        .iter()
        .map(|s| ShapeRow {
            shape: s.name(),
            ..ShapeRow::default()
        })
        .collect();
    let (mut outside, mut outside_not_sure) = (0, 0);
    for (s, ex) in scores.iter().zip(&part.examples) {
        if ex.gold.is_none() {
            outside += 1;
            outside_not_sure += usize::from(!s.answered);
            continue;
        }
        all.add(s);
        for row in by_shape.iter_mut().filter(|r| s.shapes.contains(&r.shape)) {
            row.add(s);
        }
    }
    Ok(FamilyReport {
        all,
        by_shape,
        outside,
        outside_not_sure,
        scores,
    })
}

/// The per-shape table as markdown.
pub fn format_family_report(r: &FamilyReport) -> String {
    let pct = |n: usize, d: usize| {
        if d == 0 {
            "-".to_string()
        } else {
            format!("{:.1}", 100.0 * n as f64 / d as f64)
        }
    };
    let mut out = String::from(
        "| shape | questions | answered % | EX % | answered and wrong % | gold columns within % | same columns, other order % |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in std::iter::once(&r.all).chain(r.by_shape.iter().filter(|r| r.questions > 0)) {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            row.shape,
            row.questions,
            pct(row.answered, row.questions),
            pct(row.exact, row.questions),
            pct(row.answered_wrong, row.questions),
            pct(row.gold_columns_within, row.questions),
            pct(row.columns_other_order, row.questions),
        ));
    }
    out.push_str(&format!(
        "\nOutside the family: {} questions, \"Not sure\" on {} ({}%).\n",
        r.outside,
        r.outside_not_sure,
        pct(r.outside_not_sure, r.outside)
    ));
    out
}
