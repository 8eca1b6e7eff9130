//! The family assembler: a [`FamilyQuery`] over a [`Table`] → one executable statement in a
//! [`Dialect`], and at a LIMIT the statement that counts the rows tied with the last one kept.
//!
//! Like the sketch's assembler ([`super::assemble()`]) it quotes every identifier and binds every
//! value, so it always prepares. The rules that make one query give the same rows on every engine:
//!
//! - **Text compares case-insensitively in conditions** (`lower()`, `sqlcoder_fold` in
//!   [`Dialect::SqliteFold`], the cells' exact text where SQLite's ASCII `lower()` would miss one),
//!   as in the sketch. `LIKE` is `lower(c) LIKE lower(?) ESCAPE '\'` with `%`, `_` and `\` in the
//!   text escaped, so it matches the text literally, case-insensitively, on both engines.
//! - **Text orders byte-wise** in ORDER BY, MIN and MAX (`COLLATE "C"` in PostgreSQL, SQLite's
//!   default), and GROUP BY / DISTINCT / COUNT(DISTINCT) group equal bytes: one rule, the one the
//!   sketch's MIN/MAX already follow.
//! - **NULLs sort last** in both directions (`NULLS LAST` written out: the engines' defaults
//!   differ), so an empty cell is never "the cheapest".
//! - **Dates written as text** ([`DateFormat`]) order and compare through a `yyyymmdd` sort key
//!   built from `substr`/`instr` (`strpos` in PostgreSQL) and a month-name `CASE`; a question's
//!   date is read in the column's form ([`date_span`]). A slashed column whose day and month
//!   cannot be told apart is an error (the answer abstains), never a silently wrong order; so are
//!   MIN/MAX over a non-ISO date column (the byte-wise extreme is not the latest date).
//! - **`SELECT DISTINCT … ORDER BY`** is written `GROUP BY` the selected columns, which
//!   PostgreSQL accepts with any ORDER BY over them (it rejects DISTINCT with an ORDER BY
//!   expression outside the select list, as `c COLLATE "C"` and a date key are).
//! - Bare columns beside aggregates without GROUP BY, LIMIT without ORDER BY and the like are
//!   refused before any SQL is written ([`FamilyQuery::check`]).

use super::assemble::{cells_lower_misses, exact_cells, real_param, sql_table, FOLD_FUNCTION};
use super::dialect::Dialect;
use super::naming::{column_names, quote_ident};
use super::{SqlError, SqlParam, SqlStatement};
use sqlcoder_data::dates::{date_span, DateFormat, DateSpan};
use sqlcoder_data::types::{
    Aggregate, CmpOp, ColumnType, CondValue, Connector, Direction, FamilyQuery, Item, LikeMatch,
    Predicate, Table,
};

/// The label of a result column: the header, `MAX(header)`, `COUNT(*)`, `COUNT(DISTINCT header)`.
pub fn item_label(item: &Item, header: &[String]) -> String {
    let name = item
        .col
        .and_then(|c| header.get(c))
        .map_or("*", String::as_str);
    match item.agg {
        Aggregate::None => name.to_string(),
        Aggregate::CountDistinct => format!("COUNT(DISTINCT {name})"),
        agg => format!("{}({name})", agg.sql_name()),
    }
}

/// The labels of a query's result columns, in select order.
pub fn result_columns(query: &FamilyQuery, table: &Table) -> Vec<String> {
    query
        .select
        .iter()
        .map(|i| item_label(i, &table.header))
        .collect()
}

/// `query` as one statement in `dialect` (see the module docs for the rules).
pub fn assemble_family(
    query: &FamilyQuery,
    table: &Table,
    dialect: Dialect,
) -> Result<SqlStatement, SqlError> {
    let mut b = Builder::new(query, table, dialect)?;
    let select = b.select_list()?;
    let body = b.body()?;
    let mut sql = format!("SELECT {select} FROM {}{body}", sql_table(table, dialect));
    if let Some(order) = &query.order_by {
        let key = b.order_key(&order.item)?;
        let dir = match order.dir {
            Direction::Asc => "ASC",
            Direction::Desc => "DESC",
        };
        sql.push_str(&format!(" ORDER BY {key} {dir} NULLS LAST"));
    }
    if let Some(k) = query.limit {
        sql.push_str(&format!(" LIMIT {k}"));
    }
    Ok(b.finish(sql))
}

