//! How a question is put to the table. A template says what is asked ("the average age for each
//! team"); people ask the same thing bare ("average age per team"), as a request ("Could you
//! show me the average age for each team?"), politely ("Please sort the dogs by age."), or
//! pointing at the table ("… in this table?", "Looking at the table, which …"). Framing every
//! template these ways multiplies the wordings a shape is seen in, so a model does not tie a
//! shape to a handful of stock phrasings, and keeps most questions from being the shortest,
//! most generic form. Bare phrases stay, less often: people type them too.
//!
//! A template is read by its first word: a question word ("Which", "How many"), a command verb
//! ("List", "Sort") or anything else, a bare phrase ("average {c} per {g}", "the {k} oldest
//! {n}"). Every frame keeps the template's words, so the question still asks what its query
//! answers.

use crate::words::pick;
use rand::rngs::StdRng;
use rand::Rng;

/// Requests put before a noun phrase ("the players sorted by age"), with their closing mark.
const REQUESTS: &[(&str, char)] = &[
    ("Show me", '.'),
    ("Could you list", '?'),
    ("Can you show me", '?'),
    ("I need", '.'),
    ("I'd like to see", '.'),
    ("Please list", '.'),
    ("Give me", '.'),
    ("Can I get", '?'),
    ("Could you give me", '?'),
    ("I want to see", '.'),
    ("Please show me", '.'),
    ("Can you pull up", '?'),
    ("Get me", '.'),
    ("Can you find", '?'),
    ("I'm looking for", '.'),
    ("Could you please show", '?'),
    ("Help me find", '.'),
    ("Can you list", '?'),
];
/// Commands whose object is a noun phrase, the verb's words lowercased: the phrase can be
/// requested any of the [`REQUESTS`] ways instead ("List the dogs" → "I need the dogs").
const PHRASE_VERBS: &[&str] = &[
    "list", "show me", "show", "give me", "give", "name", "tell me", "find",
];
/// Command verbs asked politely ("Please sort …", "Can you sort …?").
const COMMAND_VERBS: &[&str] = &["sort", "order", "rank", "count", "sum", "add"];
/// Polite forms of a command: `{x}` is the command, its verb lowercased.
const POLITE: &[(&str, char)] = &[
    ("Please {x}", '.'),
    ("Can you {x}", '?'),
    ("Could you {x}", '?'),
    ("Could you please {x}", '?'),
    ("I'd like you to {x}", '.'),
    ("{X}, please", '.'),
    ("Would you {x}", '?'),
];
/// Words that open a question.
const QUESTION_WORDS: &[&str] = &[
    "which", "what", "what's", "who", "how", "is", "are", "do", "does", "on",
];
/// Where the rows are, said after what is asked.
const PLACES: &[&str] = &[
    "in the table",
    "in this table",
    "in the list",
    "in this list",
    "listed here",
    "in the data",
    "in this data",
    "here",
    "from the table",
    "on this list",
    "in this dataset",
    "shown in the table",
];
/// Said before a question.
const LEADS: &[&str] = &[
    "Looking at the table,",
    "In this table,",
    "From the table,",
    "Based on this table,",
    "According to the table,",
    "Quick question:",
    "For this table,",
    "Using the table,",
    "Going by this list,",
    "Out of all the rows,",
];
/// Openings for a question asked as a statement ("Can you tell me which dog is the oldest?").
const EMBEDS: &[(&str, char)] = &[
    ("Can you tell me", '?'),
    ("Could you tell me", '?'),
    ("Do you know", '?'),
    ("I'd like to know", '.'),
    ("I want to know", '.'),
    ("Tell me", '.'),
    ("Please tell me", '.'),
    ("I'm trying to find out", '.'),
];
/// Words that start a phrase about an amount or a rank: a request puts "the" before them
/// ("Show me the average age per team", not "Show me average age"), as before a count ("the 3
/// oldest dogs").
const AMOUNT_WORDS: &[&str] = &[
    "average",
    "avg",
    "mean",
    "total",
    "number",
    "count",
    "sum",
    "maximum",
    "minimum",
    "max",
    "min",
    "combined",
    "highest",
    "lowest",
    "largest",
    "smallest",
    "biggest",
    "top",
    "bottom",
    "most",
    "least",
    "fewest",
    "oldest",
    "youngest",
    "earliest",
    "latest",
    "rarest",
    "different",
    "distinct",
    "unique",
];
/// Share of bare phrases kept bare.
const BARE_SHARE: f64 = 0.2;

/// `question`, as a template wrote it, put one of the ways people ask it.
pub fn framed(question: &str, rng: &mut StdRng) -> String {
    let question = question.trim();
    let first = first_word(question);
    if QUESTION_WORDS.contains(&first.as_str()) {
        return asked(question, rng);
    }
    // A capital marks a command; in a bare phrase "name", "count" and "sum" are nouns ("name
    // and age of all dogs", "count of dogs by owner").
    let capital = question.starts_with(char::is_uppercase);
    if let Some(phrase) = phrase_verb(question).filter(|_| capital || first != "name") {
        return if rng.random_bool(0.55) {
            requested(phrase, rng)
        } else {
            commanded(question, rng)
        };
    }
    if capital && COMMAND_VERBS.contains(&first.as_str()) {
        return commanded(question, rng);
    }
    if rng.random_bool(BARE_SHARE) {
        return question.to_string();
    }
    requested(question, rng)
}

