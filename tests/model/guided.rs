//! Execution-guided decoding on the sample's validation database: hand-made slot scores whose
//! greedy query returns nothing must be replaced by a lower-ranked candidate that returns rows;
//! and with a real (random-head) model every guided answer executes.

use sqlcoder_data::types::{Agg, CondOp, Table};
use sqlcoder_data::{self as data, Split};
use sqlcoder_infer::answer::decode_answer;
use sqlcoder_infer::guided::{answers_nothing, decode_guided, GuidanceConfig};
use sqlcoder_infer::scores::SlotScores;
use sqlcoder_infer::testing::random_head_artifact;
use sqlcoder_infer::{AnswerOptions, Answerer};
use sqlcoder_model::input::{EncodedInput, InputBuilder};
use sqlcoder_sql::{Executor, SqlValue};
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const QUESTION: &str = "What position does the player who played for butler cc (ks) play?";
// Columns of table 1-10015132-11.
const PLAYER: usize = 0;
const POSITION: usize = 3;
const SCHOOL: usize = 5;

fn sample_db() -> Executor {
    Executor::open(&data::db_path(
        &Path::new(ROOT).join("data/sample"),
        Split::Val,
    ))
    .unwrap()
}

fn builder() -> InputBuilder {
    InputBuilder::from_file(Path::new(ROOT).join("models/all-MiniLM-L6-v2/tokenizer.json")).unwrap()
}

fn setup() -> (Executor, Table, EncodedInput) {
    let exec = sample_db();
    let table = exec.table("1-10015132-11").unwrap();
    let input = builder().encode(QUESTION, &table.header).unwrap();
    (exec, table, input)
}

/// Question-relative index of the token starting (or ending) at byte `at`.
fn token_starting(input: &EncodedInput, at: usize) -> usize {
    input
        .question_offsets
        .iter()
        .position(|o| o.0 == at)
        .expect("a token starts there")
}
fn token_ending(input: &EncodedInput, at: usize) -> usize {
    input
        .question_offsets
        .iter()
        .position(|o| o.1 == at)
        .expect("a token ends there")
}

/// Scores that select Position with no aggregation and one condition, everything else unlikely.
fn base_scores(n_cols: usize, n_q: usize) -> SlotScores {
    let l = |p: f32| p.ln();
    let mut sel = vec![l(0.01); n_cols];
    sel[POSITION] = l(0.9);
    SlotScores {
        sel,
        agg: vec![[l(0.9), l(0.02), l(0.02), l(0.02), l(0.02), l(0.02)]; n_cols],
        where_count: [l(0.02), l(0.9), l(0.06), l(0.01), l(0.01)],
        where_col: vec![l(0.01); n_cols],
        op: vec![[l(0.9), l(0.05), l(0.05)]; n_cols],
        value_start: vec![vec![l(0.001); n_q]; n_cols],
        value_end: vec![vec![l(0.001); n_q]; n_cols],
        family: None,
    }
}

fn butler_span(input: &EncodedInput) -> (usize, usize) {
    let start = QUESTION.find("butler").unwrap();
    let end = start + "butler cc (ks)".len();
    (token_starting(input, start), token_ending(input, end))
}

/// Base scores whose best where column is Player (no rows for "butler cc (ks)"), then School.
fn player_then_school_scores(table: &Table, input: &EncodedInput) -> SlotScores {
    let (s, e) = butler_span(input);
    let mut scores = base_scores(table.header.len(), input.question_len());
    scores.where_col[PLAYER] = 0.9f32.ln();
    scores.where_col[SCHOOL] = 0.6f32.ln();
    for col in [PLAYER, SCHOOL] {
        scores.value_start[col][s] = 0.9f32.ln();
        scores.value_end[col][e] = 0.9f32.ln();
    }
    scores
}

fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.into())
}

