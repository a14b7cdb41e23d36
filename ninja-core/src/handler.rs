//! What the route macros' generated code calls: error collection and the two ways to run a
//! handler (awaited on the reactor, or on the blocking pool), both catching panics.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::FutureExt;
use http::{HeaderValue, StatusCode, header};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::body::RequestBody;
use crate::extract::{Limits, RequestCx};
use crate::pool::Pool;
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};

/// The future a generated handler returns.
pub type BoxFuture<'a> = Pin<Box<dyn Future<Output = Response> + Send + 'a>>;

/// The generated entry point of a route: extract, call, respond.
pub type HandlerFn = for<'a> fn(RequestCx<'a>, RequestBody, &'a Exec) -> BoxFuture<'a>;

/// How handlers run: the body size limit and the bounded blocking pool.
#[derive(Debug)]
pub struct Exec {
    limits: Limits,
    pool: Pool,
    /// Sync calls running or queued, and how many may be; beyond that, 503.
    in_flight: Arc<AtomicUsize>,
    max_in_flight: usize,
}

impl Exec {
    pub(crate) fn new(limits: Limits, blocking_threads: usize, blocking_queue: usize) -> Self {
        let blocking_slots = blocking_threads + blocking_queue;
        Self {
            limits,
            pool: Pool::new(blocking_threads),
            in_flight: Arc::new(AtomicUsize::new(0)),
            max_in_flight: blocking_slots,
        }
    }

    /// The body size limits.
    #[must_use]
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Runs a sync handler (and its response serialization) on the blocking pool.
    ///
    /// When every slot is taken (all threads busy and the queue full) this answers 503 with
    /// `Retry-After` at once instead of queueing without bound.
    pub async fn run_blocking<F, R>(&self, f: F) -> Response
    where
        F: FnOnce() -> R + Send + 'static,
        R: IntoResponse,
    {
        // A counter, not a semaphore: tokio's takes a lock on every release.
        if self.in_flight.fetch_add(1, Ordering::AcqRel) >= self.max_in_flight {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return Problem::new(StatusCode::SERVICE_UNAVAILABLE)
                .with_detail("the server is busy; try again shortly")
                .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
                .into_response();
        }
        // Created here so that a job dropped unrun still gives its slot back.
        let slot = Slot(Arc::clone(&self.in_flight));
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.pool.execute(Box::new(move || {
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| f().into_response()));
            // Free the slot before answering: a client's next request must find it free.
            drop(slot);
            let _ = tx.send(result);
        }));
        match rx.await {
            Ok(Ok(res)) => res,
            Ok(Err(payload)) => panicked(&payload),
            Err(_) => Problem::new(StatusCode::SERVICE_UNAVAILABLE)
                .with_detail("the server is shutting down")
                .into_response(),
        }
    }
}

/// A slot of the blocking pool's bound, given back when the call ends, however it ends.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Awaits an async handler in the connection's task, turning a panic into a 500.
pub async fn run_async<Fut, R>(fut: Fut) -> Response
where
    Fut: Future<Output = R> + Send,
    R: IntoResponse,
{
    match AssertUnwindSafe(async move { fut.await.into_response() })
        .catch_unwind()
        .await
    {
        Ok(res) => res,
        Err(payload) => panicked(&payload),
    }
}

/// Runs a sync handler right here, on the reactor thread (route option `inline`): no hand-off,
/// so the fastest way to run one, and only right for handlers that never block.
pub fn run_inline<F: FnOnce() -> Response>(f: F) -> Response {
    std::panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| panicked(&p))
}

/// Logs a handler panic and answers 500; the message stays in the log, never in the body.
fn panicked(payload: &(dyn Any + Send)) -> Response {
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("<non-string panic payload>");
    tracing::error!(panic = msg, "a handler panicked; answered 500");
    Problem::internal().into_response()
}

/// Collects extraction failures so one answer lists every bad input.
///
/// Validation problems (422) merge their `errors`; any other problem (400, 413, 415...) is
/// answered as is, the first one winning.
#[derive(Debug, Default)]
pub struct Errors(Option<Problem>);

impl Errors {
    /// Keeps the value, or records why there is none.
    pub fn take<T>(&mut self, r: Result<T, Problem>) -> Option<T> {
        match r {
            Ok(t) => Some(t),
            Err(p) => {
                self.push(p);
                None
            }
        }
    }

    fn push(&mut self, p: Problem) {
        let is_422 = |p: &Problem| p.status() == StatusCode::UNPROCESSABLE_ENTITY;
        match &mut self.0 {
            None => self.0 = Some(p),
            Some(cur) if is_422(cur) && is_422(&p) => cur.extend_errors(p),
            Some(cur) if is_422(cur) => *cur = p,
            Some(_) => {}
        }
    }

    /// The answer for the collected failures.
    #[must_use]
    pub fn into_response(self) -> Response {
        self.0.unwrap_or_else(Problem::internal).into_response()
    }
}
