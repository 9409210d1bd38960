//! Running two parts of one command at once, the second on another core from its start.
//!
//! A command that splits its work in two (reading a large document, mapping it while the schema
//! is checked, encoding while the rest is validated) gains only if the second thread runs on an
//! idle core at once. On the virtual machines measured (2 vCPUs, Linux 6.18), a new thread was
//! placed on its parent's busy core and moved to the idle one only 0.7 to 3 ms later, taking
//! turns with its parent meanwhile. So the helper thread is created allowed only on the other
//! cores, and once it runs it allows itself all of them again, so that the scheduler can still
//! move it. Elsewhere than Linux, and on one core, it is a plain thread.
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
    let run = || {
        affinity::allow(all.as_ref());
        take().map(|f| f())
    };
    // SAFETY: `run` borrows `job`, `all` and what `elsewhere` borrows, all of which outlive this
    // function. The thread is joined below before this function returns or unwinds (a panic of
    // `here` is caught first), and its handle stays in `state`, which `here` can only reach
    // through the joining function.
    let spawned = unsafe { thread::Builder::new().spawn_unchecked(run) };
    let mut state = match spawned {
        Ok(handle) => {
            affinity::move_off_this_core(&handle, all.as_ref());
            State::Running(handle)
        }
        Err(_) => State::Done(take().map(|f| f())),
    };
    let result = panic::catch_unwind(AssertUnwindSafe(|| here(&mut || state.join())));
    let finished = match state {
        State::Running(h) => h.join().map(drop),
        State::Done(_) | State::Joined => Ok(()),
    };
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

/// The other part of a [`with_helper`] call.
enum State<A> {
    Running(JoinHandle<Option<A>>),
    /// Run here, for want of a thread.
    Done(Option<A>),
    Joined,
}

impl<A> State<A> {
    fn join(&mut self) -> Result<A, Panic> {
        let result = match std::mem::replace(self, State::Joined) {
            State::Running(h) => h.join(),
            State::Done(a) => Ok(a),
            State::Joined => Ok(None),
        };
        result.and_then(|a| a.ok_or_else(|| Box::new("the helper's result was already taken") as Panic))
    }
}

#[cfg(target_os = "linux")]
mod affinity {
    use std::os::unix::thread::JoinHandleExt;
    use std::thread::JoinHandle;

    /// The cores this process may run on.
    pub struct Cores(libc::cpu_set_t);

    const SIZE: usize = std::mem::size_of::<libc::cpu_set_t>();

    pub fn allowed() -> Option<Cores> {
        // SAFETY: an all-zero `cpu_set_t` is a valid (empty) set, filled in by the call.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is a writable `cpu_set_t` of `SIZE` bytes.
        (unsafe { libc::sched_getaffinity(0, SIZE, &mut set) } == 0).then_some(Cores(set))
    }

    /// Lets the calling thread run on `cores` (all that the process may use).
    pub fn allow(cores: Option<&Cores>) {
        if let Some(c) = cores {
            // SAFETY: `c.0` is a valid `cpu_set_t`. A refusal leaves the thread where it is.
            unsafe { libc::sched_setaffinity(0, SIZE, &c.0) };
        }
    }

    /// Keeps the thread of `h` off the calling thread's core, if another is allowed. The thread
    /// may already have allowed itself all cores (`allow`); this then confines it to the others
    /// for its life, which costs nothing here, since its parent keeps its own core.
    pub fn move_off_this_core<T>(h: &JoinHandle<T>, cores: Option<&Cores>) {
        let Some(Cores(all)) = cores else { return };
        // SAFETY: `sched_getcpu` has no preconditions.
        let Ok(this) = usize::try_from(unsafe { libc::sched_getcpu() }) else {
            return;
        };
        let mut others = *all;
        // SAFETY: `others` is a valid set; CPU_CLR ignores numbers beyond it.
        unsafe { libc::CPU_CLR(this, &mut others) };
        // SAFETY: as above.
        if unsafe { libc::CPU_COUNT(&others) } == 0 {
            return;
        }
        // SAFETY: `h` is a thread not yet joined, so its pthread handle is valid; `others` is a
        // valid set. A refusal leaves the thread where the scheduler put it.
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

    #[test]
    fn panics_of_either_part_reach_the_caller() {
        let helper = panic::catch_unwind(|| join(|| panic!("helper"), || 1));
        assert_eq!(*helper.unwrap_err().downcast::<&str>().unwrap(), "helper");
        let here = panic::catch_unwind(|| join(|| 1, || panic!("here")));
        assert_eq!(*here.unwrap_err().downcast::<&str>().unwrap(), "here");
    }
}
