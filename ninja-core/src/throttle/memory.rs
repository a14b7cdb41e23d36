//! The in-process store: one `governor` keyed GCRA limiter per rate of a budget.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::clock::{Clock, MonotonicClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use super::{Count, Decision, Rate};

type Limiter =
    RateLimiter<String, DashMapStateStore<String>, MonotonicClock, StateInformationMiddleware>;

/// How often keys whose budget is full again are forgotten, so that a stream of new client
/// addresses does not grow the map for ever...
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// ...or sooner, once a limiter holds this many keys.
const SWEEP_ABOVE: usize = 100_000;

/// The limiters of one budget, one per rate.
pub(crate) struct Limiters {
    limiters: Vec<Limiter>,
    started: Instant,
    /// Seconds after `started` of the last sweep.
    swept: AtomicU64,
    /// Seconds after `started` of the last look at the limiters' sizes: at most one a
    /// second (counting a limiter's keys locks each of its shards).
    sized: AtomicU64,
}

impl Limiters {
    pub(crate) fn new(rates: &[Rate]) -> Self {
        let limiters = rates
            .iter()
            .map(|r| {
                let burst = NonZeroU32::new(r.quota()).expect("a rate's quota is not zero");
                let quota = Quota::with_period(r.interval())
                    .expect("a rate's interval is not zero")
                    .allow_burst(burst);
                RateLimiter::dashmap_with_clock(quota, MonotonicClock)
                    .with_middleware::<StateInformationMiddleware>()
            })
            .collect();
        Self {
            limiters,
            started: Instant::now(),
            swept: AtomicU64::new(0),
            sized: AtomicU64::new(0),
        }
    }

    /// Counts one request of `key` against each rate in turn, stopping at the first that
    /// refuses it (the rates before it have counted it).
    pub(crate) fn check(self: &Arc<Self>, rates: &[Rate], key: String) -> Decision {
        self.sweep_now_and_then();
        let mut counts = Vec::with_capacity(rates.len());
        for (rate, limiter) in rates.iter().zip(&self.limiters) {
            match limiter.check_key(&key) {
                Ok(state) => {
                    let remaining = state.remaining_burst_capacity();
                    counts.push(Count {
                        remaining: u64::from(remaining),
                        reset: rate.interval() * (rate.quota() - remaining),
                    });
                }
                Err(not_until) => {
                    let wait = not_until.wait_time_from(limiter.clock().now());
                    counts.push(Count {
                        remaining: 0,
                        reset: rate.window(),
                    });
                    return Decision::Refused(wait, counts);
                }
            }
        }
        Decision::Allowed(counts)
    }

    /// Whether a limiter holds more than [`SWEEP_ABOVE`] keys, looked at by one request a
    /// second at most (the others get `false`).
    fn grew(&self, now: u64) -> bool {
        let sized = self.sized.load(Ordering::Relaxed);
        now > sized
            && self
                .sized
                .compare_exchange(sized, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            && self.limiters.iter().any(|l| l.len() > SWEEP_ABOVE)
    }

    /// Forgets full buckets every minute, or when a limiter grew past [`SWEEP_ABOVE`]
    /// keys, on the blocking pool: a sweep walks every key, and the reactor must not wait
    /// for it.
    fn sweep_now_and_then(self: &Arc<Self>) {
        let now = self.started.elapsed().as_secs();
        let last = self.swept.load(Ordering::Relaxed);
        let due = now.saturating_sub(last) >= SWEEP_EVERY.as_secs() || self.grew(now);
        if !due
            || self
                .swept
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let this = Arc::clone(self);
        let sweep = move || {
            for l in &this.limiters {
                l.retain_recent();
                l.shrink_to_fit();
            }
            let keys: usize = this.limiters.iter().map(|l| l.len()).sum();
            if keys > SWEEP_ABOVE {
                tracing::warn!(keys, "an in-memory throttle holds many active clients");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(sweep)),
            Err(_) => sweep(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_the_quota_then_refusals_with_the_wait() {
        let rates: Vec<Rate> = vec!["3/m".parse().unwrap(), "100/h".parse().unwrap()];
        let l = Arc::new(Limiters::new(&rates));
        for left in [2, 1, 0] {
            let Decision::Allowed(c) = l.check(&rates, "a".into()) else {
                panic!("refused early")
            };
            assert_eq!(c[0].remaining, left);
            assert_eq!(c[1].remaining, 97 + left);
        }
        let Decision::Refused(wait, c) = l.check(&rates, "a".into()) else {
            panic!("a fourth request in a minute was let through")
        };
        assert!(
            wait > Duration::from_secs(15) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert_eq!(
            c.len(),
            1,
            "the hourly rate is not consulted after a refusal"
        );
        // Another key has its own budget.
        assert!(matches!(l.check(&rates, "b".into()), Decision::Allowed(_)));
    }
}
