//! [`Background`]: work a handler queues to run after it has answered (FastAPI's
//! `BackgroundTasks`).

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt as _;

use crate::exec::{Exec, Running};
use crate::extract::{Arg, FromRequestParts, RequestCx};
use crate::problem::Problem;

/// Work queued by a handler, run once the handler has returned: its answer is never held
/// back by it. Async work is awaited on the runtime, sync work runs on the bounded blocking
/// pool; the tasks of one request run one after another, in the order they were added. A
/// failure (an `Err`, a panic, a full pool) is logged, never lost silently. On shutdown the
/// server waits for queued work within its shutdown timeout and logs what it had to drop.
///
/// ```
/// use ninja_core::prelude::*;
/// use ninja_core::Background;
///
/// /// Signs a user up; the welcome mail goes out after the answer.
/// #[post("/signup")]
/// async fn signup(email: String, tasks: Background) -> &'static str {
///     tasks.spawn(async move {
///         // send_mail(&email).await?
///         let _ = email;
///         Ok::<(), std::io::Error>(())
///     });
///     tasks.spawn_blocking(|| { /* write an audit line with a sync driver */ });
///     "welcome"
/// }
/// ```
#[derive(Clone)]
pub struct Background(Arc<Batch>);

impl fmt::Debug for Background {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let queued = self.0.tasks.lock().map_or(0, |t| t.len());
        f.debug_struct("Background")
            .field("queued", &queued)
            .finish()
    }
}

type BoxTask = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The tasks of one request, started when the last handle is dropped.
struct Batch {
    tasks: Mutex<Vec<BoxTask>>,
    exec: Exec,
    runtime: tokio::runtime::Handle,
}

/// What a task may return: nothing, or a `Result` whose error is logged.
pub trait TaskOutcome: Send + 'static {
    /// Logs a failure.
    fn log(self);
}

impl TaskOutcome for () {
    fn log(self) {}
}

impl<E: fmt::Display + Send + 'static> TaskOutcome for Result<(), E> {
    fn log(self) {
        if let Err(e) = self {
            tracing::error!(error = %e, "a background task failed");
        }
    }
}

impl Background {
    fn push(&self, task: BoxTask) {
        match self.0.tasks.lock() {
            Ok(mut tasks) => tasks.push(task),
            Err(_) => tracing::error!("a background task was dropped: its queue is poisoned"),
        }
    }

    /// Queues async work, awaited on the runtime after the handler has returned.
    pub fn spawn<F>(&self, work: F)
    where
        F: Future + Send + 'static,
        F::Output: TaskOutcome,
    {
        self.push(Box::pin(async move {
            match AssertUnwindSafe(work).catch_unwind().await {
                Ok(outcome) => outcome.log(),
                Err(_) => tracing::error!("a background task panicked"),
            }
        }));
    }

    /// Queues sync work, run on the blocking pool after the handler has returned.
    pub fn spawn_blocking<F, O>(&self, work: F)
    where
        F: FnOnce() -> O + Send + 'static,
        O: TaskOutcome,
    {
        let exec = self.0.exec.clone();
        self.push(Box::pin(async move {
            match exec.blocking(work).await {
                Ok(outcome) => outcome.log(),
                Err(p) => tracing::error!(
                    detail = p.detail().unwrap_or_default(),
                    "a blocking background task did not run to its end"
                ),
            }
        }));
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        let tasks = match self.tasks.get_mut() {
            Ok(tasks) => std::mem::take(tasks),
            Err(_) => return,
        };
        if tasks.is_empty() {
            return;
        }
        let running = Running::start(self.exec.background());
        self.runtime.spawn(async move {
            let _running = running;
            for task in tasks {
                task.await;
            }
        });
    }
}

impl FromRequestParts for Background {
    fn from_request_parts(cx: &RequestCx<'_>, _: &Arg) -> Result<Self, Problem> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Problem::internal())?;
        Ok(Self(Arc::new(Batch {
            tasks: Mutex::new(Vec::new()),
            exec: cx.exec().clone(),
            runtime,
        })))
    }
}
