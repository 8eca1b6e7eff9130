//! Finding a condition value in its question, at character level, for the value-span labels.
//!
//! WikiSQL values are usually copied from the question but not always verbatim: case differs
//! ("Butler CC (KS)" / "butler cc (ks)"), spacing and punctuation drift ("butler cc ks"), numbers are
//! stored as floats (1990.0 for "1990") or written with grouping commas ("1,000"). Three ways of
//! matching are tried, each on a folded copy of both strings that remembers, per folded char, the
//! byte range it came from in the original:
//! - `Exact`: lowercased, whitespace runs collapsed to one space;
//! - `Loose`: lowercased alphanumeric runs separated by one space (punctuation ignored), the match
//!   then widened over the value's own leading/trailing punctuation where the question has it too
//!   (so "(KS)" keeps its ")");
//! - `Numeric`: number literals in the question whose value equals the condition's number.
//!
//! A candidate must start and end on a token boundary or a word boundary (a value found inside a
//! word, "an" in "and", is no label) and must not cut a run of digits ("0.939" in "0.9391"). The best candidate is token-aligned first, then the most exact
//! kind, then on word boundaries, then the earliest.

use sqlcoder_data::CondValue;
use std::ops::Range;

/// How a value was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchKind {
    Exact,
    Loose,
    Numeric,
}

/// A value located in the question: its byte range and the question tokens covering it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueMatch {
    pub bytes: Range<usize>,
    /// Question-relative token indices, inclusive.
    pub tokens: (usize, usize),
    pub kind: MatchKind,
}

/// Finds `value` in `question`, whose tokens have byte ranges `offsets` (question tokens only).
pub fn find_value(
    question: &str,
    offsets: &[(usize, usize)],
    value: &CondValue,
) -> Option<ValueMatch> {
    let mut candidates: Vec<(Range<usize>, MatchKind)> = Vec::new();
    let forms = value_forms(value);
    for (mode, kind) in [
        (Mode::Exact, MatchKind::Exact),
        (Mode::Loose, MatchKind::Loose),
    ] {
        let q = Folded::new(question, mode);
        for form in &forms {
            for bytes in q.find_all(&Folded::new(form, mode)) {
                let bytes = match mode {
                    Mode::Exact => bytes,
                    Mode::Loose => widen_over_punctuation(question, bytes, form),
                };
                candidates.push((bytes, kind));
            }
        }
    }
    if let Some(number) = value_number(value) {
        for bytes in number_literals(question) {
            if parse_literal(&question[bytes.clone()]).is_some_and(|n| same_number(n, number)) {
                candidates.push((bytes, MatchKind::Numeric));
            }
        }
    }

    candidates
        .into_iter()
        .filter_map(|(bytes, kind)| {
            let tokens = bytes_to_tokens(offsets, &bytes)?;
            let token_aligned =
                offsets[tokens.0].0 == bytes.start && offsets[tokens.1].1 == bytes.end;
            let word_aligned = on_word_boundary(question, &bytes);
            let usable = (token_aligned || word_aligned) && !cuts_digits(question, &bytes);
            usable.then_some((
                (!token_aligned, kind, !word_aligned, bytes.start),
                ValueMatch {
                    bytes,
                    tokens,
                    kind,
                },
            ))
        })
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, m)| m)
}

/// The first and last question tokens overlapping `bytes` (inclusive, question-relative).
pub fn bytes_to_tokens(offsets: &[(usize, usize)], bytes: &Range<usize>) -> Option<(usize, usize)> {
    let first = offsets.iter().position(|&(_, e)| e > bytes.start)?;
    let last = offsets.iter().rposition(|&(s, _)| s < bytes.end)?;
    (first <= last).then_some((first, last))
}

/// The strings to look for: the value as Python prints it, plus the integer form of an integral
/// number ("1990.0" / 1990.0 → "1990"), the way questions write it.
fn value_forms(value: &CondValue) -> Vec<String> {
    let text = value.python_str();
    let mut forms = vec![text.trim().to_string()];
    if let Some(n) = value_number(value) {
        if n.fract() == 0.0 && n.abs() < 1e15 {
            forms.push(format!("{}", n as i64));
        }
    }
    forms.retain(|f| !f.is_empty());
    forms.dedup();
    forms
}

/// The value as a number when it is one: a JSON number, or a string that is just a number.
fn value_number(value: &CondValue) -> Option<f64> {
    match value {
        CondValue::Number(n) => n.as_f64(),
        CondValue::Text(s) => parse_literal(s.trim()),
    }
}

