//! A user's own table from CSV text: a header row, then one row per record.
//!
//! RFC 4180 quoting (`"a, b"`, `""` inside quotes, line breaks inside quotes). The delimiter is
//! `,` unless the header row has none and has `;` or tabs. Column types are inferred as WikiSQL's
//! are: `real` when every non-empty cell is a number (grouping commas allowed), else `text`.
//! Text is UTF-8, else Windows-1252 (Excel's plain "CSV" export). Every problem (neither
//! encoding, a row with the wrong number of fields, an unclosed quote, a limit passed) is an
//! error naming the line.

use crate::types::{Cell, ColumnType, Table};
use anyhow::{bail, Result};

mod stream;
pub use stream::read_csv;

/// Bounds on an own table (CSV or SQLite), so one upload cannot exhaust memory.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TableLimits {
    pub max_rows: usize,
    pub max_columns: usize,
    /// Characters in one cell (or header).
    pub max_cell_chars: usize,
}

impl Default for TableLimits {
    fn default() -> Self {
        Self {
            max_rows: 100_000,
            max_columns: 64,
            max_cell_chars: 1_000,
        }
    }
}

impl TableLimits {
    /// An error unless a table of `rows` × `columns` fits.
    pub fn check_shape(&self, rows: usize, columns: usize) -> Result<()> {
        if columns > self.max_columns {
            bail!(
                "{columns} columns: at most {} are accepted",
                self.max_columns
            );
        }
        if rows > self.max_rows {
            bail!("{rows} rows: at most {} are accepted", self.max_rows);
        }
        Ok(())
    }

    /// An error unless `cell` is short enough.
    pub fn check_cell(&self, cell: &str) -> Result<()> {
        let n = cell.chars().count();
        if n > self.max_cell_chars {
            bail!(
                "a cell of {n} characters: at most {} are accepted",
                self.max_cell_chars
            );
        }
        Ok(())
    }
}

/// The table `id` from CSV `bytes` (`source` names it in errors: a file name).
pub fn parse_csv(id: &str, source: &str, bytes: &[u8], limits: &TableLimits) -> Result<Table> {
    let decoded;
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        // Only bytes that are not UTF-8 are read as Windows-1252: Excel's plain "CSV" on Windows
        // writes that, and a UTF-8 file never takes this path, so its text is never reinterpreted.
        Err(_) => match crate::windows1252::decode(bytes) {
            Ok(t) => {
                decoded = t;
                &decoded
            }
            Err(at) => {
                let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
                bail!(
                    "{source}:{line}: neither UTF-8 nor Windows-1252 text (save the file as UTF-8)"
                );
            }
        },
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if !first_line.contains(',') && first_line.contains(';') {
        ';'
    } else if !first_line.contains(',') && first_line.contains('\t') {
        '\t'
    } else {
        ','
    };
    let records = records(text, delimiter, source, limits)?;
    let Some(((_, header), rows)) = records.split_first() else {
        bail!("{source}: empty file: the first line must be the header row");
    };
    if header.iter().all(|h| h.trim().is_empty()) {
        bail!("{source}:1: the header row is empty");
    }
    limits
        .check_shape(rows.len(), header.len())
        .map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
    for (line, row) in rows {
        if row.len() != header.len() {
            bail!(
                "{source}:{line}: {} fields, but the header has {} (delimiter {:?}; quote fields \
                 that contain it)",
                row.len(),
                header.len(),
                delimiter
            );
        }
    }
    let types: Vec<ColumnType> = (0..header.len())
        .map(|c| {
            let mut cells = rows
                .iter()
                .map(|(_, r)| r[c].trim())
                .filter(|s| !s.is_empty());
            let first = cells.next();
            if first.is_some() && first.into_iter().chain(cells).all(|s| number(s).is_some()) {
                ColumnType::Real
            } else {
                ColumnType::Text
            }
        })
        .collect();
    let rows = rows
        .iter()
        .map(|(_, r)| {
            r.iter()
                .zip(&types)
                .map(|(cell, t)| match (t, number(cell.trim())) {
                    (ColumnType::Real, Some(n)) => Cell::Number(n),
                    _ => Cell::Text(cell.clone()),
                })
                .collect()
        })
        .collect();
    Ok(Table {
        id: id.to_string(),
        header: header.iter().map(|h| h.trim().to_string()).collect(),
        types,
        rows,
    })
}

