//! The pool that runs sync handlers: threads made on demand, work handed over in batches.
//!
//! `tokio::task::spawn_blocking` costs more than half the throughput of a trivial handler
//! (measured: 0.33–0.43× raw hyper), because every call may wake or create a thread. Here a
//! push wakes a parked worker only when no worker is already awake, and a worker that takes a
//! job while more are queued first makes sure one more worker is awake or coming. So:
//! - short jobs arriving together are drained by one awake worker, one wake-up per batch;
//! - a job that blocks (a `sleep`, a database call) leaves the rest to the next worker, so
//!   blocking jobs still get a thread each, up to the limit, just in time.
//!
//! Workers are plain threads, not tokio's, so shutting the runtime down never waits for a
//! stuck handler.
//!
//! On Linux, workers run under `SCHED_BATCH` (same nice value, same CPU share): a woken worker
//! does not preempt the thread running on its CPU, it waits for that thread to block or for
//! the next scheduler tick. Without it, when the reactor and a worker share a CPU (one core,
//! or a server pinned to one), every hand-off is a context switch: the woken worker preempts
//! the reactor, runs one job, parks, and the reactor resumes to hand over the next job
//! (measured: 1.26 switches per request; a sync hello at 0.68–0.82× raw hyper). With it, the
//! reactor reads every ready request first and the worker then drains them in one go (0.86–
//! 0.95× in `compare`, BENCHMARKS.md). The cost: on a busy CPU a woken worker may wait up to
//! one tick; with a CPU free it runs at once, as before.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// A unit of work, run once by a worker.
pub(crate) trait Run: Send + Sync + 'static {
    fn run(&self);
    /// Told when the pool drops the job unrun (it went away with work queued).
    fn abandon(&self);
}

pub(crate) type Job = std::sync::Arc<dyn Run>;

/// How long an idle worker waits for work before it exits.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub(crate) struct Pool {
    shared: Arc<Workers>,
}

struct Workers {
    state: Mutex<State>,
    work: Condvar,
    max_threads: usize,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    threads: usize,
    /// Workers parked on the condvar.
    parked: usize,
    /// Notifications sent and not yet taken by a worker that woke.
    notified: usize,
    /// Workers woken (or created) that have not taken a job yet: they will drain the queue.
    waking: usize,
}

impl Drop for State {
    fn drop(&mut self) {
        for job in self.queue.drain(..) {
            job.abandon();
        }
    }
}

impl Pool {
    pub(crate) fn new(max_threads: usize) -> Self {
        Self {
            shared: Arc::new(Workers {
                state: Mutex::new(State::default()),
                work: Condvar::new(),
                max_threads: max_threads.max(1),
            }),
        }
    }

    /// Queues `job`; it runs on a pool thread.
    pub(crate) fn execute(&self, job: Job) {
        let mut state = self.shared.lock();
        state.queue.push_back(job);
        self.shared.ensure_awake(&mut state);
    }
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("max_threads", &self.max_threads)
            .finish_non_exhaustive()
    }
}

impl Workers {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A job never runs under this lock, so it cannot be poisoned by a handler's panic.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes sure a worker is awake (or coming) to take the queued work.
    fn ensure_awake(self: &Arc<Self>, state: &mut State) {
        if state.waking > 0 || state.queue.is_empty() {
            return;
        }
        if state.parked > state.notified {
            state.notified += 1;
            state.waking += 1;
            self.work.notify_one();
        } else if state.threads < self.max_threads {
            state.threads += 1;
            state.waking += 1;
            let shared = Arc::clone(self);
            let spawned = std::thread::Builder::new()
                .name("ninja-blocking".to_owned())
                .spawn(move || shared.work_loop());
            if let Err(e) = spawned {
                state.threads -= 1;
                state.waking -= 1;
                tracing::error!(error = %e, "could not start a blocking-pool thread");
            }
        }
        // Otherwise every thread is busy: the job waits for the next one free.
    }

    fn work_loop(self: Arc<Self>) {
        prefer_not_to_preempt();
        let mut state = self.lock();
        // A new worker starts out waking: it was made to take the queued work.
        let mut waking = true;
        loop {
            if let Some(job) = state.queue.pop_front() {
                if std::mem::take(&mut waking) {
                    state.waking -= 1;
                }
                // More work queued: someone else takes it in case this job blocks.
                self.ensure_awake(&mut state);
                drop(state);
                job.run();
                // Let go of before the lock is taken again: if the task already took the
                // outcome, this frees the call (and what it held), which needs no lock.
                drop(job);
                state = self.lock();
                continue;
            }
            if std::mem::take(&mut waking) {
                state.waking -= 1;
            }
            state.parked += 1;
            let (guard, timeout) = self
                .work
                .wait_timeout(state, KEEP_ALIVE)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            state = guard;
            state.parked -= 1;
            if state.notified > 0 {
                // Counted in `waking` by whoever notified.
                state.notified -= 1;
                waking = true;
            } else if timeout.timed_out() && state.queue.is_empty() {
                state.threads -= 1;
                return;
            }
        }
    }
}

