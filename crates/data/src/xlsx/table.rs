//! A sheet's cells laid out as a table: the header row found, columns spanning the header and
//! data rows, types inferred as CSV's are.

use super::cells::{cell_name, Value};
use super::SheetCells;
use crate::csv::{number, TableLimits};
use crate::types::{Cell, ColumnType, Table};
use anyhow::{anyhow, bail, Result};

/// The table of a sheet's cells: the header row found, columns spanning the header and data
/// rows, types inferred.
pub(super) fn to_table(
    id: &str,
    source: &str,
    sheet: &str,
    read: SheetCells,
    limits: &TableLimits,
    notes: &mut Vec<String>,
) -> Result<Table> {
    let mut rows: Vec<(u32, Vec<(u32, Value)>)> = Vec::new();
    for (r, c, v) in read.cells {
        match rows.last_mut() {
            Some((row, cells)) if *row == r => cells.push((c, v)),
            _ => rows.push((r, vec![(c, v)])),
        }
    }
    if rows.is_empty() {
        bail!("{source}: sheet {sheet:?} is empty");
    }
    let header_at = rows.iter().position(|(_, c)| c.len() > 1).unwrap_or(0);
    if header_at > 0 {
        let header_row = rows[header_at].0 + 1;
        let title = rows[0].1[0].1.header_text();
        notes.push(if header_at == 1 {
            format!("header row {header_row}; skipped the row above it: {title:?}")
        } else {
            format!("header row {header_row}; skipped the {header_at} rows above it, the first: {title:?}")
        });
    }
    let rows = &rows[header_at..];
    let first_col = rows.iter().map(|(_, c)| c[0].0).min().expect("a row");
    let last_col = rows
        .iter()
        .map(|(_, c)| c.last().expect("a cell").0)
        .max()
        .expect("a row");
    let width = (last_col - first_col + 1) as usize;
    let (header_row, data_rows) = rows.split_first().expect("a row");
    limits
        .check_shape(data_rows.len(), width)
        .map_err(|e| anyhow!("{source}: sheet {sheet:?}: {e}"))?;

    let mut header = vec![String::new(); width];
    for (c, v) in &header_row.1 {
        header[(c - first_col) as usize] = v.header_text().trim().to_string();
    }
    let mut grid: Vec<Vec<Option<Value>>> = Vec::with_capacity(data_rows.len());
    let mut errors: Vec<(String, String)> = Vec::new();
    for (r, row) in data_rows {
        let mut out = vec![None; width];
        for (c, v) in row {
            if let Value::Error(e) = v {
                errors.push((cell_name(*r, *c), e.clone()));
                continue;
            }
            out[(c - first_col) as usize] = Some(v.clone());
        }
        grid.push(out);
    }
    if let Some((at, value)) = errors.first() {
        notes.push(format!(
            "{} error cell(s) read as empty (NULL), the first {at} ({value})",
            errors.len()
        ));
    }

    for col in &read.percent_columns {
        if let Some(name) = col
            .checked_sub(first_col)
            .and_then(|c| header.get(c as usize))
        {
            notes.push(format!(
                "column {name:?}: percentages read as percent points (12% is 12)"
            ));
        }
    }
    let mut types = Vec::with_capacity(width);
    for (c, name) in header.iter().enumerate() {
        let mut column = grid.iter().filter_map(|row| row[c].as_ref());
        let mut any = false;
        let mut text_numbers = false;
        let numeric = column.all(|v| {
            any = true;
            match v {
                Value::Number(_) => true,
                Value::Text(s) => {
                    text_numbers = true;
                    number(s.trim()).is_some()
                }
                Value::Error(_) => true,
            }
        });
        let real = any && numeric;
        if real && text_numbers {
            notes.push(format!(
                "column {name:?}: numbers stored as text read as numbers"
            ));
        }
        types.push(if real {
            ColumnType::Real
        } else {
            ColumnType::Text
        });
    }
    let rows = grid
        .into_iter()
        .map(|row| {
            row.into_iter()
                .zip(&types)
                .map(|(v, t)| match (v, t) {
                    (None, _) | (Some(Value::Error(_)), _) => Cell::Text(String::new()),
                    (Some(Value::Number(n)), ColumnType::Real) => Cell::Number(n),
                    (Some(Value::Number(n)), ColumnType::Text) => Cell::Text(n.to_string()),
                    (Some(Value::Text(s)), ColumnType::Real) => {
                        Cell::Number(number(s.trim()).expect("a numeric column"))
                    }
                    (Some(Value::Text(s)), ColumnType::Text) => Cell::Text(s),
                })
                .collect()
        })
        .collect();
    Ok(Table {
        id: id.to_string(),
        header,
        types,
        rows,
    })
}
