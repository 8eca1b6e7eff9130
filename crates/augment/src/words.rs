//! Words for questions: headers read aloud, plurals, cells, numbers and money as people write
//! them, template filling, and the finish that varies a question's case and closing mark.

use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::Cell;

/// A header as words, lowercased. A header without spaces is read as code: `snake_case`,
/// `camelCase` and `PascalCase` are split into words (`firstName` → "first name"); a header
/// with spaces is already words and is only lowercased (WikiSQL's "No." stays "no.").
pub fn spoken(header: &str) -> String {
    let trimmed = header.trim();
    if trimmed.contains(char::is_whitespace) {
        return trimmed
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
    }
    let chars: Vec<char> = trimmed.chars().collect();
    let mut out = String::with_capacity(trimmed.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            out.push(' ');
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        // A word starts at an upper-case letter after a lower-case letter or digit ("firstName"),
        // or at the last capital of an acronym that a word follows ("HTMLParser" → "html parser").
        let starts_word = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_uppercase() && next.is_some_and(char::is_lowercase))
            });
        if starts_word && !out.ends_with(' ') {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The words of a header for the role rules: lowercase letters and digits, split at anything
/// else (so "Price ($)" gives `["price"]`, "years_in_toronto" `["years", "in", "toronto"]`).
pub fn header_words(header: &str) -> Vec<String> {
    spoken(header)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The English plural of a lowercase noun phrase (its last word changes), or `None` when it is
/// not plain words (digits, punctuation): such headers do not name what a row is.
pub fn plural(phrase: &str) -> Option<String> {
    let w = phrase.trim().to_lowercase();
    let plain = w.starts_with(|c: char| c.is_ascii_lowercase())
        && w.chars().all(|c| c.is_ascii_lowercase() || c == ' ');
    if !plain {
        return None;
    }
    Some(if w.ends_with('s') {
        w
    } else if w.ends_with('x') || w.ends_with("ch") || w.ends_with("sh") {
        format!("{w}es")
    } else if w.len() > 1
        && w.ends_with('y')
        && !w[..w.len() - 1].ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        format!("{}ies", &w[..w.len() - 1])
    } else {
        format!("{w}s")
    })
}

/// Whether a lowercase header reads as a short noun phrase that can name things: at most two
/// words, not a participle ("published", "arrived", "running" are no nouns; "breed" is).
pub fn reads_as_noun(phrase: &str) -> bool {
    let participle =
        (phrase.ends_with("ed") && !phrase.ends_with("eed")) || phrase.ends_with("ing");
    phrase.len() > 2 && phrase.split(' ').count() <= 2 && !participle
}

/// A number as people write it: integers without a decimal point, others in their shortest form.
pub fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// An amount of money: "$" and the number, large ones sometimes with thousands separators.
pub fn money_text(x: f64, rng: &mut StdRng) -> String {
    let digits = number_text(x);
    let grouped = x.abs() >= 10_000.0 && rng.random_bool(0.5);
    if grouped {
        format!("${}", group_thousands(&digits))
    } else {
        format!("${digits}")
    }
}

/// "1234567.5" → "1,234,567.5".
fn group_thousands(digits: &str) -> String {
    let (sign, rest) = match digits.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", digits),
    };
    let (whole, fraction) = match rest.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (rest, None),
    };
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// A cell as a question would quote it (generate.py's `cell_text`: integral numbers lose ".0").
pub fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Number(n) => number_text(*n),
        Cell::Text(s) => s.clone(),
    }
}

/// `template` with every `{key}` replaced by its value, and "a" before a vowel made "an" (the
/// template cannot know which word comes: "a genre", "an agency").
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (key, value) in values {
        out = out.replace(&format!("{{{key}}}"), value);
    }
    with_articles(&out)
}

/// "a" before a word starting with a, e, i or o becomes "an" ("u" is left: "a university").
fn with_articles(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let mut out = Vec::with_capacity(words.len());
    for (i, &word) in words.iter().enumerate() {
        let vowel_next = words
            .get(i + 1)
            .and_then(|w| w.chars().next())
            .is_some_and(|c| "aeioAEIO".contains(c));
        out.push(match word {
            "a" if vowel_next => "an",
            "A" if vowel_next => "An",
            other => other,
        });
    }
    out.join(" ")
}

/// One of `items`, uniformly (`items` must not be empty).
pub fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

/// The first letter in upper case (as generate.py's `example()` does, 70% of the time).
pub fn capitalised(question: String, rng: &mut StdRng) -> String {
    if !rng.random_bool(0.7) {
        return question;
    }
    let mut chars = question.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => question,
    }
}

/// A template's question as people type it: put one of the ways people ask it
/// ([`crate::framing`]), sometimes all lowercase, sometimes without its closing mark, mostly
/// capitalised.
pub fn finished(question: String, rng: &mut StdRng) -> String {
    let question = crate::framing::framed(&question, rng);
    let question = if rng.random_bool(0.15) {
        question.trim_end_matches(['?', '.']).to_string()
    } else {
        question
    };
    if rng.random_bool(0.1) {
        question.to_lowercase()
    } else {
        capitalised(question, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn code_headers_are_read_as_words() {
        assert_eq!(spoken("firstName"), "first name");
        assert_eq!(spoken("ReleaseDate"), "release date");
        assert_eq!(spoken("years_in_toronto"), "years in toronto");
        assert_eq!(spoken("HTMLParser"), "html parser");
        assert_eq!(spoken("price_USD2"), "price usd2");
        assert_eq!(spoken("School / Club  Team"), "school / club team");
        assert_eq!(spoken("No."), "no.");
        assert_eq!(header_words("Price ($)"), vec!["price"]);
    }

    #[test]
    fn plurals_follow_english_endings() {
        assert_eq!(plural("player").as_deref(), Some("players"));
        assert_eq!(plural("country").as_deref(), Some("countries"));
        assert_eq!(plural("day").as_deref(), Some("days"));
        assert_eq!(plural("match").as_deref(), Some("matches"));
        assert_eq!(plural("box").as_deref(), Some("boxes"));
        assert_eq!(plural("series").as_deref(), Some("series"));
        assert_eq!(plural("club team").as_deref(), Some("club teams"));
        assert_eq!(plural("no."), None);
        assert_eq!(plural("2nd leg"), None);
    }

    #[test]
    fn numbers_and_money_read_naturally() {
        assert_eq!(number_text(1998.0), "1998");
        assert_eq!(number_text(2.5), "2.5");
        assert_eq!(group_thousands("1234567.5"), "1,234,567.5");
        assert_eq!(group_thousands("-12345"), "-12,345");
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(money_text(12.5, &mut rng), "$12.5");
        let big = money_text(25_000.0, &mut rng);
        assert!(big == "$25000" || big == "$25,000", "{big}");
    }

    #[test]
    fn templates_fill_every_key() {
        assert_eq!(
            fill(
                "How many {n} have {w} {v}?",
                &[("n", "players"), ("w", "position"), ("v", "guard")]
            ),
            "How many players have position guard?"
        );
        assert_eq!(
            fill(
                "Which {n} have a {w}?",
                &[("n", "missions"), ("w", "agency")]
            ),
            "Which missions have an agency?"
        );
        assert_eq!(
            fill("A {w} and a unit", &[("w", "item")]),
            "An item and a unit"
        );
    }
}