/// At a LIMIT k: the statement returning one row `(tied, above)`: how many rows of the whole
/// (unlimited) result have the same ORDER BY key as the k-th, and how many come strictly before
/// it. `tied + above > k` means the cut split a tie. `None` without a LIMIT.
pub fn tie_statement(
    query: &FamilyQuery,
    table: &Table,
    dialect: Dialect,
) -> Result<Option<SqlStatement>, SqlError> {
    let (Some(order), Some(k)) = (&query.order_by, query.limit) else {
        return Ok(None);
    };
    let mut b = Builder::new(query, table, dialect)?;
    let key = b.order_key(&order.item)?;
    let body = b.body()?;
    let before = match order.dir {
        Direction::Asc => "<",
        Direction::Desc => ">",
    };
    let dir = match order.dir {
        Direction::Asc => "ASC",
        Direction::Desc => "DESC",
    };
    let sql = format!(
        "WITH r AS (SELECT {key} AS k FROM {}{body}), \
         c AS (SELECT k FROM r ORDER BY k {dir} NULLS LAST LIMIT 1 OFFSET {}) \
         SELECT (SELECT COUNT(*) FROM r, c WHERE r.k = c.k), \
         (SELECT COUNT(*) FROM r, c WHERE r.k {before} c.k)",
        sql_table(table, dialect),
        k - 1
    );
    Ok(Some(b.finish(sql)))
}

/// Writes the parts of one statement, binding values in order.
struct Builder<'a> {
    query: &'a FamilyQuery,
    table: &'a Table,
    dialect: Dialect,
    names: Vec<String>,
    params: Vec<SqlParam>,
}

impl<'a> Builder<'a> {
    fn new(query: &'a FamilyQuery, table: &'a Table, dialect: Dialect) -> Result<Self, SqlError> {
        query
            .check(table)
            .map_err(|e| SqlError::Family(e.to_string()))?;
        let names = match dialect {
            Dialect::Sqlite | Dialect::SqliteFold => column_names(&table.header),
            Dialect::Postgres => table.header.clone(),
        };
        Ok(Builder {
            query,
            table,
            dialect,
            names,
            params: Vec::new(),
        })
    }

    fn finish(self, sql: String) -> SqlStatement {
        SqlStatement {
            sql,
            params: self.params,
            dialect: self.dialect,
        }
    }

    fn bind(&mut self, param: SqlParam) -> String {
        self.params.push(param);
        self.dialect.placeholder(self.params.len())
    }

    /// A bound number, as `double precision` in PostgreSQL whatever the column's numeric type.
    fn bind_number(&mut self, param: SqlParam) -> String {
        let p = self.bind(param);
        match self.dialect {
            Dialect::Postgres => format!("CAST({p} AS double precision)"),
            Dialect::Sqlite | Dialect::SqliteFold => p,
        }
    }

    fn col(&self, col: usize) -> String {
        quote_ident(&self.names[col])
    }

    fn is_text(&self, col: usize) -> bool {
        self.table.types[col] == ColumnType::Text
    }

    /// The column as text, for LIKE on any column (numbers match their text).
    fn as_text(&self, col: usize) -> String {
        if self.is_text(col) && self.dialect != Dialect::Postgres {
            self.col(col)
        } else {
            format!("CAST({} AS TEXT)", self.col(col))
        }
    }

    /// Byte-wise order for text in PostgreSQL (SQLite's default collation already is).
    fn bytewise(&self, expr: String, col: usize) -> String {
        if self.is_text(col) && self.dialect == Dialect::Postgres {
            format!("{expr} COLLATE \"C\"")
        } else {
            expr
        }
    }

    /// The date form of `col` when it holds dates, refused when they cannot be ordered.
    fn dates(&self, col: usize) -> Result<Option<DateFormat>, SqlError> {
        match DateFormat::of_column(self.table, col) {
            Some(DateFormat::Ambiguous(_)) => Err(SqlError::AmbiguousDates {
                column: self.table.header[col].clone(),
            }),
            other => Ok(other),
        }
    }

