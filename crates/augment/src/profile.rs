//! A table read for question writing: each column's spoken header, role and cells, which column
//! names the rows, and what a row is called.

use crate::roles::{number_of, Role};
use crate::words::{cell_text, header_words, plural, reads_as_noun, spoken};
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::{Cell, CondValue, Table};

/// What a row is called, in the singular and the plural ("player"/"players", "entry"/"entries").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Noun {
    pub one: String,
    pub many: String,
    /// Rows are people: "who" asks for them.
    pub person: bool,
}

impl Noun {
    pub fn new(one: &str, many: &str, person: bool) -> Noun {
        Noun {
            one: one.into(),
            many: many.into(),
            person,
        }
    }
}

/// Nouns for rows when no header names them.
pub const GENERIC_NOUNS: [(&str, &str); 4] = [
    ("row", "rows"),
    ("entry", "entries"),
    ("record", "records"),
    ("item", "items"),
];

/// One column, as questions use it.
#[derive(Clone, Debug)]
pub struct Column {
    pub index: usize,
    /// The header as words ("first name").
    pub spoken: String,
    pub role: Role,
    /// Each row's number as the database holds it (number columns; `None` elsewhere).
    pub numbers: Vec<Option<f64>>,
    /// Each row's cell as a question quotes it.
    pub texts: Vec<String>,
}

impl Column {
    /// Distinct non-empty cells in first-seen order (exact text; the case of the first one kept).
    pub fn distinct_texts(&self) -> Vec<&str> {
        let mut seen: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for t in &self.texts {
            let key = t.trim().to_lowercase();
            if !key.is_empty() && !seen.contains(&key) {
                seen.push(key);
                out.push(t.as_str());
            }
        }
        out
    }

    /// How many rows hold each distinct cell (compared case-insensitively, as the SQL does), in
    /// first-seen order.
    pub fn text_counts(&self) -> Vec<(&str, usize)> {
        let mut counts: Vec<(&str, String, usize)> = Vec::new();
        for t in &self.texts {
            let key = t.trim().to_lowercase();
            if key.is_empty() {
                continue;
            }
            match counts.iter_mut().find(|(_, k, _)| *k == key) {
                Some(entry) => entry.2 += 1,
                None => counts.push((t.as_str(), key, 1)),
            }
        }
        counts.into_iter().map(|(t, _, n)| (t, n)).collect()
    }

    /// The numbers present, sorted and without repeats.
    pub fn distinct_numbers(&self) -> Vec<f64> {
        let mut xs: Vec<f64> = self.numbers.iter().flatten().copied().collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        xs
    }

    /// Whether some cell repeats (the column groups rows).
    pub fn repeats(&self) -> bool {
        self.text_counts().iter().any(|&(_, n)| n > 1)
    }

    /// Row `row`'s cell as a condition value: a JSON number on number columns, the text elsewhere.
    pub fn value(&self, row: usize) -> Option<CondValue> {
        if self.role.is_number() {
            self.numbers[row].map(number_value)
        } else {
            let text = &self.texts[row];
            (!text.trim().is_empty()).then(|| CondValue::Text(text.clone()))
        }
    }
}

/// A number as a JSON condition value: an integer when it is one.
pub fn number_value(x: f64) -> CondValue {
    let n = if x.fract() == 0.0 && x.abs() < 1e15 {
        serde_json::Number::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).unwrap_or_else(|| serde_json::Number::from(0))
    };
    CondValue::Number(n)
}

/// A table with its columns read.
#[derive(Clone, Debug)]
pub struct Profile<'a> {
    pub table: &'a Table,
    pub columns: Vec<Column>,
    /// The column whose cells name the rows.
    pub subject: usize,
    pub noun: Noun,
}

