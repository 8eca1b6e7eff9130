//! A run: read the train split, write each table's questions (in parallel, each table from its
//! own seeded generator so that threads cannot change the output), run every query, shuffle,
//! write the file atomically, count.

use crate::family::{self, Draft};
use crate::held_out::{skeleton, HeldOut, Masks};
use crate::kind::Kind;
use crate::line::Generated;
use crate::own_tables::own_tables;
use crate::ported::{count, headers, names, quoted, whole};
use crate::profile::{Noun, Profile};
use crate::summary::Summary;
use crate::verify::Verifier;
use crate::words::pick;
use crate::written;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use sqlcoder_data::challenge::read_file;
use sqlcoder_data::io::AtomicFile;
use sqlcoder_data::types::{Example, Split, Table};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// What `data augment` is asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// The WikiSQL train split in the challenge format (plain or `.xz`).
    pub train: PathBuf,
    pub out: PathBuf,
    pub seed: u64,
    pub kinds: Vec<Kind>,
    /// Only the first N WikiSQL tables (by id).
    pub limit_tables: Option<usize>,
    /// Share of WikiSQL tables that get whole-column questions (count questions get 0.6 of it,
    /// as in generate.py) and, for each family kind, a question of that kind.
    pub share: f64,
    /// A progress bar on stderr.
    pub progress: bool,
    /// Our own questions (`data/ood/source`): no generated question may be a near copy of one
    /// of its report part ([`crate::held_out`]). `None` keeps every question.
    pub held_out: Option<PathBuf>,
    /// The written questions' folder ([`crate::written`]), read when `kinds` has
    /// [`Kind::Written`].
    pub written: PathBuf,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            train: PathBuf::from("data/dataset_files/train.jsonl"),
            out: PathBuf::from("data/generated/train.jsonl"),
            seed: 7,
            kinds: Kind::ALL.to_vec(),
            limit_tables: None,
            share: 0.4,
            progress: false,
            held_out: None,
            written: PathBuf::from("data/written"),
        }
    }
}

/// How many questions of each family kind an own table gets: they are few and built for it.
const OWN_TABLE_ROUNDS: usize = 4;
/// Drafts tried for one family question before the table is taken to have none.
const ATTEMPTS: usize = 3;
/// generate.py's shares for the kinds that rewrite a table's own questions.
const QUOTED_SHARE: f64 = 0.2;
const HEADERS_SHARE: f64 = 0.15;
/// Original questions a code-header copy carries (generate.py's `exs[:3]`).
const HEADERS_QUESTIONS: usize = 3;
/// Share of a table's columns of several words that its family questions name by one word
/// ([`Profile::with_short_names`]).
const SHORT_NAMES: f64 = 0.35;
/// Lines serialised per parallel batch.
const BATCH: usize = 2048;

/// One table to write questions about.
struct Source<'a> {
    table: &'a Table,
    examples: Vec<&'a Example>,
    /// What rows are called, for our own tables.
    noun: Option<Noun>,
}

