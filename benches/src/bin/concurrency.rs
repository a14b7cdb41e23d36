//! The django-ninja async docs' experiment: N concurrent `GET /say-after?delay=3`, one request
//! per connection, all sent at once; how long until every answer is in?
//! `cargo run --release -p benches --bin concurrency [-- --delay 3]`
//!
//! Runs, each against a fresh server pinned to CPU 0 (the client on CPU 1): 100 async and
//! 100 sync (Ninja), 100 async (raw hyper), 10,000 async (Ninja and raw hyper), and 1,000 sync
//! with the blocking pool raised to 1,000 threads. Reports wall time, slowest request, errors,
//! the server's peak RSS and peak thread count (sampled every 20 ms).

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use benches::process::ServerProcess;
use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;

struct Run {
    label: &'static str,
    bin: &'static str,
    path: &'static str,
    n: usize,
    blocking_threads: Option<usize>,
}

const RUNS: [Run; 6] = [
    Run {
        label: "raw hyper, async",
        bin: "server-hyper",
        path: "/say-after",
        n: 100,
        blocking_threads: None,
    },
    Run {
        label: "ninja, async",
        bin: "server-ninja",
        path: "/say-after",
        n: 100,
        blocking_threads: None,
    },
    Run {
        label: "ninja, sync",
        bin: "server-ninja",
        path: "/say-sync",
        n: 100,
        blocking_threads: None,
    },
    Run {
        label: "raw hyper, async",
        bin: "server-hyper",
        path: "/say-after",
        n: 10_000,
        blocking_threads: None,
    },
    Run {
        label: "ninja, async",
        bin: "server-ninja",
        path: "/say-after",
        n: 10_000,
        blocking_threads: None,
    },
    Run {
        label: "ninja, sync (1,000 threads)",
        bin: "server-ninja",
        path: "/say-sync",
        n: 1_000,
        blocking_threads: Some(1_000),
    },
];

fn status_field(pid: u32, field: &str) -> Option<f64> {
    benches::process::status_field(pid, field).map(|v| v as f64)
}

async fn one(port: u16, path: String) -> Result<Duration, String> {
    let start = Instant::now();
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let req = Request::get(path)
        .header("host", "127.0.0.1")
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let res = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let ok = res.status() == 200;
    res.into_body().collect().await.map_err(|e| e.to_string())?;
    if ok {
        Ok(start.elapsed())
    } else {
        Err("not 200".to_owned())
    }
}

fn main() {
    let delay = benches::scenario::flag("--delay").unwrap_or(3.0);
    let pin = std::thread::available_parallelism().map_or(1, usize::from) >= 2;
    if pin {
        let _ = Command::new("taskset")
            .args(["-p", "-c", "1", &std::process::id().to_string()])
            .output();
    }
    benches::process::build_servers();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");

    println!("N concurrent requests, one per connection, each answered after {delay} s\n");
    println!("| server | N | wall time | slowest request | errors | peak RSS | peak threads |");
    println!("|---|---|---|---|---|---|---|");
    for (i, run) in RUNS.iter().enumerate() {
        // Below Linux's ephemeral range (32768-60999), where the client's sockets live.
        let port = 22_000 + u16::try_from(i).expect("few runs");
        let threads_arg = run.blocking_threads.map(|t| t.to_string());
        let args: Vec<&str> = match &threads_arg {
            Some(t) => vec!["--blocking-threads", t],
            None => Vec::new(),
        };
        let child = ServerProcess::start(run.bin, port, pin, &args)
            .unwrap_or_else(|e| panic!("{}: {e}", run.label));
        let pid = child.pid();
        let done = Arc::new(AtomicBool::new(false));
        let sampler = {
            let done = done.clone();
            std::thread::spawn(move || {
                let (mut rss, mut threads) = (0.0f64, 0.0f64);
                while !done.load(Ordering::Relaxed) {
                    rss = rss.max(status_field(pid, "VmRSS:").unwrap_or(0.0));
                    threads = threads.max(status_field(pid, "Threads:").unwrap_or(0.0));
                    std::thread::sleep(Duration::from_millis(20));
                }
                (rss / 1024.0, threads)
            })
        };
        let path = format!("{}?delay={delay}&word=hi", run.path);
        let start = Instant::now();
        let results: Vec<Result<Duration, String>> = rt.block_on(async {
            let tasks: Vec<_> = (0..run.n)
                .map(|_| tokio::spawn(one(port, path.clone())))
                .collect();
            let mut out = Vec::with_capacity(tasks.len());
            for t in tasks {
                out.push(t.await.unwrap_or_else(|e| Err(e.to_string())));
            }
            out
        });
        let wall = start.elapsed();
        done.store(true, Ordering::Relaxed);
        let (rss, threads) = sampler.join().expect("sampler");
        drop(child);
        let errors = results.iter().filter(|r| r.is_err()).count();
        let slowest = results
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .max()
            .copied()
            .unwrap_or_default();
        println!(
            "| {} | {} | {:.3} s | {:.3} s | {} | {:.1} MiB | {} |",
            run.label,
            run.n,
            wall.as_secs_f64(),
            slowest.as_secs_f64(),
            errors,
            rss,
            threads
        );
    }
}