#[test]
fn a_condition_on_the_wrong_column_is_replaced_by_the_next_column() {
    let (exec, table, input) = setup();
    let scores = player_then_school_scores(&table, &input);
    let offsets = &input.question_offsets;
    let cfg = GuidanceConfig::default();
    let g = decode_guided(&scores, QUESTION, offsets, &table, &exec, &cfg, false);
    // Greedy asks for the player named "butler cc (ks)": no rows.
    let greedy = sqlcoder_infer::decode::decode_greedy(&scores, QUESTION, offsets);
    assert_eq!(greedy.conds[0].col, PLAYER);
    assert_eq!(exec.run_query(&greedy.query(), &table).unwrap(), vec![]);
    assert!(g.changed);
    assert_eq!((g.decoded.sel, g.decoded.agg), (POSITION, Agg::None));
    assert_eq!(g.decoded.conds.len(), 1);
    assert_eq!(g.decoded.conds[0].col, SCHOOL);
    assert_eq!(g.decoded.conds[0].value, "butler cc (ks)");
    assert_eq!(g.rows.unwrap(), vec![text("Guard-Forward")]);
    assert!(g.executed >= 2);
    assert!(
        g.decoded.log_prob < greedy.log_prob,
        "a lower-ranked candidate"
    );
}

#[test]
fn a_sure_greedy_query_stands_even_without_rows() {
    let (exec, table, input) = setup();
    let scores = player_then_school_scores(&table, &input);
    let offsets = &input.question_offsets;
    let greedy = sqlcoder_infer::decode::decode_greedy(&scores, QUESTION, offsets);
    let p = greedy.confidence();
    assert!(p > 0.1 && p < 0.9, "{p}");
    // Below the threshold guidance replaces the empty query (previous test); at it, it stands.
    for (keep_above, changed) in [(p + 0.01, true), (p, false)] {
        let cfg = GuidanceConfig {
            keep_above,
            ..Default::default()
        };
        let g = decode_guided(&scores, QUESTION, offsets, &table, &exec, &cfg, false);
        assert_eq!(g.changed, changed, "keep_above {keep_above}");
        assert_eq!(g.executed == 1, !changed);
    }
}

/// [`player_then_school_scores`] asking for a COUNT.
fn count_scores(table: &Table, input: &EncodedInput) -> SlotScores {
    let mut scores = player_then_school_scores(table, input);
    let count = Agg::Count.index();
    for col_aggs in &mut scores.agg {
        *col_aggs = [0.02f32.ln(); 6];
        col_aggs[count] = 0.9f32.ln();
    }
    scores
}

#[test]
fn a_count_of_zero_is_an_answer_when_configured() {
    let (exec, table, input) = setup();
    // COUNT(Position) WHERE Player = 'butler cc (ks)': 0, while School = … counts 1.
    let scores = count_scores(&table, &input);
    let offsets = &input.question_offsets;
    let replaced = decode_guided(
        &scores,
        QUESTION,
        offsets,
        &table,
        &exec,
        &GuidanceConfig::default(),
        false,
    );
    assert_eq!(replaced.decoded.agg, Agg::Count);
    assert!(replaced.changed);
    assert_eq!(replaced.decoded.conds[0].col, SCHOOL);
    assert_eq!(replaced.rows.unwrap(), vec![SqlValue::Integer(1)]);
    let cfg = GuidanceConfig {
        count_zero_answers: true,
        ..Default::default()
    };
    let kept = decode_guided(&scores, QUESTION, offsets, &table, &exec, &cfg, false);
    assert!(!kept.changed);
    assert_eq!(kept.decoded.conds[0].col, PLAYER);
    assert_eq!(kept.rows.unwrap(), vec![SqlValue::Integer(0)]);
}

