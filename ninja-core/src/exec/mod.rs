//! How handlers run: the bounded blocking pool, the app's executor that owns it
//! ([`Exec`]), the task-local that lets [`blocking`] find it, and the count of background
//! work a shutdown waits on. Below extraction and handlers, which both use it.

mod handoff;
mod pool;
mod tracker;

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http::{HeaderValue, StatusCode, header};

use crate::problem::Problem;
use crate::response::{IntoResponse, Response};
use handoff::{Handoff, Outcome};
use pool::Pool;
pub(crate) use tracker::{Running, Tracker};

/// How handlers run: the bounded blocking pool. Cheap to clone (one `Arc`).
#[derive(Debug, Clone)]
pub struct Exec(Arc<ExecInner>);

#[derive(Debug)]
struct ExecInner {
    pool: Pool,
    /// Background batches and WebSockets running, for shutdown to wait on.
    background: Arc<Tracker>,
    /// Sent once when the server starts shutting down: WebSockets close with 1001.
    closing: tokio::sync::watch::Sender<bool>,
    /// Set when a shutdown signal came: readiness answers 503 from then on.
    draining: std::sync::atomic::AtomicBool,
    /// Sync calls running or queued, and how many may be; beyond that, 503.
    in_flight: Arc<AtomicUsize>,
    max_in_flight: usize,
    /// Threads of the blocking pool.
    threads: usize,
    /// Connections open on the server (kept by its accept loop).
    connections: Arc<AtomicUsize>,
}

/// What a call on the blocking pool gives back: its value, or the payload of its panic.
type Ran<T> = std::thread::Result<T>;

impl Exec {
    pub(crate) fn new(blocking_threads: usize, blocking_queue: usize) -> Self {
        Self(Arc::new(ExecInner {
            pool: Pool::new(blocking_threads),
            background: Arc::default(),
            closing: tokio::sync::watch::Sender::new(false),
            draining: std::sync::atomic::AtomicBool::new(false),
            in_flight: Arc::new(AtomicUsize::new(0)),
            max_in_flight: blocking_threads + blocking_queue,
            threads: blocking_threads,
            connections: Arc::new(AtomicUsize::new(0)),
        }))
    }

    pub(crate) fn background(&self) -> &Arc<Tracker> {
        &self.0.background
    }

    /// The counter of open connections, for the accept loop to keep.
    pub(crate) fn connection_counter(&self) -> &Arc<AtomicUsize> {
        &self.0.connections
    }

    /// Connections open now.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    pub(crate) fn connections(&self) -> usize {
        self.0.connections.load(Ordering::Relaxed)
    }

    /// Sync calls running on the pool's threads, and waiting for one.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    pub(crate) fn blocking_load(&self) -> (usize, usize) {
        let all = self.0.in_flight.load(Ordering::Relaxed);
        (all.min(self.0.threads), all.saturating_sub(self.0.threads))
    }

    /// Marks the server as draining: readiness fails from now on.
    pub(crate) fn begin_draining(&self) {
        self.0.draining.store(true, Ordering::Release);
    }

    /// Whether a shutdown signal came.
    pub(crate) fn is_draining(&self) -> bool {
        self.0.draining.load(Ordering::Acquire)
    }

    /// Tells long-lived work (WebSockets) that the server is shutting down.
    pub(crate) fn begin_shutdown(&self) {
        self.0.closing.send_replace(true);
    }

    /// Whether, and when, the server starts shutting down.
    #[cfg_attr(not(feature = "ws"), allow(dead_code))]
    pub(crate) fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.0.closing.subscribe()
    }

    /// Queues `f` on the blocking pool, or answers 503 with `Retry-After` at once when every
    /// slot is taken (all threads busy and the queue full) instead of queueing without bound.
    fn spawn<F, T>(&self, f: F) -> Result<Outcome<F, T>, Problem>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let inner = &*self.0;
        // A counter, not a semaphore: tokio's takes a lock on every release.
        if inner.in_flight.fetch_add(1, Ordering::AcqRel) >= inner.max_in_flight {
            inner.in_flight.fetch_sub(1, Ordering::AcqRel);
            return Err(Problem::new(StatusCode::SERVICE_UNAVAILABLE)
                .with_detail("the server is busy; try again shortly")
                .with_header(header::RETRY_AFTER, HeaderValue::from_static("1")));
        }
        // Taken here so that a call dropped unrun still gives its slot back.
        let call = Handoff::new(f, Slot(Arc::clone(&inner.in_flight)));
        inner.pool.execute(Arc::clone(&call) as pool::Job);
        Ok(Outcome(call))
    }

    /// Runs `f` on the blocking pool: its value, a 503 when the pool is full or shutting
    /// down, or a 500 (logged) when it panics.
    pub(crate) fn blocking<F, T>(
        &self,
        f: F,
    ) -> impl Future<Output = Result<T, Problem>> + Send + 'static
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let outcome = self.spawn(f);
        async move {
            match outcome?.await {
                Some(Ok(v)) => Ok(v),
                Some(Err(payload)) => Err(log_panic(&payload)),
                None => Err(shutting_down()),
            }
        }
    }

    /// Runs a sync handler on the blocking pool (queued now) and, once it has returned, makes
    /// its answer with `respond` in the awaiting task, as for an async handler.
    ///
    /// The answer is made here rather than on the pool so that its allocations (the header
    /// map, the serialized body) are made and freed by the same thread: made on a pool
    /// thread and freed on the reactor, each missed the allocator's per-thread cache
    /// (callgrind, sync hello: 14,154 · 14,429 → 13,355 · 13,314 instructions a request).
    /// A handler whose answer is costly to serialize still runs its own work on the pool;
    /// a panic while answering is a 500 like the handler's.
    pub fn run_blocking<F, R>(
        &self,
        f: F,
        respond: fn(R) -> Response,
    ) -> impl Future<Output = Response> + Send + use<F, R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let queued = self.spawn(f);
        async move {
            match queued {
                Ok(outcome) => match outcome.await {
                    Some(Ok(r)) => caught(|| respond(r)),
                    Some(Err(payload)) => panicked(&payload),
                    None => shutting_down().into_response(),
                },
                Err(busy) => busy.into_response(),
            }
        }
    }
}

