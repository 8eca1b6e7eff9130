//! Questions for the shapes of the query family, one module per shape. Each writes one question
//! and its structured query from a table's [`Profile`], or `None` when the table has nothing
//! for the shape; values always come from the table's cells, so the question quotes them.

mod between;
mod bounds;
mod columns;
mod dates;
mod distinct;
mod group;
mod having;
mod like;
mod narrowed;
mod not_equal;
mod or;
mod order;
mod superlative;
mod top;

use crate::kind::Kind;
use crate::profile::{Column, Profile};
use crate::roles::Role;
use crate::words::{money_text, number_text, pick, plural, reads_as_noun};
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::{
    CmpOp, CondValue, Condition, Direction, FamilyQuery, Item, OrderBy, Predicate,
};

/// Longest cell a question quotes (longer ones are prose, not values people type).
const MAX_QUOTED_CHARS: usize = 40;

/// A question and its query, before execution decides whether it is kept.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    pub question: String,
    pub query: FamilyQuery,
}

/// Share of the questions listing rows by their subject column that name the columns to show
/// after them ([`columns::named_after`]): people ask for a row's name and a figure or two at
/// least as often as for the name alone.
const NAMED_AFTER: f64 = 0.4;

/// Share of the ranking, top-k, ordering, grouping and several-column questions asked about
/// the rows one condition keeps, said with their noun ([`narrowed`]).
const NARROWED: f64 = 0.3;
/// The same share for a question whose own shape is a condition (`!=`, a bound, BETWEEN, LIKE,
/// a date) or a grouping with HAVING or DISTINCT: asked with a second condition this often.
const NARROWED_CONDITION: f64 = 0.4;

/// One question of family kind `kind` about `profile`'s table.
pub fn draft(kind: Kind, profile: &Profile, rng: &mut StdRng) -> Option<Draft> {
    let share = match kind {
        Kind::Superlative | Kind::Top | Kind::Order | Kind::Group | Kind::Columns => NARROWED,
        Kind::Not
        | Kind::Bounds
        | Kind::Between
        | Kind::Like
        | Kind::Dates
        | Kind::Having
        | Kind::Distinct => NARROWED_CONDITION,
        _ => 0.0,
    };
    let d = if share > 0.0 && rng.random_bool(share) {
        narrowed::draft(profile, rng, |p, rng| shaped(kind, p, rng))?
    } else {
        shaped(kind, profile, rng)?
    };
    let lists_subject = d.query.select == [Item::column(profile.subject)]
        && d.query.group_by.is_none()
        && !d.query.distinct;
    if lists_subject && rng.random_bool(NAMED_AFTER) {
        return columns::named_after(d.clone(), profile, rng).or(Some(d));
    }
    Some(d)
}

/// One question of family kind `kind` as its own module writes it.
fn shaped(kind: Kind, profile: &Profile, rng: &mut StdRng) -> Option<Draft> {
    match kind {
        Kind::Superlative => superlative::draft(profile, rng),
        Kind::Top => top::draft(profile, rng),
        Kind::Order => order::draft(profile, rng),
        Kind::Group => group::draft(profile, rng),
        Kind::Having => having::draft(profile, rng),
        Kind::Distinct => distinct::draft(profile, rng),
        Kind::Not => not_equal::draft(profile, rng),
        Kind::Bounds => bounds::draft(profile, rng),
        Kind::Between => between::draft(profile, rng),
        Kind::Like => like::draft(profile, rng),
        Kind::Or => or::draft(profile, rng),
        Kind::Columns => columns::draft(profile, rng),
        Kind::Dates => dates::draft(profile, rng),
        Kind::Whole | Kind::Count | Kind::Quoted | Kind::Names | Kind::Headers | Kind::Written => {
            None
        }
    }
}

