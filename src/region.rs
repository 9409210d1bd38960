//! The binary's global allocator: a bump region in front of the system allocator.
//!
//! A command reads one policy and exits, and on the machines measured a large share of its time
//! went to the kernel handing out fresh memory a page at a time (a fault and a zeroed page per
//! 4 KiB: 4,000 of them for the largest corpus policy, against 260 here). So the first [`REGION`]
//! bytes allocated come from one mapping that asks for transparent huge pages, handed out by
//! bumping a pointer: the memory is touched once, contiguously, in a few faults (a general
//! allocator with huge pages, mimalloc, touched half as much again: its size classes and
//! per-thread heaps each take pages of their own). Freed blocks in the region are not
//! reused, except the latest handed out, which is also the one that can grow in place (a
//! growing Vec); the process exits first. Small blocks come from a chunk of the region that each thread takes for itself, so
//! that threads allocating at once (the two that parse a large document) do not contend for
//! one pointer. Once the region is spent, or where it cannot be mapped, the system allocator serves
//! everything, so a long command (a scan of a large tree) costs at most the region in memory.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

/// Size of the region: above what compiling the largest corpus policy allocates in all (20 MB).
const REGION: usize = 32 << 20;

/// The allocator; see the module documentation.
pub struct Region;

/// Start of the mapping, or one of the states below.
static BASE: AtomicUsize = AtomicUsize::new(UNTOUCHED);
/// The next free byte of the mapping.
static NEXT: AtomicUsize = AtomicUsize::new(0);

const UNTOUCHED: usize = 0;
const UNMAPPED: usize = 1;
const MAPPING: usize = 2;

/// The region's start, mapping it on first use; `None` where it could not be mapped.
fn base() -> Option<usize> {
    match BASE.load(Acquire) {
        UNTOUCHED | MAPPING => map(),
        UNMAPPED => None,
        b => Some(b),
    }
}

/// The region's start if it is mapped, without mapping it.
fn mapped() -> Option<usize> {
    Some(BASE.load(Acquire)).filter(|&b| b > MAPPING)
}

#[cold]
fn map() -> Option<usize> {
    if BASE.compare_exchange(UNTOUCHED, MAPPING, Acquire, Acquire).is_ok() {
        let b = map_region().unwrap_or(UNMAPPED);
        NEXT.store(b, Relaxed);
        BASE.store(b, Release);
    }
    // Another thread may be mapping it: that takes one system call.
    loop {
        match BASE.load(Acquire) {
            MAPPING => std::hint::spin_loop(),
            UNMAPPED => return None,
            b => return Some(b),
        }
    }
}

/// Transparent huge pages back only ranges aligned to their size.
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