    fn item(&self, item: &Item) -> Result<String, SqlError> {
        let Some(col) = item.col else {
            return Ok("COUNT(*)".into());
        };
        let c = self.col(col);
        Ok(match item.agg {
            Aggregate::None => c,
            Aggregate::Count => format!("COUNT({c})"),
            Aggregate::CountDistinct => format!("COUNT(DISTINCT {c})"),
            Aggregate::Sum | Aggregate::Avg => format!("{}({c})", item.agg.sql_name()),
            Aggregate::Max | Aggregate::Min => {
                if let Some(f) = DateFormat::of_column(self.table, col) {
                    if f != DateFormat::Iso {
                        return Err(SqlError::DateExtreme {
                            column: self.table.header[col].clone(),
                        });
                    }
                }
                format!("{}({})", item.agg.sql_name(), self.bytewise(c, col))
            }
        })
    }

    fn select_list(&self) -> Result<String, SqlError> {
        let items = self
            .query
            .select
            .iter()
            .map(|i| self.item(i))
            .collect::<Result<Vec<_>, _>>()?;
        // DISTINCT with an ORDER BY is written as GROUP BY (see the module docs).
        let distinct = self.query.distinct && self.query.order_by.is_none();
        Ok(format!(
            "{}{}",
            if distinct { "DISTINCT " } else { "" },
            items.join(", ")
        ))
    }

    /// ` WHERE … GROUP BY … HAVING …` (each part only when the query has it).
    fn body(&mut self) -> Result<String, SqlError> {
        let mut sql = String::new();
        let joiner = match self.query.connector {
            Connector::And => " AND ",
            Connector::Or => " OR ",
        };
        for (i, cond) in self.query.conds.iter().enumerate() {
            sql.push_str(if i == 0 { " WHERE " } else { joiner });
            let text = self.condition(cond.col, &cond.pred)?;
            sql.push_str(&text);
        }
        let group: Vec<String> = match (self.query.group_by, self.query.distinct) {
            (Some(g), _) => vec![self.col(g)],
            (None, true) if self.query.order_by.is_some() => self
                .query
                .select
                .iter()
                .filter_map(|i| i.col.map(|c| self.col(c)))
                .collect(),
            _ => vec![],
        };
        if !group.is_empty() {
            sql.push_str(&format!(" GROUP BY {}", group.join(", ")));
        }
        if let Some(h) = &self.query.having {
            let item = self.item(&h.item)?;
            // MAX/MIN of a text column is text; counts, sums and averages are numbers.
            let text_col = match h.item.agg {
                Aggregate::None | Aggregate::Max | Aggregate::Min => h.item.col,
                _ => None,
            };
            let text = self.compare(&item, h.op, &h.value, text_col);
            sql.push_str(&format!(" HAVING {text}"));
        }
        Ok(sql)
    }

    /// `expr op value`: numerically when `text_col` is `None` or a number column, else as text.
    fn compare(
        &mut self,
        expr: &str,
        op: CmpOp,
        value: &CondValue,
        text_col: Option<usize>,
    ) -> String {
        let op_sql = op.sql();
        match text_col.filter(|&c| self.is_text(c)) {
            None => {
                let p = self.bind_number(real_param(value));
                format!("{expr} {op_sql} {p}")
            }
            Some(_) => {
                let p = self.bind(SqlParam::Text(value.python_str()));
                match self.dialect {
                    Dialect::SqliteFold => {
                        format!("{FOLD_FUNCTION}({expr}) {op_sql} {FOLD_FUNCTION}({p})")
                    }
                    Dialect::Sqlite => format!("lower({expr}) {op_sql} lower({p})"),
                    Dialect::Postgres if matches!(op, CmpOp::Eq | CmpOp::Ne) => {
                        format!("lower({expr}) {op_sql} lower({p})")
                    }
                    Dialect::Postgres => format!("lower({expr}) {op_sql} lower({p}) COLLATE \"C\""),
                }
            }
        }
    }

