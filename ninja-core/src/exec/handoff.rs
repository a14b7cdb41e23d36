//! One call handed to the pool and its outcome handed back, in one allocation.
//!
//! The call (the closure and its slot of the pool's bound) waits in the pool's queue as
//! part of the same `Arc` its outcome comes back in and the awaiting task's waker is kept
//! in. A boxed closure and a `oneshot` channel took two allocations (the box made on the
//! reactor, freed on a pool thread) and the channel's own bookkeeping.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::pool::Run;
use super::{Ran, Slot};

/// A call on its way through the pool.
pub(super) struct Handoff<F, T>(Mutex<Stage<F, T>>);

enum Stage<F, T> {
    /// In the pool's queue; the task waiting for it, once it has looked.
    Queued(F, Slot, Option<Waker>),
    Running(Option<Waker>),
    /// Run; its outcome until the task takes it.
    Done(Option<Ran<T>>),
    /// Dropped by the pool unrun (the pool went away with work queued).
    Abandoned,
}

impl<F, T> Handoff<F, T> {
    pub(super) fn new(f: F, slot: Slot) -> Arc<Self> {
        Arc::new(Self(Mutex::new(Stage::Queued(f, slot, None))))
    }

    fn lock(&self) -> MutexGuard<'_, Stage<F, T>> {
        // Nothing runs under this lock but moves (what a stage held is dropped after it is
        // released): it cannot be poisoned by a handler.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Puts `stage` in place and wakes the waiting task, if one is waiting.
    fn finish(&self, stage: Stage<F, T>) {
        let old = std::mem::replace(&mut *self.lock(), stage);
        Self::release(old);
    }

    /// Drops what the stage replaced held (an unrun closure and its slot) and wakes the
    /// task it kept: both after the lock is released, so no user code runs under it.
    fn release(old: Stage<F, T>) {
        let waker = match old {
            Stage::Queued(f, slot, waker) => {
                drop((f, slot));
                waker
            }
            Stage::Running(waker) => waker,
            Stage::Done(_) | Stage::Abandoned => None,
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<F, T> Run for Handoff<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    fn run(&self) {
        let (f, slot) = {
            let mut stage = self.lock();
            match std::mem::replace(&mut *stage, Stage::Running(None)) {
                Stage::Queued(f, slot, waker) => {
                    *stage = Stage::Running(waker);
                    (f, slot)
                }
                other => {
                    *stage = other;
                    return;
                }
            }
        };
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        // The slot is free before the answer goes: a client's next request must find it.
        drop(slot);
        self.finish(Stage::Done(Some(ran)));
    }

    fn abandon(&self) {
        let mut stage = self.lock();
        // Looked at and replaced under one lock: a call already running is left alone.
        if matches!(*stage, Stage::Queued(..)) {
            let old = std::mem::replace(&mut *stage, Stage::Abandoned);
            drop(stage);
            Self::release(old);
        }
    }
}

/// The outcome of a call, as the awaiting task sees it: `None` when the pool dropped the
/// call unrun.
pub(super) struct Outcome<F, T>(pub(super) Arc<Handoff<F, T>>);

impl<F, T> Future for Outcome<F, T> {
    type Output = Option<Ran<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Ran<T>>> {
        let mut stage = self.0.lock();
        match &mut *stage {
            Stage::Queued(_, _, waker) | Stage::Running(waker) => {
                match waker {
                    Some(kept) if kept.will_wake(cx.waker()) => {}
                    _ => *waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
            Stage::Done(ran) => Poll::Ready(Some(ran.take().expect("polled after it was ready"))),
            Stage::Abandoned => Poll::Ready(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    /// A task that counts its wake-ups.
    struct Task {
        woken: Arc<Count>,
        waker: Waker,
    }

    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl Task {
        fn new() -> Self {
            let woken = Arc::new(Count::default());
            let waker = Waker::from(Arc::clone(&woken));
            Self { woken, waker }
        }

        fn poll<F, T>(&self, outcome: &mut Outcome<F, T>) -> Poll<Option<Ran<T>>> {
            Pin::new(outcome).poll(&mut Context::from_waker(&self.waker))
        }

        fn wakes(&self) -> usize {
            self.woken.0.load(Ordering::SeqCst)
        }
    }

    /// A call queued with its slot taken, and its outcome, which `task` has looked at once.
    fn queued<T: Send + 'static>(
        task: &Task,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> (Arc<dyn Run>, Outcome<impl Sized, T>, Arc<AtomicUsize>) {
        let bound = Arc::new(AtomicUsize::new(1));
        let handoff = Handoff::new(f, Slot(Arc::clone(&bound)));
        let mut outcome = Outcome(Arc::clone(&handoff));
        assert!(task.poll(&mut outcome).is_pending(), "nothing ran yet");
        (handoff, outcome, bound)
    }

    /// The task waits, the call runs (its slot freed), the task is woken once and takes
    /// the value; a panic comes back as the panic's payload.
    #[test]
    fn a_call_comes_back_once_with_its_outcome() {
        let task = Task::new();
        let (handoff, mut outcome, bound) = queued(&task, || 7);
        handoff.run();
        assert_eq!(bound.load(Ordering::SeqCst), 0, "slot given back");
        assert_eq!(task.wakes(), 1);
        assert!(matches!(task.poll(&mut outcome), Poll::Ready(Some(Ok(7)))));
        // Run twice (it never is): nothing runs again, nobody is woken again.
        handoff.run();
        assert_eq!(task.wakes(), 1);

        let (handoff, mut outcome, _) = queued(&task, || -> u8 { panic!("boom") });
        handoff.run();
        assert!(matches!(task.poll(&mut outcome), Poll::Ready(Some(Err(_)))));
    }

    /// Dropped unrun by the pool: the task is woken and told, and the slot is given back.
    #[test]
    fn an_abandoned_call_is_told_and_frees_its_slot() {
        let task = Task::new();
        let (handoff, mut outcome, bound) = queued(&task, || 1);
        handoff.abandon();
        assert_eq!(task.wakes(), 1);
        assert_eq!(bound.load(Ordering::SeqCst), 0, "slot given back");
        assert!(matches!(task.poll(&mut outcome), Poll::Ready(None)));
        // A call that ran is not abandoned after the fact.
        let (handoff, mut outcome, _) = queued(&task, || 2);
        handoff.run();
        handoff.abandon();
        assert!(matches!(task.poll(&mut outcome), Poll::Ready(Some(Ok(2)))));
    }
}
