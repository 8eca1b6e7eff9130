//! Excel workbooks as own tables (`sqlcoder_data::xlsx`): workbooks written here with
//! rust_xlsxwriter (formulas carry the cached value Excel would have saved), read back as tables.

use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook, Worksheet};
use sqlcoder_data::csv::TableLimits;
use sqlcoder_data::types::{Cell, ColumnType};
use sqlcoder_data::xlsx::{table_from_xlsx_bytes, SheetTable, WorkbookLimits, MAX_UNZIPPED_BYTES};
use std::io::{Cursor, Read, Write};

fn read(bytes: &[u8], sheet: Option<&str>) -> anyhow::Result<SheetTable> {
    table_from_xlsx_bytes(
        "book",
        "book.xlsx",
        bytes,
        sheet,
        &WorkbookLimits::default(),
    )
}

fn error(bytes: &[u8], sheet: Option<&str>) -> String {
    let e = read(bytes, sheet).unwrap_err().to_string();
    assert!(!e.contains('\n'), "one line: {e}");
    e
}

/// A workbook of one sheet filled by `fill`.
fn book(fill: impl FnOnce(&mut Worksheet)) -> Vec<u8> {
    let mut workbook = Workbook::new();
    fill(workbook.add_worksheet());
    workbook.save_to_buffer().unwrap()
}

fn text(s: &str) -> Cell {
    Cell::Text(s.into())
}

#[test]
fn cells_become_numbers_text_dates_and_nulls() {
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let percent = Format::new().set_num_format("0.0%");
    let bytes = book(|s| {
        for (c, h) in [
            "City", "People", "Founded", "Updated", "Growth", "Capital", "Ratio",
        ]
        .iter()
        .enumerate()
        {
            s.write_string(0, c as u16, *h).unwrap();
        }
        let rows = [("Porto", 231_800.0, (1923, 1, 1), 0.125, false, "7")];
        for (r, (city, people, (y, m, d), growth, capital, ratio)) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            s.write_string(r, 0, *city).unwrap();
            s.write_number(r, 1, *people).unwrap();
            let day = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
            s.write_datetime_with_format(r, 2, &day, &date).unwrap();
            let at = ExcelDateTime::from_ymd(2024, 3, 1)
                .unwrap()
                .and_hms(13, 45, 0)
                .unwrap();
            s.write_datetime_with_format(r, 3, &at, &datetime).unwrap();
            s.write_number_with_format(r, 4, *growth, &percent).unwrap();
            s.write_boolean(r, 5, *capital).unwrap();
            s.write_formula(r, 6, Formula::new("=14/2").set_result(*ratio))
                .unwrap();
        }
        s.write_string(2, 0, "Lisbon").unwrap();
        s.write_formula(2, 1, Formula::new("=B2*2").set_result("463600"))
            .unwrap();
        s.write_datetime_with_format(2, 2, ExcelDateTime::from_ymd(1947, 10, 25).unwrap(), &date)
            .unwrap();
        s.write_formula(2, 6, Formula::new("=1/0").set_result("#DIV/0!"))
            .unwrap();
        s.write_boolean(2, 5, true).unwrap();
    });
    let read = read(&bytes, None).unwrap();
    let t = &read.table;
    assert_eq!(t.id, "book");
    assert_eq!(
        t.header,
        vec!["City", "People", "Founded", "Updated", "Growth", "Capital", "Ratio"]
    );
    use ColumnType::{Real, Text};
    assert_eq!(t.types, vec![Text, Real, Text, Text, Real, Text, Real]);
    assert_eq!(
        t.rows[0],
        vec![
            text("Porto"),
            Cell::Number(231_800.0),
            text("1923-01-01"),
            text("2024-03-01 13:45:00"),
            Cell::Number(12.5),
            text("FALSE"),
            Cell::Number(7.0),
        ]
    );
    // A formula's cached value; an error value as empty (NULL in a real column).
    assert_eq!(t.rows[1][1], Cell::Number(463_600.0));
    assert_eq!(t.rows[1][2], text("1947-10-25"));
    assert_eq!(t.rows[1][4], text(""));
    assert_eq!(t.rows[1][5], text("TRUE"));
    assert_eq!(t.rows[1][6], text(""));
    let notes = read.notes.join("\n");
    assert!(
        notes.contains("1 error cell(s) read as empty (NULL), the first G3 (#DIV/0!)"),
        "{notes}"
    );
    assert!(
        notes.contains("column \"Growth\": percentages read as percent points"),
        "{notes}"
    );
}

