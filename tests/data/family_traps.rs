//! The assembler's portability traps, one test each, every one run on SQLite and on PostgreSQL
//! (a throw-away cluster): the two engines must give the same, right rows.

use crate::family::{fresh_schema, postgres_t};
use crate::support::postgres::cluster;
use sqlcoder_data::types::{Cell, ColumnType, FamilyQuery, Table};
use sqlcoder_sql::own::MemoryDb;
use sqlcoder_sql::{assemble_family, Dialect, Executor, FamilyRows, SqlError, SqlValue, Tie};
use std::path::Path;

fn shop() -> Table {
    let row =
        |name: &str, price: Option<f64>, note: &str, sold: &str, slashed: &str| -> Vec<Cell> {
            vec![
                name.into(),
                price.map_or(Cell::Text(String::new()), Cell::Number),
                note.into(),
                sold.into(),
                slashed.into(),
            ]
        };
    Table::new(
        "trap-shop",
        &["name", "price", "note", "sold", "slashed"],
        &[
            ColumnType::Text,
            ColumnType::Real,
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::Text,
        ],
        vec![
            row(
                "apple",
                Some(3.0),
                "50% off today",
                "4 March 2024",
                "03/04/2024",
            ),
            row(
                "Banana",
                Some(5.0),
                "a_b grade",
                "12 January 2023",
                "05/06/2024",
            ),
            row("Äpfel", None, "axb grade", "28 February 2024", "07/08/2024"),
            row("cherry", Some(5.0), "ripe", "1 December 2023", "09/10/2024"),
            row("date", Some(1.5), "Sweet", "15 July 2022", "11/12/2024"),
        ],
    )
}

fn q(json: &str) -> FamilyQuery {
    serde_json::from_str(json).unwrap()
}

/// The query's rows on SQLite and on PostgreSQL (which must agree, in order), and the tie.
fn both(query: &FamilyQuery) -> (Vec<Vec<SqlValue>>, Option<Tie>) {
    let t = shop();
    let db = MemoryDb::build(&[&t], Path::new("traps")).unwrap();
    let lite = db.executor().unwrap().run_family(query, &t).unwrap();
    let pg = cluster();
    let schema = fresh_schema("trap");
    let pg_table = postgres_t(pg, &schema, &t);
    let pg_exec = Executor::open_postgres(&pg.conn()).unwrap();
    let post: FamilyRows = pg_exec.run_family(query, &pg_table).unwrap();
    let norm = |rows: &[Vec<SqlValue>]| -> Vec<Vec<SqlValue>> {
        rows.iter()
            .map(|r| {
                r.iter()
                    .map(|v| match v {
                        SqlValue::Integer(i) => SqlValue::Real(*i as f64),
                        other => other.clone(),
                    })
                    .collect()
            })
            .collect()
    };
    assert_eq!(
        norm(&lite.rows),
        norm(&post.rows),
        "SQLite and PostgreSQL differ"
    );
    assert_eq!(lite.tie, post.tie);
    (norm(&lite.rows), lite.tie)
}

fn texts(rows: &[Vec<SqlValue>]) -> Vec<String> {
    rows.iter().map(|r| r[0].to_string()).collect()
}

#[test]
fn distinct_with_order_by_runs_on_postgres() {
    // PostgreSQL rejects SELECT DISTINCT a … ORDER BY <expression not selected>.
    let (rows, _) = both(&q(
        r#"{"select":[{"col":3}],"distinct":true,"order_by":{"col":3,"dir":"asc"}}"#,
    ));
    assert_eq!(
        texts(&rows),
        [
            "15 July 2022",
            "12 January 2023",
            "1 December 2023",
            "28 February 2024",
            "4 March 2024"
        ]
    );
}

#[test]
fn bare_columns_beside_aggregates_are_refused_before_sql() {
    let query = q(r#"{"select":[{"col":0},{"agg":"max","col":1}]}"#);
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        let err = assemble_family(&query, &shop(), dialect).unwrap_err();
        assert!(matches!(err, SqlError::Family(_)), "{err}");
    }
}

