//! Every generated query runs before it is kept: on an in-memory SQLite copy of its table, through
//! the same executor that answers questions (`Executor::run_family`), so a kept question's
//! query is one the system can run and whose answer is settled.

use anyhow::Result;
use sqlcoder_data::types::{Aggregate, FamilyQuery, Shape, Table};
use sqlcoder_sql::own::MemoryDb;
use sqlcoder_sql::{Executor, FamilyRows, SqlValue};
use std::path::Path;

/// Why a generated query was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reject {
    /// Not well formed on its table (`FamilyQuery::check`).
    Malformed,
    /// The executor refused or failed it.
    Failed,
    /// No rows, only NULLs, or a count of zero: nothing to learn from.
    Empty,
    /// A LIMIT cut through rows tied on the ORDER BY key, or found fewer rows than it asks for.
    Tie,
    /// The rows change when the table's rows are stored in the other order.
    OrderDependent,
    /// Dates compared in a query of WikiSQL's sketch, which the sketch's assembler compares as
    /// text: the rows would not answer the question.
    DateAsText,
}

impl Reject {
    pub const ALL: [Reject; 6] = [
        Reject::Malformed,
        Reject::Failed,
        Reject::Empty,
        Reject::Tie,
        Reject::OrderDependent,
        Reject::DateAsText,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Reject::Malformed => "malformed",
            Reject::Failed => "failed",
            Reject::Empty => "empty",
            Reject::Tie => "tie at the limit",
            Reject::OrderDependent => "depends on row order",
            Reject::DateAsText => "dates compared as text",
        }
    }
}

/// A table and a copy with its rows reversed, loaded into one in-memory database.
pub struct Verifier {
    table: Table,
    reversed: Table,
    exec: Executor,
    /// Keeps the in-memory database alive as long as the executor reads it.
    _db: MemoryDb,
}

impl Verifier {
    pub fn new(table: &Table) -> Result<Verifier> {
        let mut reversed = table.clone();
        reversed.id = format!("{}~reversed", table.id);
        reversed.rows.reverse();
        let db = MemoryDb::build(&[table, &reversed], Path::new(&table.id))?;
        let exec = db.executor()?;
        Ok(Verifier {
            table: table.clone(),
            reversed,
            exec,
            _db: db,
        })
    }

    /// Whether `query` is worth keeping: well formed, runs, returns something, a LIMIT that
    /// does not split a tie, and the same rows whichever order the table's rows are stored in.
    pub fn check(&self, query: &FamilyQuery) -> Result<(), Reject> {
        query.check(&self.table).map_err(|_| Reject::Malformed)?;
        if query.to_sketch().is_some() && query.shapes(&self.table).contains(&Shape::Date) {
            return Err(Reject::DateAsText);
        }
        let rows = self
            .exec
            .run_family(query, &self.table)
            .map_err(|_| Reject::Failed)?;
        if !informative(query, &rows) {
            return Err(Reject::Empty);
        }
        if let Some(k) = query.limit {
            if rows.tie.is_some() || rows.rows.len() != k as usize {
                return Err(Reject::Tie);
            }
        }
        let other = self
            .exec
            .run_family(query, &self.reversed)
            .map_err(|_| Reject::Failed)?;
        if !same_rows(&rows, &other) {
            return Err(Reject::OrderDependent);
        }
        Ok(())
    }
}

/// Some row holds a value, and a lone count is not zero.
fn informative(query: &FamilyQuery, rows: &FamilyRows) -> bool {
    let any_value = rows
        .rows
        .iter()
        .any(|r| r.iter().any(|v| !matches!(v, SqlValue::Null)));
    let zero_count = query.group_by.is_none()
        && matches!(
            query.select.as_slice(),
            [item] if matches!(item.agg, Aggregate::Count | Aggregate::CountDistinct)
        )
        && matches!(
            rows.rows.as_slice(),
            [row] if matches!(row.as_slice(), [SqlValue::Integer(0)])
        );
    any_value && !zero_count
}

/// The same rows, as multisets: ORDER BY may order tied rows either way (the scorer compares
/// order only where the key decides it), and a LIMIT's cut is checked by the tie count.
fn same_rows(a: &FamilyRows, b: &FamilyRows) -> bool {
    let sorted = |rows: &FamilyRows| {
        let mut keys: Vec<String> = rows.rows.iter().map(|r| format!("{r:?}")).collect();
        keys.sort();
        keys
    };
    a.columns == b.columns && sorted(a) == sorted(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlcoder_data::types::ColumnType::{Real, Text};
    use sqlcoder_data::types::{CmpOp, CondValue, Condition, Direction, Item, OrderBy, Predicate};

    fn table() -> Table {
        Table::new(
            "v",
            &["Name", "Team", "Goals"],
            &[Text, Text, Real],
            vec![
                vec!["Ann".into(), "Reds".into(), 3.0.into()],
                vec!["Bo".into(), "Blues".into(), 5.0.into()],
                vec!["Cy".into(), "Reds".into(), 5.0.into()],
                vec!["Di".into(), "Reds".into(), 1.0.into()],
            ],
        )
    }

    fn top(k: u32, dir: Direction) -> FamilyQuery {
        FamilyQuery {
            select: vec![Item::column(0)],
            order_by: Some(OrderBy {
                item: Item::column(2),
                dir,
            }),
            limit: Some(k),
            ..FamilyQuery::empty()
        }
    }

    #[test]
    fn limits_that_split_ties_are_dropped() {
        let v = Verifier::new(&table()).unwrap();
        assert_eq!(v.check(&top(1, Direction::Desc)), Err(Reject::Tie));
        assert_eq!(v.check(&top(2, Direction::Desc)), Ok(()));
        assert_eq!(v.check(&top(1, Direction::Asc)), Ok(()));
        assert_eq!(v.check(&top(9, Direction::Asc)), Err(Reject::Tie));
    }

    #[test]
    fn malformed_and_empty_queries_are_dropped() {
        let v = Verifier::new(&table()).unwrap();
        let mut q = top(1, Direction::Asc);
        q.order_by = None;
        assert_eq!(v.check(&q), Err(Reject::Malformed));
        let count = FamilyQuery {
            select: vec![Item::count_rows()],
            conds: vec![compare(1, CmpOp::Eq, "Greens")],
            ..FamilyQuery::empty()
        };
        assert_eq!(v.check(&count), Err(Reject::Empty));
    }

    fn compare(col: usize, op: CmpOp, text: &str) -> Condition {
        Condition {
            col,
            pred: Predicate::Compare(op, CondValue::Text(text.into())),
        }
    }

    #[test]
    fn dates_compared_inside_the_sketch_are_dropped() {
        let t = Table::new(
            "d",
            &["Event", "Date"],
            &[Text, Text],
            vec![
                vec!["A".into(), "4 March 2024".into()],
                vec!["B".into(), "12 May 2023".into()],
            ],
        );
        let v = Verifier::new(&t).unwrap();
        let after = FamilyQuery {
            select: vec![Item::column(0)],
            conds: vec![compare(1, CmpOp::Gt, "1 January 2024")],
            ..FamilyQuery::empty()
        };
        assert_eq!(v.check(&after), Err(Reject::DateAsText));
        // Showing the dates too takes the query out of the sketch: compared as dates.
        let shown = FamilyQuery {
            select: vec![Item::column(0), Item::column(1)],
            ..after
        };
        assert_eq!(v.check(&shown), Ok(()));
    }
}
