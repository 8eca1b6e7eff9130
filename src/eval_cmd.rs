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
    if let Some(path) = out {
        let write = || -> Result<()> {
            let mut file = sqlcoder_data::io::AtomicFile::create(path)?;
            serde_json::to_writer_pretty(&mut file, &report)?;
            file.commit()
        };
        write().with_context(|| format!("cannot write the report {}", path.display()))?;
    }
    Ok(())
}