/// A question, led into, followed by where to look, or asked as a statement.
fn asked(question: &str, rng: &mut StdRng) -> String {
    let roll: f64 = rng.random();
    if roll < 0.3 {
        let lead = pick(rng, LEADS);
        format!("{lead} {}", lowered(question))
    } else if roll < 0.55 {
        placed(question, rng)
    } else if roll < 0.75 && embeddable(question) {
        let (open, mark) = pick(rng, EMBEDS);
        let body = question.trim_end_matches(['?', '.']);
        format!("{open} {}{mark}", lowered(body))
    } else {
        question.to_string()
    }
}

/// A noun phrase (or a command's object) requested, sometimes saying where to look.
fn requested(phrase: &str, rng: &mut StdRng) -> String {
    let phrase = phrase.trim_end_matches(['?', '.']);
    let (open, mark) = pick(rng, REQUESTS);
    let first = first_word(phrase);
    let article = if AMOUNT_WORDS.contains(&first.as_str())
        || first.starts_with(|c: char| c.is_ascii_digit())
    {
        "the "
    } else {
        ""
    };
    let request = format!("{open} {article}{}{mark}", lowered(phrase));
    if rng.random_bool(0.35) {
        placed(&request, rng)
    } else {
        request
    }
}

/// A command, asked politely or as it is, sometimes saying where to look.
fn commanded(command: &str, rng: &mut StdRng) -> String {
    let command = if rng.random_bool(0.6) {
        let (form, mark) = pick(rng, POLITE);
        let body = command.trim_end_matches(['?', '.']);
        let filled = if form.starts_with("{X}") {
            form.replace("{X}", body)
        } else {
            form.replace("{x}", &lowered(body))
        };
        format!("{filled}{mark}")
    } else {
        command.to_string()
    };
    if rng.random_bool(0.3) {
        placed(&command, rng)
    } else {
        command
    }
}

/// `text` with where to look said before its closing mark ("… in this table?"), unless it
/// already says so or ends in a phrase the place would dangle after.
fn placed(text: &str, rng: &mut StdRng) -> String {
    let lower = text.to_lowercase();
    let says_where = ["table", " list", "listed", "here", " in it"]
        .iter()
        .any(|w| lower.contains(w));
    if says_where {
        return text.to_string();
    }
    let body = text.trim_end_matches(['?', '.']);
    let mark = &text[body.len()..];
    format!("{body} {}{mark}", pick(rng, PLACES))
}

/// Whether a question can follow "Can you tell me": its question word asks for the subject,
/// so its words keep their order ("which dog has …", "how many dogs have …"); not a question
/// whose verb comes first ("what is …", "how many … does each team have", "… are there").
fn embeddable(question: &str) -> bool {
    let lower = question.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    let verb_first = ["do", "does", "did", "is", "are", "was", "were"];
    let subject = match words.as_slice() {
        ["how", "many", ..] => true,
        ["which" | "who" | "what", second, ..] => !verb_first.contains(second),
        _ => false,
    };
    let auxiliary = words
        .iter()
        .any(|w| ["do", "does", "did", "don't", "doesn't"].contains(w));
    let there = lower.contains(" are there") || lower.contains(" is there");
    subject && !auxiliary && !there
}

/// The object of a command whose verb takes a noun phrase ("List the dogs." → "the dogs.").
fn phrase_verb(command: &str) -> Option<&str> {
    let lower = command.to_lowercase();
    PHRASE_VERBS.iter().find_map(|verb| {
        let rest = lower.strip_prefix(verb)?.strip_prefix(' ')?;
        Some(&command[command.len() - rest.len()..])
    })
}

/// The first word, lowercased.
fn first_word(text: &str) -> String {
    text.split_whitespace().next().unwrap_or("").to_lowercase()
}

/// `text` with its first letter lowercased when it opens a sentence word ("Which" → "which"),
/// not a name or an acronym ("I", "NBA"): only when the next letter is lowercase too.
fn lowered(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_lowercase() => a
            .to_lowercase()
            .chain(text[a.len_utf8()..].chars())
            .collect(),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn frames_keep_the_template_words() {
        let mut rng = StdRng::seed_from_u64(5);
        for _ in 0..50 {
            let q = framed("average age per team", &mut rng);
            assert!(q.contains("average age per team"), "{q}");
            let q = framed("List the dogs sorted by age.", &mut rng);
            assert!(q.to_lowercase().contains("the dogs sorted by age"), "{q}");
            let q = framed("Which dog has the most wins?", &mut rng);
            assert!(q.contains("dog has the most wins"), "{q}");
        }
    }

    #[test]
    fn only_subject_questions_are_embedded() {
        assert!(embeddable("Which dog has the most wins?"));
        assert!(embeddable("How many dogs have age 3?"));
        assert!(!embeddable("What is the average age?"));
        assert!(!embeddable("How many dogs does each owner have?"));
        assert!(!embeddable("How many dogs are there?"));
        assert_eq!(phrase_verb("Show me the dogs."), Some("the dogs."));
        assert_eq!(phrase_verb("Sort the dogs by age."), None);
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..30 {
            let q = framed("name and age of all dogs", &mut rng);
            assert!(q.contains("name and age of all dogs"), "{q}");
            let q = framed("count of dogs by owner", &mut rng);
            assert!(q.contains("count of dogs by owner"), "{q}");
        }
        assert_eq!(lowered("Which dog"), "which dog");
        assert_eq!(lowered("NBA teams"), "NBA teams");
    }
}
