//! Running two parts of one command at once, the second on another core from its start.
//!
//! A command that splits its work in two (reading a large document, mapping it while the schema
//! is checked, encoding while the rest is validated) gains only if the second thread runs on an
//! idle core at once. On the virtual machines measured (2 vCPUs, Linux 6.18), a new thread was
//! placed on its parent's busy core and moved to the idle one only 0.7 to 3 ms later, taking
//! turns with its parent meanwhile. So the helper thread is confined to the other cores as soon as
//! it is created, before it does anything, and then allows itself all of them again, so that the
//! scheduler can still move it. Elsewhere than Linux, and on one core, it is a plain thread.
//!
//! Hand-written because nothing else starts a thread that borrows on a chosen core: std's scoped
//! threads do not expose the native thread, and a pool (rayon) wakes its sleeping workers on the
//! waker's core just the same.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::thread::{self, JoinHandle};

/// A panic's payload.
pub type Panic = Box<dyn std::any::Any + Send + 'static>;

/// Runs `elsewhere` on a new thread, on another core than this one where there is one, while
/// `here` runs on this thread. `here` is given a function that waits for `elsewhere`'s result
/// (or its panic); a second call returns a panic payload saying so. Returns when both are done,
/// resuming a panic of either. Where no thread can be started, `elsewhere` runs here first.
pub fn with_helper<'env, A, R>(
    elsewhere: impl FnOnce() -> A + Send + 'env,
    here: impl FnOnce(&mut dyn FnMut() -> Result<A, Panic>) -> R,
) -> R
where
    A: Send + 'env,
{
    // The job stays reachable from here so that it can run here if no thread starts.
    let job = Mutex::new(Some(elsewhere));
    let take = || job.lock().ok().and_then(|mut j| j.take());
    let all = affinity::allowed();
    // Held while the new thread is moved: it waits for that before allowing itself every core
    // again (else the move could come last and confine it for life), and it cannot have exited
    // meanwhile (the move, by a thread id the kernel had cleared, would then apply to this one).
    let gate = Mutex::new(());
    let run = || {
        drop(gate.lock());
        affinity::allow(all.as_ref());
        take().map(|f| f())
    };
    // Declared before the lock, so that an unwind releases the lock before the join in its drop.
    let mut state = Helper(State::Joined);
    let moving = gate.lock();
    // SAFETY: `run` borrows `job`, `gate`, `all` and what `elsewhere` borrows, all of which
    // outlive this function. The thread is joined before this function returns or unwinds: by
    // `finish` below, or by `Helper`'s drop if anything unwinds first (a panic of `here` is
    // caught). Its handle stays in `state`, which `here` can only reach through the joining
    // function.
    state.0 = match unsafe { thread::Builder::new().spawn_unchecked(run) } {
        Ok(handle) => State::Running(handle),
        Err(_) => State::Done(None),
    };
    if let State::Running(handle) = &state.0 {
        affinity::move_off_this_core(handle, all.as_ref());
    }
    drop(moving);
    if let State::Done(slot) = &mut state.0 {
        *slot = take().map(|f| f());
    }
    let result = panic::catch_unwind(AssertUnwindSafe(|| here(&mut || state.join())));
    let finished = state.finish();
    match (result, finished) {
        (Err(p), _) | (Ok(_), Err(p)) => panic::resume_unwind(p),
        (Ok(r), Ok(())) => r,
    }
}

/// Runs `a` on a new thread on another core and `b` on this thread; both results.
pub fn join<A: Send, B>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    with_helper(a, |wait| {
        let b = b();
        (wait().unwrap_or_else(|p| panic::resume_unwind(p)), b)
    })
}

/// Where the other part of a [`with_helper`] call is.
enum State<A> {
    Running(JoinHandle<Option<A>>),
    /// Run here, for want of a thread.
    Done(Option<A>),
    Joined,
}

/// The other part's state, joined on drop if it was not yet (see [`Helper::finish`]).
struct Helper<A>(State<A>);

impl<A> Helper<A> {
    fn join(&mut self) -> Result<A, Panic> {
        let result = match std::mem::replace(&mut self.0, State::Joined) {
            State::Running(h) => h.join(),
            State::Done(a) => Ok(a),
            State::Joined => Ok(None),
        };
        result.and_then(|a| a.ok_or_else(|| Box::new("the helper's result was already taken") as Panic))
    }

    /// Joins the thread if it was not yet; its panic, if any.
    fn finish(&mut self) -> Result<(), Panic> {
        match std::mem::replace(&mut self.0, State::Joined) {
            State::Running(h) => h.join().map(drop),
            State::Done(_) | State::Joined => Ok(()),
        }
    }
}

