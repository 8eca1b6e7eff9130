//! Questions that need more SQL than the model can write. The slot model only fills
//! `SELECT agg(col) FROM t WHERE col op value AND …`; asked "Which customer placed the most
//! orders?" it still answers (here: every customer), with high confidence, because nothing in
//! WikiSQL taught it otherwise. A few wordings say the question needs ORDER BY … LIMIT, GROUP BY,
//! OR, a range or arithmetic between columns; such an answer is shown as a best guess ("Not sure").
//!
//! Each cue is checked against the table, so that words the table explains do not count: a cue
//! inside a header ("Points per game", "Home or Away"), alternatives that are not both cells of
//! one column ("won or lost"), a range without numbers ("the match between Liverpool and Steaua").
//! Cues that WikiSQL also uses in its own sketch (superlatives with MAX/MIN, "each" next to a
//! condition) only count when the decoded query has no condition, i.e. when the question names
//! no row. How often each set of questions gets flagged (WikiSQL val, where every flag is a
//! false alarm; the OOD dev set, inside and outside the sketch) is measured by
//! experiments/ood/sketch_flags.py.

use sqlcoder_data::{Agg, Query, Table};
use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

/// What a question asks for that `SELECT agg(col) WHERE … AND …` cannot express.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutsideSketch {
    /// "Which customer placed the most orders?": ORDER BY … LIMIT.
    Ranking,
    /// "How many members are on each plan?": GROUP BY.
    PerGroup,
    /// "Show drinks with oat or almond milk": OR.
    Alternatives,
    /// "tickets issued between Jan 10 and Jan 20": two bounds on one column.
    Range,
    /// "qty times price": arithmetic between columns.
    Arithmetic,
    /// "the second highest price": a place in a ranking other than the first (OFFSET), which
    /// the query family does not write either.
    Offset,
}

impl OutsideSketch {
    /// What the SQL would need, for people.
    pub fn describe(self) -> &'static str {
        match self {
            OutsideSketch::Ranking => "a ranking (ORDER BY … LIMIT)",
            OutsideSketch::PerGroup => "one answer per group (GROUP BY)",
            OutsideSketch::Alternatives => "alternatives joined by OR",
            OutsideSketch::Range => "a range between two values",
            OutsideSketch::Arithmetic => "arithmetic between columns",
            OutsideSketch::Offset => "a place in a ranking after the first (OFFSET)",
        }
    }

    /// A short name for JSON.
    pub fn name(self) -> &'static str {
        match self {
            OutsideSketch::Ranking => "ranking",
            OutsideSketch::PerGroup => "per_group",
            OutsideSketch::Alternatives => "or",
            OutsideSketch::Range => "range",
            OutsideSketch::Arithmetic => "arithmetic",
            OutsideSketch::Offset => "offset",
        }
    }
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid pattern")
}

static SUPERLATIVE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"\b(most|least|fewest|highest|lowest|largest|smallest|biggest|oldest|youngest|newest|latest|earliest|fastest|slowest|longest|shortest|heaviest|lightest|cheapest|best|worst|greatest|second|third|top \d+|top (two|three|five|ten))\b",
    )
});
static ENTITY_QUESTION: LazyLock<Regex> = LazyLock::new(|| regex(r"^(which|who)\b"));
/// With the word after it, so that a header such as "Points per game" explains "per game" only.
static PER_GROUP: LazyLock<Regex> = LazyLock::new(|| regex(r"\b(each|per|for every) \w+"));
static ALTERNATIVES: LazyLock<Regex> =
    LazyLock::new(|| regex(r"\b([\w.]+) or (?:the )?([\w.]+)\b"));
/// Both bounds carry a digit ("between 10 and 20", "between jan 10 and jan 20"), unlike "the
/// game between Melbourne and Footscray".
static RANGE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"\bbetween ((?:\S+ ){0,2}?\S*\d\S*) and ((?:\S+ ){0,2}?\S*\d\S*)"));
static ARITHMETIC: LazyLock<Regex> =
    LazyLock::new(|| regex(r"\b(\w+) (times|multiplied by|divided by|plus|minus) (\w+)\b"));
/// "the second highest", "third-largest", "2nd most": a ranked place after the first.
static ORDINAL: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"\b(second|third|fourth|fifth|2nd|3rd|4th|5th|next)[ -](most|least|fewest|highest|lowest|largest|smallest|biggest|oldest|youngest|newest|latest|earliest|best|worst|greatest|cheapest|longest|shortest)\b",
    )
});
static WORD: LazyLock<Regex> = LazyLock::new(|| regex(r"[a-z0-9]+"));

