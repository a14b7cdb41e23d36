//! Over real sockets on 127.0.0.1:0: protocols, keep-alive, graceful shutdown.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use ninja_core::prelude::*;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

#[get("/hello")]
async fn hello() -> &'static str {
    "hello"
}

#[get("/slow-async")]
async fn slow_async() -> &'static str {
    tokio::time::sleep(Duration::from_millis(500)).await;
    "slow async done"
}

#[get("/stuck")]
fn stuck() -> &'static str {
    std::thread::sleep(Duration::from_secs(2));
    "stuck done"
}

struct Running {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
}

async fn start(api: NinjaApi) -> Running {
    let app = api
        .routes(routes![hello, slow_async, stuck])
        .build()
        .expect("builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("has an address");
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app.serve_on(listener, async {
            let _ = stopped.await;
        })
        .await
    });
    Running { addr, stop, server }
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

fn h1() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

async fn get(client: &HttpClient, url: String) -> (u16, http::Version, String) {
    let req = Request::get(url)
        .body(Full::default())
        .expect("valid request");
    let res = client.request(req).await.expect("answered");
    let (parts, body) = res.into_parts();
    let body = body.collect().await.expect("whole body").to_bytes();
    (
        parts.status.as_u16(),
        parts.version,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_keep_alive_serves_many_requests() {
    let s = start(NinjaApi::new("t", "1")).await;
    let client = h1();
    for _ in 0..20 {
        let (status, version, body) = get(&client, format!("http://{}/hello", s.addr)).await;
        assert_eq!(
            (status, version, body.as_str()),
            (200, http::Version::HTTP_11, "hello")
        );
    }
    let (status, _, _) = get(&client, format!("http://{}/missing", s.addr)).await;
    assert_eq!(status, 404);
    let _ = s.stop.send(());
    s.server.await.expect("joined").expect("served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2c_prior_knowledge() {
    let s = start(NinjaApi::new("t", "1")).await;
    let client: HttpClient = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http();
    let (status, version, body) = get(&client, format!("http://{}/hello", s.addr)).await;
    assert_eq!(
        (status, version, body.as_str()),
        (200, http::Version::HTTP_2, "hello")
    );
    let _ = s.stop.send(());
    s.server.await.expect("joined").expect("served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_in_flight_requests_and_refuses_new_ones() {
    let s = start(NinjaApi::new("t", "1")).await;
    let client = h1();
    let url = format!("http://{}/slow-async", s.addr);
    let in_flight = tokio::spawn(async move { get(&client, url).await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let _ = s.stop.send(());
    let (status, _, body) = in_flight.await.expect("joined");
    assert_eq!((status, body.as_str()), (200, "slow async done"));
    s.server.await.expect("joined").expect("served");
    assert!(
        tokio::net::TcpStream::connect(s.addr).await.is_err(),
        "a new connection was accepted after shutdown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_sync_handler_cannot_hold_shutdown_past_its_timeout() {
    let s = start(NinjaApi::new("t", "1").shutdown_timeout(Duration::from_millis(300))).await;
    let client = h1();
    let url = format!("http://{}/stuck", s.addr);
    let _in_flight = tokio::spawn(async move { get(&client, url).await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let started = Instant::now();
    let _ = s.stop.send(());
    s.server.await.expect("joined").expect("served");
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_millis(1500),
        "shutdown waited {waited:?} for a stuck handler"
    );
}

/// `serve` runs its own runtime: inside one (`#[tokio::main]`) it is an error naming `run`,
/// not tokio's panic.
#[tokio::test]
async fn serve_inside_a_runtime_is_an_error_naming_run() {
    let err = NinjaApi::new("t", "1")
        .routes(routes![hello])
        .serve("127.0.0.1:0")
        .expect_err("refused inside a runtime");
    assert!(err.to_string().contains(".run(addr).await"), "{err}");
}

/// `run` serves on the caller's runtime, as `#[tokio::main]` programs want.
#[tokio::test]
async fn run_serves_on_the_callers_runtime() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let server = tokio::spawn(
        NinjaApi::new("t", "1")
            .routes(routes![hello])
            .run(("127.0.0.1", port)),
    );
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut answered = None;
    for _ in 0..100 {
        if let Ok(res) = h1()
            .request(
                Request::get(format!("http://{addr}/hello"))
                    .body(Full::new(Bytes::new()))
                    .expect("a request"),
            )
            .await
        {
            answered = Some(res.into_body().collect().await.expect("a body").to_bytes());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.abort();
    assert_eq!(answered.as_deref(), Some(&b"hello"[..]));
}
