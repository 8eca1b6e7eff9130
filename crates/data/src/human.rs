//! WikiSQL's `human_readable` strings: `SELECT COUNT Notes FROM table WHERE Current slogan = SOUTH AUSTRALIA`.
//!
//! They name columns by header and inline values unquoted, so they are for reading, not running.

use crate::types::{
    Agg, Aggregate, Cond, CondOp, CondValue, Connector, Direction, FamilyQuery, Item, LikeMatch,
    Predicate, Query,
};
use std::collections::HashMap;

/// Why a `human_readable` string could not be read back into a query over a header.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot parse human-readable query {human:?}: {reason}")]
pub struct HumanParseError {
    pub human: String,
    pub reason: String,
}

/// Render a query exactly as WikiSQL's `human_readable` field (HF `wikisql.py`, after
/// salesforce `lib/query.py`): `SELECT {agg} {header} FROM table[ WHERE {header} {op} {value} AND …]`,
/// then every whitespace run collapsed to one space (`" ".join(rep.split())`), inside headers and values too.
pub fn render(query: &Query, header: &[String]) -> String {
    let col = |i: usize| header.get(i).map(String::as_str).unwrap_or("");
    let mut rep = format!("SELECT {} {} FROM table", query.agg.name(), col(query.sel));
    if !query.conds.is_empty() {
        let conds: Vec<String> = query
            .conds
            .iter()
            .map(|c| format!("{} {} {}", col(c.col), c.op.symbol(), c.value.python_str()))
            .collect();
        rep.push_str(" WHERE ");
        rep.push_str(&conds.join(" AND "));
    }
    collapse_whitespace(&rep)
}

/// A family query in the same style: headers by name, values inline, for reading (the SQL
/// that ran is shown beside it). A query inside the sketch reads exactly as [`render`] writes it.
pub fn render_family(query: &FamilyQuery, header: &[String]) -> String {
    if let Some(q) = query.to_sketch() {
        return render(&q, header);
    }
    let col = |i: usize| header.get(i).map(String::as_str).unwrap_or("");
    let item = |i: &Item| {
        let name = i.col.map_or("*", col);
        match i.agg {
            Aggregate::None => name.to_string(),
            Aggregate::CountDistinct => format!("COUNT(DISTINCT {name})"),
            agg => format!("{}({name})", agg.sql_name()),
        }
    };
    let items: Vec<String> = query.select.iter().map(item).collect();
    let mut rep = format!(
        "SELECT {}{} FROM table",
        if query.distinct { "DISTINCT " } else { "" },
        items.join(", ")
    );
    if !query.conds.is_empty() {
        let conds: Vec<String> = query
            .conds
            .iter()
            .map(|c| {
                let name = col(c.col);
                match &c.pred {
                    Predicate::Compare(op, v) => format!("{name} {} {}", op.sql(), v.python_str()),
                    Predicate::Between(lo, hi) => {
                        format!("{name} BETWEEN {} AND {}", lo.python_str(), hi.python_str())
                    }
                    Predicate::Like {
                        negated,
                        text,
                        matching,
                    } => {
                        let pattern = match matching {
                            LikeMatch::Contains => format!("%{text}%"),
                            LikeMatch::Starts => format!("{text}%"),
                            LikeMatch::Ends => format!("%{text}"),
                        };
                        let not = if *negated { "NOT " } else { "" };
                        format!("{name} {not}LIKE {pattern}")
                    }
                }
            })
            .collect();
        let joiner = match query.connector {
            Connector::And => " AND ",
            Connector::Or => " OR ",
        };
        rep.push_str(" WHERE ");
        rep.push_str(&conds.join(joiner));
    }
    if let Some(g) = query.group_by {
        rep.push_str(&format!(" GROUP BY {}", col(g)));
    }
    if let Some(h) = &query.having {
        rep.push_str(&format!(
            " HAVING {} {} {}",
            item(&h.item),
            h.op.sql(),
            h.value.python_str()
        ));
    }
    if let Some(o) = &query.order_by {
        let dir = match o.dir {
            Direction::Asc => "ASC",
            Direction::Desc => "DESC",
        };
        rep.push_str(&format!(" ORDER BY {} {dir}", item(&o.item)));
    }
    if let Some(k) = query.limit {
        rep.push_str(&format!(" LIMIT {k}"));
    }
    collapse_whitespace(&rep)
}

