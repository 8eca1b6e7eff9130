//! Execution-guided decoding (Wang et al. 2018, in SQLova's beam form): candidate queries are
//! run on the table, and one whose SQL fails or returns nothing is replaced by the next most
//! likely candidate that returns something.
//!
//! Candidates are a beam over the select clause (column × aggregation, [`select_candidates`]) times
//! a beam over where clauses (every condition count, the best-ranked where columns, per column its
//! best operators and value spans), scored like greedy decoding scores its query: the sum of the
//! chosen slots' log-probabilities. The greedy query is always tried first, so guidance never
//! changes a query that already runs and returns rows; after it, candidates go best-first.
//! When nothing returns rows, the greedy query stands.
//!
//! Two refinements, both measured on val (`sqlcoder tune --split val`, REPORT.md): a greedy
//! query the model is sure of ([`GuidanceConfig::keep_above`]) stands even when it returns
//! nothing, since about one gold query in twelve does; and a COUNT of 0 is an answer
//! ([`GuidanceConfig::count_zero_answers`]), not an empty result.
//!
//! Two more for tables unlike WikiSQL's, where the model invents conditions from stray words
//! ("How many employees do we have?" → `WHERE Name = 'we'`): a text `=` value that is no cell of
//! its column makes a query a candidate to replace, however sure or however it counts
//! ([`GuidanceConfig::retry_unmatched`]), so a query without that condition gets its turn; and a
//! value that kept the question's quotes or brackets loses them when that makes it a cell, and a
//! number compared with `<` or `>` loses its currency symbol ([`GuidanceConfig::unwrap_values`]).
//!
//! And one for the opposite error on such tables, a condition left out: a text cell the question
//! names in a column the query does not condition on is added as a condition when the query
//! still answers with it ([`GuidanceConfig::mentioned_cells`], [`super::mentioned`]).
//!
//! And one for an aggregation or a comparison paired with the wrong column ("average qty per
//! order" → `AVG(order_id)`, "drinks under $4" → `size_oz < 4`): a query whose aggregation or
//! comparison does not fit its column is replaced like one with an unmatched value, and a MIN or
//! MAX the question's "oldest"/"youngest" contradicts is turned round
//! ([`GuidanceConfig::fitting_columns`], [`super::fitting`]).

use super::decode::{
    decode_greedy, ranked_spans, ranked_where_columns, select_candidates, span_text, Decoded,
    DecodedCond,
};
use super::fitting::{comparison_misfit, fitting_end, misfit};
use super::mentioned::with_mentioned;
use super::scores::SlotScores;
use super::snap::{bare_number, is_cell, snap_cond, unwrap_value};
use sqlcoder_data::types::{Agg, CondOp, Table};
use sqlcoder_model::heads::N_WHERE;
use sqlcoder_sql::{Executor, SqlValue};
use std::collections::HashSet;

/// Beam widths of execution-guided decoding.
#[derive(Clone, Debug, PartialEq)]
pub struct GuidanceConfig {
    /// Select clauses (column, aggregation) kept.
    pub select_beam: usize,
    /// Where columns considered, best-ranked first.
    pub where_columns: usize,
    /// Operators tried per where column.
    pub ops_per_column: usize,
    /// Value spans tried per where column.
    pub spans_per_column: usize,
    /// Where clauses (any condition count) kept.
    pub where_beam: usize,
    /// Most candidate queries executed for one question (the greedy one included).
    pub max_executions: usize,
    /// A greedy query at least this probable stands even when it returns nothing (above 1: never).
    pub keep_above: f32,
    /// A COUNT that returns 0 is an answer (off: it is replaced like an empty result).
    pub count_zero_answers: bool,
    /// A query with a text `=` value that is no cell of its column is replaced when a candidate
    /// without one returns something, even if the model is sure of it or it counts 0.
    pub retry_unmatched: bool,
    /// Quote marks or brackets around an `=` value are dropped when the rest is a cell, and a
    /// currency symbol before a `<`/`>` number.
    pub unwrap_values: bool,
    /// Cells the question names in columns without a condition become conditions, when the
    /// query still answers with them.
    pub mentioned_cells: bool,
    /// A query whose aggregation or comparison does not fit its column ([`misfit`],
    /// [`comparison_misfit`]) is replaced when a candidate that fits returns something; a MIN or
    /// MAX at the wrong end for "oldest"/"youngest" is turned round ([`fitting_end`]).
    pub fitting_columns: bool,
}