/// `bytes` with `xl/workbook.xml` saying the 1904 date system (rust_xlsxwriter writes 1900 only).
fn with_1904_dates(bytes: &[u8]) -> Vec<u8> {
    let mut from = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut to = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..from.len() {
        let mut entry = from.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if name == "xl/workbook.xml" {
            let xml = String::from_utf8(data).unwrap();
            assert!(xml.contains("<workbookPr"), "{xml}");
            data = xml
                .replace("<workbookPr", "<workbookPr date1904=\"1\"")
                .into_bytes();
        }
        to.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        to.write_all(&data).unwrap();
    }
    to.finish().unwrap().into_inner()
}

#[test]
fn dates_of_the_1904_system_are_read_as_such() {
    let date = Format::new().set_num_format("d mmm yyyy");
    // 2024-03-01 is day 45352 in the 1900 system and 1462 days fewer in the 1904 system.
    let bytes = book(|s| {
        s.write_string(0, 0, "Event").unwrap();
        s.write_string(0, 1, "On").unwrap();
        s.write_string(1, 0, "Launch").unwrap();
        s.write_number_with_format(1, 1, 45352.0 - 1462.0, &date)
            .unwrap();
        s.write_string(2, 0, "Review").unwrap();
        s.write_number_with_format(2, 1, 45352.5 - 1462.0, &date)
            .unwrap();
    });
    let t = read(&with_1904_dates(&bytes), None).unwrap().table;
    assert_eq!(t.rows[0][1], text("2024-03-01"));
    assert_eq!(t.rows[1][1], text("2024-03-01 12:00:00"));
    let t = read(&bytes, None).unwrap().table;
    assert_eq!(t.rows[0][1], text("2020-02-29"), "the same serial in 1900");
}

#[test]
fn the_header_is_the_first_row_of_several_cells() {
    let bold = Format::new().set_bold();
    let bytes = book(|s| {
        s.merge_range(0, 0, 0, 3, "Sales 2024", &bold).unwrap();
        s.write_string(1, 0, "by region").unwrap();
        // Row 3 empty; the header on row 4 with an empty cell and a merged pair.
        s.write_string(3, 0, "Region").unwrap();
        s.merge_range(3, 2, 3, 3, "Quarter", &bold).unwrap();
        s.write_string(4, 0, "North").unwrap();
        s.write_number(4, 1, 1.0).unwrap();
        s.write_string(4, 2, "Q1").unwrap();
        s.write_number(4, 3, 10.0).unwrap();
        // An empty row inside the data is skipped, as a blank CSV line is.
        s.write_string(6, 0, "South").unwrap();
        s.write_number(6, 3, 20.0).unwrap();
    });
    let read = read(&bytes, None).unwrap();
    let t = &read.table;
    assert_eq!(t.header, vec!["Region", "", "Quarter", ""]);
    assert_eq!(t.rows.len(), 2);
    assert_eq!(
        t.rows[1],
        vec![text("South"), text(""), text(""), Cell::Number(20.0)]
    );
    assert_eq!(
        read.notes,
        vec!["header row 4; skipped the 2 rows above it, the first: \"Sales 2024\""]
    );
}

