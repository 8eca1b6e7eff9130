//! What an upload really holds, against what `serve` estimates (`web::uploads::estimated_bytes`).
//!
//! `upload_cost OUT.json`: for each of the probe's two 2 MB CSV files (numbers, text), reads it
//! as `/api/upload` does (`read_csv` from a stream, then its in-memory database) 5 times, keeping
//! all 5, and reports per upload: the estimate, the Rust heap the table holds (counted by this
//! program's allocator), SQLite's memory (`sqlite3_memory_used`), the resident memory added
//! (`VmRSS`), and the peak of Rust heap while reading one (what a read holds beyond the table);
//! and the same for a CSV of one row, for what any upload holds besides its cells.
//! experiments/upload_cost.sh runs it.

#[path = "common/counting.rs"]
mod counting;
#[path = "common/probe_csv.rs"]
mod probe_csv;

use serde_json::json;
use sqlcoder::web::app::upload::UPLOAD_TABLE_LIMITS;
use sqlcoder::web::uploads::estimated_bytes;
use sqlcoder_data::csv::read_csv;
use sqlcoder_sql::own::MemoryDb;
use std::path::Path;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

fn rss_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kb * 1024
}

const MB: f64 = (1 << 20) as f64;
const KEPT: usize = 5;

fn measure(name: &str, csv: &str) -> serde_json::Value {
    let (rss0, heap0, sql0) = (rss_bytes(), counting::live(), counting::sqlite_bytes());
    let mut kept = Vec::new();
    let mut estimate = 0;
    let mut read_peak = 0;
    for i in 0..KEPT {
        let before = counting::live();
        counting::reset_peak();
        let table = read_csv(
            &format!("t{i}"),
            name,
            counting::Chunks(csv.as_bytes()),
            &UPLOAD_TABLE_LIMITS,
        )
        .expect("the probe's CSV reads");
        let db = MemoryDb::build(&[&table], Path::new(name)).expect("the database builds");
        read_peak = read_peak.max(counting::peak() - before);
        estimate = estimated_bytes(&table);
        kept.push((table, db));
    }
    let each = |now: usize, then: usize| now.saturating_sub(then) as f64 / KEPT as f64 / MB;
    let heap = each(counting::live(), heap0);
    let sqlite = each(counting::sqlite_bytes(), sql0);
    let rss = each(rss_bytes(), rss0);
    let r = |x: f64| (x * 10.0).round() / 10.0;
    json!({
        "file": name,
        "csv_mb": r(csv.len() as f64 / MB),
        "rows": kept[0].0.rows.len(),
        "columns": kept[0].0.header.len(),
        "uploads_kept": KEPT,
        "estimate_mb_each": r(estimate as f64 / MB),
        "rust_heap_mb_each": r(heap),
        "sqlite_mb_each": r(sqlite),
        "held_mb_each": r(heap + sqlite),
        "held_kib_each": (1024.0 * (heap + sqlite)).round(),
        "estimate_kib_each": (estimate as f64 / 1024.0).round(),
        "rss_mb_each": r(rss),
        "read_peak_heap_mb": r(read_peak as f64 / MB),
    })
}

fn main() {
    let out = std::env::args()
        .nth(1)
        .expect("usage: upload_cost OUT.json");
    // Text first: its uploads are smaller, so the resident memory they add is not hidden by
    // memory the larger ones freed.
    let text = measure("text.csv", &probe_csv::text_heavy());
    let numeric = measure("numbers.csv", &probe_csv::numeric());
    // What any upload holds besides its cells (its database's connection and schema).
    let tiny = measure("tiny.csv", "a,b\n1,x\n");
    let report = json!({ "text": text, "numeric": numeric, "tiny": tiny });
    println!("{report:#}");
    sqlcoder_data::io::write_atomic(Path::new(&out), format!("{report:#}\n"))
        .expect("writing the report");
}
