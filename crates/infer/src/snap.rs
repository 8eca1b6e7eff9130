//! Value snapping: a predicted `=` value on a text column that is not a cell of that column is
//! replaced by the column's most similar cell.
//!
//! Predicted values are question substrings, and questions often paraphrase cells ("butler cc"
//! for "Butler CC (KS)"). Snapping reads table content, so it is an option reported separately
//! from the plain model: it can help execution accuracy and hurt logical-form accuracy (the gold
//! value is usually the question's wording, not the cell's).

use super::decode::DecodedCond;
use sqlcoder_data::types::{Cell, ColumnType, CondOp, Table};
use sqlcoder_sql::value::fold_text;

/// Whether `value` is a cell of text column `col`, compared as the executor compares text
/// (case-folded, whole value). Non-text columns: always true (numbers are compared as numbers).
pub fn is_cell(value: &str, table: &Table, col: usize) -> bool {
    if table.types.get(col) != Some(&ColumnType::Text) {
        return true;
    }
    let folded = fold_text(value);
    table
        .rows
        .iter()
        .any(|r| matches!(r.get(col), Some(Cell::Text(s)) if fold_text(s) == folded))
}

/// Quote marks and brackets a value span may carry from the question (`"Blue Moon"`, `(F)`)
/// that the table's cell does not: openers before the value, closers after it.
const OPENERS: &[char] = &['"', '\'', '“', '‘', '«', '(', '['];
const CLOSERS: &[char] = &['"', '\'', '”', '’', '»', ')', ']'];

/// `value` without the quote marks or brackets around it, when it is no cell of its column and
/// the unwrapped text is one: a value span that kept the question's quotes. Values that are
/// cells as they are (WikiSQL's titles often keep their quotes in the cell) stay.
pub fn unwrap_value(value: &str, table: &Table, col: usize) -> Option<String> {
    if is_cell(value, table, col) {
        return None;
    }
    let inner = value
        .trim()
        .trim_start_matches(OPENERS)
        .trim_end_matches(CLOSERS)
        .trim();
    (!inner.is_empty() && is_cell(inner, table, col)).then(|| inner.to_string())
}

/// Currency symbols a number in a question may carry (`under $4`).
pub const CURRENCIES: &[char] = &['$', '£', '€', '¥', '₹'];

/// `value` without the currency symbol before it, when what follows is a number: WikiSQL writes
/// `earnings < 117,682` for "earnings less than $117,682", and so should we.
pub fn bare_number(value: &str) -> Option<String> {
    let rest = value.trim().strip_prefix(CURRENCIES)?.trim_start();
    rest.starts_with(|c: char| c.is_ascii_digit())
        .then(|| rest.to_string())
}

/// Least similarity (in [0, 1]) a cell needs to replace a value: below it the value stays as typed.
pub const MIN_SIMILARITY: f64 = 0.5;

/// The cell of column `col` that `value` should become, if any: `None` when the value already
/// is a cell (compared as the executor compares text, case-folded), when the column is not text,
/// or when no cell is similar enough.
pub fn snap_value(value: &str, table: &Table, col: usize) -> Option<String> {
    if table.types.get(col) != Some(&ColumnType::Text) {
        return None;
    }
    // "Already a cell" is judged as SQL compares (whole value); similarity ignores outer spaces.
    let as_compared = fold_text(value);
    let folded = fold_text(value.trim());
    let cells = table.rows.iter().filter_map(|r| match r.get(col) {
        Some(Cell::Text(s)) if !s.trim().is_empty() => Some(s.as_str()),
        _ => None,
    });
    let mut best: Option<(f64, &str)> = None;
    for cell in cells {
        let cell_folded = fold_text(cell);
        if cell_folded == as_compared {
            return None;
        }
        let s = similarity(&folded, &cell_folded);
        if s >= MIN_SIMILARITY && best.is_none_or(|(b, _)| s > b) {
            best = Some((s, cell));
        }
    }
    best.map(|(_, cell)| cell.to_string())
}

/// Snaps one decoded condition in place (only `=` conditions); true when its value changed.
pub fn snap_cond(cond: &mut DecodedCond, table: &Table) -> bool {
    if cond.op != CondOp::Eq {
        return false;
    }
    match snap_value(&cond.value, table, cond.col) {
        Some(cell) => {
            cond.value = cell;
            true
        }
        None => false,
    }
}

