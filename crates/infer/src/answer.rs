//! Answering questions: question + table → query, SQL, rows (full tuples) and confidence.
//!
//! [`Answerer`] holds the model and the tokenizer; decoding ([`decode_answer`]) only needs the
//! slot scores, the table and its database, so batched callers can decode in parallel.

use super::decide::{decide, AnswerOptions};
use super::scorer::Scorer;
use super::scores::SlotScores;
use super::tuned::TunedDecoding;
use crate::family_decode::{decode_family, FamilyDecoded};
use crate::sketch::{outside_family, outside_sketch, OutsideSketch};
use anyhow::{bail, Context, Result};
use burn::backend::NdArray;
use burn::tensor::backend::Backend;
use sqlcoder_data::types::{FamilyQuery, Query, Table};
use sqlcoder_model::batch::ShapePolicy;
use sqlcoder_model::input::{EncodedInput, InputBuilder};
use sqlcoder_model::slot_model::SlotModel;
use sqlcoder_sql::{self as sql, Executor, FamilyRows, Row, SqlValue, Tie};
use std::path::Path;

/// The answer to one question.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub table_id: String,
    /// The sketch heads' query (WikiSQL's sketch); what ran is `family`.
    pub query: Query,
    /// The query that ran: the family heads' query beyond the sketch when they wrote one
    /// ([`decode_family`]), else `FamilyQuery::from(&query)`.
    pub family: FamilyQuery,
    /// The executed SQL with its values inlined ([`sql::display()`] of
    /// [`Executor::family_statement`]): the SQL shown is the SQL that ran.
    pub sql: String,
    /// WikiSQL's human-readable form ([`sqlcoder_data::human::render`]).
    pub human: String,
    /// Labels of the result columns ([`sql::result_columns`]), in select order.
    pub columns: Vec<String>,
    /// Every result row, all its columns, in the engine's order.
    pub table_rows: Vec<Row>,
    /// First column of every result row (`table_rows`' first column).
    pub rows: Vec<SqlValue>,
    /// At a LIMIT cut that split a tie, that tie ([`Executor::run_family`]).
    pub tie: Option<Tie>,
    /// Probability of the decoded query under the model.
    pub confidence: f32,
    /// `confidence` reaches the model's abstain threshold (below it the model is more often
    /// wrong than right, measured on val) and the question reads as one the sketch can express;
    /// otherwise the answer is only a best guess. An answer in the sketch given where the
    /// clause heads chose a shape beyond it (the gate kept it in, or their query could not be
    /// given) is a guess too: the heads judged the sketch's query the wrong kind.
    pub confident: bool,
    /// The question seems to need SQL beyond the sketch ([`outside_sketch`]).
    pub outside_sketch: Option<OutsideSketch>,
    /// Execution guidance replaced the greedy query (which failed or returned nothing).
    pub guidance_changed: bool,
    /// Values replaced by a table cell (with `snap_values`).
    pub snapped_values: usize,
    /// When the clause heads chose a shape beyond the sketch (whether or not their query
    /// answered): the probability they gave the sketch's shape ([`FamilyDecoded::sketch_prob`]).
    pub sketch_prob: Option<f32>,
}

impl Answer {
    /// The answer is the sketch's query although the clause heads chose a shape beyond it: a
    /// guess of the wrong kind, never confident.
    pub fn guessed_in_sketch(&self) -> bool {
        self.sketch_prob.is_some() && self.family.to_sketch().is_some()
    }
}

/// The model, its tokenizer and the decoding options. Inference only (NdArray by default).
pub struct Answerer<B: Backend = NdArray> {
    model: SlotModel<B>,
    builder: InputBuilder,
    device: B::Device,
    pub options: AnswerOptions,
    /// How batches are padded ([`ShapePolicy::Buckets`] on GPU backends).
    pub shapes: ShapePolicy,
}

impl<B: Backend> Answerer<B> {
    pub fn new(
        model: SlotModel<B>,
        builder: InputBuilder,
        device: B::Device,
        options: AnswerOptions,
    ) -> Self {
        Self {
            model,
            builder,
            device,
            options,
            shapes: ShapePolicy::Exact,
        }
    }

