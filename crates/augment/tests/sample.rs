//! `data augment` on the committed sample (data/sample, the challenge layout): deterministic,
//! every line reads back with a well-formed query, every shape of the family present, and the
//! training reader takes the file.

use sqlcoder_augment::{read_line, run, written, Kind, Options, ReadLine, Summary};
use sqlcoder_data::types::{FamilyQuery, Shape, Split};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn sample_train() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sample/dataset_files/train.jsonl")
}

/// The committed written questions (kind `written`).
fn written() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/written")
}

fn generate(out: &Path, seed: u64) -> Summary {
    let options = Options {
        train: sample_train(),
        out: out.to_path_buf(),
        seed,
        written: written(),
        ..Options::default()
    };
    run(&options).unwrap()
}

#[test]
fn the_same_seed_writes_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a.jsonl"),
        dir.path().join("b.jsonl"),
        dir.path().join("c.jsonl"),
    );
    let first = generate(&a, 7);
    let second = generate(&b, 7);
    let bytes = std::fs::read(&a).unwrap();
    assert!(!bytes.is_empty());
    assert_eq!(
        bytes,
        std::fs::read(&b).unwrap(),
        "same seed, different files"
    );
    assert_eq!(
        Summary {
            out: PathBuf::new(),
            ..first
        },
        Summary {
            out: PathBuf::new(),
            ..second
        }
    );
    generate(&c, 8);
    assert_ne!(
        bytes,
        std::fs::read(&c).unwrap(),
        "the seed changes nothing"
    );
}

#[test]
fn every_line_reads_back_and_every_shape_is_there() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen.jsonl");
    let summary = generate(&out, 7);
    eprintln!("{summary}");
    let text = std::fs::read_to_string(&out).unwrap();
    let (mut sketch, mut family) = (0, 0);
    for (i, line) in text.lines().enumerate() {
        match read_line(line).unwrap_or_else(|e| panic!("line {}: {e}", i + 1)) {
            ReadLine::Sketch { query, table, .. } => {
                sketch += 1;
                FamilyQuery::from(&query).check(&table).unwrap();
            }
            ReadLine::Family { query, table, .. } => {
                family += 1;
                query
                    .check(&table)
                    .unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
                assert_eq!(
                    query.to_sketch(),
                    None,
                    "line {}: a sketch query as family",
                    i + 1
                );
                let distinct: HashSet<_> = query.select.iter().collect();
                let line = i + 1;
                assert_eq!(
                    distinct.len(),
                    query.select.len(),
                    "line {line}: an item twice"
                );
            }
        }
    }
    assert_eq!(
        (sketch, family),
        (summary.sketch_lines, summary.family_lines)
    );
    // A written question is in the file written::COPIES times and counts once.
    let written_kept = summary.by_kind[&Kind::Written];
    assert_eq!(
        sketch + family,
        summary.questions + (written::COPIES - 1) * written_kept
    );
    let mut copies: std::collections::HashMap<(String, String), usize> = Default::default();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let table = v["table"]["id"].as_str().unwrap();
        if table.starts_with("written-") {
            let key = (
                table.to_string(),
                v["question"].as_str().unwrap().to_string(),
            );
            *copies.entry(key).or_default() += 1;
        }
    }
    assert_eq!(copies.len(), written_kept);
    assert!(copies.values().all(|&n| n == written::COPIES), "{copies:?}");
    for shape in Shape::ALL {
        let n = summary.by_shape.get(&shape).copied().unwrap_or(0);
        assert!(n > 0, "no question of shape {:?}", shape.name());
    }
    for kind in Kind::ALL {
        let n = summary.by_kind.get(&kind).copied().unwrap_or(0);
        assert!(n > 0, "no question of kind {kind}");
    }

    // The training reader takes the sketch lines and skips the family lines.
    let read = sqlcoder_data::challenge::read_file(&out, Split::Train).unwrap();
    assert_eq!(read.examples.len(), summary.sketch_lines);
}

#[test]
fn kinds_and_table_limits_narrow_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("whole.jsonl");
    let options = Options {
        train: sample_train(),
        out: out.clone(),
        kinds: vec![Kind::Whole],
        limit_tables: Some(3),
        share: 1.0,
        ..Options::default()
    };
    let summary = run(&options).unwrap();
    assert_eq!((summary.tables, summary.own_tables), (3, 0));
    assert_eq!(
        summary.by_kind.keys().collect::<Vec<_>>(),
        vec![&Kind::Whole]
    );
    assert_eq!(summary.family_lines, 0);
    // One count question a table, at least.
    assert!(summary.questions >= 3, "{summary}");
}

#[test]
fn a_question_of_the_report_part_keeps_its_near_copies_out() {
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all.jsonl");
    generate(&all, 7);
    let text = std::fs::read_to_string(&all).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let question = first["question"].as_str().unwrap().to_string();
    let table = &first["table"];
    // A report part of one question outside the family, on the generated line's own table.
    let source = dir.path().join("source");
    std::fs::create_dir(&source).unwrap();
    std::fs::write(source.join("test.tables.jsonl"), format!("{table}\n")).unwrap();
    std::fs::write(source.join("test.family.jsonl"), "").unwrap();
    let outside = serde_json::json!({
        "table_id": table["id"], "question": question, "gold_sql": "SELECT 1"
    });
    std::fs::write(source.join("test.outside.jsonl"), format!("{outside}\n")).unwrap();

    let kept = dir.path().join("kept.jsonl");
    let summary = run(&Options {
        train: sample_train(),
        out: kept.clone(),
        seed: 7,
        held_out: Some(source),
        written: written(),
        ..Options::default()
    })
    .unwrap();
    assert_eq!(summary.held_out_questions, 1);
    assert!(summary.held_out_dropped >= 1, "{summary}");
    assert_eq!(
        summary.held_out_near.iter().copied().collect::<Vec<_>>(),
        vec![0]
    );
    let kept = std::fs::read_to_string(&kept).unwrap();
    assert!(!kept.is_empty());
    for line in kept.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_ne!(
            v["question"].as_str(),
            Some(question.as_str()),
            "a held-out question was written"
        );
    }
}
