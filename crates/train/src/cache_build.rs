//! Building the training cache: encode and label every example in parallel, with statistics.

use crate::cache::{CacheHeader, CacheWriter, CachedExample};
use crate::labels::{LabelError, SlotLabels, ValueCoverage};
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use sqlcoder_data::types::FamilyQuery;
use sqlcoder_data::{Example, Table};
use sqlcoder_model::content::TableContent;
use sqlcoder_model::input::{InputBuilder, InputError, TokenizedHeaders};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

/// What a cache build did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CacheStats {
    /// Examples given.
    pub examples: usize,
    /// Examples cached.
    pub cached: usize,
    /// Examples left out, by reason.
    pub skipped: BTreeMap<&'static str, usize>,
    /// Mean and maximum input length of cached examples, in tokens.
    pub tokens_mean: f64,
    pub tokens_max: usize,
    /// Cached examples whose headers had to be shortened to fit.
    pub headers_capped: usize,
    pub coverage: ValueCoverage,
}

impl fmt::Display for CacheStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} examples cached; tokens mean {:.1}, max {}; {} with shortened headers; \
             values found {}/{} ({:.2}%), exact text {:.2}%",
            self.cached,
            self.examples,
            self.tokens_mean,
            self.tokens_max,
            self.headers_capped,
            self.coverage.found,
            self.coverage.conditions,
            100.0 * self.coverage.found_share(),
            100.0 * self.coverage.exact_share(),
        )?;
        for (reason, n) in &self.skipped {
            write!(f, "; skipped {n}: {reason}")?;
        }
        Ok(())
    }
}

/// Why one example was left out.
fn skip_reason(e: &SkipError) -> &'static str {
    match e {
        SkipError::UnknownTable => "unknown table",
        SkipError::Input(InputError::EmptyQuestion) => "empty question",
        SkipError::Input(InputError::QuestionTooLong { .. }) => "question too long",
        SkipError::Input(InputError::NoColumns) => "table has no columns",
        SkipError::Input(InputError::TooManyColumns { .. }) => "too many columns",
        SkipError::Input(InputError::Tokenizer(_)) => "tokenizer error",
        SkipError::Label(LabelError::ColumnOutOfRange { .. }) => "column out of range",
    }
}

enum SkipError {
    UnknownTable,
    Input(InputError),
    Label(LabelError),
}

/// What the cache needs of a training question: its table, its words and its gold query.
pub trait TrainQuestion: Sync {
    fn table_id(&self) -> &str;
    fn question(&self) -> &str;
    /// The gold in the query family (a WikiSQL query widens losslessly).
    fn gold(&self) -> FamilyQuery;
}

impl TrainQuestion for Example {
    fn table_id(&self) -> &str {
        &self.table_id
    }
    fn question(&self) -> &str {
        &self.question
    }
    fn gold(&self) -> FamilyQuery {
        FamilyQuery::from(&self.query)
    }
}

/// A generated question outside WikiSQL's sketch (`data augment`'s family lines).
#[derive(Clone, Debug, PartialEq)]
pub struct FamilyQuestion {
    pub table_id: String,
    pub question: String,
    pub query: FamilyQuery,
}

impl TrainQuestion for FamilyQuestion {
    fn table_id(&self) -> &str {
        &self.table_id
    }
    fn question(&self) -> &str {
        &self.question
    }
    fn gold(&self) -> FamilyQuery {
        self.query.clone()
    }
}

