//! `eval`: score a prediction file (or the gold queries themselves) on a split, and print or
//! write the report.

use anyhow::{Context, Result};
use sqlcoder_data::{self as data, Split};
use std::path::Path;

pub fn eval(split: Split, pred: Option<&Path>, data_dir: &Path, out: Option<&Path>) -> Result<()> {
    let ds = data::load_split(data_dir, split)?;
    let db = data::db_path(data_dir, split);
    let report = sqlcoder_eval::run::run_eval(&ds.examples, &ds.tables, &db, pred)
        .with_context(|| format!("scoring the {split} split"))?;
    println!("{}", sqlcoder_eval::report::format_report(&report));
    write_report(out, &report)
}

fn write_report(out: Option<&Path>, report: &impl serde::Serialize) -> Result<()> {
    if let Some(path) = out {
        let write = || -> Result<()> {
            let mut file = sqlcoder_data::io::AtomicFile::create(path)?;
            serde_json::to_writer_pretty(&mut file, report)?;
            file.commit()
        };
        write().with_context(|| format!("cannot write the report {}", path.display()))?;
    }
    Ok(())
}

/// `eval --family`: the part of our own questions beyond the sketch that `split` names
/// (val = tune = `dev.*`, test = report = `test.*`), predictions from `pred` (one line per
/// question: the part's family lines, then its outside lines) or the gold queries themselves.
pub fn eval_family(
    split: Split,
    pred: Option<&Path>,
    source: &Path,
    out: Option<&Path>,
) -> Result<()> {
    use sqlcoder_eval::family_report::{
        format_family_report, parse_family_prediction_line, score_family_part, FamilyPrediction,
    };
    let name = match split {
        Split::Val => "dev",
        Split::Test => "test",
        Split::Train => anyhow::bail!("our own questions have no train part (use val or test)"),
    };
    let part = data::ood::read_family_part(source, name)?;
    let preds: Vec<FamilyPrediction> = match pred {
        None => part
            .examples
            .iter()
            .map(|e| {
                e.gold
                    .clone()
                    .ok_or_else(|| "outside the family".to_string())
            })
            .collect(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read predictions {}", path.display()))?;
            text.lines()
                .enumerate()
                .map(|(i, l)| {
                    parse_family_prediction_line(l)
                        .map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), i + 1))
                })
                .collect::<Result<_>>()?
        }
    };
    let report = score_family_part(&part, &preds)
        .with_context(|| format!("scoring the {name} part of {}", source.display()))?;
    println!("{}", format_family_report(&report));
    write_report(out, &report)
}
