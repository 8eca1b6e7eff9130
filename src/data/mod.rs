//! WikiSQL data: the shared types, both on-disk formats, and the SQLite databases built from them.

pub mod types;

pub use types::*;
