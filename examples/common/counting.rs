//! Memory counting for the upload measurements (examples/upload_cost.rs, tests/upload_memory.rs):
//! the system allocator, counting the bytes it holds and their peak as glibc's malloc hands them
//! out (a block is 8 bytes more than asked, in steps of 16, at least 32), and SQLite's own count.
//! The including file installs [`Counting`] as its `#[global_allocator]`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Counting;

fn block(size: usize) -> usize {
    ((size + 8 + 15) & !15).max(32)
}

pub static LIVE: AtomicUsize = AtomicUsize::new(0);
pub static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator as it came.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let size = block(layout.size());
        let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: the caller's layout goes to the system allocator unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(block(layout.size()), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Bytes the Rust heap holds now.
pub fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Starts a new peak at what is held now, and returns that.
pub fn reset_peak() -> usize {
    let now = live();
    PEAK.store(now, Ordering::Relaxed);
    now
}

/// The most the Rust heap held since [`reset_peak`].
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

/// SQLite's own count of the memory it holds.
pub fn sqlite_bytes() -> usize {
    // SAFETY: sqlite3_memory_used only reads SQLite's counter.
    usize::try_from(unsafe { rusqlite::ffi::sqlite3_memory_used() }).unwrap_or(0)
}

/// A body as the network hands it over: 16 KiB at a time.
pub struct Chunks<'a>(pub &'a [u8]);

impl Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(16 << 10).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}
