//! What `ask`, `repl` and `serve` share: which model and database to use, finding a table (with
//! suggestions for a mistyped id), and showing an answer as text or JSON.

use crate::locate::{self, Located};
use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::{json, Value};
use sqlcoder_data::csv::{parse_csv, TableLimits};
#[cfg(test)]
use sqlcoder_data::types::{FamilyQuery, Query};
use sqlcoder_data::xlsx::{table_from_xlsx_bytes, WorkbookLimits};
use sqlcoder_data::{self as data, Split, Table};
use sqlcoder_eval::predictions::query_to_json;
use sqlcoder_infer::{Answer, AnswerOptions, Answerer};
use sqlcoder_sql::own::{read_sqlite_table, MemoryDb};
use sqlcoder_sql::{Dialect, Executor, QueryLimits, SqlValue};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where `ask` looks when `data/` has not been prepared: the committed sample.
pub const SAMPLE_DATA: &str = "data/sample";
/// Result rows printed in text form (JSON has them all).
const ROWS_SHOWN: usize = 20;

/// Which trained model runs: `--model` and `--encoder`, for every command that loads one.
#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// Trained model folder (slots.json + slots.safetensors) [default: sqlcoder-lora/ in
    /// $SQLCODER_HOME, ./models, the data folder (~/.local/share/sqlcoder), or models/ beside
    /// the executable; see `sqlcoder install-model`].
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Pretrained encoder folder the model was trained on (config, weights, tokenizer)
    /// [default: all-MiniLM-L6-v2/ beside the model found, else looked up as the model is].
    #[arg(long)]
    pub encoder: Option<PathBuf>,
}

/// How questions are decoded, for every command that answers or predicts.
#[derive(Args, Debug, Clone)]
pub struct DecodeArgs {
    /// Execution-guided decoding: replace a query that fails or returns nothing (default on).
    #[arg(long, overrides_with = "no_guided")]
    pub guided: bool,
    /// Plain greedy decoding.
    #[arg(long, overrides_with = "guided")]
    pub no_guided: bool,
    /// Snap predicted values to the closest cell of their column (reads table content).
    #[arg(long)]
    pub snap_values: bool,
}

impl DecodeArgs {
    pub fn options(&self) -> AnswerOptions {
        AnswerOptions {
            guided: !self.no_guided,
            snap_values: self.snap_values,
            ..Default::default()
        }
    }
}

impl ModelArgs {
    /// The model and encoder folders: the flags, else the lookup of [`crate::locate`].
    pub fn locate(&self) -> Result<Located> {
        locate::locate(
            self.model.as_deref(),
            self.encoder.as_deref(),
            &locate::Env::current(),
        )
    }
}

/// Which trained model answers, and how it decodes (`ask`, `repl`, `serve`).
#[derive(Args, Debug, Clone)]
pub struct AnswererArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub decode: DecodeArgs,
}

impl AnswererArgs {
    pub fn load(&self) -> Result<Answerer> {
        Ok(self.load_located()?.0)
    }

    /// The answerer, and where its model and encoder were found.
    pub fn load_located(&self) -> Result<(Answerer, Located)> {
        let found = self.model.locate()?;
        let answerer = Answerer::load(
            &found.model,
            &found.encoder,
            Default::default(),
            self.decode.options(),
        )
        .map_err(|e| locate::explain_load_error(&found, e))?;
        Ok((answerer, found))
    }
}

