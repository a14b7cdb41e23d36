//! The Redis store: one atomic Lua script per check, so budgets hold across instances.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http::StatusCode;
use http::header::RETRY_AFTER;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{Count, Decision, Rate};
use crate::problem::Problem;

/// GCRA over every rate of one budget, all or nothing: the request is counted by all of its
/// rates or, when one refuses, by none. Times are Redis's own (`TIME`), in microseconds, so
/// instances with skewed clocks agree. Per rate, KEYS[i] holds its theoretical arrival time
/// and ARGV has its quota and window. Returns `allowed, wait, (remaining, reset)...`.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tats = {}
local wait = 0
for i = 1, #KEYS do
  local quota = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i])) or now
  if tat < now then tat = now end
  local w = tat + window / quota - window - now
  if w > wait then wait = w end
  tats[i] = tat
end
local allowed = 1
if wait > 0 then allowed = 0 end
local out = {allowed, math.ceil(wait)}
for i = 1, #KEYS do
  local quota = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i])
  local interval = window / quota
  local tat = tats[i]
  if allowed == 1 then
    tat = tat + interval
    redis.call('SET', KEYS[i], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
  end
  out[#out + 1] = math.floor((now + window - tat) / interval)
  out[#out + 1] = math.ceil(tat - now)
end
return out
";

/// Counts in Redis (feature `redis`), so that every instance sharing the server and the key
/// prefix shares each budget.
///
/// ```no_run
/// # use ninja_core::prelude::*;
/// use ninja_core::throttle::{RedisStore, Throttle};
///
/// let api = NinjaApi::new("Shop", "1.0")
///     .throttle_store(RedisStore::new("redis://127.0.0.1:6379/").fail_open())
///     .throttle(Throttle::per_ip("100/m"));
/// ```
///
/// It connects on first use and reconnects by itself. When Redis cannot be reached within
/// the [timeout](Self::timeout) (default 250 ms), the request is let through uncounted
/// ([`fail_open`](Self::fail_open), the default) or refused with a 503
/// ([`fail_closed`](Self::fail_closed)); either way a warning is logged, at most once every
/// 10 s.
pub struct RedisStore {
    client: Result<redis::Client, String>,
    conn: OnceLock<ConnectionManager>,
    script: redis::Script,
    prefix: String,
    timeout: Duration,
    fail_closed: bool,
    started: Instant,
    /// Seconds after `started` of the last warning, plus one (0: never warned).
    warned: AtomicU64,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("fail_closed", &self.fail_closed)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store on the Redis at `url` (`redis://host:port/db`); a URL that does not parse
    /// is a build error.
    #[must_use]
    pub fn new(url: &str) -> Self {
        Self {
            client: redis::Client::open(url)
                .map_err(|e| format!("throttle store: Redis URL `{url}`: {e}")),
            conn: OnceLock::new(),
            script: redis::Script::new(GCRA),
            prefix: "ninja:throttle:".to_owned(),
            timeout: Duration::from_millis(250),
            fail_closed: false,
            started: Instant::now(),
            warned: AtomicU64::new(0),
        }
    }

    /// The prefix of every key (default `ninja:throttle:`): instances with the same prefix
    /// share budgets.
    #[must_use]
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long a check may take before Redis counts as down (default 250 ms).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// When Redis is down, let requests through uncounted (the default): the API stays up
    /// without its limits.
    #[must_use]
    pub fn fail_open(mut self) -> Self {
        self.fail_closed = false;
        self
    }

    /// When Redis is down, refuse throttled requests with a 503: no request goes uncounted.
    #[must_use]
    pub fn fail_closed(mut self) -> Self {
        self.fail_closed = true;
        self
    }

    pub(crate) fn fails_closed(&self) -> bool {
        self.fail_closed
    }

    pub(crate) fn error(&self) -> Option<&str> {
        self.client.as_ref().err().map(String::as_str)
    }

    fn connection(&self) -> redis::RedisResult<ConnectionManager> {
        if let Some(c) = self.conn.get() {
            return Ok(c.clone());
        }
        let client = self.client.as_ref().map_err(|e| {
            redis::RedisError::from((redis::ErrorKind::Client, "bad URL", e.clone()))
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let made = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        Ok(self.conn.get_or_init(|| made).clone())
    }

    /// Counts one request of `key` against `rates` of the budget `name`. `Err(None)`: Redis
    /// is down and the store fails open; `Err(Some(p))`: the 503 to answer.
    pub(crate) async fn check(
        &self,
        name: &str,
        rates: &[Rate],
        key: &str,
    ) -> Result<Decision, Option<Problem>> {
        match tokio::time::timeout(self.timeout, self.eval(name, rates, key)).await {
            Ok(Ok(d)) => Ok(d),
            Ok(Err(e)) => Err(self.down(&e.to_string())),
            Err(_) => Err(self.down("no answer within the timeout")),
        }
    }

    async fn eval(&self, name: &str, rates: &[Rate], key: &str) -> redis::RedisResult<Decision> {
        let mut conn = self.connection()?;
        let mut call = self.script.prepare_invoke();
        for r in rates {
            // One hash tag per budget and client: a Redis Cluster keeps them on one node,
            // as a script touching several keys needs.
            call.key(format!("{}{{{name}:{key}}}:{r}", self.prefix))
                .arg(r.quota())
                .arg(u64::try_from(r.window().as_micros()).unwrap_or(u64::MAX));
        }
        let out: Vec<i64> = call.invoke_async(&mut conn).await?;
        let micros = |v: i64| Duration::from_micros(u64::try_from(v).unwrap_or(0));
        let counts = out
            .get(2..)
            .unwrap_or_default()
            .chunks_exact(2)
            .map(|c| Count {
                remaining: u64::try_from(c[0]).unwrap_or(0),
                reset: micros(c[1]),
            })
            .collect();
        Ok(match out.first() {
            Some(1) => Decision::Allowed(counts),
            _ => Decision::Refused(micros(out.get(1).copied().unwrap_or(0)), counts),
        })
    }

    fn down(&self, why: &str) -> Option<Problem> {
        let now = self.started.elapsed().as_secs() + 1;
        let last = self.warned.load(Ordering::Relaxed);
        if (last == 0 || now.saturating_sub(last) >= 10)
            && self
                .warned
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let outcome = if self.fail_closed {
                "refusing throttled requests (fail closed)"
            } else {
                "letting throttled requests through uncounted (fail open)"
            };
            tracing::warn!(error = why, "throttle store (Redis) unavailable: {outcome}");
        }
        self.fail_closed.then(|| {
            Problem::new(StatusCode::SERVICE_UNAVAILABLE)
                .with_detail("the rate-limit store is unavailable; try again shortly")
                .with_header(RETRY_AFTER, http::HeaderValue::from_static("1"))
        })
    }
}