impl<'a> Profile<'a> {
    /// `table` read; `noun` names its rows when given, else the subject's header does (or a
    /// generic noun, `generic` choosing which).
    pub fn new(table: &'a Table, noun: Option<Noun>, generic: usize) -> Profile<'a> {
        let columns: Vec<Column> = (0..table.header.len())
            .map(|i| {
                let role = Role::of(table, i);
                Column {
                    index: i,
                    spoken: spoken(&table.header[i]),
                    role,
                    numbers: table
                        .rows
                        .iter()
                        .map(|r| role.is_number().then(|| number_of(&r[i])).flatten())
                        .collect(),
                    texts: table.rows.iter().map(|r| cell_text(&r[i])).collect(),
                }
            })
            .collect();
        // A column that names each row once (a title, a runner) before one that repeats (a
        // director with several films); people before other labels.
        let names = |c: &&Column| c.role.names_rows();
        let subject = columns
            .iter()
            .filter(names)
            .find(|c| !c.repeats())
            .or_else(|| columns.iter().find(|c| c.role == Role::Person))
            .or_else(|| columns.iter().find(names))
            .or_else(|| columns.iter().find(|c| c.role == Role::Category))
            .map_or(0, |c| c.index);
        let noun = noun.unwrap_or_else(|| {
            let header = &columns[subject].spoken;
            let (one, many) = GENERIC_NOUNS[generic % GENERIC_NOUNS.len()];
            let generic = Noun::new(one, many, false);
            // "name" or "full name" says nothing about what the rows are, nor does a column
            // that does not name them.
            let names = columns[subject].role.names_rows();
            if !names || !reads_as_noun(header) || header.ends_with("name") {
                return generic;
            }
            match plural(header) {
                Some(many) if many != *header => {
                    Noun::new(header, &many, columns[subject].role == Role::Person)
                }
                _ => generic,
            }
        });
        Profile {
            table,
            columns,
            subject,
            noun,
        }
    }

    pub fn rows(&self) -> usize {
        self.table.rows.len()
    }

    pub fn subject(&self) -> &Column {
        &self.columns[self.subject]
    }

    /// Columns other than the subject that rows can be ordered by, with at least three values.
    pub fn ordered(&self) -> Vec<&Column> {
        self.columns
            .iter()
            .filter(|c| c.index != self.subject && c.role.is_ordered())
            .filter(|c| match c.role {
                Role::Date(f) => {
                    let mut keys: Vec<_> = c.texts.iter().filter_map(|t| f.key_of(t)).collect();
                    keys.sort();
                    keys.dedup();
                    keys.len() >= 3
                }
                _ => c.distinct_numbers().len() >= 3,
            })
            .collect()
    }

    /// Number columns whose SUM and AVG mean something.
    pub fn summable(&self) -> Vec<&Column> {
        self.columns
            .iter()
            .filter(|c| c.role.adds_up() && c.distinct_numbers().len() >= 2)
            .collect()
    }

    /// Text columns whose cells repeat: what rows are grouped by.
    pub fn groups(&self) -> Vec<&Column> {
        self.columns
            .iter()
            .filter(|c| matches!(c.role, Role::Category | Role::Person) && c.repeats())
            .collect()
    }

    /// The grouping columns other than the subject: what a condition on some of the rows reads.
    pub fn other_groups(&self) -> Vec<&Column> {
        self.groups()
            .into_iter()
            .filter(|c| c.index != self.subject)
            .collect()
    }

    /// Short text columns whose cells a question can quote (not dates).
    pub fn quotable(&self) -> Vec<&Column> {
        self.columns
            .iter()
            .filter(|c| matches!(c.role, Role::Category | Role::Person | Role::Label))
            .collect()
    }

    /// Date columns (orderable formats).
    pub fn dates(&self) -> Vec<&Column> {
        self.columns
            .iter()
            .filter(|c| matches!(c.role, Role::Date(_)))
            .collect()
    }

    /// Row `row`'s cell in column `col`.
    pub fn cell(&self, row: usize, col: usize) -> &Cell {
        &self.table.rows[row][col]
    }

    /// The table as people name its columns in a question: a header of several words is said
    /// by one of them that no other header has ("title" for "book title", "price" for "price
    /// usd", "score" for "home team score"), each such column with probability `share`. The
    /// subject keeps its words: the rows' noun was read from them. A model that only ever sees
    /// a header's every word in the question learns to match whole headers, and people rarely
    /// say them.
    pub fn with_short_names(&self, share: f64, rng: &mut StdRng) -> Profile<'a> {
        let mut out = self.clone();
        for i in 0..out.columns.len() {
            if i == self.subject || !rng.random_bool(share) {
                continue;
            }
            let words = header_words(&self.columns[i].spoken);
            if words.len() < 2 {
                continue;
            }
            let others: Vec<String> = self
                .columns
                .iter()
                .filter(|c| c.index != i)
                .flat_map(|c| header_words(&c.spoken))
                .collect();
            let candidates: Vec<String> = words
                .into_iter()
                .filter(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_lowercase()))
                .filter(|w| !NOT_A_NAME.contains(&w.as_str()) && !others.contains(w))
                .collect();
            if candidates.is_empty() {
                continue;
            }
            // English puts the head noun last ("book title"), so the last word is said most.
            let at = if rng.random_bool(0.6) {
                candidates.len() - 1
            } else {
                rng.random_range(0..candidates.len())
            };
            out.columns[i].spoken = candidates[at].clone();
        }
        out
    }
}

