//! How the encoder reads a column name: identifier-style headers as words.
//!
//! WikiSQL's headers are Title Case words ("School/Club Team"), but users' tables often name
//! columns like code: `emp_no`, `unitPrice`, `GName`, `dept`. The word-piece tokenizer then
//! sees `emp _ no` or `unit ##pr ##ice`, pieces the encoder never learned to align with "employee
//! number" or "unit price" in a question. [`spoken`] rewrites such a header into plain words for
//! the encoder only (the SQL keeps the real column name): underscores (and, inside such a name,
//! dots and dashes) become spaces,
//! camelCase and PascalCase are split at case changes and letter/digit boundaries, and a short
//! list of common abbreviations is spelt out. Headers that already contain a space are left as
//! they are apart from underscores, so WikiSQL-style headers read exactly as before.

use std::borrow::Cow;

/// Abbreviations common in column names, spelt out (whole words only, compared lowercased).
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("addr", "address"),
    ("amt", "amount"),
    ("avg", "average"),
    ("cnt", "count"),
    ("desc", "description"),
    ("dept", "department"),
    ("dob", "date of birth"),
    ("emp", "employee"),
    ("max", "maximum"),
    ("min", "minimum"),
    ("mgr", "manager"),
    ("no", "number"),
    ("num", "number"),
    ("pct", "percent"),
    ("pop", "population"),
    ("qty", "quantity"),
    ("yr", "year"),
];

/// The header as the encoder reads it (see the module documentation).
pub fn spoken(header: &str) -> Cow<'_, str> {
    let has_space = header.chars().any(char::is_whitespace);
    let code_like = !has_space
        && (header.contains('_')
            || has_case_change(header)
            || ABBREVIATIONS
                .iter()
                .any(|(a, _)| header.eq_ignore_ascii_case(a)));
    if !code_like {
        return if header.contains('_') {
            Cow::Owned(header.replace('_', " "))
        } else {
            Cow::Borrowed(header)
        };
    }
    let words = split_identifier(header);
    let spelt: Vec<&str> = words
        .iter()
        .map(|w| {
            let lower = w.to_lowercase();
            ABBREVIATIONS
                .iter()
                .find(|(a, _)| *a == lower)
                .map_or(w.as_str(), |(_, full)| full)
        })
        .collect();
    Cow::Owned(spelt.join(" "))
}

/// A lowercase letter followed by an uppercase one (`unitPrice`), or an uppercase run followed
/// by a lowercase letter after two or more capitals (`GName`, `HTMLParser`).
fn has_case_change(s: &str) -> bool {
    let c: Vec<char> = s.chars().collect();
    c.windows(2)
        .any(|w| w[0].is_lowercase() && w[1].is_uppercase())
        || c.windows(3)
            .any(|w| w[0].is_uppercase() && w[1].is_uppercase() && w[2].is_lowercase())
}

/// Words of an identifier: split at `_`, `.`, `-`, case changes and letter/digit boundaries.
fn split_identifier(s: &str) -> Vec<String> {
    let c: Vec<char> = s.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for i in 0..c.len() {
        let ch = c[i];
        if matches!(ch, '_' | '.' | '-') {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        if let Some(&prev) = word.chars().last().as_ref() {
            let next = c.get(i + 1).copied();
            let boundary = (prev.is_lowercase() && ch.is_uppercase())
                || (prev.is_uppercase()
                    && ch.is_uppercase()
                    && next.is_some_and(char::is_lowercase))
                || (prev.is_alphabetic() && ch.is_ascii_digit())
                || (prev.is_ascii_digit() && ch.is_alphabetic());
            if boundary {
                words.push(std::mem::take(&mut word));
            }
        }
        word.push(ch);
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::spoken;

    #[test]
    fn identifiers_become_words() {
        for (header, expected) in [
            ("emp_no", "employee number"),
            ("unitPrice", "unit Price"),
            ("UnitPrice", "Unit Price"),
            ("GName", "G Name"),
            ("HTMLParser", "HTML Parser"),
            ("first_name", "first name"),
            ("dept", "department"),
            ("qty", "quantity"),
            ("order_id", "order id"),
            ("flt_no2", "flt number 2"),
            ("price_usd.eur", "price usd eur"),
        ] {
            assert_eq!(spoken(header), expected, "{header}");
        }
    }

    #[test]
    fn wikisql_style_headers_are_unchanged() {
        for header in [
            "School/Club Team",
            "Player",
            "No.",
            "Pick #",
            "Years in Toronto",
            "Pos.",
        ] {
            assert_eq!(spoken(header), header, "{header}");
        }
        // Underscores inside a spaced header still read as spaces.
        assert_eq!(spoken("Total Points_2019"), "Total Points 2019");
    }
}
