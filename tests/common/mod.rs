//! Reading the shared WikiSQL files directly (the data layer's readers are built in parallel).

#![allow(dead_code)]

use liblzma::read::XzDecoder;
use serde_json::Value;
use sqlcoder::data::types::{Agg, Cond, CondOp, CondValue, Example, Query, Table};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};

pub const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/wikisql");

pub fn read_jsonl_xz(path: &str) -> Vec<Value> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    BufReader::new(XzDecoder::new(file))
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect()
}

/// A query from the original `sql` object.
pub fn query(sql: &Value) -> Query {
    let conds = sql["conds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Cond {
            col: c[0].as_u64().unwrap() as usize,
            op: CondOp::from_index(c[1].as_u64().unwrap() as usize).unwrap(),
            value: serde_json::from_value::<CondValue>(c[2].clone()).unwrap(),
        })
        .collect();
    Query {
        sel: sql["sel"].as_u64().unwrap() as usize,
        agg: Agg::from_index(sql["agg"].as_u64().unwrap() as usize).unwrap(),
        conds,
    }
}

/// `dev` or `test` questions, in file order.
pub fn examples(split: &str) -> Vec<Example> {
    read_jsonl_xz(&format!("{SHARED}/{split}.jsonl.xz"))
        .iter()
        .map(|e| Example {
            table_id: e["table_id"].as_str().unwrap().to_string(),
            question: e["question"].as_str().unwrap().to_string(),
            query: query(&e["sql"]),
        })
        .collect()
}

/// The reconstructed `dev` or `test` tables by id.
pub fn tables(split: &str) -> BTreeMap<String, Table> {
    read_jsonl_xz(&format!("{SHARED}/reconstructed/{split}.tables.jsonl.xz"))
        .into_iter()
        .map(|t| {
            let table: Table = serde_json::from_value(t).unwrap();
            (table.id.clone(), table)
        })
        .collect()
}
