//! Handing memory freed by uploads back to the system. glibc's malloc keeps a freed block in the
//! arena of the thread that allocated it, and an upload is read on whichever worker thread is
//! free: without this, every arena would keep the peak of the uploads it once read, and the
//! server's resident memory would grow past the upload cap with memory it no longer uses.

/// Returns the free memory of every malloc arena to the system (glibc; elsewhere nothing).
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: glibc's malloc_trim takes no pointers and locks each arena it trims; it only
        // gives pages that hold no allocation back to the system.
        unsafe {
            malloc_trim(0);
        }
    }
}
