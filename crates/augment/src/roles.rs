//! What a column holds, read once from its header's words and its cells. The role decides which
//! questions fit a column and how they are worded: "oldest" for an age or a year, "cheapest" for
//! a price, "the most" for a tally, "before 4 March 2024" for dates. Every rule about header
//! words lives here.

use crate::words::header_words;
use sqlcoder_data::dates::DateFormat;
use sqlcoder_data::types::{Cell, ColumnType, Direction, Table};
use sqlcoder_sql::value::parse_official_number;

/// A column's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// An age in years: older is larger.
    Age,
    /// A year number (1000-2100): older is smaller.
    Year,
    /// Text dates in one orderable format.
    Date(DateFormat),
    /// What something costs: cheaper is smaller.
    Price,
    /// Other amounts of money (prize money, budget, revenue).
    Money,
    /// Lengths and durations: longest/shortest.
    Length,
    /// Heights and elevations: tallest/shortest.
    Height,
    /// Areas, populations, capacities: biggest/smallest.
    Size,
    /// Weights: heaviest/lightest.
    Weight,
    /// Counted things (goals, points, votes): "the most", "the fewest".
    Tally,
    /// Numbers that name rather than measure (No., pick, round): ordered, never summed.
    Identifier,
    /// A rank or place: 1 is the best, so "top" and "best" are the smallest numbers.
    Rank,
    /// Any other number.
    Quantity,
    /// A person's name (generate.py's name headers: player, driver, winner, ...).
    Person,
    /// Text that (nearly) tells rows apart: the names of things.
    Label,
    /// Short text that repeats: groups of rows.
    Category,
    /// Nothing to ask about: long text, or a number column with fewer than two numbers.
    Other,
}

/// Whole headers naming a person (generate.py's `NAME_HEADER`).
const PERSON_HEADERS: &[&str] = &[
    "name",
    "player",
    "driver",
    "rider",
    "artist",
    "winner",
    "candidate",
    "coach",
    "manager",
    "director",
    "writer",
    "author",
    "pilot",
    "athlete",
    "member",
    "actor",
    "singer",
    "head coach",
    "incumbent",
    "opponent",
    "player name",
    "full name",
];
const AGE_WORDS: &[&str] = &["age", "aged"];
const YEAR_WORDS: &[&str] = &[
    "year",
    "yr",
    "season",
    "founded",
    "established",
    "built",
    "opened",
    "born",
    "introduced",
    "launched",
    "released",
    "published",
    "ascent",
];
const PRICE_WORDS: &[&str] = &["price", "cost", "fee", "fare", "ticket", "rent"];
const MONEY_WORDS: &[&str] = &[
    "salary", "wage", "wages", "revenue", "income", "budget", "prize", "earnings", "purse",
    "gross", "money", "profit", "usd", "eur", "gbp", "dollars", "euros",
];
const MONEY_SIGNS: &[char] = &['$', '€', '£'];
const HEIGHT_WORDS: &[&str] = &["height", "elevation", "altitude", "ht"];
const LENGTH_WORDS: &[&str] = &[
    "length", "duration", "runtime", "distance", "minutes", "km", "miles", "pages", "long",
];
const WEIGHT_WORDS: &[&str] = &["weight", "mass", "wt", "kg", "lbs"];
const SIZE_WORDS: &[&str] = &[
    "area",
    "population",
    "pop",
    "size",
    "capacity",
    "volume",
    "discharge",
];
const TALLY_WORDS: &[&str] = &[
    "goals",
    "points",
    "pts",
    "wins",
    "won",
    "losses",
    "lost",
    "draws",
    "votes",
    "medals",
    "gold",
    "silver",
    "bronze",
    "attendance",
    "crowd",
    "assists",
    "titles",
    "appearances",
    "apps",
    "caps",
    "viewers",
    "tries",
    "laps",
    "games",
    "matches",
    "played",
    "seats",
    "crew",
    "members",
    "visitors",
    "copies",
];
const RANK_WORDS: &[&str] = &[
    "rank", "ranking", "place", "placing", "seed", "seeding", "position", "pos", "finish",
];
const IDENTIFIER_WORDS: &[&str] = &[
    "id", "no", "number", "code", "pick", "overall", "round", "jersey",
];
/// Header words of text columns holding times in forms [`DateFormat`] does not read.
const TIME_WORDS: &[&str] = &[
    "date", "dates", "time", "day", "month", "year", "years", "season", "week", "period", "airdate",
];
/// Longest text a category's cells may have: longer cells are prose, not groups.
const CATEGORY_CELL_CHARS: usize = 40;

