//! `sqlcoder ask`: answer one question about one table.

use super::session::{answer_json, answer_text, DbArgs, ModelArgs};
use anyhow::Result;
use clap::Args;

#[derive(Args, Debug)]
pub struct AskArgs {
    /// WikiSQL table id (e.g. 1-10015132-11), or the table's name with --sqlite.
    #[arg(long, required_unless_present = "csv", conflicts_with = "csv")]
    pub table: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// The question (several words are joined with spaces).
    #[arg(required = true, num_args = 1..)]
    pub question: Vec<String>,
}

pub fn run(args: &AskArgs) -> Result<()> {
    let question = args.question.join(" ");
    if question.trim().is_empty() {
        anyhow::bail!(
            "empty question: type a question about table {}",
            args.table.as_deref().unwrap_or("of the CSV file")
        );
    }
    // Check the cheap things (database, table) before loading the model.
    let (exec, table) = args.db.open_table(args.table.as_deref())?;
    let answerer = args.model.load()?;
    let answer = answerer.answer(&question, &table, &exec)?;
    if args.json {
        println!(
            "{}",
            answer_json(&question, &answer, answerer.options.guided)
        );
    } else {
        print!("{}", answer_text(&answer));
    }
    Ok(())
}
