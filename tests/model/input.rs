//! The input builder against the MiniLM reference fixture, plus its length, Unicode and padding
//! policies.

use crate::support;

use sqlcoder_model::input::{pad_batch, InputBuilder, InputError, PAD_ID};

fn builder() -> InputBuilder {
    InputBuilder::from_file(support::upstream_encoder().join("tokenizer.json")).unwrap()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn reproduces_reference_fixture() {
    let text = std::fs::read_to_string(support::encoder_fixture_path()).unwrap();
    let fixture: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 3);
    let b = builder();
    for case in cases {
        let question = case["question"].as_str().unwrap();
        let headers: Vec<String> = serde_json::from_value(case["headers"].clone()).unwrap();
        let ids: Vec<u32> = serde_json::from_value(case["input_ids"].clone()).unwrap();
        let types: Vec<u32> = serde_json::from_value(case["token_type_ids"].clone()).unwrap();
        let tokens: Vec<String> = serde_json::from_value(case["tokens"].clone()).unwrap();
        let offsets: Vec<(usize, usize)> = serde_json::from_value(case["offsets"].clone()).unwrap();

        let enc = b.encode(question, &headers).unwrap();
        assert_eq!(enc.input_ids, ids, "input_ids for {question:?}");
        assert_eq!(enc.token_type_ids, types, "token_type_ids for {question:?}");
        assert_eq!(enc.header_cap, None);

        // Question positions and offsets agree with the reference tokenization.
        assert_eq!(tokens[enc.question_tokens.end], "[SEP]");
        assert_eq!(enc.question_offsets, offsets[enc.question_tokens.clone()]);
        // Every header span is followed by [SEP] and holds the pieces between two [SEP]s.
        assert_eq!(enc.header_spans.len(), headers.len());
        let mut expect_start = enc.question_tokens.end + 1;
        for span in &enc.header_spans {
            assert_eq!(span.start, expect_start);
            assert_eq!(tokens[span.end], "[SEP]");
            assert!(tokens[span.clone()].iter().all(|t| t != "[SEP]"));
            expect_start = span.end + 1;
        }
        assert_eq!(expect_start, ids.len());
    }
}

#[test]
fn span_maps_back_to_exact_question_text() {
    let b = builder();
    let q = "What position does the player who played for Butler CC (KS)  play?";
    let enc = b
        .encode(q, &strings(&["Player", "School/Club Team"]))
        .unwrap();
    let toks: Vec<&str> = enc
        .question_offsets
        .iter()
        .map(|&(s, e)| &q[s..e])
        .collect();
    let start = toks.iter().position(|&t| t == "Butler").unwrap();
    let end = toks.iter().position(|&t| t == ")").unwrap();
    assert_eq!(
        enc.span_to_question_text(q, start, end),
        Some("Butler CC (KS)")
    );
    assert_eq!(enc.span_to_question_text(q, end, start), None);
    assert_eq!(enc.span_to_question_text(q, 0, enc.question_len()), None);
}

#[test]
fn unicode_offsets_are_byte_offsets_into_the_question() {
    let b = builder();
    let q = "Who is Zoë Ödegård from 東京 🎉 with café?";
    let enc = b.encode(q, &strings(&["Name", "City"])).unwrap();
    // Every offset lies on char boundaries and covers non-space text.
    for &(s, e) in &enc.question_offsets {
        let piece = q.get(s..e).expect("offsets on char boundaries");
        assert!(!piece.trim().is_empty());
    }
    let texts: Vec<&str> = enc
        .question_offsets
        .iter()
        .map(|&(s, e)| &q[s..e])
        .collect();
    // Chinese characters are single tokens; the emoji is one ([UNK]) token.
    assert!(texts.contains(&"東") && texts.contains(&"京"), "{texts:?}");
    assert!(texts.contains(&"🎉"), "{texts:?}");
    // A span over accented words maps back to the accented original, not the stripped form.
    let first = texts.iter().position(|t| t.starts_with("Zo")).unwrap();
    let last = (0..texts.len())
        .rfind(|&i| q[..enc.question_offsets[i].1].ends_with("Ödegård"))
        .unwrap();
    assert_eq!(
        enc.span_to_question_text(q, first, last),
        Some("Zoë Ödegård")
    );
    let cafe_end = texts.len() - 2; // last token is "?"
    let cafe_start = (0..=cafe_end)
        .rfind(|&i| texts[i].starts_with("caf"))
        .unwrap();
    assert_eq!(
        enc.span_to_question_text(q, cafe_start, cafe_end),
        Some("café")
    );
}

#[test]
fn spans_keep_marks_the_normalizer_drops() {
    let b = builder();
    // Tamil virama (U+0BCD) and Thai vowel sign (U+0E35) are stripped with the accents, as is a
    // decomposed accent (e + U+0301); spans must still end after them.
    let q = "Which star is Anusham அனுஷம் on วันพฤหัสบดี at cafe\u{301}?";
    let enc = b.encode(q, &strings(&["A"])).unwrap();
    let texts: Vec<&str> = enc
        .question_offsets
        .iter()
        .map(|&(s, e)| &q[s..e])
        .collect();
    let find = |word: &str| {
        let start = (0..texts.len())
            .find(|&i| q[enc.question_offsets[i].0..].starts_with(word))
            .unwrap();
        let end = (start..texts.len())
            .find(|&i| q[..enc.question_offsets[i].1].ends_with(word))
            .unwrap_or_else(|| panic!("{word:?} in {texts:?}"));
        enc.span_to_question_text(q, start, end).unwrap()
    };
    assert_eq!(find("அனுஷம்"), "அனுஷம்");
    assert_eq!(find("วันพฤหัสบดี"), "วันพฤหัสบดี");
    assert_eq!(find("cafe\u{301}"), "cafe\u{301}");
    // Nothing reaches over whitespace or into the next token.
    for w in enc.question_offsets.windows(2) {
        assert!(w[0].1 <= w[1].0);
    }
    assert!(texts.iter().all(|t| !t.contains(' ')));
}

