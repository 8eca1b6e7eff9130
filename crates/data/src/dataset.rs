//! A loaded split: its tables by id and its questions in file order. Where the challenge layout
//! keeps each split's files, and its reader, are in [`crate::challenge`].

use crate::types::{Example, Split, Table};
use anyhow::{anyhow, Result};
use std::collections::BTreeMap;

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

#[cfg(test)]
mod tests {
    use super::*;

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
