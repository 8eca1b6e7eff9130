//! The training cache: building, round trip, and clear errors on damaged files.

use crate::support;

use sqlcoder_data::{Agg, CondOp, Example, Query, Table};
use sqlcoder_model::input::{pad_batch, InputBuilder};
use sqlcoder_train::cache::{read_cache, write_cache, CacheHeader, CacheReader, CacheWriter};
use sqlcoder_train::cache_build::{build_cache, build_cache_file};
use sqlcoder_train::labels::SlotLabels;
use std::collections::BTreeMap;
use std::path::Path;

fn builder() -> InputBuilder {
    InputBuilder::from_file(support::upstream_encoder().join("tokenizer.json")).unwrap()
}

fn example(table: &str, question: &str, sel: usize, conds: &[(usize, CondOp, &str)]) -> Example {
    Example {
        table_id: table.into(),
        question: question.into(),
        query: Query::with_text_conds(sel, Agg::None, conds),
    }
}

fn tables() -> BTreeMap<String, Table> {
    let table = |id: &str, header: &[&str]| Table {
        id: id.into(),
        header: header.iter().map(|h| h.to_string()).collect(),
        types: vec![],
        rows: vec![],
    };
    [
        table(
            "t1",
            &[
                "Player",
                "No.",
                "Nationality",
                "Position",
                "Years in Toronto",
                "School/Club Team",
            ],
        ),
        table("t2", &["Year", "", "Venue"]),
    ]
    .into_iter()
    .map(|t| (t.id.clone(), t))
    .collect()
}

fn examples() -> Vec<Example> {
    vec![
        example(
            "t1",
            "What position does the player who played for butler cc (ks) play?",
            3,
            &[(5, CondOp::Eq, "Butler CC (KS)")],
        ),
        example(
            "t1",
            "How many schools did player number 3 play at?",
            5,
            &[(1, CondOp::Eq, "3")],
        ),
        example(
            "t2",
            "Which venue after 1990 was in Zürich?",
            2,
            &[
                (0, CondOp::Gt, "1990"),
                (2, CondOp::Eq, "Zürich"),
                (1, CondOp::Lt, "absent"),
            ],
        ),
        example("missing", "What is it?", 0, &[]),
        example("t2", "   ", 0, &[]),
        example("t2", "Which venue?", 9, &[]),
    ]
}

fn build(
    dir: &Path,
) -> (
    std::path::PathBuf,
    Vec<sqlcoder_train::cache::CachedExample>,
) {
    let b = builder();
    let (cached, _) = build_cache(&examples(), &tables(), &b, false).unwrap();
    let path = dir.join("train.cache");
    write_cache(&path, CacheHeader::for_builder(&b).unwrap(), &cached).unwrap();
    (path, cached)
}

