//! Streaming and real-time: SSE, a ranged download, WebSockets, uploads streamed to disk,
//! background jobs, static files.
//!
//! Run with `cargo run --release --example live`, then browse <http://127.0.0.1:8000/static/>
//! (a page using `EventSource` and `WebSocket`) or <http://127.0.0.1:8000/docs>. Uploads go
//! to `LIVE_UPLOADS` (default: a `live-uploads` directory in the system's temp dir).

fn main() -> std::io::Result<()> {
    let uploads = std::env::var_os("LIVE_UPLOADS")
        .map_or_else(|| std::env::temp_dir().join("live-uploads"), Into::into);
    std::fs::create_dir_all(&uploads)?;
    examples::run("live", examples::access_log(examples::live::api(uploads)))
}