/// The words a template may use about a table: `{n}`/`{s}` (what rows are, plural/singular).
fn noun_words(p: &Profile) -> [(&'static str, String); 2] {
    [("n", p.noun.many.clone()), ("s", p.noun.one.clone())]
}

/// `template` filled with the table's nouns and `extra` values.
fn say(template: &str, p: &Profile, extra: &[(&str, &str)]) -> String {
    let nouns = noun_words(p);
    let mut values: Vec<(&str, &str)> = nouns.iter().map(|(k, v)| (*k, v.as_str())).collect();
    values.extend_from_slice(extra);
    crate::words::fill(template, &values)
}

/// A column's name in the plural ("positions") when it reads as a short noun, else "{header}
/// values" ("published values", "years in toronto values", "no values").
fn plural_of(col: &Column) -> String {
    match plural(&col.spoken) {
        Some(many) if reads_as_noun(&col.spoken) => many,
        _ => format!("{} values", col.spoken),
    }
}

/// Whether a number column is said after its number, as counted things are: "at least 5
/// goals", "over 300 pages" (a tally, or a header that is one plural word).
fn counted(col: &Column) -> bool {
    let s = &col.spoken;
    let plural_word = !s.contains(' ')
        && s.ends_with('s')
        && !s.ends_with("ss")
        && !s.ends_with("us")
        && !s.ends_with("is");
    col.role.is_number() && (col.role == Role::Tally || plural_word)
}

/// How a question writes row `row`'s cell of `col`: money with "$", numbers as digits, text as is.
fn cell_words(col: &Column, row: usize, rng: &mut StdRng) -> Option<String> {
    match col.numbers.get(row).copied().flatten() {
        Some(x) => Some(number_words(col, x, rng)),
        None if col.role.is_number() => None,
        None => Some(col.texts[row].trim().to_string()).filter(|t| !t.is_empty()),
    }
}

/// How a question writes a number of `col`.
fn number_words(col: &Column, x: f64, rng: &mut StdRng) -> String {
    if matches!(col.role, Role::Price | Role::Money) {
        money_text(x, rng)
    } else {
        number_text(x)
    }
}

/// A random row whose cell in `col` a question can quote, with its value and its words.
fn quotable_row(col: &Column, rng: &mut StdRng) -> Option<(usize, CondValue, String)> {
    let rows: Vec<usize> = (0..col.texts.len())
        .filter(|&r| col.value(r).is_some() && col.texts[r].chars().count() <= MAX_QUOTED_CHARS)
        .collect();
    let &row = rows.get(rng.random_range(0..rows.len().max(1)))?;
    Some((row, col.value(row)?, cell_words(col, row, rng)?))
}

fn compare(col: usize, op: CmpOp, value: CondValue) -> Condition {
    Condition {
        col,
        pred: Predicate::Compare(op, value),
    }
}

fn ordered_by(item: Item, dir: Direction) -> Option<OrderBy> {
    Some(OrderBy { item, dir })
}

fn random_dir(rng: &mut StdRng) -> Direction {
    if rng.random_bool(0.5) {
        Direction::Desc
    } else {
        Direction::Asc
    }
}

/// The other direction.
fn flipped(dir: Direction) -> Direction {
    match dir {
        Direction::Asc => Direction::Desc,
        Direction::Desc => Direction::Asc,
    }
}

/// One of `columns`, or `None` when there are none.
fn pick_column<'a>(columns: &[&'a Column], rng: &mut StdRng) -> Option<&'a Column> {
    (!columns.is_empty()).then(|| pick(rng, columns))
}

/// What a question selects: `COUNT(*)` when it counts the rows, else the column naming them.
fn selected_items(p: &Profile, count: bool) -> Vec<Item> {
    if count {
        vec![Item::count_rows()]
    } else {
        vec![Item::column(p.subject)]
    }
}

/// The columns holding numbers, in the profile's order.
fn number_columns<'a>(p: &'a Profile) -> Vec<&'a Column> {
    p.ordered()
        .into_iter()
        .filter(|c| c.role.is_number())
        .collect()
}

/// How a question names a column when it may be the subject: the subject is "name" when its
/// cells name the rows ("players whose name starts with …", not "whose player starts with").
fn column_words(p: &Profile, col: &Column) -> String {
    if col.index == p.subject && col.role.names_rows() {
        "name".into()
    } else {
        col.spoken.clone()
    }
}
