//! What an upload costs in memory, counted: this binary's allocator counts the Rust heap, SQLite
//! counts its own. Reading a 2 MB CSV as `/api/upload` does holds little beyond the table it
//! makes, and `serve`'s estimate of a held upload is close to what it holds. One test, alone in
//! its binary, so no other test's allocations are counted.

#[path = "../examples/common/counting.rs"]
mod counting;
#[path = "../examples/common/probe_csv.rs"]
mod probe_csv;

use sqlcoder::web::app::upload::UPLOAD_TABLE_LIMITS;
use sqlcoder::web::intake::{read_table, Declared};
use sqlcoder::web::uploads::estimated_bytes;
use sqlcoder_sql::own::MemoryDb;
use std::path::Path;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

#[test]
fn an_upload_is_read_as_a_stream_and_estimated_within_a_fifth() {
    const MB: usize = 1 << 20;
    for (name, csv) in [
        ("numbers.csv", probe_csv::numeric()),
        ("text.csv", probe_csv::text_heavy()),
    ] {
        let (heap0, sqlite0) = (counting::live(), counting::sqlite_bytes());
        counting::reset_peak();
        let table = read_table(
            Declared::Unknown,
            "t",
            name,
            counting::Chunks(csv.as_bytes()),
            &UPLOAD_TABLE_LIMITS,
        )
        .unwrap();
        let read_peak = counting::peak() - heap0;
        let table_heap = counting::live() - heap0;
        let db = MemoryDb::build(&[&table], Path::new(name)).unwrap();
        let held = counting::live() - heap0 + counting::sqlite_bytes() - sqlite0;
        let estimate = estimated_bytes(&table);
        // The body, its text and the rows are never held at once: a read peaks at the table it
        // makes, plus little (growing the list of rows, a few buffers).
        assert!(
            read_peak <= table_heap + table_heap / 4 + MB,
            "{name}: reading peaked at {} MB for a table of {} MB",
            read_peak / MB,
            table_heap / MB
        );
        let off = estimate.abs_diff(held) as f64 / held as f64;
        assert!(
            off <= 0.2,
            "{name}: estimated {} KiB, holds {} KiB (Rust {} KiB)",
            estimate >> 10,
            held >> 10,
            table_heap >> 10
        );
        drop((db, table));
    }
}