/// What `ask` and `repl` take: the table, where it is, the model, and how answers print.
#[derive(Args, Debug, Clone)]
pub struct SessionArgs {
    /// WikiSQL table id (e.g. 1-10015132-11; the first one for `repl`), or the table's name with
    /// --sqlite or --postgres (`name` or `schema.name`). WikiSQL ids need its tables: data/ or
    /// data/sample of a checkout (run there), or --db / --data; elsewhere pass --csv or --db.
    #[arg(long, required_unless_present_any = ["csv", "xlsx"], conflicts_with_all = ["csv", "xlsx"])]
    pub table: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub answerer: AnswererArgs,
    /// Print one JSON object per answer instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Which database holds the tables.
#[derive(Args, Debug, Clone)]
pub struct DbArgs {
    /// Split whose database to use (`<data>/db_files/<split>.db`).
    #[arg(long, default_value = "val")]
    pub split: Split,
    /// Any database built by `data prepare` (overrides --data and --split).
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Prepared data folder [default: data, or data/sample when data/ is not prepared; both
    /// exist only in a checkout: from another folder, pass --csv, --xlsx, --sqlite, --postgres or
    /// --db].
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Your own table: a CSV file with a header row (instead of a WikiSQL table).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["db", "sqlite", "xlsx"])]
    pub csv: Option<PathBuf>,
    /// Your own table: a sheet of an Excel workbook (.xlsx; not .xls, .xlsb or .ods, which Excel
    /// or LibreOffice can save as .xlsx). Its header row is the first with more than one cell.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["db", "sqlite"])]
    pub xlsx: Option<PathBuf>,
    /// The sheet of --xlsx to read [default: the first visible one].
    #[arg(long, value_name = "NAME", requires = "xlsx")]
    pub sheet: Option<String>,
    /// Your own table in any SQLite database (opened read-only); name it with --table NAME.
    #[arg(long, value_name = "FILE", conflicts_with = "db")]
    pub sqlite: Option<PathBuf>,
    /// Your own table or view in PostgreSQL: a libpq connection string or postgres:// URL
    /// (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE fill what it omits); name it with --table.
    #[arg(long, value_name = "CONN", conflicts_with_all = ["db", "csv", "xlsx", "sqlite"])]
    pub postgres: Option<String>,
    /// Longest one query on the database may run, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    pub query_timeout_ms: u64,
    /// Longest all the queries of one answer (guided decoding tries up to 32) may run together,
    /// in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub answer_timeout_ms: u64,
}

/// Largest CSV file read (the row, column and cell limits apply too).
pub const MAX_CSV_BYTES: u64 = 64 << 20;
/// Largest workbook file read (what it unzips to has its own cap, in [`WorkbookLimits`]).
pub const MAX_XLSX_BYTES: u64 = 64 << 20;

impl DbArgs {
    /// The database file: `--db`, else the split's database in `--data`; with no `--data` and an
    /// unprepared `data/`, the committed sample (said on stderr); neither (outside a checkout) is
    /// an error saying to pass a table source.
    pub fn resolve(&self) -> Result<PathBuf> {
        if let Some(db) = &self.db {
            return Ok(db.clone());
        }
        if let Some(dir) = &self.data {
            return Ok(data::db_path(dir, self.split));
        }
        let prepared = data::db_path(Path::new("data"), self.split);
        if prepared.is_file() {
            return Ok(prepared);
        }
        let sample = data::db_path(Path::new(SAMPLE_DATA), self.split);
        if !sample.is_file() {
            bail!(
                "no tables to ask about: neither {} nor the sample {} is here (they come with a \
                 checkout); pass --csv FILE (or --xlsx FILE, --sqlite FILE, --postgres CONN, \
                 --db FILE)",
                prepared.display(),
                sample.display()
            );
        }
        eprintln!(
            "note: {} not found (run `sqlcoder data prepare`); using the sample {}",
            prepared.display(),
            sample.display()
        );
        Ok(sample)
    }

    /// The time limits on queries (`--query-timeout-ms`, `--answer-timeout-ms`).
    pub fn query_limits(&self) -> QueryLimits {
        QueryLimits {
            per_query: Duration::from_millis(self.query_timeout_ms.max(1)),
            per_answer: Duration::from_millis(self.answer_timeout_ms.max(1)),
        }
    }

    /// The database: `--postgres`, else the SQLite file ([`DbArgs::resolve`]), under the limits.
    pub fn open(&self) -> Result<Executor> {
        let exec = match &self.postgres {
            Some(conn) => Executor::open_postgres(conn)?,
            None => Executor::open(&self.resolve()?)?,
        };
        Ok(exec.with_limits(self.query_limits()))
    }

