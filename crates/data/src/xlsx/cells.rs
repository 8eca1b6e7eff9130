//! One workbook cell as our tables hold it: a number, text (dates as ISO text, booleans as
//! `TRUE`/`FALSE`, as Excel's own CSV export writes them), or an error value.

use calamine::{DataRef, ExcelDateTime, Style};

/// A non-empty cell's value.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Value {
    Number(f64),
    Text(String),
    /// An error value such as `#DIV/0!` (read as empty).
    Error(String),
}

impl Value {
    /// The value of a cell (a formula's cached value: the one Excel saved), `None` when it is
    /// empty. `percent`: the cell's number format shows a percentage.
    pub(super) fn of(data: DataRef<'_>, percent: bool) -> Option<Value> {
        Some(match data {
            DataRef::Empty => return None,
            DataRef::Int(n) => Value::Number(shown(n as f64, percent)),
            DataRef::Float(n) => Value::Number(shown(n, percent)),
            DataRef::String(s) if s.is_empty() => return None,
            DataRef::String(s) => Value::Text(s),
            DataRef::SharedString("") => return None,
            DataRef::SharedString(s) => Value::Text(s.to_string()),
            DataRef::Bool(b) => Value::Text(if b { "TRUE" } else { "FALSE" }.into()),
            DataRef::DateTime(d) => Value::Text(iso_text(&d)),
            DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Value::Text(s),
            DataRef::Error(e) => Value::Error(e.to_string()),
        })
    }

    /// The value as header text.
    pub(super) fn header_text(&self) -> String {
        match self {
            Value::Number(n) => n.to_string(),
            Value::Text(s) => s.clone(),
            Value::Error(_) => String::new(),
        }
    }
}

/// Whether a number format shows a percentage: a `%` outside quoted text and `\` escapes.
pub(super) fn is_percent_format(style: &Style) -> bool {
    let Some(format) = &style.number_format else {
        return false;
    };
    let mut quoted = false;
    let mut escaped = false;
    for c in format.format_code.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '%' if !quoted => return true,
            _ => {}
        }
    }
    false
}

/// A number as its cell shows it: a percentage in percent points (0.12 shown as 12% is 12), so
/// that a question saying "12%" matches the cell.
fn shown(n: f64, percent: bool) -> f64 {
    if !percent {
        return n;
    }
    // Through the shortest decimal text, so 0.12 gives 12 and not 12.000000000000002.
    format!("{n}e2").parse().unwrap_or(n * 100.0)
}

/// A date or time as ISO text: `2024-03-01` (no time of day), `2024-03-01 13:45:00`, a time of
/// day alone (`13:45:00`, a serial below 1), or a duration in hours (`36:00:00`). Both the 1900
/// and the 1904 date systems are read (calamine carries which one the workbook uses).
pub(super) fn iso_text(d: &ExcelDateTime) -> String {
    let serial = d.as_f64();
    if d.is_duration() {
        let seconds = (serial * 86_400.0).round() as i64;
        let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
        return format!("{h}:{m:02}:{s:02}");
    }
    let (year, month, day, hour, minute, second, milli) = d.to_ymd_hms_milli();
    let time = if milli > 0 {
        format!("{hour:02}:{minute:02}:{second:02}.{milli:03}")
    } else {
        format!("{hour:02}:{minute:02}:{second:02}")
    };
    if (0.0..1.0).contains(&serial) {
        return time;
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    if (hour, minute, second, milli) == (0, 0, 0, 0) {
        date
    } else {
        format!("{date} {time}")
    }
}

/// A cell's name as Excel writes it: `C4` for row 3, column 2 (both counted from 0).
pub(super) fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    #[test]
    fn dates_in_both_systems_become_iso_text() {
        let date =
            |v, is_1904| iso_text(&ExcelDateTime::new(v, ExcelDateTimeType::DateTime, is_1904));
        assert_eq!(date(45352.0, false), "2024-03-01");
        assert_eq!(date(45352.0 - 1462.0, true), "2024-03-01");
        assert_eq!(date(45352.5, false), "2024-03-01 12:00:00");
        assert_eq!(date(0.75, false), "18:00:00");
        let hours = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(iso_text(&hours), "36:00:00");
    }

    #[test]
    fn percentages_are_percent_points() {
        assert_eq!(shown(0.12, true), 12.0);
        assert_eq!(shown(0.125, true), 12.5);
        assert_eq!(shown(0.12, false), 0.12);
    }

    #[test]
    fn cells_are_named_as_excel_names_them() {
        assert_eq!(cell_name(3, 2), "C4");
        assert_eq!(cell_name(0, 25), "Z1");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(9, 16_383), "XFD10");
    }
}