/// The larger of normalised edit similarity and word overlap (Jaccard) of two folded strings.
pub fn similarity(a: &str, b: &str) -> f64 {
    edit_similarity(a, b).max(word_overlap(a, b))
}

/// `1 - levenshtein(a, b) / max(len)`, over characters.
fn edit_similarity(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    1.0 - levenshtein(&a, &b) as f64 / longest as f64
}

pub fn levenshtein<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, x) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let substitution = prev[j] + usize::from(x != y);
            cur[j + 1] = substitution.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Jaccard overlap of the alphanumeric words of two strings.
fn word_overlap(a: &str, b: &str) -> f64 {
    let words = |s: &str| -> std::collections::BTreeSet<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let (wa, wb) = (words(a), words(b));
    let union = wa.union(&wb).count();
    if union == 0 {
        return 0.0;
    }
    wa.intersection(&wb).count() as f64 / union as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_lose_their_currency_symbol() {
        assert_eq!(bare_number("$2,000").as_deref(), Some("2,000"));
        assert_eq!(bare_number(" € 25").as_deref(), Some("25"));
        assert_eq!(bare_number("2,000"), None);
        assert_eq!(bare_number("$ signs"), None);
    }

    fn table() -> Table {
        Table::new(
            "1-1",
            &["School", "No."],
            &[ColumnType::Text, ColumnType::Real],
            vec![
                vec!["Butler CC (KS)".into(), 3.0.into()],
                vec!["Duke".into(), 21.0.into()],
                vec!["Iowa State".into(), 4.0.into()],
            ],
        )
    }

    #[test]
    fn quotes_and_brackets_come_off_only_when_that_makes_a_cell() {
        let t = table();
        assert!(is_cell("duke", &t, 0) && !is_cell("\"Duke\"", &t, 0) && is_cell("x", &t, 1));
        assert_eq!(unwrap_value("\"Duke\"", &t, 0).as_deref(), Some("Duke"));
        assert_eq!(
            unwrap_value("“iowa state”", &t, 0).as_deref(),
            Some("iowa state")
        );
        assert_eq!(unwrap_value("'Duke", &t, 0).as_deref(), Some("Duke"));
        assert_eq!(unwrap_value("(Duke)", &t, 0).as_deref(), Some("Duke"));
        // A cell as it is stays (the brackets belong to it); no cell after unwrapping: unchanged.
        assert_eq!(unwrap_value("Butler CC (KS)", &t, 0), None);
        assert_eq!(unwrap_value("\"Yale\"", &t, 0), None);
    }

    #[test]
    fn near_values_snap_to_their_cell() {
        assert_eq!(
            snap_value("butler cc", &table(), 0).as_deref(),
            Some("Butler CC (KS)")
        );
        assert_eq!(
            snap_value("iowa st", &table(), 0).as_deref(),
            Some("Iowa State")
        );
        assert_eq!(snap_value("dukes", &table(), 0).as_deref(), Some("Duke"));
    }

    #[test]
    fn cells_far_values_and_real_columns_stay() {
        assert_eq!(snap_value("DUKE", &table(), 0), None, "already a cell");
        assert_eq!(snap_value("michigan", &table(), 0), None, "nothing similar");
        assert_eq!(snap_value("22", &table(), 1), None, "real column");
        assert_eq!(snap_value("x", &table(), 9), None, "no such column");
    }

    #[test]
    fn only_equality_conditions_snap() {
        let mut cond = DecodedCond {
            col: 0,
            op: CondOp::Gt,
            span: (0, 0),
            value: "butler cc".into(),
            log_prob: 0.0,
        };
        assert!(!snap_cond(&mut cond, &table()));
        cond.op = CondOp::Eq;
        assert!(snap_cond(&mut cond, &table()));
        assert_eq!(cond.value, "Butler CC (KS)");
    }

    #[test]
    fn edit_distance_counts_edits() {
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(levenshtein(&chars("kitten"), &chars("sitting")), 3);
        assert_eq!(levenshtein(&chars(""), &chars("abc")), 3);
        assert_eq!(levenshtein(&chars("same"), &chars("same")), 0);
    }
}
