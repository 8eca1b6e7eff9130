//! A user's own table from an Excel workbook (.xlsx): one sheet, read through calamine.
//!
//! The sheet is the one named, else the first visible worksheet. The header row is the first
//! row with more than one non-empty cell (rows above it, such as a title, are skipped and said
//! in a note); a sheet whose rows all hold one cell takes its first row. Empty header cells
//! (a merged cell is empty past its first cell) stay empty and are named as a CSV file's are
//! (`column_<n>`). Empty rows are skipped, as CSV's blank lines are.
//!
//! Cells: a formula's cached value (the one Excel saved), numbers, booleans as `TRUE`/`FALSE`,
//! dates and times as ISO text (1900 and 1904 date systems), percentages in percent points
//! (12% is 12), error values (`#DIV/0!`) as empty (NULL, with a note). Column types are inferred
//! as CSV's are: `real` when every non-empty cell is a number or a number stored as text.
//!
//! Limits: those of CSV ([`TableLimits`]), the file's bytes (the caller's), and what its zip
//! entries unzip to ([`WorkbookLimits::max_unzipped_bytes`]). Only .xlsx is read: .xls, .xlsb,
//! .ods and password-protected workbooks get a one-line error saying what to save instead.

mod cells;
mod container;
mod table;

use crate::csv::TableLimits;
use crate::types::Table;
use anyhow::{anyhow, bail, Result};
use calamine::{Reader, SheetType, SheetVisible, Xlsx};
use cells::{cell_name, is_percent_format, Value};
use std::io::Cursor;
use table::to_table;

/// Bounds on a workbook: the table's, and the bytes its zip entries may unzip to (a small
/// file can unzip to gigabytes: a zip bomb).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorkbookLimits {
    pub table: TableLimits,
    pub max_unzipped_bytes: u64,
}

/// What a workbook's zip entries may unzip to, together: 256 MiB. A full table within
/// [`TableLimits::default`] (100,000 rows of 64 cells) is about that much sheet XML.
pub const MAX_UNZIPPED_BYTES: u64 = 256 << 20;

impl Default for WorkbookLimits {
    fn default() -> Self {
        Self {
            table: TableLimits::default(),
            max_unzipped_bytes: MAX_UNZIPPED_BYTES,
        }
    }
}

/// A sheet read as a table, with what the reader did that a user should hear of (title rows
/// skipped, error cells emptied, percentages rescaled, which sheet of several was read).
#[derive(Clone, Debug, PartialEq)]
pub struct SheetTable {
    pub table: Table,
    /// The sheet read.
    pub sheet: String,
    /// One sentence each.
    pub notes: Vec<String>,
}

/// Sheet names listed in a message, at most (of the visible ones, and of the hidden ones).
const MAX_SHEETS_LISTED: usize = 20;

/// Title rows looked past before giving up on finding the header within the row limit.
const MAX_TITLE_ROWS: usize = 64;

/// The table `id` from the .xlsx workbook `bytes` (`source` names it in errors: a file name):
/// the sheet named `sheet`, else the first visible worksheet. Every problem is a one-line error.
pub fn table_from_xlsx_bytes(
    id: &str,
    source: &str,
    bytes: &[u8],
    sheet: Option<&str>,
    limits: &WorkbookLimits,
) -> Result<SheetTable> {
    container::check_workbook(source, bytes, limits.max_unzipped_bytes)?;
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| damaged(source, e))?;
    let sheets = book.sheets_metadata().to_vec();
    let name = pick_sheet(source, &sheets, sheet)?;
    let mut notes = Vec::new();
    let visible = sheets
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
        .count();
    if sheet.is_none() && visible > 1 {
        notes.push(format!(
            "read sheet {name:?}, the first of {visible}: {}",
            sheet_list(&sheets)
        ));
    }
    let cells = read_cells(source, &name, &mut book, &limits.table)?;
    let table = to_table(id, source, &name, cells, &limits.table, &mut notes)?;
    Ok(SheetTable {
        table,
        sheet: name,
        notes,
    })
}

/// The one-line error for a workbook calamine cannot read.
fn damaged(source: &str, e: calamine::XlsxError) -> anyhow::Error {
    let message = e.to_string().replace(['\n', '\r'], " ");
    anyhow!("{source}: a damaged .xlsx workbook: {message}")
}

