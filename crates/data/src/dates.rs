//! Dates written as text: which columns hold them, in which form, and what a date in a question
//! means. Tables keep dates as text cells ("2024-03-04", "03/04/2024", "4 March 2024",
//! "Mar 4, 2024"); ordering or comparing them as text would be silently wrong, so the assembler
//! orders and compares them through a sort key built from the form found here.

use crate::types::{Cell, ColumnType, Table};

/// How a column writes its dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DateFormat {
    /// `2024-03-04` (a time may follow).
    Iso,
    /// Numbers with a separator, day first: `13/03/2024`.
    DayMonthYear(char),
    /// Numbers with a separator, month first: `03/13/2024`.
    MonthDayYear(char),
    /// Numbers with a separator where no cell has a day above 12: day and month cannot be told
    /// apart, so the column is neither ordered nor compared as dates.
    Ambiguous(char),
    /// `4 March 2024`, `4 Mar 2024`.
    DayMonthName,
    /// `March 4, 2024`, `Mar 4, 2024`, `Mar 4 2024`.
    MonthNameDay,
}

/// A calendar date as `yyyymmdd` (what the assembler's sort keys compute).
pub type DateKey = i64;

/// A date or a stretch of dates a question names: a day (`lo == hi`), a month or a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateSpan {
    pub lo: DateKey,
    pub hi: DateKey,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// The month (1-12) a word names: a full English month name or its first three letters
/// ("Sept" too).
pub fn month_number(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let i = MONTHS.iter().position(|m| w.starts_with(m))?;
    (full[i].starts_with(&w) || w == "sept").then_some(i as u32 + 1)
}

fn key(y: u32, m: u32, d: u32) -> Option<DateKey> {
    let ok = (1..=12).contains(&m) && (1..=31).contains(&d) && (1000..=9999).contains(&y);
    ok.then_some(i64::from(y) * 10_000 + i64::from(m) * 100 + i64::from(d))
}

