//! CSV read as it arrives ([`read_csv`]): the same table and errors as [`super::parse_csv`], but
//! the input is never held whole, nor its records as text: each record becomes a row of cells at
//! once, so reading costs the table and a small buffer.
//!
//! Text is UTF-8 until a byte is not; from there the file is Windows-1252, and what was kept is
//! read again so (as [`super::parse_csv`] reads the whole file in one or the other).
//!
//! A column's type is known only at the end, so a cell is kept as `Number` only when its text can
//! be written back exactly (`5`, `-0.25`), else as `Text`; at the end, number columns turn their
//! number-like texts (`1,300`, ` 5`) into numbers, and text columns write their numbers back.

use super::{number, TableLimits};
use crate::types::{Cell, ColumnType, Table};
use crate::windows1252;
use anyhow::{bail, Result};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{Cursor, Read};

/// The table `id` from CSV read from `input` (`source` names it in errors: a file name): the
/// table [`super::parse_csv`] makes of the same bytes. Errors name the line; a problem is
/// reported when reading reaches it, so a file with several reports the first in reading order.
pub fn read_csv(id: &str, source: &str, input: impl Read, limits: &TableLimits) -> Result<Table> {
    let (first, rest) = first_line(input, limits)?;
    let bom = if first.starts_with(b"\xef\xbb\xbf") {
        3
    } else {
        0
    };
    let delimiter = delimiter(&first[bom..]);
    let mut first = Cursor::new(first);
    first.set_position(bom as u64);
    let input = Tracked {
        inner: first.chain(rest),
        quotes: QuoteTracker::new(delimiter),
        ended: false,
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(input);
    let mut record = ::csv::ByteRecord::new();
    let mut columns = Columns::default();
    let mut header: Option<Vec<String>> = None;
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut number_text = String::new();
    let mut last_start = 0;
    let mut encoding = Encoding::Utf8;
    loop {
        let line = reader.position().line() as usize;
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => bail!("{source}:{line}: {e}"),
        }
        let start = record.position().map_or(line, |p| p.line() as usize);
        last_start = start;
        let was = encoding;
        let fields = text_fields(&record, start, source, &mut encoding)?;
        if encoding != was {
            let header = header.iter_mut().flatten();
            let cells = rows.iter_mut().flatten().filter_map(|c| match c {
                Cell::Text(s) => Some(s),
                Cell::Number(_) => None,
            });
            for text in header.chain(cells) {
                *text = windows1252::decode(text.as_bytes())
                    .map_err(|_| anyhow::anyhow!("{source}:{start}: {NEITHER}"))?;
                limits
                    .check_cell(text)
                    .map_err(|e| anyhow::anyhow!("{source}:{start}: {e}"))?;
            }
        }
        check_record(&fields, start, source, limits)?;
        let Some(header) = &header else {
            if fields.iter().all(|h| h.trim().is_empty()) {
                bail!("{source}:1: the header row is empty");
            }
            header = Some(fields.iter().map(|h| h.trim().to_string()).collect());
            columns = Columns::new(fields.len());
            continue;
        };
        if rows.len() >= limits.max_rows {
            bail!(
                "{source}: over {0} rows: at most {0} are accepted",
                limits.max_rows
            );
        }
        if fields.len() != header.len() {
            // A quote left open swallows the rest of the file into one record: say so.
            let input = reader.get_ref();
            if input.ended && input.quotes.in_quotes() {
                bail!("{source}:{start}: a quoted field is never closed");
            }
            bail!(
                "{source}:{start}: {} fields, but the header has {} (delimiter {:?}; quote fields \
                 that contain it)",
                fields.len(),
                header.len(),
                delimiter as char
            );
        }
        let row = fields
            .iter()
            .enumerate()
            .map(|(c, cell)| columns.cell(c, cell, &mut number_text))
            .collect();
        rows.push(row);
    }
    let Some(header) = header else {
        bail!("{source}: empty file: the first line must be the header row");
    };
    if reader.get_ref().quotes.in_quotes() {
        bail!("{source}:{last_start}: a quoted field is never closed");
    }
    let types = columns.types();
    settle(&mut rows, &types, &mut number_text);
    rows.shrink_to_fit();
    Ok(Table {
        id: id.to_string(),
        header,
        types,
        rows,
    })
}

