//! Value-span finding and slot labels on tricky questions.

use crate::support;

use sqlcoder_data::types::FamilyQuery;
use sqlcoder_data::{Agg, Cond, CondOp, CondValue, Example, Query, Table};
use sqlcoder_model::input::InputBuilder;
use sqlcoder_train::labels::{value_coverage, LabelError, SlotLabels};
use sqlcoder_train::value_span::{find_value, MatchKind};
use std::collections::BTreeMap;

fn builder() -> InputBuilder {
    InputBuilder::from_file(support::upstream_encoder().join("tokenizer.json")).unwrap()
}

fn text(s: &str) -> CondValue {
    CondValue::Text(s.to_string())
}

fn num(json: &str) -> CondValue {
    CondValue::Number(serde_json::from_str(json).unwrap())
}

/// The question text a value label points at, and how it was found.
fn found(question: &str, value: CondValue) -> Option<(String, MatchKind)> {
    let enc = builder().encode(question, &["A".to_string()]).unwrap();
    let m = find_value(question, &enc.question_offsets, &value)?;
    let span = enc.span_to_question_text(question, m.tokens.0, m.tokens.1)?;
    Some((span.to_string(), m.kind))
}

#[test]
fn case_and_punctuation_match_exactly() {
    let q = "What position does the player who played for butler cc (ks) play?";
    assert_eq!(
        found(q, text("Butler CC (KS)")),
        Some(("butler cc (ks)".into(), MatchKind::Exact))
    );
}

#[test]
fn punctuation_differences_match_loosely_and_keep_shared_punctuation() {
    let q = "Who played for Butler CC KS) last year?";
    assert_eq!(
        found(q, text("Butler CC (KS)")),
        Some(("Butler CC KS)".into(), MatchKind::Loose))
    );
    let q = "Which team is from st. louis?";
    assert_eq!(
        found(q, text("St Louis")),
        Some(("st. louis".into(), MatchKind::Loose))
    );
}

#[test]
fn repeated_spaces_are_tolerated() {
    let q = "Which   team is from New    York  City?";
    assert_eq!(
        found(q, text("new york city")),
        Some(("New    York  City".into(), MatchKind::Exact))
    );
    assert_eq!(
        found("who is from new york", text("  New  York ")),
        Some(("new york".into(), MatchKind::Exact))
    );
}

#[test]
fn missing_value_is_none() {
    assert_eq!(found("Who won in 1990?", text("Chicago")), None);
    assert_eq!(found("Who won in 1990?", num("1991")), None);
    // Inside a word is no match: "an" in "and" / "random".
    assert_eq!(found("rock and random", text("an")), None);
}

#[test]
fn numbers_match_as_written() {
    assert_eq!(
        found("Who won in 1990?", num("1990.0")),
        Some(("1990".into(), MatchKind::Exact))
    );
    assert_eq!(
        found("Who won in 1990?", text("1990.0")),
        Some(("1990".into(), MatchKind::Exact))
    );
    assert_eq!(
        found("how many had 3 wins", num("3")),
        Some(("3".into(), MatchKind::Exact))
    );
    assert_eq!(
        found("attendance of 12,500 people", num("12500")),
        Some(("12,500".into(), MatchKind::Numeric))
    );
    assert_eq!(
        found("a score of 2.5", text("2.50")),
        Some(("2.5".into(), MatchKind::Numeric))
    );
    // Float noise in the question (a dev question prints 0.939 as its float repr).
    assert_eq!(
        found(
            "an Average smaller than 0.9390000000000001, and",
            text("0.939")
        ),
        Some(("0.9390000000000001".into(), MatchKind::Numeric))
    );
    assert_eq!(found("smaller than 0.9391", text("0.939")), None);
}

#[test]
fn whole_token_match_is_preferred() {
    // "3" occurs first inside "3rd", then on its own.
    let q = "the 3rd place team with 3 wins";
    let enc = builder().encode(q, &["A".to_string()]).unwrap();
    let m = find_value(q, &enc.question_offsets, &num("3")).unwrap();
    assert_eq!(&q[m.bytes.clone()], "3");
    assert_eq!(m.bytes.start, q.rfind('3').unwrap());
}

#[test]
fn unicode_values_are_found() {
    assert_eq!(
        found("What did Zoë Ödegård win in 東京?", text("zoë ödegård")),
        Some(("Zoë Ödegård".into(), MatchKind::Exact))
    );
    assert_eq!(
        found("What did Zoë win in 東京?", text("東京")),
        Some(("東京".into(), MatchKind::Exact))
    );
    assert_eq!(
        found("Party 🎉 at ÉCOLE", text("école")),
        Some(("ÉCOLE".into(), MatchKind::Exact))
    );
}

