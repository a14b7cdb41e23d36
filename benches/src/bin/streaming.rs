//! Streaming and long-lived connections, Ninja against axum where both can do it:
//! `cargo run --release -p benches --bin streaming [-- --seconds 5 --rounds 3 --sse 10000
//! --file-mib 256 --upload-mib 1024]`.
//!
//! - **Download**: one file (`--file-mib`) fetched whole, Ninja's `FileResponse` against
//!   tower-http's `ServeFile` under axum, alternating rounds; MiB/s, median of rounds.
//! - **WebSocket echo**: 16 connections each sending a 32-byte text and awaiting its echo,
//!   for `--seconds` per round; round trips/s, median of rounds.
//! - **Uploads**: `--upload-mib` sent raw (`BodyStream`) and as a multipart file (spooled to
//!   disk) to a fresh Ninja process; its peak RSS (`VmHWM`) after each.
//! - **Idle SSE clients**: `--sse` subscribers of an event stream that has gone quiet; the
//!   server's RSS before and after, and what that makes per GiB.
//!
//! The servers are `server-ninja-live` and `server-axum-live`, separate processes; the
//! client runs on one thread here. Ratios are the thing to read: the machine is shared.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use benches::process::{ServerProcess, free_port, median, status_field};
use benches::scenario::flag;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

fn start(bin: &str, args: &[&str]) -> (ServerProcess, SocketAddr) {
    let port = free_port();
    let server = ServerProcess::start(bin, port, false, args).expect("the server starts");
    (server, SocketAddr::from(([127, 0, 0, 1], port)))
}

/// Downloads `path` whole, discarding it; MiB/s of body.
async fn download(addr: SocketAddr, path: &str, expected: u64) -> f64 {
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).await.expect("connects");
    s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes())
        .await
        .expect("writes");
    let mut buf = vec![0u8; 256 << 10];
    let mut got = 0u64;
    loop {
        let n = s.read(&mut buf).await.expect("reads");
        if n == 0 {
            break;
        }
        got += n as u64;
    }
    assert!(got >= expected, "short download: {got} < {expected}");
    expected as f64 / 1048576.0 / started.elapsed().as_secs_f64()
}

/// 16 echo loops for `secs`; round trips per second.
async fn ws_echo(addr: SocketAddr, secs: f64) -> f64 {
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let loops = (0..16).map(|_| async move {
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
            .await
            .expect("upgrades");
        let text = "0123456789abcdef0123456789abcdef";
        let mut n = 0u64;
        while Instant::now() < until {
            ws.send(Message::text(text)).await.expect("sends");
            match ws.next().await {
                Some(Ok(Message::Text(t))) if t.as_str() == text => n += 1,
                other => panic!("not an echo: {other:?}"),
            }
        }
        let _ = ws.close(None).await;
        n
    });
    let total: u64 = futures_util::future::join_all(loops)
        .await
        .into_iter()
        .sum();
    total as f64 / secs
}

