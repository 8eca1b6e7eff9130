//! Prediction files in the official WikiSQL format: one JSON line per question, in the split's
//! order, `{"query": {"sel": 3, "agg": 0, "conds": [[5, 0, "Butler CC (KS)"]]}, "family": …}` or
//! `{"error": "…"}` for a question the model could not answer. `family` is the same query in the
//! query family's JSON form (`data/ood/FAMILY.md`); a query beyond the sketch also carries
//! `sketch_prob`, the probability the model's clause heads gave the sketch's shape. Readers (ours
//! and the official script) ignore keys other than `query` and `error`.

use anyhow::{bail, Context, Result};
use serde::Serialize;
use serde_json::Value;
use sqlcoder_data::io::AtomicFile;
use sqlcoder_data::types::{Agg, Cond, CondOp, CondValue, FamilyQuery, Query};
use std::io::Write;
use std::path::Path;

/// A model's answer to one question as WikiSQL scores it: its query, or why it has none (a query
/// beyond the sketch reads back as [`OUTSIDE_SKETCH`]).
pub type Prediction = std::result::Result<Query, String>;

/// One line as `predict` writes it: a query inside WikiSQL's sketch, a query beyond it (written
/// `"query": null` beside its `family` and `sketch_prob`: WikiSQL's scoring counts it wrong), or
/// why there is none.
#[derive(Clone, Debug, PartialEq)]
pub enum PredictionLine {
    Sketch(Query),
    Beyond {
        family: FamilyQuery,
        sketch_prob: f32,
    },
    Error(String),
}

impl From<&Prediction> for PredictionLine {
    fn from(pred: &Prediction) -> Self {
        match pred {
            Ok(q) => PredictionLine::Sketch(q.clone()),
            Err(e) => PredictionLine::Error(e.clone()),
        }
    }
}

/// A query as the official format writes it, fields in the official order.
#[derive(Serialize)]
struct OfficialQuery<'a> {
    sel: usize,
    agg: usize,
    conds: Vec<(usize, usize, &'a CondValue)>,
}

impl<'a> From<&'a Query> for OfficialQuery<'a> {
    fn from(q: &'a Query) -> Self {
        OfficialQuery {
            sel: q.sel,
            agg: q.agg.index(),
            conds: q
                .conds
                .iter()
                .map(|c| (c.col, c.op.index(), &c.value))
                .collect(),
        }
    }
}

/// One line of a prediction file: `query` (null beyond the sketch) and `family`, or `error`.
#[derive(Serialize)]
struct OfficialLine<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    query: Option<Option<OfficialQuery<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    family: Option<FamilyQuery>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sketch_prob: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

impl<'a> From<&'a PredictionLine> for OfficialLine<'a> {
    fn from(line: &'a PredictionLine) -> Self {
        match line {
            PredictionLine::Sketch(q) => OfficialLine {
                query: Some(Some(q.into())),
                family: Some(FamilyQuery::from(q)),
                sketch_prob: None,
                error: None,
            },
            PredictionLine::Beyond {
                family,
                sketch_prob,
            } => OfficialLine {
                query: Some(None),
                family: Some(family.clone()),
                sketch_prob: Some(*sketch_prob),
                error: None,
            },
            PredictionLine::Error(e) => OfficialLine {
                query: None,
                family: None,
                sketch_prob: None,
                error: Some(e),
            },
        }
    }
}

/// The official JSON object of a query: `{"sel": …, "agg": …, "conds": [[col, op, value], …]}`.
pub fn query_to_json(q: &Query) -> Value {
    serde_json::to_value(OfficialQuery::from(q)).expect("a query always serialises")
}

/// Reads a query object. `Err(Malformed)` when it is not shaped like one (missing keys, wrong JSON
/// types); `Ok(Err(reason))` when it is shaped right but names an aggregation or operator index
/// outside WikiSQL's lists: the official script scores such a query wrong instead of stopping.
pub fn query_from_json(v: &Value) -> std::result::Result<Prediction, String> {
    let index = |v: &Value, what: &str| -> std::result::Result<usize, String> {
        v.as_u64()
            .and_then(|i| usize::try_from(i).ok())
            .ok_or_else(|| format!("{what} must be a non-negative integer, found {v}"))
    };
    let obj = v
        .as_object()
        .ok_or_else(|| format!("\"query\" must be an object, found {v}"))?;
    let field = |k: &str| obj.get(k).ok_or_else(|| format!("\"query\" has no {k:?}"));
    let sel = index(field("sel")?, "\"sel\"")?;
    let agg_index = index(field("agg")?, "\"agg\"")?;
    let raw_conds = field("conds")?
        .as_array()
        .ok_or("\"conds\" must be a list of [column, operator, value]")?;
    let mut conds = Vec::with_capacity(raw_conds.len());
    let mut bad_op = None;
    for c in raw_conds {
        let triple = c
            .as_array()
            .filter(|t| t.len() == 3)
            .ok_or_else(|| format!("a condition must be [column, operator, value], found {c}"))?;
        let col = index(&triple[0], "a condition column")?;
        let op_index = index(&triple[1], "a condition operator")?;
        let value = match &triple[2] {
            Value::String(s) => CondValue::Text(s.clone()),
            Value::Number(n) => CondValue::Number(n.clone()),
            other => {
                return Err(format!(
                    "a condition value must be a string or a number, found {other}"
                ))
            }
        };
        match CondOp::from_index(op_index) {
            Some(op) => conds.push(Cond { col, op, value }),
            None => bad_op = Some(op_index),
        }
    }
    let Some(agg) = Agg::from_index(agg_index) else {
        return Ok(Err(format!(
            "aggregation index {agg_index} is not one of WikiSQL's 0..=5"
        )));
    };
    if let Some(op) = bad_op {
        return Ok(Err(format!(
            "operator index {op} is not one of WikiSQL's 0..=2"
        )));
    }
    Ok(Ok(Query { sel, agg, conds }))
}

