//! Handing memory the process has freed back to the system.
//!
//! mimalloc returns a freed page to the system only some time after it was
//! freed, and only when the allocator is next called on that thread. A server
//! that has just started, or has just finished a burst of work, and then sits
//! idle would keep that memory resident indefinitely: measured on an empty
//! SQLite data folder, `wayfinder serve` held 15.4 MB of anonymous memory once
//! started, 9.3 MB of it live (the rest was freed during start-up).
#![allow(unsafe_code)]

use std::time::Duration;

/// Returns the pages freed so far to the system: Rust's allocations are mimalloc's,
/// and SQLite's go through the C library's `malloc`, which keeps an arena for each
/// connection's thread and trims only the free space at an arena's end (what a
/// migration or a burst of queries freed in the middle would stay resident).
fn return_freed() {
    // SAFETY: `mi_collect` takes no pointers and may be called from any thread at
    // any time; it only walks the allocator's own structures.
    unsafe { libmimalloc_sys::mi_collect(true) }
    // SAFETY: `malloc_trim` takes no pointers and is thread-safe: it locks each arena
    // while it hands that arena's free pages back.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Returns freed memory once start-up has settled and then at every `interval`,
/// so a server that goes quiet holds only what it uses.
pub async fn return_freed_periodically(settle: Duration, interval: Duration) {
    tokio::time::sleep(settle).await;
    let mut ticks = tokio::time::interval(interval);
    loop {
        ticks.tick().await;
        return_freed();
    }
}