/// Puts the calling thread under `SCHED_BATCH` (see the module docs); a failure only costs
/// speed, so it is logged and ignored.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn prefer_not_to_preempt() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `param` is a valid `sched_param` for the duration of the call; pid 0 is the
    // calling thread; SCHED_BATCH with priority 0 needs no privilege and touches nothing else.
    let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &raw const param) };
    if rc != 0 {
        tracing::debug!(
            error = %std::io::Error::last_os_error(),
            "could not set SCHED_BATCH on a blocking-pool thread"
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn prefer_not_to_preempt() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;
    use std::time::Instant;

    /// A closure as a job.
    struct Once<F>(Mutex<Option<F>>);

    impl<F: FnOnce() + Send + 'static> Run for Once<F> {
        fn run(&self) {
            let f = self.0.lock().expect("not poisoned").take();
            f.expect("run once")();
        }
        fn abandon(&self) {}
    }

    fn job(f: impl FnOnce() + Send + 'static) -> Job {
        Arc::new(Once(Mutex::new(Some(f))))
    }

    /// Work still queued when the pool goes is told so (its task answers 503), not lost.
    #[test]
    fn queued_jobs_are_abandoned_when_the_pool_goes() {
        struct Told(Arc<AtomicUsize>);
        impl Run for Told {
            fn run(&self) {}
            fn abandon(&self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let told = Arc::new(AtomicUsize::new(0));
        let mut state = State::default();
        for _ in 0..3 {
            state.queue.push_back(Arc::new(Told(Arc::clone(&told))));
        }
        drop(state);
        assert_eq!(told.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn runs_every_job() {
        let pool = Pool::new(4);
        let (tx, rx) = mpsc::channel();
        for i in 0..1000 {
            let tx = tx.clone();
            pool.execute(job(move || tx.send(i).expect("receiver alive")));
        }
        let mut got: Vec<i32> = (0..1000)
            .map(|_| rx.recv_timeout(Duration::from_secs(5)).expect("ran"))
            .collect();
        got.sort_unstable();
        assert_eq!(got, (0..1000).collect::<Vec<_>>());
    }

    /// Blocking jobs each get a thread, up to the limit: 8 sleeps of 300 ms on 8 threads take
    /// about 300 ms, not 8 × 300.
    #[test]
    fn blocking_jobs_run_side_by_side() {
        let pool = Pool::new(8);
        let (tx, rx) = mpsc::channel();
        let start = Instant::now();
        for _ in 0..8 {
            let tx = tx.clone();
            pool.execute(job(move || {
                std::thread::sleep(Duration::from_millis(300));
                tx.send(()).expect("receiver alive");
            }));
        }
        for _ in 0..8 {
            rx.recv_timeout(Duration::from_secs(5)).expect("ran");
        }
        assert!(
            start.elapsed() < Duration::from_millis(1500),
            "{:?}",
            start.elapsed()
        );
    }

    /// Workers run under `SCHED_BATCH` (policy 3, field 41 of `/proc/thread-self/stat`).
    #[cfg(target_os = "linux")]
    #[test]
    fn workers_do_not_preempt_on_wake_up() {
        fn policy() -> String {
            let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("procfs");
            // Fields after the `(comm)` one, which may hold spaces: the 3rd field onwards.
            let after_comm = &stat[stat.rfind(')').expect("comm") + 2..];
            after_comm
                .split(' ')
                .nth(41 - 3)
                .expect("policy field")
                .to_owned()
        }
        let pool = Pool::new(1);
        let (tx, rx) = mpsc::channel();
        pool.execute(job(move || tx.send(policy()).expect("receiver alive")));
        let in_pool = rx.recv_timeout(Duration::from_secs(5)).expect("ran");
        assert_eq!(in_pool, "3", "SCHED_BATCH in the pool");
        assert_eq!(policy(), "0", "the caller's thread is left as it was");
    }

    #[test]
    fn never_more_threads_than_the_limit() {
        let pool = Pool::new(3);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel();
        for _ in 0..12 {
            let (running, peak, tx) = (running.clone(), peak.clone(), tx.clone());
            pool.execute(job(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(50));
                running.fetch_sub(1, Ordering::SeqCst);
                tx.send(()).expect("receiver alive");
            }));
        }
        for _ in 0..12 {
            rx.recv_timeout(Duration::from_secs(5)).expect("ran");
        }
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }
}