#[test]
fn build_reports_stats_and_skips() {
    let b = builder();
    let (cached, stats) = build_cache(&examples(), &tables(), &b, false).unwrap();
    assert_eq!((stats.examples, stats.cached, cached.len()), (6, 3, 3));
    let skipped: Vec<(&str, usize)> = stats.skipped.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(
        skipped,
        vec![
            ("column out of range", 1),
            ("empty question", 1),
            ("unknown table", 1)
        ]
    );
    assert_eq!(
        cached.iter().map(|c| c.example_index).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert_eq!((stats.coverage.conditions, stats.coverage.found), (5, 4));
    assert_eq!(
        stats.tokens_max,
        cached.iter().map(|c| c.input_ids.len()).max().unwrap()
    );

    // A cached example is the encoded input and its labels, compactly.
    let ex = &examples()[2];
    let enc = b.encode(&ex.question, &tables()["t2"].header).unwrap();
    let labels = SlotLabels::from_example(ex, &enc).unwrap();
    let c = &cached[2];
    assert_eq!(
        c.input_ids
            .iter()
            .map(|&i| u32::from(i))
            .collect::<Vec<_>>(),
        enc.input_ids
    );
    assert_eq!(
        (&c.question_tokens, &c.header_spans),
        (&enc.question_tokens, &enc.header_spans)
    );
    assert_eq!(c.labels, labels);
    // Padding a cached example gives the same row as padding the encoded input (type ids implied).
    assert_eq!(pad_batch(&[c]), pad_batch(&[&enc]));
}

#[test]
fn round_trip_streams_back_the_same_examples() {
    let dir = tempfile::tempdir().unwrap();
    let (path, cached) = build(dir.path());
    assert!(!dir.path().join("train.cache.tmp").exists());
    let (header, back) = read_cache(&path).unwrap();
    assert_eq!(header.count, 3);
    assert_eq!(back, cached);
    header.check_matches(&builder()).unwrap();
    let err = header
        .check_matches(&builder().with_max_len(256))
        .unwrap_err();
    assert!(err.to_string().contains("max_len"), "{err}");
    let streamed: Vec<_> = CacheReader::open(&path)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(streamed, cached);
}

/// Questions beyond the sketch keep every family label through the cache: items, COUNT(*),
/// GROUP BY, HAVING with its value span, ORDER BY with LIMIT's number, BETWEEN's one span.
#[test]
fn family_questions_round_trip_with_their_family_labels() {
    use sqlcoder_train::cache_build::FamilyQuestion;
    use sqlcoder_train::family_labels::LimitLabel;
    let question = |q: &str, json: &str| FamilyQuestion {
        table_id: "t1".into(),
        question: q.into(),
        query: serde_json::from_str(json).unwrap(),
    };
    let questions = vec![
        question(
            "Which positions have more than 2 players?",
            r#"{"select":[{"col":3},{"agg":"count","col":null}],"group_by":3,
                "having":{"agg":"count","col":null,"op":">","value":2}}"#,
        ),
        question(
            "Top 3 players by number with years in toronto between 1995 and 2000",
            r#"{"select":[{"col":0}],"where":[{"col":4,"op":"between","value":[1995,2000]}],
                "order_by":{"col":1,"dir":"desc"},"limit":3}"#,
        ),
    ];
    let b = builder();
    let (cached, stats) = build_cache(&questions, &tables(), &b, false).unwrap();
    assert_eq!(stats.cached, 2, "{stats}");
    let grouped = &cached[0].labels;
    assert_eq!(grouped.family.items, vec![(3, 0)]);
    assert!(grouped.family.count_rows);
    assert_eq!(grouped.family.group_by, Some(3));
    let having = grouped.family.having.as_ref().unwrap();
    assert!(having.span.is_some(), "the 2 is in the question");
    let ranked = &cached[1].labels;
    assert_eq!(ranked.ops, vec![Some(6)], "BETWEEN");
    assert!(ranked.value_spans[0].is_some(), "1995 … 2000 is one span");
    assert!(
        matches!(ranked.family.limit, LimitLabel::At(1)),
        "the 3 of 'Top 3'"
    );
    assert_eq!(ranked.family.order.as_ref().unwrap().class, 4);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("family.cache");
    write_cache(&path, CacheHeader::for_builder(&b).unwrap(), &cached).unwrap();
    assert_eq!(read_cache(&path).unwrap().1, cached);
}

#[test]
fn build_cache_file_writes_a_readable_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.bin");
    let stats = build_cache_file(&path, &examples(), &tables(), &builder(), false).unwrap();
    assert_eq!(read_cache(&path).unwrap().1.len(), stats.cached);
}

fn read_error(path: &Path) -> String {
    match read_cache(path) {
        Ok(_) => panic!("damaged cache read without error"),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn truncated_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = build(dir.path());
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
    let err = read_error(&path);
    assert!(err.contains("record 2 of 3 truncated"), "{err}");
    std::fs::write(&path, &bytes[..20]).unwrap();
    assert!(read_error(&path).contains("truncated in its header"));
}

#[test]
fn corrupt_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = build(dir.path());
    let bytes = std::fs::read(&path).unwrap();

    let mut flipped = bytes.clone();
    flipped[70] ^= 0x40; // inside record 0's payload
    std::fs::write(&path, &flipped).unwrap();
    let err = read_error(&path);
    assert!(
        err.contains("record 0 is corrupt (checksum mismatch)"),
        "{err}"
    );

    let mut magic = bytes.clone();
    magic[0] = b'X';
    std::fs::write(&path, &magic).unwrap();
    assert!(read_error(&path).contains("bad magic"));

    let mut extra = bytes.clone();
    extra.push(0);
    std::fs::write(&path, &extra).unwrap();
    assert!(read_error(&path).contains("data after the last record"));
}

#[test]
fn unfinished_writer_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_, cached) = build(dir.path());
    let path = dir.path().join("partial.cache");
    let mut w = CacheWriter::create(&path, CacheHeader::for_builder(&builder()).unwrap()).unwrap();
    w.write(&cached[0]).unwrap();
    drop(w);
    assert!(!path.exists());
    assert!(!dir.path().join("partial.cache.tmp").exists());
}