#[test]
fn nulls_sort_last_in_both_directions() {
    for dir in ["asc", "desc"] {
        let (rows, _) = both(&q(&format!(
            r#"{{"select":[{{"col":0}}],"order_by":{{"col":1,"dir":"{dir}"}}}}"#
        )));
        assert_eq!(texts(&rows).last().unwrap(), "Äpfel", "{dir}: {rows:?}");
    }
}

#[test]
fn text_orders_byte_wise_on_both_engines() {
    let (rows, _) = both(&q(
        r#"{"select":[{"col":0}],"order_by":{"col":0,"dir":"asc"}}"#,
    ));
    assert_eq!(texts(&rows), ["Banana", "apple", "cherry", "date", "Äpfel"]);
}

#[test]
fn like_is_case_insensitive_and_matches_percent_and_underscore_literally() {
    let like = |text: &str| {
        let (rows, _) = both(&q(&format!(
            r#"{{"select":[{{"col":0}}],"where":[{{"col":2,"op":"like","value":"{text}"}}]}}"#
        )));
        texts(&rows)
    };
    assert_eq!(like("50%"), ["apple"]);
    assert_eq!(
        like("A_B"),
        ["Banana"],
        "_ is not a wildcard; case is ignored"
    );
    assert_eq!(like("sweet"), ["date"]);
    let (rows, _) = both(&q(
        r#"{"select":[{"col":0}],"where":[{"col":2,"op":"not like","value":"grade","match":"ends"}]}"#,
    ));
    assert_eq!(texts(&rows).len(), 3);
}

#[test]
fn text_dates_order_and_compare_as_dates_or_abstain() {
    let (rows, _) = both(&q(
        r#"{"select":[{"col":0}],"where":[{"col":3,"op":">","value":"Dec 1, 2023"}],"order_by":{"col":3,"dir":"desc"}}"#,
    ));
    assert_eq!(texts(&rows), ["apple", "Äpfel"]);
    let (rows, _) = both(&q(
        r#"{"select":[{"col":0}],"where":[{"col":3,"op":"between","value":["2023","2023"]}]}"#,
    ));
    assert_eq!(texts(&rows).len(), 2);
    // No day above 12: 03/04/2024 could be March or April, so the answer abstains.
    let ambiguous = q(r#"{"select":[{"col":0}],"order_by":{"col":4,"dir":"asc"}}"#);
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        let err = assemble_family(&ambiguous, &shop(), dialect).unwrap_err();
        assert!(matches!(err, SqlError::AmbiguousDates { .. }), "{err}");
    }
    let latest = q(r#"{"select":[{"agg":"max","col":3}]}"#);
    assert!(matches!(
        assemble_family(&latest, &shop(), Dialect::Sqlite),
        Err(SqlError::DateExtreme { .. })
    ));
}

#[test]
fn a_limit_returns_k_rows_and_counts_the_tie_at_the_cut() {
    // Highest price: Banana and cherry both cost 5.
    let (rows, tie) = both(&q(
        r#"{"select":[{"col":0}],"order_by":{"col":1,"dir":"desc"},"limit":1}"#,
    ));
    assert_eq!(rows.len(), 1);
    assert_eq!(tie, Some(Tie { tied: 2, shown: 1 }));
    let (rows, tie) = both(&q(
        r#"{"select":[{"col":0}],"order_by":{"col":1,"dir":"desc"},"limit":2}"#,
    ));
    assert_eq!(rows.len(), 2);
    assert_eq!(tie, None, "both tied rows are shown");
    // Top 3 of the two rows above 4: two rows, no tie.
    let (rows, tie) = both(&q(
        r#"{"select":[{"col":0}],"where":[{"col":1,"op":">","value":4}],"order_by":{"col":1,"dir":"asc"},"limit":3}"#,
    ));
    assert_eq!(rows.len(), 2);
    assert_eq!(tie, None);
}