/// Sends `mib` MiB to `path`, as a raw body or wrapped in one multipart file part.
async fn upload(addr: SocketAddr, path: &str, mib: u64, multipart: bool) -> String {
    let (head, tail) = if multipart {
        (
            "--XyZ\r\ncontent-disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\
             content-type: application/octet-stream\r\n\r\n"
                .to_owned(),
            "\r\n--XyZ--\r\n".to_owned(),
        )
    } else {
        (String::new(), String::new())
    };
    let len = mib << 20;
    let content_type = if multipart {
        "multipart/form-data; boundary=XyZ"
    } else {
        "application/octet-stream"
    };
    let mut s = TcpStream::connect(addr).await.expect("connects");
    s.write_all(
        format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n{head}",
            len + head.len() as u64 + tail.len() as u64
        )
        .as_bytes(),
    )
    .await
    .expect("writes");
    let block = vec![b'u'; 256 << 10];
    for _ in 0..len / block.len() as u64 {
        s.write_all(&block).await.expect("writes");
    }
    s.write_all(tail.as_bytes()).await.expect("writes");
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.expect("reads");
    answer.lines().last().unwrap_or_default().to_owned()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let secs = flag("--seconds").unwrap_or(5.0);
    let rounds = flag("--rounds").map_or(3, |r| r as usize);
    let sse = flag("--sse").map_or(10_000, |n| n as usize);
    let file_mib = flag("--file-mib").map_or(256, |n| n as u64);
    let upload_mib = flag("--upload-mib").map_or(1024, |n| n as u64);
    benches::process::build_servers();

    let dir = tempfile_dir();
    let file = dir.join("download.bin");
    let bytes: Vec<u8> = (0..(file_mib << 20)).map(|i| (i % 253) as u8).collect();
    std::fs::write(&file, &bytes).expect("the file is written");
    drop(bytes);
    let file_arg = file.to_str().expect("a UTF-8 path");

    let (ninja, ninja_addr) = start("server-ninja-live", &["--file", file_arg]);
    let (axum, axum_addr) = start("server-axum-live", &["--file", file_arg]);

    // A warm-up each (page cache, allocators, first connections), not counted.
    download(ninja_addr, "/file", file_mib << 20).await;
    download(axum_addr, "/file", file_mib << 20).await;
    let (mut n_dl, mut a_dl, mut n_ws, mut a_ws) = (vec![], vec![], vec![], vec![]);
    for round in 0..rounds {
        // Who goes first alternates, so neither always meets a warmer machine.
        for first in [round % 2 == 0, round % 2 != 0] {
            if first {
                n_dl.push(download(ninja_addr, "/file", file_mib << 20).await);
                n_ws.push(ws_echo(ninja_addr, secs).await);
            } else {
                a_dl.push(download(axum_addr, "/file", file_mib << 20).await);
                a_ws.push(ws_echo(axum_addr, secs).await);
            }
        }
    }
    let (n_dl, a_dl, n_ws, a_ws) = (median(n_dl), median(a_dl), median(n_ws), median(a_ws));
    println!("| streaming ({rounds} rounds, medians) | Ninja | axum | Ninja / axum |");
    println!("|---|---:|---:|---:|");
    println!(
        "| download {file_mib} MiB file (MiB/s) | {n_dl:.0} | {a_dl:.0} | {:.2}× |",
        n_dl / a_dl
    );
    println!(
        "| WebSocket echo, 16 connections (round trips/s) | {n_ws:.0} | {a_ws:.0} | {:.2}× |",
        n_ws / a_ws
    );
    drop((ninja, axum));

    // Memory, each on a fresh process: VmHWM is a high-water mark for the process's life.
    println!();
    println!("| memory (a fresh Ninja process each) | RSS before | peak RSS after |");
    println!("|---|---:|---:|");
    for (what, path, multipart) in [
        ("raw body (`BodyStream`)", "/upload", false),
        ("multipart file (spooled to disk)", "/multipart", true),
    ] {
        let (server, addr) = start("server-ninja-live", &[]);
        let pid = server.pid();
        let before = status_field(pid, "VmRSS:").unwrap_or(0);
        let started = Instant::now();
        let answer = upload(addr, path, upload_mib, multipart).await;
        let took = started.elapsed().as_secs_f64();
        let peak = status_field(pid, "VmHWM:").unwrap_or(0);
        println!(
            "| upload {upload_mib} MiB, {what}: `{answer}` in {took:.1} s ({:.0} MiB/s) | {:.1} MiB | {:.1} MiB |",
            upload_mib as f64 / took,
            mib(before),
            mib(peak)
        );
    }

    let (server, addr) = start("server-ninja-live", &[]);
    let pid = server.pid();
    // Warm up the allocator and the runtime with a few before the baseline.
    let mut clients = Vec::with_capacity(sse);
    for _ in 0..10 {
        clients.push(subscribe(addr).await);
    }
    let before = status_field(pid, "VmRSS:").unwrap_or(0);
    let started = Instant::now();
    for _ in 10..sse {
        clients.push(subscribe(addr).await);
    }
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = status_field(pid, "VmRSS:").unwrap_or(0);
    let per_client = (after.saturating_sub(before)) as f64 / (sse - 10) as f64;
    println!(
        "| {sse} idle SSE clients (connected in {:.1} s) | {:.1} MiB | {:.1} MiB: {per_client:.1} KiB each, {:.0} clients per GiB |",
        took.as_secs_f64(),
        mib(before),
        mib(after),
        1048576.0 / per_client
    );
    drop(clients);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// One SSE subscriber, connected and past its first event.
async fn subscribe(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.expect("connects");
    s.write_all(b"GET /events HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n\r\n")
        .await
        .expect("writes");
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while !got.windows(7).any(|w| w == b"data: 0") {
        let n = s.read(&mut buf).await.expect("reads");
        assert!(n > 0, "the stream closed");
        got.extend_from_slice(&buf[..n]);
    }
    s
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ninja-streaming-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}
