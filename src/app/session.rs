//! What `ask`, `repl` and `serve` share: which model and database to use, finding a table (with
//! suggestions for a mistyped id), and showing an answer as text or JSON.

use crate::data::{self, Split, Table};
use crate::eval::predictions::query_to_json;
use crate::infer::snap::levenshtein;
use crate::infer::{Answer, AnswerOptions, Answerer};
use crate::model::slot_model::shipped_model_dir;
use crate::sql::{Executor, SqlValue};
use anyhow::{bail, Result};
use clap::Args;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The encoder the shipped model was trained on.
pub const DEFAULT_ENCODER: &str = "models/all-MiniLM-L6-v2";
/// Where `ask` looks when `data/` has not been prepared: the committed sample.
pub const SAMPLE_DATA: &str = "data/sample";
/// Result rows printed in text form (JSON has them all).
const ROWS_SHOWN: usize = 20;

/// Which trained model answers, and how it decodes.
#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// Trained model folder (slots.json + slots.safetensors) [default: models/sqlcoder-lora].
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Pretrained encoder folder the model was trained on (config, weights, tokenizer).
    #[arg(long, default_value = DEFAULT_ENCODER)]
    pub encoder: PathBuf,
    /// Execution-guided decoding: replace a query that fails or returns nothing (default on).
    #[arg(long, overrides_with = "no_guided")]
    pub guided: bool,
    /// Plain greedy decoding.
    #[arg(long, overrides_with = "guided")]
    pub no_guided: bool,
    /// Snap predicted values to the closest cell of their column (reads table content).
    #[arg(long)]
    pub snap_values: bool,
}

impl ModelArgs {
    pub fn options(&self) -> AnswerOptions {
        AnswerOptions {
            guided: !self.no_guided,
            snap_values: self.snap_values,
            ..Default::default()
        }
    }

    pub fn load(&self) -> Result<Answerer> {
        let dir = self.model.clone().unwrap_or_else(shipped_model_dir);
        Answerer::load(&dir, &self.encoder, Default::default(), self.options())
    }
}

/// Which database holds the tables.
#[derive(Args, Debug, Clone)]
pub struct DbArgs {
    /// Split whose database to use (`<data>/db_files/<split>.db`).
    #[arg(long, default_value = "val")]
    pub split: Split,
    /// Any database built by `data prepare` (overrides --data and --split).
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Prepared data folder [default: data, or data/sample when data/ is not prepared].
    #[arg(long)]
    pub data: Option<PathBuf>,
}

impl DbArgs {
    /// The database file: `--db`, else the split's database in `--data`; with no `--data` and an
    /// unprepared `data/`, the committed sample (said on stderr).
    pub fn resolve(&self) -> PathBuf {
        if let Some(db) = &self.db {
            return db.clone();
        }
        if let Some(dir) = &self.data {
            return data::db_path(dir, self.split);
        }
        let prepared = data::db_path(Path::new("data"), self.split);
        if prepared.is_file() {
            return prepared;
        }
        let sample = data::db_path(Path::new(SAMPLE_DATA), self.split);
        eprintln!(
            "note: {} not found (run `sqlcoder data prepare`); using the sample {}",
            prepared.display(),
            sample.display()
        );
        sample
    }

    pub fn open(&self) -> Result<Executor> {
        Executor::open(&self.resolve())
    }
}

/// The table `id` of the database; an unknown id is an error naming the closest ids.
pub fn find_table(exec: &Executor, id: &str) -> Result<Table> {
    let ids = exec.table_ids()?;
    if !ids.iter().any(|t| t == id) {
        let close = closest_ids(id, &ids, 3);
        if close.is_empty() {
            bail!(
                "unknown table id {id:?}: {} has no tables",
                exec.path().display()
            );
        }
        bail!(
            "unknown table id {id:?} in {}; did you mean {}?",
            exec.path().display(),
            close.join(", ")
        );
    }
    exec.table(id)
}