/// A number as WikiSQL's real columns hold them: optional sign, digits with grouping commas,
/// one decimal point (or an exponent).
pub(crate) fn number(s: &str) -> Option<f64> {
    if s.is_empty() || !s.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let plain: String = s.chars().filter(|&c| c != ',').collect();
    plain.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The records of `text` with the line each starts on, read by the `csv` crate (RFC 4180
/// quoting; blank lines skipped). Our limits are checked record by record, so reading stops at
/// the first record past them.
fn records(
    text: &str,
    delimiter: char,
    source: &str,
    limits: &TableLimits,
) -> Result<Vec<(usize, Vec<String>)>> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter as u8)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut record = ::csv::StringRecord::new();
    let mut last_start = 0;
    loop {
        let line = reader.position().line() as usize;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => bail!("{source}:{line}: {e}"),
        }
        let start = record.position().map_or(line, |p| p.line() as usize);
        last_start = record.position().map_or(0, |p| p.byte() as usize);
        if record.len() > limits.max_columns {
            bail!(
                "{source}:{start}: over {0} fields: at most {0} columns are accepted",
                limits.max_columns
            );
        }
        if let Some(field) = record
            .iter()
            .find(|f| f.chars().count() > limits.max_cell_chars)
        {
            // The line of the long cell: the record's first line plus the breaks before it.
            let offset = record
                .iter()
                .take_while(|f| !std::ptr::eq(*f, field))
                .map(|f| f.matches('\n').count())
                .sum::<usize>();
            bail!(
                "{source}:{}: a cell over {} characters",
                start + offset,
                limits.max_cell_chars
            );
        }
        out.push((start, record.iter().map(str::to_string).collect()));
        if out.len() > limits.max_rows + 1 {
            bail!(
                "{source}: over {0} rows: at most {0} are accepted",
                limits.max_rows
            );
        }
    }
    // The crate ends an unclosed quoted field at the end of input without a word; a quote left
    // open usually means a broken file, so it stays an error (checked on the last record only).
    if let Some(&(line, _)) = out.last() {
        if ends_inside_quotes(&text[last_start..], delimiter) {
            bail!("{source}:{line}: a quoted field is never closed");
        }
    }
    Ok(out)
}

/// Whether `record` (the text from a record's start to the end of input) ends inside a quoted
/// field: RFC 4180 quoting, where a quote opens a field only at its start and `""` inside quotes
/// is a quote.
fn ends_inside_quotes(record: &str, delimiter: char) -> bool {
    let mut in_quotes = false;
    let mut at_field_start = true;
    let mut chars = record.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                } else {
                    in_quotes = false;
                }
            }
            continue;
        }
        match c {
            '"' if at_field_start => in_quotes = true,
            c if c == delimiter || c == '\n' || c == '\r' => {
                at_field_start = true;
                continue;
            }
            _ => {}
        }
        at_field_start = false;
    }
    in_quotes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Table> {
        parse_csv("t", "t.csv", text.as_bytes(), &TableLimits::default())
    }

    #[test]
    fn headers_quotes_and_types() {
        let t = parse("City,Population,Note\r\nPorto,\"1,300\",\"say \"\"hi\"\"\"\nFaro,64000,\"two\nlines\"\n\nÉvora,,x\n").unwrap();
        assert_eq!(t.header, vec!["City", "Population", "Note"]);
        assert_eq!(
            t.types,
            vec![ColumnType::Text, ColumnType::Real, ColumnType::Text]
        );
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[0][1], Cell::Number(1300.0));
        assert_eq!(t.rows[0][2], Cell::Text("say \"hi\"".into()));
        assert_eq!(t.rows[1][2], Cell::Text("two\nlines".into()));
        assert_eq!(t.rows[2][1], Cell::Text(String::new()));
    }

    #[test]
    fn windows_1252_text_as_excel_exports_it_is_read() {
        let bytes = b"Caf\xe9,Price\n\x93Cr\xe8me br\xfbl\xe9e\x94,\x80 4\n";
        let t = parse_csv("t", "t.csv", bytes, &TableLimits::default()).unwrap();
        assert_eq!(t.header, vec!["Café", "Price"]);
        assert_eq!(
            t.rows[0][0],
            Cell::Text("\u{201C}Crème brûlée\u{201D}".into())
        );
        assert_eq!(t.rows[0][1], Cell::Text("€ 4".into()));
    }

    #[test]
    fn semicolons_and_tabs_are_found_from_the_header() {
        let t = parse("a;b\n1;x\n").unwrap();
        assert_eq!(t.header, vec!["a", "b"]);
        let t = parse("a\tb\n1\tx").unwrap();
        assert_eq!(t.rows[0][1], Cell::Text("x".into()));
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse("a,b\n1,2\n3\n").unwrap_err().to_string();
        assert!(
            err.starts_with("t.csv:3: 1 fields, but the header has 2"),
            "{err}"
        );
        let err = parse_csv("t", "t.csv", b"a,b\n1,2\n\x81,3\n", &TableLimits::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("t.csv:3: neither UTF-8 nor Windows-1252"),
            "{err}"
        );
        let err = parse("a,b\n\"1,2\n").unwrap_err().to_string();
        assert!(
            err.starts_with("t.csv:2: a quoted field is never closed"),
            "{err}"
        );
        assert!(parse("").is_err());
    }

    #[test]
    fn limits_are_enforced() {
        let limits = TableLimits {
            max_rows: 2,
            max_columns: 3,
            max_cell_chars: 5,
        };
        let p = |s: &str| parse_csv("t", "t.csv", s.as_bytes(), &limits);
        assert!(p("a,b\n1,2\n3,4\n").is_ok());
        assert!(p("a,b\n1,2\n3,4\n5,6\n")
            .unwrap_err()
            .to_string()
            .contains("rows"));
        assert!(p("a,b,c,d\n").unwrap_err().to_string().contains("columns"));
        assert!(p("a,b\n123456,1\n")
            .unwrap_err()
            .to_string()
            .contains("t.csv:2: a cell over 5"));
    }
}
