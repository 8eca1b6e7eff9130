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