#[test]
fn a_value_that_is_no_cell_makes_even_a_sure_count_of_zero_replaceable() {
    let (exec, table, input) = setup();
    let scores = count_scores(&table, &input);
    let offsets = &input.question_offsets;
    // Kept as an answer (a COUNT of 0, and the model sure of it) ...
    let lenient = GuidanceConfig {
        count_zero_answers: true,
        keep_above: 0.0,
        ..Default::default()
    };
    let kept = decode_guided(&scores, QUESTION, offsets, &table, &exec, &lenient, false);
    assert!(!kept.changed);
    // ... unless its value, "butler cc (ks)", is no Player: then the School condition wins.
    let cfg = GuidanceConfig {
        retry_unmatched: true,
        ..lenient
    };
    let g = decode_guided(&scores, QUESTION, offsets, &table, &exec, &cfg, false);
    assert!(g.changed);
    assert_eq!(g.decoded.conds[0].col, SCHOOL);
    assert_eq!(g.rows.unwrap(), vec![SqlValue::Integer(1)]);
}

#[test]
fn a_truncated_value_span_is_replaced_by_the_next_span_or_snapped() {
    let (exec, table, input) = setup();
    let (s, e) = butler_span(&input);
    let cc_end = token_ending(
        &input,
        QUESTION.find("butler cc").unwrap() + "butler cc".len(),
    );
    let mut scores = base_scores(table.header.len(), input.question_len());
    scores.where_col[SCHOOL] = 0.9f32.ln();
    scores.value_start[SCHOOL][s] = 0.9f32.ln();
    scores.value_end[SCHOOL][cc_end] = 0.6f32.ln();
    scores.value_end[SCHOOL][e] = 0.35f32.ln();

    let guided = AnswerOptions::default();
    let a = decode_answer(&guided, &scores, QUESTION, &input, &table, &exec).unwrap();
    assert!(a.guidance_changed);
    assert_eq!(a.rows, vec![text("Guard-Forward")]);
    assert!(a.sql.contains("'butler cc (ks)'"), "{}", a.sql);
    assert_eq!(
        a.human,
        "SELECT Position FROM table WHERE School/Club Team = butler cc (ks)"
    );

    let greedy = AnswerOptions {
        guided: false,
        ..Default::default()
    };
    let a = decode_answer(&greedy, &scores, QUESTION, &input, &table, &exec).unwrap();
    assert!(!a.guidance_changed);
    assert!(a.rows.is_empty());
    assert!(a.sql.contains("'butler cc'"), "{}", a.sql);

    // Snapping fixes the value instead ("butler cc" → the cell "Butler CC (KS)"), no guidance needed.
    let snap = AnswerOptions {
        snap_values: true,
        ..Default::default()
    };
    let a = decode_answer(&snap, &scores, QUESTION, &input, &table, &exec).unwrap();
    assert!(!a.guidance_changed);
    assert_eq!(a.snapped_values, 1);
    assert_eq!(a.rows, vec![text("Guard-Forward")]);
    assert!(a.sql.contains("'Butler CC (KS)'"), "{}", a.sql);
}

#[test]
fn a_greedy_query_with_rows_is_kept_and_nothing_runnable_falls_back_to_greedy() {
    let (exec, table, input) = setup();
    let (s, e) = butler_span(&input);
    let mut scores = base_scores(table.header.len(), input.question_len());
    scores.where_col[SCHOOL] = 0.9f32.ln();
    scores.value_start[SCHOOL][s] = 0.9f32.ln();
    scores.value_end[SCHOOL][e] = 0.9f32.ln();
    let offsets = &input.question_offsets;
    let g = decode_guided(
        &scores,
        QUESTION,
        offsets,
        &table,
        &exec,
        &GuidanceConfig::default(),
        false,
    );
    assert!(!g.changed);
    assert_eq!(g.executed, 1);
    assert_eq!(g.rows.unwrap(), vec![text("Guard-Forward")]);

    // Value "What" matches no cell anywhere; with only 3 executions allowed, the candidates
    // without conditions (very unlikely here) are never reached: the greedy query stands.
    let mut scores = base_scores(table.header.len(), input.question_len());
    scores.where_count[0] = 1e-6f32.ln();
    // Sure of "=": `Player < 'What'` would return rows.
    scores.op = vec![[0.998f32.ln(), 0.001f32.ln(), 0.001f32.ln()]; table.header.len()];
    scores.where_col[PLAYER] = 0.9f32.ln();
    for col in 0..table.header.len() {
        scores.value_start[col][0] = 0.9f32.ln();
        scores.value_end[col][0] = 0.9f32.ln();
    }
    let cfg = GuidanceConfig {
        max_executions: 3,
        ..Default::default()
    };
    let g = decode_guided(&scores, QUESTION, offsets, &table, &exec, &cfg, false);
    assert!(!g.changed);
    assert_eq!(g.executed, 3);
    assert_eq!(g.decoded.conds[0].col, PLAYER);
    assert_eq!(g.decoded.conds[0].op, CondOp::Eq);
    assert_eq!(g.decoded.conds[0].value, "What");
    assert_eq!(g.rows.unwrap(), vec![]);
}

