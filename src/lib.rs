//! SQLCoder: answer English questions about a single table with executable SQL.
//!
//! Layers, in the order declared below, each using only the ones before it (`tests/layering.rs`
//! fails on any `crate::` path that points at a later one):
//! `data` (WikiSQL formats, human-readable strings) → `sql` (database schema and builder,
//! assembler, execution) → `eval` (official scoring) → `model` (BERT encoder, slot heads) →
//! `infer` (decoding, execution guidance) → `train` (caches, training loop, validation) → `app`
//! (CLI, web, the `data` commands).

/// WikiSQL's types and file formats.
pub mod data;

/// The database layout and builder, Query → SQL, execution.
pub mod sql;

/// Official WikiSQL scoring.
pub mod eval;

/// The encoder, the slot heads, their inputs and weights.
pub mod model;

/// From scores to queries and answers.
pub mod infer;

/// Training.
pub mod train;

/// What users run.
pub mod app;