impl<A> Drop for Helper<A> {
    fn drop(&mut self) {
        // Only on an unwind that skipped `finish`: the thread must end before what it borrows.
        let _ = self.finish();
    }
}

#[cfg(target_os = "linux")]
mod affinity {
    use std::os::unix::thread::JoinHandleExt;
    use std::thread::JoinHandle;

    /// The cores the calling thread may run on.
    pub struct Cores(pub(super) libc::cpu_set_t);

    const SIZE: usize = std::mem::size_of::<libc::cpu_set_t>();

    pub fn allowed() -> Option<Cores> {
        // SAFETY: an all-zero `cpu_set_t` is a valid (empty) set, filled in by the call.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is a writable `cpu_set_t` of `SIZE` bytes.
        (unsafe { libc::sched_getaffinity(0, SIZE, &mut set) } == 0).then_some(Cores(set))
    }

    /// Lets the calling thread run on `cores` (those its parent was allowed).
    pub fn allow(cores: Option<&Cores>) {
        if let Some(c) = cores {
            // SAFETY: `c.0` is a valid `cpu_set_t`. A refusal leaves the thread where it is.
            unsafe { libc::sched_setaffinity(0, SIZE, &c.0) };
        }
    }

    /// Keeps the thread of `h` off the calling thread's core, if another is allowed. The thread
    /// must not have exited (a cleared thread id would make this apply to the calling thread).
    pub fn move_off_this_core<T>(h: &JoinHandle<T>, cores: Option<&Cores>) {
        let Some(Cores(all)) = cores else { return };
        // SAFETY: `sched_getcpu` has no preconditions.
        let Ok(this) = usize::try_from(unsafe { libc::sched_getcpu() }) else {
            return;
        };
        if this >= 8 * SIZE {
            // Beyond what a `cpu_set_t` holds (CPU_CLR would abort).
            return;
        }
        let mut others = *all;
        // SAFETY: `others` is a valid set and `this` is within it.
        unsafe { libc::CPU_CLR(this, &mut others) };
        // SAFETY: as above.
        if unsafe { libc::CPU_COUNT(&others) } == 0 {
            return;
        }
        // SAFETY: `h` is a thread not yet joined, so its pthread handle is valid (and the caller
        // keeps it running); `others` is a valid set. A refusal leaves it where it was put.
        unsafe { libc::pthread_setaffinity_np(h.as_pthread_t(), SIZE, &others) };
    }
}

#[cfg(not(target_os = "linux"))]
mod affinity {
    use std::thread::JoinHandle;

    pub struct Cores;

    pub fn allowed() -> Option<Cores> {
        None
    }

    pub fn allow(_: Option<&Cores>) {}

    pub fn move_off_this_core<T>(_: &JoinHandle<T>, _: Option<&Cores>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_parts_run_and_borrow() {
        let data: Vec<u32> = (0..1000).collect();
        let (a, b) = join(|| data[..500].iter().sum::<u32>(), || data[500..].iter().sum::<u32>());
        assert_eq!(a + b, data.iter().sum::<u32>());
    }

    #[test]
    fn here_can_wait_for_the_helper_midway() {
        let mut log = Vec::new();
        let r = with_helper(
            || 21,
            |wait| {
                log.push("before");
                let x = wait().unwrap();
                log.push("after");
                assert!(wait().is_err(), "a second wait has no result");
                x * 2
            },
        );
        assert_eq!((r, log), (42, vec!["before", "after"]));
    }

    #[test]
    fn a_helper_not_joined_is_finished_before_returning() {
        let done = std::sync::atomic::AtomicBool::new(false);
        with_helper(
            || {
                std::thread::sleep(std::time::Duration::from_millis(20));
                done.store(true, std::sync::atomic::Ordering::SeqCst);
            },
            |_| (),
        );
        assert!(done.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_caller_keeps_its_cores() {
        // A helper that ended before being moved once made the move apply to its parent (a few
        // in a thousand calls).
        let before = affinity::allowed().unwrap();
        for _ in 0..2_000 {
            join(|| 1, || ());
        }
        let after = affinity::allowed().unwrap();
        // SAFETY: both are valid sets.
        assert!(
            unsafe { libc::CPU_EQUAL(&before.0, &after.0) },
            "a helper's move applied to its parent"
        );
    }

    #[test]
    fn panics_of_either_part_reach_the_caller() {
        let helper = panic::catch_unwind(|| join(|| panic!("helper"), || 1));
        assert_eq!(*helper.unwrap_err().downcast::<&str>().unwrap(), "helper");
        let here = panic::catch_unwind(|| join(|| 1, || panic!("here")));
        assert_eq!(*here.unwrap_err().downcast::<&str>().unwrap(), "here");
    }
}
