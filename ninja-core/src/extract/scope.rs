//! What a request keeps while it is extracted and handled, for its dependencies: the values
//! computed (each once per request) and the cleanups to run after the handler with the
//! request's [`Outcome`]. Part of the request context; [`Depends`](crate::Depends) and
//! [`Cleanup`](crate::Cleanup) fill it.

use std::any::{Any, TypeId};
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt as _;
use http::StatusCode;

use crate::body::BoxError;
use crate::exec::Panicked;
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};

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

/// A registered cleanup: run once with the request's outcome.
pub(crate) type Finalizer =
    Box<dyn FnOnce(Outcome) -> Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>> + Send>;

/// Locks `m`; nothing runs user code under these locks, so a poisoned one is consistent.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
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
    pub(crate) fn cached<T: Clone + 'static>(&self, key: TypeId) -> Option<Result<T, Problem>> {
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

    pub(crate) fn store<T: Clone + Send + Sync + 'static>(
        &self,
        key: TypeId,
        result: &Result<T, Problem>,
    ) {
        let entry = match result {
            Ok(value) => Ok(Box::new(value.clone()) as Box<dyn Any + Send + Sync>),
            Err(p) => Err(p.clone()),
        };
        lock(&self.0).cache.push((key, entry));
    }

    pub(crate) fn finalizers(&self) -> Arc<Mutex<Vec<Finalizer>>> {
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

/// The cleanups of one request, run after its handler (see [`Cleanup`](crate::Cleanup)).
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

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
