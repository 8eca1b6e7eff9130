//! Uploaded tables (`/api/upload`, `/api/csv`): each under an unguessable id (the id is the capability to
//! read it, so it is never logged whole), held for a time-to-live, within a cap on the memory
//! all uploads hold together, shared fairly between clients.
//!
//! A client is the peer IP address of the connection (one access token serves everyone, so it
//! cannot tell clients apart); behind a reverse proxy every client has the proxy's address and
//! all of them share one share. Policy: with N addresses holding uploads (the uploader counted),
//! each may hold at most `max(max_total_bytes / N, max_bytes_each)`; an address over its share
//! loses its own oldest uploads first, and while the whole cache is still over its cap the
//! address holding the most bytes loses its oldest upload. The ids of uploads removed so are
//! remembered (for the time-to-live, at most [`MAX_REMEMBERED`]) so that asking for one says
//! why it is gone.

use sqlcoder_data::{Cell, Table};
use sqlcoder_sql::own::MemoryDb;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
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
            // Five of the 2 MB CSV files of numbers (25.5 MB each as estimated and as measured,
            // experiments/upload_cost.sh), not six; with one being read beside them the server
            // stays within 200 MB of its idle memory (experiments/serve_uploads.sh).
            max_total_bytes: 144 << 20,
            // Above what any 2 MiB file makes: at most about a million cells of one character,
            // at 24 + 32 + 2 bytes each by [`estimated_bytes`].
            max_bytes_each: 64 << 20,
            time_to_live: Duration::from_secs(3600),
        }
    }
}

/// An uploaded table, with its own in-memory database.
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

/// Memory an upload holds: its table in Rust and its in-memory SQLite database, from how each
/// stores a cell (glibc's malloc: a block holds 8 bytes more than asked, in steps of 16, at least
/// 32). A 2 MB CSV of 64 columns × 15,500 one-digit numbers is estimated at 25.5 MB; what the
/// estimate and the resident memory of held uploads really are is measured by
/// experiments/upload_cost.sh.
pub fn estimated_bytes(table: &Table) -> usize {
    let columns = table.header.len();
    let cells: usize = table
        .rows
        .iter()
        .flatten()
        .map(|c| match c {
            Cell::Text(s) => malloc_block(s.len()) + s.len(),
            Cell::Number(n) => sqlite_number_bytes(*n),
        })
        .sum();
    let per_row = std::mem::size_of::<Vec<Cell>>()
        + malloc_block(columns * std::mem::size_of::<Cell>())
        // SQLite: a header byte per column, the record's sizes, its slot in the page.
        + columns
        + 12;
    // SQLite's pages are not full and carry their own headers: a tenth more.
    let sqlite_slack = (table.rows.len() * (columns + 12)) / 10;
    cells + per_row * table.rows.len() + sqlite_slack + FIXED_BYTES
}

/// What any upload holds besides its cells: its database's connection, schema and first pages
/// (a CSV of one row holds 84 KiB, experiments/upload_cost.sh).
const FIXED_BYTES: usize = 80 << 10;

/// The heap block glibc's malloc hands out for `n` bytes (none for none).
fn malloc_block(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        ((n + 8 + 15) & !15).max(32)
    }
}

/// Bytes SQLite stores a number in: whole numbers in the fewest bytes that hold them (a REAL
/// column stores them as integers), others in 8.
fn sqlite_number_bytes(n: f64) -> usize {
    if n.fract() != 0.0 || n.abs() >= (1u64 << 47) as f64 {
        return 8;
    }
    match n.abs() as u64 {
        0 | 1 => 0,
        m if m < 1 << 7 => 1,
        m if m < 1 << 15 => 2,
        m if m < 1 << 23 => 3,
        m if m < 1 << 31 => 4,
        _ => 6,
    }
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

/// How many ids of removed uploads are remembered (to explain a 404), oldest forgotten first.
pub const MAX_REMEMBERED: usize = 4096;

/// Why an upload that was held is gone.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Removed {
    /// Its address went over its share with newer uploads of its own.
    OwnShare,
    /// The whole cache was full and its address held the most.
    CacheFull,
}

