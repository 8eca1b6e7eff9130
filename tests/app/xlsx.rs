//! Excel workbooks through the binary: `ask --xlsx` answers as `ask --csv` does on the same
//! data, `repl --xlsx`, `--sheet`, one-line errors; and a Windows-1252 CSV file as Excel
//! exports it.

use crate::support;

use rust_xlsxwriter::{Format, Workbook};
use serde_json::{json, Value};
use std::path::Path;
use support::{run, run_with_input, shipped_model, with_model};

const CITIES_CSV: &str = "City,Country,Population\n\
                          Lisbon,Portugal,545000\n\
                          Porto,Portugal,\"231,800\"\n\
                          Madrid,Spain,3300000\n\
                          Seville,Spain,684000\n";

/// The rows of `CITIES_CSV` as a workbook: sheet "Notes" first when `with_notes`, then sheet
/// "Cities" under a merged title row (numbers as numbers, one stored as text).
fn write_cities_xlsx(path: &Path, with_notes: bool) {
    let mut workbook = Workbook::new();
    if with_notes {
        let notes = workbook.add_worksheet().set_name("Notes").unwrap();
        notes.write_string(0, 0, "Made by hand").unwrap();
    }
    let sheet = workbook.add_worksheet().set_name("Cities").unwrap();
    let bold = Format::new().set_bold();
    sheet
        .merge_range(0, 0, 0, 2, "Cities of Iberia", &bold)
        .unwrap();
    for (c, h) in ["City", "Country", "Population"].iter().enumerate() {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    let rows = [
        ("Lisbon", "Portugal", 545_000.0),
        ("Porto", "Portugal", 231_800.0),
        ("Madrid", "Spain", 3_300_000.0),
        ("Seville", "Spain", 684_000.0),
    ];
    for (r, (city, country, people)) in rows.iter().enumerate() {
        let r = r as u32 + 3;
        sheet.write_string(r, 0, *city).unwrap();
        sheet.write_string(r, 1, *country).unwrap();
        if *city == "Porto" {
            sheet.write_string(r, 2, "231,800").unwrap();
        } else {
            sheet.write_number(r, 2, *people).unwrap();
        }
    }
    workbook.save(path).unwrap();
}

fn ask_json(source: &[&str], question: &str) -> (Value, String) {
    let mut args = vec!["ask", "--json", question];
    args.extend(source);
    let (ok, stdout, stderr) = run(with_model(&shipped_model(), &args));
    assert!(ok, "{stderr}");
    (serde_json::from_str(stdout.trim()).unwrap(), stderr)
}

#[test]
fn ask_xlsx_answers_as_ask_csv_on_the_same_data() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("csv")).unwrap();
    let csv = dir.path().join("csv/cities.csv");
    std::fs::write(&csv, CITIES_CSV).unwrap();
    let xlsx = dir.path().join("cities.xlsx");
    write_cities_xlsx(&xlsx, true);
    let (csv, xlsx) = (csv.display().to_string(), xlsx.display().to_string());
    for question in [
        "What is the population of Madrid?",
        "Which city has a population of 684000?",
        "How many cities are in Spain?",
    ] {
        let (from_csv, _) = ask_json(&["--csv", &csv], question);
        let (from_xlsx, stderr) = ask_json(&["--xlsx", &xlsx, "--sheet", "Cities"], question);
        assert_eq!(from_xlsx, from_csv, "{question}");
        assert!(
            stderr.contains("header row 3; skipped the row above it: \"Cities of Iberia\""),
            "{stderr}"
        );
    }
    let (a, _) = ask_json(&["--csv", &csv], "What is the population of Madrid?");
    assert_eq!(a["rows"], json!([3300000.0]));

    // Without --sheet: the first visible sheet, said on stderr.
    let (ok, _, stderr) = run(with_model(
        &shipped_model(),
        &["ask", "who made it?", "--xlsx", &xlsx],
    ));
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("read sheet \"Notes\", the first of 2"),
        "{stderr}"
    );
}

#[test]
fn repl_reads_a_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("cities.xlsx");
    write_cities_xlsx(&xlsx, false);
    let xlsx = xlsx.display().to_string();
    let mut repl = with_model(&shipped_model(), &["repl", "--json", "--xlsx", &xlsx]);
    let input = b":table\nWhat is the population of Madrid?\n";
    let (ok, stdout, stderr) = run_with_input(&mut repl, input);
    assert!(ok, "{stderr}");
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some("table cities: City | Country | Population")
    );
    let a: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(a["rows"], json!([3300000.0]), "{stdout}");
}

#[test]
fn workbook_problems_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("cities.xlsx");
    write_cities_xlsx(&xlsx, true);
    let xlsx = xlsx.display().to_string();
    let ask = |args: &[&str]| {
        let mut all = vec!["ask", "who?"];
        all.extend(args);
        let (ok, stdout, stderr) = run(with_model(&shipped_model(), &all));
        assert!(!ok, "{stdout}");
        stderr
    };
    let stderr = ask(&["--xlsx", &xlsx, "--sheet", "Towns"]);
    assert_eq!(
        stderr.trim_end(),
        format!("error: {xlsx}: no sheet \"Towns\"; the sheets are \"Notes\", \"Cities\"")
    );

    let encrypted = dir.path().join("locked.xlsx");
    std::fs::write(&encrypted, encrypted_workbook()).unwrap();
    let stderr = ask(&["--xlsx", &encrypted.display().to_string()]);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("password-protected"), "{stderr}");

    let corrupt = dir.path().join("broken.xlsx");
    std::fs::write(&corrupt, b"PK\x03\x04 not really a zip").unwrap();
    let stderr = ask(&["--xlsx", &corrupt.display().to_string()]);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("a damaged .xlsx workbook"), "{stderr}");

    let stderr = ask(&["--sheet", "Cities", "--table", "1-1"]);
    assert!(stderr.contains("--xlsx"), "{stderr}");
    let stderr = ask(&["--xlsx", &xlsx, "--csv", &xlsx]);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

/// The start of a password-protected workbook: an OLE container (magic D0 CF 11 E0 A1 B1 1A E1)
/// whose directory names the stream `EncryptedPackage` (UTF-16LE, as OLE stores names).
fn encrypted_workbook() -> Vec<u8> {
    let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    bytes.resize(512, 0);
    bytes.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

#[test]
fn a_windows_1252_csv_as_excel_exports_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("menu.csv");
    // "Café" (é = E9), "Crème brûlée" in curly quotes (93, 94), a price note with € (80).
    std::fs::write(
        &csv,
        b"Dish,Chef,Price,Note\n\
          \x93Cr\xe8me br\xfbl\xe9e\x94,Ren\xe9e,7,\x80 7 \x96 sweet\n\
          Caf\xe9 au lait,Andr\xe9,3,\x80 3\n",
    )
    .unwrap();
    let (a, _) = ask_json(
        &["--csv", &csv.display().to_string()],
        "Who is the chef of Café au lait?",
    );
    assert_eq!(a["rows"], json!(["André"]), "{a}");
    let rows = a["table_rows"].to_string();
    assert!(!rows.contains('\u{FFFD}'), "{rows}");
}
