//! `sqlcoder tune`: choose the decoding settings of a trained model on val (execution-guidance
//! refinements, abstain threshold) and measure its calibration; `--write-model` stores the choice
//! beside the model, where `ask`, `repl`, `serve` and `predict` pick it up.

use super::predict::SplitModelArgs;
use anyhow::{Context, Result};
use clap::Args;
use sqlcoder_data::io::AtomicFile;
use sqlcoder_data::{self as data, Split};
use sqlcoder_infer::split::score_split;
use sqlcoder_infer::tune::tune;
use sqlcoder_infer::{AnswerOptions, Answerer};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct TuneArgs {
    /// The split (val: test is for scoring the final choice once), data, model, batch size.
    #[command(flatten)]
    pub source: SplitModelArgs,
    /// The report (every variant, the choice, the reliability table, coverage) as JSON.
    #[arg(long)]
    pub out: PathBuf,
    /// Store the choice in the model folder (`decoding.json`).
    #[arg(long)]
    pub write_model: bool,
}

pub fn run(args: &TuneArgs) -> Result<()> {
    anyhow::ensure!(args.source.batch_size > 0, "--batch-size must be positive");
    anyhow::ensure!(
        args.source.split == Split::Val || !args.write_model,
        "--write-model chooses on val only (got --split {})",
        args.source.split
    );
    let ds = data::load_split(&args.source.data, args.source.split)?;
    let db = data::db_path(&args.source.data, args.source.split);
    let found = args.source.model.locate()?;
    let model_dir = found.model.clone();
    // Plain options: whatever an older `decoding.json` says is what is being re-chosen.
    let mut answerer: Answerer = Answerer::load(
        &model_dir,
        &found.encoder,
        Default::default(),
        AnswerOptions::default(),
    )
    .map_err(|e| crate::locate::explain_load_error(&found, e))?;
    answerer.options = AnswerOptions::default();
    let scored = score_split(
        &answerer,
        &ds.examples,
        &ds.tables,
        args.source.batch_size,
        true,
    );
    let report = tune(
        &scored,
        &ds.examples,
        &ds.tables,
        &db,
        &answerer.options,
        |v| {
            eprintln!(
                "{:<7} keep_above {:<4} count_zero_answers {:<5} unmatched_values {:<5} mentioned_cells {:<5} fitting_columns {:<5}  LF {:.2}  EX {:.2}  changed {}",
                if v.setting.guided { "guided" } else { "greedy" },
                v.setting.keep_above,
                v.setting.count_zero_answers,
                v.setting.unmatched_values,
                v.setting.mentioned_cells,
                v.setting.fitting_columns,
                100.0 * v.logical_form,
                100.0 * v.execution,
                v.guidance_changed
            )
        },
    )?;
    let mut file = AtomicFile::create(&args.out)?;
    serde_json::to_writer_pretty(&mut file, &report)
        .with_context(|| format!("writing {}", args.out.display()))?;
    file.commit()?;
    let c = &report.chosen;
    println!(
        "chosen on {}: keep_above {}, count_zero_answers {}, unmatched values retried/unwrapped {}, mentioned cells {}, fitting columns {}, abstain below {:.2} (calibration error {:.3}); report in {}",
        args.source.split,
        c.keep_above,
        c.count_zero_answers,
        c.retry_unmatched,
        c.mentioned_cells,
        c.fitting_columns,
        c.abstain_below,
        report.calibration_error,
        args.out.display()
    );
    if args.write_model {
        c.save(&model_dir)?;
        println!(
            "wrote {}",
            model_dir
                .join(sqlcoder_infer::tuned::DECODING_FILE)
                .display()
        );
    }
    Ok(())
}
