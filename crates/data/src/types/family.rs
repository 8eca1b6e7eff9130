//! The query family: the single-table SQL that questions need beyond WikiSQL's sketch.
//!
//! ```text
//! SELECT [DISTINCT] item [, item ...] FROM t
//!   [WHERE cond {AND ... | OR ...}]          one connector per WHERE clause
//!   [GROUP BY col [HAVING agg op value]]     cond: col op value | col BETWEEN v AND w | col [NOT] LIKE text
//!   [ORDER BY col | agg  ASC | DESC] [LIMIT k]                 op: = != > < >= <=
//! item / agg: col | MAX|MIN|SUM|AVG(col) | COUNT(*) | COUNT(col) | COUNT(DISTINCT col)
//! ```
//!
//! WikiSQL's sketch is the case "one item, AND, only `=`/`>`/`<`, no GROUP BY / ORDER BY / LIMIT /
//! DISTINCT" ([`FamilyQuery::to_sketch`]); a [`Query`] widens losslessly ([`FamilyQuery::from`]).
//! The JSON form (gold files, predictions, answers) is written out in `data/ood/FAMILY.md`.

use super::{Agg, ColumnType, Cond, CondOp, CondValue, Query, Table};
use crate::dates::DateFormat;
use serde::{Deserialize, Serialize};

/// An aggregate over a column, or none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    #[default]
    #[serde(rename = "")]
    None,
    Max,
    Min,
    Sum,
    Avg,
    /// `COUNT(*)` without a column, `COUNT(col)` with one.
    Count,
    CountDistinct,
}

impl Aggregate {
    pub const ALL: [Aggregate; 7] = [
        Aggregate::None,
        Aggregate::Max,
        Aggregate::Min,
        Aggregate::Sum,
        Aggregate::Avg,
        Aggregate::Count,
        Aggregate::CountDistinct,
    ];

    /// The SQL function name ("" for none; `COUNT` for both counts).
    pub fn sql_name(self) -> &'static str {
        match self {
            Aggregate::None => "",
            Aggregate::Max => "MAX",
            Aggregate::Min => "MIN",
            Aggregate::Sum => "SUM",
            Aggregate::Avg => "AVG",
            Aggregate::Count | Aggregate::CountDistinct => "COUNT",
        }
    }
}

/// A selected item, an ORDER BY key or a HAVING operand: `col`, `AGG(col)`, or `COUNT(*)`
/// ([`Aggregate::Count`] with no column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Item {
    #[serde(default, skip_serializing_if = "is_no_agg")]
    pub agg: Aggregate,
    pub col: Option<usize>,
}

fn is_no_agg(agg: &Aggregate) -> bool {
    *agg == Aggregate::None
}

impl Item {
    pub fn column(col: usize) -> Item {
        Item {
            agg: Aggregate::None,
            col: Some(col),
        }
    }
    pub fn of(agg: Aggregate, col: usize) -> Item {
        Item {
            agg,
            col: Some(col),
        }
    }
    /// `COUNT(*)`.
    pub fn count_rows() -> Item {
        Item {
            agg: Aggregate::Count,
            col: None,
        }
    }
    pub fn is_aggregate(&self) -> bool {
        self.agg != Aggregate::None
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "<=")]
    Le,
}

impl CmpOp {
    pub const ALL: [CmpOp; 6] = [
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Gt,
        CmpOp::Lt,
        CmpOp::Ge,
        CmpOp::Le,
    ];

    /// The SQL operator (`!=` is written `<>`, the standard spelling every engine takes).
    pub fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Gt => ">",
            CmpOp::Lt => "<",
            CmpOp::Ge => ">=",
            CmpOp::Le => "<=",
        }
    }

    fn from_sketch(op: CondOp) -> CmpOp {
        match op {
            CondOp::Eq => CmpOp::Eq,
            CondOp::Gt => CmpOp::Gt,
            CondOp::Lt => CmpOp::Lt,
        }
    }

    fn to_sketch(self) -> Option<CondOp> {
        match self {
            CmpOp::Eq => Some(CondOp::Eq),
            CmpOp::Gt => Some(CondOp::Gt),
            CmpOp::Lt => Some(CondOp::Lt),
            _ => None,
        }
    }
}