/// What [`Uploads::find`] knows of an id.
pub enum Found {
    Held(Arc<Upload>),
    Removed(Removed),
    Unknown,
}

struct Held {
    id: String,
    client: IpAddr,
    upload: Arc<Upload>,
}

#[derive(Default)]
struct State {
    /// Oldest first.
    held: VecDeque<Held>,
    /// Ids removed to make room, oldest first, with when and why.
    removed: VecDeque<(String, Instant, Removed)>,
}

/// The uploads held, oldest first.
pub struct Uploads {
    limits: UploadLimits,
    state: Mutex<State>,
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
            state: Mutex::new(State::default()),
        }
    }

    pub fn limits(&self) -> &UploadLimits {
        &self.limits
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let ttl = self.limits.time_to_live;
        state.held.retain(|h| h.upload.loaded.elapsed() < ttl);
        state.removed.retain(|(_, at, _)| at.elapsed() < ttl);
        state
    }

    /// The upload `id`, unless unknown, removed or expired.
    pub fn get(&self, id: &str) -> Option<Arc<Upload>> {
        match self.find(id) {
            Found::Held(u) => Some(u),
            _ => None,
        }
    }

    /// The upload `id`, or why it was removed, or that it is unknown (or expired).
    pub fn find(&self, id: &str) -> Found {
        let state = self.lock();
        if let Some(h) = state.held.iter().find(|h| h.id == id) {
            return Found::Held(Arc::clone(&h.upload));
        }
        match state.removed.iter().find(|(i, _, _)| i == id) {
            Some((_, _, why)) => Found::Removed(*why),
            None => Found::Unknown,
        }
    }

    /// An error unless a table of `bytes` may be held at all (checked before its database is
    /// built).
    pub fn admits(&self, bytes: usize) -> Result<(), Refused> {
        if bytes > self.limits.max_bytes_each {
            return Err(Refused::TooLarge(bytes, self.limits.max_bytes_each));
        }
        Ok(())
    }

    /// The most one address may hold while `clients` addresses hold uploads.
    pub fn share(&self, clients: usize) -> usize {
        (self.limits.max_total_bytes / clients.max(1)).max(self.limits.max_bytes_each)
    }

    /// Keeps `upload` under `id` for `client`, removing uploads by the policy of the module doc
    /// until all fit; returns how many were removed.
    pub fn insert(&self, id: String, client: IpAddr, upload: Upload) -> Result<usize, Refused> {
        self.admits(upload.bytes)?;
        let mut state = self.lock();
        let mut by_client: HashMap<IpAddr, usize> = HashMap::new();
        for h in &state.held {
            *by_client.entry(h.client).or_default() += h.upload.bytes;
        }
        by_client.entry(client).or_default();
        let share = self.share(by_client.len());
        let mut evicted = 0;
        while by_client[&client] + upload.bytes > share {
            if !state.remove_oldest_of(client, Removed::OwnShare, &mut by_client) {
                break;
            }
            evicted += 1;
        }
        while by_client.values().sum::<usize>() + upload.bytes > self.limits.max_total_bytes {
            // The address holding the most (ties: the one whose oldest upload is oldest).
            let Some(richest) = state
                .held
                .iter()
                .map(|h| h.client)
                .max_by_key(|c| by_client[c])
            else {
                break;
            };
            state.remove_oldest_of(richest, Removed::CacheFull, &mut by_client);
            evicted += 1;
        }
        state.held.push_back(Held {
            id,
            client,
            upload: Arc::new(upload),
        });
        Ok(evicted)
    }

    /// How many uploads are held and their estimated bytes.
    pub fn held(&self) -> (usize, usize) {
        let state = self.lock();
        (
            state.held.len(),
            state.held.iter().map(|h| h.upload.bytes).sum(),
        )
    }
}