/// The input's first line (up to a cap: the longest header the limits allow) and the rest.
fn first_line<R: Read>(mut input: R, limits: &TableLimits) -> Result<(Vec<u8>, R)> {
    let cap = limits.max_columns * (4 * limits.max_cell_chars + 3) + 3;
    let mut first = Vec::new();
    let mut chunk = [0u8; 8192];
    while first.len() < cap && !first.contains(&b'\n') {
        let n = input.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        first.extend_from_slice(&chunk[..n]);
    }
    Ok((first, input))
}

/// `,` unless the first line has none and has `;` or tabs (as [`super::parse_csv`] decides).
fn delimiter(start: &[u8]) -> u8 {
    let line = start.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let has = |b: u8| line.contains(&b);
    if !has(b',') && has(b';') {
        b';'
    } else if !has(b',') && has(b'\t') {
        b'\t'
    } else {
        b','
    }
}

/// How the file's bytes are read as text.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Encoding {
    Utf8,
    /// Excel's plain "CSV" export on Windows; taken at the first byte that is not UTF-8.
    Windows1252,
}

const NEITHER: &str = "neither UTF-8 nor Windows-1252 text (save the file as UTF-8)";

/// The fields of `record` as text (switching `encoding` to Windows-1252 at a byte that is not
/// UTF-8), or the error naming the line of a byte neither encoding reads. A multi-byte character
/// never holds a delimiter, so fields can be read one by one.
fn text_fields<'r>(
    record: &'r ::csv::ByteRecord,
    start: usize,
    source: &str,
    encoding: &mut Encoding,
) -> Result<Vec<Cow<'r, str>>> {
    let mut breaks = 0;
    let mut fields = Vec::with_capacity(record.len());
    for field in record.iter() {
        let utf8 = match encoding {
            Encoding::Utf8 => std::str::from_utf8(field).ok(),
            Encoding::Windows1252 => None,
        };
        let text = match utf8 {
            Some(text) => Cow::Borrowed(text),
            None => {
                *encoding = Encoding::Windows1252;
                match windows1252::decode(field) {
                    Ok(text) => Cow::Owned(text),
                    Err(at) => {
                        let before = field[..at].iter().filter(|&&b| b == b'\n').count();
                        bail!("{source}:{}: {NEITHER}", start + breaks + before);
                    }
                }
            }
        };
        breaks += text.matches('\n').count();
        fields.push(text);
    }
    Ok(fields)
}

/// The per-record limits: fields and cell length (as [`super::parse_csv`] checks them).
fn check_record(
    fields: &[Cow<str>],
    start: usize,
    source: &str,
    limits: &TableLimits,
) -> Result<()> {
    if fields.len() > limits.max_columns {
        bail!(
            "{source}:{start}: over {0} fields: at most {0} columns are accepted",
            limits.max_columns
        );
    }
    if let Some(at) = fields
        .iter()
        .position(|f| f.len() > limits.max_cell_chars && f.chars().count() > limits.max_cell_chars)
    {
        // The line of the long cell: the record's first line plus the breaks before it.
        let offset: usize = fields[..at].iter().map(|f| f.matches('\n').count()).sum();
        bail!(
            "{source}:{}: a cell over {} characters",
            start + offset,
            limits.max_cell_chars
        );
    }
    Ok(())
}

/// What is known of each column so far: whether it has a non-empty cell, and whether every
/// non-empty cell is a number.
#[derive(Default)]
struct Columns {
    any: Vec<bool>,
    numbers: Vec<bool>,
}

