//! `headers`: original questions on a copy of their table whose headers are written as code
//! (snake_case, camelCase, PascalCase, abbreviations); the queries name the same column indices.

use crate::words::pick;
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::Table;

/// How a copy writes its headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Snake,
    Camel,
    Pascal,
    Abbreviated,
}

impl Style {
    fn name(self) -> &'static str {
        match self {
            Style::Snake => "snake",
            Style::Camel => "camel",
            Style::Pascal => "pascal",
            Style::Abbreviated => "abbrev",
        }
    }
}

/// Abbreviations code tends to use (generate.py's `ABBREV`).
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("number", "no"),
    ("quantity", "qty"),
    ("department", "dept"),
    ("amount", "amt"),
    ("average", "avg"),
    ("percent", "pct"),
    ("percentage", "pct"),
    ("population", "pop"),
    ("year", "yr"),
    ("address", "addr"),
    ("description", "desc"),
    ("position", "pos"),
    ("employee", "emp"),
    ("manager", "mgr"),
    ("count", "cnt"),
    ("total", "tot"),
    ("points", "pts"),
    ("date", "dt"),
    ("season", "ssn"),
    ("team", "tm"),
    ("goals", "gls"),
    ("games", "gms"),
    ("height", "ht"),
    ("weight", "wt"),
    ("country", "ctry"),
    ("name", "nm"),
];

/// A copy of `table` with code headers, its id marked with the style (`<id>-snake`).
pub fn with_code_headers(table: &Table, rng: &mut StdRng) -> Table {
    // Abbreviations twice as often as each other style, as generate.py draws them.
    let style = pick(
        rng,
        &[
            Style::Snake,
            Style::Camel,
            Style::Pascal,
            Style::Abbreviated,
            Style::Abbreviated,
        ],
    );
    Table {
        id: format!("{}-{}", table.id, style.name()),
        header: table
            .header
            .iter()
            .map(|h| code_header(h, style, rng))
            .collect(),
        types: table.types.clone(),
        rows: table.rows.clone(),
    }
}

/// `h`'s ASCII letters and digits as words, joined in `style`; a header without any stays.
fn code_header(h: &str, style: Style, rng: &mut StdRng) -> String {
    let lower = h.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return h.to_string();
    }
    match style {
        Style::Abbreviated => words
            .iter()
            .map(|w| match ABBREVIATIONS.iter().find(|(long, _)| long == w) {
                Some((_, short)) => short.to_string(),
                // Long words are cut to four letters half of the time.
                None if w.len() > 7 && rng.random_bool(0.5) => w[..4].to_string(),
                None => w.to_string(),
            })
            .collect::<Vec<_>>()
            .join("_"),
        Style::Snake => words.join("_"),
        Style::Camel | Style::Pascal => {
            let mut out = String::new();
            for (i, w) in words.iter().enumerate() {
                if i == 0 && style == Style::Camel {
                    out.push_str(w);
                } else {
                    out.push_str(&w[..1].to_uppercase());
                    out.push_str(&w[1..]);
                }
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn headers_are_written_as_code() {
        let mut rng = StdRng::seed_from_u64(0);
        let h = "School / Club Team";
        assert_eq!(code_header(h, Style::Snake, &mut rng), "school_club_team");
        assert_eq!(code_header(h, Style::Camel, &mut rng), "schoolClubTeam");
        assert_eq!(code_header(h, Style::Pascal, &mut rng), "SchoolClubTeam");
        assert_eq!(
            code_header("Team Goals", Style::Abbreviated, &mut rng),
            "tm_gls"
        );
        assert_eq!(code_header("—", Style::Snake, &mut rng), "—");
        assert_eq!(crate::words::spoken("schoolClubTeam"), "school club team");
    }
}
