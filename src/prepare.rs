//! Writing the challenge layout (`<out>/dataset_files/<split>.jsonl` + `<out>/db_files/<split>.db`):
//! - [`prepare`] (`data prepare`): every split of the original WikiSQL files (any layout
//!   `data::wikisql` reads);
//! - [`write_sample`] (`data sample`): the small sample `data::sample` selects.
//!
//! The outputs are written under temporary names and renamed into place only after every one of
//! them is complete, so a failed run changes nothing in `<out>`. The databases are built by
//! `sql::schema`, which is why this lives above both the data and the SQL layer. The `data prepare`
//! command then runs every gold query on its database (`data_cmd::gold_check`).

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use sqlcoder_data::io::StagedPath;
use sqlcoder_data::sample::{read_any, select_train, select_val};
use sqlcoder_data::types::{Split, Table};
use sqlcoder_data::{challenge, wikisql};
use sqlcoder_data::{dataset_path, db_path, Dataset};
use sqlcoder_sql::schema;
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
/// Splits whose files are missing are left out (a dev set of its own may have no train split),
/// with a note; a source with none of them is an error.
pub fn prepare(source: &Path, out: &Path) -> Result<PrepareReport> {
    let started = Instant::now();
    let mut located: Vec<(Split, wikisql::SplitFiles)> = Vec::new();
    let mut missing = Vec::new();
    for &split in Split::ALL.iter() {
        match wikisql::locate_split(source, split) {
            Ok(files) => located.push((split, files)),
            Err(why) => missing.push(why),
        }
    }
    if located.is_empty() {
        return Err(missing.remove(0));
    }
    for why in &missing {
        eprintln!("note: {why}; that split is left out");
    }

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
        || schema::build_db_staged(&db_file, &all_tables, &progress),
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
    };
    Ok((report, staged))
}

fn used_table_count(dataset: &Dataset) -> usize {
    dataset.used_tables().len()
}

/// Question and table counts of a written sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleReport {
    pub val_questions: usize,
    pub val_tables: usize,
    pub train_questions: usize,
    pub train_tables: usize,
}

/// Write the sample under `out` (normally `data/sample`) from `source`: a prepared folder
/// (challenge layout) or the original files (e.g. `../shared/wikisql`). All four files are
/// committed together, only once every one is written.
pub fn write_sample(source: &Path, out: &Path) -> Result<SampleReport> {
    let val = select_val(&read_any(source, Split::Val)?)?;
    let train = select_train(&read_any(source, Split::Train)?)?;
    let mut staged = Vec::new();
    for ds in [&val, &train] {
        let tables: Vec<&Table> = ds.used_tables();
        staged.push(challenge::write_staged(
            &dataset_path(out, ds.split),
            ds,
            &|_| {},
        )?);
        staged.push(schema::build_db_staged(
            &db_path(out, ds.split),
            &tables,
            &|_| {},
        )?);
    }
    for file in staged {
        file.commit()?;
    }
    Ok(SampleReport {
        val_questions: val.examples.len(),
        val_tables: val.tables.len(),
        train_questions: train.examples.len(),
        train_tables: train.tables.len(),
    })
}
