//! The typed client against `reqwest` doing the same calls by hand, on the same server:
//! `cargo run --release -p benches --bin client [-- --seconds 3 --rounds 3]`.
//!
//! Both call `GET /items/{id}?q=..` of `server-ninja` (a separate process pinned to CPU 0)
//! and decode the JSON into the same type, reqwest configured as the typed client
//! configures it, closed-loop with 1 and 64 calls in flight, over
//! HTTP/1.1 (a pool) and HTTP/2 (one multiplexed connection); rounds alternate between
//! them. Prints requests/s (median of rounds), p99 (over all rounds) and the typed
//! client's ratio to `reqwest`. The machine is shared: read the ratios.
//!
//! `--calls N` (typed; with `--raw 1`, reqwest by hand) instead makes N calls one after
//! another over HTTP/1.1 and exits: for callgrind (or `perf stat -e instructions:u`) on this
//! process, whose difference between two N is the client's own instructions per call.

use std::sync::Arc;
use std::time::{Duration, Instant};

use benches::process::{ServerProcess, free_port, median};
use benches::scenario::{ItemOut, flag};
use hdrhistogram::Histogram;
use ninja_core::Json;
use ninja_core::client::Client;

/// The bench server's item route, as a definition: the typed client comes from it.
#[ninja_core::api]
trait Bench {
    #[get("/items/{id}")]
    fn item(id: u32, q: Option<String>) -> Json<ItemOut>;
}

#[derive(Clone)]
enum Caller {
    Typed(BenchClient),
    Raw(reqwest::Client, Arc<str>),
}

impl Caller {
    async fn call(&self, id: u32) -> ItemOut {
        match self {
            Self::Typed(c) => c
                .item(id, Some("bench".to_owned()))
                .await
                .expect("answered"),
            Self::Raw(c, base) => {
                let res = c
                    .get(format!("{base}/items/{id}?q=bench"))
                    .send()
                    .await
                    .expect("answered");
                assert!(res.status().is_success(), "{}", res.status());
                let body = res.bytes().await.expect("body");
                serde_json::from_slice(&body).expect("an item")
            }
        }
    }
}

/// `inflight` callers for `seconds`: (requests/s, latencies).
async fn round(caller: &Caller, inflight: usize, seconds: f64) -> (f64, Histogram<u64>) {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..inflight)
        .map(|t| {
            let caller = caller.clone();
            tokio::spawn(async move {
                let mut hist = Histogram::<u64>::new(3).expect("histogram");
                let mut id = u32::try_from(t).expect("few");
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let item = caller.call(id).await;
                    assert_eq!(item.id, id);
                    let us = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                    hist.record(us.max(1)).expect("recorded");
                    id = id.wrapping_add(64);
                }
                hist
            })
        })
        .collect();
    let mut all = Histogram::<u64>::new(3).expect("histogram");
    for t in tasks {
        all.add(t.await.expect("task")).expect("merged");
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    (rate, all)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    if let Some(calls) = flag("--calls") {
        let port = free_port();
        let _server =
            ServerProcess::start("server-ninja", port, true, &[]).expect("the server starts");
        let base = format!("http://127.0.0.1:{port}");
        let caller = if flag("--raw").is_some() {
            Caller::Raw(
                reqwest::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .tcp_nodelay(true)
                    .build()
                    .expect("client"),
                Arc::from(base.as_str()),
            )
        } else {
            Caller::Typed(BenchClient::new(&base).expect("client"))
        };
        for i in 0..calls as u32 {
            caller.call(i).await;
        }
        return;
    }
    let seconds = flag("--seconds").unwrap_or(3.0);
    let rounds = flag("--rounds").map_or(3, |r| r as usize);
    let port = free_port();
    let _server = ServerProcess::start("server-ninja", port, true, &[]).expect("the server starts");
    let base = format!("http://127.0.0.1:{port}");
    println!(
        "| protocol | in flight | typed req/s | reqwest req/s | ratio | typed p99 µs | reqwest p99 µs |"
    );
    println!("|---|---|---|---|---|---|---|");
    for http2 in [false, true] {
        for inflight in [1, 64] {
            let builder = || {
                let b = Client::builder(&base);
                if http2 { b.http2() } else { b }
            };
            let typed = Caller::Typed(BenchClient::from_client(builder().build().expect("client")));
            // reqwest set up as the typed client sets it up (its defaults: a 30 s timeout per
            // call, 10 s to connect, TCP keep-alive, no redirects), so the ratio is the
            // typed layer's cost alone.
            let mut raw = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .connect_timeout(Duration::from_secs(10))
                .tcp_keepalive(Duration::from_secs(60))
                .tcp_nodelay(true)
                .redirect(reqwest::redirect::Policy::none());
            if http2 {
                raw = raw.http2_prior_knowledge();
            }
            let raw = Caller::Raw(raw.build().expect("client"), Arc::from(base.as_str()));
            // Warm both pools.
            round(&typed, inflight, 0.3).await;
            round(&raw, inflight, 0.3).await;
            let (mut typed_rates, mut raw_rates) = (Vec::new(), Vec::new());
            let mut typed_hist = Histogram::<u64>::new(3).expect("histogram");
            let mut raw_hist = typed_hist.clone();
            for r in 0..rounds {
                // Alternate which goes first, so drift of the machine hits both alike.
                let order = if r % 2 == 0 {
                    [&typed, &raw]
                } else {
                    [&raw, &typed]
                };
                for caller in order {
                    let (rate, hist) = round(caller, inflight, seconds).await;
                    if matches!(caller, Caller::Typed(_)) {
                        typed_rates.push(rate);
                        typed_hist.add(hist).expect("merged");
                    } else {
                        raw_rates.push(rate);
                        raw_hist.add(hist).expect("merged");
                    }
                }
            }
            let (t, r) = (median(typed_rates), median(raw_rates));
            println!(
                "| {} | {inflight} | {t:.0} | {r:.0} | {:.3}× | {} | {} |",
                if http2 { "HTTP/2" } else { "HTTP/1.1" },
                t / r,
                typed_hist.value_at_quantile(0.99),
                raw_hist.value_at_quantile(0.99),
            );
        }
    }
}
