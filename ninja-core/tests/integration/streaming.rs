//! Streamed responses through a real socket: chunks arrive as they are produced, a client
//! that goes away drops the stream, an error cuts the body short.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ninja_core::StreamBody;
use ninja_core::prelude::*;
use tokio::io::AsyncWriteExt as _;

use crate::read_until;
use tokio::net::TcpStream;

type Chunks = StreamBody;

/// `n` numbered lines, 300 ms apart (or forever when `n` is 0).
fn ticks(n: u32, dropped: Option<Arc<AtomicBool>>) -> Chunks {
    struct Guard(Option<Arc<AtomicBool>>);
    impl Drop for Guard {
        fn drop(&mut self) {
            if let Some(d) = &self.0 {
                d.store(true, Ordering::SeqCst);
            }
        }
    }
    let guard = Guard(dropped);
    let stream = futures_util::stream::unfold((0u32, guard), move |(i, guard)| async move {
        if n != 0 && i == n {
            return None;
        }
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        Some((
            Ok::<_, std::io::Error>(Bytes::from(format!("tick {i}\n"))),
            (i + 1, guard),
        ))
    });
    StreamBody::new(stream).content_type("text/plain")
}

/// Set when the `/forever` stream is dropped.
struct Dropped(Arc<AtomicBool>);

#[get("/ticks")]
async fn three_ticks() -> Chunks {
    ticks(3, None)
}

#[get("/forever")]
async fn forever(dropped: State<Dropped>) -> Chunks {
    ticks(0, Some(Arc::clone(&dropped.0.0)))
}

#[get("/broken")]
async fn broken() -> Chunks {
    // The first chunk, then (once it has been sent) a failure.
    let items = futures_util::stream::unfold(0u32, |i| async move {
        match i {
            0 => Some((Ok(Bytes::from_static(b"first\n")), 1)),
            1 => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                Some((Err(std::io::Error::other("the source failed")), 2))
            }
            _ => None,
        }
    });
    StreamBody::new(items)
}

/// Rows written from the blocking pool into a bounded channel.
#[get("/rows")]
fn rows(tasks: ninja_core::Background) -> StreamBody {
    let (tx, body) = StreamBody::channel(4);
    tasks.spawn_blocking(move || {
        for i in 0..1000 {
            if tx.send(format!("row {i}\n")).is_err() {
                break;
            }
        }
    });
    body.content_type("text/csv")
}

/// Rows forever, until the client goes away; then the writer learns it and stops.
#[get("/rows-forever")]
fn rows_forever(tasks: ninja_core::Background, dropped: State<Dropped>) -> StreamBody {
    let (tx, body) = StreamBody::channel(4);
    let stopped = Arc::clone(&dropped.0.0);
    tasks.spawn_blocking(move || {
        let mut i = 0u64;
        while tx.send(format!("row {i}\n")).is_ok() {
            i += 1;
            std::thread::sleep(Duration::from_millis(1));
        }
        stopped.store(true, Ordering::SeqCst);
    });
    body
}

async fn start() -> (std::net::SocketAddr, Arc<AtomicBool>) {
    let dropped = Arc::new(AtomicBool::new(false));
    let api = NinjaApi::new("stream", "1")
        .routes(routes![three_ticks, forever, broken, rows, rows_forever])
        .state(Dropped(Arc::clone(&dropped)));
    let app = api.build().expect("builds");
    let addr = crate::serve_app(app).await;
    (addr, dropped)
}

async fn request(addr: std::net::SocketAddr, path: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.expect("connects");
    s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes())
        .await
        .expect("writes");
    s
}

#[tokio::test]
async fn chunks_arrive_as_they_are_produced() {
    let (addr, _) = start().await;
    let started = Instant::now();
    let mut s = request(addr, "/ticks").await;
    let head = read_until(&mut s, "tick 0").await;
    let first = started.elapsed();
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert!(head.contains("content-type: text/plain"), "{head}");
    assert!(
        first < Duration::from_millis(250),
        "the first chunk waited {first:?}"
    );
    let rest = read_until(&mut s, "\r\n0\r\n\r\n").await;
    assert!(rest.contains("tick 2"), "{rest}");
    assert!(started.elapsed() >= Duration::from_millis(600));
}

#[tokio::test]
async fn a_client_that_goes_away_drops_the_stream() {
    let (addr, dropped) = start().await;
    let mut s = request(addr, "/forever").await;
    let _ = read_until(&mut s, "tick 1").await;
    assert!(!dropped.load(Ordering::SeqCst));
    drop(s);
    assert!(
        crate::wait_for(&dropped).await,
        "the stream outlived its client"
    );
}

#[tokio::test]
async fn an_error_cuts_the_body_short() {
    let (addr, _) = start().await;
    let mut s = request(addr, "/broken").await;
    let all = read_until(&mut s, "never arrives").await;
    assert!(all.contains("first"), "{all}");
    assert!(
        !all.contains("\r\n0\r\n\r\n"),
        "a complete body after an error: {all}"
    );
}

#[test]
fn documented_as_binary() {
    let doc: serde_json::Value = serde_json::from_str(
        &NinjaApi::new("stream", "1")
            .routes(routes![three_ticks])
            .openapi_json()
            .expect("a document"),
    )
    .expect("JSON");
    let ok = &doc["paths"]["/ticks"]["get"]["responses"]["200"]["content"];
    assert_eq!(ok["application/octet-stream"]["schema"]["format"], "binary");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_writer_streams_through_a_bounded_channel() {
    let (addr, _) = start().await;
    let mut s = request(addr, "/rows").await;
    let all = read_until(&mut s, "\r\n0\r\n\r\n").await;
    assert!(all.contains("content-type: text/csv"), "{all}");
    assert!(
        all.contains("row 0\n") && all.contains("row 999\n"),
        "{}",
        all.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_writer_learns_that_the_client_went_away() {
    let (addr, stopped) = start().await;
    let mut s = request(addr, "/rows-forever").await;
    let _ = read_until(&mut s, "row 10\n").await;
    drop(s);
    assert!(crate::wait_for(&stopped).await, "the writer never learned");
}
