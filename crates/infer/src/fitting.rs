//! Aggregations and comparisons that do not fit their column, for execution-guided decoding to
//! pass over.
//!
//! On tables unlike WikiSQL's the model often pairs the right aggregation with the wrong column:
//! "average qty per order for the Croissant" on (order_id, customer, item, qty, …) becomes
//! `AVG(order_id)`, "total fines issued" becomes `SUM(issued_on)`, "age of our oldest member"
//! becomes `MIN(Age)`. Such a query executes and returns a number, so guidance alone keeps it.
//! Three cases are judged from the table and the question's words:
//!
//! - a SUM or AVG over a column whose cells are mostly not numbers (dates, codes, names): SQLite
//!   would add up numeric prefixes or zeros; a MAX or MIN over cells mostly without a digit
//!   (names: "longest appointment" → `MAX(patient_first)`);
//! - any numeric aggregation over an identifier (a header whose last word is `id`, `no`,
//!   `number`, `code`, …) when the question names no identifier: averages and maxima of ids
//!   answer nothing anyone asks. WikiSQL does ask "the average number for …" of a `Number`
//!   column; the question then says "number", and the aggregation stands;
//! - MIN of an age for "oldest" (MAX for "youngest"), and MAX of a year or date for "oldest"
//!   (MIN for "youngest"): the superlative says which end, so the end is turned round
//!   ([`fitting_end`]) rather than the query passed over.
//!
//! And one for conditions: "list drinks under $4" on (drink, size_oz, price, …) becomes
//! `size_oz < 4`. A number the question writes with a currency symbol is compared with a column
//! that names money (`price`, `fine_usd`, `Monthly Fee`) whenever the table has one.

use super::decode::DecodedCond;
use super::mentioned::lower_words as words;
use super::snap::CURRENCIES;
use sqlcoder_data::types::{Agg, Cell, CondOp, Table};
use sqlcoder_model::header_text::spoken;

/// Last header words that make a column an identifier.
const IDENTIFIER_WORDS: &[&str] = &[
    "id", "ids", "no", "nr", "num", "number", "numbers", "code", "codes", "ref", "key", "sku",
];

/// Header words that name an amount of money.
const MONEY_WORDS: &[&str] = &[
    "amount", "budget", "cost", "costs", "dollars", "earnings", "eur", "euros", "fee", "fees",
    "fine", "fines", "gbp", "gross", "income", "pay", "price", "prices", "prize", "purse", "rent",
    "revenue", "revenues", "salary", "sales", "spend", "usd", "wage", "wages", "winnings",
];

/// Why an aggregation or a comparison does not fit its column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misfit {
    /// SUM or AVG over cells that are mostly not numbers, MAX or MIN over cells mostly without
    /// a digit.
    NotNumbers,
    /// A numeric aggregation of an identifier the question does not name.
    Identifier,
    /// An amount of money compared with a column that is not money, when another column is.
    NotMoney,
}

/// Share tests over a column's non-empty cells: whether at least half of them pass `test`
/// (an empty column passes).
fn mostly(table: &Table, col: usize, test: impl Fn(&Cell) -> bool) -> bool {
    let (mut passed, mut cells) = (0usize, 0usize);
    for cell in table.rows.iter().filter_map(|r| r.get(col)) {
        if matches!(cell, Cell::Text(s) if s.trim().is_empty()) {
            continue;
        }
        passed += usize::from(test(cell));
        cells += 1;
    }
    cells == 0 || 2 * passed >= cells
}

/// Whether most of the column's cells are numbers (what SUM and AVG add up), written as WikiSQL
/// writes them too: "+ 38", "- 2,218".
fn holds_numbers(table: &Table, col: usize) -> bool {
    mostly(table, col, |c| match c {
        Cell::Number(_) => true,
        Cell::Text(s) => s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != ',')
            .collect::<String>()
            .parse::<f64>()
            .is_ok(),
    })
}

/// Whether most of the column's cells have a digit (what MAX and MIN order sensibly: numbers,
/// dates, "+ 4" scores; not names).
fn holds_digits(table: &Table, col: usize) -> bool {
    mostly(table, col, |c| match c {
        Cell::Number(_) => true,
        Cell::Text(s) => s.chars().any(|c| c.is_ascii_digit()),
    })
}