/// Writes the questions file; returns what it wrote.
pub fn run(options: &Options) -> Result<Summary> {
    anyhow::ensure!(
        (0.0..=1.0).contains(&options.share),
        "--share must lie between 0 and 1, not {}",
        options.share
    );
    let dataset = read_file(&options.train, Split::Train)?;
    let held_out = match &options.held_out {
        Some(source) => HeldOut::read(source)?,
        None => HeldOut::default(),
    };
    let mut by_table: BTreeMap<&str, Vec<&Example>> = BTreeMap::new();
    for example in &dataset.examples {
        by_table
            .entry(example.table_id.as_str())
            .or_default()
            .push(example);
    }
    let limit = options.limit_tables.unwrap_or(usize::MAX);
    let own = if options.kinds.iter().any(|k| k.is_family()) {
        own_tables()
    } else {
        Vec::new()
    };
    let sources: Vec<Source> = dataset
        .tables
        .values()
        .take(limit)
        .map(|table| Source {
            table,
            examples: by_table.remove(table.id.as_str()).unwrap_or_default(),
            noun: None,
        })
        .chain(own.iter().map(|o| Source {
            table: &o.table,
            examples: Vec::new(),
            noun: Some(o.noun.clone()),
        }))
        .collect();

    let bar = if options.progress {
        let bar = ProgressBar::new(sources.len() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "augmenting {bar:40} {pos}/{len} tables [{elapsed}<{eta}]",
            )
            .expect("a valid progress template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let parts: Vec<(Vec<Generated>, Summary)> = sources
        .par_iter()
        .map(|source| {
            let part = generate_for(source, options, &held_out)
                .with_context(|| format!("table {:?}", source.table.id));
            bar.inc(1);
            part
        })
        .collect::<Result<_>>()?;
    bar.finish_and_clear();

    let mut summary = Summary {
        out: options.out.clone(),
        ..Summary::default()
    };
    let mut lines = Vec::new();
    for (generated, part) in parts {
        summary.absorb(&part);
        lines.extend(generated);
    }
    if options.kinds.contains(&Kind::Written) {
        let (generated, part) = written_lines(options, &held_out)?;
        summary.absorb(&part);
        lines.extend(generated);
    }
    summary.tables = sources.iter().filter(|s| s.noun.is_none()).count();
    summary.own_tables = sources.len() - summary.tables;
    summary.held_out_questions = held_out.len();
    lines.shuffle(&mut StdRng::seed_from_u64(options.seed));
    write_lines(&lines, options)?;
    Ok(summary)
}

/// The written questions kept (checked as drafted ones are), each [`written::COPIES`] times.
fn written_lines(options: &Options, held_out: &HeldOut) -> Result<(Vec<Generated>, Summary)> {
    let mut summary = Summary::default();
    let mut lines = Vec::new();
    for (table, drafts) in written::read(&options.written)? {
        let table = Arc::new(table);
        let verifier = Verifier::new(&table).with_context(|| format!("table {:?}", table.id))?;
        let mut out = TableOutput::new(held_out);
        for d in drafts {
            out.offer(Kind::Written, d, &verifier, &table);
        }
        summary.absorb(&out.summary);
        summary.written_tables += 1;
        for line in out.kept {
            // The line counts are of the file: a question's copies are lines too.
            if line.query.to_sketch().is_some() {
                summary.sketch_lines += written::COPIES - 1;
            } else {
                summary.family_lines += written::COPIES - 1;
            }
            lines.extend(std::iter::repeat_n(line, written::COPIES));
        }
    }
    Ok((lines, summary))
}

fn write_lines(lines: &[Generated], options: &Options) -> Result<()> {
    let mut file = AtomicFile::create(&options.out)?;
    for batch in lines.chunks(BATCH) {
        let texts: Vec<String> = batch
            .par_iter()
            .map(Generated::line)
            .collect::<Result<_>>()?;
        for text in texts {
            file.write_all(text.as_bytes())?;
            file.write_all(b"\n")?;
        }
    }
    file.commit()
        .with_context(|| format!("cannot write {}", options.out.display()))
}

/// A table's own generator: the run's seed and the table's id, so a table's questions do not
/// depend on which tables come before it or on which thread writes them.
fn table_rng(seed: u64, table_id: &str) -> StdRng {
    // FNV-1a: stable across runs, platforms and Rust versions (std's hashers promise none of that).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in table_id.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    StdRng::seed_from_u64(seed ^ hash)
}

/// The questions kept for one table (and its rewritten copies), with their counts.
struct TableOutput<'a> {
    kept: Vec<Generated>,
    questions: BTreeSet<(String, String)>,
    summary: Summary,
    held_out: &'a HeldOut,
    /// Each table's masks, by id, made when its first question is offered.
    masks: HashMap<String, Masks>,
}

impl<'a> TableOutput<'a> {
    fn new(held_out: &'a HeldOut) -> TableOutput<'a> {
        TableOutput {
            kept: Vec::new(),
            questions: BTreeSet::new(),
            summary: Summary::default(),
            held_out,
            masks: HashMap::new(),
        }
    }

    /// Keeps `draft` when its query passes `verifier`, it is new, and it is no near copy of a
    /// held-out question; whether it was kept.
    fn offer(&mut self, kind: Kind, draft: Draft, verifier: &Verifier, table: &Arc<Table>) -> bool {
        if let Err(reject) = verifier.check(&draft.query) {
            *self.summary.rejected.entry(reject).or_default() += 1;
            *self.summary.rejected_by_kind.entry(kind).or_default() += 1;
            return false;
        }
        if !self
            .questions
            .insert((table.id.clone(), draft.question.clone()))
        {
            self.summary.duplicates += 1;
            return false;
        }
        if !self.held_out.is_empty() {
            let masks = self
                .masks
                .entry(table.id.clone())
                .or_insert_with(|| Masks::of(table));
            let near = self.held_out.near(&skeleton(&draft.question, masks));
            if !near.is_empty() {
                self.summary.held_out_dropped += 1;
                self.summary.held_out_near.extend(near);
                return false;
            }
        }
        let s = &mut self.summary;
        s.questions += 1;
        *s.by_kind.entry(kind).or_default() += 1;
        for shape in draft.query.shapes(table) {
            *s.by_shape.entry(shape).or_default() += 1;
        }
        if draft.query.to_sketch().is_some() {
            s.sketch_lines += 1;
        } else {
            s.family_lines += 1;
        }
        self.kept.push(Generated {
            kind,
            question: draft.question,
            table: Arc::clone(table),
            query: draft.query,
        });
        true
    }
}

/// generate.py's kinds in its order and with its shares, then each family kind.
fn generate_for(
    source: &Source,
    options: &Options,
    held_out: &HeldOut,
) -> Result<(Vec<Generated>, Summary)> {
    let wanted = |kind: Kind| options.kinds.contains(&kind);
    let table = Arc::new(source.table.clone());
    let mut rng = table_rng(options.seed, &table.id);
    let generic_noun = rng.random_range(0..crate::profile::GENERIC_NOUNS.len());
    let profile = Profile::new(source.table, source.noun.clone(), generic_noun);
    let verifier = Verifier::new(&table)?;
    let mut out = TableOutput::new(held_out);
    let share = options.share;
    let wikisql = source.noun.is_none();
    let examples = &source.examples;

    if wikisql && wanted(Kind::Whole) && rng.random_bool(share) {
        for d in whole::drafts(&profile, &mut rng) {
            out.offer(Kind::Whole, d, &verifier, &table);
        }
    }
    if wikisql && wanted(Kind::Count) && rng.random_bool(share * 0.6) {
        for d in count::drafts(&profile, &mut rng) {
            out.offer(Kind::Count, d, &verifier, &table);
        }
    }
    if wikisql && wanted(Kind::Quoted) && !examples.is_empty() && rng.random_bool(QUOTED_SHARE) {
        let example = pick(&mut rng, examples);
        if let Some(d) = quoted::draft(example, &mut rng) {
            out.offer(Kind::Quoted, d, &verifier, &table);
        }
    }
    if wikisql && wanted(Kind::Names) {
        if let Some((split, drafts)) = names::split(&profile, examples, &mut rng) {
            if !drafts.is_empty() {
                let split = Arc::new(split);
                let split_verifier = Verifier::new(&split)?;
                for d in drafts {
                    out.offer(Kind::Names, d, &split_verifier, &split);
                }
            }
        }
    }
    if wikisql && wanted(Kind::Headers) && !examples.is_empty() && rng.random_bool(HEADERS_SHARE) {
        let coded = Arc::new(headers::with_code_headers(source.table, &mut rng));
        let coded_verifier = Verifier::new(&coded)?;
        for e in examples.iter().take(HEADERS_QUESTIONS) {
            let d = Draft {
                question: e.question.clone(),
                query: (&e.query).into(),
            };
            out.offer(Kind::Headers, d, &coded_verifier, &coded);
        }
        if wanted(Kind::Whole) {
            let coded_profile = Profile::new(&coded, None, generic_noun);
            if let Some(d) = whole::drafts(&coded_profile, &mut rng).into_iter().next() {
                out.offer(Kind::Headers, d, &coded_verifier, &coded);
            }
        }
    }
    let family_profile = profile.with_short_names(SHORT_NAMES, &mut rng);
    for kind in options.kinds.iter().copied().filter(|k| k.is_family()) {
        let rounds = if wikisql {
            usize::from(rng.random_bool(share))
        } else {
            OWN_TABLE_ROUNDS
        };
        for _ in 0..rounds {
            for _ in 0..ATTEMPTS {
                // A draft can fail on one random choice (a column without usable cells) and
                // succeed on the next.
                let Some(d) = family::draft(kind, &family_profile, &mut rng) else {
                    continue;
                };
                if out.offer(kind, d, &verifier, &table) {
                    break;
                }
            }
        }
    }
    Ok((out.kept, out.summary))
}
