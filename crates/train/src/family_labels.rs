//! Training targets of the family heads ([`sqlcoder_model::family_heads`]), from a gold
//! [`FamilyQuery`]. A WikiSQL question's targets say "no clause beyond the sketch", so the family
//! heads learn when not to fire from the same data that keeps the sketch heads sharp.
//!
//! Token positions are question-relative, as in [`crate::labels`].

use crate::value_span::find_value;
use sqlcoder_data::types::{FamilyQuery, Predicate};
use sqlcoder_data::CondValue;
use sqlcoder_model::family_classes::{
    having_op_class, item_agg_class, key_class, number_word, order_class,
};

/// HAVING's targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HavingLabel {
    /// [`sqlcoder_model::family_heads::KEY_CLASSES`].
    pub key: usize,
    /// The operand's column; `None` for `COUNT(*)`.
    pub col: Option<usize>,
    /// [`sqlcoder_data::types::CmpOp::ALL`] order.
    pub op: usize,
    /// The value's question span, when found.
    pub span: Option<(usize, usize)>,
}

/// ORDER BY's targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderLabel {
    /// [`order_class`]: 1..=4.
    pub class: usize,
    /// The key class; `None` when no class writes it (`COUNT(DISTINCT)`).
    pub key: Option<usize>,
    pub col: Option<usize>,
}

/// LIMIT's target on the question pointer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LimitLabel {
    /// No LIMIT (the pointer is not trained).
    #[default]
    None,
    /// k = 1 with no number said ("the highest"): the pointer's `[CLS]` place.
    Unspoken,
    /// k is the number at this question piece ("top 3", "the five largest").
    At(usize),
    /// k > 1 but the question does not spell it where it can be found: not trained.
    NotFound,
}

/// The family heads' targets of one example.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FamilyLabels {
    /// Every selected column item in select order: (column, [`ITEM_AGGS`] class). The first is
    /// also the sketch heads' `sel`/`agg`; empty when only `COUNT(*)` is selected.
    ///
    /// [`ITEM_AGGS`]: sqlcoder_model::family_classes::ITEM_AGGS
    pub items: Vec<(usize, usize)>,
    pub count_rows: bool,
    pub distinct: bool,
    pub or: bool,
    pub group_by: Option<usize>,
    pub having: Option<HavingLabel>,
    pub order: Option<OrderLabel>,
    pub limit: LimitLabel,
}

/// The question piece that says `k`: its digits, or its word ("three").
fn find_number(question: &str, offsets: &[(usize, usize)], k: u32) -> Option<usize> {
    let value = CondValue::Number(k.into());
    if let Some(m) = find_value(question, offsets, &value) {
        return Some(m.tokens.0);
    }
    offsets.iter().position(|&(from, to)| {
        question
            .get(from..to)
            .and_then(number_word)
            .is_some_and(|said| said == k)
    })
}

/// The question span of a condition's value: the value itself, a LIKE's text, or BETWEEN's
/// two bounds as one span from the first's first piece to the second's last.
pub fn predicate_span(
    question: &str,
    offsets: &[(usize, usize)],
    pred: &Predicate,
) -> Option<(usize, usize)> {
    let find = |v: &CondValue| find_value(question, offsets, v).map(|m| m.tokens);
    match pred {
        Predicate::Compare(_, value) => find(value),
        Predicate::Like { text, .. } => find(&CondValue::Text(text.clone())),
        Predicate::Between(low, high) => {
            let (start, low_end) = find(low)?;
            let (high_start, end) = find(high)?;
            (low_end < high_start).then_some((start, end))
        }
    }
}

impl FamilyLabels {
    /// The targets of `query` asked as `question` (tokens at byte ranges `offsets`).
    pub fn new(question: &str, offsets: &[(usize, usize)], query: &FamilyQuery) -> Self {
        let items = query
            .select
            .iter()
            .filter_map(|i| Some((i.col?, item_agg_class(i.agg))))
            .collect();
        let having = query.having.as_ref().and_then(|h| {
            Some(HavingLabel {
                key: key_class(&h.item)?,
                col: h.item.col,
                op: having_op_class(h.op),
                span: find_value(question, offsets, &h.value).map(|m| m.tokens),
            })
        });
        let order = query.order_by.as_ref().map(|o| OrderLabel {
            class: order_class(Some(o.dir), query.limit.is_some()),
            key: key_class(&o.item),
            col: o.item.col,
        });
        let limit = match query.limit {
            None => LimitLabel::None,
            Some(1) => LimitLabel::Unspoken,
            Some(k) => {
                find_number(question, offsets, k).map_or(LimitLabel::NotFound, LimitLabel::At)
            }
        };
        FamilyLabels {
            items,
            count_rows: query.select.iter().any(|i| i.col.is_none()),
            distinct: query.distinct,
            or: query.connector == sqlcoder_data::types::Connector::Or && query.conds.len() > 1,
            group_by: query.group_by,
            having,
            order,
            limit,
        }
    }

    /// Every column these targets name (for the range check).
    pub fn columns(&self) -> impl Iterator<Item = usize> + '_ {
        self.items
            .iter()
            .map(|&(c, _)| c)
            .chain(self.group_by)
            .chain(self.having.iter().filter_map(|h| h.col))
            .chain(self.order.iter().filter_map(|o| o.col))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Byte ranges of whitespace-separated words (a stand-in tokenizer).
    fn offsets(q: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, c) in q.char_indices().chain([(q.len(), ' ')]) {
            match (c == ' ', start) {
                (true, Some(s)) => {
                    out.push((s, i));
                    start = None;
                }
                (false, None) => start = Some(i),
                _ => {}
            }
        }
        out
    }

    fn query(json: &str) -> FamilyQuery {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn top_k_points_at_its_number_and_a_superlative_at_cls() {
        let q = "which three players scored the most";
        let top = query(r#"{"select":[{"col":0}],"order_by":{"col":2,"dir":"desc"},"limit":3}"#);
        let labels = FamilyLabels::new(q, &offsets(q), &top);
        assert_eq!(labels.limit, LimitLabel::At(1));
        assert_eq!(
            labels.order,
            Some(OrderLabel {
                class: 4,
                key: Some(0),
                col: Some(2)
            })
        );
        let best = query(r#"{"select":[{"col":0}],"order_by":{"col":2,"dir":"desc"},"limit":1}"#);
        assert_eq!(
            FamilyLabels::new(q, &offsets(q), &best).limit,
            LimitLabel::Unspoken
        );
    }

    #[test]
    fn grouping_counts_rows_and_having_finds_its_value() {
        let q = "departments with more than 4 employees";
        let g = query(
            r#"{"select":[{"col":1},{"agg":"count","col":null}],"group_by":1,
                "having":{"agg":"count","col":null,"op":">","value":4}}"#,
        );
        let labels = FamilyLabels::new(q, &offsets(q), &g);
        assert_eq!(labels.items, vec![(1, 0)]);
        assert!(labels.count_rows);
        assert_eq!(labels.group_by, Some(1));
        let having = labels.having.unwrap();
        assert_eq!((having.key, having.col, having.op), (1, None, 2));
        assert_eq!(having.span, Some((4, 4)));
    }

    #[test]
    fn between_spans_both_bounds() {
        let q = "players aged between 20 and 25";
        let pred = Predicate::Between(CondValue::Number(20.into()), CondValue::Number(25.into()));
        assert_eq!(predicate_span(q, &offsets(q), &pred), Some((3, 5)));
    }
}
