//! The `live` example's routes, which outside checks rely on, over a real socket: SSE ticks,
//! ranged downloads, WebSocket echo and rooms, a streamed upload, background jobs, static
//! files.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use examples::live;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

struct Served {
    addr: SocketAddr,
    uploads: tempfile::TempDir,
}

async fn serve() -> Served {
    let uploads = tempfile::tempdir().expect("a dir");
    let app = live::api(uploads.path().to_owned())
        .build()
        .expect("the example builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { app.serve_on(listener, std::future::pending()).await });
    Served { addr, uploads }
}

/// One request on its own connection; the raw answer: status line, headers, body.
async fn raw(addr: SocketAddr, head: &str, body: &[u8]) -> (u16, String, Vec<u8>) {
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    s.write_all(format!("{head}\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes())
        .await
        .expect("writes");
    s.write_all(body).await.expect("writes the body");
    let mut all = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut all))
        .await
        .expect("answered in time")
        .expect("reads");
    let split = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&all[..split]).to_string();
    let status = head[9..12].parse().expect("a status");
    (status, head.to_ascii_lowercase(), all[split + 4..].to_vec())
}

/// Undoes chunked transfer coding.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a size line");
        let size = usize::from_str_radix(std::str::from_utf8(&body[..line]).expect("hex"), 16)
            .expect("a size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[line + 2..line + 2 + size]);
        body = &body[line + 2 + size + 2..];
    }
}

#[tokio::test]
async fn events_are_ticks_with_ids() {
    let s = serve().await;
    let (status, head, body) =
        raw(s.addr, "GET /events?count=3&interval_ms=20 HTTP/1.1", b"").await;
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    let text = String::from_utf8(dechunk(&body)).expect("UTF-8");
    let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
    assert_eq!(
        events,
        [
            "id: 0\ndata: {\"n\":0}",
            "id: 1\ndata: {\"n\":1}",
            "id: 2\ndata: {\"n\":2}"
        ]
    );
    let (status, _, _) = raw(s.addr, "GET /events?count=0 HTTP/1.1", b"").await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn downloads_whole_and_in_ranges() {
    let s = serve().await;
    let (status, head, body) = raw(s.addr, "GET /download/200000 HTTP/1.1", b"").await;
    assert_eq!(status, 200);
    assert!(head.contains("content-length: 200000"), "{head}");
    assert!(head.contains("accept-ranges: bytes"), "{head}");
    let whole: Vec<u8> = (0..200_000).map(live::download_byte).collect();
    assert!(body == whole, "the whole download differs");

    let (status, head, body) = raw(
        s.addr,
        "GET /download/200000 HTTP/1.1\r\nrange: bytes=1000-1999",
        b"",
    )
    .await;
    assert_eq!(status, 206);
    assert!(
        head.contains("content-range: bytes 1000-1999/200000"),
        "{head}"
    );
    assert_eq!(body, whole[1000..2000]);

    // The last 10 bytes.
    let (status, _, body) = raw(
        s.addr,
        "GET /download/200000 HTTP/1.1\r\nrange: bytes=-10",
        b"",
    )
    .await;
    assert_eq!(status, 206);
    assert_eq!(body, whole[199_990..]);

    let (status, head, _) = raw(
        s.addr,
        "GET /download/100 HTTP/1.1\r\nrange: bytes=500-600",
        b"",
    )
    .await;
    assert_eq!(status, 416);
    assert!(head.contains("content-range: bytes */100"), "{head}");

    // A Range that does not parse (here empty) is ignored: the whole body.
    for ignored in ["range: ", "range: lines=1-2", "range: bytes=0-1,5-6"] {
        let (status, head, body) = raw(
            s.addr,
            &format!("GET /download/100 HTTP/1.1\r\n{ignored}"),
            b"",
        )
        .await;
        assert_eq!(status, 200, "{ignored}: {head}");
        assert_eq!(body.len(), 100, "{ignored}");
    }
}

#[tokio::test]
async fn websocket_echo() {
    let s = serve().await;
    let (mut ws, _) = connect_async(format!("ws://{}/ws", s.addr))
        .await
        .expect("upgrades");
    for text in ["one", "two"] {
        ws.send(Message::text(text)).await.expect("sends");
        assert_eq!(
            ws.next().await.expect("echo").expect("ok"),
            Message::text(text)
        );
    }
    ws.send(Message::binary(vec![1u8, 2, 3]))
        .await
        .expect("sends");
    assert_eq!(
        ws.next().await.expect("echo").expect("ok"),
        Message::binary(vec![1u8, 2, 3])
    );
}

#[tokio::test]
async fn websocket_rooms_broadcast_to_their_members_only() {
    let s = serve().await;
    let join = |room: &'static str| {
        let url = format!("ws://{}/ws/room/{room}", s.addr);
        async move { connect_async(url).await.expect("joins").0 }
    };
    let (mut ada, mut bob, mut eve) = (join("lab").await, join("lab").await, join("hall").await);
    ada.send(Message::text("hi lab")).await.expect("sends");
    for member in [&mut ada, &mut bob] {
        assert_eq!(
            member.next().await.expect("a message").expect("ok"),
            Message::text("hi lab")
        );
    }
    let other = tokio::time::timeout(Duration::from_millis(300), eve.next()).await;
    assert!(other.is_err(), "another room heard it: {other:?}");
}

