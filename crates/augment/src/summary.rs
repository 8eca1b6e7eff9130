//! What a run wrote: questions per kind and per shape, and what was dropped.

use crate::kind::Kind;
use crate::verify::Reject;
use sqlcoder_data::types::Shape;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub out: PathBuf,
    /// WikiSQL tables read (after `--limit-tables`).
    pub tables: usize,
    /// Our own tables used.
    pub own_tables: usize,
    /// Tables of the written questions; each kept written question is in the file
    /// [`crate::written::COPIES`] times but counts once here.
    pub written_tables: usize,
    pub questions: usize,
    /// Lines in WikiSQL's sketch (`sql`), and outside it (`family`), copies included.
    pub sketch_lines: usize,
    pub family_lines: usize,
    pub by_kind: BTreeMap<Kind, usize>,
    /// A question counts once for each shape its query has.
    pub by_shape: BTreeMap<Shape, usize>,
    pub rejected: BTreeMap<Reject, usize>,
    pub rejected_by_kind: BTreeMap<Kind, usize>,
    /// Questions written twice for one table (kept once).
    pub duplicates: usize,
    /// Held-out (report) questions read, generated questions dropped as near copies of them,
    /// and which of them (by index) had one.
    pub held_out_questions: usize,
    pub held_out_dropped: usize,
    pub held_out_near: BTreeSet<usize>,
}

impl Summary {
    /// Adds another part's counts (the path stays).
    pub fn absorb(&mut self, other: &Summary) {
        self.tables += other.tables;
        self.own_tables += other.own_tables;
        self.written_tables += other.written_tables;
        self.questions += other.questions;
        self.sketch_lines += other.sketch_lines;
        self.family_lines += other.family_lines;
        self.duplicates += other.duplicates;
        self.held_out_questions += other.held_out_questions;
        self.held_out_dropped += other.held_out_dropped;
        self.held_out_near.extend(&other.held_out_near);
        for (k, n) in &other.by_kind {
            *self.by_kind.entry(*k).or_default() += n;
        }
        for (s, n) in &other.by_shape {
            *self.by_shape.entry(*s).or_default() += n;
        }
        for (r, n) in &other.rejected {
            *self.rejected.entry(*r).or_default() += n;
        }
        for (k, n) in &other.rejected_by_kind {
            *self.rejected_by_kind.entry(*k).or_default() += n;
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} questions from {} WikiSQL tables and {} own tables -> {} ({} in the sketch, {} family lines)",
            self.questions,
            self.tables,
            self.own_tables,
            self.out.display(),
            self.sketch_lines,
            self.family_lines
        )?;
        if self.written_tables > 0 {
            writeln!(
                f,
                "{} written questions about {} tables, each written {} times",
                self.by_kind.get(&Kind::Written).copied().unwrap_or(0),
                self.written_tables,
                crate::written::COPIES
            )?;
        }
        writeln!(f, "{:<14} {:>8} {:>9}", "kind", "kept", "dropped")?;
        for kind in Kind::ALL {
            let kept = self.by_kind.get(&kind).copied().unwrap_or(0);
            let dropped = self.rejected_by_kind.get(&kind).copied().unwrap_or(0);
            if kept + dropped > 0 {
                writeln!(f, "{:<14} {kept:>8} {dropped:>9}", kind.name())?;
            }
        }
        writeln!(f, "{:<22} {:>8}", "shape", "questions")?;
        for shape in Shape::ALL {
            let n = self.by_shape.get(&shape).copied().unwrap_or(0);
            writeln!(f, "{:<22} {n:>8}", shape.name())?;
        }
        let dropped: Vec<String> = Reject::ALL
            .iter()
            .filter_map(|r| self.rejected.get(r).map(|n| format!("{} {n}", r.name())))
            .collect();
        if self.held_out_questions > 0 {
            writeln!(
                f,
                "held out: {} generated questions dropped, within {} token edits of {} of the {} report questions",
                self.held_out_dropped,
                crate::held_out::EDITS,
                self.held_out_near.len(),
                self.held_out_questions
            )?;
        }
        write!(
            f,
            "dropped: {}; duplicates {}",
            if dropped.is_empty() {
                "none".to_string()
            } else {
                dropped.join(", ")
            },
            self.duplicates
        )
    }
}
