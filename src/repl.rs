//! `sqlcoder repl`: questions line by line from stdin about one table at a time.
//!
//! `:table ID` switches table, `:quit` (or end of input) ends. An error answers its line only.

use super::session::{answer_json, answer_text, find_table, SessionArgs};
use anyhow::Result;
use sqlcoder_data::Table;
use sqlcoder_infer::Answerer;
use sqlcoder_sql::Executor;
use std::io::{BufRead, IsTerminal, Write};

const HELP: &str =
    "type a question, `:table ID` to switch table, `:tables` to list them, `:quit` to end";

pub fn run(args: &SessionArgs) -> Result<()> {
    let (exec, mut table) = args.db.open_table(args.table.as_deref())?;
    let answerer = args.answerer.load()?;
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        eprintln!("table {} ({}); {HELP}", table.id, table.header.join(" | "));
    }
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut bytes = Vec::new();
    for number in 1.. {
        if interactive {
            eprint!("{}> ", table.id);
            std::io::stderr().flush()?;
        }
        bytes.clear();
        if input.read_until(b'\n', &mut bytes)? == 0 {
            break;
        }
        // A line that is not UTF-8 gets an error; the session goes on.
        let Ok(line) = std::str::from_utf8(&bytes) else {
            eprintln!("error: line {number} is not valid UTF-8 text; skipped");
            continue;
        };
        match step(line.trim(), &mut table, &exec, &answerer, args.json) {
            Ok(Step::Quit) => break,
            Ok(Step::Output(text)) => {
                print!("{text}");
                std::io::stdout().flush()?;
            }
            Err(e) => eprintln!("error: {e:#}"),
        }
    }
    Ok(())
}

enum Step {
    Output(String),
    Quit,
}

fn step(
    line: &str,
    table: &mut Table,
    exec: &Executor,
    answerer: &Answerer,
    json: bool,
) -> Result<Step> {
    if line.is_empty() {
        return Ok(Step::Output(String::new()));
    }
    if let Some(command) = line.strip_prefix(':') {
        let (name, arg) = command
            .split_once(char::is_whitespace)
            .unwrap_or((command, ""));
        return match (name, arg.trim()) {
            ("quit" | "q" | "exit", _) => Ok(Step::Quit),
            ("table", "") => Ok(Step::Output(format!(
                "table {}: {}\n",
                table.id,
                table.header.join(" | ")
            ))),
            ("table", id) => {
                *table = find_table(exec, id)?;
                Ok(Step::Output(format!(
                    "table {}: {}\n",
                    table.id,
                    table.header.join(" | ")
                )))
            }
            ("tables", _) => Ok(Step::Output(exec.table_ids()?.join("\n") + "\n")),
            ("help", _) => Ok(Step::Output(format!("{HELP}\n"))),
            _ => anyhow::bail!("unknown command :{name} ({HELP})"),
        };
    }
    let answer = answerer.answer(line, table, exec)?;
    Ok(Step::Output(if json {
        format!("{}\n", answer_json(line, &answer, answerer.options.guided))
    } else {
        format!("{}\n", answer_text(&answer))
    }))
}
