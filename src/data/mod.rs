//! WikiSQL data: the shared types, both on-disk formats, and the SQLite databases built from them.
//!
//! - [`wikisql`]: the original release format (and the shared folder's reconstructed layout);
//! - [`challenge`]: the challenge format (`dataset_files/<split>.jsonl`, tables inline);
//! - [`sqlite_build`]: a split's tables as SQLite (`db_files/<split>.db`);
//! - [`prepare`]: original → challenge layout, the `data prepare` command;
//! - [`sample`]: the small sample committed under `data/sample/`.

pub mod challenge;
pub mod csv;
pub mod dataset;
pub mod io;
pub mod prepare;
pub mod sample;
pub mod sqlite_build;
pub mod types;
pub mod validate;
pub mod wikisql;

pub use dataset::{dataset_path, db_path, load_split, Dataset};
pub use types::*;