#[test]
fn every_guided_answer_of_a_random_model_executes_and_returns_rows_when_greedy_does() {
    let dir = tempfile::tempdir().unwrap();
    let encoder = Path::new(ROOT).join("models/all-MiniLM-L6-v2");
    random_head_artifact(dir.path(), &encoder, 11).unwrap();
    let guided: Answerer = Answerer::load(
        dir.path(),
        &encoder,
        Default::default(),
        AnswerOptions::default(),
    )
    .unwrap();
    let greedy: Answerer = Answerer::load(
        dir.path(),
        &encoder,
        Default::default(),
        AnswerOptions {
            guided: false,
            ..Default::default()
        },
    )
    .unwrap();
    let ds = data::load_split(&Path::new(ROOT).join("data/sample"), Split::Val).unwrap();
    let exec = sample_db();
    let items: Vec<(&str, &Table)> = ds
        .examples
        .iter()
        .map(|e| (e.question.as_str(), &ds.tables[&e.table_id]))
        .collect();
    let with_rows = |a: &sqlcoder_infer::Answer| {
        !answers_nothing(a.query.agg, !a.query.conds.is_empty(), &a.rows)
    };
    let (mut guided_rows, mut greedy_rows, mut changed) = (0, 0, 0);
    for (g, p) in guided
        .answer_many(&items, &exec, 16)
        .into_iter()
        .zip(greedy.answer_many(&items, &exec, 16))
    {
        let (g, p) = (
            g.expect("every guided answer executes"),
            p.expect("every greedy answer executes"),
        );
        guided_rows += usize::from(with_rows(&g));
        greedy_rows += usize::from(with_rows(&p));
        changed += usize::from(g.guidance_changed);
        if !g.guidance_changed {
            assert_eq!(
                g.query, p.query,
                "guidance only changes queries without rows"
            );
        } else {
            assert!(with_rows(&g), "a changed query returns rows: {}", g.sql);
            assert!(
                !with_rows(&p),
                "only greedy queries without rows are changed: {}",
                p.sql
            );
        }
    }
    assert!(
        changed > 0,
        "an untrained model's greedy queries often return nothing"
    );
    assert!(
        guided_rows > greedy_rows,
        "{guided_rows} guided vs {greedy_rows} greedy answers with rows"
    );
    assert_eq!(ds.examples.len(), items.len());
}

