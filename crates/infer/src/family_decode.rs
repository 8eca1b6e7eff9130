//! Greedy decoding of the family heads' scores ([`FamilyScores`]) into a query beyond WikiSQL's
//! sketch. When the clause heads choose the sketch's shape (one column item, no clause beyond
//! it, the sketch's operators), nothing is decoded here: the sketch's decoding, with execution
//! guidance and its tuned rules, answers as before.
//!
//! Every slot comes from a head; the only rules are how a choice is spelled:
//! - selected columns are the top n of the select scores (n from the select-count head), each
//!   with its own aggregate, listed with the GROUP BY column first, then in the table's column
//!   order, `COUNT(*)` last (people list columns as the table does: on the tune part this order
//!   is the gold's for 142 of 146 questions selecting several items without grouping, the order
//!   of mention for 96; experiments/family/select_order.py);
//! - a value is the question's words under the best span; BETWEEN's span is split at its "and"
//!   / "to" / "through" / "-"; LIMIT's k is the number at the limit pointer (digits or a word up to
//!   "twenty"), 1 when it points at `[CLS]`;
//! - a column may hold two conditions ("from the UK or Ireland"): training points its value
//!   pointer at both values, so its two best disjoint spans compete with the next column for a
//!   condition slot (`conditions`);
//! - a query the heads fill inconsistently ([`FamilyQuery::check`] fails, a bound or k that
//!   cannot be read) is returned with `well_formed` false: the answer then says "Not sure".

use super::decode::{best_span, ranked_spans, span_text};
use super::scores::{argmax, FamilyScores, SlotScores};
use sqlcoder_data::types::{
    Aggregate, CmpOp, CondValue, Condition, Connector, FamilyQuery, Having, Item, OrderBy,
    Predicate, Table,
};
use sqlcoder_model::family_classes::{
    item_agg_class, key_item, key_reads_column, number_word, order_of_class, OpClass, ITEM_AGGS,
    OP_CLASSES,
};
use sqlcoder_model::family_heads::Clause;
use sqlcoder_model::heads::N_OP;

/// A query decoded from the family heads, with its log-probability (the sum over every slot
/// chosen, clause heads included).
#[derive(Clone, Debug, PartialEq)]
pub struct FamilyDecoded {
    pub query: FamilyQuery,
    pub log_prob: f32,
    /// The heads' choices make a query of the family; false: the answer abstains.
    pub well_formed: bool,
    /// The probability the clause heads give the sketch's shape (one item with a sketch
    /// aggregate, no clause beyond the sketch, the sketch's operators, AND), their choices
    /// taken as independent: how close the question came to staying in the sketch.
    /// [`super::decide::AnswerOptions::leave_sketch_below`] gates on it.
    pub sketch_prob: f32,
}

impl FamilyDecoded {
    pub fn confidence(&self) -> f32 {
        self.log_prob.exp()
    }
}

/// The chosen class of a clause head and its log-probability.
fn pick(f: &FamilyScores, clause: Clause) -> (usize, f32) {
    let scores = f.clause(clause);
    let i = argmax(scores);
    (i, scores[i])
}

