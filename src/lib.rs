//! SQLCoder: answer English questions about a single table with executable SQL.
//!
//! Layers, each using only the ones before it:
//! `data` (WikiSQL formats, SQLite building) → `sql` (assembler, execution) → `eval` (official
//! scoring) → `model` (BERT encoder, slot heads) → `train` → `infer` (decoding, execution guidance)
//! → `app` (CLI, web).

pub mod app;
pub mod data;
pub mod eval;
pub mod infer;
pub mod model;
pub mod sql;
pub mod train;
