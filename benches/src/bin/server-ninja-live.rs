//! Ninja's streaming routes for `streaming`: a file (`--file PATH`) with `FileResponse`, a
//! WebSocket echo, an idle SSE stream, and a raw and a multipart upload.

use std::path::PathBuf;
use std::time::Duration;

use benches::scenario;
use ninja_core::prelude::*;
use ninja_core::sse::{Event, Sse};
use ninja_core::ws::{Message, WebSocketResponse, WebSocketUpgrade};
use ninja_core::{BodyStream, FileResponse, ServedFile};

struct File(PathBuf);

#[get("/file")]
async fn file(f: State<File>, head: RequestHead) -> ServedFile {
    FileResponse::new(f.0.0.clone()).serve(&head).await
}

#[get("/ws")]
async fn echo(ws: WebSocketUpgrade) -> WebSocketResponse {
    ws.on_upgrade(|mut socket| async move {
        while let Some(Ok(msg)) = socket.recv().await {
            if matches!(msg, Message::Text(_) | Message::Binary(_))
                && socket.send(msg).await.is_err()
            {
                break;
            }
        }
    })
}

/// One event, then nothing but keep-alive comments: an idle subscriber.
#[get("/events")]
async fn events() -> Sse<u32> {
    let first = futures_util::stream::once(async { Event::new(0) });
    Sse::new(futures_util::StreamExt::chain(
        first,
        futures_util::stream::pending(),
    ))
    .keep_alive(Duration::from_secs(15))
}

/// Reads a raw body of any size, keeping none of it.
#[post("/upload", body_limit = 8 << 30)]
async fn upload(mut body: BodyStream) -> Result<String, Problem> {
    let mut n = 0;
    while let Some(chunk) = body.chunk().await {
        n += chunk?.len();
    }
    Ok(n.to_string())
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Form {
    file: UploadedFile,
}

/// A multipart file, spooled to disk above 1 MiB.
#[post("/multipart", body_limit = 8 << 30)]
async fn multipart(Multipart(form): Multipart<Form>) -> String {
    format!(
        "{} on disk: {}",
        form.file.len(),
        form.file.path().is_some()
    )
}

fn main() -> std::io::Result<()> {
    let path = std::env::args()
        .skip_while(|a| a != "--file")
        .nth(1)
        .unwrap_or_else(|| "/dev/null".to_owned());
    NinjaApi::new("live bench", "1")
        .state(File(path.into()))
        .max_connections(50_000)
        .routes(routes![file, echo, events, upload, multipart])
        .serve(scenario::addr_arg())
}