/// Decodes `scores` beyond the sketch; `None` when the heads choose the sketch's shape (or the
/// model has no family heads).
///
/// `select_share` (0: off) widens the select list of a query already beyond the sketch: a column
/// joins the select-count head's top n when its select probability is at least that share of
/// the top column's. The select scores are trained towards an even split over the gold columns,
/// so a second column said in the question shows as a second peak even where the count head,
/// reading `[CLS]` alone, says one.
pub fn decode_family(
    scores: &SlotScores,
    question: &str,
    offsets: &[(usize, usize)],
    table: &Table,
    select_share: f32,
) -> Option<FamilyDecoded> {
    let f = scores.family.as_ref()?;
    let mut log_prob = 0.0;
    let mut take = |clause: Clause| {
        let (class, lp) = pick(f, clause);
        log_prob += lp;
        class
    };
    let n_items = take(Clause::SelectCount);
    let count_rows = take(Clause::CountRows) == 1;
    let distinct = take(Clause::Distinct) == 1;
    let or = take(Clause::Connector) == 1;
    let grouped = take(Clause::GroupBy) == 1;
    let has_having = take(Clause::Having) == 1;
    let order = order_of_class(take(Clause::Order));

    let (conds, conds_lp, conds_ok) = conditions(scores, f, question, offsets);
    log_prob += conds_lp;
    let sketch_ops = conds.iter().all(|c| {
        matches!(&c.pred, Predicate::Compare(op, _) if matches!(op, CmpOp::Eq | CmpOp::Gt | CmpOp::Lt))
    });
    let top = argmax(&scores.sel);
    let sketch_agg = ITEM_AGGS[argmax(&f.agg[top])] != Aggregate::CountDistinct;
    let one_per_column = conds
        .iter()
        .enumerate()
        .all(|(i, c)| conds[..i].iter().all(|d| d.col != c.col));
    let sketch_shape = n_items == 1
        && sketch_agg
        && !count_rows
        && !distinct
        && !grouped
        && !has_having
        && order.is_none()
        && sketch_ops
        && one_per_column
        && (!or || conds.len() < 2);
    if sketch_shape {
        return None;
    }
    let sketch_prob = sketch_probability(scores, f, &conds);

    let mut well_formed = conds_ok;
    let mut query = FamilyQuery::empty();
    let n_items = n_items.max(columns_near_top(&scores.sel, select_share));
    let (mut items, items_lp) = select_items(scores, f, n_items, count_rows);
    log_prob += items_lp;
    if grouped {
        let col = argmax(&f.columns[0]);
        log_prob += f.columns[0][col];
        query.group_by = Some(col);
        // A per-group answer lists its group first.
        if let Some(at) = items.iter().position(|i| *i == Item::column(col)) {
            let group = items.remove(at);
            items.insert(0, group);
        }
    }
    query.select = items;
    query.distinct = distinct;
    query.conds = conds;
    query.connector = if or { Connector::Or } else { Connector::And };
    if has_having {
        let (key, key_lp) = best_key(f.clause(Clause::HavingKey), true);
        let col = argmax(&f.columns[1]);
        let (op_class, op_lp) = pick(f, Clause::HavingOp);
        log_prob += key_lp
            + op_lp
            + if key_reads_column(key) {
                f.columns[1][col]
            } else {
                0.0
            };
        let (span, span_lp) = best_span(&f.having_start, &f.having_end);
        log_prob += span_lp;
        let text = span_text(question, offsets, span);
        well_formed &= !text.trim().is_empty();
        query.having = Some(Having {
            item: key_item(key, col),
            op: CmpOp::ALL[op_class.min(CmpOp::ALL.len() - 1)],
            value: number_or_text(text),
        });
    }
    if let Some((dir, limited)) = order {
        let (key, key_lp) = best_key(f.clause(Clause::OrderKey), false);
        let col = argmax(&f.columns[2]);
        log_prob += key_lp
            + if key_reads_column(key) {
                f.columns[2][col]
            } else {
                0.0
            };
        query.order_by = Some(OrderBy {
            item: key_item(key, col),
            dir,
        });
        if limited {
            let at = argmax(&f.limit);
            log_prob += f.limit[at];
            let k = match at {
                0 => Some(1),
                t => number_at(question, offsets, t - 1),
            };
            well_formed &= k.is_some();
            query.limit = Some(k.unwrap_or(1));
        }
    }
    well_formed &= query.check(table).is_ok();
    Some(FamilyDecoded {
        query,
        log_prob,
        well_formed,
        sketch_prob,
    })
}

/// [`FamilyDecoded::sketch_prob`] for a question whose where clause decoded to `conds`.
fn sketch_probability(scores: &SlotScores, f: &FamilyScores, conds: &[Condition]) -> f32 {
    let stays = [
        (Clause::SelectCount, 1),
        (Clause::CountRows, 0),
        (Clause::Distinct, 0),
        (Clause::GroupBy, 0),
        (Clause::Having, 0),
        (Clause::Order, 0),
    ];
    let mut log_prob: f32 = stays.iter().map(|&(c, class)| f.clause(c)[class]).sum();
    let distinct_count = item_agg_class(Aggregate::CountDistinct);
    log_prob += (1.0 - f.agg[argmax(&scores.sel)][distinct_count].exp())
        .max(f32::MIN_POSITIVE)
        .ln();
    // The sketch's operators are the first classes of the operator head.
    for c in conds {
        log_prob += log_sum_exp(&f.op[c.col][..N_OP]);
    }
    if conds.len() > 1 {
        log_prob += f.clause(Clause::Connector)[0];
    }
    log_prob.exp()
}

fn log_sum_exp(log_probs: &[f32]) -> f32 {
    let max = log_probs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if max == f32::NEG_INFINITY {
        return max;
    }
    max + log_probs.iter().map(|l| (l - max).exp()).sum::<f32>().ln()
}