/// Equal up to float noise: questions sometimes print a value's float repr ("0.9390000000000001"
/// for 0.939).
fn same_number(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// `1,234.5` → 1234.5; anything but digits, grouping commas and one decimal point → None.
fn parse_literal(s: &str) -> Option<f64> {
    let ok = s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.');
    if !ok {
        return None;
    }
    s.replace(',', "").parse().ok()
}

/// Byte ranges of number literals (`\d[\d,]*(\.\d+)?`, trailing commas dropped) not inside words.
fn number_literals(question: &str) -> Vec<Range<usize>> {
    let b = question.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let after_word = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.');
        if !b[i].is_ascii_digit() || after_word {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b',') {
            i += 1;
        }
        if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
        let mut end = i;
        while b[end - 1] == b',' {
            end -= 1;
        }
        out.push(start..end);
    }
    out
}

/// True when `bytes` neither starts nor ends inside a word of `text`.
fn on_word_boundary(text: &str, bytes: &Range<usize>) -> bool {
    let before = text[..bytes.start].chars().next_back();
    let first = text[bytes.clone()].chars().next();
    let last = text[bytes.clone()].chars().next_back();
    let after = text[bytes.end..].chars().next();
    let splits = |a: Option<char>, b: Option<char>| match (a, b) {
        (Some(a), Some(b)) => !(a.is_alphanumeric() && b.is_alphanumeric()),
        _ => true,
    };
    splits(before, first) && splits(last, after)
}

/// True when `bytes` starts or ends inside a run of digits ("0.939" in "0.9391"): word pieces
/// may split numbers anywhere, so token alignment alone does not make such a match the value.
fn cuts_digits(text: &str, bytes: &Range<usize>) -> bool {
    let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
    let before = text[..bytes.start].chars().next_back();
    let first = text[bytes.clone()].chars().next();
    let last = text[bytes.clone()].chars().next_back();
    let after = text[bytes.end..].chars().next();
    (digit(before) && digit(first)) || (digit(last) && digit(after))
}

/// Extends a loose match over the value's leading/trailing punctuation when the question has the
/// same characters right there. That punctuation is non-alphanumeric, so case does not matter.
fn widen_over_punctuation(question: &str, bytes: Range<usize>, value: &str) -> Range<usize> {
    let alnum = |c: char| c.is_alphanumeric();
    let (Some(first), Some(last)) = (value.find(alnum), value.rfind(alnum)) else {
        return bytes;
    };
    let prefix = &value[..first];
    let suffix = &value[last + value[last..].chars().next().map_or(0, char::len_utf8)..];
    let mut widened = bytes;
    if question[..widened.start].ends_with(prefix) {
        widened.start -= prefix.len();
    }
    if question[widened.end..].starts_with(suffix) {
        widened.end += suffix.len();
    }
    widened
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Exact,
    Loose,
}

/// A folded copy of a string with, per folded char, the byte range of its original char.
struct Folded {
    chars: Vec<char>,
    src: Vec<(usize, usize)>,
}

impl Folded {
    fn new(text: &str, mode: Mode) -> Folded {
        let mut f = Folded {
            chars: Vec::with_capacity(text.len()),
            src: Vec::with_capacity(text.len()),
        };
        for (i, c) in text.char_indices() {
            let span = (i, i + c.len_utf8());
            let kept = match mode {
                Mode::Exact => !c.is_whitespace(),
                Mode::Loose => c.is_alphanumeric(),
            };
            if kept {
                for lc in c.to_lowercase() {
                    f.chars.push(lc);
                    f.src.push(span);
                }
            } else if f.chars.last().is_some_and(|&l| l != ' ') {
                f.chars.push(' ');
                f.src.push(span);
            }
        }
        if f.chars.last() == Some(&' ') {
            f.chars.pop();
            f.src.pop();
        }
        f
    }

    /// Original byte ranges of every occurrence of `needle` (whole original chars).
    fn find_all(&self, needle: &Folded) -> Vec<Range<usize>> {
        let m = needle.chars.len();
        if m == 0 || m > self.chars.len() {
            return Vec::new();
        }
        (0..=self.chars.len() - m)
            .filter(|&s| self.chars[s..s + m] == needle.chars[..])
            .map(|s| self.src[s].0..self.src[s + m - 1].1)
            .collect()
    }
}
