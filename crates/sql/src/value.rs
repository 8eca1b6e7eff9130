//! Value semantics of the official WikiSQL engine (`lib/dbengine.py`), shared by SQL building,
//! execution and scoring.

/// Case folding for text comparison: full Unicode lowercasing (SQLite's `lower()`/`NOCASE` fold
/// ASCII only, the official engine lowercases with Python's `str.lower`).
pub fn fold_text(s: &str) -> String {
    s.to_lowercase()
}

/// A condition value on a `real` column as the official engine reads it: babel's
/// `parse_decimal` (en_US: "1,234.5" → 1234.5), else the first number in the string
/// (`[-+]?\d*\.\d+|\d+`), else none (the official engine raises; we compare with NULL, matching nothing).
pub fn parse_official_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if let Some(v) = parse_decimal_en(t) {
        return Some(v);
    }
    first_number(t)
}

/// babel.numbers.parse_decimal for en_US, non-strict: grouping commas are dropped, one '.' decimal.
fn parse_decimal_en(s: &str) -> Option<f64> {
    if s.is_empty() {
        return None;
    }
    let no_groups: String = s.chars().filter(|&c| c != ',').collect();
    let body = no_groups
        .strip_prefix('-')
        .or_else(|| no_groups.strip_prefix('+'))
        .unwrap_or(&no_groups);
    let mut dots = 0;
    let mut digits = 0;
    for c in body.chars() {
        match c {
            '0'..='9' => digits += 1,
            '.' => dots += 1,
            _ => return None,
        }
    }
    if digits == 0 || dots > 1 || s.starts_with(',') {
        return None;
    }
    no_groups.parse::<f64>().ok()
}

/// Python `float(re.findall(r'[-+]?\d*\.\d+|\d+', s)[0])`.
fn first_number(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let n = b.len();
    let digits_from = |mut j: usize| {
        while j < n && b[j].is_ascii_digit() {
            j += 1;
        }
        j
    };
    for start in 0..n {
        // Alternative 1: [-+]?\d*\.\d+  (tried first, as Python's regex does)
        let mut j = start;
        if j < n && (b[j] == b'-' || b[j] == b'+') {
            j += 1;
        }
        let int_end = digits_from(j);
        if int_end < n && b[int_end] == b'.' {
            let frac_end = digits_from(int_end + 1);
            if frac_end > int_end + 1 {
                return s[start..frac_end].parse().ok();
            }
        }
        // Alternative 2: \d+
        if b[start].is_ascii_digit() {
            let end = digits_from(start);
            return s[start..end].parse().ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_and_plain_decimals() {
        assert_eq!(parse_official_number("1,234"), Some(1234.0));
        assert_eq!(parse_official_number("1,234.5"), Some(1234.5));
        assert_eq!(parse_official_number("-3.25"), Some(-3.25));
        assert_eq!(parse_official_number(" 42 "), Some(42.0));
    }

    #[test]
    fn first_number_fallback() {
        assert_eq!(parse_official_number("2.6 lb / ft"), Some(2.6));
        assert_eq!(parse_official_number("abc 17 def 3"), Some(17.0));
        assert_eq!(parse_official_number("v-.5x"), Some(-0.5));
        assert_eq!(parse_official_number("1996-97"), Some(1996.0));
        assert_eq!(parse_official_number("none"), None);
        assert_eq!(parse_official_number(""), None);
    }

    #[test]
    fn folding_is_unicode_aware() {
        assert_eq!(fold_text("ÉCOLE Straße"), "école straße");
        assert_eq!(fold_text("ΑΘΗΝΑ"), "αθηνα");
    }
}
