//! The binary's global allocator: the system allocator, with large blocks backed by
//! transparent huge pages on Linux.
//!
//! A loaded snapshot is a few dozen big columns (1.6 GiB for a 1 GB file). With 4 KiB pages,
//! touching them for the first time costs ~420 000 page faults, each zeroing one page, and
//! freeing the temporaries of the analysis unmaps as many: `perf` put 21 % of the CPU time
//! of loading the 1 GB benchmark file in the kernel's fault path. Linux only backs anonymous
//! memory with 2 MiB pages when asked (`/sys/kernel/mm/transparent_hugepage/enabled` is
//! `madvise` by default), so blocks of [`HUGE_THRESHOLD`] bytes or more are advised with
//! `MADV_HUGEPAGE`. Smaller blocks and other systems are left to the system allocator as is.
//!
//! The library does not install it: the binary does (`#[global_allocator]` in `main.rs`).

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks at least this big are advised to use huge pages (the system allocator maps such
/// blocks on their own, so the advice covers no other data).
pub const HUGE_THRESHOLD: usize = 8 << 20;

/// The system allocator, advising huge pages for large blocks.
pub struct HugePageAlloc;

// SAFETY: every method forwards to `System` with the caller's arguments and returns its
// result unchanged; `advise` only gives the kernel a hint about memory the block owns.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for HugePageAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as `GlobalAlloc::alloc`, forwarded.
        let ptr = unsafe { System.alloc(layout) };
        advise(ptr, layout.size());
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as `GlobalAlloc::alloc_zeroed`, forwarded.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        advise(ptr, layout.size());
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as `GlobalAlloc::dealloc`, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as `GlobalAlloc::realloc`, forwarded.
        let ptr = unsafe { System.realloc(ptr, layout, new_size) };
        advise(ptr, new_size);
        ptr
    }
}

/// Asks the kernel to back the whole 2 MiB pages inside `[ptr, ptr + len)` with huge pages.
#[cfg(target_os = "linux")]
fn advise(ptr: *mut u8, len: usize) {
    const HUGE_PAGE: usize = 2 << 20;
    if ptr.is_null() || len < HUGE_THRESHOLD {
        return;
    }
    let start = (ptr as usize).next_multiple_of(HUGE_PAGE);
    let end = (ptr as usize + len) & !(HUGE_PAGE - 1);
    if end > start {
        // SAFETY: `[start, end)` lies inside a block the allocator just handed out (or
        // resized) and still owns; MADV_HUGEPAGE changes neither its contents nor its
        // mapping, only how the kernel backs it. A failure (e.g. THP disabled) is harmless.
        #[allow(unsafe_code)]
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise(_ptr: *mut u8, _len: usize) {}
