//! Choosing decoding settings on val: one scoring pass of the split, then every execution-guidance
//! variant decoded and scored against gold, and the chosen variant's calibration (how often an
//! answer of a given confidence is right), from which the abstain threshold is read.

use super::decide::AnswerOptions;
use super::decode::Decoded;
use super::split::{decode_split, ScoredSplit};
use super::tuned::TunedDecoding;
use anyhow::Result;
use serde::Serialize;
use sqlcoder_data::types::{Example, Table};
use sqlcoder_eval::{score_predictions, EvalReport, ExampleScore, Prediction};
use std::collections::BTreeMap;
use std::path::Path;

/// `keep_above` values tried (2.0: never keep an empty greedy query, the original guidance).
pub const KEEP_ABOVE_GRID: [f32; 11] = [2.0, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1];
/// [`AnswerOptions::leave_sketch_below`] values the report scores.
pub const LEAVE_GRID: [f32; 12] = [
    1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0,
];
/// Width of a calibration bin.
const BIN: f64 = 0.1;
/// A bin needs this many questions before its accuracy decides the abstain threshold.
const MIN_BIN: usize = 50;

/// One decoding variant and its official scores.
#[derive(Clone, Debug, Serialize)]
pub struct Variant {
    #[serde(flatten)]
    pub setting: Setting,
    pub logical_form: f64,
    pub execution: f64,
    pub guidance_changed: usize,
}

/// Questions whose confidence falls in `[low, low + 0.1)`, and how often they were right.
#[derive(Clone, Debug, Serialize)]
pub struct CalibrationBin {
    pub low: f64,
    pub questions: usize,
    pub mean_confidence: f64,
    pub logical_form: f64,
    pub execution: f64,
}

/// Answering only questions at or above `threshold`: the share answered and their accuracy.
#[derive(Clone, Debug, Serialize)]
pub struct Coverage {
    pub threshold: f64,
    pub coverage: f64,
    pub logical_form: f64,
    pub execution: f64,
}

/// The family heads let leave the sketch where the clause heads give its shape less than
/// `below`: how many questions leave (scored wrong here, as WikiSQL's scoring counts them), and
/// the chosen variant's accuracy with them.
#[derive(Clone, Debug, Serialize)]
pub struct Leaving {
    pub below: f32,
    pub questions: usize,
    pub logical_form: f64,
    pub execution: f64,
}

/// Everything `tune` measured, and what it chose.
#[derive(Clone, Debug, Serialize)]
pub struct TuneReport {
    pub questions: usize,
    pub variants: Vec<Variant>,
    pub chosen: TunedDecoding,
    /// Expected calibration error of the chosen variant's confidence against execution accuracy.
    pub calibration_error: f64,
    pub calibration: Vec<CalibrationBin>,
    pub coverage: Vec<Coverage>,
    /// Over [`LEAVE_GRID`]; every question stays in the sketch for a model without the family
    /// heads.
    pub leaving: Vec<Leaving>,
}

/// One question under one variant: its confidence and whether it was right.
#[derive(Clone, Copy, Debug)]
pub struct Outcome {
    pub confidence: f64,
    pub logical_form: bool,
    pub execution: bool,
}

/// One decoding setting of the grid.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Setting {
    pub guided: bool,
    pub keep_above: f32,
    pub count_zero_answers: bool,
    /// `retry_unmatched` and `unwrap_values` together (the refinements for unseen tables).
    pub unmatched_values: bool,
    pub mentioned_cells: bool,
    pub fitting_columns: bool,
}

impl Setting {
    /// The guidance settings as stored with a model, abstaining below `abstain_below`.
    fn decoding(&self, abstain_below: f32, chosen_on: &str) -> TunedDecoding {
        TunedDecoding {
            keep_above: self.keep_above,
            count_zero_answers: self.count_zero_answers,
            retry_unmatched: self.unmatched_values,
            unwrap_values: self.unmatched_values,
            mentioned_cells: self.mentioned_cells,
            fitting_columns: self.fitting_columns,
            abstain_below,
            // Chosen apart, on the family questions (experiments/family/calibrate.py).
            abstain_below_shape: Default::default(),
            // Chosen on val and the tune part with the family questions together
            // (experiments/family/gate.py), from this report's `leaving` sweep.
            leave_sketch_below: 1.0,
            // Chosen on the tune part's family questions (experiments/family/select_share.py).
            select_share: 0.0,
            chosen_on: chosen_on.into(),
        }
    }
}