    /// The user's own table (`--csv`, `--xlsx`, or `--sqlite` with `table` naming it) in an
    /// in-memory database, or `None` when the tables come from a prepared database.
    pub fn own_table(&self, table: Option<&str>) -> Result<Option<(MemoryDb, Table)>> {
        // Checked here too: clap's `requires` on --sheet lets it pass without --xlsx.
        if self.sheet.is_some() && self.xlsx.is_none() {
            bail!("--sheet NAME picks a sheet of --xlsx FILE, which is not given");
        }
        let limits = TableLimits::default();
        let t = if let Some(csv) = &self.csv {
            load_csv(csv, &limits)?
        } else if let Some(xlsx) = &self.xlsx {
            let limits = WorkbookLimits {
                table: limits,
                ..Default::default()
            };
            load_xlsx(xlsx, self.sheet.as_deref(), &limits)?
        } else if let Some(db) = &self.sqlite {
            let name = table.context("--sqlite needs --table NAME: the table to ask about")?;
            read_sqlite_table(db, name, &limits, self.query_limits())?
        } else {
            return Ok(None);
        };
        let label = [&self.csv, &self.xlsx, &self.sqlite]
            .into_iter()
            .find_map(Option::as_ref)
            .expect("set");
        Ok(Some((MemoryDb::build(&[&t], label)?, t)))
    }

    /// The database and the table to start with: the own table, else `table` of the database.
    pub fn open_table(&self, table: Option<&str>) -> Result<(Executor, Table)> {
        if let Some((memory, t)) = self.own_table(table)? {
            // The in-memory database lives as long as a connection to it.
            return Ok((memory.executor()?.with_limits(self.query_limits()), t));
        }
        if self.postgres.is_some() {
            let name = table.context("--postgres needs --table NAME: the table to ask about")?;
            let exec = self.open()?;
            let t = find_table(&exec, name)?;
            return Ok((exec, t));
        }
        let exec = self.open()?;
        let id = table
            .context("--table ID is required (or --csv FILE, --xlsx FILE, or --sqlite FILE)")?;
        let t = find_table(&exec, id)?;
        Ok((exec, t))
    }
}

/// A CSV file as a table whose id is the file's stem.
pub fn load_csv(path: &Path, limits: &TableLimits) -> Result<Table> {
    let bytes = read_capped(path, MAX_CSV_BYTES)?;
    parse_csv(
        &id_of(path, "csv"),
        &path.display().to_string(),
        &bytes,
        limits,
    )
}

/// A sheet of an .xlsx workbook (`sheet`, else the first visible one) as a table whose id is
/// the file's stem; what the reader did (title rows skipped, error cells emptied) is said on
/// stderr.
pub fn load_xlsx(path: &Path, sheet: Option<&str>, limits: &WorkbookLimits) -> Result<Table> {
    let bytes = read_capped(path, MAX_XLSX_BYTES)?;
    let source = path.display().to_string();
    let read = table_from_xlsx_bytes(&id_of(path, "xlsx"), &source, &bytes, sheet, limits)?;
    for note in &read.notes {
        eprintln!("note: {}: {}", terminal_safe(&source), terminal_safe(note));
    }
    Ok(read.table)
}

/// The bytes of the file `path`, an error when it is over `max_bytes`.
fn read_capped(path: &Path, max_bytes: u64) -> Result<Vec<u8>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size > max_bytes {
        bail!(
            "{}: {size} bytes, over the {max_bytes} accepted",
            path.display()
        );
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// A table id from a file name: its stem's first 64 characters, else `fallback`.
fn id_of(path: &Path, fallback: &str) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let id: String = stem.chars().take(64).collect();
    if id.trim().is_empty() {
        fallback.to_string()
    } else {
        id
    }
}

/// Longest table id accepted (WikiSQL's are under 20 characters); checked before any search, so
/// the closest-id search never runs on huge input.
pub const MAX_ID_CHARS: usize = 128;

/// An error unless `id` is short enough to look up.
pub fn check_id(id: &str) -> Result<()> {
    if id.chars().count() > MAX_ID_CHARS {
        bail!(
            "table id too long: {} characters (at most {MAX_ID_CHARS})",
            id.chars().count()
        );
    }
    Ok(())
}