    /// A trained model folder (`slots.json` + `slots.safetensors`, and `decoding.json` when it
    /// was tuned, which overrides the matching `options`) on top of the pretrained encoder in
    /// `encoder_dir` (whose `tokenizer.json` is used too).
    pub fn load(
        model_dir: &Path,
        encoder_dir: &Path,
        device: B::Device,
        mut options: AnswerOptions,
    ) -> Result<Self> {
        if !model_dir
            .join(sqlcoder_model::slot_model::ARTIFACT_META)
            .is_file()
        {
            bail!(
                "no trained model in {}: the model has not been trained or shipped yet \
                 (train with `sqlcoder train`, copy runs/<name>/best there, or pass --model DIR)",
                model_dir.display()
            );
        }
        let (model, spec) = SlotModel::load_artifact(model_dir, encoder_dir, &device)
            .with_context(|| format!("loading the model {}", model_dir.display()))?;
        let builder = InputBuilder::from_file(encoder_dir.join("tokenizer.json"))
            .with_context(|| format!("loading the tokenizer of {}", encoder_dir.display()))?
            .with_spoken_headers(spec.spoken_headers);
        if let Some(tuned) = TunedDecoding::load(model_dir)? {
            tuned.apply(&mut options);
        }
        Ok(Self::new(model, builder, device, options))
    }

    pub fn builder(&self) -> &InputBuilder {
        &self.builder
    }

    pub fn model(&self) -> &SlotModel<B> {
        &self.model
    }

    pub fn device(&self) -> &B::Device {
        &self.device
    }

    /// Encodes a question against a table; empty and over-long questions are errors.
    pub fn encode(&self, question: &str, table: &Table) -> Result<EncodedInput> {
        encode_question(&self.builder, question, table)
    }

    /// Answers one question about `table`, executing on `exec` (the database holding it).
    pub fn answer(&self, question: &str, table: &Table, exec: &Executor) -> Result<Answer> {
        self.answer_many(&[(question, table)], exec, 1)
            .pop()
            .expect("one answer per question")
    }

    /// Answers many questions with batched model calls; results in input order.
    pub fn answer_many(
        &self,
        items: &[(&str, &Table)],
        exec: &Executor,
        batch_size: usize,
    ) -> Vec<Result<Answer>> {
        let inputs: Vec<Result<EncodedInput>> =
            items.iter().map(|(q, t)| self.encode(q, t)).collect();
        let scores = self.scorer(batch_size).score_encoded(&inputs, |_, _| {});
        items
            .iter()
            .zip(inputs)
            .zip(scores)
            .map(|(((q, t), input), s)| {
                let (input, s) = (input?, s.expect("encoded questions are scored"));
                decode_answer(&self.options, &s, q, &input, t, exec)
            })
            .collect()
    }

    /// The model, fed in batches of `batch_size` shaped for this answerer's backend.
    pub fn scorer(&self, batch_size: usize) -> Scorer<'_, B> {
        Scorer {
            model: &self.model,
            batch_size,
            shapes: self.shapes,
            device: &self.device,
        }
    }
}

/// Encodes a question against a table; an empty (or whitespace) question and the input
/// builder's refusals (question too long, too many columns) are errors.
pub fn encode_question(
    builder: &InputBuilder,
    question: &str,
    table: &Table,
) -> Result<EncodedInput> {
    if question.trim().is_empty() {
        bail!("empty question: type a question about table {}", table.id);
    }
    Ok(builder.encode_table(question, table)?)
}

/// Decides one question's query from its slot scores ([`decide`]), runs it unless guidance
/// already did, and builds the answer. A query that fails to execute is an error. The answer
/// starts its own time budget on `exec` (see [`sqlcoder_sql::QueryLimits`]).
pub fn decode_answer(
    options: &AnswerOptions,
    scores: &SlotScores,
    question: &str,
    input: &EncodedInput,
    table: &Table,
    exec: &Executor,
) -> Result<Answer> {
    let offsets = &input.question_offsets;
    exec.begin_answer();
    // The family heads chose a shape beyond the sketch: their answer where the gate lets them
    // leave it (beside it, the sketch heads' greedy query, which runs nothing); else, or when
    // it cannot be given, the sketch's decoding as a guess (not confident). Guidance runs only
    // for an answer in the sketch.
    let heads_beyond = decode_family(scores, question, offsets, table, options.select_share);
    if let Some(beyond) = heads_beyond.as_ref().filter(|d| options.leaves_sketch(d)) {
        let greedy = AnswerOptions::greedy();
        let sketch = decide(&greedy, scores, question, offsets, table, None)
            .decoded
            .query();
        if let Some(answer) = family_answer(options, beyond, &sketch, question, table, exec)? {
            return Ok(answer);
        }
    }
    let d = decide(options, scores, question, offsets, table, Some(exec));
    let query = d.decoded.query();
    let family = FamilyQuery::from(&query);
    let result = execute(d.rows, &family, table, exec)
        .map_err(|e| anyhow::anyhow!("the predicted query failed to run: {e}"))?;
    let stmt = exec.family_statement(&family, table)?;
    let confidence = d.decoded.confidence();
    let threshold = options.threshold(&family, table);
    let outside = outside_sketch(question, table, &query);
    Ok(Answer {
        table_id: table.id.clone(),
        sql: sql::display(&stmt),
        human: sqlcoder_data::human::render(&query, &table.header),
        rows: first_column(&result.rows),
        query,
        family,
        columns: result.columns,
        table_rows: result.rows,
        tie: result.tie,
        confidence,
        confident: confidence >= threshold && outside.is_none() && heads_beyond.is_none(),
        outside_sketch: outside,
        guidance_changed: d.changed,
        snapped_values: d.snapped,
        sketch_prob: heads_beyond.map(|d| d.sketch_prob),
    })
}

