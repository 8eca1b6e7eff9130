//! The family heads' classes and the query parts they stand for, both ways: training labels
//! map a [`FamilyQuery`](sqlcoder_data::types::FamilyQuery)'s parts to classes, decoding maps
//! classes back. One table per slot, so the two directions cannot drift apart.

use crate::family_heads::{EXTRA_OPS, KEY_CLASSES};
use crate::heads::{N_AGG, N_OP};
use sqlcoder_data::types::{Aggregate, CmpOp, Direction, Item, LikeMatch, Predicate};

/// Aggregate classes of a selected column: the sketch's six in `AGG_NAMES` order, then
/// `COUNT(DISTINCT)` (the family heads' added logit).
pub const ITEM_AGGS: [Aggregate; N_AGG + 1] = [
    Aggregate::None,
    Aggregate::Max,
    Aggregate::Min,
    Aggregate::Count,
    Aggregate::Sum,
    Aggregate::Avg,
    Aggregate::CountDistinct,
];

pub fn item_agg_class(agg: Aggregate) -> usize {
    ITEM_AGGS.iter().position(|&a| a == agg).unwrap_or(0)
}

/// All operator classes: the sketch's `=`, `>`, `<`, then [`EXTRA_OPS`].
pub const N_OPS: usize = N_OP + EXTRA_OPS.len();

/// What a condition's operator class asks, before its value is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpClass {
    Compare(CmpOp),
    Between,
    Like { negated: bool, matching: LikeMatch },
}

/// Operator classes in logit order (`= > < != >= <= BETWEEN LIKE LIKE-prefix NOT-LIKE`).
pub const OP_CLASSES: [OpClass; N_OPS] = [
    OpClass::Compare(CmpOp::Eq),
    OpClass::Compare(CmpOp::Gt),
    OpClass::Compare(CmpOp::Lt),
    OpClass::Compare(CmpOp::Ne),
    OpClass::Compare(CmpOp::Ge),
    OpClass::Compare(CmpOp::Le),
    OpClass::Between,
    OpClass::Like {
        negated: false,
        matching: LikeMatch::Contains,
    },
    OpClass::Like {
        negated: false,
        matching: LikeMatch::Starts,
    },
    OpClass::Like {
        negated: true,
        matching: LikeMatch::Contains,
    },
];

/// The class of a condition's predicate; `None` for a LIKE the heads cannot write (a suffix
/// match, a negated prefix match): such a condition trains its column but not its operator.
pub fn op_class(pred: &Predicate) -> Option<usize> {
    let class = match pred {
        Predicate::Compare(op, _) => OpClass::Compare(*op),
        Predicate::Between(..) => OpClass::Between,
        Predicate::Like {
            negated, matching, ..
        } => OpClass::Like {
            negated: *negated,
            matching: *matching,
        },
    };
    OP_CLASSES.iter().position(|&c| c == class)
}

/// The [`KEY_CLASSES`] class of an ORDER BY or HAVING operand: a plain column, `COUNT(*)` (a
/// count of a column's values is read as one too: they differ only where the column is NULL),
/// or MAX/MIN/SUM/AVG of a column. `None` for `COUNT(DISTINCT)`, which no key class writes.
pub fn key_class(item: &Item) -> Option<usize> {
    match item.agg {
        Aggregate::None => Some(0),
        Aggregate::Count => Some(1),
        Aggregate::Max => Some(2),
        Aggregate::Min => Some(3),
        Aggregate::Sum => Some(4),
        Aggregate::Avg => Some(5),
        Aggregate::CountDistinct => None,
    }
}

/// The operand a key class writes over column `col`.
pub fn key_item(class: usize, col: usize) -> Item {
    match class {
        1 => Item::count_rows(),
        2 => Item::of(Aggregate::Max, col),
        3 => Item::of(Aggregate::Min, col),
        4 => Item::of(Aggregate::Sum, col),
        5 => Item::of(Aggregate::Avg, col),
        _ => Item::column(col),
    }
}

/// Whether a key class reads its column (all but `COUNT(*)`).
pub fn key_reads_column(class: usize) -> bool {
    class != 1
}

const _: () = assert!(KEY_CLASSES.len() == 6);

/// The `order` clause class: 0 none, then ASC, DESC, ASC + LIMIT, DESC + LIMIT.
pub fn order_class(order: Option<Direction>, limited: bool) -> usize {
    match (order, limited) {
        (None, _) => 0,
        (Some(Direction::Asc), false) => 1,
        (Some(Direction::Desc), false) => 2,
        (Some(Direction::Asc), true) => 3,
        (Some(Direction::Desc), true) => 4,
    }
}

/// The direction and whether a LIMIT follows, of an `order` class.
pub fn order_of_class(class: usize) -> Option<(Direction, bool)> {
    match class {
        1 => Some((Direction::Asc, false)),
        2 => Some((Direction::Desc, false)),
        3 => Some((Direction::Asc, true)),
        4 => Some((Direction::Desc, true)),
        _ => None,
    }
}

/// Small whole numbers as words, for "the three cheapest": LIMIT's k may be said so.
pub const NUMBER_WORDS: [&str; 21] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];

/// The number a word says (`"3"`, `"three"`, any case), if it is a whole number up to
/// [`NUMBER_WORDS`]' last or written in digits.
pub fn number_word(word: &str) -> Option<u32> {
    let word = word.to_lowercase();
    word.parse::<u32>().ok().or_else(|| {
        NUMBER_WORDS
            .iter()
            .position(|&w| w == word)
            .map(|k| k as u32)
    })
}

/// HAVING's operator classes, in [`CmpOp::ALL`] order.
pub fn having_op_class(op: CmpOp) -> usize {
    CmpOp::ALL.iter().position(|&o| o == op).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlcoder_data::CondValue;

    #[test]
    fn classes_round_trip() {
        for (i, &agg) in ITEM_AGGS.iter().enumerate() {
            assert_eq!(item_agg_class(agg), i);
        }
        for class in 0..KEY_CLASSES.len() {
            assert_eq!(key_class(&key_item(class, 2)), Some(class));
        }
        for class in 0..5 {
            let back = order_of_class(class);
            assert_eq!(
                order_class(back.map(|b| b.0), back.is_some_and(|b| b.1)),
                class
            );
        }
        let like = |negated, matching| Predicate::Like {
            negated,
            text: "x".into(),
            matching,
        };
        assert_eq!(op_class(&like(true, LikeMatch::Contains)), Some(9));
        assert_eq!(op_class(&like(false, LikeMatch::Ends)), None);
        let v = CondValue::Text("a".into());
        assert_eq!(op_class(&Predicate::Between(v.clone(), v.clone())), Some(6));
        // The sketch's operators keep their classes (`OP_NAMES` order).
        assert_eq!(op_class(&Predicate::Compare(CmpOp::Lt, v)), Some(2));
    }
}