/// Where a LIKE's text must sit in the cell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LikeMatch {
    #[default]
    Contains,
    Starts,
    Ends,
}

/// What a condition asks of its column.
#[derive(Clone, Debug, PartialEq)]
pub enum Predicate {
    Compare(CmpOp, CondValue),
    /// Inclusive at both ends.
    Between(CondValue, CondValue),
    /// `[NOT] LIKE`: `text` is literal (the assembler adds the wildcards and escapes `%`/`_`),
    /// compared case-insensitively.
    Like {
        negated: bool,
        text: String,
        matching: LikeMatch,
    },
}

/// `col <predicate>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub col: usize,
    pub pred: Predicate,
}

/// How a WHERE clause joins its conditions (one connector per clause, no parentheses).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Connector {
    #[default]
    And,
    Or,
}

/// `HAVING item op value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Having {
    pub item: Item,
    pub op: CmpOp,
    pub value: CondValue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Asc,
    Desc,
}

/// `ORDER BY item dir`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OrderBy {
    pub item: Item,
    pub dir: Direction,
}

/// A query of the family (see the module docs). Build through the JSON form or the fields;
/// [`FamilyQuery::check`] says whether it is well formed on a table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "wire::FamilyWire", into = "wire::FamilyWire")]
pub struct FamilyQuery {
    pub select: Vec<Item>,
    pub distinct: bool,
    pub conds: Vec<Condition>,
    pub connector: Connector,
    pub group_by: Option<usize>,
    pub having: Option<Having>,
    pub order_by: Option<OrderBy>,
    pub limit: Option<u32>,
}

impl From<&Query> for FamilyQuery {
    /// The sketch's query in the family: WikiSQL's COUNT counts its column's values (`COUNT(col)`).
    fn from(q: &Query) -> FamilyQuery {
        let agg = match q.agg {
            Agg::None => Aggregate::None,
            Agg::Max => Aggregate::Max,
            Agg::Min => Aggregate::Min,
            Agg::Count => Aggregate::Count,
            Agg::Sum => Aggregate::Sum,
            Agg::Avg => Aggregate::Avg,
        };
        FamilyQuery {
            select: vec![Item::of(agg, q.sel)],
            conds: q
                .conds
                .iter()
                .map(|c| Condition {
                    col: c.col,
                    pred: Predicate::Compare(CmpOp::from_sketch(c.op), c.value.clone()),
                })
                .collect(),
            ..FamilyQuery::empty()
        }
    }
}

/// Why a family query is not well formed on a table.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FamilyError {
    #[error("{0} column {1} is out of range: the table has {2} columns")]
    ColumnOutOfRange(&'static str, usize, usize),
    #[error("{0}")]
    Malformed(String),
}

impl FamilyQuery {
    /// No items, no clauses: a start for building one field by field.
    pub fn empty() -> FamilyQuery {
        FamilyQuery {
            select: Vec::new(),
            distinct: false,
            conds: Vec::new(),
            connector: Connector::And,
            group_by: None,
            having: None,
            order_by: None,
            limit: None,
        }
    }

