//! `eval`: score a prediction file (or the gold queries themselves) on a split, and print or
//! write the report.

use crate::data::{self, Split};
use anyhow::{Context, Result};
use std::path::Path;

pub fn eval(split: Split, pred: Option<&Path>, data_dir: &Path, out: Option<&Path>) -> Result<()> {
    let ds = data::load_split(data_dir, split)?;
    let db = data::db_path(data_dir, split);
    let report = crate::eval::run::run_eval(&ds.examples, &ds.tables, &db, pred)
        .with_context(|| format!("scoring the {split} split"))?;
    println!("{}", crate::eval::report::format_report(&report));
    if let Some(path) = out {
        let write = || -> Result<()> {
            let mut file = crate::data::io::AtomicFile::create(path)?;
            serde_json::to_writer_pretty(&mut file, &report)?;
            file.commit()
        };
        write().with_context(|| format!("cannot write the report {}", path.display()))?;
    }
    Ok(())
}
