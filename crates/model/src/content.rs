//! Table content features: what each question word piece has in common with each column.
//!
//! The encoder reads the question and the headers only; these features add what the table's
//! cells say (Guo & Gao 2019 report about +3 LF from this at BERT-base, mostly on where columns
//! and values). A word piece is marked for a column when it lies inside a run of question words
//! equal to one of the column's cells ([`CELL`], with the run's first and last piece marked
//! [`CELL_START`]/[`CELL_END`] for the value pointers), equal to the whole header ([`HEADER`]),
//! or when its word is one of the header's words ([`HEADER_WORD`], stop words aside). Words are
//! compared case-insensitively, as runs of letters and digits: punctuation and spacing never
//! decide a match ("Smith, J." equals "smith j").
//!
//! Computed from the table itself (a WikiSQL table, a CSV, a user's SQLite table) in the same
//! way for training (stored in the cache) and for answering.

use sqlcoder_data::types::Table;
use std::collections::HashMap;

/// Inside a run of question words equal to a cell of the column.
pub const CELL: u8 = 1;
/// First word piece of such a run.
pub const CELL_START: u8 = 2;
/// Last word piece of such a run.
pub const CELL_END: u8 = 4;
/// Inside a run of question words equal to the column's header.
pub const HEADER: u8 = 8;
/// Its word is one of the header's words (stop words never count).
pub const HEADER_WORD: u8 = 16;
/// The token features, in the order of their bits (the model's input width per token).
pub const TOKEN_KINDS: [u8; 5] = [CELL, CELL_START, CELL_END, HEADER, HEADER_WORD];
/// Per-column features: some question piece matches a cell / the header / a header word.
pub const COLUMN_KINDS: [u8; 3] = [CELL, HEADER, HEADER_WORD];

/// Longest run of question words compared with cells and headers (longer cells never match).
pub const MAX_RUN: usize = 10;

/// Words too common to say anything about a column when they appear in both.
const STOP_WORDS: [&str; 24] = [
    "a", "an", "and", "are", "as", "at", "by", "for", "from", "in", "is", "it", "name", "no", "of",
    "on", "or", "the", "to", "was", "what", "which", "who", "with",
];

/// What one question word piece has in common with one column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContentMatch {
    /// Question-relative token index (0 is the first question word piece).
    pub token: u16,
    pub col: u16,
    /// Bits from [`TOKEN_KINDS`].
    pub kinds: u8,
}

/// A word of a text: its byte span and its lowercased letters and digits.
struct Word {
    start: usize,
    end: usize,
    text: String,
}

/// Maximal runs of alphanumeric characters, lowercased.
fn words(s: &str) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    let mut current: Option<Word> = None;
    for (i, c) in s.char_indices() {
        if c.is_alphanumeric() {
            let w = current.get_or_insert_with(|| Word {
                start: i,
                end: i,
                text: String::new(),
            });
            w.text.extend(c.to_lowercase());
            w.end = i + c.len_utf8();
        } else if let Some(w) = current.take() {
            out.push(w);
        }
    }
    out.extend(current);
    out
}

/// The comparison key of a text: its words joined by single spaces.
fn key(s: &str) -> String {
    let w: Vec<String> = words(s).into_iter().map(|w| w.text).collect();
    w.join(" ")
}

/// A table's cells and headers by comparison key, built once per table for all its questions.
pub struct TableContent {
    cells: HashMap<String, Vec<u16>>,
    headers: HashMap<String, Vec<u16>>,
    header_words: HashMap<String, Vec<u16>>,
}

fn insert(map: &mut HashMap<String, Vec<u16>>, key: String, col: u16) {
    if key.is_empty() {
        return;
    }
    let cols = map.entry(key).or_default();
    if cols.last() != Some(&col) {
        cols.push(col);
    }
}

impl TableContent {
    pub fn new(table: &Table) -> Self {
        Self::with_headers(table, std::borrow::Cow::Borrowed)
    }

    /// [`Self::new`] with each header read through `text` first (as the encoder reads it).
    pub fn with_headers<'t>(
        table: &'t Table,
        text: impl Fn(&'t str) -> std::borrow::Cow<'t, str>,
    ) -> Self {
        let mut keys = TableContent {
            cells: HashMap::new(),
            headers: HashMap::new(),
            header_words: HashMap::new(),
        };
        let n_cols = table.header.len().min(usize::from(u16::MAX));
        for (c, header) in table.header.iter().enumerate().take(n_cols) {
            let header = text(header);
            insert(&mut keys.headers, key(&header), c as u16);
            for w in words(&header) {
                if !STOP_WORDS.contains(&w.text.as_str()) {
                    insert(&mut keys.header_words, w.text, c as u16);
                }
            }
        }
        for row in &table.rows {
            for (c, cell) in row.iter().enumerate().take(n_cols) {
                let k = key(&cell.to_string());
                if k.split(' ').count() <= MAX_RUN {
                    insert(&mut keys.cells, k, c as u16);
                }
            }
        }
        keys
    }
}

/// The content matches of a question's word pieces (`offsets`: each piece's byte range in
/// `question`) against `table`, sorted by token then column.
pub fn content_matches(
    question: &str,
    offsets: &[(usize, usize)],
    table: &Table,
) -> Vec<ContentMatch> {
    TableContent::new(table).matches(question, offsets)
}

