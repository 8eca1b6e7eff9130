//! Windows-1252 text, as Excel on Windows writes "CSV" (not "CSV UTF-8"): é, €, curly quotes.

/// The characters of bytes 0x80–0x9F, where Windows-1252 differs from Latin-1; `None` for the
/// five bytes it leaves undefined.
const HIGH_CONTROLS: [Option<char>; 32] = [
    Some('€'),
    None,
    Some('‚'),
    Some('ƒ'),
    Some('„'),
    Some('…'),
    Some('†'),
    Some('‡'),
    Some('ˆ'),
    Some('‰'),
    Some('Š'),
    Some('‹'),
    Some('Œ'),
    None,
    Some('Ž'),
    None,
    None,
    Some('\u{2018}'),
    Some('\u{2019}'),
    Some('\u{201C}'),
    Some('\u{201D}'),
    Some('•'),
    Some('–'),
    Some('—'),
    Some('˜'),
    Some('™'),
    Some('š'),
    Some('›'),
    Some('œ'),
    None,
    Some('ž'),
    Some('Ÿ'),
];

/// `bytes` decoded as Windows-1252, or the offset of the first byte it leaves undefined (0x81,
/// 0x8D, 0x8F, 0x90, 0x9D: such bytes mean the text is in some other encoding).
pub fn decode(bytes: &[u8]) -> Result<String, usize> {
    bytes
        .iter()
        .enumerate()
        .map(|(i, &b)| match b {
            0x80..=0x9F => HIGH_CONTROLS[usize::from(b - 0x80)].ok_or(i),
            // Every other byte is the code point of the same number (as in Latin-1).
            _ => Ok(char::from(b)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_csv_bytes_decode() {
        assert_eq!(
            decode(b"caf\xe9 \x80 5 \x93hi\x94 \x92").unwrap(),
            "café € 5 \u{201C}hi\u{201D} \u{2019}"
        );
        assert_eq!(decode(b"ab\x81"), Err(2));
    }
}
