//! How WikiSQL tables and columns are named inside SQLite.
//!
//! Columns carry their real headers (not WikiSQL's `col0..colN`) so the SQL people read is the SQL
//! that runs. Headers can be empty, repeated, or hold quotes and keywords: names are made unique
//! deterministically and always quoted.

/// SQLite table name of a WikiSQL table id: `table_<id with '-' replaced by '_'>` (and NUL, which
/// SQLite identifiers cannot hold, by U+FFFD as in [`column_names`]).
pub fn table_name(table_id: &str) -> String {
    format!(
        "table_{}",
        table_id.replace('-', "_").replace('\0', "\u{FFFD}")
    )
}

/// A quoted SQLite identifier: wrapped in `"` with inner `"` doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Unique SQLite column names for a header, index for index.
///
/// - NUL characters (which SQLite identifiers cannot hold) become U+FFFD;
/// - an empty (or all-whitespace) header becomes `column_<i+1>`;
/// - a name already taken (SQLite compares identifiers ASCII case-insensitively) gets ` (2)`,
///   ` (3)`, … appended, the first free suffix, in header order.
pub fn column_names(header: &[String]) -> Vec<String> {
    let mut taken = std::collections::HashSet::new();
    let mut names = Vec::with_capacity(header.len());
    for (i, raw) in header.iter().enumerate() {
        let cleaned = raw.replace('\0', "\u{FFFD}");
        let base = if cleaned.trim().is_empty() {
            format!("column_{}", i + 1)
        } else {
            cleaned
        };
        let mut name = base.clone();
        let mut n = 2;
        while !taken.insert(name.to_ascii_lowercase()) {
            name = format!("{base} ({n})");
            n += 1;
        }
        names.push(name);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn table_names_replace_dashes() {
        assert_eq!(table_name("1-10015132-11"), "table_1_10015132_11");
        assert_eq!(table_name("a\0b"), "table_a\u{FFFD}b");
    }

    #[test]
    fn quotes_are_doubled() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn empty_and_duplicate_headers_become_unique() {
        let names = column_names(&h(&["Name", "", "name", "Name", " ", "Name (2)"]));
        assert_eq!(
            names,
            vec![
                "Name",
                "column_2",
                "name (2)",
                "Name (3)",
                "column_5",
                "Name (2) (2)"
            ]
        );
    }
}