/// The variants tried: greedy, then guided over [`KEEP_ABOVE_GRID`] × COUNT 0 answering or not
/// × the unmatched-value refinements on or off × mentioned cells added or not × aggregations
/// that do not fit their column passed over or not.
fn variant_grid() -> Vec<Setting> {
    let mut grid = vec![Setting {
        guided: false,
        keep_above: 2.0,
        count_zero_answers: false,
        unmatched_values: false,
        mentioned_cells: false,
        fitting_columns: false,
    }];
    for fitting_columns in [false, true] {
        for mentioned_cells in [false, true] {
            for unmatched_values in [false, true] {
                for count_zero_answers in [false, true] {
                    grid.extend(KEEP_ABOVE_GRID.iter().map(|&keep_above| Setting {
                        guided: true,
                        keep_above,
                        count_zero_answers,
                        unmatched_values,
                        mentioned_cells,
                        fitting_columns,
                    }));
                }
            }
        }
    }
    grid
}

/// Scores every decoding variant of `scored` (`variant_grid`), picks the guided variant with
/// the best sum of LF and EX, and reads the abstain threshold off its calibration
/// ([`abstain_threshold`]). `progress` sees each variant as it is scored.
pub fn tune(
    scored: &ScoredSplit<'_>,
    examples: &[Example],
    tables: &BTreeMap<String, Table>,
    db: &Path,
    base: &AnswerOptions,
    mut progress: impl FnMut(&Variant),
) -> Result<TuneReport> {
    let mut variants = Vec::new();
    // (LF + EX, index in `variants`, per-question outcomes)
    let mut best: Option<(f64, usize, Vec<Outcome>)> = None;
    for setting in variant_grid() {
        let mut options = base.clone();
        options.guided = setting.guided;
        setting.decoding(base.abstain_below, "").apply(&mut options);
        let (decoded, stats) = decode_split(scored, &options, db)?;
        let preds: Vec<Prediction> = decoded
            .iter()
            .map(|d| d.as_ref().map(Decoded::query).map_err(Clone::clone))
            .collect();
        let scores = score_predictions(examples, tables, db, &preds)?;
        let report = EvalReport::from_scores(&scores);
        let variant = Variant {
            setting,
            logical_form: report.accuracy.logical_form,
            execution: report.accuracy.execution,
            guidance_changed: stats.guidance_changed,
        };
        progress(&variant);
        let merit = variant.logical_form + variant.execution;
        if setting.guided && best.as_ref().is_none_or(|b| merit > b.0) {
            best = Some((merit, variants.len(), outcomes(&decoded, &scores)));
        }
        variants.push(variant);
    }
    let (_, chosen, outcomes) = best.expect("the grid has guided variants");
    let sketch_probs: Vec<Option<f32>> = scored
        // The gate reads the clause heads only: the select list's width does not change it.
        .well_formed_beyond(0.0)
        .into_iter()
        .map(|d| d.map(|d| d.sketch_prob))
        .collect();
    let calibration = calibration(&outcomes);
    let abstain_below = abstain_threshold(&calibration);
    let mut thresholds: Vec<f64> = (0..10).map(|i| i as f64 * BIN).collect();
    thresholds.push(abstain_below);
    thresholds.sort_by(f64::total_cmp);
    thresholds.dedup();
    Ok(TuneReport {
        questions: examples.len(),
        chosen: variants[chosen].setting.decoding(
            abstain_below as f32,
            "val: guided variant with the best LF + EX; abstain below the top of the highest \
             confidence bin with EX < 50%",
        ),
        calibration_error: calibration_error(&calibration, outcomes.len()),
        coverage: thresholds.iter().map(|&t| coverage(&outcomes, t)).collect(),
        calibration,
        variants,
        leaving: LEAVE_GRID
            .iter()
            .map(|&below| leaving(&outcomes, &sketch_probs, below))
            .collect(),
    })
}

/// The outcomes when the questions whose clause heads give the sketch's shape less than
/// `below` leave it (and count wrong).
pub fn leaving(outcomes: &[Outcome], sketch_probs: &[Option<f32>], below: f32) -> Leaving {
    let leaves = |i: usize| sketch_probs[i].is_some_and(|p| p < below);
    let right = |part: fn(&Outcome) -> bool| {
        let n = (0..outcomes.len())
            .filter(|&i| !leaves(i) && part(&outcomes[i]))
            .count();
        share(n, outcomes.len())
    };
    Leaving {
        below,
        questions: (0..outcomes.len()).filter(|&i| leaves(i)).count(),
        logical_form: right(|o| o.logical_form),
        execution: right(|o| o.execution),
    }
}

fn outcomes(decoded: &[Result<Decoded, String>], scores: &[ExampleScore]) -> Vec<Outcome> {
    decoded
        .iter()
        .zip(scores)
        .map(|(d, s)| Outcome {
            confidence: d.as_ref().map_or(0.0, |d| f64::from(d.confidence())),
            logical_form: s.slots.logical_form,
            execution: s.execution,
        })
        .collect()
}

fn share(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 / of as f64
    }
}

