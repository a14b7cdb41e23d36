//! Dependencies (FastAPI's `Depends`): values computed asynchronously before the handler
//! from the request head, the state, the identity and other dependencies; once per request;
//! with cleanup after the handler that knows how it went.

use std::any::{Any, TypeId};
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_util::FutureExt as _;
use http::StatusCode;

use crate::body::{BoxError, RequestBody};
use crate::extract::{Arg, FromArg, FromRequestParts, RequestCx};
use crate::openapi::OperationDoc;
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};

/// The future a dependency's generated `resolve` returns.
pub type DepFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Problem>> + Send + 'a>>;

/// A dependency: what `#[dependency]` implements on the type it declares beside the
/// function (of the same name). Use it as `Depends<name>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a dependency",
    label = "not a dependency",
    note = "mark an `async fn` with `#[dependency]` and take it as `Depends<fn_name>`"
)]
pub trait Dependency: 'static {
    /// The value it gives; cloned for each use within a request.
    type Output: Clone + Send + Sync + 'static;

    /// Its name, for messages.
    const NAME: &'static str;

    /// Computes the value (its own arguments extracted first).
    fn resolve<'a, 'b>(cx: &'b RequestCx<'a>) -> DepFuture<'b, Self::Output>
    where
        'a: 'b;

    /// Describes what it reads, and what the dependencies it uses read.
    fn describe(op: &mut OperationDoc<'_>);
}

/// A dependency's value, as a handler (or another dependency) argument: computed before the
/// handler, once per request however many arguments ask for it. Derefs to the value.
///
/// A dependency is an `async fn` marked `#[dependency]`. Its arguments are read like a
/// handler's (query parameters, `Header`, `State`, `Auth`, other `Depends`), its inputs are
/// documented on every operation that uses it (once, however many use it), and it returns
/// `Result<T, E>` where `E` is a response (a [`Problem`], an `ApiError` enum). A handler
/// takes `Depends<name>`, which derefs to the `T`.
///
/// ```
/// use ninja_core::prelude::*;
///
/// #[derive(Clone, Debug)]
/// struct User { name: String }
///
/// /// The caller, from their token.
/// #[dependency]
/// async fn current_user(x_token: Header<String>) -> Result<User, Problem> {
///     match x_token.0.as_str() {
///         "ada-token" => Ok(User { name: "ada".into() }),
///         _ => Err(Problem::new(StatusCode::UNAUTHORIZED).with_detail("unknown token")),
///     }
/// }
///
/// #[get("/me")]
/// async fn me(user: Depends<current_user>) -> String {
///     user.name.clone()
/// }
/// ```
pub struct Depends<D: Dependency>(pub D::Output);

impl<D: Dependency> Depends<D> {
    /// The value.
    pub fn into_inner(self) -> D::Output {
        self.0
    }
}

impl<D: Dependency> Deref for Depends<D> {
    type Target = D::Output;
    fn deref(&self) -> &D::Output {
        &self.0
    }
}

impl<D: Dependency> Clone for Depends<D> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<D: Dependency> fmt::Debug for Depends<D>
where
    D::Output: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Depends").field(&self.0).finish()
    }
}

/// [`FromArg`]'s marker for dependencies.
#[doc(hidden)]
#[derive(Debug)]
pub enum ViaDepends {}

impl<D: Dependency> FromArg<ViaDepends> for Depends<D> {
    fn extract<'a, 'b>(
        cx: &'b RequestCx<'a>,
        _: &'b Arg,
        _: &mut Option<RequestBody>,
    ) -> impl Future<Output = Result<Self, Problem>> + Send + 'b
    where
        Self: 'b,
        'a: 'b,
    {
        resolve::<D>(cx).map(|r| r.map(Depends))
    }

    fn describe(op: &mut OperationDoc<'_>, _: &Arg) {
        op.dependency(
            TypeId::of::<D>(),
            TypeId::of::<Override<D>>(),
            D::NAME,
            D::describe,
        );
    }
}

/// `D`'s value for this request: the override registered for tests, else the cached one,
/// else computed (and cached, failure included, so it is computed and reported once).
pub(crate) async fn resolve<D: Dependency>(cx: &RequestCx<'_>) -> Result<D::Output, Problem> {
    if let Some(value) = cx.state::<Override<D>>() {
        return Ok(value.0.clone());
    }
    let key = TypeId::of::<D>();
    if let Some(found) = cx.deps().cached::<D::Output>(key) {
        return found;
    }
    // `blocking()` in a dependency uses the bounded pool, as in a handler.
    let result = crate::handler::with_exec(cx.exec(), D::resolve(cx)).await;
    cx.deps().store(key, &result);
    result
}

/// A dependency's value put in place of computing it: `NinjaApi::override_dependency`.
pub(crate) struct Override<D: Dependency>(pub(crate) D::Output);