/// Encodes and labels `examples` against their `tables` in parallel, in input order, showing a
/// progress bar when `show_progress`. Examples that cannot be encoded are counted in the stats;
/// the only error is a vocabulary too large for the cache's 16-bit ids.
pub fn build_cache<Q: TrainQuestion>(
    examples: &[Q],
    tables: &BTreeMap<String, Table>,
    builder: &InputBuilder,
    show_progress: bool,
) -> Result<(Vec<CachedExample>, CacheStats)> {
    // Refuses a vocabulary whose ids would not fit the cache's u16.
    CacheHeader::for_builder(builder)?;
    // Each table's headers are tokenized, and its content indexed, once for all its questions.
    let mut used: Vec<&str> = examples.iter().map(|e| e.table_id()).collect();
    used.sort_unstable();
    used.dedup();
    let prepared: HashMap<&str, PreparedTable> = used
        .par_iter()
        .filter_map(|&id| {
            let table = tables.get(id)?;
            Some((
                id,
                (
                    builder.tokenize_headers(&table.header),
                    builder.table_content(table),
                ),
            ))
        })
        .collect();

    let progress = if show_progress {
        let bar = ProgressBar::new(examples.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("caching {bar:40} {pos}/{len} [{elapsed}<{eta}]")
        {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let results: Vec<Result<(CachedExample, ValueCoverage, bool), SkipError>> = examples
        .par_iter()
        .enumerate()
        .map(|(index, ex)| {
            let result = cache_one(index, ex, prepared.get(ex.table_id()), builder);
            progress.inc(1);
            result
        })
        .collect();
    progress.finish_and_clear();

    let mut stats = CacheStats {
        examples: examples.len(),
        ..CacheStats::default()
    };
    let mut cached = Vec::with_capacity(results.len());
    let mut tokens_total = 0usize;
    for result in results {
        match result {
            Ok((ex, coverage, capped)) => {
                tokens_total += ex.input_ids.len();
                stats.tokens_max = stats.tokens_max.max(ex.input_ids.len());
                stats.headers_capped += usize::from(capped);
                stats.coverage = stats.coverage.merge(coverage);
                cached.push(ex);
            }
            Err(e) => *stats.skipped.entry(skip_reason(&e)).or_default() += 1,
        }
    }
    stats.cached = cached.len();
    stats.tokens_mean = tokens_total as f64 / cached.len().max(1) as f64;
    Ok((cached, stats))
}

/// A table's tokenized headers (or why they cannot be) and its indexed content.
type PreparedTable = (Result<TokenizedHeaders, InputError>, TableContent);

fn cache_one<Q: TrainQuestion>(
    index: usize,
    ex: &Q,
    table: Option<&PreparedTable>,
    builder: &InputBuilder,
) -> Result<(CachedExample, ValueCoverage, bool), SkipError> {
    let (headers, content) = table.ok_or(SkipError::UnknownTable)?;
    let headers = headers.as_ref().map_err(|e| SkipError::Input(e.clone()))?;
    let input = builder
        .encode_with_table(ex.question(), headers, content)
        .map_err(SkipError::Input)?;
    let gold = ex.gold();
    let labels = SlotLabels::from_family(ex.question(), &gold, &input).map_err(SkipError::Label)?;
    let mut coverage = ValueCoverage::default();
    coverage.add(ex.question(), &gold, &input, &labels);
    let cached = CachedExample {
        example_index: index as u32,
        // Ids are below the vocabulary size, checked to fit u16 when the cache header is made.
        input_ids: input.input_ids.iter().map(|&id| id as u16).collect(),
        question_tokens: input.question_tokens.clone(),
        header_spans: input.header_spans.clone(),
        content: input.content.clone(),
        labels,
    };
    Ok((cached, coverage, input.header_cap.is_some()))
}

/// Builds the cache for `examples` and writes it to `path` (atomically).
pub fn build_cache_file<Q: TrainQuestion>(
    path: &Path,
    examples: &[Q],
    tables: &BTreeMap<String, Table>,
    builder: &InputBuilder,
    show_progress: bool,
) -> Result<CacheStats> {
    let header = CacheHeader::for_builder(builder)?;
    let (cached, stats) = build_cache(examples, tables, builder, show_progress)?;
    let mut writer = CacheWriter::create(path, header)?;
    for ex in &cached {
        writer.write(ex)?;
    }
    writer
        .finish()
        .with_context(|| format!("writing cache {}", path.display()))?;
    Ok(stats)
}
