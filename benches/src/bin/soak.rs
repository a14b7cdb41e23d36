//! Resource soak: mixed traffic against Ninja's bench server for a bounded time, sampling
//! its resident memory and open file descriptors; fails unless both stay flat.
//!
//! `cargo run --release -p benches --bin soak -- [--duration 120] [--slice 10]`
//!
//! Traffic, all at once: async and sync JSON hello, path + query, a validated JSON POST,
//! invalid input (422), unknown paths (404), and connection churn (a new connection per
//! request, closed after it). Linux only (`/proc`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use benches::loadgen::{self, Load};
use benches::process::{ServerProcess, open_fds as fds, status_field};
use benches::scenario::flag;
use bytes::Bytes;
use http::Method;

const PORT: u16 = 28_417;

fn rss_kib(pid: u32) -> u64 {
    status_field(pid, "VmRSS:").unwrap_or(0)
}

fn load(path: &str, connections: usize, expect: u16, slice: Duration) -> Load {
    let mut l = Load::get(&format!("http://127.0.0.1:{PORT}{path}"));
    l.connections = connections;
    l.expect_status = expect;
    l.warmup = Duration::ZERO;
    l.duration = slice;
    l
}

/// Opens a connection per request until `until`; the number of answered requests.
fn churn(until: Instant) -> u64 {
    let mut n = 0;
    while Instant::now() < until {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", PORT)) else {
            continue;
        };
        let _ = s.write_all(b"GET /hello HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
        let mut buf = Vec::new();
        if s.read_to_end(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.1 200") {
            n += 1;
        }
    }
    n
}

fn main() {
    let total = Duration::from_secs_f64(flag("--duration").unwrap_or(120.0));
    let slice = Duration::from_secs_f64(flag("--slice").unwrap_or(10.0));
    let server = ServerProcess::start("server-ninja", PORT, false, &[])
        .unwrap_or_else(|e| panic!("{e} (build the benches first)"));
    let pid = server.pid();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let fds_before = fds(pid);
    println!(
        "soak: {total:?} of mixed traffic in {slice:?} slices against server-ninja (pid {pid})"
    );
    println!(
        "fds before: {fds_before}, RSS before: {} KiB\n",
        rss_kib(pid)
    );
    println!("| slice | requests | errors | RSS (KiB) | fds |");
    println!("|---|---|---|---|---|");
    let mut samples = Vec::new();
    let started = Instant::now();
    let mut i = 0;
    while started.elapsed() < total {
        i += 1;
        let mut post = load("/items", 4, 201, slice);
        post.method = Method::POST;
        post.body = Some((
            Bytes::from_static(br#"{"name":"pen","price":150}"#),
            "application/json",
        ));
        let mut bad = load("/items", 2, 422, slice);
        bad.method = Method::POST;
        bad.body = Some((
            Bytes::from_static(br#"{"name":"","price":-1}"#),
            "application/json",
        ));
        let loads = [
            load("/hello", 8, 200, slice),
            load("/hello-sync", 8, 200, slice),
            load("/items/42?q=x", 4, 200, slice),
            post,
            bad,
            load("/nope", 2, 404, slice),
        ];
        let until = Instant::now() + slice;
        let churner = std::thread::spawn(move || churn(until));
        let reports = rt.block_on(async {
            let runs = loads.iter().map(loadgen::run);
            futures_util::future::join_all(runs).await
        });
        let mut requests = churner.join().expect("churn thread");
        let mut errors = 0;
        for r in reports {
            let r = r.expect("the load ran");
            requests += r.requests;
            errors += r.errors;
        }
        let (rss, open) = (rss_kib(pid), fds(pid));
        println!("| {i} | {requests} | {errors} | {rss} | {open} |");
        samples.push((rss, errors));
    }
    std::thread::sleep(Duration::from_secs(1));
    let fds_after = fds(pid);
    let peak = status_field(pid, "VmHWM:").unwrap_or(0);
    println!("\nfds after (1 s idle): {fds_after}; peak RSS {peak} KiB");
    // Flat: after the first slice (allocator and pool warm-up), RSS grows less than 10 %
    // (or 1 MiB) to the end; every connection's fd is given back; no errors.
    let base = samples.get(1).map_or(samples[0].0, |s| s.0);
    let last = samples.last().expect("a slice ran").0;
    let errors: u64 = samples.iter().map(|s| s.1).sum();
    let rss_flat = last <= base + (base / 10).max(1024);
    let fds_flat = fds_after <= fds_before;
    println!(
        "RSS {base} → {last} KiB: {}; fds {fds_before} → {fds_after}: {}; errors: {errors}",
        if rss_flat { "flat" } else { "GROWING" },
        if fds_flat { "flat" } else { "LEAKING" }
    );
    drop(server);
    if !(rss_flat && fds_flat && errors == 0) {
        std::process::exit(1);
    }
}
