//! What the route macros' generated code calls: error collection and the three ways to run
//! a handler (an async one awaited on the reactor; a sync one on the blocking pool, or
//! inline on the reactor with the route option `inline`), each catching panics.

pub(crate) mod endpoint;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;

use std::task::{Context, Poll};

use http::StatusCode;

use crate::body::RequestBody;
use crate::exec::{Exec, caught, panicked, with_exec};
use crate::extract::{Cleanups, RequestCx};
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};

/// The future a generated handler returns.
pub type BoxFuture<'a> = Pin<Box<dyn Future<Output = Response> + Send + 'a>>;

/// The generated entry point of a route: extract, call, respond.
pub type HandlerFn = for<'a> fn(RequestCx<'a>, RequestBody, &'a Exec) -> BoxFuture<'a>;

/// Awaits an async handler in the connection's task, turning a panic (in the handler or in
/// `respond`) into a 500.
pub fn run_async<'a, Fut, R>(
    exec: &'a Exec,
    fut: Fut,
    respond: fn(R) -> Response,
) -> impl Future<Output = Response> + 'a
where
    // No `Send` bound here: `handle` checks it once, on the user's function (the returned
    // future is `Send` exactly when `Fut` is).
    Fut: Future<Output = R> + 'a,
    R: 'a,
{
    RunAsync {
        fut: with_exec(exec, fut),
        respond,
    }
}

pin_project_lite::pin_project! {
    /// An async handler's future, its answer made and its panics caught in one `poll`:
    /// written by hand because the same from combinators (`map`, `catch_unwind`, `map`)
    /// moved the response through two more futures (callgrind, `/items/{id}`).
    struct RunAsync<F, R> {
        #[pin]
        fut: F,
        respond: fn(R) -> Response,
    }
}

impl<F: Future<Output = R>, R> Future for RunAsync<F, R> {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let this = self.project();
        let respond = *this.respond;
        match std::panic::catch_unwind(AssertUnwindSafe(|| this.fut.poll(cx).map(respond))) {
            Ok(polled) => polled,
            Err(payload) => Poll::Ready(panicked(&payload)),
        }
    }
}

/// A route's request future: `extract` (which borrows the request) and then `call` with
/// its values. The two are states of one enum, so while the handler runs the future holds
/// the handler's own state, not also the request context and the extraction's locals.
///
/// `extract` also gives the cleanups its dependencies registered: they run after the call
/// (or after the failed extraction), before the answer goes out.
pub fn handle<'a, T, E, C, F>(extract: E, call: C) -> BoxFuture<'a>
where
    E: Future<Output = (Result<T, Response>, Cleanups)> + Send + 'a,
    C: FnOnce(T) -> F + Send + 'a,
    F: Future<Output = Response> + Send + 'a,
{
    Box::pin(Handle::Extracting {
        extract,
        call: Some(call),
    })
}

pin_project_lite::pin_project! {
    /// [`handle`]'s future, by hand for the same reason as [`RunAsync`]: as `then` over a
    /// caught, mapped extraction and an `Either` of the call, the response moved through
    /// five futures on its way out.
    #[project = HandleProj]
    enum Handle<E, C, F> {
        Extracting { #[pin] extract: E, call: Option<C> },
        Calling { #[pin] fut: F, cleanups: Cleanups },
        /// The cleanups, running after the answer `res` was made.
        CleaningUp { running: BoxFuture<'static> },
        Done,
    }
}

impl<T, E, C, F> Future for Handle<E, C, F>
where
    E: Future<Output = (Result<T, Response>, Cleanups)>,
    C: FnOnce(T) -> F,
    F: Future<Output = Response>,
{
    type Output = Response;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        loop {
            let (res, cleanups) = match self.as_mut().project() {
                HandleProj::Extracting { extract, call } => {
                    // A panic while extracting (a dependency's, an extractor's) is a 500
                    // like a handler's; the cleanups registered before it are lost with the
                    // future (a transaction's own `Drop` rolls it back).
                    let polled = std::panic::catch_unwind(AssertUnwindSafe(|| extract.poll(cx)));
                    match polled {
                        Ok(Poll::Pending) => return Poll::Pending,
                        Ok(Poll::Ready((Ok(values), cleanups))) => {
                            let call = call.take().expect("extracted once");
                            let fut = call(values);
                            self.set(Self::Calling { fut, cleanups });
                            continue;
                        }
                        Ok(Poll::Ready((Err(res), cleanups))) => (res, cleanups),
                        Err(payload) => (panicked(&payload), Cleanups::default()),
                    }
                }
                HandleProj::Calling { fut, cleanups } => {
                    let res = std::task::ready!(fut.poll(cx));
                    (res, std::mem::take(cleanups))
                }
                HandleProj::CleaningUp { running } => {
                    let res = std::task::ready!(running.as_mut().poll(cx));
                    self.set(Self::Done);
                    return Poll::Ready(res);
                }
                HandleProj::Done => panic!("a handler's future polled after its answer"),
            };
            if cleanups.is_empty() {
                self.set(Self::Done);
                return Poll::Ready(res);
            }
            self.set(Self::CleaningUp {
                running: Box::pin(cleanups.run(res)),
            });
        }
    }
}

/// Runs a sync handler right here, on the reactor thread (route option `inline`): no hand-off,
/// so the fastest way to run one, and only right for handlers that never block.
pub fn run_inline<F: FnOnce() -> Response>(f: F) -> Response {
    caught(f)
}

/// Collects extraction failures so one answer lists every bad input.
///
/// Validation problems (422) merge their `errors`; any other problem (400, 413, 415...) is
/// answered as is, the first one winning.
#[derive(Debug, Default)]
pub struct InputErrors(Option<Problem>);

impl InputErrors {
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
        self.into_problem().into_response()
    }

    /// The collected failures as one problem (a dependency's failure).
    #[must_use]
    pub fn into_problem(self) -> Problem {
        self.0.unwrap_or_else(Problem::internal)
    }
}
