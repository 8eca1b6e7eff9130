//! SQL: the layout of a built database and its one builder ([`schema`]), naming, value semantics,
//! the assembler (Query → executable SQL + parameters), the display form, and execution.

pub mod assemble;
pub mod display;
pub mod exec;
pub mod naming;
pub mod own;
pub mod schema;
pub mod value;

pub use assemble::assemble;
pub use display::display;
pub use exec::{Executor, SqlValue};

/// A value bound to a `?N` placeholder. Values never enter the SQL text itself.
#[derive(Clone, Debug, PartialEq)]
pub enum SqlParam {
    Null,
    Real(f64),
    Text(String),
}

/// SQL text with `?1..?N` placeholders and the values bound to them, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct SqlStatement {
    pub sql: String,
    pub params: Vec<SqlParam>,
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