impl Role {
    /// The role of column `col` of `table`.
    pub fn of(table: &Table, col: usize) -> Role {
        let header = &table.header[col];
        let words = header_words(header);
        let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
        match table.types[col] {
            ColumnType::Real => {
                let numbers: Vec<f64> = table
                    .rows
                    .iter()
                    .filter_map(|r| number_of(&r[col]))
                    .collect();
                if numbers.len() < 2 {
                    Role::Other
                } else if has(AGE_WORDS) {
                    Role::Age
                } else if has(YEAR_WORDS)
                    && numbers
                        .iter()
                        .all(|&y| y.fract() == 0.0 && (1000.0..=2100.0).contains(&y))
                {
                    Role::Year
                } else if has(PRICE_WORDS) {
                    Role::Price
                } else if has(MONEY_WORDS) || header.contains(MONEY_SIGNS) {
                    Role::Money
                } else if has(HEIGHT_WORDS) {
                    Role::Height
                } else if has(LENGTH_WORDS) {
                    Role::Length
                } else if has(WEIGHT_WORDS) {
                    Role::Weight
                } else if has(SIZE_WORDS) {
                    Role::Size
                } else if has(TALLY_WORDS) {
                    Role::Tally
                } else if has(RANK_WORDS) {
                    Role::Rank
                } else if has(IDENTIFIER_WORDS) || header.contains('#') {
                    Role::Identifier
                } else {
                    Role::Quantity
                }
            }
            ColumnType::Text => {
                if let Some(format) = DateFormat::of_column(table, col).filter(|f| f.orderable()) {
                    return Role::Date(format);
                }
                let cells: Vec<String> = table
                    .rows
                    .iter()
                    .map(|r| crate::words::cell_text(&r[col]).trim().to_lowercase())
                    .filter(|c| !c.is_empty())
                    .collect();
                if cells.is_empty() {
                    return Role::Other;
                }
                let phrase = words.join(" ");
                if PERSON_HEADERS.contains(&phrase.as_str()) {
                    return Role::Person;
                }
                let mut distinct = cells.clone();
                distinct.sort();
                distinct.dedup();
                let short = cells
                    .iter()
                    .all(|c| c.chars().count() <= CATEGORY_CELL_CHARS);
                let repeats = distinct.len() < cells.len();
                // Dates and times in forms we cannot read, and numbers kept as text ("14.5",
                // "1992 - 93"), group rows but do not name them: never sorted alphabetically
                // nor asked for by "which".
                let names_nothing = has(TIME_WORDS) || cells.iter().all(|c| looks_numeric(c));
                match (short, repeats, names_nothing) {
                    (false, ..) => Role::Other,
                    (true, true, _) => Role::Category,
                    (true, false, true) => Role::Other,
                    (true, false, false) => Role::Label,
                }
            }
        }
    }

    /// A number column (measured, counted or ranked).
    pub fn is_number(self) -> bool {
        matches!(
            self,
            Role::Age
                | Role::Year
                | Role::Price
                | Role::Money
                | Role::Length
                | Role::Height
                | Role::Size
                | Role::Weight
                | Role::Tally
                | Role::Identifier
                | Role::Rank
                | Role::Quantity
        )
    }