impl State {
    /// Removes the oldest upload of `client` (remembering why); false when it holds none.
    fn remove_oldest_of(
        &mut self,
        client: IpAddr,
        why: Removed,
        by_client: &mut HashMap<IpAddr, usize>,
    ) -> bool {
        let Some(at) = self.held.iter().position(|h| h.client == client) else {
            return false;
        };
        let Some(gone) = self.held.remove(at) else {
            return false;
        };
        if let Some(bytes) = by_client.get_mut(&client) {
            *bytes -= gone.upload.bytes;
        }
        if self.removed.len() >= MAX_REMEMBERED {
            self.removed.pop_front();
        }
        self.removed.push_back((gone.id, Instant::now(), why));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlcoder_data::ColumnType;
    use std::path::Path;

    const LOCAL: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1));
    const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

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
            uploads.insert(id.into(), LOCAL, upload(100)).unwrap();
        }
        assert!(uploads.get("a").is_none());
        assert!(uploads.get("b").is_some() && uploads.get("c").is_some());
        assert_eq!(uploads.held(), (2, 2 * one));
        assert!(matches!(
            uploads.insert("d".into(), LOCAL, upload(1000)),
            Err(Refused::TooLarge(..))
        ));
    }

    #[test]
    fn one_address_cannot_evict_another_and_removed_ids_say_why() {
        let one = upload(100).bytes;
        // Room for 6; with two addresses each may hold 3 (the floor is 1).
        let uploads = Uploads::new(UploadLimits {
            max_total_bytes: 6 * one,
            max_bytes_each: one,
            time_to_live: Duration::from_secs(60),
        });
        assert_eq!((uploads.share(1), uploads.share(2)), (6 * one, 3 * one));
        assert_eq!(uploads.share(100), one);
        for id in ["a1", "a2"] {
            uploads.insert(id.into(), LOCAL, upload(100)).unwrap();
        }
        let b: Vec<String> = (0..20).map(|i| format!("b{i}")).collect();
        for id in &b {
            uploads.insert(id.clone(), OTHER, upload(100)).unwrap();
        }
        assert!(uploads.get("a1").is_some() && uploads.get("a2").is_some());
        assert!(b[17..].iter().all(|id| uploads.get(id).is_some()));
        assert!(matches!(
            uploads.find(&b[0]),
            Found::Removed(Removed::OwnShare)
        ));
        assert!(matches!(uploads.find("never"), Found::Unknown));
        assert_eq!(uploads.held(), (5, 5 * one));

        // A third address (shares of 2): when the cache is full, B (holding 3) loses its
        // oldest, not A.
        let third: IpAddr = "::1".parse().unwrap();
        for id in ["c1", "c2"] {
            uploads.insert(id.into(), third, upload(100)).unwrap();
        }
        assert!(uploads.get("a1").is_some() && uploads.get("a2").is_some());
        assert!(matches!(
            uploads.find(&b[17]),
            Found::Removed(Removed::CacheFull)
        ));
        assert!(uploads.get(&b[18]).is_some() && uploads.get("c2").is_some());
        assert_eq!(uploads.held(), (6, 6 * one));
        // A alone again over its share of 2: its own oldest goes.
        uploads.insert("a3".into(), LOCAL, upload(100)).unwrap();
        assert!(matches!(
            uploads.find("a1"),
            Found::Removed(Removed::OwnShare)
        ));
        assert!(uploads.get("a2").is_some() && uploads.get("a3").is_some());
    }

    #[test]
    fn uploads_expire() {
        let uploads = Uploads::new(UploadLimits {
            time_to_live: Duration::from_millis(1),
            ..Default::default()
        });
        uploads.insert("a".into(), LOCAL, upload(3)).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        assert!(uploads.get("a").is_none());
        assert_eq!(uploads.held(), (0, 0));
    }
}