#[tokio::test]
async fn uploads_stream_to_disk_with_their_hash() {
    let s = serve().await;
    let body: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let (status, _, answer) = raw(
        s.addr,
        &format!("POST /upload HTTP/1.1\r\ncontent-length: {}", body.len()),
        &body,
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    let answer: Value = serde_json::from_slice(&answer).expect("JSON");
    let expected: String = Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(answer["bytes"], 3_000_000);
    assert_eq!(answer["sha256"], expected);
    let stored = s
        .uploads
        .path()
        .join(answer["name"].as_str().expect("a name"));
    assert!(std::fs::read(stored).expect("stored") == body);
}

#[tokio::test]
async fn jobs_run_after_the_answer() {
    let s = serve().await;
    let body = br#"{"steps": 3, "step_ms": 30}"#;
    let (status, _, answer) = raw(
        s.addr,
        &format!(
            "POST /jobs HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: {}",
            body.len()
        ),
        body,
    )
    .await;
    assert_eq!(status, 202);
    let job: Value = serde_json::from_slice(&answer).expect("JSON");
    assert_eq!(job["state"], "queued");
    let id = job["id"].as_u64().expect("an id");
    let started = Instant::now();
    loop {
        let (status, _, answer) = raw(s.addr, &format!("GET /jobs/{id} HTTP/1.1"), b"").await;
        assert_eq!(status, 200);
        let job: Value = serde_json::from_slice(&answer).expect("JSON");
        if job["state"] == "done" {
            assert_eq!(job["done"], 3);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{job}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, _, _) = raw(s.addr, "GET /jobs/999999 HTTP/1.1", b"").await;
    assert_eq!(status, 404);
    let bad = br#"{"steps": 0}"#;
    let (status, _, answer) = raw(
        s.addr,
        &format!(
            "POST /jobs HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: {}",
            bad.len()
        ),
        bad,
    )
    .await;
    assert_eq!(status, 422);
    let problem: Value = serde_json::from_slice(&answer).expect("JSON");
    assert_eq!(problem["errors"][0]["loc"], json!(["body", "steps"]));
}

#[tokio::test]
async fn static_files_are_served() {
    let s = serve().await;
    let (status, head, body) = raw(s.addr, "GET /static/ HTTP/1.1", b"").await;
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(String::from_utf8_lossy(&body).contains("new EventSource"));
    let (status, _, _) = raw(s.addr, "GET /static/nope.js HTTP/1.1", b"").await;
    assert_eq!(status, 404);
}