#[test]
fn numbers_stored_as_text_are_numbers_when_the_whole_column_is() {
    let bytes = book(|s| {
        for (c, h) in ["Code", "Amount", "Mixed"].iter().enumerate() {
            s.write_string(0, c as u16, *h).unwrap();
        }
        for (r, (code, amount, mixed)) in [("007", "1,250", "12"), ("12", "3.5", "n/a")]
            .iter()
            .enumerate()
        {
            let r = r as u32 + 1;
            s.write_string(r, 0, *code).unwrap();
            s.write_string(r, 1, *amount).unwrap();
            s.write_string(r, 2, *mixed).unwrap();
        }
        s.write_number(3, 1, 2.0).unwrap();
        s.write_number(3, 2, 2.0).unwrap();
    });
    let read = read(&bytes, None).unwrap();
    let t = &read.table;
    use ColumnType::{Real, Text};
    assert_eq!(t.types, vec![Real, Real, Text]);
    assert_eq!(t.rows[0][0], Cell::Number(7.0));
    assert_eq!(t.rows[0][1], Cell::Number(1250.0));
    assert_eq!(
        t.rows[2][2],
        text("2"),
        "a number in a text column, as text"
    );
    assert!(
        read.notes
            .contains(&"column \"Amount\": numbers stored as text read as numbers".to_string()),
        "{:?}",
        read.notes
    );
}

#[test]
fn sheets_are_picked_by_name_else_the_first_visible() {
    let mut workbook = Workbook::new();
    let hidden = workbook.add_worksheet().set_name("Secret").unwrap();
    hidden.set_hidden(true);
    hidden.write_string(0, 0, "hidden").unwrap();
    let first = workbook.add_worksheet().set_name("Cities").unwrap();
    // Excel opens on a visible sheet (the first one unless another is active).
    first.set_active(true);
    first.write_string(0, 0, "City").unwrap();
    first.write_string(1, 0, "Porto").unwrap();
    let other = workbook.add_worksheet().set_name("Rivers").unwrap();
    other.write_string(0, 0, "River").unwrap();
    other.write_string(1, 0, "Douro").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();

    let read_first = read(&bytes, None).unwrap();
    assert_eq!(read_first.sheet, "Cities");
    assert_eq!(read_first.table.header, vec!["City"]);
    assert_eq!(
        read_first.notes,
        vec!["read sheet \"Cities\", the first of 2: the sheets are \"Cities\", \"Rivers\" (hidden: \"Secret\")"]
    );
    let rivers = read(&bytes, Some("Rivers")).unwrap();
    assert_eq!(rivers.table.rows, vec![vec![text("Douro")]]);
    assert!(rivers.notes.is_empty());
    assert_eq!(
        read(&bytes, Some("Secret")).unwrap().table.header,
        vec!["hidden"]
    );
    assert_eq!(
        error(&bytes, Some("Towns")),
        "book.xlsx: no sheet \"Towns\"; the sheets are \"Cities\", \"Rivers\" (hidden: \"Secret\")"
    );
    assert_eq!(
        error(&book(|_| {}), None),
        "book.xlsx: sheet \"Sheet1\" is empty"
    );
}

#[test]
fn the_table_limits_of_csv_apply() {
    let bytes = book(|s| {
        for c in 0..4 {
            s.write_string(0, c, format!("h{c}")).unwrap();
        }
        for r in 1..=3 {
            s.write_number(r, 0, r as f64).unwrap();
        }
        s.write_string(2, 3, "a long cell").unwrap();
    });
    let limits = |max_rows, max_columns, max_cell_chars| WorkbookLimits {
        table: TableLimits {
            max_rows,
            max_columns,
            max_cell_chars,
        },
        ..Default::default()
    };
    let read = |l: WorkbookLimits| table_from_xlsx_bytes("b", "b.xlsx", &bytes, None, &l);
    assert!(read(limits(3, 4, 11)).is_ok());
    let err = read(limits(2, 4, 11)).unwrap_err().to_string();
    assert_eq!(
        err,
        "b.xlsx: sheet \"Sheet1\": 3 rows: at most 2 are accepted"
    );
    let err = read(limits(3, 3, 11)).unwrap_err().to_string();
    assert!(
        err.contains("over 3 columns: at most 3 are accepted"),
        "{err}"
    );
    let err = read(limits(3, 4, 10)).unwrap_err().to_string();
    assert_eq!(err, "b.xlsx: sheet \"Sheet1\" cell D3: over 10 characters");
}

