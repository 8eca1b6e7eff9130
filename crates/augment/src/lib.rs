//! Generated training questions (`sqlcoder data augment`): the shapes WikiSQL lacks, written from
//! its own train tables and a few tables of ours, every query run before it is kept.
//!
//! WikiSQL's questions almost always have a condition and rarely count, and none of them sorts,
//! groups, limits, excludes or matches patterns; people asking about their own tables do all of
//! that. This crate writes such questions, each with its query, from the tables' own headers and
//! cells, so every value a question names is in its table.
//!
//! # Kinds
//!
//! [`Kind`] lists them (`--kinds`, comma-separated; `all`, the default, or `family`):
//! generate.py's `whole`, `count`, `quoted`, `names` and `headers` (ported with the same logic,
//! [`ported`]), then one kind per shape of the query family ([`family`]): `superlative`, `top`,
//! `order`, `group`, `having`, `distinct`, `not`, `bounds`, `between`, `like`, `or`, `columns`,
//! `dates`. Templates are worded by the columns' [`roles::Role`]s ("oldest" for an age or a
//! year, "cheapest" for a price, "the most" for a tally) and read headers as words
//! ([`words::spoken`]).
//! Last, `written`: questions people wrote about tables of ours (`data/written`, [`written`]),
//! checked and kept as every drafted question is, each written [`written::COPIES`] times.
//!
//! # Kept questions
//!
//! Every query runs through `sqlcoder-sql` (`Executor::run_family`) on an in-memory SQLite copy
//! of its table ([`verify`]) and is kept only when it is well formed (`FamilyQuery::check`),
//! runs, returns something (not only NULLs, not a count of zero), gives the same rows when the
//! table's rows are stored in the other order, and, at a LIMIT, does not cut through rows tied
//! on the ORDER BY key. A query inside WikiSQL's sketch that compares a date column is dropped
//! too: the executor runs sketch queries through the sketch's assembler, which compares such
//! cells as text. A question written twice for one table is kept once, and one that is a near
//! copy of a question of our report part is not kept ([`held_out`]).
//!
//! # Determinism
//!
//! The same seed and input give a byte-identical file: each table's questions come from a
//! generator seeded by the run's seed and the table's id (FNV-1a, not std's hasher), tables are
//! read in id order, every collection that reaches the output is ordered (vectors, B-trees), and
//! the final shuffle uses the run's seed. Threads change nothing: parallel results are collected
//! in table order. (`rand`'s `StdRng` may change between `rand` versions; `Cargo.lock` pins it.)
//!
//! # Line format
//!
//! One JSON object per line, `question` first, the table inline as in the challenge layout:
//!
//! - **In WikiSQL's sketch** (`FamilyQuery::to_sketch` is `Some`): a challenge-format line,
//!   exactly what `sqlcoder_data::challenge::line_json` writes for the challenge splits:
//!   ```json
//!   {"question": "...", "table": {"id": "...", "header": [...], "types": [...], "rows": [...]},
//!    "sql": {"human_readable": "SELECT ...", "sel": 3, "agg": 0, "conds": [[5, 0, "..."]]}}
//!   ```
//!   (generate.py wrote the same keys without `human_readable`, which readers ignore.)
//! - **Outside the sketch**: the same `question` and `table`, no `sql`, and a `family` key with
//!   the structured query in its JSON form (`data/ood/FAMILY.md`):
//!   ```json
//!   {"question": "...", "table": {...},
//!    "family": {"select": [{"col": 0}], "order_by": {"col": 3, "dir": "desc"}, "limit": 1}}
//!   ```
//!
//! A line holds `sql` or `family`, never both. The challenge reader
//! (`sqlcoder_data::challenge::read_file`, which `train` uses for `extra_train`) reads the
//! sketch lines and skips the family lines: the slot model cannot learn a query outside the
//! sketch. [`read_line`] reads both.
//!
//! Table ids: WikiSQL's, `<id>-names` (the split-name copy), `<id>-<style>` (the code-header
//! copy: `snake`, `camel`, `pascal`, `abbrev`), `augment-<topic>` for our own tables
//! ([`own_tables`]) and `written-<topic>` for the written questions' tables; one id always
//! carries the same table.

pub mod family;
pub mod framing;
pub mod held_out;
pub mod kind;
pub mod line;
pub mod own_tables;
pub mod ported;
pub mod profile;
pub mod roles;
pub mod run;
pub mod summary;
pub mod verify;
pub mod words;
pub mod written;

pub use kind::Kind;
pub use line::{read_line, Generated, ReadLine};
pub use run::{run, Options};
pub use summary::Summary;