/// The table `id` of the database; an unknown id is an error naming the closest ids (in
/// PostgreSQL, which resolves names itself, the server's own error).
pub fn find_table(exec: &Executor, id: &str) -> Result<Table> {
    check_id(id)?;
    if exec.dialect() == Dialect::Postgres {
        return exec.table(id);
    }
    let ids = exec.table_ids()?;
    if !ids.iter().any(|t| t == id) {
        let close = closest_ids(id, &ids, 3);
        if close.is_empty() {
            bail!("unknown table id {id:?}: {} has no tables", exec.source());
        }
        bail!(
            "unknown table id {id:?} in {}; did you mean {}?",
            exec.source(),
            close.join(", ")
        );
    }
    exec.table(id)
}

/// The `k` ids closest to `id`: fewest character edits, then longest common prefix, then order.
/// Only the first [`MAX_ID_CHARS`] characters of `id` are compared (callers reject longer ids).
pub fn closest_ids(id: &str, ids: &[String], k: usize) -> Vec<String> {
    let target: String = id.chars().take(MAX_ID_CHARS).collect();
    let mut ranked: Vec<(usize, std::cmp::Reverse<usize>, &String)> = ids
        .iter()
        .map(|other| {
            let prefix = target
                .chars()
                .zip(other.chars())
                .take_while(|(a, b)| a == b)
                .count();
            (
                strsim::levenshtein(&target, other),
                std::cmp::Reverse(prefix),
                other,
            )
        })
        .collect();
    ranked.sort();
    ranked
        .into_iter()
        .take(k)
        .map(|(_, _, s)| s.clone())
        .collect()
}

/// Bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069): shown
/// raw, they reorder the text around them (a cell could make an answer read backwards).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` for a terminal: control characters (escape sequences, carriage returns, line breaks, C1
/// controls) and bidi controls shown as `\u{1b}`, `\r`, `\n`, `\u{202e}`, so that text from a
/// table cannot move the cursor, recolour or retitle the terminal, or reorder what is shown.
/// Backslashes are doubled so that the escapes stay unambiguous.
pub fn terminal_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || c == '\\' || is_bidi_control(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// serde_json's compact output, but with C1 controls (U+0080–U+009F) and bidi controls written
/// as `\uXXXX` escapes too (serde_json escapes only U+0000–U+001F): JSON printed to a terminal
/// cannot drive it, and still parses back to the same strings.
struct TerminalJson;

impl serde_json::ser::Formatter for TerminalJson {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> std::io::Result<()>
    where
        W: ?Sized + std::io::Write,
    {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c.is_control() || is_bidi_control(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                write!(writer, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// `value` as one line of JSON for stdout (`--json`): C1, DEL and bidi controls written as `\u` escapes (`TerminalJson`).
pub fn terminal_json(value: &Value) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, TerminalJson);
    serde::Serialize::serialize(value, &mut ser).expect("a JSON value serializes");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// A result value as JSON (non-finite reals as null).
pub fn value_json(v: &SqlValue) -> Value {
    match v {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(i) => json!(i),
        SqlValue::Real(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        SqlValue::Text(s) => json!(s),
    }
}

/// One answer as a JSON object: `query` is the official sel/agg/conds object when the answer
/// lies inside WikiSQL's sketch (else null), `family` the whole query; `columns` label the values
/// of each `table_rows` row, `rows` holds their first column.
pub fn answer_json(question: &str, a: &Answer, guided: bool) -> Value {
    let row_json = |r: &Vec<SqlValue>| r.iter().map(value_json).collect::<Vec<_>>();
    json!({
        "table": a.table_id,
        "question": question,
        "sql": a.sql,
        "human_readable": a.human,
        "query": a.family.to_sketch().as_ref().map(query_to_json),
        "family": serde_json::to_value(&a.family).expect("a family query is JSON"),
        "columns": a.columns,
        "rows": a.rows.iter().map(value_json).collect::<Vec<_>>(),
        "table_rows": a.table_rows.iter().map(row_json).collect::<Vec<_>>(),
        "tie": a.tie.map(|t| json!({"tied": t.tied, "shown": t.shown})),
        "confidence": a.confidence,
        "confident": a.confident,
        "outside_sketch": a.outside_sketch.map(|o| o.name()),
        "guided": guided,
        "guidance_changed": a.guidance_changed,
        "snapped_values": a.snapped_values,
        "sketch_prob": a.sketch_prob,
    })
}

/// Widest a column is padded to in text tables (longer cells are shown whole, unaligned).
const MAX_PAD: usize = 40;

/// The first rows of a result with several columns as a text table: labels, a rule, one line
/// per row, cells separated by ` | ` and padded to their column's width. Every cell and label
/// is [`terminal_safe`].
fn rows_table(columns: &[String], rows: &[Vec<SqlValue>]) -> String {
    let header: Vec<String> = columns.iter().map(|c| terminal_safe(c)).collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|v| terminal_safe(&v.to_string())).collect())
        .collect();
    let width = |i: usize| {
        std::iter::once(&header)
            .chain(&cells)
            .filter_map(|r| r.get(i))
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(0)
            .min(MAX_PAD)
    };
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    let line = |r: &[String]| {
        let padded: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths.get(i).copied().unwrap_or(0)))
            .collect();
        format!("  {}\n", padded.join(" | ").trim_end())
    };
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat((*w).max(1))).collect();
    let mut out = line(&header);
    out.push_str(&format!("  {}\n", rule.join("-+-")));
    for r in &cells {
        out.push_str(&line(r));
    }
    out
}

