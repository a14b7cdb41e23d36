//! Dependencies (FastAPI's `Depends`): values computed asynchronously before the handler
//! from the request head, the state, the identity and other dependencies; once per request;
//! with cleanup after the handler that knows how it went.

use std::any::TypeId;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt as _;

use crate::body::{BoxError, RequestBody};
use crate::extract::{Arg, Finalizer, FromArg, FromRequestParts, Outcome, RequestCx, lock};
use crate::openapi::OperationDoc;
use crate::problem::Problem;
use crate::response::IntoResponse;

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
    let result = crate::exec::with_exec(cx.exec(), D::resolve(cx)).await;
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