/// The best key class and its log-probability; `operand_only`: the plain column is no HAVING
/// operand, so its class is skipped.
fn best_key(scores: &[f32], operand_only: bool) -> (usize, f32) {
    let first = usize::from(operand_only);
    let i = first + argmax(&scores[first..]);
    (i, scores[i])
}

/// The where clause: the where-count head's number of conditions, each a column with its family
/// operator and a value span, and whether every value could be read.
///
/// A column's first condition scores its where-column log-probability (the sketch's ranking); a
/// second condition on the same column scores that plus how much less likely its two best
/// disjoint spans are than its best span taken twice. Trained on "the UK or Ireland", the value
/// pointer splits its mass between both values and the second condition costs little; on a
/// single value it costs the pointer's whole doubt, so another column usually wins the slot.
fn conditions(
    scores: &SlotScores,
    f: &FamilyScores,
    question: &str,
    offsets: &[(usize, usize)],
) -> (Vec<Condition>, f32, bool) {
    let n = argmax(&scores.where_count);
    let mut log_prob = scores.where_count[n];
    // (column, its value spans, the score that ranks it).
    let mut candidates: Vec<(usize, Vec<Span>, f32)> = Vec::new();
    for col in 0..scores.where_col.len() {
        let ranked = ranked_spans(&scores.value_start[col], &scores.value_end[col], SPAN_PAIRS);
        let Some(&best) = ranked.first() else {
            continue;
        };
        candidates.push((col, vec![best], scores.where_col[col]));
        if let Some(pair) = best_disjoint_pair(&ranked) {
            let cost = pair[0].1 + pair[1].1 - 2.0 * best.1;
            candidates.push((col, pair.to_vec(), scores.where_col[col] + cost));
        }
    }
    // Stable: a column's single condition stays ahead of its pair at equal scores.
    candidates.sort_by(|a, b| b.2.total_cmp(&a.2));
    let mut chosen: Vec<(usize, Vec<Span>)> = Vec::new();
    let mut slots = 0;
    for (col, spans, _) in candidates {
        if slots >= n {
            break;
        }
        match chosen.iter_mut().find(|(c, _)| *c == col) {
            // The pair replaces the column's single condition.
            Some(held) if spans.len() == 2 && held.1.len() == 1 => {
                held.1 = spans;
                slots += 1;
            }
            Some(_) => {}
            None if spans.len() == 1 => {
                chosen.push((col, spans));
                slots += 1;
            }
            None => {}
        }
    }
    let mut ok = true;
    let mut conds = Vec::new();
    for (col, spans) in chosen {
        let op = argmax(&f.op[col]);
        log_prob += scores.where_col[col];
        for (span, span_lp) in spans {
            log_prob += f.op[col][op] + span_lp;
            let text = span_text(question, offsets, span).to_string();
            let pred = match OP_CLASSES[op] {
                OpClass::Compare(cmp) => Predicate::Compare(cmp, CondValue::Text(text)),
                OpClass::Between => match split_bounds(&text) {
                    Some((low, high)) => Predicate::Between(
                        CondValue::Text(low.to_string()),
                        CondValue::Text(high.to_string()),
                    ),
                    None => {
                        ok = false;
                        Predicate::Compare(CmpOp::Eq, CondValue::Text(text))
                    }
                },
                OpClass::Like { negated, matching } => Predicate::Like {
                    negated,
                    text,
                    matching,
                },
            };
            conds.push(Condition { col, pred });
        }
    }
    (conds, log_prob, ok)
}

/// A value span (question pieces, inclusive) and its log-probability.
type Span = ((usize, usize), f32);

/// Spans searched for a column's second value.
const SPAN_PAIRS: usize = 24;

/// The two disjoint spans of `ranked` (best first) with the highest summed log-probability, in
/// question order.
fn best_disjoint_pair(ranked: &[Span]) -> Option<[Span; 2]> {
    let mut best: Option<[Span; 2]> = None;
    for (i, a) in ranked.iter().enumerate() {
        for b in &ranked[i + 1..] {
            let disjoint = a.0 .1 < b.0 .0 || b.0 .1 < a.0 .0;
            if disjoint && best.is_none_or(|p| a.1 + b.1 > p[0].1 + p[1].1) {
                best = Some(if a.0 .0 < b.0 .0 { [*a, *b] } else { [*b, *a] });
            }
        }
    }
    best
}