    /// Whether SUM and AVG of the column mean something (a sum of years or jersey numbers does not).
    pub fn adds_up(self) -> bool {
        self.is_number() && !matches!(self, Role::Year | Role::Identifier | Role::Rank)
    }

    /// Whether rows can be put in order of the column.
    pub fn is_ordered(self) -> bool {
        self.is_number() || matches!(self, Role::Date(_))
    }

    /// A year or a date: ordered in time, so worded "earliest"/"latest", never "lowest"/"highest".
    pub fn is_time(self) -> bool {
        matches!(self, Role::Year | Role::Date(_))
    }

    /// Whether "high" and "low" say nothing reliable about the column's order ("the highest
    /// rank" may be rank 1): listings and top-k questions word it through its adjectives only.
    pub fn orders_by_words_only(self) -> bool {
        self == Role::Rank
    }

    /// Whether the column's cells name rows (what "which ...?" questions return).
    pub fn names_rows(self) -> bool {
        matches!(self, Role::Person | Role::Label)
    }

    /// Adjectives that put the rows themselves in this order: "the oldest player" is the one
    /// with the largest age but the smallest year. Empty when the column needs naming ("the
    /// highest goals").
    pub fn adjectives(self, dir: Direction) -> &'static [&'static str] {
        use Direction::{Asc, Desc};
        match (self, dir) {
            (Role::Age, Desc) => &["oldest"],
            (Role::Age, Asc) => &["youngest"],
            (Role::Year, Asc) => &["oldest", "earliest"],
            (Role::Year, Desc) => &["newest", "most recent", "latest"],
            (Role::Date(_), Asc) => &["earliest", "oldest"],
            (Role::Date(_), Desc) => &["most recent", "latest", "newest"],
            (Role::Rank, Asc) => &["top-ranked", "best-ranked", "highest-ranked"],
            (Role::Rank, Desc) => &["lowest-ranked", "worst-ranked"],
            (Role::Price, Desc) => &["most expensive", "priciest", "dearest"],
            (Role::Price, Asc) => &["cheapest", "least expensive"],
            (Role::Length, Desc) => &["longest"],
            (Role::Length, Asc) => &["shortest"],
            (Role::Height, Desc) => &["tallest", "highest"],
            (Role::Height, Asc) => &["shortest", "lowest"],
            (Role::Size, Desc) => &["biggest", "largest"],
            (Role::Size, Asc) => &["smallest"],
            (Role::Weight, Desc) => &["heaviest"],
            (Role::Weight, Asc) => &["lightest"],
            _ => &[],
        }
    }

    /// Superlatives placed before the column's name: "the highest {column}", "the most goals".
    pub fn superlatives(self, dir: Direction) -> &'static [&'static str] {
        use Direction::{Asc, Desc};
        match (self, dir) {
            (Role::Tally, Desc) => &["most", "highest", "largest number of", "greatest"],
            (Role::Tally, Asc) => &["fewest", "least", "lowest", "smallest number of"],
            (Role::Year | Role::Date(_), Desc) => &["latest", "most recent"],
            (Role::Year | Role::Date(_), Asc) => &["earliest"],
            (Role::Rank, Asc) => &["best", "top"],
            (Role::Rank, Desc) => &["worst"],
            (Role::Identifier, Desc) => &["highest", "largest", "biggest"],
            (Role::Identifier, Asc) => &["lowest", "smallest"],
            (_, Desc) => &[
                "highest", "largest", "greatest", "biggest", "maximum", "top",
            ],
            (_, Asc) => &["lowest", "smallest", "least", "minimum"],
        }
    }
}

/// A number cell's value as the database stores it (text cells of a `real` column parsed the
/// official way).
pub fn number_of(cell: &Cell) -> Option<f64> {
    match cell {
        Cell::Number(n) => Some(*n),
        Cell::Text(s) => parse_official_number(s),
    }
    .filter(|n| n.is_finite())
}

