//! The accept loop: one task per connection, HTTP/1.1 (keep-alive) or HTTP/2 with prior
//! knowledge (h2c) told apart by a peek, graceful shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::FutureExt as _;
use hyper::body::Incoming;
use std::sync::Arc;

use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

use crate::app::App;
use crate::body::RequestBody;
use crate::throttle::ClientAddr;

/// Binds with a listen backlog deep enough for a burst of thousands of connections (the
/// kernel caps it at `net.core.somaxconn`), and with `SO_REUSEPORT` when asked.
pub(crate) fn bind(addr: SocketAddr, backlog: u32, reuse_port: bool) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    #[cfg(unix)]
    socket.set_reuseport(reuse_port)?;
    #[cfg(not(unix))]
    if reuse_port {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "SO_REUSEPORT is Unix-only",
        ));
    }
    socket.bind(addr)?;
    socket.listen(backlog)
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received; draining in-flight requests");
}

/// The first bytes of every HTTP/2 connection with prior knowledge (RFC 9113 §3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Whether the client speaks HTTP/2, judged by peeking (nothing is consumed): hyper's own
/// HTTP/1 or HTTP/2 server then reads the stream from its first byte. hyper-util's auto
/// builder would instead read into a buffer of its own and replay it, which measured 8 KiB
/// more per connection, and keeps the larger HTTP/2 state inline in every connection task.
async fn speaks_h2(stream: &TcpStream) -> io::Result<bool> {
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
#[derive(Default)]
struct Activity {
    begun: AtomicU32,
    answered: AtomicU32,
    writes: AtomicU32,
}

/// An atomic add, not a load and a store: over HTTP/2, hyper runs each stream's request
/// future as a task of its own, so several may finish at once on different threads.
fn bump(n: &AtomicU32) {
    n.fetch_add(1, Ordering::Relaxed);
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
    let mut last = activity.idle_mark();
    let mut quiet_since = tokio::time::Instant::now();
    let mut draining = false;
    loop {
        tokio::select! {
            // The connection first, and no random start: every wake-up of the task polls
            // this, and the timer and the signal are rare.
            biased;
            out = conn.as_mut() => return Some(out),
            // A dropped sender (the server is gone) counts as a signal too.
            _ = shutdown.changed(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
            () = tick.as_mut() => {
                let now = tokio::time::Instant::now();
                let mark = activity.idle_mark();
                if mark.is_none() || mark != last {
                    // Active since the last look: quiet from now on, at the earliest.
                    last = mark;
                    quiet_since = now;
                } else if now.duration_since(quiet_since) >= period {
                    return None;
                }
                tick.as_mut().reset(now + step);
            }
        }
    }
}

/// Bumps `answered` when dropped: see the service in [`run`].
struct Answered(Arc<Activity>);

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
            bump(&self.activity.writes);
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
struct LiveConnection(Arc<AtomicUsize>);

impl Drop for LiveConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The answer to a connection beyond `max_connections`: a 503 problem, then the close. Sent
/// without reading the request (whatever it is), bounded in time so a client that never
/// reads cannot keep the task.
async fn refuse(mut stream: TcpStream) {
    use tokio::io::AsyncWriteExt as _;
    const BODY: &str = r#"{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"the server has too many connections; try again shortly"}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let write = async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
    tracing::debug!("refused a connection: `max_connections` reached");
}

/// One accepted connection and what serving it takes: counted against `max_connections`
/// until it ends, watched for idleness, drained on shutdown.
struct Conn<F> {
    h1: Arc<http1::Builder>,
    h2: Arc<http2::Builder<TokioExecutor>>,
    shutdown: watch::Receiver<()>,
    activity: Arc<Activity>,
    period: Duration,
    service: F,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::Tls>,
    _live: LiveConnection,
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
    fn serve(self, stream: TcpStream) -> impl Future<Output = ()> + Send {
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

/// Serving is the server's: the app only answers requests.
impl App {
    /// Serves connections from `listener` until `shutdown` completes, then drains in-flight
    /// requests for at most the shutdown timeout. Runs on the caller's runtime.
    pub async fn serve_on(
        &self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> io::Result<()> {
        run(self.clone(), listener, shutdown).await
    }
}

pub(crate) async fn run(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let header_timeout = app.header_read_timeout();
    // No hyper `header_read_timeout`: `watch_idle` does that job for the connection.
    let h1 = http1::Builder::new();
    let mut h2 = http2::Builder::new(TokioExecutor::new());
    h2.timer(TokioTimer::new());
    let (h1, h2) = (Arc::new(h1), Arc::new(h2));
    // Each connection holds a receiver; shutdown sends, then waits for all to be dropped.
    let (graceful, _) = watch::channel(());
    let max_connections = app.max_connections();
    let live = Arc::clone(app.exec().connection_counter());
    // The signal, then the drain delay with readiness failing, then the listener closes.
    let exec = app.exec().clone();
    let drain_delay = app.drain_delay();
    let mut shutdown = std::pin::pin!(async move {
        shutdown.await;
        exec.begin_draining();
        if !drain_delay.is_zero() {
            tracing::info!(?drain_delay, "draining: readiness fails, still accepting");
            tokio::time::sleep(drain_delay).await;
        }
    });
    #[cfg(feature = "tls")]
    let app_tls = app.tls().cloned();

    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        if live.fetch_add(1, Ordering::AcqRel) >= max_connections {
            live.fetch_sub(1, Ordering::AcqRel);
            tokio::spawn(refuse(stream));
            continue;
        }
        let conn_guard = LiveConnection(Arc::clone(&live));
        let app = app.clone();
        let activity = Arc::new(Activity::default());
        let service = {
            let activity = Arc::clone(&activity);
            // Only when an IP throttle reads it: the first extension allocates a map.
            let peer = app.needs_client_addr().then_some(ClientAddr(peer));
            hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
                bump(&activity.begun);
                if let Some(peer) = peer {
                    req.extensions_mut().insert(peer);
                }
                // Counted when the request future ends, also when it is dropped unfinished
                // (an HTTP/2 stream reset mid-request), or the connection would never look
                // idle again.
                let answered = Answered(Arc::clone(&activity));
                app.call(req.map(RequestBody::from)).map(move |res| {
                    drop(answered);
                    Ok::<_, Infallible>(res)
                })
            })
        };
        let conn = Conn {
            h1: h1.clone(),
            h2: h2.clone(),
            shutdown: graceful.subscribe(),
            activity,
            period: header_timeout,
            service,
            #[cfg(feature = "tls")]
            tls: app_tls.clone(),
            _live: conn_guard,
        };
        tokio::spawn(conn.serve(stream));
    }

    // Stop accepting: the listener closes here, so new connections are refused.
    drop(listener);
    let grace = app.shutdown_timeout();
    let deadline = tokio::time::Instant::now() + grace;
    graceful.send_replace(());
    // Upgraded connections are no longer hyper's: their WebSockets close with 1001.
    app.exec().begin_shutdown();
    tokio::select! {
        () = graceful.closed() => tracing::info!("all connections drained"),
        () = tokio::time::sleep_until(deadline) => {
            tracing::warn!(?grace, "shutdown timeout reached with requests still in flight");
        }
    }
    // Then WebSockets and the work handlers queued to run after their answers, in what is
    // left of it.
    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
    app.exec().background().drain(left).await;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reuse_port_lets_two_listeners_share_a_port() {
        let first = bind("127.0.0.1:0".parse().unwrap(), 16, true).unwrap();
        let addr = first.local_addr().unwrap();
        let second = bind(addr, 16, true).expect("a second SO_REUSEPORT listener binds");
        assert_eq!(second.local_addr().unwrap(), addr);
        drop(second);
        let err = bind(addr, 16, false).expect_err("without it the port is taken");
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
    }
}