/// BETWEEN's two bounds from one span: "10 and 20", "10 to 20", "10 - 20".
fn split_bounds(text: &str) -> Option<(&str, &str)> {
    for sep in [" and ", " to ", " through ", " - ", "-"] {
        if let Some((low, high)) = text.split_once(sep) {
            let (low, high) = (low.trim(), high.trim());
            if !low.is_empty() && !high.is_empty() {
                return Some((low, high));
            }
        }
    }
    None
}

/// A value as a number when it reads as one, else as text.
fn number_or_text(text: &str) -> CondValue {
    let clean = text.trim().replace(',', "");
    if let Ok(i) = clean.parse::<i64>() {
        return CondValue::Number(i.into());
    }
    match clean
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
    {
        Some(n) => CondValue::Number(n),
        None => CondValue::Text(text.trim().to_string()),
    }
}

/// The whole number said by the word holding question token `t` (≥ 1).
fn number_at(question: &str, offsets: &[(usize, usize)], t: usize) -> Option<u32> {
    let &(from, to) = offsets.get(t)?;
    // Widen the piece to its whole word ("##5" of "25").
    let bytes = question.as_bytes();
    let mut start = from;
    while start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
        start -= 1;
    }
    let mut end = to;
    while end < bytes.len() && bytes[end].is_ascii_alphanumeric() {
        end += 1;
    }
    number_word(question.get(start..end)?).filter(|&k| k >= 1)
}

/// The selected items in table order (`COUNT(*)` last), with the log-probability of the choice.
/// How many select columns have a probability at least `share` of the top one's (0 when `share`
/// is 0), at most [`Clause::SelectCount`]'s largest class. `sel` holds log-probabilities.
fn columns_near_top(sel: &[f32], share: f32) -> usize {
    if share <= 0.0 || sel.is_empty() {
        return 0;
    }
    let floor = sel[argmax(sel)] + share.ln();
    let near = sel.iter().filter(|&&lp| lp >= floor).count();
    near.min(Clause::SelectCount.classes() - 1)
}