/// Text made of digits and number punctuation only ("14.5", "1992 - 93", "2:05:12").
fn looks_numeric(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || " .,-/:%()+".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlcoder_data::types::ColumnType::{Real, Text};

    fn role(header: &str, ty: ColumnType, cells: &[Cell]) -> Role {
        let rows = cells.iter().map(|c| vec![c.clone()]).collect();
        Role::of(&Table::new("t", &[header], &[ty], rows), 0)
    }

    fn nums(xs: &[f64]) -> Vec<Cell> {
        xs.iter().map(|&x| Cell::Number(x)).collect()
    }

    fn texts(xs: &[&str]) -> Vec<Cell> {
        xs.iter().map(|&x| Cell::from(x)).collect()
    }

    #[test]
    fn number_roles_come_from_header_words() {
        assert_eq!(role("Age", Real, &nums(&[30.0, 41.0])), Role::Age);
        assert_eq!(
            role("Year founded", Real, &nums(&[1901.0, 1950.0])),
            Role::Year
        );
        // A "year" column holding other numbers is no year.
        assert_eq!(role("Years", Real, &nums(&[3.0, 12.0])), Role::Quantity);
        assert_eq!(
            role("ticket_price", Real, &nums(&[30.0, 45.0])),
            Role::Price
        );
        assert_eq!(
            role("Prize ( $ )", Real, &nums(&[300.0, 450.0])),
            Role::Money
        );
        assert_eq!(
            role("Height (m)", Real, &nums(&[8848.0, 8611.0])),
            Role::Height
        );
        assert_eq!(
            role("runtimeMinutes", Real, &nums(&[90.0, 120.0])),
            Role::Length
        );
        assert_eq!(role("Goals", Real, &nums(&[1.0, 3.0])), Role::Tally);
        assert_eq!(role("No.", Real, &nums(&[4.0, 15.0])), Role::Identifier);
        assert_eq!(role("Score", Real, &nums(&[4.0, 15.0])), Role::Quantity);
        assert_eq!(role("Rank", Real, &nums(&[1.0, 2.0])), Role::Rank);
        assert_eq!(role("Score", Real, &nums(&[4.0])), Role::Other);
    }

    #[test]
    fn text_roles_come_from_cells() {
        assert_eq!(
            role("When", Text, &texts(&["4 March 2024", "12 May 2023"])),
            Role::Date(DateFormat::DayMonthName)
        );
        // Day and month cannot be told apart: not ordered as dates, nor names of rows.
        assert_eq!(
            role("When", Text, &texts(&["03/04/2024", "05/06/2024"])),
            Role::Other
        );
        assert_eq!(
            role("Player", Text, &texts(&["Ann Lee", "Bo Li"])),
            Role::Person
        );
        assert_eq!(
            role("Position", Text, &texts(&["guard", "Guard", "center"])),
            Role::Category
        );
        assert_eq!(
            role("Mountain", Text, &texts(&["K2", "Everest"])),
            Role::Label
        );
        assert_eq!(
            role("Date", Text, &texts(&["sun, sept 9", "mon, sept 10"])),
            Role::Other
        );
        assert_eq!(
            role("Avg. start", Text, &texts(&["14.5", "9"])),
            Role::Other
        );
        assert_eq!(
            role("Place", Text, &texts(&["t2", "1", "t2"])),
            Role::Category
        );
        assert_eq!(role("head_coach", Text, &texts(&["Al Bo"])), Role::Person);
        assert_eq!(role("team name", Text, &texts(&["Al Bo"])), Role::Label);
    }

    #[test]
    fn words_order_rows_by_role() {
        assert_eq!(Role::Age.adjectives(Direction::Desc), ["oldest"]);
        assert_eq!(Role::Year.adjectives(Direction::Asc)[0], "oldest");
        assert!(Role::Quantity.adjectives(Direction::Asc).is_empty());
        assert_eq!(Role::Tally.superlatives(Direction::Desc)[0], "most");
        assert!(Role::Age.adds_up() && !Role::Year.adds_up());
    }
}