/// Python's `" ".join(s.split())`.
pub fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads a `human_readable` string back into a [`Query`] over `header` (the inverse of [`render`]).
///
/// The string is split into words (it is whitespace-collapsed, like headers inside it), and columns
/// are found by matching whole headers, so headers holding spaces, `=`, `AND` or `FROM table` parse.
/// Among readings that consume the whole string, the first in this order wins: longer headers first
/// (then lower column index), and a condition value ends at the first ` AND ` after which the rest
/// still parses. Values come back as [`CondValue::Text`] in their collapsed form. Strings with two
/// complete readings (duplicate headers, a value holding ` AND <header> = …`) cannot be told apart.
pub fn parse(human: &str, header: &[String]) -> Result<Query, HumanParseError> {
    let fail = |reason: &str| HumanParseError {
        human: human.to_string(),
        reason: reason.to_string(),
    };
    let words: Vec<&str> = human.split_whitespace().collect();
    if words.first() != Some(&"SELECT") {
        return Err(fail("it does not start with SELECT"));
    }
    let parser = HumanParser::new(&words, header);
    parser
        .parse_select()
        .ok_or_else(|| fail("no reading of it matches the table's header"))
}

/// Backtracking parser over the words of a human-readable string.
struct HumanParser<'a> {
    words: &'a [&'a str],
    /// Column indices with their header's words, longest header first, then by index.
    columns: Vec<(usize, Vec<&'a str>)>,
    /// Conditions parsed from a word position to the end (`None`: no complete reading).
    memo: std::cell::RefCell<HashMap<usize, Option<Vec<Cond>>>>,
}