/// Words a column is never called by alone: units, joining words, code suffixes.
const NOT_A_NAME: &[&str] = &[
    "the", "and", "for", "per", "with", "from", "out", "usd", "gbp", "eur", "num", "min", "max",
    "avg", "total", "code", "value",
];

#[cfg(test)]
mod tests {
    use super::*;
    use sqlcoder_data::types::ColumnType::{Real, Text};

    fn table() -> Table {
        Table::new(
            "t",
            &["Player", "Position", "Goals"],
            &[Text, Text, Real],
            vec![
                vec!["Ann Lee".into(), "guard".into(), 3.0.into()],
                vec!["Bo Li".into(), "Guard".into(), 5.0.into()],
                vec!["Cy Ma".into(), "center".into(), 5.0.into()],
            ],
        )
    }

    #[test]
    fn rows_are_named_by_the_subject_column() {
        let t = table();
        let p = Profile::new(&t, None, 0);
        assert_eq!(p.subject, 0);
        assert_eq!(p.noun, Noun::new("player", "players", true));
        assert_eq!(p.groups().len(), 1);
        assert_eq!(
            p.columns[1].text_counts(),
            vec![("guard", 2), ("center", 1)]
        );
        assert_eq!(p.columns[2].distinct_numbers(), vec![3.0, 5.0]);
        assert!(p.ordered().is_empty(), "two goal values only");
        assert_eq!(
            p.columns[2].value(0),
            Some(CondValue::Number(serde_json::Number::from(3)))
        );
    }

    #[test]
    fn a_header_of_several_words_is_said_by_a_word_only_it_has() {
        use rand::SeedableRng;
        let t = Table::new(
            "t",
            &[
                "bookTitle",
                "Home team score",
                "Away team score",
                "price_usd",
                "days out",
            ],
            &[Text, Real, Real, Real, Real],
            vec![vec![
                "Dune".into(),
                1.0.into(),
                2.0.into(),
                3.0.into(),
                4.0.into(),
            ]],
        );
        let p = Profile::new(&t, None, 0);
        let mut said: Vec<std::collections::BTreeSet<String>> = vec![Default::default(); 5];
        for seed in 0..40 {
            let short = p.with_short_names(1.0, &mut StdRng::seed_from_u64(seed));
            for (i, c) in short.columns.iter().enumerate() {
                said[i].insert(c.spoken.clone());
            }
        }
        let set = |words: &[&str]| words.iter().map(|w| w.to_string()).collect();
        assert_eq!(said[0], set(&["book title"]), "the subject keeps its words");
        assert_eq!(
            said[1],
            set(&["home"]),
            "\"team\" and \"score\" are the other's too"
        );
        assert_eq!(said[3], set(&["price"]), "a unit is no name");
        assert_eq!(said[4], set(&["days"]));
        let none = p.with_short_names(0.0, &mut StdRng::seed_from_u64(0));
        assert_eq!(none.columns[1].spoken, "home team score");
    }
}
