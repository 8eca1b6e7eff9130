//! `quoted`: an original question with its condition value put in quotes ("…player "john
//! wallace" …"); the query, and so the gold value, stays as it was.

use crate::family::Draft;
use crate::words::pick;
use rand::rngs::StdRng;
use sqlcoder_data::types::{CondValue, Example, FamilyQuery};

/// Opening marks; a curly opening quote closes with its pair, the others with themselves.
const MARKS: [&str; 4] = ["\"", "\"", "'", "\u{201c}"];

pub fn draft(example: &Example, rng: &mut StdRng) -> Option<Draft> {
    let texts: Vec<&str> = example
        .query
        .conds
        .iter()
        .filter_map(|c| match &c.value {
            CondValue::Text(t) if t.chars().count() > 1 => Some(t.as_str()),
            _ => None,
        })
        .collect();
    if texts.is_empty() {
        return None;
    }
    let value = pick(rng, &texts);
    let q = &example.question;
    let (start, end) = find_ignoring_case(q, value)?;
    let open = pick(rng, &MARKS);
    let close = if open == "\u{201c}" { "\u{201d}" } else { open };
    Some(Draft {
        question: format!(
            "{}{open}{}{close}{}",
            &q[..start],
            &q[start..end],
            &q[end..]
        ),
        query: FamilyQuery::from(&example.query),
    })
}

/// The first byte range of `text` that reads as `needle` ignoring case.
fn find_ignoring_case(text: &str, needle: &str) -> Option<(usize, usize)> {
    let needle = needle.to_lowercase();
    let starts = text.char_indices().map(|(i, _)| i);
    for start in starts {
        let rest = &text[start..];
        if !rest.to_lowercase().starts_with(&needle) {
            continue;
        }
        // The shortest stretch whose lowercase is the needle (lowercasing may change lengths).
        let mut ends = rest.char_indices().map(|(i, c)| i + c.len_utf8());
        if let Some(end) = ends.find(|&e| rest[..e].to_lowercase() == needle) {
            return Some((start, start + end));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use sqlcoder_data::types::{Agg, CondOp, Query};

    #[test]
    fn the_value_is_quoted_in_place() {
        let example = Example {
            table_id: "t".into(),
            question: "What position does John Wallace play?".into(),
            query: Query::with_text_conds(3, Agg::None, &[(0, CondOp::Eq, "john wallace")]),
        };
        let mut rng = StdRng::seed_from_u64(0);
        let d = draft(&example, &mut rng).unwrap();
        let quoted = [
            "\"John Wallace\"",
            "'John Wallace'",
            "\u{201c}John Wallace\u{201d}",
        ];
        assert!(
            quoted.iter().any(|q| d.question.contains(q)),
            "{}",
            d.question
        );
        assert_eq!(d.query.to_sketch(), Some(example.query.clone()));
        assert_eq!(find_ignoring_case("ÉVORA is", "évora"), Some((0, 6)));
        assert_eq!(find_ignoring_case("abc", "x"), None);
    }
}
