//! The majority-class baseline: every question gets the training split's most frequent
//! (select column index, aggregation) and no conditions. It is the floor the model is compared to.

use sqlcoder_data::types::{Agg, Example, Query, Table};
use std::collections::BTreeMap;

/// The most frequent `(sel, agg)` of `examples` (ties: the smallest pair); `None` when empty.
pub fn majority_select(examples: &[Example]) -> Option<(usize, Agg)> {
    let mut counts: BTreeMap<(usize, Agg), usize> = BTreeMap::new();
    for e in examples {
        *counts.entry((e.query.sel, e.query.agg)).or_default() += 1;
    }
    // max_by_key keeps the last maximum; iterate in reverse so ties go to the smallest pair.
    counts
        .into_iter()
        .rev()
        .max_by_key(|&(_, n)| n)
        .map(|(pair, _)| pair)
}

/// The baseline query on one table: the majority select clause, its column index clamped to the
/// table's last column so that every prediction executes.
pub fn baseline_query((sel, agg): (usize, Agg), table: &Table) -> Query {
    Query {
        sel: sel.min(table.header.len().saturating_sub(1)),
        agg,
        conds: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(sel: usize, agg: Agg) -> Example {
        Example {
            table_id: "t".into(),
            question: "?".into(),
            query: Query {
                sel,
                agg,
                conds: vec![],
            },
        }
    }

    #[test]
    fn the_most_frequent_pair_wins_ties_to_the_smallest() {
        let examples = [
            ex(2, Agg::None),
            ex(0, Agg::Count),
            ex(2, Agg::None),
            ex(0, Agg::Count),
            ex(1, Agg::Max),
        ];
        assert_eq!(majority_select(&examples), Some((0, Agg::Count)));
        assert_eq!(majority_select(&examples[1..]), Some((0, Agg::Count)));
        assert_eq!(majority_select(&examples[..3]), Some((2, Agg::None)));
        assert_eq!(majority_select(&[]), None);
    }

    #[test]
    fn select_index_is_clamped_to_the_table() {
        let table = Table {
            id: "t".into(),
            header: vec!["a".into(), "b".into()],
            types: vec![],
            rows: vec![],
        };
        assert_eq!(baseline_query((5, Agg::Max), &table).sel, 1);
        assert_eq!(baseline_query((0, Agg::Max), &table).sel, 0);
    }
}
