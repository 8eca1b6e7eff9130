//! `names`: a table whose "First Last" person column is split into two columns (first name, last
//! name), with the original questions about one person rewritten to two conditions.

use crate::family::Draft;
use crate::profile::Profile;
use crate::roles::Role;
use crate::words::pick;
use rand::rngs::StdRng;
use sqlcoder_data::types::{
    Cell, ColumnType, Cond, CondOp, CondValue, Example, FamilyQuery, Query, Table,
};

/// Header pairs the split column gets, in the styles tables use.
const STYLES: [(&str, &str); 4] = [
    ("first name", "last name"),
    ("first_name", "last_name"),
    ("firstName", "lastName"),
    ("given name", "surname"),
];
/// Share of a column's cells that must be two-word names.
const TWO_WORD_SHARE: f64 = 0.7;

/// The split table and the rewritten questions, when the table has a person column of
/// "First Last" names and some question names one person.
pub fn split(p: &Profile, examples: &[&Example], rng: &mut StdRng) -> Option<(Table, Vec<Draft>)> {
    let i = name_column(p)?;
    let table = split_names(p.table, i, rng);
    let drafts: Vec<Draft> = examples
        .iter()
        .filter_map(|e| rewrite(e, i))
        .map(|(question, query)| Draft {
            question,
            query: FamilyQuery::from(&query),
        })
        .collect();
    Some((table, drafts))
}

/// The first person column whose cells are mostly two name words.
fn name_column(p: &Profile) -> Option<usize> {
    p.columns.iter().find_map(|c| {
        if c.role != Role::Person || p.table.types[c.index] != ColumnType::Text {
            return None;
        }
        let two = c
            .texts
            .iter()
            .filter(|t| {
                let parts: Vec<&str> = t.split_whitespace().collect();
                parts.len() == 2 && parts.iter().all(|w| is_name_word(w))
            })
            .count();
        let cells = c.texts.len();
        (cells > 0 && two as f64 >= TWO_WORD_SHARE * cells as f64).then_some(c.index)
    })
}

/// A letter, then letters, digits, `_`, `'`, `.` or `-` (generate.py's `NAME_WORD`).
fn is_name_word(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(char::is_alphabetic)
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '\'' | '.' | '-'))
}

fn split_names(table: &Table, i: usize, rng: &mut StdRng) -> Table {
    let (first, last) = pick(rng, &STYLES);
    let mut header = table.header.clone();
    header.splice(i..=i, [first.to_string(), last.to_string()]);
    let mut types = table.types.clone();
    types.splice(i..=i, [ColumnType::Text, ColumnType::Text]);
    let rows = table
        .rows
        .iter()
        .map(|r| {
            let text = crate::words::cell_text(&r[i]);
            let parts: Vec<&str> = text.split_whitespace().collect();
            let (first, last) = match parts.as_slice() {
                [first, rest @ ..] if !rest.is_empty() => (first.to_string(), rest.join(" ")),
                _ => (text.clone(), String::new()),
            };
            let mut row = r.clone();
            row.splice(i..=i, [Cell::Text(first), Cell::Text(last)]);
            row
        })
        .collect();
    Table {
        id: format!("{}-names", table.id),
        header,
        types,
        rows,
    }
}

/// The question unchanged, its query on the split table: a condition naming one person becomes
/// two (first and last name); questions selecting the name, or naming no person, are dropped.
fn rewrite(example: &Example, i: usize) -> Option<(String, Query)> {
    let query = &example.query;
    if query.sel == i {
        return None;
    }
    let shift = |c: usize| if c > i { c + 1 } else { c };
    let mut conds = Vec::new();
    let mut person = false;
    for cond in &query.conds {
        if cond.col != i {
            conds.push(Cond {
                col: shift(cond.col),
                ..cond.clone()
            });
            continue;
        }
        let value = cond.value.python_str();
        let parts: Vec<&str> = value.split_whitespace().collect();
        let named = example
            .question
            .to_lowercase()
            .contains(&value.to_lowercase());
        if cond.op != CondOp::Eq || parts.len() != 2 || !named {
            return None;
        }
        for (offset, part) in parts.iter().enumerate() {
            conds.push(Cond {
                col: i + offset,
                op: CondOp::Eq,
                value: CondValue::Text(part.to_string()),
            });
        }
        person = true;
    }
    person.then(|| {
        let query = Query {
            sel: shift(query.sel),
            agg: query.agg,
            conds,
        };
        (example.question.clone(), query)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use sqlcoder_data::types::Agg;

    #[test]
    fn person_columns_split_and_questions_follow() {
        let table = Table::new(
            "t",
            &["Player", "No.", "Position"],
            &[ColumnType::Text, ColumnType::Real, ColumnType::Text],
            vec![
                vec!["John Wallace".into(), 44.0.into(), "forward".into()],
                vec!["Ann O'Neil".into(), 4.0.into(), "guard".into()],
                vec!["Bo Li".into(), 7.0.into(), "center".into()],
                vec!["Cy".into(), 5.0.into(), "guard".into()],
            ],
        );
        let p = Profile::new(&table, None, 0);
        let asks = Example {
            table_id: "t".into(),
            question: "What position does john wallace play?".into(),
            query: Query::with_text_conds(2, Agg::None, &[(0, CondOp::Eq, "John Wallace")]),
        };
        let selects = Example {
            query: Query::with_text_conds(0, Agg::None, &[(2, CondOp::Eq, "guard")]),
            ..asks.clone()
        };
        let mut rng = StdRng::seed_from_u64(0);
        let (split, drafts) = split(&p, &[&asks, &selects], &mut rng).unwrap();
        assert_eq!(split.id, "t-names");
        assert_eq!(split.header.len(), 4);
        assert_eq!(split.rows[3][0..2], [Cell::from("Cy"), Cell::from("")]);
        assert_eq!(drafts.len(), 1);
        assert_eq!(
            drafts[0].query.to_sketch().unwrap(),
            Query::with_text_conds(
                3,
                Agg::None,
                &[(0, CondOp::Eq, "John"), (1, CondOp::Eq, "Wallace")]
            )
        );
        assert!(is_name_word("O'Neil") && !is_name_word("3rd"));
    }
}
