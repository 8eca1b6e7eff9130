//! What a handler answers before it becomes an HTTP response, and log-safe text.

use crate::session::terminal_safe;

/// A response before it is written: status, media type, extra headers, body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            content_type,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// `{"error": message}` with `status`.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        let body = serde_json::json!({ "error": message.into() }).to_string();
        Self::new(status, "application/json", body)
    }

    /// `value` as a JSON body.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Self::new(status, "application/json", value.to_string())
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// `s` for a log line or an error message: control characters (and backslashes) escaped, at
/// most `max` characters kept, a cut marked with `…(N bytes)`.
pub fn bounded(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => terminal_safe(s),
        Some((cut, _)) => format!("{}…({} bytes)", terminal_safe(&s[..cut]), s.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_text_is_escaped_and_bounded() {
        assert_eq!(bounded("a\x1b[31mb\n", 100), "a\\u{1b}[31mb\\n");
        assert_eq!(bounded(&"x".repeat(10), 4), "xxxx…(10 bytes)");
        assert_eq!(bounded("a\\b", 10), "a\\\\b");
    }
}
