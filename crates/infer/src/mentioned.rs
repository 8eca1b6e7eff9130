//! Conditions the question spells out as a cell but the decoded query leaves out: "How many Folk
//! acts are there?" on a table whose Genre column holds "Folk", decoded as `COUNT(Artist)` with no
//! condition. Trained on WikiSQL, where nearly every question has a condition, and then on
//! questions without one, the model drops a condition on tables unlike WikiSQL's more often than
//! it invents one (the largest error on the OOD tune part); the table's content says what it
//! missed.
//!
//! A mention is a run of question words equal to a text cell's words (case-folded; the last
//! question word may add a plural "s"/"es": "gas giants" names "Gas giant"), outside the spans of
//! the query's own values. Cells that say little are no mention: shorter than three characters,
//! without a letter, a common word, or words of a header ("Report" cells in a Report column). Each
//! column not yet in a condition gets its longest mention, longest first while no two overlap and
//! the query stays within four conditions; the value is the cell's own text.

use super::decode::{Decoded, DecodedCond};
use super::scores::SlotScores;
use regex::Regex;
use sqlcoder_data::types::{Cell, ColumnType, CondOp, Table};
use sqlcoder_model::heads::N_WHERE;
use std::collections::HashSet;
use std::sync::LazyLock;

/// Cell texts that are ordinary words, not names of anything.
const COMMON: &[&str] = &[
    "the", "and", "for", "are", "was", "were", "yes", "all", "any", "how", "many", "what", "which",
    "who", "with", "from", "total", "not", "none", "n/a", "one", "two", "has", "have", "had",
];

static WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{L}\p{N}]+(?:[-'./][\p{L}\p{N}]+)*").expect("a valid pattern")
});

/// The lowercased words of `s` with their byte ranges in `s`.
fn words(s: &str) -> Vec<(String, usize, usize)> {
    WORD.find_iter(s)
        .map(|m| (m.as_str().to_lowercase(), m.start(), m.end()))
        .collect()
}

/// The lowercased words of `s` (letters and digits, joined across `-`, `'`, `.` and `/`).
pub(crate) fn lower_words(s: &str) -> Vec<String> {
    words(s).into_iter().map(|(w, _, _)| w).collect()
}

