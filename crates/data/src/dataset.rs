//! A loaded split: its tables by id and its questions in file order, plus where the challenge
//! layout keeps each split's files.

use crate::types::{Example, Split, Table};
use anyhow::{anyhow, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One split in memory. Every `examples[i].table_id` is a key of `tables` (the readers check it).
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub split: Split,
    pub tables: BTreeMap<String, Table>,
    pub examples: Vec<Example>,
}

impl Dataset {
    /// The table with this id; an unknown id is an error naming it and the split.
    pub fn table(&self, id: &str) -> Result<&Table> {
        self.tables
            .get(id)
            .ok_or_else(|| anyhow!("unknown table id {id:?} in the {} split", self.split))
    }

    /// The table an example asks about.
    pub fn table_of(&self, example: &Example) -> Result<&Table> {
        self.table(&example.table_id)
    }

    /// The tables the examples use, each once, in order of first use.
    pub fn used_tables(&self) -> Vec<&Table> {
        let mut seen = std::collections::HashSet::new();
        self.examples
            .iter()
            .filter(|e| seen.insert(e.table_id.as_str()))
            .filter_map(|e| self.tables.get(&e.table_id))
            .collect()
    }
}

/// `<dir>/dataset_files/<split>.jsonl`: the split's questions with inline tables.
pub fn dataset_path(dir: &Path, split: Split) -> PathBuf {
    dir.join("dataset_files")
        .join(format!("{}.jsonl", split.name()))
}

/// `<dir>/db_files/<split>.db`: the split's tables as SQLite.
pub fn db_path(dir: &Path, split: Split) -> PathBuf {
    dir.join("db_files").join(format!("{}.db", split.name()))
}

/// Read a split of the challenge layout (`dataset_files/<split>.jsonl`, or `.jsonl.xz`).
pub fn load_split(dir: &Path, split: Split) -> Result<Dataset> {
    let path = crate::io::require_plain_or_xz(&dataset_path(dir, split))?;
    crate::challenge::read_file(&path, split)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_challenge_layout() {
        let dir = Path::new("/d");
        assert_eq!(
            dataset_path(dir, Split::Val),
            Path::new("/d/dataset_files/val.jsonl")
        );
        assert_eq!(db_path(dir, Split::Test), Path::new("/d/db_files/test.db"));
    }

    #[test]
    fn unknown_table_id_error_names_it() {
        let ds = Dataset {
            split: Split::Val,
            tables: BTreeMap::new(),
            examples: vec![],
        };
        let msg = ds.table("1-2-3").unwrap_err().to_string();
        assert!(msg.contains("\"1-2-3\"") && msg.contains("val"), "{msg}");
    }
}