/// The answer to a query the family heads wrote beyond the sketch; `None` when it is not well
/// formed or cannot run on this table (an ambiguous date column, say): then the sketch's
/// decoding is shown, as a guess ("Not sure").
fn family_answer(
    options: &AnswerOptions,
    beyond: &FamilyDecoded,
    sketch: &Query,
    question: &str,
    table: &Table,
    exec: &Executor,
) -> Result<Option<Answer>> {
    if !beyond.well_formed {
        return Ok(None);
    }
    let family = &beyond.query;
    let Ok(result) = exec.run_family(family, table) else {
        return Ok(None);
    };
    let stmt = exec.family_statement(family, table)?;
    let confidence = beyond.confidence();
    let outside = outside_family(question, table);
    Ok(Some(Answer {
        table_id: table.id.clone(),
        sql: sql::display(&stmt),
        human: sqlcoder_data::human::render_family(family, &table.header),
        rows: first_column(&result.rows),
        query: sketch.clone(),
        family: family.clone(),
        columns: result.columns,
        table_rows: result.rows,
        tie: result.tie,
        confidence,
        confident: confidence >= options.threshold(family, table) && outside.is_none(),
        outside_sketch: outside,
        guidance_changed: false,
        snapped_values: 0,
        sketch_prob: Some(beyond.sketch_prob),
    }))
}

/// The result of `family` on `table`: through [`Executor::run_family`], unless guidance already
/// ran it (`guided`). Guidance runs sketch queries through the sketch's assembler, the statement
/// [`Executor::family_statement`] writes for a query inside the sketch, whose rows are single
/// values and which has no LIMIT (so no tie).
fn execute(
    guided: Option<Result<Vec<SqlValue>, String>>,
    family: &FamilyQuery,
    table: &Table,
    exec: &Executor,
) -> Result<FamilyRows, String> {
    match guided {
        Some(values) if family.to_sketch().is_some() => Ok(FamilyRows {
            columns: sql::result_columns(family, table),
            rows: values?.into_iter().map(|v| vec![v]).collect(),
            tie: None,
        }),
        _ => exec.run_family(family, table),
    }
}

