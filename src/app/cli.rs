//! Command-line definition and dispatch. Each command is a thin call into the library.

use anyhow::Result;
use clap::{Parser, Subcommand};
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
    /// Read WikiSQL and write the challenge layout with SQLite databases.
    #[command(subcommand)]
    Data(DataCommand),
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
}

/// Run the command line; returns the process exit code. Errors print as one line.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Data(DataCommand::Prepare { source, out }) => {
            anyhow::bail!(
                "data prepare {} → {}: not wired yet",
                source.display(),
                out.display()
            )
        }
    }
}
