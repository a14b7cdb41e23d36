//! Hostile input and hostile clients over a real socket, written byte by byte: each attack
//! gets its documented status (a problem body where Ninja answers), and the server keeps
//! serving afterwards. The table in RELIABILITY.md points here.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ninja_core::prelude::*;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::wire::{exchange, one, parse_answers};

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct Item {
    #[allow(dead_code)]
    name: String,
    #[allow(dead_code)]
    count: u32,
}

#[post("/items")]
async fn create(Json(_item): Json<Item>) -> &'static str {
    "created"
}

#[post("/any")]
async fn any(Json(v): Json<Value>) -> String {
    v.to_string().len().to_string()
}

#[get("/items/{id}")]
async fn item(id: u32, q: Option<String>) -> String {
    format!("{id} {}", q.unwrap_or_default())
}

#[get("/hello")]
async fn hello() -> &'static str {
    "hello"
}

#[get("/panic-sync")]
fn panic_sync(n: u32) -> String {
    assert!(!n.is_multiple_of(3), "secret panic message /etc/shadow");
    n.to_string()
}

#[get("/panic-async")]
async fn panic_async(n: u32) -> String {
    assert!(!n.is_multiple_of(3), "secret panic message /etc/shadow");
    n.to_string()
}

/// A map with non-string keys: serde_json refuses to serialize it.
#[get("/unserializable")]
async fn unserializable() -> Json<std::collections::HashMap<(u8, u8), u8>> {
    Json([((1, 2), 3)].into_iter().collect())
}