    /// The query in WikiSQL's sketch, when it is one: one item (COUNT with a column), conditions
    /// `=`/`>`/`<` joined by AND (OR with one condition is the same query), no other clause.
    pub fn to_sketch(&self) -> Option<Query> {
        let [item] = self.select.as_slice() else {
            return None;
        };
        if self.distinct
            || self.group_by.is_some()
            || self.having.is_some()
            || self.order_by.is_some()
            || self.limit.is_some()
            || (self.connector == Connector::Or && self.conds.len() > 1)
        {
            return None;
        }
        let agg = match item.agg {
            Aggregate::None => Agg::None,
            Aggregate::Max => Agg::Max,
            Aggregate::Min => Agg::Min,
            Aggregate::Sum => Agg::Sum,
            Aggregate::Avg => Agg::Avg,
            Aggregate::Count => Agg::Count,
            Aggregate::CountDistinct => return None,
        };
        let conds = self
            .conds
            .iter()
            .map(|c| match &c.pred {
                Predicate::Compare(op, value) => Some(Cond {
                    col: c.col,
                    op: op.to_sketch()?,
                    value: value.clone(),
                }),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Query {
            sel: item.col?,
            agg,
            conds,
        })
    }

    /// Every column the query names, with the slot naming it.
    fn columns(&self) -> Vec<(&'static str, usize)> {
        let mut cols: Vec<(&'static str, usize)> = Vec::new();
        cols.extend(
            self.select
                .iter()
                .filter_map(|i| i.col.map(|c| ("select", c))),
        );
        cols.extend(self.conds.iter().map(|c| ("condition", c.col)));
        cols.extend(self.group_by.map(|c| ("group by", c)));
        cols.extend(
            self.having
                .iter()
                .filter_map(|h| h.item.col.map(|c| ("having", c))),
        );
        cols.extend(
            self.order_by
                .iter()
                .filter_map(|o| o.item.col.map(|c| ("order by", c))),
        );
        cols
    }

    /// Whether the query is well formed on `table`: columns in range, aggregates that fit their
    /// column, and the clause rules of the family (see `data/ood/FAMILY.md`).
    pub fn check(&self, table: &Table) -> Result<(), FamilyError> {
        let width = table.header.len();
        for (slot, col) in self.columns() {
            if col >= width {
                return Err(FamilyError::ColumnOutOfRange(slot, col, width));
            }
        }
        let bad = |msg: &str| Err(FamilyError::Malformed(msg.to_string()));
        let items = self
            .select
            .iter()
            .chain(self.having.iter().map(|h| &h.item))
            .chain(self.order_by.iter().map(|o| &o.item));
        for item in items {
            match (item.agg, item.col) {
                (Aggregate::Count, _) => {}
                (_, None) => return bad("only COUNT may go without a column"),
                (Aggregate::Sum | Aggregate::Avg, Some(c))
                    if table.types[c] != ColumnType::Real =>
                {
                    return bad("SUM and AVG need a number column")
                }
                _ => {}
            }
        }
        if self.select.is_empty() {
            return bad("the query selects nothing");
        }
        let aggregated = self.select.iter().any(Item::is_aggregate);
        if self.distinct && aggregated {
            return bad("DISTINCT goes with plain columns only");
        }
        match self.group_by {
            Some(g) => {
                if self
                    .select
                    .iter()
                    .any(|i| !i.is_aggregate() && i.col != Some(g))
                {
                    return bad("a plain selected column must be the GROUP BY column");
                }
                if let Some(o) = &self.order_by {
                    if !o.item.is_aggregate() && o.item.col != Some(g) {
                        return bad(
                            "with GROUP BY, ORDER BY takes the group column or an aggregate",
                        );
                    }
                }
            }
            None => {
                if self.having.is_some() {
                    return bad("HAVING needs GROUP BY");
                }
                let plain = self.select.iter().any(|i| !i.is_aggregate());
                if aggregated && plain {
                    return bad("plain columns beside aggregates need GROUP BY");
                }
                if let Some(o) = &self.order_by {
                    if o.item.is_aggregate() != aggregated {
                        return bad("ORDER BY an aggregate needs GROUP BY");
                    }
                }
            }
        }
        if let (true, Some(o)) = (self.distinct, &self.order_by) {
            if !self.select.contains(&o.item) {
                return bad("SELECT DISTINCT orders only by a selected column");
            }
        }
        match self.limit {
            Some(0) => return bad("LIMIT must be at least 1"),
            Some(_) if self.order_by.is_none() => return bad("LIMIT needs ORDER BY"),
            _ => {}
        }
        for cond in &self.conds {
            if let Predicate::Like { text, .. } = &cond.pred {
                if text.is_empty() {
                    return bad("LIKE needs some text");
                }
            }
        }
        Ok(())
    }

    /// The shapes this query has (a question's shape is its gold query's), in [`Shape::ALL`]'s
    /// order; `table` tells which columns hold dates.
    pub fn shapes(&self, table: &Table) -> Vec<Shape> {
        let is_date = |col: usize| DateFormat::of_column(table, col).is_some();
        let has = |shape: Shape| match shape {
            Shape::Sketch => self.to_sketch().is_some(),
            Shape::Ranking => self.order_by.is_some(),
            Shape::Grouping => self.group_by.is_some(),
            Shape::Columns => self.select.len() > 1,
            Shape::Having => self.having.is_some(),
            Shape::Or => self.connector == Connector::Or && self.conds.len() > 1,
            Shape::NotEqual => self
                .conds
                .iter()
                .any(|c| matches!(c.pred, Predicate::Compare(CmpOp::Ne, _))),
            Shape::OrEqual => self
                .conds
                .iter()
                .any(|c| matches!(c.pred, Predicate::Compare(CmpOp::Ge | CmpOp::Le, _))),
            Shape::Like => self
                .conds
                .iter()
                .any(|c| matches!(c.pred, Predicate::Like { .. })),
            Shape::Between => self
                .conds
                .iter()
                .any(|c| matches!(c.pred, Predicate::Between(..))),
            Shape::Distinct => self.distinct,
            Shape::CountDistinct => self
                .select
                .iter()
                .chain(self.order_by.iter().map(|o| &o.item))
                .chain(self.having.iter().map(|h| &h.item))
                .any(|i| i.agg == Aggregate::CountDistinct),
            Shape::Date => {
                let ordered = self
                    .order_by
                    .is_some_and(|o| !o.item.is_aggregate() && o.item.col.is_some_and(is_date));
                let compared = self.conds.iter().any(|c| {
                    is_date(c.col)
                        && matches!(
                            c.pred,
                            Predicate::Between(..)
                                | Predicate::Compare(
                                    CmpOp::Gt | CmpOp::Lt | CmpOp::Ge | CmpOp::Le,
                                    _
                                )
                        )
                });
                ordered || compared
            }
        };
        Shape::ALL.into_iter().filter(|&s| has(s)).collect()
    }
}

/// A kind of query, for per-shape results. A query can have several.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shape {
    /// Inside WikiSQL's sketch.
    Sketch,
    /// ORDER BY (with or without LIMIT).
    Ranking,
    Grouping,
    /// Several selected items.
    Columns,
    Having,
    Or,
    NotEqual,
    /// `>=` or `<=`.
    OrEqual,
    Like,
    Between,
    Distinct,
    CountDistinct,
    /// Orders or compares a column of dates (text cells in one date format).
    Date,
}

impl Shape {
    pub const ALL: [Shape; 13] = [
        Shape::Sketch,
        Shape::Ranking,
        Shape::Grouping,
        Shape::Columns,
        Shape::Having,
        Shape::Or,
        Shape::NotEqual,
        Shape::OrEqual,
        Shape::Like,
        Shape::Between,
        Shape::Distinct,
        Shape::CountDistinct,
        Shape::Date,
    ];