/// How a dependency's argument may be read: from the head, or from other dependencies.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a dependency cannot read the request body",
    label = "a body extractor",
    note = "a dependency reads the request head (query, headers, state, identity) and other dependencies; take the body in the handler"
)]
pub trait HeadOnly {}

impl HeadOnly for crate::extract::ViaParts {}
impl HeadOnly for ViaDepends {}

/// Checked for each argument of a `#[dependency]`: not a body.
#[doc(hidden)]
pub const fn head_only<T: FromArg<M>, M: HeadOnly>() {}

/// What a dependency's function may return: `Result<T, E>` with `E` a response.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a dependency returns `Result<T, E>`, not `{Self}`",
    label = "not `Result<T, E>` with `E` a response",
    note = "`E` is what the request is answered with when the dependency fails: a `Problem`, or a `#[derive(ApiError)]` type"
)]
pub trait DependencyResult {
    /// The value on success.
    type Output: Clone + Send + Sync + 'static;
    /// The value, or the problem the request is answered with.
    fn into_result(self) -> Result<Self::Output, Problem>;
    /// Documents the failure answers.
    fn describe(op: &mut OperationDoc<'_>);
}

impl<T, E> DependencyResult for Result<T, E>
where
    T: Clone + Send + Sync + 'static,
    E: IntoResponse,
{
    type Output = T;

    fn into_result(self) -> Result<T, Problem> {
        self.map_err(|e| crate::response::problem_of(e.into_response()))
    }

    fn describe(op: &mut OperationDoc<'_>) {
        E::describe(op);
    }
}

/// How the request went, for cleanup code: the answer's status, and whether the handler
/// panicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    status: StatusCode,
    panicked: bool,
}

impl Outcome {
    /// A 1xx, 2xx or 3xx answer: commit.
    #[must_use]
    pub fn is_success(&self) -> bool {
        !self.panicked && self.status.as_u16() < 400
    }

    /// The status of the answer so far.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Whether the handler panicked (the answer is then a 500).
    #[must_use]
    pub fn panicked(&self) -> bool {
        self.panicked
    }
}

/// Marks a response made from a handler's panic, so cleanup can tell it from a returned 500.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Panicked;

type Finalizer =
    Box<dyn FnOnce(Outcome) -> Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>> + Send>;

/// Cleanup code of a dependency, run after the handler: take `cleanup: Cleanup` as an
/// argument of a `#[dependency]` and register a closure with [`after`](Self::after).
///
/// Every registered cleanup runs once the handler has answered (also when it failed or
/// panicked, and when a later argument failed to extract), **before** the answer is sent,
/// last registered first (a dependency's cleanup runs before that of the dependencies it
/// used). A cleanup that fails (an `Err`, a panic) is logged; if the answer was a success it
/// becomes a 500, since the work it was to finish (a commit) did not happen. Later cleanups
/// see that outcome.
///
/// Cleanups are code run by the request's future: a request dropped unfinished (the client
/// reset an HTTP/2 stream, the shutdown timeout passed) or a dependency that panicked runs
/// none. What must be released whatever happens belongs in a `Drop` (an sqlx transaction
/// rolls back on drop).
///
/// ```
/// use ninja_core::prelude::*;
/// use ninja_core::Cleanup;
///
/// #[derive(Clone)]
/// struct Audit;
///
/// #[dependency]
/// async fn audit(cleanup: Cleanup) -> Result<Audit, Problem> {
///     cleanup.after(|outcome| async move {
///         tracing::info!(status = %outcome.status(), "request done");
///         Ok::<(), std::io::Error>(())
///     });
///     Ok(Audit)
/// }
/// ```
#[derive(Clone)]
pub struct Cleanup(Arc<Mutex<Vec<Finalizer>>>);

impl fmt::Debug for Cleanup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cleanup").finish_non_exhaustive()
    }
}

impl Cleanup {
    /// Registers `f`, run with the request's [`Outcome`] after the handler.
    pub fn after<F, Fut, O>(&self, f: F)
    where
        F: FnOnce(Outcome) -> Fut + Send + 'static,
        Fut: Future<Output = O> + Send + 'static,
        O: CleanupOutcome,
    {
        let boxed: Finalizer = Box::new(move |outcome| Box::pin(f(outcome).map(O::into_result)));
        lock(&self.0).push(boxed);
    }
}

impl FromRequestParts for Cleanup {
    fn from_request_parts(cx: &RequestCx<'_>, _: &Arg) -> Result<Self, Problem> {
        Ok(Self(cx.deps().finalizers()))
    }
}

/// Locks `m`; nothing runs user code under these locks, so a poisoned one is consistent.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a cleanup returns: nothing, or a `Result` whose error is logged.
pub trait CleanupOutcome: Send + 'static {
    /// As a result.
    fn into_result(self) -> Result<(), BoxError>;
}

