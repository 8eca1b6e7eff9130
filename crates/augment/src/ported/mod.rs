//! generate.py's kinds, ported with the same logic: questions WikiSQL rarely asks (whole-column
//! answers, everyday counts), and variations of its own questions (quoted values, split name
//! columns, headers written as code). Their queries are inside WikiSQL's sketch. The templated
//! questions (`whole`, `count`) are framed as the family's are ([`crate::framing`]), which
//! generate.py did not do; the rewritten WikiSQL questions keep their own words.

pub mod count;
pub mod headers;
pub mod names;
pub mod quoted;
pub mod whole;

use crate::family::Draft;
use crate::profile::Profile;
use crate::words::{capitalised, pick, plural};
use rand::rngs::StdRng;
use rand::Rng;
use sqlcoder_data::types::{FamilyQuery, Query};

/// generate.py's `GENERIC_NOUNS`: what rows are called when the first header does not say.
const ROW_NOUNS: [&str; 5] = ["rows", "entries", "records", "items", "results"];

/// What a row is called: the first column's header in the plural (60%), or a generic noun.
fn noun_for(p: &Profile, rng: &mut StdRng) -> String {
    let first = rng
        .random_bool(0.6)
        .then(|| plural(&p.columns[0].spoken))
        .flatten();
    first.unwrap_or_else(|| pick(rng, &ROW_NOUNS).to_string())
}

/// A sketch question as a draft: put one of the ways people ask it ([`crate::framing`]), then
/// capitalised as generate.py's `example()` does.
fn sketch(question: String, query: Query, rng: &mut StdRng) -> Draft {
    let question = crate::framing::framed(&question, rng);
    Draft {
        question: capitalised(question, rng),
        query: FamilyQuery::from(&query),
    }
}
