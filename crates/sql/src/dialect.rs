//! The SQL engines a statement is written for. Each dialect names tables and columns its own way
//! and compares text with functions its engine has, so the SQL shown is the SQL that runs.

/// The engine a statement is assembled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// SQLite, our layout ([`super::schema`]: `table_<id>`, headers made unique), standard
    /// functions only: text compares through `lower()`, which folds ASCII only; where that would
    /// differ from full Unicode folding on `=`, the condition names the matching cells' exact text.
    Sqlite,
    /// PostgreSQL, the table's own names (`schema.table` as given, columns as the headers), values
    /// as `$N`, text through `lower()` (Unicode-aware under a UTF-8 locale), `<`/`>`, MIN and MAX
    /// byte-wise (`COLLATE "C"`), numbers compared as `double precision`.
    Postgres,
    /// SQLite with our registered `sqlcoder_fold` function (Python's `str.lower`): the official
    /// WikiSQL engine's semantics, for scoring (`eval`, the gold checks of `data prepare`) only.
    /// Its SQL runs only on our own connections, so it is never shown.
    SqliteFold,
}

impl Dialect {
    /// The placeholder of the `n`-th bound value (1-based).
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Sqlite | Dialect::SqliteFold => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }

    /// The character that starts a placeholder.
    pub fn placeholder_mark(self) -> char {
        match self {
            Dialect::Sqlite | Dialect::SqliteFold => '?',
            Dialect::Postgres => '$',
        }
    }
}