/// What a LIMIT cut hides, in words: rows tied with the last one shown ("2 rows tie for
/// first; 1 shown"), or fewer rows than asked for ("only 2 rows; 3 were asked for").
fn limit_note(a: &Answer) -> String {
    let Some(k) = a.family.limit.map(|k| k as usize) else {
        return String::new();
    };
    match a.tie {
        Some(tie) if k == 1 => format!(
            "Note:       {} rows tie for first; {} shown\n",
            tie.tied, tie.shown
        ),
        Some(tie) => format!(
            "Note:       {} rows tie for place {k}; {} of them shown\n",
            tie.tied, tie.shown
        ),
        None if a.table_rows.len() < k => format!(
            "Note:       only {} rows; {k} were asked for\n",
            a.table_rows.len()
        ),
        None => String::new(),
    }
}

/// One answer for people: SQL, readable form, rows (the first few), confidence, notes.
pub fn answer_text(a: &Answer) -> String {
    let mut out = String::new();
    if let Some(outside) = a.outside_sketch {
        out.push_str(&format!(
            "Not sure:   the question seems to need {}, which the model cannot write; its best guess follows\n",
            outside.describe()
        ));
    } else if a.guessed_in_sketch() {
        out.push_str(
            "Not sure:   the question seems to need more than WikiSQL's sketch, and the model \
             could not write it with confidence; its best guess in the sketch follows\n",
        );
    } else if !a.confident {
        out.push_str(
            "Not sure:   the model cannot answer this with confidence; its best guess follows\n",
        );
    }
    out.push_str(&format!(
        "SQL:        {}\nReadable:   {}\n",
        terminal_safe(&a.sql),
        terminal_safe(&a.human)
    ));
    match a.table_rows.len() {
        0 => out.push_str("Rows:       (none)\n"),
        n => {
            out.push_str(&format!("Rows:       {n}\n"));
            let shown = &a.table_rows[..n.min(ROWS_SHOWN)];
            if a.columns.len() > 1 {
                out.push_str(&rows_table(&a.columns, shown));
            } else {
                for v in a.rows.iter().take(ROWS_SHOWN) {
                    out.push_str(&format!("  {}\n", terminal_safe(&v.to_string())));
                }
            }
            if n > ROWS_SHOWN {
                out.push_str(&format!("  … {} more\n", n - ROWS_SHOWN));
            }
        }
    }
    out.push_str(&format!("Confidence: {:.1}%\n", 100.0 * a.confidence));
    if !a.confident && a.outside_sketch.is_none() {
        out.push_str("Note:       below the model's abstain threshold (chosen on val): more often wrong than right there\n");
    }
    out.push_str(&limit_note(a));
    if a.guidance_changed {
        out.push_str("Note:       the most likely query returned nothing; execution guidance chose this one\n");
    }
    if a.snapped_values > 0 {
        out.push_str(&format!(
            "Note:       {} value(s) snapped to a table cell\n",
            a.snapped_values
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_ids_prefer_few_edits_then_long_prefixes() {
        let ids: Vec<String> = ["1-10015132-11", "1-10015132-16", "2-10015132-11", "1-2"]
            .map(String::from)
            .into();
        assert_eq!(
            closest_ids("1-10015132-1", &ids, 2),
            vec!["1-10015132-11", "1-10015132-16"]
        );
        assert_eq!(
            closest_ids("1-10015132-11x", &ids, 1),
            vec!["1-10015132-11"]
        );
        assert_eq!(closest_ids("2-1001513-11", &ids, 1), vec!["2-10015132-11"]);
        assert!(closest_ids("x", &[], 3).is_empty());
    }

    #[test]
    fn terminal_text_has_no_control_characters() {
        assert_eq!(terminal_safe("plain"), "plain");
        assert_eq!(
            terminal_safe("a\x1b]0;owned\x07b"),
            "a\\u{1b}]0;owned\\u{7}b"
        );
        assert_eq!(terminal_safe("x\r\ny\\"), "x\\r\\ny\\\\");
        assert_eq!(terminal_safe("a\u{9b}31mb"), "a\\u{9b}31mb");
    }

    #[test]
    fn terminal_text_has_no_bidi_controls() {
        for c in ('\u{202a}'..='\u{202e}').chain('\u{2066}'..='\u{2069}') {
            let safe = terminal_safe(&format!("ab{c}cd"));
            assert!(!safe.contains(c), "{safe:?}");
            assert_eq!(safe, format!("ab\\u{{{:x}}}cd", c as u32));
        }
        // Neighbours that only shape text stay as they are.
        assert_eq!(terminal_safe("\u{2029}\u{206a}é"), "\u{2029}\u{206a}é");
    }

    #[test]
    fn json_for_the_terminal_escapes_c1_and_bidi_controls() {
        let tricky = "x\u{1b}]0;t\u{7}\u{9b}31m\u{85}\u{80}\u{9f}\u{202e}\u{2066}\u{2069}\"\\é😀";
        let v = json!({ "question": tricky, tricky: [tricky, 1, null] });
        let text = terminal_json(&v);
        assert!(
            !text.chars().any(|c| c.is_control() || is_bidi_control(c)),
            "{text:?}"
        );
        assert!(
            text.contains("\\u009b31m\\u0085\\u0080\\u009f\\u202e\\u2066\\u2069"),
            "{text}"
        );
        assert!(text.contains("é😀"), "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), v);
        // Plain output is what serde_json writes.
        let plain = json!({"a": [1, 2.5, "b c"], "d": null});
        assert_eq!(terminal_json(&plain), plain.to_string());
    }

    /// An answer selecting `columns` with `table_rows`, as the answerer would build it.
    fn answer(family: FamilyQuery, columns: &[&str], table_rows: Vec<Vec<SqlValue>>) -> Answer {
        Answer {
            table_id: "1-1".into(),
            query: Query {
                sel: 0,
                agg: sqlcoder_data::Agg::None,
                conds: vec![],
            },
            family,
            sql: "SELECT …".into(),
            human: "SELECT …".into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: table_rows.iter().map(|r| r[0].clone()).collect(),
            table_rows,
            tie: None,
            confidence: 0.9,
            confident: true,
            outside_sketch: None,
            guidance_changed: false,
            snapped_values: 0,
            sketch_prob: None,
        }
    }

    #[test]
    fn answers_with_several_columns_print_a_table_and_carry_tuples_in_json() {
        let family: FamilyQuery = serde_json::from_value(json!({
            "select": [{"col": 0}, {"agg": "count", "col": null}],
            "group_by": 0
        }))
        .unwrap();
        let a = answer(
            family.clone(),
            &["Team\x1b[31m", "COUNT(*)"],
            vec![
                vec![
                    SqlValue::Text("Ajax\x1b]0;x\x07".into()),
                    SqlValue::Integer(12),
                ],
                vec![SqlValue::Null, SqlValue::Integer(3)],
            ],
        );
        let text = answer_text(&a);
        assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text}");
        let lines: Vec<&str> = text.lines().collect();
        let at = lines.iter().position(|l| l.starts_with("Rows:")).unwrap();
        assert_eq!(lines[at], "Rows:       2");
        assert_eq!(
            lines[at + 1],
            format!("  Team\\u{{1b}}[31m{} | COUNT(*)", " ".repeat(5))
        );
        assert_eq!(
            lines[at + 2],
            format!("  {}+{}", "-".repeat(20), "-".repeat(9))
        );
        assert_eq!(lines[at + 3], "  Ajax\\u{1b}]0;x\\u{7} | 12");
        assert_eq!(lines[at + 4], format!("  NULL{} | 3", " ".repeat(15)));

        let v = answer_json("q", &a, true);
        assert_eq!(v["query"], Value::Null, "outside the sketch");
        assert_eq!(v["family"], serde_json::to_value(&family).unwrap());
        assert_eq!(v["columns"], json!(["Team\x1b[31m", "COUNT(*)"]));
        assert_eq!(
            v["table_rows"],
            json!([["Ajax\x1b]0;x\x07", 12], [null, 3]])
        );
        assert_eq!(v["rows"], json!(["Ajax\x1b]0;x\x07", null]));
    }

    #[test]
    fn a_guess_in_the_sketch_where_the_clause_heads_chose_beyond_it_says_so() {
        let family = FamilyQuery::from(&Query {
            sel: 0,
            agg: sqlcoder_data::Agg::None,
            conds: vec![],
        });
        let mut a = answer(family, &["Team"], vec![vec![SqlValue::Text("Ajax".into())]]);
        a.confident = false;
        a.sketch_prob = Some(0.2);
        let text = answer_text(&a);
        assert!(
            text.starts_with("Not sure:   the question seems to need more than WikiSQL's sketch"),
            "{text}"
        );
        a.sketch_prob = None;
        assert!(answer_text(&a).starts_with("Not sure:   the model cannot answer"));
    }

    #[test]
    fn ties_at_a_limit_and_short_top_k_are_said_in_words() {
        let top = |k: u32| -> FamilyQuery {
            serde_json::from_value(json!({
                "select": [{"col": 0}],
                "order_by": {"col": 1, "dir": "desc"},
                "limit": k
            }))
            .unwrap()
        };
        let one = |s: &str| vec![SqlValue::Text(s.into())];
        let mut a = answer(top(1), &["name"], vec![one("Ann")]);
        a.tie = Some(sqlcoder_sql::Tie { tied: 2, shown: 1 });
        assert!(answer_text(&a).contains("2 rows tie for first; 1 shown"));
        assert_eq!(
            answer_json("q", &a, true)["tie"],
            json!({"tied": 2, "shown": 1})
        );
        let short = answer(top(3), &["name"], vec![one("Ann"), one("Bo")]);
        assert!(answer_text(&short).contains("only 2 rows; 3 were asked for"));
        assert_eq!(answer_json("q", &short, true)["tie"], Value::Null);
    }

    #[test]
    fn sketch_answers_keep_their_official_query_and_one_value_per_line() {
        let query = Query {
            sel: 1,
            agg: sqlcoder_data::Agg::None,
            conds: vec![],
        };
        let mut a = answer(
            FamilyQuery::from(&query),
            &["Pop."],
            vec![vec![SqlValue::Real(2.5)], vec![SqlValue::Text("x".into())]],
        );
        a.query = query.clone();
        let text = answer_text(&a);
        assert!(text.contains("Rows:       2\n  2.5\n  x\n"), "{text}");
        let v = answer_json("q", &a, false);
        assert_eq!(v["query"], query_to_json(&query));
        assert_eq!(v["family"], json!({"select": [{"col": 1}]}));
        assert_eq!(v["columns"], json!(["Pop."]));
        assert_eq!(v["table_rows"], json!([[2.5], ["x"]]));
        assert_eq!(v["rows"], json!([2.5, "x"]));
    }

    #[test]
    fn values_become_json() {
        assert_eq!(value_json(&SqlValue::Real(f64::NAN)), Value::Null);
        assert_eq!(value_json(&SqlValue::Integer(3)), json!(3));
        assert_eq!(value_json(&SqlValue::Text("a".into())), json!("a"));
    }
}