/// One line of a prediction file. A non-empty `"error"` wins over `"query"` (as in the official
/// script, where lines may carry both, with `"error": ""` for none); other keys are ignored.
pub fn parse_prediction_line(line: &str) -> std::result::Result<Prediction, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    match obj.get("error") {
        Some(Value::String(e)) if !e.is_empty() => return Ok(Err(e.clone())),
        Some(Value::Null | Value::String(_)) | None => {}
        Some(other) => return Ok(Err(other.to_string())),
    }
    match (obj.get("query"), obj.get("family")) {
        // A query outside WikiSQL's sketch: WikiSQL's scoring counts it wrong.
        (Some(Value::Null) | None, Some(f)) if !f.is_null() => Ok(Err(OUTSIDE_SKETCH.into())),
        (Some(q), _) => query_from_json(q),
        (None, _) => Err("neither \"query\" nor \"error\"".into()),
    }
}

/// The reason a prediction holding a query outside WikiSQL's sketch (`"query": null` beside
/// its `"family"`) is scored wrong on WikiSQL; `eval` counts these.
pub const OUTSIDE_SKETCH: &str = "the predicted query is outside WikiSQL's sketch";

/// Reads a prediction file holding exactly `expected` lines; a malformed line is an error naming
/// its line number.
pub fn read_predictions(path: &Path, expected: usize) -> Result<Vec<Prediction>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read predictions {}", path.display()))?;
    let mut preds = Vec::with_capacity(expected);
    for (i, line) in text.lines().enumerate() {
        let pred = parse_prediction_line(line).map_err(|e| {
            anyhow::anyhow!("{}:{}: malformed prediction: {e}", path.display(), i + 1)
        })?;
        preds.push(pred);
    }
    if preds.len() != expected {
        bail!(
            "{} has {} predictions but the split has {expected} questions (one line per question, in order)",
            path.display(),
            preds.len()
        );
    }
    Ok(preds)
}

