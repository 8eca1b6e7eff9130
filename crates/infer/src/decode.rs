//! Greedy decoding of slot scores into a query whose values are exact substrings of the question.

use super::scores::{argmax, SlotScores};
use sqlcoder_data::types::{Agg, Cond, CondOp, CondValue, Query};

/// Longest value span considered, in word pieces (WikiSQL values are short; this bounds the search).
pub const MAX_VALUE_TOKENS: usize = 16;

/// A decoded condition with where it came from in the question.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedCond {
    pub col: usize,
    pub op: CondOp,
    /// Question token span (relative to the question's first word piece), inclusive.
    pub span: (usize, usize),
    pub value: String,
    pub log_prob: f32,
}

/// A decoded query and its log-probability under the model (sum over the chosen slots).
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub sel: usize,
    pub agg: Agg,
    pub conds: Vec<DecodedCond>,
    pub log_prob: f32,
}

impl Decoded {
    pub fn query(&self) -> Query {
        Query {
            sel: self.sel,
            agg: self.agg,
            conds: self
                .conds
                .iter()
                .map(|c| Cond {
                    col: c.col,
                    op: c.op,
                    value: CondValue::Text(c.value.clone()),
                })
                .collect(),
        }
    }

    /// Probability of the whole decoded query, in [0, 1].
    pub fn confidence(&self) -> f32 {
        self.log_prob.exp()
    }
}

/// The exact question substring covered by question tokens `start..=end`.
pub fn span_text<'q>(
    question: &'q str,
    offsets: &[(usize, usize)],
    span: (usize, usize),
) -> &'q str {
    let (s, e) = span;
    if offsets.is_empty() || s >= offsets.len() {
        return "";
    }
    let e = e.min(offsets.len() - 1);
    let (a, b) = (offsets[s].0, offsets[e].1);
    question.get(a..b.max(a)).unwrap_or("")
}

/// Best `(start, end)` with `start ≤ end < start + MAX_VALUE_TOKENS`, and its log-probability.
pub fn best_span(start: &[f32], end: &[f32]) -> ((usize, usize), f32) {
    ranked_spans(start, end, 1)
        .into_iter()
        .next()
        .unwrap_or(((0, 0), f32::NEG_INFINITY))
}

/// The `k` best spans, best first.
pub fn ranked_spans(start: &[f32], end: &[f32], k: usize) -> Vec<((usize, usize), f32)> {
    let n = start.len().min(end.len());
    let mut all = Vec::new();
    for (s, &ls) in start.iter().enumerate().take(n) {
        for (e, &le) in end
            .iter()
            .enumerate()
            .take(n.min(s + MAX_VALUE_TOKENS))
            .skip(s)
        {
            all.push(((s, e), ls + le));
        }
    }
    all.sort_by(|a, b| b.1.total_cmp(&a.1));
    all.truncate(k);
    all
}

/// `(sel, agg, log P)` pairs, best first: the joint select-clause beam.
pub fn select_candidates(scores: &SlotScores, k: usize) -> Vec<(usize, Agg, f32)> {
    let mut all: Vec<(usize, Agg, f32)> = Vec::new();
    for (c, &ls) in scores.sel.iter().enumerate() {
        for agg in Agg::ALL {
            all.push((c, agg, ls + scores.agg[c][agg.index()]));
        }
    }
    all.sort_by(|a, b| b.2.total_cmp(&a.2));
    all.truncate(k);
    all
}

/// Where columns ranked by their score, best first.
pub fn ranked_where_columns(scores: &SlotScores) -> Vec<usize> {
    let mut cols: Vec<usize> = (0..scores.where_col.len()).collect();
    cols.sort_by(|&a, &b| scores.where_col[b].total_cmp(&scores.where_col[a]));
    cols
}

/// The best condition on column `col`: its operator and value span.
pub fn decode_condition(
    scores: &SlotScores,
    col: usize,
    question: &str,
    offsets: &[(usize, usize)],
) -> DecodedCond {
    let op_i = argmax(&scores.op[col]);
    let (span, span_lp) = best_span(&scores.value_start[col], &scores.value_end[col]);
    DecodedCond {
        col,
        op: CondOp::from_index(op_i).unwrap_or(CondOp::Eq),
        span,
        value: span_text(question, offsets, span).to_string(),
        log_prob: scores.where_col[col] + scores.op[col][op_i] + span_lp,
    }
}

/// Greedy decoding: best select column, its best aggregation, the most likely number of
/// conditions, and that many top-scoring where columns, each with its best operator and span.
pub fn decode_greedy(scores: &SlotScores, question: &str, offsets: &[(usize, usize)]) -> Decoded {
    let sel = argmax(&scores.sel);
    let agg_i = argmax(&scores.agg[sel]);
    let n_cols = scores.where_col.len();
    let count = argmax(&scores.where_count).min(n_cols);
    let conds: Vec<DecodedCond> = ranked_where_columns(scores)
        .into_iter()
        .take(count)
        .map(|c| decode_condition(scores, c, question, offsets))
        .collect();
    let log_prob = scores.sel[sel]
        + scores.agg[sel][agg_i]
        + scores.where_count[count]
        + conds.iter().map(|c| c.log_prob).sum::<f32>();
    Decoded {
        sel,
        agg: Agg::from_index(agg_i).unwrap_or(Agg::None),
        conds,
        log_prob,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores() -> SlotScores {
        let l = |p: f32| p.ln();
        SlotScores {
            sel: vec![l(0.1), l(0.9)],
            agg: vec![
                [l(0.5), l(0.1), l(0.1), l(0.1), l(0.1), l(0.1)],
                [l(0.1), l(0.1), l(0.1), l(0.6), l(0.05), l(0.05)],
            ],
            where_count: [l(0.1), l(0.8), l(0.05), l(0.03), l(0.02)],
            where_col: vec![l(0.9), l(0.2)],
            op: vec![[l(0.2), l(0.7), l(0.1)], [l(0.8), l(0.1), l(0.1)]],
            value_start: vec![vec![l(0.1), l(0.8), l(0.1)], vec![l(0.3), l(0.3), l(0.4)]],
            value_end: vec![vec![l(0.1), l(0.1), l(0.8)], vec![l(0.3), l(0.3), l(0.4)]],
            family: None,
        }
    }

    #[test]
    fn greedy_picks_the_best_slots_and_exact_substring() {
        let question = "players over  Butler CC";
        let offsets = [(0, 7), (8, 12), (14, 23)];
        let d = decode_greedy(&scores(), question, &offsets);
        assert_eq!(d.sel, 1);
        assert_eq!(d.agg, Agg::Count);
        assert_eq!(d.conds.len(), 1);
        assert_eq!(d.conds[0].col, 0);
        assert_eq!(d.conds[0].op, CondOp::Gt);
        assert_eq!(d.conds[0].span, (1, 2));
        assert_eq!(
            d.conds[0].value, "over  Butler CC",
            "exact substring, spacing kept"
        );
        assert!(d.confidence() > 0.0 && d.confidence() < 1.0);
    }

    #[test]
    fn spans_never_end_before_they_start() {
        let start = [0.0f32.ln(), 0.9f32.ln(), 0.1f32.ln()];
        let end = [0.9f32.ln(), 0.05f32.ln(), 0.05f32.ln()];
        let ((s, e), _) = best_span(&start, &end);
        assert!(s <= e);
    }

    #[test]
    fn select_beam_is_sorted() {
        let c = select_candidates(&scores(), 4);
        assert_eq!((c[0].0, c[0].1), (1, Agg::Count));
        assert!(c.windows(2).all(|w| w[0].2 >= w[1].2));
    }
}