/// Whether column `col`'s header names money (a money word or a currency symbol).
fn names_money(table: &Table, col: usize) -> bool {
    table.header.get(col).is_some_and(|h| {
        h.contains(CURRENCIES)
            || words(&spoken(h))
                .iter()
                .any(|w| MONEY_WORDS.contains(&w.as_str()))
    })
}

/// Whether the condition `cond`, whose value starts at byte `start` of `question`, compares an
/// amount of money (a currency symbol before the number) with a column that does not name money
/// while another column does. Only `<`/`>` conditions and numeric columns count: WikiSQL's text
/// columns hold money ranges ("$117,451–$190,200") under headers that do not say so.
pub fn comparison_misfit(
    question: &str,
    start: usize,
    cond: &DecodedCond,
    table: &Table,
) -> Option<Misfit> {
    if (cond.op == CondOp::Eq && !holds_numbers(table, cond.col)) || names_money(table, cond.col) {
        return None;
    }
    let before = question.get(..start)?.trim_end();
    let from = question.get(start..)?.trim_start();
    let money = before.ends_with(CURRENCIES) || from.starts_with(CURRENCIES);
    let elsewhere = (0..table.header.len()).any(|c| c != cond.col && names_money(table, c));
    (money && elsewhere).then_some(Misfit::NotMoney)
}

/// Whether `agg` over column `sel` does not fit, and why (see the module documentation); the
/// wrong end for "oldest"/"youngest" is [`fitting_end`]'s to mend.
pub fn misfit(question: &str, table: &Table, sel: usize, agg: Agg) -> Option<Misfit> {
    let numbers = match agg {
        Agg::None | Agg::Count => return None,
        Agg::Sum | Agg::Avg => holds_numbers(table, sel),
        Agg::Max | Agg::Min => holds_digits(table, sel),
    };
    if !numbers {
        return Some(Misfit::NotNumbers);
    }
    let identifier = words(&spoken(table.header.get(sel)?))
        .last()
        .is_some_and(|w| IDENTIFIER_WORDS.contains(&w.as_str()));
    let named = words(question)
        .iter()
        .any(|w| IDENTIFIER_WORDS.contains(&w.as_str()));
    (identifier && !named).then_some(Misfit::Identifier)
}