/// Lowercase with runs of whitespace as one space.
fn normalized(s: &str) -> String {
    s.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn words(s: &str) -> BTreeSet<String> {
    WORD.find_iter(&normalized(s))
        .map(|m| m.as_str().to_string())
        .collect()
}

/// Why `question` about `table`, decoded as `query`, seems to need SQL beyond the sketch; `None`
/// when no cue says so.
pub fn outside_sketch(question: &str, table: &Table, query: &Query) -> Option<OutsideSketch> {
    let text = normalized(question);
    let headers: Vec<String> = table.header.iter().map(|h| normalized(h)).collect();
    let in_header = |phrase: &str| headers.iter().any(|h| h.contains(phrase));

    if let Some(m) = ALTERNATIVES.captures(&text) {
        let (a, b) = (m[1].trim_matches('.'), m[2].trim_matches('.'));
        if !in_header(&m[0])
            && !a.chars().all(|c| c.is_ascii_digit())
            && column_words(table)
                .iter()
                .any(|col| col.contains(a) && col.contains(b))
        {
            return Some(OutsideSketch::Alternatives);
        }
    }
    if let Some(m) = RANGE.find(&text) {
        if !in_header(m.as_str()) {
            return Some(OutsideSketch::Range);
        }
    }
    if let Some(m) = ARITHMETIC.captures(&text) {
        let header_words: BTreeSet<String> = headers.iter().flat_map(|h| words(h)).collect();
        if header_words.contains(&m[1]) && header_words.contains(&m[3]) {
            return Some(OutsideSketch::Arithmetic);
        }
    }
    if query.conds.is_empty() {
        if let Some(m) = SUPERLATIVE.find(&text) {
            if !in_header(m.as_str()) && (query.agg == Agg::None || ENTITY_QUESTION.is_match(&text))
            {
                return Some(OutsideSketch::Ranking);
            }
        }
        if let Some(m) = PER_GROUP.find(&text) {
            if !in_header(m.as_str()) {
                return Some(OutsideSketch::PerGroup);
            }
        }
    }
    None
}

/// Why `question` about `table` needs SQL beyond the query family, for an answer the family
/// heads wrote: arithmetic between columns, or a ranked place after the first (OFFSET). Joins and
/// nested queries have no cue here: the family heads' confidence is what abstains on those.
pub fn outside_family(question: &str, table: &Table) -> Option<OutsideSketch> {
    let text = normalized(question);
    if let Some(m) = ORDINAL.find(&text) {
        if !table
            .header
            .iter()
            .any(|h| normalized(h).contains(m.as_str()))
        {
            return Some(OutsideSketch::Offset);
        }
    }
    let headers: BTreeSet<String> = table.header.iter().flat_map(|h| words(h)).collect();
    let arithmetic = ARITHMETIC.captures(&text);
    arithmetic
        .filter(|m| headers.contains(&m[1]) && headers.contains(&m[3]))
        .map(|_| OutsideSketch::Arithmetic)
}

/// The words of each column's cells.
fn column_words(table: &Table) -> Vec<BTreeSet<String>> {
    let mut cols = vec![BTreeSet::new(); table.header.len()];
    for row in &table.rows {
        for (col, cell) in cols.iter_mut().zip(row) {
            col.extend(words(&cell.to_string()));
        }
    }
    cols
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlcoder_data::{ColumnType, CondOp};

    fn drinks() -> Table {
        let t = ColumnType::Text;
        Table::new(
            "drinks",
            &[
                "drink",
                "milk",
                "caffeine_mg",
                "price",
                "qty",
                "Points per game",
            ],
            &[
                t,
                t,
                ColumnType::Real,
                ColumnType::Real,
                ColumnType::Real,
                ColumnType::Real,
            ],
            vec![
                vec![
                    "latte".into(),
                    "oat".into(),
                    80.0.into(),
                    3.5.into(),
                    2.0.into(),
                    1.0.into(),
                ],
                vec![
                    "flat white".into(),
                    "almond".into(),
                    130.0.into(),
                    3.9.into(),
                    1.0.into(),
                    2.0.into(),
                ],
            ],
        )
    }

    #[test]
    fn outside_the_family_are_offsets_and_arithmetic() {
        let t = drinks();
        let off = outside_family("which drink has the second highest price", &t);
        assert_eq!(off, Some(OutsideSketch::Offset));
        let arith = outside_family("what is price times qty for the latte", &t);
        assert_eq!(arith, Some(OutsideSketch::Arithmetic));
        assert_eq!(
            outside_family("which drink has the highest price", &t),
            None
        );
        assert_eq!(outside_family("how many drinks per milk", &t), None);
    }

    fn all_rows(sel: usize, agg: Agg) -> Query {
        Query::with_text_conds(sel, agg, &[])
    }

    #[test]
    fn cues_outside_the_sketch_are_found() {
        let t = drinks();
        let cases = [
            (
                "Which drink has the most caffeine?",
                all_rows(0, Agg::None),
                OutsideSketch::Ranking,
            ),
            (
                "Who is the oldest?",
                all_rows(0, Agg::Min),
                OutsideSketch::Ranking,
            ),
            (
                "Average price per milk",
                all_rows(3, Agg::Avg),
                OutsideSketch::PerGroup,
            ),
            (
                "Show drinks with oat or almond milk",
                all_rows(0, Agg::None),
                OutsideSketch::Alternatives,
            ),
            (
                "Drinks priced between 3 and 4 dollars",
                all_rows(0, Agg::None),
                OutsideSketch::Range,
            ),
            (
                "Total of qty times price?",
                all_rows(3, Agg::Sum),
                OutsideSketch::Arithmetic,
            ),
        ];
        for (question, query, want) in cases {
            assert_eq!(
                outside_sketch(question, &t, &query),
                Some(want),
                "{question}"
            );
        }
    }

    #[test]
    fn words_the_table_explains_are_no_cue() {
        let t = drinks();
        let with_cond = Query::with_text_conds(0, Agg::None, &[(1, CondOp::Eq, "oat")]);
        let cases = [
            // In the sketch: the largest value itself, or a superlative next to a condition.
            ("What is the highest price?", all_rows(3, Agg::Max)),
            (
                "Which drink with oat milk has the most caffeine?",
                with_cond.clone(),
            ),
            // "per game" is the header's; "latte or tea": tea is no cell; no digits in the range.
            ("What is the points per game?", all_rows(5, Agg::Sum)),
            ("Is it a latte or tea?", all_rows(0, Agg::None)),
            ("The match between Porto and Braga", all_rows(0, Agg::None)),
            ("How many times was oat milk ordered?", with_cond),
            ("How many drinks are there?", all_rows(0, Agg::Count)),
        ];
        for (question, query) in cases {
            assert_eq!(outside_sketch(question, &t, &query), None, "{question}");
        }
    }
}