impl Default for GuidanceConfig {
    fn default() -> Self {
        Self {
            select_beam: 4,
            where_columns: 4,
            ops_per_column: 2,
            spans_per_column: 3,
            where_beam: 16,
            max_executions: 32,
            keep_above: 2.0,
            count_zero_answers: false,
            retry_unmatched: false,
            unwrap_values: false,
            mentioned_cells: false,
            fitting_columns: false,
        }
    }
}

/// What guided decoding chose, and the rows it returned.
#[derive(Clone, Debug)]
pub struct GuidedOutcome {
    pub decoded: Decoded,
    /// The chosen query's result; `Err` only when even the greedy fallback fails to run.
    pub rows: Result<Vec<SqlValue>, String>,
    /// True when the chosen query is not the greedy one.
    pub changed: bool,
    /// Candidate queries executed.
    pub executed: usize,
}

/// A result that answers nothing: no rows, only NULLs, or a count of zero matching rows (an
/// aggregate over no rows is NULL, except COUNT, which says 0).
pub fn answers_nothing(agg: Agg, has_conds: bool, rows: &[SqlValue]) -> bool {
    rows.iter().all(|v| matches!(v, SqlValue::Null))
        || (agg == Agg::Count && has_conds && rows == [SqlValue::Integer(0)])
}

impl GuidanceConfig {
    /// Whether `rows`, the result of `d`, leaves the question unanswered under this config.
    fn unusable(&self, d: &Decoded, rows: &[SqlValue]) -> bool {
        if self.count_zero_answers && d.agg == Agg::Count && rows == [SqlValue::Integer(0)] {
            return false;
        }
        answers_nothing(d.agg, !d.conds.is_empty(), rows)
    }

    /// Whether `d` has a text `=` value that is no cell of its column (and that counts here);
    /// the database is asked when the table holds only a sample of the column's cells.
    fn unmatched(&self, d: &Decoded, table: &Table, exec: &Executor) -> bool {
        self.retry_unmatched
            && d.conds.iter().any(|c| {
                c.op == CondOp::Eq
                    && !exec
                        .has_cell(table, c.col, &c.value)
                        .unwrap_or_else(|| is_cell(&c.value, table, c.col))
            })
    }

    /// Whether `d`'s aggregation or one of its comparisons does not fit its column (and that
    /// counts here).
    fn misfit(
        &self,
        d: &Decoded,
        question: &str,
        offsets: &[(usize, usize)],
        table: &Table,
    ) -> bool {
        self.fitting_columns
            && (misfit(question, table, d.sel, d.agg).is_some()
                || d.conds.iter().any(|c| {
                    offsets.get(c.span.0).is_some_and(|&(start, _)| {
                        comparison_misfit(question, start, c, table).is_some()
                    })
                }))
    }

    /// `d` with its `=` values unwrapped from quotes or brackets and its `<`/`>` numbers
    /// without their currency symbol (when `unwrap_values`), and its MIN/MAX turned round when
    /// the question's "oldest"/"youngest" says the other end (when `fitting_columns`).
    fn tidied(&self, mut d: Decoded, question: &str, table: &Table) -> Decoded {
        if self.unwrap_values {
            for c in &mut d.conds {
                let bare = match c.op {
                    CondOp::Eq => unwrap_value(&c.value, table, c.col),
                    CondOp::Gt | CondOp::Lt => bare_number(&c.value),
                };
                if let Some(v) = bare {
                    c.value = v;
                }
            }
        }
        if self.fitting_columns {
            if let Some(agg) = fitting_end(question, table, d.sel, d.agg) {
                d.agg = agg;
            }
        }
        d
    }
}

/// Greedy decoding, with `=` values snapped to table cells when `snap`.
pub fn greedy(
    scores: &SlotScores,
    question: &str,
    offsets: &[(usize, usize)],
    table: &Table,
    snap: bool,
) -> Decoded {
    let mut d = decode_greedy(scores, question, offsets);
    if snap {
        for c in &mut d.conds {
            snap_cond(c, table);
        }
    }
    d
}

