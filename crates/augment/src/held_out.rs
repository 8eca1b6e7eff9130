//! Keeping the report part out of the generated file (decontamination).
//!
//! The report part of our own questions (`data/ood/source`, part `test`) measures how the model
//! reads questions written by people, so no generated question may be a near copy of one. A
//! question's *masked skeleton* is its lowercase word tokens with the table's cell values masked
//! to `<v>`, numbers to `<n>` and header words (and their spoken forms) to `<c>`; a generated
//! question whose skeleton is within [`EDITS`] token edits of a report question's is dropped.
//! This is the rule `data/ood/mix.py --overlap` checks the finished file with, written out a
//! second time here so that the generator can keep it (a test pins the two together on a few
//! questions). The report questions only ever remove generated questions: nothing is written
//! from them, so keeping them out can lower the report part's score, never raise it.

use anyhow::{Context, Result};
use sqlcoder_data::ood::read_family_part;
use sqlcoder_data::types::{Cell, Table};
use std::collections::HashSet;
use std::path::Path;

/// Token edits (insertions, deletions, substitutions) within which two skeletons are near.
pub const EDITS: usize = 2;

/// A masked cell value, number and header word, as the skeleton writes them.
pub const VALUE: &str = "<v>";
pub const NUMBER: &str = "<n>";
pub const COLUMN: &str = "<c>";

/// What a table masks in a question: its text cells, longest first (so "new york city" is
/// masked before "york"), and its header words.
#[derive(Clone, Debug, Default)]
pub struct Masks {
    cells: Vec<String>,
    words: HashSet<String>,
}

impl Masks {
    pub fn of(table: &Table) -> Masks {
        let mut cells: Vec<String> = table
            .rows
            .iter()
            .flatten()
            .filter_map(|c| match c {
                Cell::Text(s) => Some(s.trim().to_lowercase()),
                Cell::Number(_) => None,
            })
            .filter(|c| {
                c.chars()
                    .any(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit())
            })
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        cells.sort_by(|a, b| {
            b.chars()
                .count()
                .cmp(&a.chars().count())
                .then_with(|| a.cmp(b))
        });
        Masks {
            cells,
            words: header_words(&table.header),
        }
    }
}

/// Header names as words: each header's `[a-z0-9_]` runs, and its letters split where
/// camelCase and capitals change (`unitPrice` → unit, price; `HTTPCode` → http, code).
fn header_words(header: &[String]) -> HashSet<String> {
    let mut out = HashSet::new();
    for h in header {
        let chars: Vec<char> = h.chars().collect();
        let mut spoken = String::new();
        for (i, &c) in chars.iter().enumerate() {
            if i > 0 && c.is_ascii_uppercase() {
                let prev = chars[i - 1];
                let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
                if prev.is_ascii_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_ascii_uppercase() && next_lower)
                {
                    spoken.push(' ');
                }
            }
            spoken.push(c);
        }
        out.extend(runs(&spoken.to_lowercase(), |c| c.is_ascii_lowercase()));
        out.extend(runs(&h.to_lowercase(), is_word_char));
    }
    out
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
}

/// The maximal runs of characters `keep` accepts.
fn runs(s: &str, keep: impl Fn(char) -> bool) -> Vec<String> {
    s.split(|c: char| !keep(c))
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect()
}

const VALUE_MARK: char = '\u{1}';
const NUMBER_MARK: char = '\u{2}';

/// `question` as masked word tokens (see the module's comment).
pub fn skeleton(question: &str, masks: &Masks) -> Vec<String> {
    let mut s = question.to_lowercase();
    for cell in &masks.cells {
        if s.contains(cell.as_str()) {
            s = mask_cell(&s, cell);
        }
    }
    let s = mask_numbers(&s);
    let mut tokens = Vec::new();
    let mut word = String::new();
    // A space after the end closes the last word.
    for c in s.chars().chain([' ']) {
        if is_word_char(c) {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            tokens.push(if masks.words.contains(&word) {
                COLUMN.to_string()
            } else {
                std::mem::take(&mut word)
            });
            word.clear();
        }
        match c {
            VALUE_MARK => tokens.push(VALUE.to_string()),
            NUMBER_MARK => tokens.push(NUMBER.to_string()),
            _ => {}
        }
    }
    tokens
}

fn is_alnum(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// Every occurrence of `cell` not inside a longer word or number, replaced by a value mark.
fn mask_cell(s: &str, cell: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find(cell) {
        let before = if at == 0 {
            out.chars().next_back()
        } else {
            rest[..at].chars().next_back()
        };
        let after = rest[at + cell.len()..].chars().next();
        if !is_alnum(before) && !is_alnum(after) {
            out.push_str(&rest[..at]);
            out.push(' ');
            out.push(VALUE_MARK);
            out.push(' ');
            rest = &rest[at + cell.len()..];
        } else {
            // Not a whole word here: look again one character further on.
            let step = rest[at..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&rest[..at + step]);
            rest = &rest[at + step..];
        }
    }
    out.push_str(rest);
    out
}

/// Every number (`12`, `3.5`, `1,234,567`) replaced by a number mark, wherever it stands.
fn mask_numbers(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        while i + 1 < chars.len()
            && (chars[i] == '.' || chars[i] == ',')
            && chars[i + 1].is_ascii_digit()
        {
            i += 1;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
        }
        out.push(' ');
        out.push(NUMBER_MARK);
        out.push(' ');
    }
    out
}