impl TableContent {
    /// See [`content_matches`].
    pub fn matches(&self, question: &str, offsets: &[(usize, usize)]) -> Vec<ContentMatch> {
        let keys = self;
        let q = words(question);
        // Per question word: (column, kinds) marks.
        let mut marks: Vec<HashMap<u16, u8>> = vec![HashMap::new(); q.len()];
        let mut mark = |w: usize, col: u16, kinds: u8| *marks[w].entry(col).or_default() |= kinds;
        for (i, first) in q.iter().enumerate() {
            let mut run = String::new();
            for (j, word) in q.iter().enumerate().skip(i).take(MAX_RUN) {
                if j > i {
                    run.push(' ');
                }
                run.push_str(&word.text);
                for &col in keys.cells.get(&run).into_iter().flatten() {
                    for w in i..=j {
                        mark(w, col, CELL);
                    }
                    mark(i, col, CELL_START);
                    mark(j, col, CELL_END);
                }
                for &col in keys.headers.get(&run).into_iter().flatten() {
                    for w in i..=j {
                        mark(w, col, HEADER);
                    }
                }
            }
            for &col in keys.header_words.get(&first.text).into_iter().flatten() {
                mark(i, col, HEADER_WORD);
            }
        }
        pieces_of_words(&q, &marks, offsets)
    }
}

/// Word marks carried over to the word pieces: every piece of a word gets its marks, except
/// that a run's start belongs to the word's first piece and its end to the word's last.
fn pieces_of_words(
    q: &[Word],
    marks: &[HashMap<u16, u8>],
    offsets: &[(usize, usize)],
) -> Vec<ContentMatch> {
    // The word each piece starts in (pieces of punctuation belong to none).
    let word_of: Vec<Option<usize>> = offsets
        .iter()
        .map(|&(s, _)| q.iter().position(|w| w.start <= s && s < w.end))
        .collect();
    let mut out = Vec::new();
    for (t, word) in word_of.iter().enumerate() {
        let Some(w) = *word else { continue };
        let first = t == 0 || word_of[t - 1] != Some(w);
        let last = word_of.get(t + 1) != Some(&Some(w));
        for (&col, &kinds) in &marks[w] {
            let mut k = kinds;
            if !first {
                k &= !CELL_START;
            }
            if !last {
                k &= !CELL_END;
            }
            if k != 0 && t <= usize::from(u16::MAX) {
                out.push(ContentMatch {
                    token: t as u16,
                    col,
                    kinds: k,
                });
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlcoder_data::types::ColumnType;

    fn table() -> Table {
        Table::new(
            "1-1-1",
            &["State/territory", "Notes", "Pick #"],
            &[ColumnType::Text, ColumnType::Text, ColumnType::Real],
            vec![
                vec!["South Australia".into(), "Smith, J.".into(), 12.0.into()],
                vec!["Victoria".into(), "the notes".into(), 3.0.into()],
            ],
        )
    }

    /// Word pieces split at spaces and punctuation, like BERT's pre-tokenizer.
    fn offsets(q: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, c) in q.char_indices() {
            if c.is_alphanumeric() {
                start.get_or_insert(i);
            } else {
                if let Some(s) = start.take() {
                    out.push((s, i));
                }
                if !c.is_whitespace() {
                    out.push((i, i + c.len_utf8()));
                }
            }
        }
        if let Some(s) = start {
            out.push((s, q.len()));
        }
        out
    }

    fn kinds(m: &[ContentMatch], token: u16, col: u16) -> u8 {
        m.iter()
            .find(|x| x.token == token && x.col == col)
            .map_or(0, |x| x.kinds)
    }

    #[test]
    fn cells_headers_and_header_words_mark_their_pieces() {
        let q = "Tell me what the notes are for SOUTH australia";
        let m = content_matches(q, &offsets(q), &table());
        // "south australia" (tokens 7, 8) is a cell of column 0: a run from 7 to 8.
        assert_eq!(kinds(&m, 7, 0), CELL | CELL_START);
        assert_eq!(kinds(&m, 8, 0), CELL | CELL_END);
        // "notes" (token 4) is the whole header of column 1, and "the notes" a cell of it.
        assert_eq!(kinds(&m, 4, 1), HEADER | HEADER_WORD | CELL | CELL_END);
        assert_eq!(kinds(&m, 3, 1), CELL | CELL_START);
        // "what" is a stop word; nothing else matches.
        assert_eq!(m.iter().filter(|x| x.col == 2).count(), 0);
        assert!(m.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
    }

    #[test]
    fn punctuation_and_numbers_compare_by_words() {
        let q = "Who is smith j. with pick 12?";
        let o = offsets(q);
        let m = content_matches(q, &o, &table());
        // smith(2) j(3) .(4): the cell "Smith, J." is the run smith..j; the period is no word.
        assert_eq!(kinds(&m, 2, 1), CELL | CELL_START);
        assert_eq!(kinds(&m, 3, 1), CELL | CELL_END);
        assert_eq!(kinds(&m, 4, 1), 0);
        // "pick" is the header "Pick #" (the sign is no word) and one of its words; "12" a cell.
        assert_eq!(kinds(&m, 6, 2), HEADER | HEADER_WORD);
        assert_eq!(kinds(&m, 7, 2), CELL | CELL_START | CELL_END);
    }

    #[test]
    fn a_word_split_into_pieces_starts_on_its_first_and_ends_on_its_last() {
        let q = "victoria";
        // Two pieces: "vict" + "##oria".
        let m = content_matches(q, &[(0, 4), (4, 8)], &table());
        assert_eq!(kinds(&m, 0, 0), CELL | CELL_START);
        assert_eq!(kinds(&m, 1, 0), CELL | CELL_END);
    }
}