/// A sheet of `rows` rows of numbers: its XML is about 100 bytes a row, and compresses well.
fn big_book(rows: u32) -> Vec<u8> {
    book(|s| {
        s.write_string(0, 0, "n").unwrap();
        s.write_string(0, 1, "m").unwrap();
        for r in 1..=rows {
            s.write_number(r, 0, 1.0).unwrap();
            s.write_number(r, 1, 2.0).unwrap();
        }
    })
}

/// `bytes` with the uncompressed size that the zip's headers declare for `name` set to `size`.
fn declare_size(bytes: &[u8], name: &str, size: u32) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let mut patched = 0;
    // (signature, offset of the uncompressed size, offset of the name length, header length)
    for (signature, size_at, name_len_at, fixed) in
        [(b"PK\x01\x02", 24, 28, 46), (b"PK\x03\x04", 22, 26, 30)]
    {
        let mut i = 0;
        while let Some(p) = out[i..].windows(4).position(|w| w == signature) {
            let at = i + p;
            let len = u16::from_le_bytes([out[at + name_len_at], out[at + name_len_at + 1]]);
            if &out[at + fixed..at + fixed + len as usize] == name.as_bytes() {
                out[at + size_at..at + size_at + 4].copy_from_slice(&size.to_le_bytes());
                patched += 1;
            }
            i = at + 4;
        }
    }
    assert_eq!(patched, 2, "{name} in both headers");
    out
}

#[test]
fn what_a_workbook_unzips_to_is_capped() {
    assert_eq!(MAX_UNZIPPED_BYTES, 256 << 20);
    let bytes = big_book(20_000);
    assert!(bytes.len() < 200_000, "{} bytes", bytes.len());
    assert!(read(&bytes, None).is_ok());
    // A small cap: the real sheet is over it.
    let small = WorkbookLimits {
        max_unzipped_bytes: 1 << 20,
        ..Default::default()
    };
    let err = table_from_xlsx_bytes("b", "b.xlsx", &bytes, None, &small)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("b.xlsx: unzips to "), "{err}");
    assert!(err.contains("at most 1048576 are accepted"), "{err}");
    // A sheet declaring 1 GiB is refused before anything is inflated.
    let bomb = declare_size(&bytes, "xl/worksheets/sheet1.xml", 1 << 30);
    let err = error(&bomb, None);
    assert!(err.contains("at most 268435456 are accepted"), "{err}");
    // A sheet declaring less than it holds (a lying header) fails as it is inflated.
    let liar = declare_size(&bytes, "xl/worksheets/sheet1.xml", 1000);
    let err = error(&liar, None);
    assert!(
        err.starts_with("book.xlsx: a damaged .xlsx workbook"),
        "{err}"
    );
}

#[test]
fn other_files_get_a_one_line_error() {
    // A password-protected workbook: an OLE container whose directory names the encrypted
    // package (its first bytes are enough to tell).
    let mut encrypted = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    encrypted.extend([0; 56]);
    let name: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    encrypted.extend(name);
    assert!(error(&encrypted, None).contains("password-protected (encrypted) workbook"));
    let xls = &encrypted[..64];
    assert!(error(xls, None).contains("an Excel 97-2003 .xls workbook"));

    let good = book(|s| {
        s.write_string(0, 0, "a").unwrap();
    });
    let corrupt = &good[..good.len() / 2];
    assert!(error(corrupt, None).starts_with("book.xlsx: a damaged .xlsx workbook"));
    assert!(error(b"a,b\n1,2\n", None).contains("not an .xlsx workbook"));
    assert!(error(b"", None).contains("not an .xlsx workbook"));
}
