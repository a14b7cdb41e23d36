//! Memory while streaming a large body: `cargo run --release -p benches --bin stream-rss [-- --mib 1024]`.
//!
//! Serves a `StreamBody` of `--mib` MiB (64 KiB chunks, each a fresh allocation, as a
//! producer reading a file or a cursor would make) and downloads it over loopback in this
//! same process, discarding what arrives. Prints the bytes received, the time, and the
//! process's resident memory before and at its peak: a body held whole would add its size.

use std::time::Instant;

use bytes::Bytes;
use ninja_core::StreamBody;
use ninja_core::prelude::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const CHUNK: usize = 64 * 1024;

#[get("/big")]
async fn big(mib: u64) -> StreamBody {
    let chunks = (mib * 1024 * 1024).div_ceil(CHUNK as u64);
    let stream = futures_util::stream::iter(
        (0..chunks).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; CHUNK]))),
    );
    StreamBody::new(stream)
}

fn rss_kib(field: &str) -> u64 {
    benches::process::status_field(std::process::id(), field).unwrap_or(0)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mib = benches::scenario::flag("--mib").map_or(1024, |m| m as u64);
    let app = NinjaApi::new("stream-rss", "1")
        .routes(routes![big])
        .build()
        .map_err(std::io::Error::other)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { app.serve_on(listener, std::future::pending()).await });
    let before = rss_kib("VmRSS:");
    let started = Instant::now();
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.write_all(
        format!("GET /big?mib={mib} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes(),
    )
    .await?;
    let mut buf = vec![0u8; CHUNK];
    let mut received: u64 = 0;
    loop {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        received += n as u64;
    }
    let took = started.elapsed();
    let peak = rss_kib("VmHWM:");
    println!(
        "{mib} MiB streamed: {received} bytes received (with chunk framing) in {:.2} s ({:.0} MiB/s); \
         RSS before {:.1} MiB, peak {:.1} MiB (+{:.1} MiB)",
        took.as_secs_f64(),
        received as f64 / 1048576.0 / took.as_secs_f64(),
        before as f64 / 1024.0,
        peak as f64 / 1024.0,
        (peak.saturating_sub(before)) as f64 / 1024.0
    );
    Ok(())
}
