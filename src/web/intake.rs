//! How an uploaded file becomes a table: its format (from the declared media type, then its first
//! bytes), read from the request body as the body arrives, on a worker thread. [`read_table`] is
//! the one place a format is added.

use anyhow::{bail, Result};
use bytes::Bytes;
use sqlcoder_data::csv::{read_csv, TableLimits};
use sqlcoder_data::xlsx::{table_from_xlsx_bytes, WorkbookLimits};
use sqlcoder_data::Table;
use std::io::{Cursor, Read};
use tokio::sync::mpsc;

/// The formats an upload may be in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Format {
    Csv,
    /// An Excel workbook (`.xlsx`), its first visible sheet ([`sqlcoder_data::xlsx`]).
    Xlsx,
}

/// How an upload's body carries the file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UploadBody {
    /// The body is the file (`/api/upload`).
    File(Declared),
    /// `{"name", "text"}`: a CSV file's text inside JSON (`/api/csv`).
    Json,
}

/// What the request's `Content-Type` says the file is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Declared {
    Is(Format),
    /// `application/octet-stream`: told by the first bytes.
    Unknown,
}

/// Media types read as CSV: `application/vnd.ms-excel` is what Windows names a `.csv` file.
/// `text/plain` is not among them: a page of another site may send it without asking (no CORS
/// preflight), while these need a preflight, which this server never grants.
const CSV_TYPES: [&str; 3] = [
    "text/csv",
    "text/tab-separated-values",
    "application/vnd.ms-excel",
];
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const UNKNOWN_TYPE: &str = "application/octet-stream";

/// What a workbook upload (at most the 2 MiB body cap) may unzip to: 64 MiB. Cells are read as
/// they unzip, so this bounds the work an upload can cost, not what it holds (the table's own
/// limits and the upload caps do that).
pub const MAX_UPLOAD_UNZIPPED_BYTES: u64 = 64 << 20;

/// The format `content_type` declares, or the one-line reason it is refused (415).
pub fn declared(content_type: Option<&str>) -> Result<Declared, String> {
    let media = content_type
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if CSV_TYPES.contains(&media.as_str()) {
        return Ok(Declared::Is(Format::Csv));
    }
    if media == XLSX_TYPE {
        return Ok(Declared::Is(Format::Xlsx));
    }
    if media == UNKNOWN_TYPE {
        return Ok(Declared::Unknown);
    }
    Err(format!(
        "an upload is sent as the file itself with Content-Type {}, {XLSX_TYPE} or {UNKNOWN_TYPE} (got {:?})",
        CSV_TYPES.join(", "),
        super::reply::bounded(&media, 60)
    ))
}

/// The file's name from the query string's `name=` (percent-decoded, at most 100 characters), or
/// `upload.csv`.
pub fn name_param(query: Option<&str>) -> String {
    let name = query
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("name="))
        .map(|v| {
            percent_encoding::percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "upload.csv".into());
    name.chars().take(100).collect()
}

/// Zip archives (an `.xlsx` workbook is one) and the older OLE files (`.xls`) start so.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = b"\xd0\xcf\x11\xe0";

/// The table `id` read from `body`, a file named `name` of the `declared` format, within `limits`.
/// The format is settled here from what was declared and the first bytes; add a format by adding
/// its [`Format`], its media type in [`declared`] and its reader in the `match` below.
pub fn read_table(
    declared: Declared,
    id: &str,
    name: &str,
    body: impl Read,
    limits: &TableLimits,
) -> Result<Table> {
    let (magic, mut body) = first_bytes(body, 4)?;
    // A zip or OLE file is read as a workbook whatever was declared: the workbook reader names
    // what it is when it is not an .xlsx (an encrypted workbook, an .xls, an .ods).
    let format = if magic.starts_with(ZIP_MAGIC) || magic.starts_with(OLE_MAGIC) {
        Format::Xlsx
    } else {
        match declared {
            Declared::Is(Format::Xlsx) => bail!("{name}: not an Excel workbook (.xlsx)"),
            Declared::Is(f) => f,
            Declared::Unknown => Format::Csv,
        }
    };
    match format {
        Format::Csv => read_csv(id, name, body, limits),
        Format::Xlsx => {
            // A zip is read from its end: the whole body (within the body cap) is needed.
            let mut bytes = Vec::new();
            body.read_to_end(&mut bytes)?;
            let limits = WorkbookLimits {
                table: *limits,
                max_unzipped_bytes: MAX_UPLOAD_UNZIPPED_BYTES,
            };
            Ok(table_from_xlsx_bytes(id, name, &bytes, None, &limits)?.table)
        }
    }
}