#[test]
fn empty_question_is_an_error() {
    let b = builder();
    let h = strings(&["A"]);
    assert_eq!(b.encode("", &h), Err(InputError::EmptyQuestion));
    assert_eq!(b.encode("  \t\n ", &h), Err(InputError::EmptyQuestion));
    assert_eq!(b.encode("what?", &[]), Err(InputError::NoColumns));
}

#[test]
fn empty_header_is_represented_by_its_sep() {
    let b = builder();
    let enc = b
        .encode("what is x", &strings(&["Name", "", "Notes"]))
        .unwrap();
    let sep = enc.input_ids[enc.question_tokens.end];
    let empty = enc.header_spans[1].clone();
    assert_eq!(empty.len(), 1);
    assert_eq!(enc.input_ids[empty.start], sep);
    assert_eq!(empty.start, enc.header_spans[0].end + 1);
    assert_eq!(enc.header_spans[2].start, empty.end);
    assert!(enc.header_spans.iter().all(|s| !s.is_empty()));
}

#[test]
fn long_question_is_rejected() {
    let b = builder().with_max_len(32);
    let q = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen";
    let err = b.encode(q, &strings(&["A"])).unwrap_err();
    assert_eq!(
        err,
        InputError::QuestionTooLong {
            tokens: 17,
            max: 16
        }
    );
    assert!(err.to_string().starts_with("question too long"));
}

#[test]
fn long_headers_are_capped_evenly_to_the_largest_fit() {
    let max_len = 24;
    let b = builder().with_max_len(max_len);
    let q = "what is the total";
    let headers = strings(&[
        "one two three four five six seven eight nine ten",
        "x",
        "alpha beta gamma delta epsilon zeta eta theta",
        "",
        "red green blue",
    ]);
    let full = builder().encode(q, &headers).unwrap();
    assert!(full.len() > max_len);
    let enc = b.encode(q, &headers).unwrap();
    let k = enc.header_cap.expect("headers were capped");
    // 6 ([CLS] q4 [SEP]) + 5 [SEP]s + min(10,k) + 1 + min(8,k) + 0 + min(3,k) <= 24 → k = 4.
    assert_eq!(k, 4);
    assert!(enc.len() <= max_len);
    // The pieces kept are each header's first k pieces.
    for (capped, whole) in enc.header_spans.iter().zip(&full.header_spans) {
        let keep = whole.len().min(k);
        assert_eq!(capped.len(), keep.max(1));
        assert_eq!(
            enc.input_ids[capped.start..capped.start + keep],
            full.input_ids[whole.start..whole.start + keep]
        );
    }
    // k is the largest that fits: one more piece per long header would overflow.
    let with_more: usize = 2
        + enc.question_len()
        + full
            .header_spans
            .iter()
            .zip(&headers)
            .map(|(s, h)| {
                let pieces = if h.is_empty() { 0 } else { s.len() };
                pieces.min(k + 1) + 1
            })
            .sum::<usize>();
    assert!(with_more > max_len);
}

#[test]
fn too_many_columns_is_an_error() {
    let b = builder().with_max_len(16);
    let headers: Vec<String> = (0..10).map(|i| format!("col{i}")).collect();
    let err = b.encode("what is it", &headers).unwrap_err();
    assert!(
        matches!(err, InputError::TooManyColumns { columns: 10, .. }),
        "{err}"
    );
}

#[test]
fn encode_many_matches_encode() {
    let b = builder();
    let h1 = strings(&["Name", "Score"]);
    let h2 = strings(&["City"]);
    let items: Vec<(&str, &[String])> = vec![("who won", &h1), ("", &h2), ("where is it", &h2)];
    let many = b.encode_many(&items);
    for ((q, h), got) in items.iter().zip(many) {
        assert_eq!(got, b.encode(q, h));
    }
}

#[test]
fn pad_batch_pads_to_longest_with_mask() {
    let b = builder();
    let short = b.encode("who", &strings(&["A"])).unwrap();
    let long = b
        .encode("who won the final game", &strings(&["Winner", "Score"]))
        .unwrap();
    let batch = pad_batch(&[&short, &long]);
    assert_eq!((batch.batch, batch.seq_len), (2, long.len()));
    assert_eq!(batch.lengths, vec![short.len(), long.len()]);
    let n = batch.seq_len;
    for t in 0..n {
        let real = t < short.len();
        assert_eq!(batch.mask[t], !real);
        if real {
            assert_eq!(batch.ids[t], i64::from(short.input_ids[t]));
            assert_eq!(batch.type_ids[t], i64::from(short.token_type_ids[t]));
        } else {
            assert_eq!((batch.ids[t], batch.type_ids[t]), (i64::from(PAD_ID), 0));
        }
        assert!(!batch.mask[n + t]);
        assert_eq!(batch.ids[n + t], i64::from(long.input_ids[t]));
        assert_eq!(batch.type_ids[n + t], i64::from(long.token_type_ids[t]));
    }
    assert_eq!(batch.attention_mask()[short.len()], 0);
    assert_eq!(batch.attention_mask()[n + short.len()], 1);
    let empty = pad_batch::<sqlcoder_model::input::EncodedInput>(&[]);
    assert_eq!((empty.batch, empty.seq_len, empty.ids.len()), (0, 0, 0));
}