    /// The shape [`Shape::name`] calls `name`.
    pub fn from_name(name: &str) -> Option<Shape> {
        Shape::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Shape::Sketch => "in WikiSQL's sketch",
            Shape::Ranking => "ranking (ORDER BY)",
            Shape::Grouping => "grouping (GROUP BY)",
            Shape::Columns => "several columns",
            Shape::Having => "HAVING",
            Shape::Or => "OR",
            Shape::NotEqual => "!=",
            Shape::OrEqual => ">= / <=",
            Shape::Like => "LIKE",
            Shape::Between => "BETWEEN",
            Shape::Distinct => "DISTINCT",
            Shape::CountDistinct => "COUNT(DISTINCT)",
            Shape::Date => "dates",
        }
    }
}

/// The JSON form, written out in `data/ood/FAMILY.md`.
mod wire {
    use super::*;
    use serde_json::Value;

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct FamilyWire {
        select: Vec<Item>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        distinct: bool,
        #[serde(default, rename = "where", skip_serializing_if = "Vec::is_empty")]
        conds: Vec<CondWire>,
        #[serde(default, skip_serializing_if = "is_and")]
        connector: Connector,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group_by: Option<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        having: Option<HavingWire>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        order_by: Option<OrderWire>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    }

    fn is_and(c: &Connector) -> bool {
        *c == Connector::And
    }

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct CondWire {
        col: usize,
        op: String,
        value: Value,
        #[serde(default, rename = "match", skip_serializing_if = "Option::is_none")]
        matching: Option<LikeMatch>,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct HavingWire {
        #[serde(default, skip_serializing_if = "is_no_agg")]
        agg: Aggregate,
        col: Option<usize>,
        op: CmpOp,
        value: CondValue,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct OrderWire {
        #[serde(default, skip_serializing_if = "is_no_agg")]
        agg: Aggregate,
        col: Option<usize>,
        dir: Direction,
    }

    fn value(v: Value) -> Result<CondValue, String> {
        serde_json::from_value(v.clone()).map_err(|_| format!("{v} is not a number or a text"))
    }

    fn cond(w: CondWire) -> Result<Condition, String> {
        let op: Result<CmpOp, _> = serde_json::from_value(Value::String(w.op.clone()));
        let pred = match (w.op.as_str(), op) {
            (_, Ok(op)) => Predicate::Compare(op, value(w.value)?),
            ("between", _) => match w.value {
                Value::Array(pair) if pair.len() == 2 => {
                    let [lo, hi]: [Value; 2] = pair.try_into().expect("two values");
                    Predicate::Between(value(lo)?, value(hi)?)
                }
                other => return Err(format!("between takes [low, high], not {other}")),
            },
            ("like" | "not like", _) => match w.value {
                Value::String(text) => Predicate::Like {
                    negated: w.op == "not like",
                    text,
                    matching: w.matching.unwrap_or_default(),
                },
                other => return Err(format!("like takes a text, not {other}")),
            },
            (other, _) => return Err(format!("unknown operator {other:?}")),
        };
        if w.matching.is_some() && !matches!(pred, Predicate::Like { .. }) {
            return Err("\"match\" goes with like only".into());
        }
        Ok(Condition { col: w.col, pred })
    }

    impl TryFrom<FamilyWire> for FamilyQuery {
        type Error = String;
        fn try_from(w: FamilyWire) -> Result<FamilyQuery, String> {
            Ok(FamilyQuery {
                select: w.select,
                distinct: w.distinct,
                conds: w.conds.into_iter().map(cond).collect::<Result<_, _>>()?,
                connector: w.connector,
                group_by: w.group_by,
                having: w.having.map(|h| Having {
                    item: Item {
                        agg: h.agg,
                        col: h.col,
                    },
                    op: h.op,
                    value: h.value,
                }),
                order_by: w.order_by.map(|o| OrderBy {
                    item: Item {
                        agg: o.agg,
                        col: o.col,
                    },
                    dir: o.dir,
                }),
                limit: w.limit,
            })
        }
    }

    fn value_json(v: CondValue) -> Value {
        serde_json::to_value(v).expect("a condition value is JSON")
    }

    impl From<FamilyQuery> for FamilyWire {
        fn from(q: FamilyQuery) -> FamilyWire {
            let conds = q
                .conds
                .into_iter()
                .map(|c| {
                    let (op, value, matching) = match c.pred {
                        Predicate::Compare(op, v) => (
                            serde_json::to_value(op)
                                .ok()
                                .and_then(|s| s.as_str().map(String::from))
                                .unwrap_or_default(),
                            value_json(v),
                            None,
                        ),
                        Predicate::Between(lo, hi) => (
                            "between".into(),
                            Value::Array(vec![value_json(lo), value_json(hi)]),
                            None,
                        ),
                        Predicate::Like {
                            negated,
                            text,
                            matching,
                        } => (
                            if negated { "not like" } else { "like" }.into(),
                            Value::String(text),
                            (matching != LikeMatch::Contains).then_some(matching),
                        ),
                    };
                    CondWire {
                        col: c.col,
                        op,
                        value,
                        matching,
                    }
                })
                .collect();
            FamilyWire {
                select: q.select,
                distinct: q.distinct,
                conds,
                connector: q.connector,
                group_by: q.group_by,
                having: q.having.map(|h| HavingWire {
                    agg: h.item.agg,
                    col: h.item.col,
                    op: h.op,
                    value: h.value,
                }),
                order_by: q.order_by.map(|o| OrderWire {
                    agg: o.item.agg,
                    col: o.item.col,
                    dir: o.dir,
                }),
                limit: q.limit,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table::new(
            "t",
            &["name", "dept", "salary", "hired"],
            &[
                ColumnType::Text,
                ColumnType::Text,
                ColumnType::Real,
                ColumnType::Text,
            ],
            vec![
                vec!["Ann".into(), "IT".into(), 10.0.into(), "13/01/2024".into()],
                vec!["Bo".into(), "HR".into(), 12.0.into(), "02/03/2023".into()],
            ],
        )
    }

    fn parse(json: &str) -> FamilyQuery {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn json_round_trips_every_clause() {
        let json = r#"{"select":[{"col":1},{"agg":"count","col":null}],"where":[{"col":0,"op":"like","value":"a_%","match":"starts"},{"col":2,"op":"between","value":[1,20]},{"col":1,"op":"!=","value":"HR"}],"connector":"or","group_by":1,"having":{"agg":"avg","col":2,"op":">=","value":3.5},"order_by":{"agg":"count","col":null,"dir":"desc"},"limit":3}"#;
        let q = parse(json);
        assert_eq!(q.select[1], Item::count_rows());
        assert_eq!(
            q.conds[0].pred,
            Predicate::Like {
                negated: false,
                text: "a_%".into(),
                matching: LikeMatch::Starts
            }
        );
        assert_eq!(q.connector, Connector::Or);
        assert_eq!(serde_json::to_string(&q).unwrap(), json);
        assert_eq!(q.check(&table()), Ok(()));
        assert_eq!(q.to_sketch(), None);
    }

    #[test]
    fn malformed_json_is_refused_with_the_reason() {
        let err = serde_json::from_str::<FamilyQuery>(
            r#"{"select":[{"col":0}],"where":[{"col":0,"op":"~","value":1}]}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown operator"), "{err}");
        let err = serde_json::from_str::<FamilyQuery>(
            r#"{"select":[{"col":0}],"where":[{"col":2,"op":"between","value":5}]}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("[low, high]"), "{err}");
        assert!(serde_json::from_str::<FamilyQuery>(r#"{"select":[],"limt":1}"#).is_err());
    }

    #[test]
    fn sketch_queries_widen_and_narrow_losslessly() {
        let q = Query::with_text_conds(2, Agg::Count, &[(1, CondOp::Eq, "IT")]);
        let f = FamilyQuery::from(&q);
        assert_eq!(f.select, vec![Item::of(Aggregate::Count, 2)]);
        assert_eq!(f.to_sketch(), Some(q));
        assert_eq!(f.shapes(&table()), vec![Shape::Sketch]);
        let mut ordered = f.clone();
        ordered.order_by = Some(OrderBy {
            item: Item::column(3),
            dir: Direction::Asc,
        });
        assert_eq!(ordered.to_sketch(), None);
    }

    #[test]
    fn clause_rules_are_checked() {
        let t = table();
        let base = || FamilyQuery {
            select: vec![Item::column(0)],
            ..FamilyQuery::empty()
        };
        let mut q = base();
        q.select.push(Item::of(Aggregate::Max, 2));
        assert!(q.check(&t).is_err(), "bare column beside an aggregate");
        q.group_by = Some(0);
        assert_eq!(q.check(&t), Ok(()));
        let mut q = base();
        q.limit = Some(1);
        assert!(q.check(&t).is_err(), "LIMIT without ORDER BY");
        let mut q = base();
        q.select = vec![Item::of(Aggregate::Sum, 1)];
        assert!(q.check(&t).is_err(), "SUM of text");
        let mut q = base();
        q.distinct = true;
        q.order_by = Some(OrderBy {
            item: Item::column(2),
            dir: Direction::Desc,
        });
        assert!(q.check(&t).is_err(), "DISTINCT ordered by another column");
        let mut q = base();
        q.group_by = Some(9);
        assert_eq!(
            q.check(&t),
            Err(FamilyError::ColumnOutOfRange("group by", 9, 4))
        );
    }

    #[test]
    fn shapes_name_each_clause_and_date_columns() {
        let q = parse(
            r#"{"select":[{"col":0},{"col":2}],"where":[{"col":3,"op":">","value":"1 May 2023"}],"order_by":{"col":3,"dir":"asc"}}"#,
        );
        assert_eq!(
            q.shapes(&table()),
            vec![Shape::Ranking, Shape::Columns, Shape::Date]
        );
    }
}
