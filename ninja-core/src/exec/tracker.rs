//! Background batches and WebSockets still running, counted so a shutdown can wait on them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Background batches still running, for a shutdown to wait on.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    running: AtomicUsize,
    idle: tokio::sync::Notify,
}

/// One running batch, counted until dropped (done, or cancelled with the runtime).
pub(crate) struct Running(Arc<Tracker>);

impl Running {
    pub(crate) fn start(tracker: &Arc<Tracker>) -> Self {
        tracker.running.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(tracker))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Tracker {
    /// Waits until no batch runs, for at most `grace`; logs how many were still running.
    pub(crate) async fn drain(&self, grace: Duration) {
        let wait = async {
            loop {
                let idle = self.idle.notified();
                if self.running.load(Ordering::Acquire) == 0 {
                    return;
                }
                idle.await;
            }
        };
        if tokio::time::timeout(grace, wait).await.is_err() {
            tracing::warn!(
                batches = self.running.load(Ordering::Acquire),
                "shutdown timeout reached with background tasks still running; they are dropped"
            );
        }
    }
}
