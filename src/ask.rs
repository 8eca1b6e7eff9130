//! `sqlcoder ask`: answer one question about one table.

use super::session::{answer_json, answer_text, terminal_json, SessionArgs};
use anyhow::Result;
use clap::Args;

#[derive(Args, Debug)]
pub struct AskArgs {
    #[command(flatten)]
    pub session: SessionArgs,
    /// The question (several words are joined with spaces).
    #[arg(required = true, num_args = 1..)]
    pub question: Vec<String>,
}

pub fn run(args: &AskArgs) -> Result<()> {
    let (session, question) = (&args.session, args.question.join(" "));
    if question.trim().is_empty() {
        anyhow::bail!(
            "empty question: type a question about table {}",
            session.table.as_deref().unwrap_or("of the file")
        );
    }
    // Check the cheap things (database, table) before loading the model.
    let (exec, table) = session.db.open_table(session.table.as_deref())?;
    let (answerer, found) = session.answerer.load_located()?;
    let answer = answerer.answer(&question, &table, &exec)?;
    if session.json {
        let mut json = answer_json(&question, &answer, answerer.options.guided);
        // Which model answered (it is looked up: see `sqlcoder install-model`).
        json["model"] = found.model.display().to_string().into();
        println!("{}", terminal_json(&json));
    } else {
        print!("{}", answer_text(&answer));
    }
    Ok(())
}