fn select_items(
    scores: &SlotScores,
    f: &FamilyScores,
    n_items: usize,
    count_rows: bool,
) -> (Vec<Item>, f32) {
    let mut cols: Vec<usize> = (0..scores.sel.len()).collect();
    cols.sort_by(|&a, &b| scores.sel[b].total_cmp(&scores.sel[a]));
    cols.truncate(n_items);
    cols.sort_unstable();
    let mut log_prob = 0.0;
    let mut items: Vec<Item> = cols
        .into_iter()
        .map(|col| {
            let agg = argmax(&f.agg[col]);
            log_prob += scores.sel[col] + f.agg[col][agg];
            Item::of(ITEM_AGGS[agg], col)
        })
        .collect();
    if count_rows {
        items.push(Item::count_rows());
    }
    (items, log_prob)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use sqlcoder_data::types::{ColumnType, Direction};
    use sqlcoder_model::family_classes::N_OPS;
    use sqlcoder_model::heads::{N_AGG, N_OP};

    /// Log-probabilities with `p` on class `hot` and the rest spread evenly.
    fn onehot(n: usize, hot: usize, p: f32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                if i == hot {
                    p
                } else {
                    (1.0 - p) / (n - 1) as f32
                }
            })
            .map(f32::ln)
            .collect()
    }

    pub(crate) fn players() -> Table {
        Table::new(
            "players",
            &["Player", "Team", "Points"],
            &[ColumnType::Text, ColumnType::Text, ColumnType::Real],
            vec![
                vec!["Ann".into(), "Reds".into(), 30.0.into()],
                vec!["Bob".into(), "Blues".into(), 12.0.into()],
            ],
        )
    }

    /// Scores for a 3-column table and a 6-piece question, every clause head choosing
    /// `classes[clause]` (class 0 where not given), select on `sel`, no condition.
    pub(crate) fn scores(classes: &[(Clause, usize)], sel: usize, order_col: usize) -> SlotScores {
        let n_q = 6;
        let clauses = Clause::ALL
            .iter()
            .map(|&c| {
                let hot = classes.iter().find(|(k, _)| *k == c).map_or(0, |&(_, v)| v);
                onehot(c.classes(), hot, 0.9)
            })
            .collect();
        let arr = |v: Vec<f32>| -> [f32; N_AGG + 1] { v.try_into().unwrap() };
        let ops = |v: Vec<f32>| -> [f32; N_OPS] { v.try_into().unwrap() };
        SlotScores {
            sel: onehot(3, sel, 0.8),
            agg: vec![[0.0f32.ln().max(-30.0); N_AGG]; 3],
            where_count: onehot(5, 0, 0.9).try_into().unwrap(),
            where_col: vec![0.1f32.ln(); 3],
            op: vec![[(1.0f32 / 3.0).ln(); N_OP]; 3],
            value_start: vec![onehot(n_q, 0, 0.9); 3],
            value_end: vec![onehot(n_q, 0, 0.9); 3],
            family: Some(FamilyScores {
                clauses,
                agg: vec![arr(onehot(N_AGG + 1, 0, 0.9)); 3],
                op: vec![ops(onehot(N_OPS, 0, 0.9)); 3],
                columns: [
                    onehot(3, 1, 0.9),
                    onehot(3, 0, 0.9),
                    onehot(3, order_col, 0.9),
                ],
                limit: onehot(n_q + 1, 0, 0.9),
                having_start: onehot(n_q, 0, 0.9),
                having_end: onehot(n_q, 0, 0.9),
            }),
        }
    }

    #[test]
    fn a_superlative_decodes_to_order_by_limit_1() {
        let q = "which player scored the most points";
        let offsets = [(0, 5), (6, 12), (13, 19), (20, 23), (24, 28), (29, 35)];
        // Order class 4: DESC + LIMIT; key class 0: the plain column.
        let s = scores(&[(Clause::SelectCount, 1), (Clause::Order, 4)], 0, 2);
        let d = decode_family(&s, q, &offsets, &players(), 0.0).unwrap();
        assert!(d.well_formed);
        assert_eq!(d.query.select, vec![Item::column(0)]);
        let order = d.query.order_by.unwrap();
        assert_eq!((order.item, order.dir), (Item::column(2), Direction::Desc));
        assert_eq!(d.query.limit, Some(1));
        assert!(d.confidence() > 0.1 && d.confidence() < 1.0);
    }

    #[test]
    fn the_sketch_shape_is_left_to_the_sketch_decoder() {
        let s = scores(&[(Clause::SelectCount, 1)], 0, 2);
        assert_eq!(
            decode_family(&s, "who plays", &[(0, 3), (4, 9)], &players(), 0.0),
            None
        );
        let mut plain = s.clone();
        plain.family = None;
        assert_eq!(
            decode_family(&plain, "who", &[(0, 3)], &players(), 0.0),
            None
        );
    }

    /// Log-probabilities split evenly between classes `a` and `b` (nearly all the mass).
    fn twohot(n: usize, a: usize, b: usize) -> Vec<f32> {
        (0..n)
            .map(|i| {
                if i == a || i == b {
                    0.49
                } else {
                    0.02 / (n - 2) as f32
                }
            })
            .map(f32::ln)
            .collect()
    }

    #[test]
    fn a_second_peak_of_the_select_scores_widens_a_list_beyond_the_sketch_only() {
        let q = "which player scored the most points";
        let offsets = [(0, 5), (6, 12), (13, 19), (20, 23), (24, 28), (29, 35)];
        let mut s = scores(&[(Clause::SelectCount, 1), (Clause::Order, 4)], 0, 2);
        // One clear column: the share finds no second one.
        let d = decode_family(&s, q, &offsets, &players(), 0.5).unwrap();
        assert_eq!(d.query.select, vec![Item::column(0)]);
        // Split between columns 0 and 2: off, the count head's one; on, both, in table order.
        s.sel = twohot(3, 2, 0);
        let d = decode_family(&s, q, &offsets, &players(), 0.0).unwrap();
        assert_eq!(d.query.select.len(), 1);
        let d = decode_family(&s, q, &offsets, &players(), 0.5).unwrap();
        assert_eq!(d.query.select, vec![Item::column(0), Item::column(2)]);
        // A question the clause heads keep in the sketch stays there.
        let mut plain = scores(&[(Clause::SelectCount, 1)], 0, 2);
        plain.sel = twohot(3, 2, 0);
        assert_eq!(decode_family(&plain, q, &offsets, &players(), 0.5), None);
        assert_eq!(columns_near_top(&twohot(3, 2, 0), 0.0), 0);
    }

    #[test]
    fn a_column_whose_value_pointer_splits_between_two_values_holds_two_conditions() {
        let q = "players from reds or blues";
        let offsets = [(0, 7), (8, 12), (13, 17), (18, 20), (21, 26)];
        let mut s = scores(&[(Clause::SelectCount, 1), (Clause::Connector, 1)], 0, 2);
        s.where_count = onehot(5, 2, 0.9).try_into().unwrap();
        s.where_col = vec![0.05f32.ln(), 0.95f32.ln(), 0.05f32.ln()];
        s.value_start[1] = twohot(6, 2, 4);
        s.value_end[1] = twohot(6, 2, 4);
        let d = decode_family(&s, q, &offsets, &players(), 0.0).unwrap();
        let values: Vec<(usize, &Predicate)> =
            d.query.conds.iter().map(|c| (c.col, &c.pred)).collect();
        let text = |t: &str| Predicate::Compare(CmpOp::Eq, CondValue::Text(t.into()));
        assert_eq!(values, vec![(1, &text("reds")), (1, &text("blues"))]);
        assert_eq!(d.query.connector, Connector::Or);

        // One value on that column, and another column likely: one condition each.
        s.value_start[1] = onehot(6, 2, 0.9);
        s.value_end[1] = onehot(6, 2, 0.9);
        s.where_col[0] = 0.6f32.ln();
        let d = decode_family(&s, q, &offsets, &players(), 0.0).unwrap();
        let cols: Vec<usize> = d.query.conds.iter().map(|c| c.col).collect();
        assert_eq!(cols, vec![1, 0]);
    }

    #[test]
    fn a_distinct_count_leaves_the_sketch_and_the_gate_can_keep_it_there() {
        let q = "how many different teams";
        let offsets = [(0, 3), (4, 8), (9, 18), (19, 24)];
        let mut s = scores(&[(Clause::SelectCount, 1)], 1, 0);
        s.family.as_mut().unwrap().agg[1] =
            onehot(N_AGG + 1, item_agg_class(Aggregate::CountDistinct), 0.7)
                .try_into()
                .unwrap();
        let d = decode_family(&s, q, &offsets, &players(), 0.0).unwrap();
        assert_eq!(d.query.select, vec![Item::of(Aggregate::CountDistinct, 1)]);
        // Every other clause head says "sketch" at 0.9 (select count, count rows, DISTINCT,
        // GROUP BY, HAVING, ORDER BY); COUNT(DISTINCT) is 0.7.
        let expected = 0.9f32.powi(6) * 0.3;
        assert!((d.sketch_prob - expected).abs() < 1e-4, "{}", d.sketch_prob);
        let mut options = crate::AnswerOptions::default();
        assert!(options.leaves_sketch(&d));
        options.leave_sketch_below = 0.1;
        assert!(!options.leaves_sketch(&d));
    }

    #[test]
    fn a_count_per_group_lists_the_group_then_the_count() {
        let q = "how many players per team";
        let offsets = [(0, 3), (4, 8), (9, 16), (17, 20), (21, 25)];
        let s = scores(
            &[
                (Clause::SelectCount, 1),
                (Clause::CountRows, 1),
                (Clause::GroupBy, 1),
            ],
            1,
            0,
        );
        let d = decode_family(&s, q, &offsets, &players(), 0.0).unwrap();
        assert!(d.well_formed, "{:?}", d.query);
        assert_eq!(d.query.group_by, Some(1));
        assert_eq!(d.query.select, vec![Item::column(1), Item::count_rows()]);
    }

    #[test]
    fn bounds_and_numbers() {
        assert_eq!(split_bounds("10 and 20"), Some(("10", "20")));
        assert_eq!(split_bounds("1990 to 2000"), Some(("1990", "2000")));
        assert_eq!(split_bounds("2018 through 2020"), Some(("2018", "2020")));
        assert_eq!(split_bounds("5-9"), Some(("5", "9")));
        assert_eq!(split_bounds("ten"), None);
        let q = "which three players scored 25 points";
        let offsets = [
            (0, 5),
            (6, 11),
            (12, 19),
            (20, 26),
            (27, 28),
            (28, 29),
            (30, 36),
        ];
        assert_eq!(number_at(q, &offsets, 1), Some(3));
        assert_eq!(
            number_at(q, &offsets, 5),
            Some(25),
            "a piece widens to its word"
        );
        assert_eq!(number_at(q, &offsets, 0), None);
        assert_eq!(number_or_text("1,200"), CondValue::Number(1200.into()));
        assert_eq!(number_or_text("Paris"), CondValue::Text("Paris".into()));
    }
}