/// The first `n` bytes of `input` (fewer when it is shorter), and all of it again as a reader.
fn first_bytes<R: Read>(mut input: R, n: usize) -> Result<(Vec<u8>, impl Read)> {
    let mut start = vec![0; n];
    let mut got = 0;
    while got < n {
        let k = input.read(&mut start[got..])?;
        if k == 0 {
            break;
        }
        got += k;
    }
    start.truncate(got);
    Ok((start.clone(), Cursor::new(start).chain(input)))
}

/// One piece of a body on its way to the worker reading it.
pub enum Piece {
    Data(Bytes),
    /// The whole body arrived; a channel closed without it means the body was cut off.
    End,
}

/// Pieces of a body in flight between the connection and a worker: a few at a time, so a body
/// waits in the client's socket, not in our memory, until a worker reads it.
pub const PIECES_IN_FLIGHT: usize = 4;

/// A request body as a blocking [`Read`], for the worker thread that parses it.
pub struct BodyReader {
    pieces: mpsc::Receiver<Piece>,
    current: Bytes,
    ended: bool,
}

impl BodyReader {
    pub fn new(pieces: mpsc::Receiver<Piece>) -> Self {
        Self {
            pieces,
            current: Bytes::new(),
            ended: false,
        }
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() && !self.ended {
            match self.pieces.blocking_recv() {
                Some(Piece::Data(b)) => self.current = b,
                Some(Piece::End) => self.ended = true,
                None => {
                    return Err(std::io::Error::other("the upload stopped arriving"));
                }
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_names_and_magic() {
        assert_eq!(
            declared(Some("text/csv; charset=utf-8")),
            Ok(Declared::Is(Format::Csv))
        );
        assert_eq!(
            declared(Some("application/octet-stream")),
            Ok(Declared::Unknown)
        );
        assert!(declared(Some("text/plain")).is_err());
        assert!(declared(None).is_err());
        assert_eq!(
            name_param(Some("x=1&name=caf%C3%A9+bar.csv")),
            "café bar.csv"
        );
        assert_eq!(name_param(None), "upload.csv");
        assert_eq!(
            name_param(Some(&format!("name={}", "a".repeat(500)))).len(),
            100
        );
        let limits = TableLimits::default();
        let table = read_table(Declared::Unknown, "t", "t.csv", &b"a,b\n1,2\n"[..], &limits);
        assert_eq!(table.unwrap().rows.len(), 1);
        let zip = read_table(
            Declared::Unknown,
            "t",
            "t.xlsx",
            &b"PK\x03\x04rest"[..],
            &limits,
        );
        let err = zip.unwrap_err().to_string();
        assert!(err.starts_with("t.xlsx") && !err.contains('\n'), "{err}");
        let not_xlsx = read_table(
            Declared::Is(Format::Xlsx),
            "t",
            "t.xlsx",
            &b"a,b\n"[..],
            &limits,
        );
        assert!(not_xlsx.is_err());
    }

    /// A workbook sent as the body becomes its first sheet's table, whatever type was declared.
    #[test]
    fn a_workbook_body_is_read_as_its_first_sheet() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write(0, 0, "city").unwrap();
        sheet.write(0, 1, "population").unwrap();
        sheet.write(1, 0, "Braga").unwrap();
        sheet.write(1, 1, 193_000).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        for declared in [Declared::Unknown, Declared::Is(Format::Xlsx)] {
            let t = read_table(declared, "t", "c.xlsx", &bytes[..], &TableLimits::default());
            let t = t.unwrap();
            assert_eq!(t.header, ["city", "population"]);
            assert_eq!(t.rows.len(), 1);
        }
    }
}