/// The other end (MAX for MIN, MIN for MAX) when `agg` over column `sel` is the wrong end for the
/// question's "oldest"/"youngest": MIN of an age for "oldest", MAX of a year or date for "oldest",
/// and the reverse for "youngest".
pub fn fitting_end(question: &str, table: &Table, sel: usize, agg: Agg) -> Option<Agg> {
    if !matches!(agg, Agg::Max | Agg::Min) {
        return None;
    }
    let asked = words(question);
    let says = |list: &[&str]| asked.iter().any(|w| list.contains(&w.as_str()));
    let (oldest, youngest) = (says(&["oldest", "eldest"]), says(&["youngest"]));
    if oldest == youngest {
        return None;
    }
    let header = words(&spoken(table.header.get(sel)?));
    let age = header.iter().any(|w| w == "age");
    let time = header
        .iter()
        .any(|w| matches!(w.as_str(), "year" | "date" | "born" | "birth"));
    match agg {
        Agg::Min if (age && oldest) || (time && youngest) => Some(Agg::Max),
        Agg::Max if (age && youngest) || (time && oldest) => Some(Agg::Min),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlcoder_data::types::ColumnType;

    fn table() -> Table {
        let t = |s: &str| Cell::Text(s.into());
        let n = Cell::Number;
        Table {
            id: "t".into(),
            header: [
                "order_id",
                "issued_on",
                "qty",
                "Age",
                "Year Built",
                "Number",
            ]
            .map(String::from)
            .to_vec(),
            types: vec![
                ColumnType::Real,
                ColumnType::Text,
                ColumnType::Real,
                ColumnType::Real,
                ColumnType::Text,
                ColumnType::Real,
                ColumnType::Text,
            ],
            rows: vec![
                vec![
                    n(1.0),
                    t("2024-03-02"),
                    n(2.0),
                    n(40.0),
                    t("1990"),
                    n(7.0),
                    t("Ann"),
                ],
                vec![
                    n(2.0),
                    t("2024-03-05"),
                    n(6.0),
                    n(25.0),
                    t("2001"),
                    n(9.0),
                    t("Bo"),
                ],
            ],
        }
    }

    #[test]
    fn sums_of_things_that_are_not_numbers_do_not_fit() {
        let t = table();
        assert_eq!(
            misfit("total fines issued", &t, 1, Agg::Sum),
            Some(Misfit::NotNumbers)
        );
        assert_eq!(misfit("total fines issued", &t, 2, Agg::Sum), None);
        // Years kept as text still hold numbers.
        assert_eq!(misfit("average year built", &t, 4, Agg::Avg), None);
        let signed = Table {
            rows: vec![
                vec![Cell::Text("+ 38".into()); 7],
                vec![Cell::Text("- 2,218".into()); 7],
            ],
            ..table()
        };
        assert_eq!(
            misfit("average goal difference", &signed, 1, Agg::Avg),
            None
        );
        assert_eq!(misfit("latest date issued", &t, 1, Agg::Max), None);
        assert_eq!(
            misfit("longest name", &t, 6, Agg::Max),
            Some(Misfit::NotNumbers)
        );
    }

    #[test]
    fn identifiers_fit_only_when_the_question_names_one() {
        let t = table();
        let q = "average qty per order for the Croissant";
        assert_eq!(misfit(q, &t, 0, Agg::Avg), Some(Misfit::Identifier));
        assert_eq!(misfit(q, &t, 2, Agg::Avg), None);
        assert_eq!(misfit("highest order id", &t, 0, Agg::Max), None);
        assert_eq!(
            misfit("average number for Black Milk", &t, 5, Agg::Avg),
            None
        );
        assert_eq!(misfit("how many orders", &t, 0, Agg::Count), None);
    }

    #[test]
    fn amounts_of_money_are_compared_with_money() {
        let t = Table {
            header: ["drink", "size_oz", "price", "paid"]
                .map(String::from)
                .to_vec(),
            ..table()
        };
        let q = "list drinks under $4";
        let start = q.find('4').unwrap();
        let cond = |col, op| DecodedCond {
            col,
            op,
            span: (3, 4),
            value: "4".into(),
            log_prob: 0.0,
        };
        assert_eq!(
            comparison_misfit(q, start, &cond(1, CondOp::Lt), &t),
            Some(Misfit::NotMoney)
        );
        assert_eq!(comparison_misfit(q, start, &cond(2, CondOp::Lt), &t), None);
        assert_eq!(comparison_misfit(q, start, &cond(1, CondOp::Eq), &t), None);
        let q = "list drinks under 4 oz";
        assert_eq!(
            comparison_misfit(q, start - 1, &cond(1, CondOp::Lt), &t),
            None
        );
        let no_money = Table {
            header: ["drink", "size_oz", "calories", "paid"]
                .map(String::from)
                .to_vec(),
            ..table()
        };
        let q = "list drinks under $4";
        assert_eq!(
            comparison_misfit(q, start, &cond(1, CondOp::Lt), &no_money),
            None
        );
    }

    #[test]
    fn oldest_and_youngest_pick_the_end() {
        let t = table();
        let q = "age of our oldest member";
        assert_eq!(fitting_end(q, &t, 3, Agg::Min), Some(Agg::Max));
        assert_eq!(fitting_end(q, &t, 3, Agg::Max), None);
        assert_eq!(misfit(q, &t, 3, Agg::Min), None);
        let q = "youngest member's age";
        assert_eq!(fitting_end(q, &t, 3, Agg::Max), Some(Agg::Min));
        let q = "year the oldest one was built";
        assert_eq!(fitting_end(q, &t, 4, Agg::Max), Some(Agg::Min));
        assert_eq!(fitting_end(q, &t, 4, Agg::Min), None);
        assert_eq!(fitting_end("highest age", &t, 3, Agg::Min), None);
    }
}