/// The reliability table: questions in confidence bins of width 0.1, and their accuracy.
pub fn calibration(outcomes: &[Outcome]) -> Vec<CalibrationBin> {
    let bins = (1.0 / BIN).round() as usize;
    (0..bins)
        .map(|b| {
            let in_bin: Vec<&Outcome> = outcomes
                .iter()
                .filter(|o| ((o.confidence / BIN) as usize).min(bins - 1) == b)
                .collect();
            let n = in_bin.len();
            CalibrationBin {
                low: b as f64 * BIN,
                questions: n,
                mean_confidence: if n == 0 {
                    0.0
                } else {
                    in_bin.iter().map(|o| o.confidence).sum::<f64>() / n as f64
                },
                logical_form: share(in_bin.iter().filter(|o| o.logical_form).count(), n),
                execution: share(in_bin.iter().filter(|o| o.execution).count(), n),
            }
        })
        .collect()
}

/// Expected calibration error against execution accuracy: the bins' |confidence − accuracy|,
/// weighted by their share of the questions.
pub fn calibration_error(bins: &[CalibrationBin], total: usize) -> f64 {
    bins.iter()
        .map(|b| share(b.questions, total) * (b.mean_confidence - b.execution).abs())
        .sum()
}

/// The confidence below which an answer is more often wrong than right: the top of the highest
/// bin (of at least `MIN_BIN` questions) whose execution accuracy is under 50%; 0 when none is.
pub fn abstain_threshold(bins: &[CalibrationBin]) -> f64 {
    bins.iter()
        .filter(|b| b.questions >= MIN_BIN && b.execution < 0.5)
        .map(|b| ((b.low + BIN) * 100.0).round() / 100.0)
        .fold(0.0, f64::max)
}

/// Answering only the questions whose confidence reaches `threshold`.
pub fn coverage(outcomes: &[Outcome], threshold: f64) -> Coverage {
    let kept: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.confidence >= threshold)
        .collect();
    Coverage {
        threshold,
        coverage: share(kept.len(), outcomes.len()),
        logical_form: share(kept.iter().filter(|o| o.logical_form).count(), kept.len()),
        execution: share(kept.iter().filter(|o| o.execution).count(), kept.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(confidence: f64, right: bool) -> Outcome {
        Outcome {
            confidence,
            logical_form: right,
            execution: right,
        }
    }

    #[test]
    fn calibration_bins_coverage_and_threshold() {
        // 100 questions at 0.15 (30% right), 100 at 0.45 (60% right), 100 at 0.95 (all right).
        let mut all = Vec::new();
        for i in 0..100 {
            all.push(outcome(0.15, i < 30));
            all.push(outcome(0.45, i < 60));
            all.push(outcome(0.95, true));
        }
        all.push(outcome(1.0, true)); // the top edge falls in the last bin
        let bins = calibration(&all);
        assert_eq!(bins.len(), 10);
        assert_eq!(bins[1].questions, 100);
        assert!((bins[1].execution - 0.3).abs() < 1e-9);
        assert_eq!(bins[9].questions, 101);
        assert!((bins[9].mean_confidence - (100.0 * 0.95 + 1.0) / 101.0).abs() < 1e-9);
        // The highest bin under 50% is [0.1, 0.2): abstain below 0.2.
        assert!((abstain_threshold(&bins) - 0.2).abs() < 1e-9);
        let c = coverage(&all, 0.2);
        assert!((c.coverage - 201.0 / 301.0).abs() < 1e-9);
        assert!((c.execution - 161.0 / 201.0).abs() < 1e-9);
        // |0.15-0.3|·100 + |0.45-0.6|·100 + ≈|0.95-1|·101, over 301.
        let ece = calibration_error(&bins, all.len());
        assert!(ece > 0.11 && ece < 0.12, "{ece}");
        // Small bins do not decide; a model right everywhere never abstains.
        assert_eq!(abstain_threshold(&calibration(&all[..20])), 0.0);
        let sure: Vec<Outcome> = (0..200).map(|_| outcome(0.3, true)).collect();
        assert_eq!(abstain_threshold(&calibration(&sure)), 0.0);
    }

    #[test]
    fn questions_leaving_the_sketch_count_wrong() {
        let all = [outcome(0.9, true), outcome(0.9, true), outcome(0.9, false)];
        let probs = [Some(0.05), None, Some(0.5)];
        let l = leaving(&all, &probs, 0.1);
        assert_eq!(l.questions, 1);
        assert!((l.execution - 1.0 / 3.0).abs() < 1e-9);
        let every = leaving(&all, &probs, 1.0);
        assert_eq!(every.questions, 2);
        let none = leaving(&all, &probs, 0.0);
        assert_eq!(none.questions, 0);
        assert!((none.logical_form - 2.0 / 3.0).abs() < 1e-9);
    }
}