/// Whether the token edit distance between `a` and `b` is at most `k` (a band of width `k`
/// around the diagonal, given up as soon as a whole row of the band exceeds `k`).
pub fn within_edits(a: &[String], b: &[String], k: usize) -> bool {
    if a.len().abs_diff(b.len()) > k {
        return false;
    }
    let big = k + 1;
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![big; b.len() + 1];
        cur[0] = i;
        let lo = i.saturating_sub(k).max(1);
        let hi = b.len().min(i + k);
        for j in lo..=hi {
            let substitute = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(substitute);
        }
        if cur[lo - 1..=hi].iter().all(|&d| d > k) {
            return false;
        }
        prev = cur;
    }
    prev[b.len()] <= k
}

/// The report questions' skeletons, by length.
#[derive(Clone, Debug, Default)]
pub struct HeldOut {
    by_length: Vec<Vec<(usize, Vec<String>)>>,
    questions: usize,
}

impl HeldOut {
    /// The report part (`test`) of the questions in `source`: its family and outside lines.
    pub fn read(source: &Path) -> Result<HeldOut> {
        let part = read_family_part(source, "test")
            .with_context(|| format!("cannot read the report part in {}", source.display()))?;
        let mut questions = Vec::new();
        for e in &part.examples {
            let table = part
                .table(&e.table_id)
                .with_context(|| format!("report question on unknown table {:?}", e.table_id))?;
            questions.push((e.question.as_str(), table));
        }
        Ok(HeldOut::new(questions))
    }

    /// Held-out questions, each with its table.
    pub fn new<'a>(questions: impl IntoIterator<Item = (&'a str, &'a Table)>) -> HeldOut {
        let mut held = HeldOut::default();
        for (i, (question, table)) in questions.into_iter().enumerate() {
            let s = skeleton(question, &Masks::of(table));
            if held.by_length.len() <= s.len() {
                held.by_length.resize(s.len() + 1, Vec::new());
            }
            held.by_length[s.len()].push((i, s));
            held.questions = i + 1;
        }
        held
    }

    /// How many questions are held out.
    pub fn len(&self) -> usize {
        self.questions
    }

    pub fn is_empty(&self) -> bool {
        self.questions == 0
    }

    /// The indices of the held-out questions within [`EDITS`] of `skeleton`.
    pub fn near(&self, skeleton: &[String]) -> Vec<usize> {
        let lo = skeleton.len().saturating_sub(EDITS);
        let hi = (skeleton.len() + EDITS).min(self.by_length.len().saturating_sub(1));
        (lo..=hi)
            .filter_map(|n| self.by_length.get(n))
            .flatten()
            .filter(|(_, s)| within_edits(s, skeleton, EDITS))
            .map(|(i, _)| *i)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlcoder_data::types::ColumnType;

    fn table() -> Table {
        Table::new(
            "t",
            &["Player", "unitPrice", "HTTPCode", "home_town"],
            &[
                ColumnType::Text,
                ColumnType::Real,
                ColumnType::Real,
                ColumnType::Text,
            ],
            vec![
                vec!["New York".into(), 3.0.into(), 200.0.into(), "York".into()],
                vec!["Ann".into(), 4.5.into(), 404.0.into(), "Annapolis".into()],
            ],
        )
    }

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    // Each expected skeleton is what data/ood/mix.py's `skeleton` writes for the same question
    // and table (python3 -c "from mix import *; ..."), so the two rules agree.
    #[test]
    fn skeletons_mask_cells_numbers_and_header_words_as_mix_py_does() {
        let masks = Masks::of(&table());
        let cases = [
            (
                "Which player from New York has a unit price above 3.5?",
                "which <c> from <v> has a <c> <c> above <n>",
            ),
            ("Ann's http code, and Annapolis", "<v> s <c> <c> and <v>"),
            (
                "players with home_town york or 1,234 codes",
                "players with <c> <v> or <n> codes",
            ),
            ("top3 in yorkshire", "top <n> in yorkshire"),
        ];
        for (question, expected) in cases {
            assert_eq!(skeleton(question, &masks), words(expected), "{question}");
        }
    }

    #[test]
    fn edits_count_tokens_inserted_removed_and_replaced() {
        let a = words("average <c> by <c>");
        assert!(within_edits(&a, &words("average <c>"), 2));
        assert!(!within_edits(&a, &words("average <c>"), 1));
        assert!(within_edits(&a, &words("mean <c> per <c>"), 2));
        assert!(!within_edits(&a, &words("list every <c> by <c> desc"), 2));
        assert!(within_edits(&a, &a, 0));
    }

    #[test]
    fn a_generated_question_near_a_held_out_one_is_found_and_others_are_not() {
        let t = table();
        let held = HeldOut::new([
            ("Which player has the highest unit price?", &t),
            ("How many players are from each home town?", &t),
        ]);
        assert_eq!(held.len(), 2);
        let masks = Masks::of(&t);
        let near = |q: &str| held.near(&skeleton(q, &masks));
        assert_eq!(near("Which player has the biggest unit price"), vec![0]);
        assert_eq!(near("how many players are in each home town"), vec![1]);
        assert!(near("List the players ordered by unit price, cheapest first").is_empty());
    }
}
