//! Tables loaded through `/api/csv`: each under an unguessable id (the id is the capability to
//! read it, so it is never logged whole), held for a time-to-live, within a cap on the memory
//! all uploads hold together (the oldest are forgotten first).

use sqlcoder_data::{Cell, Table};
use sqlcoder_sql::own::MemoryDb;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Bounds on what uploads hold.
#[derive(Clone, Debug)]
pub struct UploadLimits {
    /// Estimated bytes all uploads hold together (see [`estimated_bytes`]).
    pub max_total_bytes: usize,
    /// Estimated bytes one upload may hold.
    pub max_bytes_each: usize,
    /// How long an upload is kept after it was loaded.
    pub time_to_live: Duration,
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self {
            // With the model and the builds in flight, 48 concurrent 2 MB uploads peaked at
            // 808 MB of RSS under a 512 MB cap; 384 MB keeps that under 800 MB.
            max_total_bytes: 384 << 20,
            max_bytes_each: 160 << 20,
            time_to_live: Duration::from_secs(3600),
        }
    }
}

/// A table loaded through `/api/csv`, with its own in-memory database.
pub struct Upload {
    pub table: Arc<Table>,
    pub db: MemoryDb,
    /// Estimated memory held by the table and its database.
    pub bytes: usize,
    loaded: Instant,
}

impl Upload {
    pub fn new(table: Table, db: MemoryDb) -> Self {
        let bytes = estimated_bytes(&table);
        Self {
            table: Arc::new(table),
            db,
            bytes,
            loaded: Instant::now(),
        }
    }
}

/// Memory a table takes once loaded: its cells in Rust (the cell value, a heap block per text)
/// and again in the in-memory SQLite database (the text, a record header, page slack); on the
/// generous side. A 2 MB CSV of 64 columns × 15,500 one-digit numbers is estimated at 80 MB; 48
/// of them uploaded at once peaked the server at 778 MB resident (experiments/serve_load.sh).
pub fn estimated_bytes(table: &Table) -> usize {
    let per_cell = std::mem::size_of::<Cell>() + 48;
    let cells: usize = table
        .rows
        .iter()
        .flatten()
        .map(|c| match c {
            Cell::Text(s) => per_cell + 2 * s.len(),
            Cell::Number(_) => per_cell,
        })
        .sum();
    cells + 64 * table.rows.len() + 4096
}

/// A new upload id: `csv-` and 128 random bits from the thread's CSPRNG (seeded from the OS).
pub fn new_id() -> String {
    format!("csv-{:032x}", rand::random::<u128>())
}

/// The part of an upload id (or of a path naming one) that may be logged: enough to tell
/// uploads apart in a log, far too little to guess.
pub fn loggable(text: &str) -> String {
    match text.find("csv-") {
        Some(at) if text.len() > at + 4 + 6 => format!("{}…", &text[..at + 4 + 6]),
        _ => text.to_string(),
    }
}

/// The uploads held, oldest first.
pub struct Uploads {
    limits: UploadLimits,
    held: Mutex<VecDeque<(String, Arc<Upload>)>>,
}

/// Why an upload was not kept.
#[derive(Debug, PartialEq)]
pub enum Refused {
    /// The table alone is over the per-upload cap: (its estimate, the cap).
    TooLarge(usize, usize),
}

impl Uploads {
    pub fn new(limits: UploadLimits) -> Self {
        Self {
            limits,
            held: Mutex::new(VecDeque::new()),
        }
    }

    pub fn limits(&self) -> &UploadLimits {
        &self.limits
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(String, Arc<Upload>)>> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let ttl = self.limits.time_to_live;
        held.retain(|(_, u)| u.loaded.elapsed() < ttl);
        held
    }

    /// The upload `id`, unless unknown or expired.
    pub fn get(&self, id: &str) -> Option<Arc<Upload>> {
        self.lock()
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, u)| Arc::clone(u))
    }

    /// An error unless a table of `bytes` may be held at all (checked before its database is
    /// built).
    pub fn admits(&self, bytes: usize) -> Result<(), Refused> {
        if bytes > self.limits.max_bytes_each {
            return Err(Refused::TooLarge(bytes, self.limits.max_bytes_each));
        }
        Ok(())
    }

    /// Keeps `upload` under `id`, forgetting the oldest uploads until all fit; returns how
    /// many were forgotten.
    pub fn insert(&self, id: String, upload: Upload) -> Result<usize, Refused> {
        self.admits(upload.bytes)?;
        let mut held = self.lock();
        let mut total: usize = held.iter().map(|(_, u)| u.bytes).sum();
        let mut evicted = 0;
        while total + upload.bytes > self.limits.max_total_bytes {
            let Some((_, old)) = held.pop_front() else {
                break;
            };
            total -= old.bytes;
            evicted += 1;
        }
        held.push_back((id, Arc::new(upload)));
        Ok(evicted)
    }

    /// How many uploads are held and their estimated bytes.
    pub fn held(&self) -> (usize, usize) {
        let held = self.lock();
        (held.len(), held.iter().map(|(_, u)| u.bytes).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlcoder_data::ColumnType;
    use std::path::Path;

    fn upload(rows: usize) -> Upload {
        let table = Table {
            id: "t".into(),
            header: vec!["a".into()],
            types: vec![ColumnType::Text],
            rows: (0..rows)
                .map(|i| vec![Cell::Text(format!("{i}"))])
                .collect(),
        };
        let db = MemoryDb::build(&[&table], Path::new("t.csv")).unwrap();
        Upload::new(table, db)
    }

    #[test]
    fn ids_are_long_random_and_logged_short() {
        let (a, b) = (new_id(), new_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 32);
        assert!(a[4..].chars().all(|c| c.is_ascii_hexdigit()));
        let logged = loggable(&format!("/api/tables/{a}"));
        assert!(
            !logged.contains(&a[4..]) && logged.contains(&a[4..10]),
            "{logged}"
        );
    }

    #[test]
    fn the_oldest_uploads_go_when_memory_runs_out() {
        let one = upload(100).bytes;
        let uploads = Uploads::new(UploadLimits {
            max_total_bytes: 2 * one + one / 2,
            max_bytes_each: one,
            time_to_live: Duration::from_secs(60),
        });
        for id in ["a", "b", "c"] {
            uploads.insert(id.into(), upload(100)).unwrap();
        }
        assert!(uploads.get("a").is_none());
        assert!(uploads.get("b").is_some() && uploads.get("c").is_some());
        assert_eq!(uploads.held(), (2, 2 * one));
        assert!(matches!(
            uploads.insert("d".into(), upload(1000)),
            Err(Refused::TooLarge(..))
        ));
    }

    #[test]
    fn uploads_expire() {
        let uploads = Uploads::new(UploadLimits {
            time_to_live: Duration::from_millis(1),
            ..Default::default()
        });
        uploads.insert("a".into(), upload(3)).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        assert!(uploads.get("a").is_none());
        assert_eq!(uploads.held(), (0, 0));
    }
}
