//! The in-memory model shared by every layer: tables, questions and their queries (WikiSQL's
//! sketch here, the wider query family in `family`).
//!
//! Both on-disk formats (the original release and the challenge layout) read into these types,
//! and the SQL assembler, the scorer and the model all work on them.

use serde::{Deserialize, Serialize};
use std::fmt;

mod family;
pub use family::*;

/// WikiSQL's aggregation list, in index order (`agg` in the JSON).
pub const AGG_NAMES: [&str; 6] = ["", "MAX", "MIN", "COUNT", "SUM", "AVG"];
/// WikiSQL's condition operators, in index order. Index 3 ("OP") never occurs in the data.
pub const OP_NAMES: [&str; 4] = ["=", ">", "<", "OP"];

/// The type WikiSQL gives a column: it decides how condition values are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Text,
    Real,
}

/// One table cell as the JSON holds it: real-typed columns store numbers, everything else strings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    Number(f64),
    Text(String),
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Number(n) => write!(f, "{n}"),
            Cell::Text(s) => f.write_str(s),
        }
    }
}

/// A WikiSQL table: `header[i]` has type `types[i]`; every row has `header.len()` cells.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub id: String,
    pub header: Vec<String>,
    pub types: Vec<ColumnType>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A small table written out by hand (the tests' fixtures): cells convert from `f64` (a
    /// number) and `&str` (text), e.g. `vec!["Porto".into(), 1.5.into()]`. Unchecked: the
    /// readers check tables from files.
    pub fn new(id: &str, header: &[&str], types: &[ColumnType], rows: Vec<Vec<Cell>>) -> Table {
        Table {
            id: id.into(),
            header: header.iter().map(|h| h.to_string()).collect(),
            types: types.to_vec(),
            rows,
        }
    }
}

impl From<f64> for Cell {
    fn from(n: f64) -> Self {
        Cell::Number(n)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::Text(text.into())
    }
}

/// Aggregation applied to the selected column (index into [`AGG_NAMES`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Agg {
    None = 0,
    Max = 1,
    Min = 2,
    Count = 3,
    Sum = 4,
    Avg = 5,
}

impl Agg {
    pub const ALL: [Agg; 6] = [
        Agg::None,
        Agg::Max,
        Agg::Min,
        Agg::Count,
        Agg::Sum,
        Agg::Avg,
    ];

    pub fn from_index(i: usize) -> Option<Agg> {
        Self::ALL.get(i).copied()
    }
    pub fn index(self) -> usize {
        self as usize
    }
    /// The SQL keyword ("" for no aggregation).
    pub fn name(self) -> &'static str {
        AGG_NAMES[self.index()]
    }
}

/// A condition operator (index into [`OP_NAMES`]); "OP" (3) is never used by WikiSQL and rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CondOp {
    Eq = 0,
    Gt = 1,
    Lt = 2,
}

impl CondOp {
    pub const ALL: [CondOp; 3] = [CondOp::Eq, CondOp::Gt, CondOp::Lt];

    pub fn from_index(i: usize) -> Option<CondOp> {
        Self::ALL.get(i).copied()
    }
    pub fn index(self) -> usize {
        self as usize
    }
    pub fn symbol(self) -> &'static str {
        OP_NAMES[self.index()]
    }
}

/// A condition value exactly as the JSON holds it. The original files mix strings, integers and
/// floats; logical-form scoring compares Python's `str(value).lower()`, so the kind is kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CondValue {
    Number(serde_json::Number),
    Text(String),
}

impl CondValue {
    /// Python's `str(value)`, which the official logical-form comparison lowercases.
    pub fn python_str(&self) -> String {
        match self {
            CondValue::Text(s) => s.clone(),
            CondValue::Number(n) => {
                if let Some(i) = n.as_i64() {
                    i.to_string()
                } else if let Some(u) = n.as_u64() {
                    u.to_string()
                } else {
                    let f = n.as_f64().unwrap_or(f64::NAN);
                    python_float_repr(f)
                }
            }
        }
    }
}

impl fmt::Display for CondValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.python_str())
    }
}

/// Python's `repr(float)` for the values WikiSQL holds: integral floats keep a ".0".
fn python_float_repr(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// `col op value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Cond {
    pub col: usize,
    pub op: CondOp,
    pub value: CondValue,
}

/// `SELECT agg(sel) FROM t WHERE conds[0] AND conds[1] ...`
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub sel: usize,
    pub agg: Agg,
    pub conds: Vec<Cond>,
}

impl Query {
    /// A query whose condition values are all text, from `(column, operator, value)` triples
    /// (values as a question gives them; a compact way to write queries down).
    pub fn with_text_conds(sel: usize, agg: Agg, conds: &[(usize, CondOp, &str)]) -> Query {
        let conds = conds
            .iter()
            .map(|&(col, op, value)| Cond {
                col,
                op,
                value: CondValue::Text(value.to_string()),
            })
            .collect();
        Query { sel, agg, conds }
    }
}

/// One question with its gold query.
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    pub table_id: String,
    pub question: String,
    pub query: Query,
}

/// The dataset splits the challenge layout names; the original release calls `val` "dev".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    Train,
    Val,
    Test,
}

impl Split {
    pub const ALL: [Split; 3] = [Split::Train, Split::Val, Split::Test];

    /// Name in the challenge layout (`dataset_files/<name>.jsonl`, `db_files/<name>.db`).
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Val => "val",
            Split::Test => "test",
        }
    }
}

impl std::str::FromStr for Split {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "train" => Ok(Split::Train),
            "val" | "dev" => Ok(Split::Val),
            "test" => Ok(Split::Test),
            other => Err(format!(
                "unknown split {other:?} (expected train, val or test)"
            )),
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