/// The sheet to read: `wanted` (an unknown name is an error listing the sheets), else the first
/// visible worksheet.
fn pick_sheet(source: &str, sheets: &[calamine::Sheet], wanted: Option<&str>) -> Result<String> {
    let worksheets = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
    match wanted {
        Some(name) => match sheets.iter().find(|s| s.name == name) {
            Some(s) if s.typ == SheetType::WorkSheet => Ok(s.name.clone()),
            Some(_) => bail!("{source}: sheet {name:?} holds no cells (a chart or macro sheet)"),
            None => bail!("{source}: no sheet {name:?}; {}", sheet_list(sheets)),
        },
        None => worksheets()
            .find(|s| s.visible == SheetVisible::Visible)
            .or_else(|| worksheets().next())
            .map(|s| s.name.clone())
            .ok_or_else(|| anyhow!("{source}: the workbook has no worksheet")),
    }
}

/// `the sheets are "A", "B" (hidden: "C")`.
fn sheet_list(sheets: &[calamine::Sheet]) -> String {
    let quoted = |visible: bool| -> Vec<String> {
        sheets
            .iter()
            .filter(|s| s.typ == SheetType::WorkSheet)
            .filter(|s| (s.visible == SheetVisible::Visible) == visible)
            .map(|s| format!("{:?}", s.name))
            .collect()
    };
    // A workbook may hold hundreds of sheets; the error stays one readable line.
    let shorten = |mut names: Vec<String>| {
        if names.len() > MAX_SHEETS_LISTED {
            let more = names.len() - MAX_SHEETS_LISTED;
            names.truncate(MAX_SHEETS_LISTED);
            names.push(format!("and {more} more"));
        }
        names
    };
    let (shown, hidden) = (shorten(quoted(true)), shorten(quoted(false)));
    let mut list = format!("the sheets are {}", shown.join(", "));
    if !hidden.is_empty() {
        list += &format!(" (hidden: {})", hidden.join(", "));
    }
    list
}

/// A non-empty cell: row, column (from 0), value.
type SheetCell = (u32, u32, Value);

/// What [`read_cells`] found.
#[derive(Default)]
struct SheetCells {
    cells: Vec<SheetCell>,
    /// Columns (from 0) with a number shown as a percentage.
    percent_columns: std::collections::BTreeSet<u32>,
}

/// The non-empty cells of sheet `name` in sheet order, streamed (calamine's whole-sheet range
/// would allocate every cell of the bounding box, which a sheet with one far cell makes huge),
/// stopping at the row, column and cell-length limits.
fn read_cells(
    source: &str,
    name: &str,
    book: &mut Xlsx<Cursor<&[u8]>>,
    limits: &TableLimits,
) -> Result<SheetCells> {
    let mut reader = book
        .worksheet_cells_reader(name)
        .map_err(|e| damaged(source, e))?;
    let percent: Vec<bool> = reader.styles().iter().map(is_percent_format).collect();
    let max_rows = limits.max_rows + 1 + MAX_TITLE_ROWS;
    let mut read = SheetCells::default();
    let (mut rows, mut min_col, mut max_col) = (0, u32::MAX, 0);
    while let Some((cell, style)) = reader
        .next_cell_with_style_id()
        .map_err(|e| damaged(source, e))?
    {
        let (row, col) = cell.get_position();
        let is_percent = percent.get(style).copied().unwrap_or(false);
        let Some(value) = Value::of(cell.get_value().clone(), is_percent) else {
            continue;
        };
        if is_percent && matches!(value, Value::Number(_)) {
            read.percent_columns.insert(col);
        }
        (min_col, max_col) = (min_col.min(col), max_col.max(col));
        if (max_col - min_col) as usize >= limits.max_columns {
            bail!(
                "{source}: sheet {name:?}: cells span over {0} columns: at most {0} are accepted",
                limits.max_columns
            );
        }
        if let Value::Text(s) = &value {
            if s.chars().count() > limits.max_cell_chars {
                bail!(
                    "{source}: sheet {name:?} cell {}: over {} characters",
                    cell_name(row, col),
                    limits.max_cell_chars
                );
            }
        }
        if read.cells.last().is_none_or(|&(r, _, _)| r != row) {
            rows += 1;
            if rows > max_rows {
                bail!(
                    "{source}: sheet {name:?}: over {0} rows: at most {0} are accepted",
                    limits.max_rows
                );
            }
        }
        read.cells.push((row, col, value));
    }
    // Sheet order is row order in files Excel writes; sorting makes it so for any writer.
    read.cells.sort_by_key(|&(r, c, _)| (r, c));
    Ok(read)
}
