//! Decoding settings chosen on val for one trained model, stored beside it as `decoding.json`
//! (written by `sqlcoder tune --split val --write-model`): the execution-guidance refinements
//! and the confidence below which answers are flagged as unsure.

use super::decide::AnswerOptions;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sqlcoder_data::io::AtomicFile;
use sqlcoder_data::types::Shape;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// File name of the tuned decoding settings inside a model folder.
pub const DECODING_FILE: &str = "decoding.json";

/// What `tune` chose, and on what.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TunedDecoding {
    /// [`super::guided::GuidanceConfig::keep_above`].
    pub keep_above: f32,
    /// [`super::guided::GuidanceConfig::count_zero_answers`].
    pub count_zero_answers: bool,
    /// [`super::guided::GuidanceConfig::retry_unmatched`] (absent in files written before it
    /// existed: off).
    #[serde(default)]
    pub retry_unmatched: bool,
    /// [`super::guided::GuidanceConfig::unwrap_values`] (absent before it existed: off).
    #[serde(default)]
    pub unwrap_values: bool,
    /// [`super::guided::GuidanceConfig::mentioned_cells`] (absent before it existed: off).
    #[serde(default)]
    pub mentioned_cells: bool,
    /// [`super::guided::GuidanceConfig::fitting_columns`] (absent before it existed: off).
    #[serde(default)]
    pub fitting_columns: bool,
    /// [`AnswerOptions::abstain_below`].
    pub abstain_below: f32,
    /// [`AnswerOptions::abstain_below_shape`], keyed by [`Shape::name`] (absent: none).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub abstain_below_shape: BTreeMap<String, f32>,
    /// [`AnswerOptions::leave_sketch_below`] (absent: 1, the heads' choice).
    #[serde(default = "every_choice")]
    pub leave_sketch_below: f32,
    /// [`AnswerOptions::select_share`] (absent: 0, the select-count head alone).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub select_share: f32,
    /// The split the values were chosen on (always val) and how.
    pub chosen_on: String,
}

fn every_choice() -> f32 {
    1.0
}

fn is_zero(x: &f32) -> bool {
    *x == 0.0
}

impl TunedDecoding {
    /// The settings in `model_dir`, if it has them.
    pub fn load(model_dir: &Path) -> Result<Option<TunedDecoding>> {
        let path = model_dir.join(DECODING_FILE);
        if !path.is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let tuned: TunedDecoding = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid decoding settings", path.display()))?;
        if let Some(name) = tuned
            .abstain_below_shape
            .keys()
            .find(|name| Shape::from_name(name).is_none())
        {
            anyhow::bail!("{}: no query shape is named {name:?}", path.display());
        }
        Ok(Some(tuned))
    }

    /// Writes the settings into `model_dir` (atomically).
    pub fn save(&self, model_dir: &Path) -> Result<()> {
        let path = model_dir.join(DECODING_FILE);
        let mut file = AtomicFile::create(&path)?;
        serde_json::to_writer_pretty(&mut file, self)?;
        writeln!(file).with_context(|| format!("writing {}", path.display()))?;
        file.commit()
    }

    /// `options` with these settings applied.
    pub fn apply(&self, options: &mut AnswerOptions) {
        options.guidance.keep_above = self.keep_above;
        options.guidance.count_zero_answers = self.count_zero_answers;
        options.guidance.retry_unmatched = self.retry_unmatched;
        options.guidance.unwrap_values = self.unwrap_values;
        options.guidance.mentioned_cells = self.mentioned_cells;
        options.guidance.fitting_columns = self.fitting_columns;
        options.abstain_below = self.abstain_below;
        options.abstain_below_shape = self
            .abstain_below_shape
            .iter()
            .filter_map(|(name, &t)| Some((Shape::from_name(name)?, t)))
            .collect();
        options.leave_sketch_below = self.leave_sketch_below;
        options.select_share = self.select_share;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_loads_and_applies() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(TunedDecoding::load(dir.path()).unwrap(), None);
        let tuned = TunedDecoding {
            keep_above: 0.8,
            count_zero_answers: true,
            retry_unmatched: true,
            unwrap_values: true,
            mentioned_cells: true,
            fitting_columns: true,
            abstain_below: 0.3,
            abstain_below_shape: [("grouping (GROUP BY)".to_string(), 0.6)].into(),
            leave_sketch_below: 0.25,
            select_share: 0.4,
            chosen_on: "val".into(),
        };
        tuned.save(dir.path()).unwrap();
        assert_eq!(
            TunedDecoding::load(dir.path()).unwrap(),
            Some(tuned.clone())
        );
        let mut options = AnswerOptions::default();
        assert_ne!(options.abstain_below, 0.3);
        tuned.apply(&mut options);
        assert_eq!(options.guidance.keep_above, 0.8);
        assert!(options.guidance.count_zero_answers);
        assert!(options.guidance.retry_unmatched && options.guidance.unwrap_values);
        assert!(options.guidance.mentioned_cells && options.guidance.fitting_columns);
        assert_eq!(options.abstain_below, 0.3);
        assert_eq!(options.leave_sketch_below, 0.25);
        assert_eq!(options.select_share, 0.4);
        assert_eq!(
            options.abstain_below_shape,
            [(Shape::Grouping, 0.6)].into_iter().collect()
        );

        std::fs::write(dir.path().join(DECODING_FILE), "{").unwrap();
        let err = TunedDecoding::load(dir.path()).unwrap_err();
        assert!(format!("{err:#}").contains(DECODING_FILE), "{err:#}");

        let mut unknown = tuned.clone();
        unknown.abstain_below_shape = [("groupings".to_string(), 0.6)].into();
        unknown.save(dir.path()).unwrap();
        let err = TunedDecoding::load(dir.path()).unwrap_err();
        assert!(format!("{err:#}").contains("\"groupings\""), "{err:#}");
    }
}