/// Writes predictions in the official format, atomically ([`AtomicFile`]: on any failure
/// neither the file nor its temporary name is left, and the error names the path).
pub fn write_predictions<L: Into<PredictionLine>>(
    path: &Path,
    lines: impl IntoIterator<Item = L>,
) -> Result<()> {
    let write = || -> Result<()> {
        let mut out = AtomicFile::create(path)?;
        for line in lines {
            serde_json::to_writer(&mut out, &OfficialLine::from(&line.into()))?;
            out.write_all(b"\n")?;
        }
        out.commit()
    };
    write().with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Prediction> {
        vec![
            Ok(Query {
                sel: 3,
                agg: Agg::Count,
                conds: vec![
                    Cond {
                        col: 5,
                        op: CondOp::Eq,
                        value: CondValue::Text("Butler \"CC\" (KS)".into()),
                    },
                    Cond {
                        col: 1,
                        op: CondOp::Gt,
                        value: CondValue::Number(serde_json::Number::from_f64(2.5).unwrap()),
                    },
                ],
            }),
            Err("no column fits".into()),
            Ok(Query {
                sel: 0,
                agg: Agg::None,
                conds: vec![],
            }),
        ]
    }

    #[test]
    fn written_predictions_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out/preds.jsonl");
        write_predictions(&path, &sample()).unwrap();
        assert!(!dir.path().join("out/preds.jsonl.tmp").exists());
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text.lines().next().unwrap(),
            concat!(
                r#"{"query":{"sel":3,"agg":3,"conds":[[5,0,"Butler \"CC\" (KS)"],[1,1,2.5]]},"#,
                r#""family":{"select":[{"agg":"count","col":3}],"#,
                r#""where":[{"col":5,"op":"=","value":"Butler \"CC\" (KS)"},{"col":1,"op":">","value":2.5}]}}"#
            )
        );
        assert_eq!(
            text.lines().nth(1).unwrap(),
            r#"{"error":"no column fits"}"#
        );
        assert_eq!(read_predictions(&path, 3).unwrap(), sample());
    }

    #[test]
    fn a_query_beyond_the_sketch_is_written_with_a_null_query_and_read_back_as_outside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("preds.jsonl");
        let beyond: FamilyQuery = serde_json::from_str(
            r#"{"select":[{"col":0},{"agg":"count","col":null}],"group_by":0}"#,
        )
        .unwrap();
        let lines = [
            PredictionLine::Beyond {
                family: beyond.clone(),
                sketch_prob: 0.25,
            },
            PredictionLine::from(&sample()[0]),
        ];
        write_predictions(&path, lines).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(first["query"], Value::Null);
        assert_eq!(first["sketch_prob"], 0.25);
        assert_eq!(
            serde_json::from_value::<FamilyQuery>(first["family"].clone()).unwrap(),
            beyond
        );
        let read = read_predictions(&path, 2).unwrap();
        assert_eq!(read[0], Err(OUTSIDE_SKETCH.to_string()));
        assert_eq!(read[1], sample()[0]);
    }

    #[test]
    fn official_lines_with_extra_keys_parse() {
        let line = r#"{"query": {"sel": 1, "agg": 0, "conds": [[0, 2, 7]]}, "error": "", "table_id": "1-2"}"#;
        let q = parse_prediction_line(line).unwrap().unwrap();
        assert_eq!(q.conds[0].value, CondValue::Number(7.into()));
        let err = parse_prediction_line(
            r#"{"query": {"sel": 1, "agg": 0, "conds": []}, "error": "boom"}"#,
        );
        assert_eq!(err, Ok(Err("boom".into())));
        let bad_agg =
            parse_prediction_line(r#"{"query": {"sel": 1, "agg": 9, "conds": []}}"#).unwrap();
        assert!(bad_agg.unwrap_err().contains("aggregation index 9"));
        let bad_op =
            parse_prediction_line(r#"{"query": {"sel": 1, "agg": 0, "conds": [[0, 3, "x"]]}}"#)
                .unwrap();
        assert!(bad_op.unwrap_err().contains("operator index 3"));
    }

    /// Lines carry the family form beside `query`; reading takes `query` and ignores `family`
    /// (as the official script does), whatever it holds.
    #[test]
    fn lines_with_a_family_parse() {
        let line = r#"{"query": {"sel": 2, "agg": 3, "conds": [[0, 0, "x"]]}, "family": {"select": [{"agg": "count", "col": 2}], "where": [{"col": 0, "op": "=", "value": "x"}]}}"#;
        let q = parse_prediction_line(line).unwrap().unwrap();
        assert_eq!((q.sel, q.agg, q.conds.len()), (2, Agg::Count, 1));
        let v: Value = serde_json::from_str(line).unwrap();
        let family: FamilyQuery = serde_json::from_value(v["family"].clone()).unwrap();
        assert_eq!(family, FamilyQuery::from(&q));
        let odd = r#"{"query": {"sel": 0, "agg": 0, "conds": []}, "family": {"select": [], "limit": 3, "x": 1}}"#;
        assert!(parse_prediction_line(odd).unwrap().is_ok());
        // A query with a new clause has no official form: scored wrong, and counted.
        let wider = r#"{"query": null, "family": {"select": [{"col": 0}], "order_by": {"col": 1, "dir": "desc"}, "limit": 1}}"#;
        assert_eq!(
            parse_prediction_line(wider).unwrap().unwrap_err(),
            OUTSIDE_SKETCH
        );
    }

    #[test]
    fn malformed_lines_and_wrong_counts_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        let good = r#"{"query": {"sel": 0, "agg": 0, "conds": []}}"#;
        for bad in [
            "not json",
            "[1]",
            "{}",
            r#"{"query": {"sel": -1, "agg": 0, "conds": []}}"#,
            r#"{"query": {"sel": 0, "conds": []}}"#,
            r#"{"query": {"sel": 0, "agg": 0, "conds": [[0, 0]]}}"#,
            r#"{"query": {"sel": 0, "agg": 0, "conds": [[0, 0, null]]}}"#,
            "",
        ] {
            std::fs::write(&path, format!("{good}\n{bad}\n{good}\n")).unwrap();
            let err = read_predictions(&path, 3).unwrap_err().to_string();
            assert!(
                err.contains("p.jsonl:2: malformed prediction"),
                "{bad:?}: {err}"
            );
        }
        std::fs::write(&path, format!("{good}\n{good}\n")).unwrap();
        let err = read_predictions(&path, 3).unwrap_err().to_string();
        assert!(
            err.contains("has 2 predictions but the split has 3"),
            "{err}"
        );
        let err = read_predictions(&dir.path().join("none.jsonl"), 3).unwrap_err();
        assert!(format!("{err:#}").contains("none.jsonl"));
    }
}
