//! Server-sent events through a real socket: typed events in the wire format, keep-alive
//! comments while quiet, `Last-Event-ID`, sync handlers, a client that goes away.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ninja_core::prelude::*;
use ninja_core::sse::{Event, Sse};
use tokio::io::AsyncWriteExt as _;

use crate::read_until;
use tokio::net::TcpStream;

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Progress {
    done: u32,
    of: u32,
}

/// Events from `start`, 250 ms apart, `n` of them (0: forever); `dropped` set on drop.
fn progress(start: u32, n: u32, dropped: Option<Arc<AtomicBool>>) -> Sse<Progress> {
    struct Guard(Option<Arc<AtomicBool>>);
    impl Drop for Guard {
        fn drop(&mut self) {
            if let Some(d) = &self.0 {
                d.store(true, Ordering::SeqCst);
            }
        }
    }
    let events = futures_util::stream::unfold((start, Guard(dropped)), move |(i, g)| async move {
        if n != 0 && i >= start + n {
            return None;
        }
        if i > start {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let event = Event::new(Progress {
            done: i,
            of: start + n,
        })
        .event("progress")
        .id(i.to_string());
        Some((event, (i + 1, g)))
    });
    Sse::new(events).keep_alive(Duration::from_millis(100))
}

/// Progress events, resuming after `Last-Event-ID` when the browser sends one.
#[get("/progress")]
async fn progress_events(last_event_id: Header<Option<u32>>) -> Sse<Progress> {
    progress(last_event_id.0.map_or(1, |id| id + 1), 3, None)
}

#[get("/progress-sync")]
fn progress_sync() -> Sse<Progress> {
    progress(1, 2, None)
}

struct Dropped(Arc<AtomicBool>);

#[get("/forever")]
async fn forever(dropped: State<Dropped>) -> Sse<Progress> {
    progress(1, 0, Some(Arc::clone(&dropped.0.0)))
}

async fn start() -> (std::net::SocketAddr, Arc<AtomicBool>) {
    let dropped = Arc::new(AtomicBool::new(false));
    let app = NinjaApi::new("sse", "1")
        .routes(routes![progress_events, progress_sync, forever])
        .state(Dropped(Arc::clone(&dropped)))
        .build()
        .expect("builds");
    let addr = crate::serve_app(app).await;
    (addr, dropped)
}

async fn open(addr: std::net::SocketAddr, path: &str, extra: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.expect("connects");
    s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n{extra}\r\n").as_bytes())
        .await
        .expect("writes");
    s
}

#[tokio::test]
async fn events_keep_alives_and_the_end() {
    let (addr, _) = start().await;
    let mut s = open(addr, "/progress", "").await;
    let all = read_until(&mut s, "\r\n0\r\n\r\n").await;
    assert!(all.contains("content-type: text/event-stream"), "{all}");
    assert!(all.contains("cache-control: no-cache"), "{all}");
    assert!(
        all.contains("event: progress\nid: 1\ndata: {\"done\":1,\"of\":4}\n\n"),
        "{all}"
    );
    assert!(
        all.contains("id: 3\ndata: {\"done\":3,\"of\":4}\n\n"),
        "{all}"
    );
    // 250 ms between events, a keep-alive after each quiet 100 ms.
    assert!(
        all.matches(":\n\n").count() >= 2,
        "keep-alive comments: {all}"
    );
}

#[tokio::test]
async fn last_event_id_resumes_and_sync_handlers_stream_too() {
    let (addr, _) = start().await;
    let mut s = open(addr, "/progress", "last-event-id: 7\r\n").await;
    let all = read_until(&mut s, "\r\n0\r\n\r\n").await;
    assert!(all.contains("id: 8\n"), "{all}");
    assert!(!all.contains("id: 1\n"), "{all}");
    let mut s = open(addr, "/progress-sync", "").await;
    let all = read_until(&mut s, "\r\n0\r\n\r\n").await;
    assert!(all.contains("id: 2\ndata: {\"done\":2,\"of\":3}"), "{all}");
}

#[tokio::test]
async fn a_client_that_goes_away_ends_the_stream() {
    let (addr, dropped) = start().await;
    let mut s = open(addr, "/forever", "").await;
    let _ = read_until(&mut s, "id: 2\n").await;
    assert!(!dropped.load(Ordering::SeqCst));
    drop(s);
    assert!(
        crate::wait_for(&dropped).await,
        "the event stream outlived its client"
    );
}

#[test]
fn documented_as_an_event_stream_of_the_payload() {
    let doc: serde_json::Value = serde_json::from_str(
        &NinjaApi::new("sse", "1")
            .routes(routes![progress_events])
            .openapi_json()
            .expect("a document"),
    )
    .expect("JSON");
    let op = &doc["paths"]["/progress"]["get"];
    // Each event, its `data` the payload as JSON text (OpenAPI 3.2's itemSchema shape).
    let event = &op["responses"]["200"]["content"]["text/event-stream"]["schema"];
    assert_eq!(
        event["properties"]["data"]["contentSchema"]["$ref"],
        "#/components/schemas/Progress"
    );
    assert_eq!(
        event["properties"]["data"]["contentMediaType"],
        "application/json"
    );
    assert_eq!(op["parameters"][0]["in"], "header");
    assert_eq!(op["parameters"][0]["name"], "last-event-id");
}