impl CleanupOutcome for () {
    fn into_result(self) -> Result<(), BoxError> {
        Ok(())
    }
}

impl<E: Into<BoxError> + Send + 'static> CleanupOutcome for Result<(), E> {
    fn into_result(self) -> Result<(), BoxError> {
        self.map_err(Into::into)
    }
}

/// What dependencies keep in a request's context: computed values (or their failures)
/// and cleanups. Empty and unallocated for requests that use none.
#[derive(Default)]
pub(crate) struct DepsCx(Mutex<DepsState>);

/// A computed value (type-erased), or the problem computing it gave.
type Cached = Result<Box<dyn Any + Send + Sync>, Problem>;

#[derive(Default)]
struct DepsState {
    cache: Vec<(TypeId, Cached)>,
    finalizers: Option<Arc<Mutex<Vec<Finalizer>>>>,
}

impl fmt::Debug for DepsCx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.0);
        f.debug_struct("DepsCx")
            .field("cached", &state.cache.len())
            .finish_non_exhaustive()
    }
}

impl DepsCx {
    /// A clone of the value (or the failure) computed under `key`, if any.
    fn cached<T: Clone + 'static>(&self, key: TypeId) -> Option<Result<T, Problem>> {
        let state = lock(&self.0);
        let (_, found) = state.cache.iter().find(|(k, _)| *k == key)?;
        Some(match found {
            Ok(value) => Ok(value
                .downcast_ref::<T>()
                .expect("cached under its own type")
                .clone()),
            Err(p) => Err(p.clone()),
        })
    }

    fn store<T: Clone + Send + Sync + 'static>(&self, key: TypeId, result: &Result<T, Problem>) {
        let entry = match result {
            Ok(value) => Ok(Box::new(value.clone()) as Box<dyn Any + Send + Sync>),
            Err(p) => Err(p.clone()),
        };
        lock(&self.0).cache.push((key, entry));
    }

    fn finalizers(&self) -> Arc<Mutex<Vec<Finalizer>>> {
        Arc::clone(lock(&self.0).finalizers.get_or_insert_with(Arc::default))
    }

    /// The cleanups registered, to run after the handler.
    pub(crate) fn into_cleanups(self) -> Cleanups {
        let state = self
            .0
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Cleanups(
            state
                .finalizers
                .map(|f| std::mem::take(&mut *lock(&f)))
                .unwrap_or_default(),
        )
    }
}

/// The cleanups of one request, run after its handler (see [`Cleanup`]).
#[doc(hidden)]
#[derive(Default)]
pub struct Cleanups(Vec<Finalizer>);

impl fmt::Debug for Cleanups {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Cleanups").field(&self.0.len()).finish()
    }
}

impl Cleanups {
    /// Runs them after `res`, last registered first; a failed one turns a success into a
    /// 500.
    pub(crate) async fn run(self, mut res: Response) -> Response {
        let mut outcome = Outcome {
            status: res.status(),
            panicked: res.extensions().get::<Panicked>().is_some(),
        };
        for finalizer in self.0.into_iter().rev() {
            let failed = match AssertUnwindSafe(finalizer(outcome)).catch_unwind().await {
                Ok(Ok(())) => continue,
                Ok(Err(e)) => {
                    tracing::error!(error = %e, status = %outcome.status, "a dependency's cleanup failed");
                    true
                }
                Err(_) => {
                    tracing::error!(status = %outcome.status, "a dependency's cleanup panicked");
                    true
                }
            };
            if failed && outcome.is_success() {
                res = Problem::internal().into_response();
                outcome.status = res.status();
            }
        }
        res
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pin_project_lite::pin_project! {
    /// A handler's future followed by its request's cleanups; just the handler's when there
    /// are none.
    #[doc(hidden)]
    pub struct After<F> {
        #[pin]
        fut: F,
        cleanups: Option<Cleanups>,
        running: Option<Pin<Box<dyn Future<Output = Response> + Send>>>,
    }
}

impl<F> After<F> {
    pub(crate) fn new(fut: F, cleanups: Cleanups) -> Self {
        Self {
            fut,
            cleanups: (!cleanups.is_empty()).then_some(cleanups),
            running: None,
        }
    }
}

impl<F: Future<Output = Response>> Future for After<F> {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let this = self.project();
        if let Some(running) = this.running {
            return running.as_mut().poll(cx);
        }
        let res = std::task::ready!(this.fut.poll(cx));
        match this.cleanups.take() {
            None => Poll::Ready(res),
            Some(cleanups) => {
                let mut running = Box::pin(cleanups.run(res));
                let polled = running.as_mut().poll(cx);
                *this.running = Some(running);
                polled
            }
        }
    }
}
