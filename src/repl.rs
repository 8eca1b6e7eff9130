//! `sqlcoder repl`: questions line by line from stdin about one table at a time.
//!
//! `:table ID` switches table, `:quit` (or end of input) ends. An error answers its line only.

use super::session::{
    answer_json, answer_text, find_table, terminal_json, terminal_safe, SessionArgs,
};
use anyhow::Result;
use sqlcoder_data::Table;
use sqlcoder_infer::Answerer;
use sqlcoder_sql::Executor;
use std::io::{BufRead, IsTerminal, Write};

/// Longest line read (a question is far shorter; the model reads at most a few hundred tokens).
/// A longer line is skipped in pieces, so that memory stays small whatever arrives.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

const HELP: &str =
    "type a question, `:table ID` to switch table, `:tables` to list them, `:quit` to end";

pub fn run(args: &SessionArgs) -> Result<()> {
    let (exec, mut table) = args.db.open_table(args.table.as_deref())?;
    let answerer = args.answerer.load()?;
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        eprintln!(
            "table {} ({}); {HELP}",
            terminal_safe(&table.id),
            terminal_safe(&table.header.join(" | "))
        );
    }
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut bytes = Vec::new();
    for number in 1.. {
        if interactive {
            eprint!("{}", prompt(&table));
            std::io::stderr().flush()?;
        }
        bytes.clear();
        match read_line(&mut input, &mut bytes)? {
            Line::End => break,
            Line::Read => {}
            Line::TooLong => {
                eprintln!("error: line {number} is over {MAX_LINE_BYTES} bytes; skipped");
                continue;
            }
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
            Err(e) => eprintln!("error: {}", terminal_safe(&format!("{e:#}"))),
        }
    }
    Ok(())
}

/// What [`read_line`] found.
#[derive(Debug, PartialEq)]
enum Line {
    /// The end of input.
    End,
    /// A line (with its line break, if any) in the buffer.
    Read,
    /// A line over [`MAX_LINE_BYTES`], read to its end and dropped.
    TooLong,
}

/// Reads one line into `bytes`, never holding more than [`MAX_LINE_BYTES`] of it.
fn read_line<R: BufRead>(input: &mut R, bytes: &mut Vec<u8>) -> std::io::Result<Line> {
    let cap = MAX_LINE_BYTES as u64 + 1;
    if std::io::Read::take(&mut *input, cap).read_until(b'\n', bytes)? == 0 {
        return Ok(Line::End);
    }
    if bytes.len() <= MAX_LINE_BYTES || bytes.ends_with(b"\n") {
        return Ok(Line::Read);
    }
    bytes.clear();
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                break;
            }
            None => {
                let n = buf.len();
                input.consume(n);
            }
        }
    }
    Ok(Line::TooLong)
}

/// The prompt before each line: `ID> `, the id made [`terminal_safe`] (an id is a table's name,
/// which a CSV file or a database chooses).
fn prompt(table: &Table) -> String {
    format!("{}> ", terminal_safe(&table.id))
}

/// `table ID: header | header …` for the terminal.
fn describe(table: &Table) -> String {
    format!(
        "table {}: {}\n",
        terminal_safe(&table.id),
        terminal_safe(&table.header.join(" | "))
    )
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
            ("table", "") => Ok(Step::Output(describe(table))),
            ("table", id) => {
                *table = find_table(exec, id)?;
                Ok(Step::Output(describe(table)))
            }
            ("tables", _) => {
                let ids: Vec<String> = exec
                    .table_ids()?
                    .iter()
                    .map(|id| terminal_safe(id))
                    .collect();
                Ok(Step::Output(ids.join("\n") + "\n"))
            }
            ("help", _) => Ok(Step::Output(format!("{HELP}\n"))),
            _ => anyhow::bail!("unknown command :{name} ({HELP})"),
        };
    }
    let answer = answerer.answer(line, table, exec)?;
    Ok(Step::Output(if json {
        format!(
            "{}\n",
            terminal_json(&answer_json(line, &answer, answerer.options.guided))
        )
    } else {
        format!("{}\n", answer_text(&answer))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_shows_a_table_id_without_its_escapes() {
        let table = Table::new(
            "t\x1b]0;owned\x07\u{9b}2J\u{202e}",
            &["a"],
            &[sqlcoder_data::ColumnType::Text],
            vec![],
        );
        let shown = prompt(&table);
        assert_eq!(shown, "t\\u{1b}]0;owned\\u{7}\\u{9b}2J\\u{202e}> ");
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
    }

    #[test]
    fn long_lines_are_skipped_without_being_held() {
        let long = vec![b'x'; 3 * MAX_LINE_BYTES];
        let input = [b"who?\n".as_slice(), &long, b"\nwhat?"].concat();
        let mut reader = std::io::BufReader::with_capacity(4096, input.as_slice());
        let mut bytes = Vec::new();
        assert_eq!(read_line(&mut reader, &mut bytes).unwrap(), Line::Read);
        assert_eq!(bytes, b"who?\n");
        bytes.clear();
        assert_eq!(read_line(&mut reader, &mut bytes).unwrap(), Line::TooLong);
        assert!(bytes.capacity() <= 2 * MAX_LINE_BYTES + 64);
        bytes.clear();
        assert_eq!(read_line(&mut reader, &mut bytes).unwrap(), Line::Read);
        assert_eq!(bytes, b"what?");
        bytes.clear();
        assert_eq!(read_line(&mut reader, &mut bytes).unwrap(), Line::End);
    }
}
