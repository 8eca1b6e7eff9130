//! `data prepare`: turn the original WikiSQL files (any layout `data::wikisql` reads) into the
//! challenge layout: `<out>/dataset_files/{train,val,test}.jsonl` and `<out>/db_files/{train,val,test}.db`.
//!
//! All six outputs are written under temporary names and renamed into place only after every one
//! of them is complete, so a failed run changes nothing in `<out>`.

use crate::data::dataset::{dataset_path, db_path, Dataset};
use crate::data::io::StagedPath;
use crate::data::types::{Split, Table};
use crate::data::{challenge, sqlite_build, wikisql};
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What `prepare` did for one split.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitReport {
    pub split: Split,
    /// Questions written to the split's `.jsonl`.
    pub questions: usize,
    /// Distinct tables those questions use (inline in the `.jsonl`).
    pub tables_used: usize,
    /// Tables in the split's `.db`: every table of the source tables file, used or not.
    pub db_tables: usize,
    pub source_questions: PathBuf,
    pub source_tables: PathBuf,
    pub dataset_file: PathBuf,
    pub db_file: PathBuf,
    /// Gold-query execution check. NOT COMPUTED YET: always `None` until the lead wires it to
    /// `sql::exec` (run every gold query on the built `.db`, count empty results and failures).
    pub gold_execution: Option<GoldExecutionCheck>,
}

/// Outcome of running every gold query of a split on its database (placeholder, see
/// [`SplitReport::gold_execution`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GoldExecutionCheck {
    pub nonempty: usize,
    pub empty: usize,
    pub failed: usize,
}

/// What `prepare` did, split by split (train, val, test).
#[derive(Clone, Debug, PartialEq)]
pub struct PrepareReport {
    pub splits: Vec<SplitReport>,
    pub seconds: f64,
}

impl PrepareReport {
    pub fn split(&self, split: Split) -> Option<&SplitReport> {
        self.splits.iter().find(|s| s.split == split)
    }
}

impl fmt::Display for PrepareReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "split   questions  tables used  tables in db")?;
        for s in &self.splits {
            writeln!(
                f,
                "{:<6} {:>10} {:>12} {:>13}",
                s.split.name(),
                s.questions,
                s.tables_used,
                s.db_tables
            )?;
        }
        write!(f, "prepared in {:.1} s", self.seconds)
    }
}

/// Read `source` (original format) and write the challenge layout under `out`, with a progress bar.
pub fn prepare(source: &Path, out: &Path) -> Result<PrepareReport> {
    let started = Instant::now();
    let located: Vec<(Split, wikisql::SplitFiles)> = Split::ALL
        .iter()
        .map(|&s| Ok((s, wikisql::locate_split(source, s)?)))
        .collect::<Result<_>>()?;

    let bar = ProgressBar::new(0);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{elapsed_precise}] {wide_bar} {pos}/{len}")
    {
        bar.set_style(style);
    }
    bar.set_message("preparing WikiSQL");

    let results: Vec<Result<(SplitReport, Vec<StagedPath>)>> = located
        .par_iter()
        .map(|(split, files)| prepare_split(*split, files, out, &bar))
        .collect();
    bar.finish_and_clear();

    let mut splits = Vec::new();
    let mut staged = Vec::new();
    for result in results {
        let (report, files) = result?;
        splits.push(report);
        staged.extend(files);
    }
    for file in staged {
        file.commit()?;
    }
    Ok(PrepareReport {
        splits,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Read one split and stage its `.jsonl` and `.db` (written concurrently).
fn prepare_split(
    split: Split,
    files: &wikisql::SplitFiles,
    out: &Path,
    bar: &ProgressBar,
) -> Result<(SplitReport, Vec<StagedPath>)> {
    let dataset = wikisql::read_files(files, split)
        .with_context(|| format!("cannot read the {split} split"))?;
    let all_tables: Vec<&Table> = dataset.tables.values().collect();
    bar.inc_length((dataset.examples.len() + all_tables.len()) as u64);

    let dataset_file = dataset_path(out, split);
    let db_file = db_path(out, split);
    let progress = |n: u64| bar.inc(n);
    let (jsonl, db) = rayon::join(
        || challenge::write_staged(&dataset_file, &dataset, &progress),
        || sqlite_build::build_db_staged(&db_file, &all_tables, &progress),
    );
    let staged = vec![jsonl?, db?];
    let report = SplitReport {
        split,
        questions: dataset.examples.len(),
        tables_used: used_table_count(&dataset),
        db_tables: all_tables.len(),
        source_questions: files.questions.clone(),
        source_tables: files.tables.clone(),
        dataset_file,
        db_file,
        gold_execution: None,
    };
    Ok((report, staged))
}

fn used_table_count(dataset: &Dataset) -> usize {
    dataset.used_tables().len()
}
