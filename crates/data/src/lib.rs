//! WikiSQL data: the shared types and the on-disk formats. The lowest layer: it uses no other.
//!
//! - [`wikisql`]: the original release format (and the shared folder's reconstructed layout);
//! - [`challenge`]: the challenge format (`dataset_files/<split>.jsonl`, tables inline);
//! - [`human`]: WikiSQL's human-readable query strings (rendered into the challenge format);
//! - [`sample`]: which questions make the small sample committed under `data/sample/`;
//! - [`io`]: compressed input, line errors, and the one atomic-output helper;
//! - [`ood`]: our own questions beyond the sketch (`data/ood/source`, family and outside lines);
//! - [`dates`]: dates written as text (which form a column uses, what a question's date means);
//! - [`csv`] and [`xlsx`]: a user's own table from a CSV file or an Excel workbook.
//!
//! [`types`] holds WikiSQL's sketch ([`Query`]) and the wider query family ([`FamilyQuery`]).
//!
//! The SQLite databases (`db_files/<split>.db`) are built by `sql::schema`; `data prepare` and
//! `data sample`, which write both, are in `app::prepare`.

pub mod challenge;
pub mod csv;
pub mod dataset;
pub mod dates;
pub mod human;
pub mod io;
pub mod ood;
pub mod sample;
pub mod types;
pub mod validate;
pub mod wikisql;
mod windows1252;
pub mod xlsx;

pub use challenge::{dataset_path, db_path, load_split};
pub use dataset::Dataset;
pub use types::*;