/// The first value of every row (a row without values, which no query returns, as NULL).
pub fn first_column(rows: &[Row]) -> Vec<SqlValue> {
    rows.iter()
        .map(|r| r.first().cloned().unwrap_or(SqlValue::Null))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlcoder_data::types::ColumnType;
    use sqlcoder_sql::own::MemoryDb;

    /// "who plays guard" on (Player, Position, School): the slot scores of
    /// `SELECT Player WHERE Position = 'guard'`.
    fn question() -> (&'static str, SlotScores, EncodedInput) {
        let l = |p: f32| p.ln();
        let scores = SlotScores {
            sel: vec![l(0.8), l(0.1), l(0.1)],
            agg: vec![[l(0.9), l(0.02), l(0.02), l(0.02), l(0.02), l(0.02)]; 3],
            where_count: [l(0.1), l(0.7), l(0.1), l(0.05), l(0.05)],
            where_col: vec![l(0.1), l(0.9), l(0.1)],
            op: vec![[l(0.8), l(0.1), l(0.1)]; 3],
            value_start: vec![vec![l(0.1), l(0.1), l(0.8)]; 3],
            value_end: vec![vec![l(0.1), l(0.1), l(0.8)]; 3],
            family: None,
        };
        let input = EncodedInput {
            input_ids: Vec::new(),
            token_type_ids: Vec::new(),
            question_tokens: 1..4,
            question_offsets: vec![(0, 3), (4, 9), (10, 15)],
            header_spans: Vec::new(),
            header_cap: None,
            content: Vec::new(),
        };
        ("who plays guard", scores, input)
    }

    fn table() -> Table {
        Table::new(
            "1-1",
            &["Player", "Position", "School"],
            &[ColumnType::Text; 3],
            vec![
                vec!["Ann".into(), "Guard".into(), "Butler".into()],
                vec!["Bob".into(), "Forward".into(), "Duke".into()],
                vec!["Cy".into(), "guard".into(), "Yale".into()],
            ],
        )
    }

    #[test]
    fn table_rows_hold_whole_rows_whose_first_column_is_rows() {
        let t = table();
        let db = MemoryDb::build(&[&t], Path::new("test")).unwrap();
        let exec = db.executor().unwrap();
        let (q, scores, input) = question();
        // Greedy: the answer runs the query itself; guided: it reuses guidance's run.
        for options in [AnswerOptions::greedy(), AnswerOptions::default()] {
            let a = decode_answer(&options, &scores, q, &input, &t, &exec).unwrap();
            assert_eq!(a.family, FamilyQuery::from(&a.query));
            assert_eq!(a.family.to_sketch().as_ref(), Some(&a.query));
            assert_eq!(a.columns, vec!["Player".to_string()]);
            assert_eq!(
                a.table_rows,
                vec![
                    vec![SqlValue::Text("Ann".into())],
                    vec![SqlValue::Text("Cy".into())]
                ],
                "{options:?}"
            );
            assert_eq!(first_column(&a.table_rows), a.rows);
            assert_eq!(a.tie, None);
            let shown = exec.family_statement(&a.family, &t).unwrap();
            assert_eq!(a.sql, sql::display(&shown));
            assert!(a.sql.starts_with("SELECT \"Player\" FROM"), "{}", a.sql);
        }
    }

    #[test]
    fn a_sketch_answer_where_the_clause_heads_chose_beyond_it_is_a_guess() {
        use crate::family_decode::tests::{players, scores};
        use sqlcoder_model::family_heads::Clause;
        let t = players();
        let db = MemoryDb::build(&[&t], Path::new("test")).unwrap();
        let exec = db.executor().unwrap();
        let q = "which player scored the most points";
        let input = EncodedInput {
            question_tokens: 1..7,
            question_offsets: vec![(0, 5), (6, 12), (13, 19), (20, 23), (24, 28), (29, 35)],
            ..question().2
        };
        // The clause heads: one column, ORDER BY DESC LIMIT (class 4) on Points.
        let beyond = scores(&[(Clause::SelectCount, 1), (Clause::Order, 4)], 0, 2);
        let options = AnswerOptions::greedy();
        let a = decode_answer(&options, &beyond, q, &input, &t, &exec).unwrap();
        assert_eq!(a.family.limit, Some(1));
        assert!(a.confident);
        let left_at = a.sketch_prob.unwrap();

        // The gate keeps it in the sketch: the sketch's query, not confident, same sketch_prob.
        let shut = AnswerOptions {
            leave_sketch_below: 0.0,
            select_share: 0.0,
            ..options.clone()
        };
        let a = decode_answer(&shut, &beyond, q, &input, &t, &exec).unwrap();
        assert_eq!(a.family, FamilyQuery::from(&a.query));
        assert!(!a.confident);
        assert_eq!(a.sketch_prob, Some(left_at));

        // Clause heads that keep the sketch, on a question of the sketch: confident, no
        // sketch_prob.
        let inside = scores(&[(Clause::SelectCount, 1)], 0, 2);
        let q = "which player is on the reds";
        let input = EncodedInput {
            question_offsets: vec![(0, 5), (6, 12), (13, 15), (16, 18), (19, 22), (23, 27)],
            ..input
        };
        let a = decode_answer(&shut, &inside, q, &input, &t, &exec).unwrap();
        assert!(a.confident);
        assert_eq!(a.sketch_prob, None);
    }

    #[test]
    fn first_column_takes_each_rows_first_value() {
        let rows = vec![
            vec![SqlValue::Integer(1), SqlValue::Text("a".into())],
            vec![SqlValue::Null, SqlValue::Real(2.5)],
            vec![],
        ];
        assert_eq!(
            first_column(&rows),
            vec![SqlValue::Integer(1), SqlValue::Null, SqlValue::Null]
        );
    }
}