impl Columns {
    fn new(n: usize) -> Self {
        Self {
            any: vec![false; n],
            numbers: vec![true; n],
        }
    }

    /// The cell `text` of column `c` as kept until the column's type is known.
    fn cell(&mut self, c: usize, text: &str, scratch: &mut String) -> Cell {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Cell::Text(text.to_string());
        }
        self.any[c] = true;
        // Whole numbers without a leading zero, short enough to be exact, are written back as
        // they came: most cells of a number column, kept without writing them out.
        let plain = text.len() <= 15 && text.bytes().all(|b| b.is_ascii_digit());
        if plain && (text.len() == 1 || !text.starts_with('0')) {
            if let Ok(n) = text.parse::<u64>() {
                return Cell::Number(n as f64);
            }
        }
        let Some(n) = quick_number(trimmed) else {
            self.numbers[c] = false;
            return Cell::Text(text.to_string());
        };
        scratch.clear();
        let _ = write!(scratch, "{n}");
        if scratch == text {
            Cell::Number(n)
        } else {
            Cell::Text(text.to_string())
        }
    }

    fn types(&self) -> Vec<ColumnType> {
        self.any
            .iter()
            .zip(&self.numbers)
            .map(|(&any, &numbers)| {
                if any && numbers {
                    ColumnType::Real
                } else {
                    ColumnType::Text
                }
            })
            .collect()
    }
}

/// [`number`] without its copy when there is no grouping comma to drop (most cells).
fn quick_number(s: &str) -> Option<f64> {
    if s.contains(',') {
        return number(s);
    }
    if !s.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The cells as their column's type wants them: numbers in number columns (empty cells stay
/// text), the original text in text columns.
fn settle(rows: &mut [Vec<Cell>], types: &[ColumnType], scratch: &mut String) {
    for row in rows {
        for (cell, t) in row.iter_mut().zip(types) {
            match (t, &*cell) {
                (ColumnType::Real, Cell::Text(text)) => {
                    if let Some(n) = quick_number(text.trim()) {
                        *cell = Cell::Number(n);
                    }
                }
                (ColumnType::Text, Cell::Number(n)) => {
                    scratch.clear();
                    let _ = write!(scratch, "{n}");
                    *cell = Cell::Text(scratch.clone());
                }
                _ => {}
            }
        }
    }
}

/// A reader that follows RFC 4180 quoting over every byte read, so that an input ending inside
/// a quoted field is found without keeping the input (the `csv` crate ends such a field
/// silently). The same rules as `ends_inside_quotes` in [`super`], which checks from a record's
/// start.
struct Tracked<R> {
    inner: R,
    quotes: QuoteTracker,
    /// The input has ended (a read gave nothing).
    ended: bool,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.quotes.feed(&buf[..n]);
        self.ended |= n == 0 && !buf.is_empty();
        Ok(n)
    }
}

struct QuoteTracker {
    delimiter: u8,
    in_quotes: bool,
    /// A quote inside quotes was the last byte: the next decides (`""` or the closing quote).
    quote_pending: bool,
    at_field_start: bool,
}

impl QuoteTracker {
    fn new(delimiter: u8) -> Self {
        Self {
            delimiter,
            in_quotes: false,
            quote_pending: false,
            at_field_start: true,
        }
    }

    fn in_quotes(&self) -> bool {
        self.in_quotes && !self.quote_pending
    }

    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.quote_pending {
                self.quote_pending = false;
                if b == b'"' {
                    continue; // `""`: a quote inside the field
                }
                self.in_quotes = false;
                self.at_field_start = false;
            }
            if self.in_quotes {
                if b == b'"' {
                    self.quote_pending = true;
                }
                continue;
            }
            match b {
                b'"' if self.at_field_start => self.in_quotes = true,
                b if b == b'\n' || b == b'\r' || b == self.delimiter => {
                    self.at_field_start = true;
                    continue;
                }
                _ => {}
            }
            self.at_field_start = false;
        }
    }
}

#[cfg(test)]
mod tests;
