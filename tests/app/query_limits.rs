//! Queries on a user's database stop at their time limit: a table that is a view over a
//! recursive CTE that never ends gets a one-line error, not a hang.

use crate::support;

use std::time::{Duration, Instant};
use support::{run, sqlcoder};

#[test]
fn a_never_ending_sqlite_view_stops_at_the_time_limit() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("loop.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "CREATE VIEW v AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) \
             SELECT n FROM r WHERE n < 0;",
        )
        .unwrap();
    let db = db.display().to_string();
    for (flags, limit_ms) in [(vec!["--query-timeout-ms", "300"], 300), (vec![], 2000)] {
        let mut args = vec!["ask", "how many?", "--sqlite", &db, "--table", "v"];
        args.extend(flags);
        let started = Instant::now();
        let (ok, stdout, stderr) = run(sqlcoder(&args));
        let took = started.elapsed();
        assert!(!ok, "{stdout}");
        assert!(took >= Duration::from_millis(limit_ms), "{took:?}");
        assert!(
            took < Duration::from_millis(limit_ms) + Duration::from_secs(5),
            "{took:?}"
        );
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(&format!("time limit of {limit_ms} ms per query")),
            "{stderr}"
        );
    }
}

/// A small file whose view `v` computes 40 giant cells (`cell`, SQL): the view, plus our
/// metadata table pointing table id `v` at it (so that `--db FILE --table v` reads it too; the
/// view names a `rowid` for that layout's `ORDER BY rowid`).
fn hostile_db(path: &std::path::Path, cell: &str) {
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch(&format!(
            "CREATE VIEW v AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r \
             WHERE n < 40) SELECT n AS rowid, n, {cell} AS b FROM r;
             CREATE TABLE sqlcoder_columns (table_id TEXT, table_name TEXT, col_index INTEGER,
                 header TEXT, column_name TEXT, type TEXT);
             INSERT INTO sqlcoder_columns VALUES ('v', 'v', 0, 'n', 'n', 'real'),
                 ('v', 'v', 1, 'b', 'b', 'text');"
        ))
        .unwrap();
    assert!(std::fs::metadata(path).unwrap().len() < 64 << 10);
}

/// One GiB of address space: a run that copies the cells whole cannot fit.
const ADDRESS_SPACE_KIB: u64 = 1 << 20;

#[test]
fn a_hostile_sqlite_file_fails_in_one_line_within_bounded_memory_and_time() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    // 40 × 100 MB blobs, and 40 × 50 MB text cells.
    let files = [
        ("zeroblob.db", "zeroblob(100000000)"),
        ("text.db", "replace(hex(zeroblob(25000000)), '0', 'a')"),
    ];
    for (name, cell) in files {
        let db = dir.path().join(name);
        hostile_db(&db, cell);
        let db = db.display().to_string();
        for source in ["--sqlite", "--db"] {
            let started = Instant::now();
            // `ulimit -v` caps the address space of the binary it execs.
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!(
                    "ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\""
                ))
                .arg(support::binary())
                .args(["ask", "how many?", source, &db, "--table", "v"])
                .current_dir(support::ROOT)
                .output()
                .unwrap();
            let took = started.elapsed();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let what = format!("{source} {name}: {:?} after {took:?}: {stderr}", out.status);
            assert_eq!(out.status.signal(), None, "{what}");
            assert_eq!(out.status.code(), Some(1), "{what}");
            // Within the default query limit (2 s) and a second.
            assert!(took < Duration::from_secs(3), "{what}");
            assert_eq!(stderr.trim_end().lines().count(), 1, "{what}");
            assert!(
                stderr.starts_with(&format!("error: table \"v\" of {db}: ")),
                "{what}"
            );
            assert!(
                stderr.trim_end().ends_with(
                    ": a cell holds over 1048576 bytes: at most 1000 characters (4000 bytes) \
                     are accepted"
                ),
                "{what}"
            );
        }
    }

    // `serve --db` answers the table's request with the same error, in time, and goes on.
    let model = support::random_model();
    let db = dir.path().join(files[0].0);
    let server = support::ServeProcess::start(&[
        "--db".as_ref(),
        db.as_os_str(),
        "--model".as_ref(),
        model.path().as_os_str(),
        "--encoder".as_ref(),
        support::encoder().as_os_str(),
    ]);
    let started = Instant::now();
    let (status, body) = server.request("GET", "/api/tables/v", "");
    assert!(started.elapsed() < Duration::from_secs(3), "{body}");
    assert!(status >= 400, "{status} {body}");
    assert!(body.contains("a cell holds over 1048576 bytes"), "{body}");
    let (status, body) = server.request("GET", "/api/tables", "");
    assert_eq!(status, 200, "{body}");
}
