//! The `data` commands: `prepare` (conversion + a check that every gold query runs), `stats`
//! and `augment` (generated training questions).

use anyhow::Result;
use rayon::prelude::*;
use serde::Serialize;
use sqlcoder_data::{self as data, Dataset, Split};
use sqlcoder_sql::exec::{Executor, SqlValue};
use std::path::{Path, PathBuf};

/// How the gold queries of a split fare on its database.
#[derive(Clone, Debug, Serialize)]
pub struct GoldCheck {
    pub split: String,
    pub questions: usize,
    pub executed: usize,
    pub failed: usize,
    /// Queries returning at least one non-NULL value.
    pub non_empty: usize,
    pub first_failures: Vec<String>,
}

impl GoldCheck {
    pub fn non_empty_share(&self) -> f64 {
        self.non_empty as f64 / self.questions.max(1) as f64
    }
}

/// Assemble and run every gold query of `ds` on `db`.
pub fn gold_check(ds: &Dataset, db: &Path) -> Result<GoldCheck> {
    // The official engine's text folding, as `eval` scores.
    let open = || Executor::open(db).map(Executor::with_official_folding);
    open()?; // fail early, once, with the path in the message
    let outcomes: Vec<Result<bool, String>> = ds
        .examples
        .par_iter()
        .map_init(open, |exec, ex| {
            let exec = exec.as_ref().map_err(|e| e.to_string())?;
            let table = ds.table(&ex.table_id).map_err(|e| e.to_string())?;
            let rows = exec
                .run_query(&ex.query, table)
                .map_err(|e| format!("{}: {e}", ex.table_id))?;
            Ok(rows.iter().any(|v| !matches!(v, SqlValue::Null)))
        })
        .collect();
    let failures: Vec<&String> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    Ok(GoldCheck {
        split: ds.split.name().to_string(),
        questions: ds.examples.len(),
        executed: outcomes.len() - failures.len(),
        failed: failures.len(),
        non_empty: outcomes.iter().filter(|o| matches!(o, Ok(true))).count(),
        first_failures: failures.into_iter().take(5).cloned().collect(),
    })
}

pub fn prepare(source: &Path, out: &Path) -> Result<()> {
    let started = std::time::Instant::now();
    let report = super::prepare::prepare(source, out)?;
    println!(
        "{:<6} {:>9} {:>9} {:>7} {:>10}",
        "split", "examples", "executed", "failed", "non-empty"
    );
    let mut failed = 0;
    for split in report.splits.iter().map(|s| s.split) {
        let ds = data::load_split(out, split)?;
        let check = gold_check(&ds, &data::db_path(out, split))?;
        println!(
            "{:<6} {:>9} {:>9} {:>7} {:>9.2}%",
            split.name(),
            fmt_thousands(check.questions),
            fmt_thousands(check.executed),
            check.failed,
            100.0 * check.non_empty_share()
        );
        for f in &check.first_failures {
            println!("  failed: {f}");
        }
        failed += check.failed;
    }
    println!("prepared {} in {:.0?}", out.display(), started.elapsed());
    anyhow::ensure!(failed == 0, "{failed} gold queries failed to execute");
    Ok(())
}

/// `data stats`: how the split looks to the model (token lengths, value spans found).
pub fn stats(split: Split, data_dir: &Path, encoder: &Path) -> Result<()> {
    let builder = sqlcoder_model::input::InputBuilder::from_file(encoder.join("tokenizer.json"))?;
    let ds = data::load_split(data_dir, split)?;
    let started = std::time::Instant::now();
    let (_, stats) =
        sqlcoder_train::cache_build::build_cache(&ds.examples, &ds.tables, &builder, false)?;
    println!("{split}: {stats}");
    println!(
        "cache built in {:.2?} ({:.0} examples/s)",
        started.elapsed(),
        ds.examples.len() as f64 / started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `data augment`'s options (see `sqlcoder_augment::Options`).
#[derive(clap::Args, Debug)]
pub struct AugmentArgs {
    /// WikiSQL's train split in the challenge format (plain or .xz).
    #[arg(long, default_value = "data/dataset_files/train.jsonl")]
    pub train: PathBuf,
    /// The generated questions, one JSON line each (written atomically).
    #[arg(long, default_value = "data/generated/train.jsonl")]
    pub out: PathBuf,
    /// The same seed and input write the same file, byte for byte.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Comma-separated kinds: whole, count, quoted, names, headers, superlative, top, order,
    /// group, having, distinct, not, bounds, between, like, or, columns, dates, written; `all`
    /// or `family` (the drafted family kinds).
    #[arg(long, default_value = "all")]
    pub kinds: String,
    /// Only the first N WikiSQL tables (by id), for quick runs.
    #[arg(long)]
    pub limit_tables: Option<usize>,
    /// Share of tables that get whole-column questions and each family kind's question.
    #[arg(long, default_value_t = 0.4)]
    pub share: f64,
    /// Our own questions: a generated question within two token edits of one of its report
    /// part's (masked cells, numbers and header words) is not written.
    #[arg(long, default_value = "data/ood/source")]
    pub held_out: PathBuf,
    /// Keep near copies of the report part's questions (for measuring what holding out removes).
    #[arg(long)]
    pub keep_near_report: bool,
    /// Questions people wrote about tables of ours (tables.jsonl, questions.jsonl), kind
    /// `written`.
    #[arg(long, default_value = "data/written")]
    pub written: PathBuf,
}

/// `data augment`: write the questions, print how many of each kind and shape.
pub fn augment(args: &AugmentArgs) -> Result<()> {
    let options = sqlcoder_augment::Options {
        train: args.train.clone(),
        out: args.out.clone(),
        seed: args.seed,
        kinds: sqlcoder_augment::Kind::parse_list(&args.kinds).map_err(anyhow::Error::msg)?,
        limit_tables: args.limit_tables,
        share: args.share,
        progress: true,
        held_out: (!args.keep_near_report).then(|| args.held_out.clone()),
        written: args.written.clone(),
    };
    let summary = sqlcoder_augment::run(&options)?;
    println!("{summary}");
    Ok(())
}

/// 49829 → "49,829".
pub fn fmt_thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