#[cfg(target_os = "linux")]
fn map_region() -> Option<usize> {
    // SAFETY: an anonymous private mapping with no address hint touches no existing memory.
    let p = unsafe {
        libc::mmap(
            ptr::null_mut(),
            REGION + HUGE_PAGE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return None;
    }
    // The region starts at the first huge-page boundary of the mapping; the slack before it and
    // after it is never touched.
    let start = (p as usize).next_multiple_of(HUGE_PAGE);
    // SAFETY: advice on part of the mapping just made. Refused advice only costs speed.
    unsafe { libc::madvise(start as *mut libc::c_void, REGION, libc::MADV_HUGEPAGE) };
    Some(start)
}

#[cfg(not(target_os = "linux"))]
fn map_region() -> Option<usize> {
    None
}

/// Whether `p` lies in the region that starts at `base`.
fn in_region(base: usize, p: *mut u8) -> bool {
    (p as usize).wrapping_sub(base) < REGION
}

/// What a thread takes from the region at a time for its small blocks.
const CHUNK: usize = 256 << 10;

/// Blocks of at least this size are taken from the region directly, not from a thread's chunk.
const LARGE: usize = CHUNK / 4;

thread_local! {
    /// This thread's chunk: its start, next free byte and end (all zero before its first).
    /// Threads allocating at once would otherwise move the cache line of [`NEXT`] between their
    /// cores at every allocation (measured: 3 ms of the largest corpus policy's 25 ms compile).
    static LOCAL: Cell<Chunk> = const { Cell::new(Chunk { start: 0, next: 0, end: 0 }) };
}

// What makes `LOCAL` usable from inside the allocator: a const-initialised thread-local without
// a destructor is a plain thread-local static (no lazy set-up that allocates, valid until the
// thread ends).
const _: () = assert!(!std::mem::needs_drop::<Cell<Chunk>>());

#[derive(Clone, Copy)]
struct Chunk {
    start: usize,
    next: usize,
    end: usize,
}

impl Chunk {
    /// Takes `size` bytes aligned to `align` if they fit.
    fn bump(&mut self, size: usize, align: usize) -> Option<usize> {
        let start = self.next.checked_add(align - 1)? & !(align - 1);
        let end = start.checked_add(size)?;
        (end <= self.end).then(|| {
            self.next = end;
            start
        })
    }

    fn holds(&self, p: usize) -> bool {
        p.wrapping_sub(self.start) < self.end - self.start
    }
}

/// Takes `size` bytes aligned to `align` from the region, if they fit.
fn bump(base: usize, size: usize, align: usize) -> Option<*mut u8> {
    let end_of_region = base + REGION;
    let mut cur = NEXT.load(Relaxed);
    loop {
        let start = cur.checked_add(align - 1)? & !(align - 1);
        let end = start.checked_add(size)?;
        if end > end_of_region {
            return None;
        }
        // Acquire: the bytes may have been given back by another thread (a release), whose
        // writes to them must come before this owner's.
        match NEXT.compare_exchange_weak(cur, end, Acquire, Relaxed) {
            Ok(_) => return Some(start as *mut u8),
            Err(now) => cur = now,
        }
    }
}

/// Takes a small block from this thread's chunk, taking a new chunk when it is spent.
fn bump_local(base: usize, size: usize, align: usize) -> Option<*mut u8> {
    LOCAL
        .try_with(|local| {
            let mut c = local.get();
            if let Some(p) = c.bump(size, align) {
                local.set(c);
                return Some(p as *mut u8);
            }
            // The rest of the spent chunk is left unused.
            let start = bump(base, CHUNK, 16)? as usize;
            c = Chunk {
                start,
                next: start,
                end: start + CHUNK,
            };
            let p = c.bump(size, align)?;
            local.set(c);
            Some(p as *mut u8)
        })
        .ok()
        .flatten()
}

/// Gives back the block `p..p + size` if it is the latest of where it came from: this thread's
/// chunk for a small block, the region for a large one. Any other block stays until exit. A
/// small block never grows into a large one in place, so a block of a thread's chunk is never
/// given back to the region (a large block shrunk in place to a small size is simply kept).
fn give_back(p: usize, size: usize) {
    let end = p + size;
    if size >= LARGE {
        let _ = NEXT.compare_exchange(end, p, Release, Relaxed);
        return;
    }
    let _ = LOCAL.try_with(|local| {
        let mut c = local.get();
        if c.holds(p) && c.next == end {
            c.next = p;
            local.set(c);
        }
    });
}

/// Grows the block `p..p + old` to `new` bytes where it lies, if it is the latest of where it
/// came from (see [`give_back`]) and there is room after it there.
fn grow_in_place(base: usize, p: usize, old: usize, new: usize) -> bool {
    let (end, Some(new_end)) = (p + old, p.checked_add(new)) else {
        return false;
    };
    if old >= LARGE {
        return new_end <= base + REGION && NEXT.compare_exchange(end, new_end, Acquire, Relaxed).is_ok();
    }
    new < LARGE
        && LOCAL
            .try_with(|local| {
                let mut c = local.get();
                let grown = c.holds(p) && c.next == end && new_end <= c.end;
                if grown {
                    c.next = new_end;
                    local.set(c);
                }
                grown
            })
            .unwrap_or(false)
}

// SAFETY: blocks from the region are disjoint (each chunk, each large block, and each small block
// taken from the region when no chunk fits, is claimed by one successful compare-exchange of NEXT
// past its end; within a chunk, only its thread hands out blocks, and only what it handed out last
// is taken back; a block given back to the region is released and claimed again with acquire
// ordering) and stay valid until the process exits; blocks outside it belong to `System`, which
// gets back exactly what it handed out.
unsafe impl GlobalAlloc for Region {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if let Some(b) = base() {
            // Below both limits a block always fits a fresh chunk (padding < LARGE, size < LARGE).
            let p = if layout.size() < LARGE && layout.align() <= LARGE {
                bump_local(b, layout.size(), layout.align())
            } else {
                None
            };
            if let Some(p) = p.or_else(|| bump(b, layout.size(), layout.align())) {
                return p;
            }
        }
        // SAFETY: as the caller promised for `layout`.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        match mapped() {
            // Often the latest block: a temporary buffer, a collection built and dropped.
            Some(b) if in_region(b, p) => give_back(p as usize, layout.size()),
            // SAFETY: `p` came from `System` with `layout`.
            _ => unsafe { System.dealloc(p, layout) },
        }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Some(b) = mapped().filter(|&b| in_region(b, p)) else {
            // SAFETY: `p` came from `System` with `layout`.
            return unsafe { System.realloc(p, layout, new_size) };
        };
        if new_size <= layout.size() || grow_in_place(b, p as usize, layout.size(), new_size) {
            return p;
        }
        // SAFETY: `layout.align()` is a power of two and `new_size`, rounded up to it, does not
        // overflow (the caller's promise for `realloc`).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: a valid layout of non-zero size (the caller's promise).
        let q = unsafe { self.alloc(new_layout) };
        if !q.is_null() {
            // SAFETY: both blocks are valid for the smaller size and do not overlap (`q` is new).
            unsafe { ptr::copy_nonoverlapping(p, q, layout.size().min(new_size)) };
            // The old block may be the latest of its chunk: give it back.
            give_back(p as usize, layout.size());
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_aligned_disjoint_and_keep_their_contents() {
        let a = Region;
        let mut blocks = Vec::new();
        for (i, (size, align)) in [(1, 1), (24, 8), (3, 1), (64, 64), (4096, 4096), (7, 2)]
            .into_iter()
            .enumerate()
        {
            let layout = Layout::from_size_align(size, align).unwrap();
            // SAFETY: non-zero sizes; every block is freed below with its layout.
            let p = unsafe { a.alloc(layout) };
            assert!(!p.is_null() && (p as usize).is_multiple_of(align));
            // SAFETY: `p` is valid for `size` bytes.
            unsafe { ptr::write_bytes(p, i as u8 + 1, size) };
            blocks.push((p, layout, i as u8 + 1));
        }
        for (p, layout, fill) in &blocks {
            // SAFETY: each block is valid for its size and written above.
            let bytes = unsafe { std::slice::from_raw_parts(*p, layout.size()) };
            assert!(bytes.iter().all(|b| b == fill), "a block was overwritten");
        }
        // Growing keeps the contents, in place or not.
        let (p, layout, fill) = blocks.pop().unwrap();
        // SAFETY: `p` has `layout`; the new size is non-zero.
        let q = unsafe { a.realloc(p, layout, 10_000) };
        // SAFETY: `q` is valid for the old size.
        assert!(
            unsafe { std::slice::from_raw_parts(q, layout.size()) }
                .iter()
                .all(|b| *b == fill)
        );
        // SAFETY: freeing every block with the layout it has now.
        unsafe {
            a.dealloc(q, Layout::from_size_align(10_000, layout.align()).unwrap());
            for (p, layout, _) in blocks {
                a.dealloc(p, layout);
            }
        }
    }

    #[test]
    fn threads_allocating_at_once_get_disjoint_blocks() {
        // Blocks made on one thread are grown and freed on another, as a parsed fragment is.
        let made: Vec<Vec<Vec<u8>>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..4u8)
                .map(|t| {
                    s.spawn(move || {
                        (0..2_000usize)
                            .map(|i| vec![t.wrapping_mul(31).wrapping_add(i as u8); 1 + (i * 7919) % 3_000])
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for (t, blocks) in made.iter().enumerate() {
            for (i, b) in blocks.iter().enumerate() {
                let fill = (t as u8).wrapping_mul(31).wrapping_add(i as u8);
                assert!(b.iter().all(|x| *x == fill), "thread {t} block {i} was overwritten");
                spans.push((b.as_ptr() as usize, b.len()));
            }
        }
        spans.sort_unstable();
        assert!(
            spans.windows(2).all(|w| w[0].0 + w[0].1 <= w[1].0),
            "two blocks overlap"
        );
        let grown: Vec<Vec<u8>> = made
            .into_iter()
            .flatten()
            .step_by(97)
            .map(|mut b| {
                let fill = b[0];
                b.resize(b.len() + 100_000, fill);
                b
            })
            .collect();
        assert!(grown.iter().all(|b| b.iter().all(|x| *x == b[0])));
    }

    #[test]
    fn blocks_larger_than_the_region_come_from_the_system() {
        let a = Region;
        let layout = Layout::from_size_align(REGION + 1, 8).unwrap();
        // SAFETY: non-zero size; freed below with the same layout.
        let p = unsafe { a.alloc(layout) };
        assert!(!p.is_null());
        if let Some(b) = mapped() {
            assert!(!in_region(b, p));
        }
        // SAFETY: `p` was allocated with `layout`.
        unsafe { a.dealloc(p, layout) };
    }
}
