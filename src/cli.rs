//! Command-line definition and dispatch. Each command is a thin call into the library.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use sqlcoder_data::Split;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "sqlcoder",
    version,
    about = "Answer English questions about a table with executable SQL"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// WikiSQL data: convert the original release into the challenge layout with SQLite databases.
    #[command(subcommand)]
    Data(DataCommand),
    /// Encoder files: convert weights to f16.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Copy the trained model and its encoder (found as `ask` finds them: --model/--encoder,
    /// $SQLCODER_HOME, ./models, ...) into the data folder, so that `ask` finds them from any
    /// folder.
    InstallModel {
        /// Where to copy them [default: $XDG_DATA_HOME/sqlcoder, else ~/.local/share/sqlcoder;
        /// %LOCALAPPDATA%\sqlcoder on Windows]. Elsewhere, set SQLCODER_HOME to it.
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
        #[command(flatten)]
        model: super::session::ModelArgs,
    },
    /// Train the slot model (default configuration: LoRA on the shipped encoder, data from data/).
    Train {
        #[command(flatten)]
        backend: super::backend::BackendArgs,
        /// TOML configuration (see experiments/); defaults apply to every missing field.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Continue the run's last checkpoint.
        #[arg(long)]
        resume: bool,
    },
    /// Answer a question about a table: SQL, readable form, rows, confidence.
    Ask(super::ask::AskArgs),
    /// Answer questions line by line from stdin (`:table ID` switches table, `:quit` ends).
    Repl(super::session::SessionArgs),
    /// A small web app: pick a table, ask, see the SQL and its rows.
    Serve(super::web::ServeArgs),
    /// Predict a split's queries into an official prediction file (score it with `eval`).
    Predict(super::predict::PredictArgs),
    /// Choose a model's decoding settings on val (guidance, abstain threshold); calibration report.
    Tune(super::tune::TuneArgs),
    /// Score predictions with the official WikiSQL metrics (logical form, execution, per slot).
    Eval {
        #[arg(long, default_value = "val")]
        split: Split,
        /// Predictions in the official format, one JSON line per question.
        #[arg(
            long,
            required_unless_present = "gold_as_pred",
            conflicts_with = "gold_as_pred"
        )]
        pred: Option<PathBuf>,
        /// Score the gold queries as predictions (the oracle: must give 100%).
        #[arg(long)]
        gold_as_pred: bool,
        /// Prepared data folder (challenge layout).
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Write the report as JSON here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Score our own questions beyond the sketch instead (data/ood/source): the part of
        /// `--split` (val = tune, test = report) by execution under the family's rules, with a
        /// per-shape table; predictions carry `family` (or the official `query`).
        #[arg(long, value_name = "SOURCE_DIR")]
        family: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Convert an original WikiSQL folder into `dataset_files/` + `db_files/`.
    Prepare {
        /// Original-format folder (the release layout, or ../shared/wikisql's layout).
        #[arg(long)]
        source: PathBuf,
        /// Output folder for the challenge layout.
        #[arg(long, default_value = "data")]
        out: PathBuf,
    },
    /// Input statistics of a prepared split: token lengths, value-span coverage, cache build speed.
    Stats {
        #[arg(long, default_value = "train")]
        split: Split,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Encoder folder (its tokenizer.json is used).
        #[arg(long, default_value = "models/all-MiniLM-L6-v2")]
        encoder: PathBuf,
    },
    /// Generate training questions for what WikiSQL lacks (whole-column answers, sorting,
    /// grouping, patterns, dates, ...) from its train tables: challenge lines for questions in
    /// the sketch, `family` lines for the rest (see crates/augment).
    Augment(super::data_cmd::AugmentArgs),
    /// Write the small committed sample (a few dev tables and their questions, a few train questions).
    Sample {
        #[arg(long)]
        source: PathBuf,
        #[arg(long, default_value = "data/sample")]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum ModelCommand {
    /// Write an f16 copy of a safetensors file (how models/all-MiniLM-L6-v2 was made).
    ConvertF16 {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        output: PathBuf,
    },
}

/// Run the command line; returns the process exit code. Errors print as one line.
pub fn main() -> i32 {
    end_quietly_on_broken_pipe();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            // Errors can quote a table's text or a user's input: no control characters reach
            // the terminal.
            eprintln!(
                "error: {}",
                super::session::terminal_safe(&format!("{e:#}"))
            );
            1
        }
    }
}

/// Exit status of a process whose reader went away: 128 + SIGPIPE, as a shell reports it.
const BROKEN_PIPE_STATUS: i32 = 141;

/// `sqlcoder … | head` closes stdout early, and `println!` then panics with a broken pipe (Rust
/// ignores SIGPIPE). That is no error of ours: end quietly, as Unix tools do, instead of
/// printing a panic.
fn end_quietly_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map_or("", String::as_str);
        // std's message for a failed print: "failed printing to stdout: Broken pipe (os error 32)".
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(BROKEN_PIPE_STATUS);
        }
        default(info);
    }));
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Data(DataCommand::Prepare { source, out }) => {
            super::data_cmd::prepare(&source, &out)
        }
        Command::Data(DataCommand::Sample { source, out }) => {
            let report = super::prepare::write_sample(&source, &out)?;
            println!("{report:?}");
            Ok(())
        }
        Command::Data(DataCommand::Augment(args)) => super::data_cmd::augment(&args),
        Command::Data(DataCommand::Stats {
            split,
            data,
            encoder,
        }) => super::data_cmd::stats(split, &data, &encoder),
        Command::Model(ModelCommand::ConvertF16 { input, output }) => {
            let c = sqlcoder_model::weights::convert_to_f16(&input, &output)?;
            println!(
                "{}: {} tensors to f16, {} copied, max abs error {:.2e}",
                output.display(),
                c.converted,
                c.copied,
                c.max_abs_error
            );
            Ok(())
        }
        Command::Train {
            backend,
            config,
            resume,
        } => {
            let config = match config {
                Some(path) => sqlcoder_train::config::TrainConfig::load(&path)?,
                None => Default::default(),
            };
            let summary = sqlcoder_train::run(&config, backend.kind, &backend.gpu(), resume)?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
            Ok(())
        }
        Command::InstallModel { to, model } => {
            let env = super::locate::Env::current();
            let to = match to {
                Some(to) => to,
                None => env.data_dir().context(
                    "no data folder (HOME, XDG_DATA_HOME or LOCALAPPDATA unset): pass --to DIR",
                )?,
            };
            let found = model.locate()?;
            let (m, e) = super::locate::install(&found, &to)?;
            println!("installed the model in {}", m.display());
            println!("installed the encoder in {}", e.display());
            Ok(())
        }
        Command::Ask(args) => super::ask::run(&args),
        Command::Repl(args) => super::repl::run(&args),
        Command::Serve(args) => super::web::run(&args),
        Command::Predict(args) => super::predict::run(&args),
        Command::Tune(args) => super::tune::run(&args),
        Command::Eval {
            split,
            pred,
            gold_as_pred,
            data,
            out,
            family,
        } => match family {
            Some(source) => super::eval_cmd::eval_family(
                split,
                pred.as_deref().filter(|_| !gold_as_pred),
                &source,
                out.as_deref(),
            ),
            None => super::eval_cmd::eval(
                split,
                pred.as_deref().filter(|_| !gold_as_pred),
                &data,
                out.as_deref(),
            ),
        },
    }
}
