//! The accept loop: one task per connection, HTTP/1.1 (keep-alive) or HTTP/2 with prior
//! knowledge (h2c) told apart by a peek, graceful shutdown.

mod connection;
mod shutdown;

use connection::{Activity, Answered, Conn, LiveConnection, bump_own};
pub(crate) use shutdown::shutdown_signal;

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::FutureExt as _;
use hyper::body::Incoming;
use std::sync::Arc;

use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioTimer};
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
                bump_own(&activity.begun);
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
