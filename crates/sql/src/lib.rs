//! SQL: the layout of a built database and its one builder ([`schema`]), naming, value semantics,
//! the dialects, the assembler (Query → executable SQL + parameters), the display form, and
//! execution (SQLite here, PostgreSQL in [`postgres`]) under time limits ([`limits`]).

pub mod assemble;
pub mod dialect;
pub mod display;
pub mod exec;
pub mod limits;
pub mod naming;
pub mod own;
pub mod postgres;
pub mod schema;
pub mod value;

pub use assemble::assemble;
pub use dialect::Dialect;
pub use display::display;
pub use exec::{Executor, SqlValue};
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
}