/// The `k` ids closest to `id`: fewest character edits, then longest common prefix, then order.
pub fn closest_ids(id: &str, ids: &[String], k: usize) -> Vec<String> {
    let target: Vec<char> = id.chars().collect();
    let mut ranked: Vec<(usize, std::cmp::Reverse<usize>, &String)> = ids
        .iter()
        .map(|other| {
            let chars: Vec<char> = other.chars().collect();
            let prefix = target
                .iter()
                .zip(&chars)
                .take_while(|(a, b)| a == b)
                .count();
            (
                levenshtein(&target, &chars),
                std::cmp::Reverse(prefix),
                other,
            )
        })
        .collect();
    ranked.sort();
    ranked
        .into_iter()
        .take(k)
        .map(|(_, _, s)| s.clone())
        .collect()
}

/// A result value as JSON (non-finite reals as null).
pub fn value_json(v: &SqlValue) -> Value {
    match v {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(i) => json!(i),
        SqlValue::Real(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        SqlValue::Text(s) => json!(s),
    }
}

/// One answer as a JSON object.
pub fn answer_json(question: &str, a: &Answer, guided: bool) -> Value {
    json!({
        "table": a.table_id,
        "question": question,
        "sql": a.sql,
        "human_readable": a.human,
        "query": query_to_json(&a.query),
        "rows": a.rows.iter().map(value_json).collect::<Vec<_>>(),
        "confidence": a.confidence,
        "confident": a.confident,
        "guided": guided,
        "guidance_changed": a.guidance_changed,
        "snapped_values": a.snapped_values,
    })
}

/// One answer for people: SQL, readable form, rows (the first few), confidence, notes.
pub fn answer_text(a: &Answer) -> String {
    let mut out = String::new();
    if !a.confident {
        out.push_str(
            "Not sure:   the model cannot answer this with confidence; its best guess follows\n",
        );
    }
    out.push_str(&format!("SQL:        {}\nReadable:   {}\n", a.sql, a.human));
    match a.rows.len() {
        0 => out.push_str("Rows:       (none)\n"),
        n => {
            out.push_str(&format!("Rows:       {n}\n"));
            for v in a.rows.iter().take(ROWS_SHOWN) {
                out.push_str(&format!("  {v}\n"));
            }
            if n > ROWS_SHOWN {
                out.push_str(&format!("  … {} more\n", n - ROWS_SHOWN));
            }
        }
    }
    out.push_str(&format!("Confidence: {:.1}%\n", 100.0 * a.confidence));
    if !a.confident {
        out.push_str("Note:       below the model's abstain threshold (chosen on val): more often wrong than right there\n");
    }
    if a.guidance_changed {
        out.push_str("Note:       the most likely query returned nothing; execution guidance chose this one\n");
    }
    if a.snapped_values > 0 {
        out.push_str(&format!(
            "Note:       {} value(s) snapped to a table cell\n",
            a.snapped_values
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_ids_prefer_few_edits_then_long_prefixes() {
        let ids: Vec<String> = ["1-10015132-11", "1-10015132-16", "2-10015132-11", "1-2"]
            .map(String::from)
            .into();
        assert_eq!(
            closest_ids("1-10015132-1", &ids, 2),
            vec!["1-10015132-11", "1-10015132-16"]
        );
        assert_eq!(
            closest_ids("1-10015132-11x", &ids, 1),
            vec!["1-10015132-11"]
        );
        assert_eq!(closest_ids("2-1001513-11", &ids, 1), vec!["2-10015132-11"]);
        assert!(closest_ids("x", &[], 3).is_empty());
    }

    #[test]
    fn values_become_json() {
        assert_eq!(value_json(&SqlValue::Real(f64::NAN)), Value::Null);
        assert_eq!(value_json(&SqlValue::Integer(3)), json!(3));
        assert_eq!(value_json(&SqlValue::Text("a".into())), json!("a"));
    }
}
