//! One connection: HTTP/1.1 or HTTP/2 told apart by a peek, served by hyper under a
//! watchdog that cuts idle and slow clients, counted against `max_connections`, drained on
//! shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use hyper::body::Incoming;
use std::sync::{Arc, Mutex};

use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tokio::sync::watch;

/// The first bytes of every HTTP/2 connection with prior knowledge (RFC 9113 §3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Whether the client speaks HTTP/2, judged by peeking (nothing is consumed): hyper's own
/// HTTP/1 or HTTP/2 server then reads the stream from its first byte. hyper-util's auto
/// builder would instead read into a buffer of its own and replay it, which measured 8 KiB
/// more per connection, and keeps the larger HTTP/2 state inline in every connection task.
pub(super) async fn speaks_h2(stream: &TcpStream) -> io::Result<bool> {
    let mut buf = [0u8; H2_PREFACE.len()];
    loop {
        let n = stream.peek(&mut buf).await?;
        if n == 0 || buf[..n] != H2_PREFACE[..n] {
            return Ok(false);
        }
        if n == H2_PREFACE.len() {
            return Ok(true);
        }
        // Part of the preface so far (rare): let the rest arrive.
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// What a connection's watchdog watches: requests begun and answered, writes made.
///
/// `begun` and `writes` change only in the connection's own task (hyper calls the service
/// there, over HTTP/2 too, and does every write there; an upgraded socket writes in its
/// handler's task once the connection's is done), so they take a load and a store: no
/// locked instruction, of which a request has enough (`Arc` clones, `Bytes` counts).
/// `answered` can change in several tasks at once (see [`bump`]).
#[derive(Default)]
pub(super) struct Activity {
    pub(super) begun: AtomicU32,
    pub(super) answered: AtomicU32,
    pub(super) writes: AtomicU32,
}

/// An atomic add, not a load and a store: over HTTP/2, hyper runs each stream's request
/// future as a task of its own, so several may finish at once on different threads.
pub(super) fn bump(n: &AtomicU32) {
    n.fetch_add(1, Ordering::Relaxed);
}

/// Adds one to a counter only one task changes (see [`Activity`]).
pub(super) fn bump_own(n: &AtomicU32) {
    n.store(n.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
}

impl Activity {
    /// A mark to compare with the next one; `None` while a request is being answered.
    fn idle_mark(&self) -> Option<(u32, u32)> {
        let begun = self.begun.load(Ordering::Relaxed);
        (begun == self.answered.load(Ordering::Relaxed))
            .then(|| (begun, self.writes.load(Ordering::Relaxed)))
    }
}

/// A hyper connection that can be asked to finish its requests and close: the HTTP/1
/// connection with upgrades (which hyper-util's `GracefulShutdown` does not cover) and
/// the HTTP/2 one.
trait Graceful: Future<Output = hyper::Result<()>> {
    fn graceful_shutdown(self: Pin<&mut Self>);
}

impl<I, S> Graceful for http1::UpgradeableConnection<I, S>
where
    S: hyper::service::HttpService<Incoming, ResBody = crate::body::Body>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    fn graceful_shutdown(self: Pin<&mut Self>) {
        http1::UpgradeableConnection::graceful_shutdown(self);
    }
}

impl<I, S> Graceful for http2::Connection<I, S, TokioExecutor>
where
    S: hyper::service::HttpService<Incoming, ResBody = crate::body::Body>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::Future: Send + 'static,
    I: hyper::rt::Read + hyper::rt::Write + Unpin + 'static,
{
    fn graceful_shutdown(self: Pin<&mut Self>) {
        http2::Connection::graceful_shutdown(self);
    }
}

/// Runs a connection under its watchdog and the server's shutdown signal.
///
/// The watchdog is the header-read and idle timeout: a connection that for `period` began
/// no request, had none being answered and wrote nothing (idle in keep-alive, or trickling
/// a head that never ends) is closed, between one and 1.25 periods after it went quiet (it
/// is looked at four times per period). `None` when it was.
///
/// hyper's own `header_read_timeout` works per request: it allocates a timer, registers it
/// in tokio's wheel while waiting for a head, then removes and frees it. That was 6 % of the
/// instructions of a small request and ~9 % of hello's req/s in interleaved A/B rounds; this
/// is two counter updates and an `Arc` clone per request, one per write, and four timer
/// resets per period.
///
/// The timer and the signal wake the task through an [`Alarm`] of their own, so a wake-up
/// by the socket polls the connection alone: as branches of a `select!`, both were polled
/// on every wake-up, ~350 instructions per request (callgrind, `/items/{id}`).
///
/// On shutdown the connection finishes the requests it has begun and closes.
async fn watch_connection<C: Graceful>(
    mut conn: Pin<&mut C>,
    activity: &Activity,
    period: Duration,
    mut shutdown: watch::Receiver<()>,
) -> Option<hyper::Result<()>> {
    // `conn` comes pinned by the caller: moved in here, it would take room twice in the
    // connection's task (once as the argument, once pinned), for the connection's life.
    let step = period / 4;
    let mut tick = std::pin::pin!(tokio::time::sleep(step));
    // A dropped sender (the server is gone) counts as a signal too.
    let mut signal = std::pin::pin!(shutdown.changed());
    let mut draining = false;
    let mut last = activity.idle_mark();
    let mut quiet_since = tokio::time::Instant::now();
    let alarm = Arc::new(Alarm::default());
    let alarm_waker = Waker::from(Arc::clone(&alarm));
    let mut known = None;
    std::future::poll_fn(|cx| {
        loop {
            if let Poll::Ready(out) = conn.as_mut().poll(cx) {
                return Poll::Ready(Some(out));
            }
            if !alarm.rang(cx.waker(), &mut known) {
                return Poll::Pending;
            }
            let mut alarm_cx = Context::from_waker(&alarm_waker);
            while tick.as_mut().poll(&mut alarm_cx).is_ready() {
                let now = tokio::time::Instant::now();
                let mark = activity.idle_mark();
                if mark.is_none() || mark != last {
                    // Active since the last look: quiet from now on, at the earliest.
                    last = mark;
                    quiet_since = now;
                } else if now.duration_since(quiet_since) >= period {
                    return Poll::Ready(None);
                }
                tick.as_mut().reset(now + step);
            }
            if draining || signal.as_mut().poll(&mut alarm_cx).is_pending() {
                return Poll::Pending;
            }
            draining = true;
            conn.as_mut().graceful_shutdown();
            // Polled again: the connection now finishes what it has begun and closes.
        }
    })
    .await
}

/// Wakes a connection's task for its timer or shutdown signal, and remembers that it did.
///
/// The task's waker is kept, not taken by a ring (an `AtomicWaker` gives its waker up to the
/// first wake, and a ring racing the poll that re-registers could leave none, after which
/// the connection would never be cut when idle or drained on shutdown). Replaced under the
/// lock only when the task's waker changes, which is rare; rings are four per period.
struct Alarm {
    rang: AtomicBool,
    task: Mutex<Option<Waker>>,
}

impl Default for Alarm {
    /// Rung: the first poll registers the timer and the signal.
    fn default() -> Self {
        Self {
            rang: AtomicBool::new(true),
            task: Mutex::new(None),
        }
    }
}

impl Alarm {
    /// Whether the alarm rang since the last call (and resets it), making sure it wakes
    /// `task`. `known` is the waker kept last: most calls are one comparison and one load.
    fn rang(&self, task: &Waker, known: &mut Option<Waker>) -> bool {
        if !known.as_ref().is_some_and(|w| w.will_wake(task)) {
            // Kept before the flag is read: a ring after the read wakes `task`.
            *self.kept() = Some(task.clone());
            *known = Some(task.clone());
        }
        self.rang.load(Ordering::Acquire) && self.rang.swap(false, Ordering::AcqRel)
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Option<Waker>> {
        // Nothing that can panic runs under the lock; a poisoned one is still sound.
        self.task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Wake for Alarm {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Set before the lock is taken: a poll that read the flag unset kept its waker
        // under the lock first, so this wakes that waker.
        self.rang.store(true, Ordering::Release);
        if let Some(task) = self.kept().as_ref() {
            task.wake_by_ref();
        }
    }
}

/// Bumps `answered` when dropped: see the service in [`run`](super::run).
pub(super) struct Answered(pub(super) Arc<Activity>);

impl Drop for Answered {
    fn drop(&mut self) {
        bump(&self.0.answered);
    }
}

/// A connection's socket (TCP, or TLS over TCP), counting its writes for the watchdog (a
/// slow download is not idle). It holds the connection's place under `max_connections`:
/// an upgraded connection (a WebSocket) keeps the socket, so it keeps counting too.
struct Watched<S> {
    stream: S,
    activity: Arc<Activity>,
    _live: LiveConnection,
}

impl<S> Watched<S> {
    fn count(&self, res: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if matches!(res, Poll::Ready(Ok(n)) if n > 0) {
            bump_own(&self.activity.writes);
        }
        res
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let res = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.count(res)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let res = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.count(res)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// One connection being served, counted against `max_connections` until it ends.
pub(super) struct LiveConnection(pub(super) Arc<AtomicUsize>);

impl Drop for LiveConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One accepted connection and what serving it takes: counted against `max_connections`
/// until it ends, watched for idleness, drained on shutdown.
pub(super) struct Conn<F> {
    pub(super) h1: Arc<http1::Builder>,
    pub(super) h2: Arc<http2::Builder<TokioExecutor>>,
    pub(super) shutdown: watch::Receiver<()>,
    pub(super) activity: Arc<Activity>,
    pub(super) period: Duration,
    pub(super) service: F,
    #[cfg(feature = "tls")]
    pub(super) tls: Option<crate::tls::Tls>,
    pub(super) _live: LiveConnection,
}

impl<F> Conn<F>
where
    F: hyper::service::Service<
            http::Request<Incoming>,
            Response = crate::Response,
            Error = Infallible,
        > + Send
        + 'static,
    F::Future: Send + 'static,
{
    /// Serves `stream`: over TLS when configured (the protocol chosen by ALPN), else
    /// HTTP/2 with prior knowledge or HTTP/1.1, told apart by a peek. A client that sends
    /// nothing (or no handshake) is cut off like one that trickles its headers.
    ///
    /// A plain `fn` returning an `async` block (here and in `drive`): an `async fn` would
    /// keep its arguments twice in the connection's future, for the connection's life.
    #[allow(clippy::manual_async_fn)]
    pub(super) fn serve(self, stream: TcpStream) -> impl Future<Output = ()> + Send {
        async move {
            #[cfg(feature = "tls")]
            if let Some(crate::tls::Tls(acceptor)) = &self.tls {
                let accepted = tokio::time::timeout(self.period, acceptor.accept(stream)).await;
                let Ok(Ok(stream)) = accepted else {
                    tracing::debug!("TLS handshake failed or timed out");
                    return;
                };
                let is_h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                return self.drive(stream, is_h2).await;
            }
            let Ok(Ok(is_h2)) = tokio::time::timeout(self.period, speaks_h2(&stream)).await else {
                return;
            };
            self.drive(stream, is_h2).await;
        }
    }

    /// Runs hyper's HTTP/2 or HTTP/1.1 connection on `stream` under the idle watchdog.
    #[allow(clippy::manual_async_fn)]
    fn drive<S>(self, stream: S, is_h2: bool) -> impl Future<Output = ()> + Send
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        async move {
            let io = TokioIo::new(Watched {
                stream,
                activity: Arc::clone(&self.activity),
                _live: self._live,
            });
            let watched = if is_h2 {
                // Boxed: HTTP/2's connection state is larger, and rarer here.
                let mut conn = Box::pin(self.h2.serve_connection(io, self.service));
                watch_connection(conn.as_mut(), &self.activity, self.period, self.shutdown).await
            } else {
                // With upgrades, for WebSockets: hyper hands the socket over only to a
                // request that asked for one, so others pay nothing for it.
                let conn =
                    std::pin::pin!(self.h1.serve_connection(io, self.service).with_upgrades());
                watch_connection(conn, &self.activity, self.period, self.shutdown).await
            };
            let Some(result) = watched else {
                tracing::debug!("closed a connection idle for the header read timeout");
                return;
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A waker counting its wakes.
    #[derive(Default)]
    struct Count(AtomicU32);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Every ring wakes the task's current waker, however rings and polls alternate: the
    /// waker is kept, not used up by the first ring (with an `AtomicWaker`, a ring racing
    /// a poll could leave none, and the connection would never be looked at again).
    #[test]
    fn every_ring_wakes_the_task() {
        let alarm = Arc::new(Alarm::default());
        let ring = Waker::from(Arc::clone(&alarm));
        let first = Arc::new(Count::default());
        let task = Waker::from(Arc::clone(&first));
        let mut known = None;
        assert!(alarm.rang(&task, &mut known), "rung at first");
        assert!(!alarm.rang(&task, &mut known));
        for n in 1..=3 {
            ring.wake_by_ref();
            ring.wake_by_ref();
            assert_eq!(first.0.load(Ordering::SeqCst), 2 * n, "each ring wakes");
            assert!(alarm.rang(&task, &mut known));
            assert!(!alarm.rang(&task, &mut known), "reset once seen");
        }
        // The task's waker changed: the new one is woken from now on.
        let second = Arc::new(Count::default());
        let moved = Waker::from(Arc::clone(&second));
        assert!(!alarm.rang(&moved, &mut known));
        ring.wake_by_ref();
        assert_eq!(second.0.load(Ordering::SeqCst), 1);
        assert_eq!(first.0.load(Ordering::SeqCst), 6);
    }
}