fn number(s: &str, digits: std::ops::RangeInclusive<usize>) -> Option<u32> {
    (digits.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// `a<sep>b<sep>yyyy` → (a, b, year, sep).
fn numeric_parts(s: &str) -> Option<(u32, u32, u32, char)> {
    let sep = ['/', '-', '.'].into_iter().find(|&c| s.contains(c))?;
    let parts: Vec<&str> = s.split(sep).collect();
    let [a, b, y] = parts.as_slice() else {
        return None;
    };
    Some((number(a, 1..=2)?, number(b, 1..=2)?, number(y, 4..=4)?, sep))
}

impl DateFormat {
    /// The format of one cell's text, if it is a date (a slashed date reads as day-first when its
    /// first number is above 12, month-first when its second is, else ambiguous).
    pub fn of_text(text: &str) -> Option<DateFormat> {
        let s = text.trim();
        if s.len() >= 10 && s.is_char_boundary(10) {
            let (date, rest) = s.split_at(10);
            let b = date.as_bytes();
            if b[4] == b'-'
                && b[7] == b'-'
                && (rest.is_empty() || rest.starts_with([' ', 'T']))
                && key(
                    number(&date[..4], 4..=4)?,
                    number(&date[5..7], 2..=2)?,
                    number(&date[8..], 2..=2)?,
                )
                .is_some()
            {
                return Some(DateFormat::Iso);
            }
        }
        if let Some((a, b, y, sep)) = numeric_parts(s) {
            return match (key(y, b, a), key(y, a, b)) {
                (Some(_), None) => Some(DateFormat::DayMonthYear(sep)),
                (None, Some(_)) => Some(DateFormat::MonthDayYear(sep)),
                (Some(_), Some(_)) => Some(DateFormat::Ambiguous(sep)),
                (None, None) => None,
            };
        }
        let words: Vec<&str> = s.split(' ').filter(|w| !w.is_empty()).collect();
        if let [d, m, y] = words.as_slice() {
            if let (Some(d), Some(m), Some(y)) =
                (number(d, 1..=2), month_number(m), number(y, 4..=4))
            {
                return key(y, m, d).map(|_| DateFormat::DayMonthName);
            }
            let day = m.trim_end_matches(',');
            if let (Some(m), Some(d), Some(y)) =
                (month_number(d), number(day, 1..=2), number(y, 4..=4))
            {
                return key(y, m, d).map(|_| DateFormat::MonthNameDay);
            }
        }
        None
    }

    /// The date format every non-empty cell of text column `col` is written in, when there is one
    /// (slashed cells settle on day-first or month-first if any cell decides it, and on
    /// [`DateFormat::Ambiguous`] if none does).
    pub fn of_column(table: &Table, col: usize) -> Option<DateFormat> {
        if table.types.get(col) != Some(&ColumnType::Text) {
            return None;
        }
        let mut found: Option<DateFormat> = None;
        let mut cells = 0;
        for row in &table.rows {
            let Some(Cell::Text(text)) = row.get(col) else {
                continue;
            };
            if text.trim().is_empty() {
                continue;
            }
            cells += 1;
            let this = DateFormat::of_text(text)?;
            found = Some(match (found, this) {
                (None, f) => f,
                (Some(a), b) if a == b => a,
                (
                    Some(DateFormat::Ambiguous(s)),
                    f @ (DateFormat::DayMonthYear(t) | DateFormat::MonthDayYear(t)),
                )
                | (
                    Some(f @ (DateFormat::DayMonthYear(t) | DateFormat::MonthDayYear(t))),
                    DateFormat::Ambiguous(s),
                ) if s == t => f,
                _ => return None,
            });
        }
        found.filter(|_| cells > 0)
    }

    /// Whether dates in this format can be ordered (day and month told apart).
    pub fn orderable(self) -> bool {
        !matches!(self, DateFormat::Ambiguous(_))
    }

    /// A cell's date as a sort key, read in this format.
    pub fn key_of(self, text: &str) -> Option<DateKey> {
        let s = text.trim();
        match (self, DateFormat::of_text(s)?) {
            (DateFormat::Iso, DateFormat::Iso) => key(
                s[..4].parse().ok()?,
                s[5..7].parse().ok()?,
                s[8..10].parse().ok()?,
            ),
            (
                DateFormat::DayMonthYear(_) | DateFormat::MonthDayYear(_),
                DateFormat::DayMonthYear(_)
                | DateFormat::MonthDayYear(_)
                | DateFormat::Ambiguous(_),
            ) => {
                let (a, b, y, _) = numeric_parts(s)?;
                match self {
                    DateFormat::DayMonthYear(_) => key(y, b, a),
                    _ => key(y, a, b),
                }
            }
            (DateFormat::DayMonthName, DateFormat::DayMonthName) => {
                let w: Vec<&str> = s.split(' ').filter(|w| !w.is_empty()).collect();
                key(w[2].parse().ok()?, month_number(w[1])?, w[0].parse().ok()?)
            }
            (DateFormat::MonthNameDay, DateFormat::MonthNameDay) => {
                let w: Vec<&str> = s.split(' ').filter(|w| !w.is_empty()).collect();
                key(
                    w[2].parse().ok()?,
                    month_number(w[0])?,
                    w[1].trim_end_matches(',').parse().ok()?,
                )
            }
            _ => None,
        }
    }
}

/// What a date written in a question means on a column in `column`'s format: a day in any of the
/// forms above (a slashed day read in the column's order, or day-first/month-first where a number
/// above 12 says so), a month ("March 2024") or a year ("2023"). `None` when it is none of these,
/// or a slashed day whose order cannot be told.
pub fn date_span(text: &str, column: DateFormat) -> Option<DateSpan> {
    let s = text.trim();
    let day = |k: DateKey| Some(DateSpan { lo: k, hi: k });
    if let Some(f) = DateFormat::of_text(s) {
        return match (f, column) {
            (
                DateFormat::Ambiguous(_),
                DateFormat::DayMonthYear(_) | DateFormat::MonthDayYear(_),
            ) => day(column.key_of(s)?),
            (DateFormat::Ambiguous(_), _) => None,
            (DateFormat::DayMonthYear(_) | DateFormat::MonthDayYear(_), _) => day(f.key_of(s)?),
            (f, _) => day(f.key_of(s)?),
        };
    }
    if let Some(y) = number(s, 4..=4) {
        return Some(DateSpan {
            lo: key(y, 1, 1)?,
            hi: key(y, 12, 31)?,
        });
    }
    let words: Vec<&str> = s.split(' ').filter(|w| !w.is_empty()).collect();
    if let [m, y] = words.as_slice() {
        let (m, y) = (month_number(m.trim_end_matches(','))?, number(y, 4..=4)?);
        return Some(DateSpan {
            lo: key(y, m, 1)?,
            hi: key(y, m, 31)?,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(cells: &[&str]) -> Option<DateFormat> {
        let rows = cells.iter().map(|c| vec![Cell::from(*c)]).collect();
        DateFormat::of_column(&Table::new("d", &["when"], &[ColumnType::Text], rows), 0)
    }

    #[test]
    fn columns_settle_on_one_form_or_none() {
        assert_eq!(
            column(&["2024-03-04", "2023-12-31 10:00"]),
            Some(DateFormat::Iso)
        );
        assert_eq!(
            column(&["03/04/2024", "13/04/2024"]),
            Some(DateFormat::DayMonthYear('/'))
        );
        assert_eq!(
            column(&["03/04/2024", "04/13/2024"]),
            Some(DateFormat::MonthDayYear('/'))
        );
        assert_eq!(
            column(&["03/04/2024", "05/06/2024"]),
            Some(DateFormat::Ambiguous('/'))
        );
        assert_eq!(column(&["13/04/2024", "04/13/2024"]), None);
        assert_eq!(
            column(&["4 March 2024", "12 Jan 2023"]),
            Some(DateFormat::DayMonthName)
        );
        assert_eq!(
            column(&["Mar 4, 2024", "December 25, 2023"]),
            Some(DateFormat::MonthNameDay)
        );
        assert_eq!(column(&["Mar 4, 2024", "soon"]), None);
        assert_eq!(column(&["March", "May"]), None);
        assert_eq!(column(&["1-2", "3-4"]), None);
    }

    #[test]
    fn keys_and_spans_follow_the_column() {
        let dmy = DateFormat::DayMonthYear('/');
        assert_eq!(dmy.key_of("03/04/2024"), Some(20240403));
        assert_eq!(
            DateFormat::MonthDayYear('/').key_of("03/04/2024"),
            Some(20240304)
        );
        assert_eq!(
            DateFormat::MonthNameDay.key_of("Sept 9, 2021"),
            Some(20210909)
        );
        assert_eq!(
            date_span("03/04/2024", dmy),
            Some(DateSpan {
                lo: 20240403,
                hi: 20240403
            })
        );
        assert_eq!(date_span("03/04/2024", DateFormat::Iso), None);
        assert_eq!(
            date_span("4 March 2024", DateFormat::Iso),
            Some(DateSpan {
                lo: 20240304,
                hi: 20240304
            })
        );
        assert_eq!(
            date_span("2023", dmy),
            Some(DateSpan {
                lo: 20230101,
                hi: 20231231
            })
        );
        assert_eq!(
            date_span("March 2024", dmy),
            Some(DateSpan {
                lo: 20240301,
                hi: 20240331
            })
        );
        assert_eq!(date_span("next week", dmy), None);
    }
}