impl<'a> HumanParser<'a> {
    fn new(words: &'a [&'a str], header: &'a [String]) -> Self {
        let mut columns: Vec<(usize, Vec<&str>)> = header
            .iter()
            .enumerate()
            .map(|(i, h)| (i, h.split_whitespace().collect()))
            .collect();
        columns.sort_by_key(|(i, w)| (std::cmp::Reverse(w.len()), *i));
        HumanParser {
            words,
            columns,
            memo: Default::default(),
        }
    }

    /// Columns whose header's words start at `pos`, in preference order, with the position after.
    fn columns_at(&self, pos: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.columns.iter().filter_map(move |(col, w)| {
            let end = pos + w.len();
            (self.words.get(pos..end) == Some(&w[..])).then_some((*col, end))
        })
    }

    /// `SELECT [AGG] header FROM table [WHERE conds]`; words[0] is SELECT.
    fn parse_select(&self) -> Option<Query> {
        let mut candidates = Vec::new();
        for agg in Agg::ALL {
            let start = match agg {
                Agg::None => 1,
                _ if self.words.get(1) == Some(&agg.name()) => 2,
                _ => continue,
            };
            for (col, end) in self.columns_at(start) {
                if self.words.get(end..end + 2) == Some(&["FROM", "table"][..]) {
                    candidates.push((end - start, col, agg, end + 2));
                }
            }
        }
        candidates.sort_by_key(|&(len, col, agg, _)| (std::cmp::Reverse(len), col, agg));
        candidates.into_iter().find_map(|(_, sel, agg, pos)| {
            let conds = if pos == self.words.len() {
                Vec::new()
            } else if self.words[pos] == "WHERE" {
                self.parse_conds(pos + 1)?
            } else {
                return None;
            };
            Some(Query { sel, agg, conds })
        })
    }

    /// `header op value [AND header op value …]` from `pos` to the end.
    fn parse_conds(&self, pos: usize) -> Option<Vec<Cond>> {
        if let Some(done) = self.memo.borrow().get(&pos) {
            return done.clone();
        }
        let parsed = self.columns_at(pos).find_map(|(col, end)| {
            let op = match *self.words.get(end)? {
                "=" => CondOp::Eq,
                ">" => CondOp::Gt,
                "<" => CondOp::Lt,
                _ => return None,
            };
            let value_start = end + 1;
            let cond = |value_end: usize| Cond {
                col,
                op,
                value: CondValue::Text(self.words[value_start..value_end].join(" ")),
            };
            let split = (value_start..self.words.len())
                .filter(|&j| self.words[j] == "AND")
                .find_map(|j| {
                    let mut rest = self.parse_conds(j + 1)?;
                    rest.insert(0, cond(j));
                    Some(rest)
                });
            Some(split.unwrap_or_else(|| vec![cond(self.words.len())]))
        });
        self.memo.borrow_mut().insert(pos, parsed.clone());
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Agg, Cond, CondOp, CondValue};

    #[test]
    fn renders_family_queries_clause_by_clause() {
        let header: Vec<String> = ["Name", "Dept", "Salary"].map(String::from).to_vec();
        let q: FamilyQuery = serde_json::from_str(
            r#"{"select":[{"col":1},{"agg":"count","col":null}],
                "where":[{"col":2,"op":"between","value":[10,20]},
                         {"col":0,"op":"not like","value":"ann"}],
                "group_by":1,"having":{"agg":"count","col":null,"op":">=","value":2},
                "order_by":{"agg":"count","col":null,"dir":"desc"},"limit":3}"#,
        )
        .unwrap();
        assert_eq!(
            render_family(&q, &header),
            "SELECT Dept, COUNT(*) FROM table WHERE Salary BETWEEN 10 AND 20 AND \
             Name NOT LIKE %ann% GROUP BY Dept HAVING COUNT(*) >= 2 ORDER BY COUNT(*) DESC LIMIT 3"
        );
    }

    #[test]
    fn renders_like_wikisql() {
        let header: Vec<String> = ["State/territory", "Current  slogan", "Notes"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let q = Query {
            sel: 2,
            agg: Agg::None,
            conds: vec![Cond {
                col: 1,
                op: CondOp::Eq,
                value: CondValue::Text("SOUTH AUSTRALIA".into()),
            }],
        };
        assert_eq!(
            render(&q, &header),
            "SELECT Notes FROM table WHERE Current slogan = SOUTH AUSTRALIA"
        );
        let q = Query {
            sel: 2,
            agg: Agg::Count,
            conds: vec![],
        };
        assert_eq!(render(&q, &header), "SELECT COUNT Notes FROM table");
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn text_cond(col: usize, op: CondOp, v: &str) -> Cond {
        Cond {
            col,
            op,
            value: CondValue::Text(v.into()),
        }
    }

    #[test]
    fn parses_hostile_headers_back() {
        let header = strings(&[
            "Name",
            "Score = AND >",
            "FROM table",
            "",
            "MAX  speed",
            "Max",
        ]);
        let q = Query {
            sel: 2,
            agg: Agg::Max,
            conds: vec![
                text_cond(1, CondOp::Gt, "3 AND"),
                text_cond(3, CondOp::Eq, ""),
                text_cond(4, CondOp::Lt, "a  b"),
                text_cond(0, CondOp::Eq, ""),
            ],
        };
        let human = render(&q, &header);
        assert_eq!(
            human,
            "SELECT MAX FROM table FROM table WHERE Score = AND > > 3 AND AND = AND MAX speed < a b AND Name ="
        );
        let mut expected = q.clone();
        expected.conds[2].value = CondValue::Text("a b".into());
        assert_eq!(parse(&human, &header).unwrap(), expected);
    }

    #[test]
    fn aggregation_words_inside_headers() {
        let header = strings(&["MAX speed", "speed"]);
        for (sel, agg) in [(0, Agg::None), (1, Agg::Min), (0, Agg::Count)] {
            let q = Query {
                sel,
                agg,
                conds: vec![],
            };
            assert_eq!(parse(&render(&q, &header), &header).unwrap(), q);
        }
        // "SELECT MAX speed FROM table" reads both ways; the longer header wins.
        let max_speed = Query {
            sel: 1,
            agg: Agg::Max,
            conds: vec![],
        };
        let read = parse(&render(&max_speed, &header), &header).unwrap();
        assert_eq!((read.sel, read.agg), (0, Agg::None));
    }

    #[test]
    fn unreadable_strings_are_errors() {
        let header = strings(&["a", "b"]);
        for bad in [
            "",
            "SELECT c FROM table",
            "SELECT a FROM table WHERE",
            "SELECT a FROM t",
            "select a FROM table",
        ] {
            let err = parse(bad, &header).unwrap_err();
            assert_eq!(err.human, bad);
        }
        assert!(parse("SELECT a FROM table WHERE b OP 3", &header).is_err());
    }
}
