//! Counting scored questions into accuracies, and printing them as a table.

use super::score::SlotMatches;
use serde::Serialize;
use std::fmt;

/// How one question scored.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ExampleScore {
    /// Slot matches of the predicted query (all false when there is none).
    pub slots: SlotMatches,
    /// The official execution match.
    pub execution: bool,
    /// Why the prediction gave no result: an error line, or SQL that failed to build or run.
    pub prediction_error: Option<String>,
    /// Why the gold query gave no result (a data problem; execution then counts as wrong).
    pub gold_error: Option<String>,
    /// The gold query returns nothing (no rows, or one NULL).
    pub gold_empty: bool,
}

/// Questions counted per metric: how many were right.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SlotCounts {
    pub logical_form: usize,
    pub execution: usize,
    pub sel: usize,
    pub agg: usize,
    pub where_count: usize,
    pub where_columns: usize,
    pub where_ops: usize,
    pub where_values: usize,
}

/// The same metrics as fractions of all questions (0 when there are none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct SlotAccuracy {
    pub logical_form: f64,
    pub execution: f64,
    pub sel: f64,
    pub agg: f64,
    pub where_count: f64,
    pub where_columns: f64,
    pub where_ops: f64,
    pub where_values: f64,
}

/// The result of scoring a prediction set against a split.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EvalReport {
    pub questions: usize,
    pub correct: SlotCounts,
    pub accuracy: SlotAccuracy,
    pub prediction_errors: usize,
    /// Predictions outside WikiSQL's sketch (a query with a new clause), all scored wrong.
    pub outside_sketch: usize,
    pub gold_errors: usize,
    pub gold_empty: usize,
}

impl EvalReport {
    /// Counts `scores` into a report.
    pub fn from_scores<'a>(scores: impl IntoIterator<Item = &'a ExampleScore>) -> EvalReport {
        let mut r = EvalReport::default();
        for s in scores {
            r.questions += 1;
            let c = &mut r.correct;
            let m = &s.slots;
            c.logical_form += usize::from(m.logical_form);
            c.execution += usize::from(s.execution);
            c.sel += usize::from(m.sel);
            c.agg += usize::from(m.agg);
            c.where_count += usize::from(m.where_count);
            c.where_columns += usize::from(m.where_columns);
            c.where_ops += usize::from(m.where_ops);
            c.where_values += usize::from(m.where_values);
            r.prediction_errors += usize::from(s.prediction_error.is_some());
            r.outside_sketch += usize::from(
                s.prediction_error.as_deref() == Some(super::predictions::OUTSIDE_SKETCH),
            );
            r.gold_errors += usize::from(s.gold_error.is_some());
            r.gold_empty += usize::from(s.gold_empty);
        }
        let frac = |n: usize| {
            if r.questions == 0 {
                0.0
            } else {
                n as f64 / r.questions as f64
            }
        };
        let c = r.correct;
        r.accuracy = SlotAccuracy {
            logical_form: frac(c.logical_form),
            execution: frac(c.execution),
            sel: frac(c.sel),
            agg: frac(c.agg),
            where_count: frac(c.where_count),
            where_columns: frac(c.where_columns),
            where_ops: frac(c.where_ops),
            where_values: frac(c.where_values),
        };
        r
    }

    /// (label, correct, accuracy) per metric, in the order the table prints them.
    pub fn rows(&self) -> [(&'static str, usize, f64); 8] {
        let (c, a) = (&self.correct, &self.accuracy);
        [
            ("logical form (LF)", c.logical_form, a.logical_form),
            ("execution (EX)", c.execution, a.execution),
            ("select column", c.sel, a.sel),
            ("aggregation", c.agg, a.agg),
            ("where count", c.where_count, a.where_count),
            ("where columns", c.where_columns, a.where_columns),
            ("where operators", c.where_ops, a.where_ops),
            ("where values", c.where_values, a.where_values),
        ]
    }
}

/// A readable table of the report.
pub fn format_report(report: &EvalReport) -> String {
    report.to_string()
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<20} {:>9} {:>9}", "metric", "correct", "accuracy")?;
        for (label, correct, acc) in self.rows() {
            writeln!(f, "{label:<20} {correct:>9} {:>8.2}%", acc * 100.0)?;
        }
        writeln!(f, "{:<20} {:>9}", "questions", self.questions)?;
        writeln!(
            f,
            "{:<20} {:>9}",
            "prediction errors", self.prediction_errors
        )?;
        writeln!(f, "{:<20} {:>9}", "  outside sketch", self.outside_sketch)?;
        writeln!(f, "{:<20} {:>9}", "gold errors", self.gold_errors)?;
        write!(f, "{:<20} {:>9}", "gold results empty", self.gold_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_prints() {
        let right = ExampleScore {
            slots: SlotMatches {
                sel: true,
                agg: true,
                where_count: true,
                where_columns: true,
                where_ops: true,
                where_values: true,
                logical_form: true,
            },
            execution: true,
            ..Default::default()
        };
        let wrong = ExampleScore {
            prediction_error: Some("no answer".into()),
            gold_empty: true,
            ..Default::default()
        };
        let r = EvalReport::from_scores([&right, &wrong, &right, &right]);
        assert_eq!(r.questions, 4);
        assert_eq!(r.correct.logical_form, 3);
        assert_eq!(r.accuracy.execution, 0.75);
        assert_eq!(
            (r.prediction_errors, r.gold_empty, r.gold_errors),
            (1, 1, 0)
        );
        let table = r.to_string();
        assert!(
            table.contains("logical form (LF)            3    75.00%"),
            "{table}"
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["correct"]["where_ops"], 3);
        assert_eq!(EvalReport::from_scores([]).accuracy.sel, 0.0);
    }
}