    fn condition(&mut self, col: usize, pred: &Predicate) -> Result<String, SqlError> {
        let c = self.col(col);
        let ordering = matches!(
            pred,
            Predicate::Between(..)
                | Predicate::Compare(CmpOp::Gt | CmpOp::Lt | CmpOp::Ge | CmpOp::Le, _)
        );
        if ordering && self.is_text(col) {
            if let Some(format) = self.dates(col)? {
                return self.date_condition(col, format, pred);
            }
        }
        Ok(match pred {
            Predicate::Compare(op @ (CmpOp::Eq | CmpOp::Ne), value)
                if self.is_text(col) && self.dialect == Dialect::Sqlite =>
            {
                match cells_lower_misses(self.table, col, &value.python_str()) {
                    Some(cells) => {
                        let mut bind = |p: SqlParam| self.bind(p);
                        let exact = exact_cells(&c, cells, &mut bind);
                        match op {
                            CmpOp::Eq => exact,
                            _ => format!("NOT ({exact})"),
                        }
                    }
                    None => self.compare(&c, *op, value, Some(col)),
                }
            }
            Predicate::Compare(op, value) => self.compare(&c, *op, value, Some(col)),
            Predicate::Between(lo, hi) => {
                let low = self.compare(&c, CmpOp::Ge, lo, Some(col));
                let high = self.compare(&c, CmpOp::Le, hi, Some(col));
                format!("({low} AND {high})")
            }
            Predicate::Like {
                negated,
                text,
                matching,
            } => {
                let escaped = text
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                let pattern = match matching {
                    LikeMatch::Contains => format!("%{escaped}%"),
                    LikeMatch::Starts => format!("{escaped}%"),
                    LikeMatch::Ends => format!("%{escaped}"),
                };
                let subject = self.as_text(col);
                let p = self.bind(SqlParam::Text(pattern));
                let not = if *negated { "NOT " } else { "" };
                match self.dialect {
                    Dialect::SqliteFold => format!(
                        "{FOLD_FUNCTION}({subject}) {not}LIKE {FOLD_FUNCTION}({p}) ESCAPE '\\'"
                    ),
                    Dialect::Sqlite | Dialect::Postgres => {
                        format!("lower({subject}) {not}LIKE lower({p}) ESCAPE '\\'")
                    }
                }
            }
        })
    }

    /// A date condition through the column's sort key; the question's date read in its form.
    fn date_condition(
        &mut self,
        col: usize,
        format: DateFormat,
        pred: &Predicate,
    ) -> Result<String, SqlError> {
        let key = self.date_key(col, format);
        let table = self.table;
        let span = |value: &CondValue| {
            date_span(&value.python_str(), format).ok_or_else(|| SqlError::NotADate {
                value: value.python_str(),
                column: table.header[col].clone(),
            })
        };
        let (op, bound) = match pred {
            Predicate::Compare(op, value) => {
                let DateSpan { lo, hi } = span(value)?;
                match op {
                    CmpOp::Gt => (">", hi),
                    CmpOp::Ge => (">=", lo),
                    CmpOp::Lt => ("<", lo),
                    _ => ("<=", hi),
                }
            }
            Predicate::Between(a, b) => {
                let (lo, hi) = (span(a)?.lo, span(b)?.hi);
                let lo = self.bind_number(SqlParam::Real(lo as f64));
                let hi = self.bind_number(SqlParam::Real(hi as f64));
                return Ok(format!("{key} BETWEEN {lo} AND {hi}"));
            }
            Predicate::Like { .. } => unreachable!("LIKE is not an ordering condition"),
        };
        let p = self.bind_number(SqlParam::Real(bound as f64));
        Ok(format!("{key} {op} {p}"))
    }

    /// What ORDER BY sorts on: an aggregate, a date's key, or the column (byte-wise for text).
    fn order_key(&self, item: &Item) -> Result<String, SqlError> {
        match (item.agg, item.col) {
            (Aggregate::None, Some(col)) => match self.dates(col)? {
                Some(format) if self.is_text(col) => Ok(self.date_key(col, format)),
                _ => Ok(self.bytewise(self.col(col), col)),
            },
            _ => self.item(item),
        }
    }