/// Whether `needle` occurs as consecutive words of `hay`.
fn contains_words(hay: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Whether question word `q` names cell word `c`, or its plural.
fn same_word(q: &str, c: &str, last: bool) -> bool {
    q == c
        || (last
            && q.strip_prefix(c)
                .is_some_and(|rest| rest == "s" || rest == "es"))
}

/// Whether a cell's words say enough to count as a mention.
fn telling(cell: &[String], headers: &[Vec<String>]) -> bool {
    let text = cell.join(" ");
    text.chars().count() >= 3
        && text.chars().any(char::is_alphabetic)
        && !COMMON.contains(&text.as_str())
        && !headers.iter().any(|h| contains_words(h, cell))
}

/// The mentioned conditions to add to `d` (see the module documentation), with their
/// log-probabilities under the model; empty when there are none.
pub fn mentioned_conds(
    d: &Decoded,
    scores: &SlotScores,
    question: &str,
    offsets: &[(usize, usize)],
    table: &Table,
) -> Vec<DecodedCond> {
    let q = words(question);
    let q_words: Vec<String> = q.iter().map(|(w, _, _)| w.clone()).collect();
    let headers: Vec<Vec<String>> = table.header.iter().map(|h| lower_words(h)).collect();
    // Byte ranges of the question taken by the query's own values.
    let mut taken: Vec<(usize, usize)> = d
        .conds
        .iter()
        .filter_map(|c| {
            let v = lower_words(&c.value);
            let at = q_words.windows(v.len().max(1)).position(|w| w == v)?;
            Some((q[at].1, q[at + v.len() - 1].2))
        })
        .collect();
    let used: HashSet<usize> = d.conds.iter().map(|c| c.col).collect();
    // (column, cell text, byte range of the mention)
    let mut found: Vec<(usize, String, (usize, usize))> = Vec::new();
    for col in 0..table.header.len() {
        if used.contains(&col) || table.types.get(col) != Some(&ColumnType::Text) {
            continue;
        }
        let mut best: Option<(usize, String, (usize, usize))> = None;
        let mut seen = HashSet::new();
        for row in &table.rows {
            let Some(Cell::Text(cell)) = row.get(col) else {
                continue;
            };
            let cw = lower_words(cell);
            if !seen.insert(cw.clone()) || !telling(&cw, &headers) {
                continue;
            }
            let n = cw.len();
            for i in 0..(q.len() + 1).saturating_sub(n) {
                let hit = (0..n).all(|k| same_word(&q_words[i + k], &cw[k], k + 1 == n));
                let range = (q[i].1, q[i + n - 1].2);
                let overlaps = taken.iter().any(|&(a, b)| a < range.1 && range.0 < b);
                if hit && !overlaps && best.as_ref().is_none_or(|b| cell.len() > b.0) {
                    best = Some((cell.len(), cell.clone(), range));
                }
            }
        }
        if let Some((_, cell, range)) = best {
            found.push((col, cell, range));
        }
    }
    found.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    let mut out = Vec::new();
    for (col, cell, range) in found {
        if d.conds.len() + out.len() + 1 >= N_WHERE {
            break;
        }
        if taken.iter().any(|&(a, b)| a < range.1 && range.0 < b) {
            continue;
        }
        taken.push(range);
        let span = token_span(offsets, range);
        let value_lp = scores.value_start[col]
            .get(span.0)
            .copied()
            .unwrap_or(f32::MIN)
            + scores.value_end[col]
                .get(span.1)
                .copied()
                .unwrap_or(f32::MIN);
        out.push(DecodedCond {
            col,
            op: CondOp::Eq,
            span,
            value: cell,
            log_prob: scores.where_col[col] + scores.op[col][CondOp::Eq as usize] + value_lp,
        });
    }
    out
}

/// The question tokens (word pieces, by their byte offsets) that cover bytes `range`.
fn token_span(offsets: &[(usize, usize)], range: (usize, usize)) -> (usize, usize) {
    let start = offsets.iter().position(|&(_, e)| e > range.0).unwrap_or(0);
    let end = offsets
        .iter()
        .rposition(|&(s, _)| s < range.1)
        .unwrap_or(start)
        .max(start);
    (start, end)
}

/// `d` with the conditions it leaves out added, its log-probability updated (the where count
/// changes too); `None` when nothing is mentioned.
pub fn with_mentioned(
    d: &Decoded,
    scores: &SlotScores,
    question: &str,
    offsets: &[(usize, usize)],
    table: &Table,
) -> Option<Decoded> {
    let extra = mentioned_conds(d, scores, question, offsets, table);
    if extra.is_empty() {
        return None;
    }
    let (before, after) = (d.conds.len(), d.conds.len() + extra.len());
    let mut out = d.clone();
    out.log_prob += scores.where_count[after] - scores.where_count[before]
        + extra.iter().map(|c| c.log_prob).sum::<f32>();
    out.conds.extend(extra);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlcoder_data::types::Agg;

    fn table() -> Table {
        let t = ColumnType::Text;
        Table::new(
            "planets",
            &["Planet", "Type", "Report", "Moons"],
            &[t, t, t, ColumnType::Real],
            vec![
                vec![
                    "Jupiter".into(),
                    "Gas giant".into(),
                    "Report".into(),
                    95.0.into(),
                ],
                vec![
                    "Earth".into(),
                    "Terrestrial".into(),
                    "Report".into(),
                    1.0.into(),
                ],
                vec![
                    "Saturn".into(),
                    "Gas giant".into(),
                    "Report".into(),
                    146.0.into(),
                ],
            ],
        )
    }

    fn scores(n_cols: usize, n_q: usize) -> SlotScores {
        let l = 0.5f32.ln();
        SlotScores {
            sel: vec![l; n_cols],
            agg: vec![[l; 6]; n_cols],
            where_count: [l; N_WHERE],
            where_col: vec![l; n_cols],
            op: vec![[l; 3]; n_cols],
            value_start: vec![vec![l; n_q]; n_cols],
            value_end: vec![vec![l; n_q]; n_cols],
            family: None,
        }
    }

    /// One token per word, as offsets.
    fn offsets(q: &str) -> Vec<(usize, usize)> {
        words(q).into_iter().map(|(_, s, e)| (s, e)).collect()
    }

    fn decoded(conds: Vec<DecodedCond>) -> Decoded {
        Decoded {
            sel: 0,
            agg: Agg::Count,
            conds,
            log_prob: 0.0,
        }
    }

    #[test]
    fn a_named_cell_becomes_a_condition_with_the_cells_text() {
        let q = "how many gas giants are there";
        let d = decoded(vec![]);
        let added = with_mentioned(&d, &scores(4, 6), q, &offsets(q), &table()).unwrap();
        assert_eq!(added.conds.len(), 1);
        assert_eq!((added.conds[0].col, added.conds[0].op), (1, CondOp::Eq));
        assert_eq!(added.conds[0].value, "Gas giant");
        assert_eq!(added.conds[0].span, (2, 3));
        assert!(added.log_prob < d.log_prob);
    }

    #[test]
    fn values_already_used_header_words_and_numbers_are_no_mention() {
        let t = table();
        // Saturn is the query's own value; "report" is a header's word; 95 is no text cell.
        let q = "what report has saturn with 95 moons";
        let saturn = DecodedCond {
            col: 0,
            op: CondOp::Eq,
            span: (3, 3),
            value: "saturn".into(),
            log_prob: 0.0,
        };
        let d = decoded(vec![saturn]);
        assert!(with_mentioned(&d, &scores(4, 7), q, &offsets(q), &t).is_none());
        // A column that already has a condition gets no second one.
        let q = "which terrestrial planet is earth";
        let earth = DecodedCond {
            col: 0,
            op: CondOp::Eq,
            span: (4, 4),
            value: "earth".into(),
            log_prob: 0.0,
        };
        let added = with_mentioned(&decoded(vec![earth]), &scores(4, 5), q, &offsets(q), &t);
        let added = added.unwrap();
        assert_eq!(added.conds.len(), 2);
        assert_eq!(added.conds[1].value, "Terrestrial");
    }
}
