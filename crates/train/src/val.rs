//! The validation set as training sees it: questions encoded once, scored each epoch with
//! greedy decoding and the official scorer (logical form and execution on the split's database).

use anyhow::Result;
use burn::tensor::backend::Backend;
use serde::Serialize;
use sqlcoder_data::types::Query;
use sqlcoder_data::{self as data, Example, Split, Table};
use sqlcoder_eval as eval;
use sqlcoder_infer::decide::{decide, AnswerOptions};
use sqlcoder_infer::scorer::Scorer;
use sqlcoder_model::batch::ShapePolicy;
use sqlcoder_model::input::{EncodedInput, InputBuilder};
use sqlcoder_model::slot_model::SlotModel;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct ValSet {
    pub examples: Vec<Example>,
    pub tables: BTreeMap<String, Table>,
    pub inputs: Vec<Result<EncodedInput, String>>,
    pub db: PathBuf,
    pub batch_size: usize,
}

/// Validation accuracies of one epoch (fractions in [0, 1]).
#[derive(Clone, Debug, Serialize)]
pub struct ValReport {
    pub n: usize,
    pub lf: f64,
    pub ex: f64,
    pub slots: BTreeMap<String, f64>,
}

impl ValSet {
    /// The first `limit` questions of `split` in `data_dir` (all when `None`).
    pub fn load(
        data_dir: &Path,
        split: Split,
        limit: Option<usize>,
        builder: &InputBuilder,
    ) -> Result<Self> {
        let mut ds = data::load_split(data_dir, split)?;
        if let Some(n) = limit {
            ds.examples.truncate(n);
        }
        Ok(Self::from_examples(
            ds.examples,
            ds.tables,
            data::db_path(data_dir, split),
            builder,
        ))
    }

    pub fn from_examples(
        examples: Vec<Example>,
        tables: BTreeMap<String, Table>,
        db: PathBuf,
        builder: &InputBuilder,
    ) -> Self {
        let inputs = examples
            .iter()
            .map(|e| match tables.get(&e.table_id) {
                Some(t) => builder
                    .encode_table(&e.question, t)
                    .map_err(|err| err.to_string()),
                None => Err(format!("unknown table {}", e.table_id)),
            })
            .collect();
        Self {
            examples,
            tables,
            inputs,
            db,
            batch_size: 64,
        }
    }

    pub fn len(&self) -> usize {
        self.examples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.examples.is_empty()
    }

    /// Greedy predictions for every question (an error for those that could not be encoded).
    pub fn predict<B: Backend>(
        &self,
        model: &SlotModel<B>,
        shapes: ShapePolicy,
        device: &B::Device,
    ) -> Vec<Result<Query, String>> {
        let scorer = Scorer {
            model,
            batch_size: self.batch_size,
            shapes,
            device,
        };
        let greedy = AnswerOptions::greedy();
        let scores = scorer.score_encoded(&self.inputs, |_, _| {});
        (self.inputs.iter().zip(scores).enumerate())
            .map(|(i, (input, s))| {
                let input = input.as_ref().map_err(Clone::clone)?;
                let (e, s) = (&self.examples[i], s.expect("encoded questions are scored"));
                let table = &self.tables[&e.table_id];
                let offsets = &input.question_offsets;
                Ok(decide(&greedy, &s, &e.question, offsets, table, None)
                    .decoded
                    .query())
            })
            .collect()
    }

    pub fn evaluate<B: Backend>(
        &self,
        model: &SlotModel<B>,
        shapes: ShapePolicy,
        device: &B::Device,
    ) -> Result<ValReport> {
        let preds = self.predict(model, shapes, device);
        let scores = eval::run::score_predictions(&self.examples, &self.tables, &self.db, &preds)?;
        let report = eval::report::EvalReport::from_scores(&scores);
        let slots = report
            .rows()
            .iter()
            .skip(2)
            .map(|(name, _, acc)| (name.to_string(), *acc))
            .collect();
        Ok(ValReport {
            n: report.questions,
            lf: report.accuracy.logical_form,
            ex: report.accuracy.execution,
            slots,
        })
    }
}