/// Execution-guided decoding of one question (see the module documentation).
pub fn decode_guided(
    scores: &SlotScores,
    question: &str,
    offsets: &[(usize, usize)],
    table: &Table,
    exec: &Executor,
    config: &GuidanceConfig,
    snap: bool,
) -> GuidedOutcome {
    let chosen = choose(scores, question, offsets, table, exec, config, snap);
    if !config.mentioned_cells || chosen.rows.is_err() {
        return chosen;
    }
    let Some(extended) = with_mentioned(&chosen.decoded, scores, question, offsets, table) else {
        return chosen;
    };
    match exec.run_query(&extended.query(), table) {
        Ok(rows) if !config.unusable(&extended, &rows) => GuidedOutcome {
            decoded: extended,
            rows: Ok(rows),
            changed: true,
            executed: chosen.executed + 1,
        },
        _ => GuidedOutcome {
            executed: chosen.executed + 1,
            ..chosen
        },
    }
}

/// The greedy query, or the best candidate that answers when it does not.
fn choose(
    scores: &SlotScores,
    question: &str,
    offsets: &[(usize, usize)],
    table: &Table,
    exec: &Executor,
    config: &GuidanceConfig,
    snap: bool,
) -> GuidedOutcome {
    let greedy = config.tidied(
        greedy(scores, question, offsets, table, snap),
        question,
        table,
    );
    let greedy_rows = exec.run_query(&greedy.query(), table);
    let mut executed = 1;
    let sure = greedy.confidence() >= config.keep_above;
    let doubtful =
        config.unmatched(&greedy, table, exec) || config.misfit(&greedy, question, offsets, table);
    if greedy_rows
        .as_ref()
        .is_ok_and(|r| !doubtful && (sure || !config.unusable(&greedy, r)))
    {
        return GuidedOutcome {
            decoded: greedy,
            rows: greedy_rows,
            changed: false,
            executed,
        };
    }
    let mut seen = HashSet::from([key(&greedy)]);
    for candidate in candidates(scores, question, offsets, table, config, snap) {
        if executed >= config.max_executions {
            break;
        }
        let candidate = config.tidied(candidate, question, table);
        if !seen.insert(key(&candidate))
            || config.unmatched(&candidate, table, exec)
            || config.misfit(&candidate, question, offsets, table)
        {
            continue;
        }
        executed += 1;
        if let Ok(rows) = exec.run_query(&candidate.query(), table) {
            if !config.unusable(&candidate, &rows) {
                return GuidedOutcome {
                    decoded: candidate,
                    rows: Ok(rows),
                    changed: true,
                    executed,
                };
            }
        }
    }
    GuidedOutcome {
        decoded: greedy,
        rows: greedy_rows,
        changed: false,
        executed,
    }
}

/// Identity of a query as it executes (column, operator, value text per condition, in order).
fn key(d: &Decoded) -> (usize, Agg, Vec<(usize, CondOp, String)>) {
    let mut conds: Vec<_> = d
        .conds
        .iter()
        .map(|c| (c.col, c.op, c.value.clone()))
        .collect();
    conds.sort();
    (d.sel, d.agg, conds)
}

/// Every candidate of the two beams, best first.
pub fn candidates(
    scores: &SlotScores,
    question: &str,
    offsets: &[(usize, usize)],
    table: &Table,
    config: &GuidanceConfig,
    snap: bool,
) -> Vec<Decoded> {
    let options: Vec<Vec<DecodedCond>> = ranked_where_columns(scores)
        .into_iter()
        .take(config.where_columns)
        .map(|col| cond_options(scores, col, question, offsets, table, config, snap))
        .collect();
    let wheres = where_clauses(scores, &options, config.where_beam);
    let mut all: Vec<Decoded> = Vec::new();
    for (sel, agg, select_lp) in select_candidates(scores, config.select_beam) {
        for (conds, where_lp) in &wheres {
            all.push(Decoded {
                sel,
                agg,
                conds: conds.clone(),
                log_prob: select_lp + where_lp,
            });
        }
    }
    all.sort_by(|a, b| b.log_prob.total_cmp(&a.log_prob));
    all
}

