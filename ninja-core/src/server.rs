//! The accept loop: one task per connection, HTTP/1.1 (keep-alive) or HTTP/2 with prior
//! knowledge (h2c) told apart by a peek, graceful shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::FutureExt as _;
use hyper::body::Incoming;
use std::sync::Arc;

use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpSocket, TcpStream};

use crate::api::App;
use crate::body::RequestBody;

/// Binds with a listen backlog deep enough for a burst of thousands of connections (the
/// kernel caps it at `net.core.somaxconn`).
pub(crate) fn bind(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
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

pub(crate) async fn run(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let header_timeout = app.header_read_timeout();
    let mut h1 = http1::Builder::new();
    h1.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let mut h2 = http2::Builder::new(TokioExecutor::new());
    h2.timer(TokioTimer::new());
    let (h1, h2) = (Arc::new(h1), Arc::new(h2));
    let graceful = GracefulShutdown::new();
    let max_connections = app.max_connections();
    let live = Arc::new(AtomicUsize::new(0));
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        let (stream, _peer) = tokio::select! {
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
        let service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
            app.call(req.map(RequestBody::from))
                .map(Ok::<_, Infallible>)
        });
        let watcher = graceful.watcher();
        let (h1, h2) = (h1.clone(), h2.clone());
        tokio::spawn(async move {
            let _live = conn_guard;
            // A client that sends nothing is cut off like one that trickles its headers.
            let Ok(Ok(is_h2)) = tokio::time::timeout(header_timeout, speaks_h2(&stream)).await
            else {
                return;
            };
            let io = TokioIo::new(stream);
            let result = if is_h2 {
                Box::pin(watcher.watch(h2.serve_connection(io, service))).await
            } else {
                watcher.watch(h1.serve_connection(io, service)).await
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }

    // Stop accepting: the listener closes here, so new connections are refused.
    drop(listener);
    let grace = app.shutdown_timeout();
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections drained"),
        () = tokio::time::sleep(grace) => {
            tracing::warn!(?grace, "shutdown timeout reached with requests still in flight");
        }
    }
    Ok(())
}