fn example(question: &str, sel: usize, conds: Vec<(usize, CondOp, CondValue)>) -> Example {
    Example {
        table_id: "t1".into(),
        question: question.into(),
        query: Query {
            sel,
            agg: Agg::Count,
            conds: conds
                .into_iter()
                .map(|(col, op, value)| Cond { col, op, value })
                .collect(),
        },
    }
}

fn headers() -> Vec<String> {
    ["Player", "No.", "School/Club Team", "Year"]
        .map(String::from)
        .to_vec()
}

#[test]
fn slot_labels_follow_gold_order() {
    let b = builder();
    let q = "How many players from Butler CC (KS) wore no. 3 after 1990?";
    let ex = example(
        q,
        0,
        vec![
            (2, CondOp::Eq, text("Butler CC (KS)")),
            (3, CondOp::Gt, num("1990")),
            (1, CondOp::Eq, text("not there")),
        ],
    );
    let enc = b.encode(q, &headers()).unwrap();
    let labels = SlotLabels::from_example(&ex, &enc).unwrap();
    assert_eq!((labels.sel, labels.agg, labels.where_count), (0, 3, 3));
    assert_eq!(labels.where_cols, vec![2, 3, 1]);
    assert_eq!(labels.ops, vec![Some(0), Some(1), Some(0)]);
    let span_text = |i: usize| {
        let (s, e) = labels.value_spans[i].unwrap();
        enc.span_to_question_text(q, s, e).unwrap()
    };
    assert_eq!(span_text(0), "Butler CC (KS)");
    assert_eq!(span_text(1), "1990");
    assert_eq!(labels.value_spans[2], None);

    let bad = example(q, 7, vec![]);
    assert_eq!(
        SlotLabels::from_example(&bad, &enc),
        Err(LabelError::ColumnOutOfRange { col: 7, columns: 4 })
    );
}

#[test]
fn coverage_counts_found_and_exact_values() {
    let b = builder();
    let table = Table {
        id: "t1".into(),
        header: headers(),
        types: vec![],
        rows: vec![],
    };
    let tables = BTreeMap::from([("t1".to_string(), table)]);
    let examples = vec![
        example(
            "who is from butler cc (ks)?",
            0,
            vec![(2, CondOp::Eq, text("Butler CC (KS)"))],
        ),
        example(
            "who wore 3 in 1990",
            0,
            vec![(1, CondOp::Eq, num("3")), (3, CondOp::Eq, num("1990.0"))],
        ),
        example("who is missing", 0, vec![(1, CondOp::Eq, text("nobody"))]),
    ];
    let cov = value_coverage(&examples, &tables, &b);
    assert_eq!((cov.conditions, cov.found), (4, 3));
    // "1990" is found but is not the text "1990.0".
    assert_eq!(cov.exact_text, 2);
    assert!((cov.found_share() - 0.75).abs() < 1e-12);
}

/// `in_sketch` reads the sketch off the labels by `FamilyQuery::to_sketch`'s rule: the training
/// mix that keeps only the generator's questions beyond the sketch relies on the two agreeing.
#[test]
fn labels_are_in_the_sketch_exactly_where_the_query_is() {
    let b = builder();
    let q = "Which players from Butler CC (KS) or Duke wore no. 3 between 1990 and 1995?";
    let enc = b.encode(q, &headers()).unwrap();
    let queries = [
        r#"{"select":[{"col":0}],"where":[{"col":2,"op":"=","value":"Duke"}]}"#,
        r#"{"select":[{"agg":"count","col":0}],"where":[{"col":3,"op":">","value":1990}]}"#,
        r#"{"select":[{"col":0}],"where":[{"col":2,"op":"=","value":"Duke"}],"connector":"or"}"#,
        r#"{"select":[{"col":0}],"where":[{"col":2,"op":"=","value":"Duke"},{"col":1,"op":"=","value":3}],"connector":"or"}"#,
        r#"{"select":[{"col":0}],"where":[{"col":2,"op":"!=","value":"Duke"}]}"#,
        r#"{"select":[{"col":0}],"where":[{"col":3,"op":"between","value":[1990,1995]}]}"#,
        r#"{"select":[{"col":0},{"col":1}]}"#,
        r#"{"select":[{"agg":"count","col":null}]}"#,
        r#"{"select":[{"agg":"count_distinct","col":2}]}"#,
        r#"{"select":[{"col":0}],"distinct":true}"#,
        r#"{"select":[{"col":0}],"order_by":{"col":3,"dir":"desc"},"limit":1}"#,
        r#"{"select":[{"col":2},{"agg":"count","col":null}],"group_by":2}"#,
    ];
    let mut kinds = Vec::new();
    for json in queries {
        let query: FamilyQuery = serde_json::from_str(json).unwrap();
        let labels = SlotLabels::from_family(q, &query, &enc).unwrap();
        assert_eq!(labels.in_sketch(), query.to_sketch().is_some(), "{json}");
        kinds.push(labels.in_sketch());
    }
    assert_eq!(kinds.iter().filter(|&&k| k).count(), 3);
}