#[test]
fn a_cell_the_question_names_becomes_the_missing_condition() {
    let exec = sample_db();
    let table = exec.table("1-10015132-11").unwrap();
    let question = "What position does the player from Duke play?";
    let input = builder().encode(question, &table.header).unwrap();
    let mut scores = base_scores(table.header.len(), input.question_len());
    // The model is sure there is no condition: every position answers.
    scores.where_count = [
        0.9f32.ln(),
        0.04f32.ln(),
        0.04f32.ln(),
        0.01f32.ln(),
        0.01f32.ln(),
    ];
    let offsets = &input.question_offsets;
    let plain = decode_guided(
        &scores,
        question,
        offsets,
        &table,
        &exec,
        &GuidanceConfig::default(),
        false,
    );
    assert!(plain.decoded.conds.is_empty() && !plain.changed);
    assert_eq!(plain.rows.unwrap().len(), 7);
    let cfg = GuidanceConfig {
        mentioned_cells: true,
        ..Default::default()
    };
    let g = decode_guided(&scores, question, offsets, &table, &exec, &cfg, false);
    assert!(g.changed);
    let conds: Vec<_> = g
        .decoded
        .conds
        .iter()
        .map(|c| (c.col, c.op, c.value.as_str()))
        .collect();
    assert_eq!(conds, vec![(SCHOOL, CondOp::Eq, "Duke")]);
    assert_eq!(g.rows.unwrap(), vec![text("Guard-Forward")]);
    // A named cell is not added when the query then answers nothing: Kyle Lowry is no Duke player.
    let question = "What position does Kyle Lowry from Duke play?";
    let input = builder().encode(question, &table.header).unwrap();
    let mut scores = base_scores(table.header.len(), input.question_len());
    let start = question.find("Kyle").unwrap();
    scores.where_col[PLAYER] = 0.9f32.ln();
    scores.value_start[PLAYER][token_starting(&input, start)] = 0.9f32.ln();
    scores.value_end[PLAYER][token_ending(&input, start + "Kyle Lowry".len())] = 0.9f32.ln();
    let g = decode_guided(
        &scores,
        question,
        &input.question_offsets,
        &table,
        &exec,
        &cfg,
        false,
    );
    assert!(!g.changed);
    let conds: Vec<_> = g
        .decoded
        .conds
        .iter()
        .map(|c| (c.col, c.value.as_str()))
        .collect();
    assert_eq!(conds, vec![(PLAYER, "Kyle Lowry")]);
    assert_eq!(g.rows.unwrap(), vec![text("Guard")]);
}

#[test]
fn an_aggregation_that_does_not_fit_its_column_is_passed_over() {
    const NUMBER: usize = 1; // "No.", the players' shirt numbers: an identifier.
    let exec = sample_db();
    let table = exec.table("1-10015132-11").unwrap();
    assert_eq!(table.header[NUMBER], "No.");
    let question = "What is the highest of the players from Duke?";
    let input = builder().encode(question, &table.header).unwrap();
    let l = |p: f32| p.ln();
    let mut scores = base_scores(table.header.len(), input.question_len());
    scores.sel[POSITION] = l(0.01);
    scores.sel[NUMBER] = l(0.8);
    scores.sel[PLAYER] = l(0.15);
    scores.agg[NUMBER] = [l(0.1), l(0.8), l(0.04), l(0.02), l(0.02), l(0.02)];
    scores.agg[PLAYER] = [l(0.05), l(0.9), l(0.02), l(0.01), l(0.01), l(0.01)];
    let start = question.find("Duke").unwrap();
    scores.where_col[SCHOOL] = l(0.9);
    scores.value_start[SCHOOL][token_starting(&input, start)] = l(0.9);
    scores.value_end[SCHOOL][token_ending(&input, start + "Duke".len())] = l(0.9);
    let offsets = &input.question_offsets;
    let decode = |cfg: &GuidanceConfig| {
        let g = decode_guided(&scores, question, offsets, &table, &exec, cfg, false);
        (g.decoded.sel, g.decoded.agg, g.changed)
    };
    // Plain guidance keeps the maximum shirt number: it runs and answers.
    assert_eq!(
        decode(&GuidanceConfig::default()),
        (NUMBER, Agg::Max, false)
    );
    // The maximum of an identifier the question does not name, then the maximum of the players'
    // names (no digits), are passed over for the next candidate that fits.
    let cfg = GuidanceConfig {
        fitting_columns: true,
        ..Default::default()
    };
    assert_eq!(decode(&cfg), (NUMBER, Agg::None, true));
}
