//! The `/api/ask` bodies the load experiments send: one per question of a split file
//! (`data/sample/dataset_files/val.jsonl`: its table id and question).

use serde_json::{json, Value};

/// One JSON body per line of `questions`, in order.
pub fn ask_bodies(questions: &str) -> Vec<String> {
    std::fs::read_to_string(questions)
        .expect("the questions file")
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("a JSON line");
            json!({ "table": v["table"]["id"], "question": v["question"] }).to_string()
        })
        .collect()
}