/// The best conditions on one column (operator × value span), best first.
fn cond_options(
    scores: &SlotScores,
    col: usize,
    question: &str,
    offsets: &[(usize, usize)],
    table: &Table,
    config: &GuidanceConfig,
    snap: bool,
) -> Vec<DecodedCond> {
    let mut ops: Vec<(usize, f32)> = scores.op[col].iter().copied().enumerate().collect();
    ops.sort_by(|a, b| b.1.total_cmp(&a.1));
    let spans = ranked_spans(
        &scores.value_start[col],
        &scores.value_end[col],
        config.spans_per_column,
    );
    let mut out = Vec::new();
    for &(op_i, op_lp) in ops.iter().take(config.ops_per_column) {
        for &(span, span_lp) in &spans {
            let mut cond = DecodedCond {
                col,
                op: CondOp::from_index(op_i).unwrap_or(CondOp::Eq),
                span,
                value: span_text(question, offsets, span).to_string(),
                log_prob: scores.where_col[col] + op_lp + span_lp,
            };
            if snap {
                snap_cond(&mut cond, table);
            }
            out.push(cond);
        }
    }
    out.sort_by(|a, b| b.log_prob.total_cmp(&a.log_prob));
    out
}

/// Where clauses of every size (distinct columns, at most one condition each), with the log
/// probability of their size added, best first: a beam over clauses grown one condition at a time.
fn where_clauses(
    scores: &SlotScores,
    options: &[Vec<DecodedCond>],
    beam: usize,
) -> Vec<(Vec<DecodedCond>, f32)> {
    let mut done = vec![(Vec::new(), scores.where_count[0])];
    // (conditions, summed log-probability, next column position allowed)
    let mut partial: Vec<(Vec<DecodedCond>, f32, usize)> = vec![(Vec::new(), 0.0, 0)];
    for count in 1..N_WHERE.min(options.len() + 1) {
        let mut grown = Vec::new();
        for (conds, lp, from) in &partial {
            for (pos, column) in options.iter().enumerate().skip(*from) {
                for cond in column {
                    let mut next = conds.clone();
                    next.push(cond.clone());
                    grown.push((next, lp + cond.log_prob, pos + 1));
                }
            }
        }
        grown.sort_by(|a, b| b.1.total_cmp(&a.1));
        grown.truncate(beam);
        done.extend(
            grown
                .iter()
                .map(|(c, lp, _)| (c.clone(), lp + scores.where_count[count])),
        );
        partial = grown;
    }
    done.sort_by(|a, b| b.1.total_cmp(&a.1));
    done.truncate(beam);
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores() -> SlotScores {
        let l = |p: f32| p.ln();
        SlotScores {
            sel: vec![l(0.7), l(0.2), l(0.1)],
            agg: vec![[l(0.9), l(0.02), l(0.02), l(0.02), l(0.02), l(0.02)]; 3],
            where_count: [l(0.1), l(0.7), l(0.1), l(0.05), l(0.05)],
            where_col: vec![l(0.2), l(0.9), l(0.6)],
            op: vec![[l(0.8), l(0.1), l(0.1)]; 3],
            value_start: vec![vec![l(0.6), l(0.3), l(0.1)]; 3],
            value_end: vec![vec![l(0.1), l(0.3), l(0.6)]; 3],
            family: None,
        }
    }

    #[test]
    fn where_beam_is_sorted_with_distinct_columns() {
        let s = scores();
        let q = "a b c";
        let offsets = [(0, 1), (2, 3), (4, 5)];
        let table = Table {
            id: "1".into(),
            header: vec![],
            types: vec![],
            rows: vec![],
        };
        let cfg = GuidanceConfig::default();
        let all = candidates(&s, q, &offsets, &table, &cfg, false);
        assert!(all.windows(2).all(|w| w[0].log_prob >= w[1].log_prob));
        for d in &all {
            let cols: HashSet<usize> = d.conds.iter().map(|c| c.col).collect();
            assert_eq!(cols.len(), d.conds.len(), "a column twice in {d:?}");
        }
        // The best candidate is the greedy query: select 0, one condition on column 1, span 0..=2.
        let greedy = decode_greedy(&s, q, &offsets);
        assert_eq!(key(&all[0]), key(&greedy));
        assert!((all[0].log_prob - greedy.log_prob).abs() < 1e-5);
        assert!(all.len() >= cfg.select_beam * 4);
    }
}