async fn start_with(api: NinjaApi) -> SocketAddr {
    let app = api
        .routes(routes![
            create,
            any,
            item,
            hello,
            panic_sync,
            panic_async,
            unserializable,
            slow_sync,
            big
        ])
        .build()
        .expect("builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { app.serve_on(listener, std::future::pending()).await });
    addr
}

async fn start() -> SocketAddr {
    start_with(NinjaApi::new("t", "1").body_limit(1024)).await
}

fn post(path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

fn json_post(path: &str, body: &[u8]) -> Vec<u8> {
    post(path, "application/json", body)
}

fn get(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").into_bytes()
}

/// The server still answers a plain request.
async fn still_serving(addr: SocketAddr) {
    let a = one(addr, &get("/hello")).await;
    assert_eq!((a.status, a.body.as_str()), (200, "hello"));
}

#[tokio::test]
async fn bad_json_bodies() {
    let addr = start().await;
    let item = async |body: &[u8]| one(addr, &json_post("/items", body)).await;
    let p = item(b"{\"name\": ").await.problem(400);
    assert!(
        p["detail"].as_str().expect("detail").contains("JSON"),
        "{p}"
    );
    let p = item(br#"{"name": 5, "count": "x"}"#).await.problem(422);
    assert_eq!(p["errors"][0]["loc"], serde_json::json!(["body", "name"]));
    // Deeply nested: serde_json's depth limit (128) answers before the stack is at risk.
    let deep = "[".repeat(100_000);
    let any = async |body: &[u8]| one(addr, &json_post("/any", body)).await;
    any(deep.as_bytes()).await.problem(413);
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    any(deep.as_bytes()).await.problem(400);
    // Huge numbers: out of range for the field is a 422; beyond f64 is malformed JSON.
    item(br#"{"name": "a", "count": 99999999999999999999}"#)
        .await
        .problem(422);
    item(br#"{"name": "a", "count": 1e999}"#).await.problem(400);
    // Not UTF-8.
    item(b"{\"name\": \"\xff\xfe\", \"count\": 1}")
        .await
        .problem(400);
    // Wrong Content-Type.
    let plain = post("/items", "text/plain", br#"{"name": "a", "count": 1}"#);
    one(addr, &plain).await.problem(415);
    still_serving(addr).await;
}

#[tokio::test]
async fn bad_paths_and_queries() {
    let addr = start().await;
    // Invalid UTF-8 once percent-decoded, in the path and in the query.
    one(addr, &get("/items/%FF")).await.problem(400);
    one(addr, &get("/items/1?q=%FF%FE")).await.problem(400);
    // A number out of range, a number that is not one.
    one(addr, &get("/items/99999999999")).await.problem(422);
    one(addr, &get("/items/1e3")).await.problem(422);
    // A stray `%` is taken literally, as browsers send it.
    let a = one(addr, &get("/items/1?q=100%")).await;
    assert_eq!((a.status, a.body.as_str()), (200, "1 100%"));
    // Raw bytes that are not visible ASCII never get past hyper's parser: a bare 400.
    let a = one(
        addr,
        b"GET /items/\xff HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(a.status, 400);
    still_serving(addr).await;
}

#[tokio::test]
async fn oversized_heads() {
    let addr = start().await;
    // A long target: 414 with a problem body up to hyper's own limit (64 KiB)...
    let long = format!("/items/1?q={}", "a".repeat(10_000));
    let p = one(addr, &get(&long)).await.problem(414);
    assert!(
        p["detail"].as_str().expect("detail").contains("8192"),
        "{p}"
    );
    // ...and beyond it, hyper's bare 414.
    let longer = format!("/items/1?q={}", "a".repeat(70_000));
    assert_eq!(one(addr, &get(&longer)).await.status, 414);
    // Large headers: 431 with a problem body; beyond hyper's buffer, its bare 431.
    let big = format!(
        "GET /hello HTTP/1.1\r\nhost: x\r\nconnection: close\r\nx-big: {}\r\n\r\n",
        "b".repeat(20_000)
    );
    one(addr, big.as_bytes()).await.problem(431);
    let huge = format!(
        "GET /hello HTTP/1.1\r\nhost: x\r\nconnection: close\r\nx-big: {}\r\n\r\n",
        "b".repeat(500_000)
    );
    assert_eq!(one(addr, huge.as_bytes()).await.status, 431);
    still_serving(addr).await;
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_without_reading_them() {
    let addr = start().await;
    // Declared too large: the answer comes before any of the 100 MB is sent.
    let mut s = TcpStream::connect(addr).await.expect("connects");
    s.write_all(b"POST /items HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100000000\r\n\r\n{").await.expect("writes");
    let mut buf = vec![0; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("answered before the body")
        .expect("reads");
    let answers = parse_answers(&buf[..n]);
    answers[0].problem(413);
    // Chunked, no length: cut off once the limit is passed.
    let mut chunked = b"POST /items HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..8 {
        chunked.extend_from_slice(b"200\r\n");
        chunked.extend_from_slice(&[b' '; 0x200]);
        chunked.extend_from_slice(b"\r\n");
    }
    one(addr, &chunked).await.problem(413);
    still_serving(addr).await;
}

#[tokio::test]
async fn transfer_encoding_edge_cases() {
    let addr = start().await;
    let body = br#"{"name":"a","count":1}"#;
    // A valid chunked body is read.
    let mut ok = b"POST /items HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    ok.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
    ok.extend_from_slice(body);
    ok.extend_from_slice(b"\r\n0\r\n\r\n");
    let a = one(addr, &ok).await;
    assert_eq!((a.status, a.body.as_str()), (200, "created"));
    // Both Transfer-Encoding and Content-Length (request smuggling shape): refused.
    let both = b"POST /items HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\ncontent-length: 5\r\n\r\n0\r\n\r\n";
    assert_eq!(one(addr, both).await.status, 400);
    // A chunk size that is not hex: the body cannot be read, a 400, the connection closed.
    let bad = b"POST /items HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n";
    one(addr, bad).await.problem(400);
    // A final encoding that is not chunked: no way to find the end, refused.
    let gzip = b"POST /items HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: gzip\r\n\r\nxx";
    assert_eq!(one(addr, gzip).await.status, 400);
    still_serving(addr).await;
}

#[tokio::test]
async fn methods_versions_and_pipelining() {
    let addr = start().await;
    // An unknown method on a known path: 405 with Allow.
    let a = one(
        addr,
        b"BREW /hello HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    a.problem(405);
    assert_eq!(a.header("allow"), Some("GET, HEAD, OPTIONS"));
    // HTTP/1.0 without keep-alive: answered, then closed (the read reaches EOF).
    let a = one(addr, b"GET /hello HTTP/1.0\r\n\r\n").await;
    assert_eq!((a.status, a.body.as_str()), (200, "hello"));
    assert!(a.head.starts_with("HTTP/1.0 200"), "{}", a.head);
    // Pipelined: three requests in one write, three answers in order.
    let mut three = b"GET /items/1?q=a HTTP/1.1\r\nhost: x\r\n\r\n".to_vec();
    three.extend_from_slice(b"GET /items/x HTTP/1.1\r\nhost: x\r\n\r\n");
    three.extend_from_slice(b"GET /items/3?q=c HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    let answers = exchange(addr, &three).await;
    let got: Vec<(u16, &str)> = answers
        .iter()
        .map(|a| (a.status, a.body.as_str()))
        .collect();
    assert_eq!(got[0], (200, "1 a"));
    assert_eq!(got[1].0, 422);
    assert_eq!(got[2], (200, "3 c"));
    still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_is_cut_off_while_others_are_served() {
    let addr =
        start_with(NinjaApi::new("t", "1").header_read_timeout(Duration::from_millis(400))).await;
    let mut slow = TcpStream::connect(addr).await.expect("connects");
    slow.write_all(b"GET /hello HTTP/1.1\r\nhost: x\r\n")
        .await
        .expect("writes");
    let started = Instant::now();
    let trickle = async {
        // One header byte every 50 ms, never finishing the head.
        loop {
            if slow.write_all(b"x").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            if started.elapsed() > Duration::from_secs(5) {
                break;
            }
        }
    };
    let others = async {
        for _ in 0..5 {
            still_serving(addr).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::join!(trickle, others);
    // Cut off at the header timeout (the write fails once the server has closed), not at
    // the test's 5 s bound.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

/// Sends `bytes` on a new connection to a server with a 300 ms idle limit, then nothing;
/// returns what the server wrote before it closed the connection, which must be between
/// 1 and 1.25 periods after the write (plus 150 ms for a loaded machine's scheduling).
async fn written_before_idle_close(bytes: &[u8]) -> Vec<u8> {
    let period = Duration::from_millis(300);
    let addr = start_with(NinjaApi::new("t", "1").header_read_timeout(period)).await;
    let mut s = TcpStream::connect(addr).await.expect("connects");
    s.write_all(bytes).await.expect("writes");
    let written = Instant::now();
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut raw)).await;
    let quiet = written.elapsed();
    assert!(read.is_ok(), "the idle connection was never closed");
    assert!(
        quiet >= period && quiet < period.mul_f64(1.25) + Duration::from_millis(150),
        "closed {quiet:?} after the last byte, for a {period:?} limit"
    );
    raw
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_are_closed() {
    let raw = written_before_idle_close(b"GET /hello HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert_eq!(parse_answers(&raw)[0].status, 200);
}

/// HTTP/2 (prior knowledge) gets the same idle limit: a client that opens a connection and
/// sends nothing after its preface does not keep a connection slot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_http2_connections_are_closed() {
    // The preface, then an empty SETTINGS frame (length 0, type 4, no flags, stream 0).
    let raw =
        written_before_idle_close(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0").await;
    // The server spoke HTTP/2 before closing: its own SETTINGS frame (type 4) comes first.
    assert_eq!(raw.get(3), Some(&4), "{raw:?}");
}

#[get("/big")]
async fn big() -> String {
    "x".repeat(BIG)
}

const BIG: usize = 16 << 20;

/// The idle timeout is not a request timeout: a handler slower than it, and a download that
/// takes longer than it, both finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_handlers_and_slow_downloads_are_not_idle() {
    let addr =
        start_with(NinjaApi::new("t", "1").header_read_timeout(Duration::from_millis(200))).await;
    // An 800 ms handler.
    assert_eq!(one(addr, &get("/slow-sync")).await.status, 200);
    // 16 MiB read in 256 KiB sips every 20 ms: over a second, most of it spent with the
    // server waiting to write.
    let mut s = TcpStream::connect(addr).await.expect("connects");
    s.write_all(b"GET /big HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .expect("writes");
    let started = Instant::now();
    let mut got = 0;
    let mut buf = vec![0; 256 << 10];
    loop {
        let n = s.read(&mut buf).await.expect("reads");
        if n == 0 {
            break;
        }
        got += n;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        started.elapsed() > Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    assert!(got > BIG, "the download was cut off after {got} bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_is_a_408() {
    let addr =
        start_with(NinjaApi::new("t", "1").body_read_timeout(Duration::from_millis(300))).await;
    let mut s = TcpStream::connect(addr).await.expect("connects");
    s.write_all(b"POST /items HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"name\"").await.expect("writes");
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut raw)).await;
    parse_answers(&raw)[0].problem(408);
    still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_maximum_are_refused_politely() {
    let addr = start_with(NinjaApi::new("t", "1").max_connections(2)).await;
    // Two connections held open (served, then idle in keep-alive).
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(addr).await.expect("connects");
        s.write_all(b"GET /hello HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .expect("writes");
        let mut buf = [0; 512];
        let n = s.read(&mut buf).await.expect("answered");
        assert_eq!(parse_answers(&buf[..n])[0].status, 200);
        held.push(s);
    }
    let a = one(addr, &get("/hello")).await;
    a.problem(503);
    assert_eq!(a.header("retry-after"), Some("1"));
    // One closes: the next is served.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_under_load_fail_only_their_own_requests() {
    let addr = start_with(NinjaApi::new("t", "1").blocking_threads(4)).await;
    let mut tasks = Vec::new();
    for n in 1..=120u32 {
        let path = if n.is_multiple_of(2) {
            "panic-sync"
        } else {
            "panic-async"
        };
        tasks.push(tokio::spawn(async move {
            let a = one(addr, &get(&format!("/{path}?n={n}"))).await;
            (n, a)
        }));
    }
    for t in tasks {
        let (n, a) = t.await.expect("joined");
        if n.is_multiple_of(3) {
            let p = a.problem(500);
            assert!(
                !a.body.contains("secret") && !a.body.contains("shadow"),
                "{p}"
            );
        } else {
            assert_eq!((a.status, a.body.clone()), (200, n.to_string()));
        }
    }
    // No pool slot leaked: 4 threads and the default queue still take a burst of sync calls.
    for n in [1u32, 2, 4, 5] {
        assert_eq!(
            one(addr, &get(&format!("/panic-sync?n={n}"))).await.status,
            200
        );
    }
    still_serving(addr).await;
}

#[tokio::test]
async fn a_response_that_fails_to_serialize_is_a_500() {
    let addr = start().await;
    let a = one(addr, &get("/unserializable")).await;
    let p = a.problem(500);
    assert_eq!(p["detail"], "the server failed to handle this request");
    still_serving(addr).await;
}

#[tokio::test]
async fn security_basics() {
    let addr = start().await;
    // The docs page serves its embedded files only: no way out of it.
    for escape in [
        "/docs/../../../../etc/passwd",
        "/docs/%2e%2e/%2e%2e/etc/passwd",
        "/docs/..%2f..%2fCargo.toml",
        "/docs/%2e%2e%5c%2e%2e%5cCargo.toml",
    ] {
        let a = one(addr, &get(escape)).await;
        assert!(a.status == 404 || a.status == 400, "{escape}: {}", a.status);
        assert!(
            !a.body.contains("root:") && !a.body.contains("[workspace]"),
            "{escape}"
        );
    }
    // Every answer with a body says what it is; none names the server software.
    for target in [
        "/hello",
        "/items/1",
        "/items/x",
        "/nowhere",
        "/openapi.json",
        "/docs/",
        "/unserializable",
    ] {
        let a = one(addr, &get(target)).await;
        if !a.body.is_empty() {
            assert!(a.header("content-type").is_some(), "{target}: {}", a.head);
        }
        assert_eq!(a.header("server"), None, "{target}");
        assert!(!a.head.to_ascii_lowercase().contains("hyper"), "{target}");
    }
}

#[get("/slow-sync")]
fn slow_sync() -> &'static str {
    std::thread::sleep(Duration::from_millis(800));
    "slow"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saturated_pool_sheds_load_at_once() {
    let addr = start_with(
        NinjaApi::new("t", "1")
            .blocking_threads(2)
            .blocking_queue(2),
    )
    .await;

    // 20 sync calls at once for 2 threads + 2 queued: 4 are served, 16 refused, and every
    // refusal arrives before the first served answer (no waiting in an unbounded queue).
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..20 {
        let tx = tx.clone();
        tokio::spawn(async move {
            let a = one(addr, &get("/slow-sync")).await;
            let _ = tx.send((a.status, a.header("retry-after").map(str::to_owned)));
        });
    }
    // Meanwhile async routes answer, also before the first sync call completes.
    let tx_async = tx.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let a = one(addr, &get("/hello")).await;
        let _ = tx_async.send((a.status + 1000, None));
    });
    drop(tx);
    let mut order = Vec::new();
    while let Some(x) = rx.recv().await {
        order.push(x);
    }
    let statuses: Vec<u16> = order.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        4,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 503).count(),
        16,
        "{statuses:?}"
    );
    let first_served = statuses
        .iter()
        .position(|s| *s == 200)
        .expect("some served");
    assert!(
        statuses[..first_served]
            .iter()
            .filter(|s| **s == 503)
            .count()
            == 16,
        "{statuses:?}"
    );
    assert!(
        statuses[..first_served].contains(&1200),
        "async answered late: {statuses:?}"
    );
    assert!(
        order
            .iter()
            .filter(|(s, _)| *s == 503)
            .all(|(_, r)| r.as_deref() == Some("1"))
    );
    // Afterwards every slot is free again.
    let req = get("/slow-sync");
    let again = futures_util::future::join_all((0..4).map(|_| one(addr, &req))).await;
    assert!(again.iter().all(|a| a.status == 200));
}
