//! SQL: the layout of a built database and its one builder ([`schema`]), naming, value semantics,
//! the dialects, the assemblers (WikiSQL's Query in [`mod@assemble`], the wider query family in
//! [`family`] → executable SQL + parameters), the display form, and
//! execution (SQLite here, PostgreSQL in [`postgres`]) under time limits ([`limits`]).

pub mod assemble;
pub mod dialect;
pub mod display;
pub mod exec;
pub mod family;
pub mod limits;
pub mod naming;
pub mod own;
pub mod postgres;
pub mod schema;
pub mod value;

pub use assemble::assemble;
pub use dialect::Dialect;
pub use display::display;
pub use exec::{Executor, FamilyRows, Row, SqlValue, Tie};
pub use family::{assemble_family, result_columns};
pub use limits::QueryLimits;

/// A value bound to a placeholder. Values never enter the SQL text itself.
#[derive(Clone, Debug, PartialEq)]
pub enum SqlParam {
    Null,
    Real(f64),
    Text(String),
}

/// SQL text with placeholders (`?1..?N`, or `$1..$N` in PostgreSQL) and the values bound to
/// them, in order, for the engine of `dialect`.
#[derive(Clone, Debug, PartialEq)]
pub struct SqlStatement {
    pub sql: String,
    pub params: Vec<SqlParam>,
    pub dialect: Dialect,
}

/// Why a query could not be turned into SQL.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SqlError {
    #[error("{slot} column {col} is out of range: table {table_id:?} has {width} columns")]
    ColumnOutOfRange {
        slot: &'static str,
        col: usize,
        width: usize,
        table_id: String,
    },
    #[error("not a query of the family: {0}")]
    Family(String),
    #[error("column {column:?} holds dates whose day and month cannot be told apart (no day above 12), so they are not ordered")]
    AmbiguousDates { column: String },
    #[error("{value:?} is not a date that column {column:?} can be compared with")]
    NotADate { value: String, column: String },
    #[error("the latest or earliest of column {column:?} is not its text's MAX or MIN (its dates are not written year first)")]
    DateExtreme { column: String },
}
