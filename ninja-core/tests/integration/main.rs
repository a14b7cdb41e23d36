//! Integration tests, one binary (links once): in-process through `TestClient`, and over real
//! sockets on 127.0.0.1:0.

mod app_errors;
mod auth;
mod background;
#[cfg(feature = "client")]
mod client;
mod depends;
mod dispatch;
mod errors;
mod exact;
mod extract;
mod files;
mod health;
mod hostile;
mod inputs;
mod layers;
#[cfg(feature = "metrics")]
mod metrics;
mod multipart;
mod openapi;
mod pagination;
mod properties;
mod regressions;
mod responses;
mod server;
mod shutdown;
mod sse;
mod state;
mod streaming;
mod structure;
mod throttle;
#[cfg(feature = "tls")]
mod tls;
mod uploads;
mod wire;
#[cfg(feature = "ws")]
mod ws;

use ninja_core::Problem;
use serde_json::Value;

/// The `errors` of a 422 problem body as `(loc, type)` pairs, for compact assertions.
fn locs(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .expect("a 422 body has `errors`")
        .iter()
        .map(|e| {
            let loc: Vec<String> = e["loc"]
                .as_array()
                .expect("loc is a list")
                .iter()
                .map(|p| match p {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            (loc.join("."), e["type"].as_str().expect("type").to_owned())
        })
        .collect()
}

/// Asserts a problem answer with `status` (and its media type) and returns its body.
#[track_caller]
fn problem(res: &ninja_core::TestResponse, status: u16) -> Value {
    assert_eq!(res.status(), status, "{}", res.text());
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    res.json()
}

/// Serves `app` on 127.0.0.1:0 for the rest of the test; returns its address.
async fn serve_app(app: ninja_core::App) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { app.serve_on(listener, std::future::pending()).await });
    addr
}

/// Serves `app` on 127.0.0.1:0 until the sender is used (or dropped): its address, the
/// stop switch, and the server's task, which ends when its graceful shutdown has.
async fn serve_until_stopped(
    app: ninja_core::App,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("an address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app.serve_on(listener, async {
            let _ = stopped.await;
        })
        .await
    });
    (addr, stop, server)
}

/// Reads from `s` until `needle` has arrived, the peer closes, or 5 s pass; returns the text.
async fn read_until(s: &mut tokio::net::TcpStream, needle: &str) -> String {
    use tokio::io::AsyncReadExt as _;
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !String::from_utf8_lossy(&got).contains(needle) && std::time::Instant::now() < deadline {
        match tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// Waits until `flag` is set, at most 1 s (the bound within which the server must notice
/// that a client went away); whether it was.
async fn wait_for(flag: &std::sync::atomic::AtomicBool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    while !flag.load(std::sync::atomic::Ordering::SeqCst) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    flag.load(std::sync::atomic::Ordering::SeqCst)
}

/// Keeps `Problem` referenced so the helper module compiles standalone.
#[allow(dead_code)]
fn _uses(_: Problem) {}