    /// `yyyymmdd` of a date cell as an integer expression (NULL for an empty cell), from
    /// standard string functions only so that the shown SQL runs on a plain engine.
    fn date_key(&self, col: usize, format: DateFormat) -> String {
        let c = match self.dialect {
            Dialect::Postgres => format!("CAST({} AS TEXT)", self.col(col)),
            _ => self.col(col),
        };
        let find = |haystack: &str, needle: &str| match self.dialect {
            Dialect::Postgres => format!("strpos({haystack}, '{needle}')"),
            _ => format!("instr({haystack}, '{needle}')"),
        };
        let int = |e: String| format!("CAST({e} AS INTEGER)");
        // Three fields split at the first two separators.
        let fields = |sep: char| {
            let s = sep.to_string();
            let rest = format!("substr({c}, {} + 1)", find(&c, &s));
            let first = format!("substr({c}, 1, {} - 1)", find(&c, &s));
            let second = format!("substr({rest}, 1, {} - 1)", find(&rest, &s));
            let third = format!("substr({rest}, {} + 1)", find(&rest, &s));
            (first, second, third)
        };
        let month = |word: String| {
            let arms: String = [
                "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
            ]
            .iter()
            .enumerate()
            .map(|(i, m)| format!(" WHEN '{m}' THEN {}", i + 1))
            .collect();
            format!("CASE lower(substr({word}, 1, 3)){arms} END")
        };
        let ymd = |y: String, m: String, d: String| format!("{y} * 10000 + {m} * 100 + {d}");
        let (key, shape) = match format {
            DateFormat::Iso => (
                ymd(
                    int(format!("substr({c}, 1, 4)")),
                    int(format!("substr({c}, 6, 2)")),
                    int(format!("substr({c}, 9, 2)")),
                ),
                "____-__-__%",
            ),
            DateFormat::DayMonthYear(sep)
            | DateFormat::MonthDayYear(sep)
            | DateFormat::Ambiguous(sep) => {
                let (a, b, y) = fields(sep);
                let (d, m) = match format {
                    DateFormat::DayMonthYear(_) => (a, b),
                    _ => (b, a),
                };
                let shape = match sep {
                    '/' => "%/%/%",
                    '-' => "%-%-%",
                    _ => "%.%.%",
                };
                (ymd(int(y), int(m), int(d)), shape)
            }
            DateFormat::DayMonthName => {
                let (d, m, y) = fields(' ');
                (ymd(int(y), month(m), int(d)), "% % %")
            }
            DateFormat::MonthNameDay => {
                let (m, d, y) = fields(' ');
                (
                    ymd(int(y), month(m), int(format!("replace({d}, ',', '')"))),
                    "% % %",
                )
            }
        };
        // Only cells of the column's shape are read (PostgreSQL's CAST fails on other text).
        format!("(CASE WHEN {c} LIKE '{shape}' THEN {key} END)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table::new(
            "t-1",
            &["name", "dept", "pay", "hired"],
            &[
                ColumnType::Text,
                ColumnType::Text,
                ColumnType::Real,
                ColumnType::Text,
            ],
            vec![
                vec!["Ann".into(), "IT".into(), 10.0.into(), "13/01/2024".into()],
                vec!["Bo".into(), "HR".into(), 12.0.into(), "02/03/2023".into()],
            ],
        )
    }

    fn q(json: &str) -> FamilyQuery {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn clauses_are_written_in_order_with_values_bound() {
        let query = q(
            r#"{"select":[{"col":1},{"agg":"count","col":null}],"where":[{"col":2,"op":">=","value":5},{"col":0,"op":"like","value":"50%_off","match":"starts"}],"connector":"or","group_by":1,"having":{"agg":"count","col":null,"op":">","value":1},"order_by":{"agg":"count","col":null,"dir":"desc"},"limit":2}"#,
        );
        let stmt = assemble_family(&query, &table(), Dialect::Sqlite).unwrap();
        assert_eq!(
            stmt.sql,
            "SELECT \"dept\", COUNT(*) FROM \"table_t_1\" WHERE \"pay\" >= ?1 OR lower(\"name\") LIKE lower(?2) ESCAPE '\\' \
             GROUP BY \"dept\" HAVING COUNT(*) > ?3 ORDER BY COUNT(*) DESC NULLS LAST LIMIT 2"
        );
        assert_eq!(
            stmt.params,
            vec![
                SqlParam::Real(5.0),
                SqlParam::Text("50\\%\\_off%".into()),
                SqlParam::Real(1.0)
            ]
        );
        let pg = assemble_family(&query, &table(), Dialect::Postgres).unwrap();
        assert!(
            pg.sql.contains("\"pay\" >= CAST($1 AS double precision)"),
            "{}",
            pg.sql
        );
        assert_eq!(result_columns(&query, &table()), vec!["dept", "COUNT(*)"]);
    }

    #[test]
    fn date_columns_order_and_compare_by_their_key() {
        let query = q(
            r#"{"select":[{"col":0}],"where":[{"col":3,"op":">","value":"2023"}],"order_by":{"col":3,"dir":"desc"}}"#,
        );
        let stmt = assemble_family(&query, &table(), Dialect::Sqlite).unwrap();
        assert!(
            stmt.sql
                .contains("ORDER BY (CASE WHEN \"hired\" LIKE '%/%/%' THEN"),
            "{}",
            stmt.sql
        );
        assert_eq!(stmt.params, vec![SqlParam::Real(20231231.0)]);
    }
}
