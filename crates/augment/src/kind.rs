//! The kinds of generated questions (`--kinds`): generate.py's five, then one per shape of the
//! query family.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// No condition: COUNT of rows, SUM/AVG/MAX/MIN of a number column, or all of a column.
    Whole,
    /// COUNT / SUM / AVG with one condition, in everyday wording.
    Count,
    /// An original question whose condition value is put in quotes.
    Quoted,
    /// A "First Last" name column split in two, the original questions about one person
    /// rewritten to two conditions.
    Names,
    /// Original questions on a copy of their table whose headers are written as code.
    Headers,
    /// "the oldest", "the cheapest", "the most goals", "the most common": ORDER BY … LIMIT 1.
    Superlative,
    /// "top 3", "the 5 largest": ORDER BY … LIMIT k.
    Top,
    /// "sorted by", "in order of", "alphabetically": ORDER BY without LIMIT.
    Order,
    /// "for each", "per": GROUP BY with COUNT/SUM/AVG/MAX/MIN.
    Group,
    /// "with more than 2 …": GROUP BY … HAVING.
    Having,
    /// "how many different" (COUNT(DISTINCT)), "which different … are there" (SELECT DISTINCT).
    Distinct,
    /// "not", "other than": `!=`.
    Not,
    /// "at least", "at most", "no more than": `>=` / `<=`.
    Bounds,
    /// "between … and …": BETWEEN.
    Between,
    /// "contains", "starting with", "ending in" and their negations: `[NOT] LIKE`.
    Like,
    /// "either … or": OR.
    Or,
    /// Several columns named together: "the name and age of …".
    Columns,
    /// Conditions and order on columns of dates written as text.
    Dates,
    /// Questions people wrote about tables of ours ([`crate::written`]), not drafted here.
    Written,
}

impl Kind {
    pub const ALL: [Kind; 19] = [
        Kind::Whole,
        Kind::Count,
        Kind::Quoted,
        Kind::Names,
        Kind::Headers,
        Kind::Superlative,
        Kind::Top,
        Kind::Order,
        Kind::Group,
        Kind::Having,
        Kind::Distinct,
        Kind::Not,
        Kind::Bounds,
        Kind::Between,
        Kind::Like,
        Kind::Or,
        Kind::Columns,
        Kind::Dates,
        Kind::Written,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Whole => "whole",
            Kind::Count => "count",
            Kind::Quoted => "quoted",
            Kind::Names => "names",
            Kind::Headers => "headers",
            Kind::Superlative => "superlative",
            Kind::Top => "top",
            Kind::Order => "order",
            Kind::Group => "group",
            Kind::Having => "having",
            Kind::Distinct => "distinct",
            Kind::Not => "not",
            Kind::Bounds => "bounds",
            Kind::Between => "between",
            Kind::Like => "like",
            Kind::Or => "or",
            Kind::Columns => "columns",
            Kind::Dates => "dates",
            Kind::Written => "written",
        }
    }

    /// A kind of the query family (its questions are drafted from table profiles), not one of
    /// generate.py's nor the written questions.
    pub fn is_family(self) -> bool {
        (Kind::Superlative..=Kind::Dates).contains(&self)
    }

    /// A `--kinds` list: comma-separated names, `all`, or `family` (every family kind, not the
    /// written questions); kept in
    /// [`Kind::ALL`]'s order without repeats.
    pub fn parse_list(list: &str) -> Result<Vec<Kind>, String> {
        let mut kinds = Vec::new();
        for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match word {
                "all" => kinds.extend(Kind::ALL),
                "family" => kinds.extend(Kind::ALL.into_iter().filter(|k| k.is_family())),
                name => kinds.push(name.parse()?),
            }
        }
        if kinds.is_empty() {
            return Err("no kinds given".into());
        }
        Ok(Kind::ALL
            .into_iter()
            .filter(|k| kinds.contains(k))
            .collect())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Kind, String> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown kind {s:?} (expected all, family or some of {})",
                    names.join(", ")
                )
            })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_in_a_fixed_order() {
        assert_eq!(Kind::parse_list("all").unwrap(), Kind::ALL.to_vec());
        assert_eq!(
            Kind::parse_list("like,whole,like").unwrap(),
            vec![Kind::Whole, Kind::Like]
        );
        assert_eq!(Kind::parse_list("family").unwrap().len(), 13);
        assert!(!Kind::parse_list("family").unwrap().contains(&Kind::Written));
        assert_eq!(
            Kind::parse_list("all").unwrap().last(),
            Some(&Kind::Written)
        );
        assert!(Kind::parse_list("whole,nope")
            .unwrap_err()
            .contains("unknown kind \"nope\""));
        assert!(Kind::parse_list("").is_err());
    }
}