fn shutting_down() -> Problem {
    Problem::new(StatusCode::SERVICE_UNAVAILABLE).with_detail("the server is shutting down")
}

tokio::task_local! {
    /// The pool of the app whose async handler is running, for [`blocking`].
    static CURRENT: Exec;
}

/// Runs a blocking call (a sync library, a sync database driver) from an async handler, on
/// the same bounded pool that runs sync handlers, and awaits its value.
///
/// ```
/// # use ninja_core::prelude::*;
/// #[get("/digest")]
/// async fn digest(text: String) -> Result<String, Problem> {
///     let n = ninja_core::blocking(move || text.bytes().map(u64::from).sum::<u64>()).await?;
///     Ok(n.to_string())
/// }
/// ```
///
/// Fails with a 503 [`Problem`] (with `Retry-After`) when the pool is full, as a sync
/// handler would; a panic in `f` is re-raised in the handler, which answers 500. Outside a
/// Ninja handler it falls back to tokio's `spawn_blocking`.
pub async fn blocking<F, T>(f: F) -> Result<T, Problem>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let outcome = match CURRENT.try_with(Exec::clone) {
        Ok(exec) => exec.spawn(f)?,
        Err(_) => {
            return match tokio::task::spawn_blocking(f).await {
                Ok(v) => Ok(v),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => Err(shutting_down()),
            };
        }
    };
    match outcome.await {
        Some(Ok(v)) => Ok(v),
        Some(Err(payload)) => std::panic::resume_unwind(payload),
        None => Err(shutting_down()),
    }
}

/// A slot of the blocking pool's bound, given back when the call ends, however it ends.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs `fut` (an async handler, or a dependency being computed) with `exec` as the pool
/// [`blocking`] uses.
pub(crate) fn with_exec<F: Future>(exec: &Exec, fut: F) -> impl Future<Output = F::Output> {
    CURRENT.scope(exec.clone(), fut)
}

/// Marks a response as the answer to a panic (for cleanups: a panic is not a returned 500).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Panicked;

/// Makes an answer with `f`, a panic in it answered as a 500 (logged, marked for cleanups).
pub(crate) fn caught(f: impl FnOnce() -> Response) -> Response {
    std::panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| panicked(&payload))
}

pub(crate) fn panicked(payload: &(dyn Any + Send)) -> Response {
    let mut res = log_panic(payload).into_response();
    // For cleanups: a panic is not a returned 500.
    res.extensions_mut().insert(Panicked);
    res
}

/// Logs a handler panic; the answer is a 500 whose body never holds the message.
fn log_panic(payload: &(dyn Any + Send)) -> Problem {
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("<non-string panic payload>");
    tracing::error!(panic = msg, "a handler panicked; answered 500");
    Problem::internal()
}
