//! Load-test any URL: `loadgen URL [-c CONNECTIONS] [-d SECONDS] [-w WARMUP] [--post BODY]
//! [--expect STATUS]`. Prints requests/s, errors and latency percentiles.

use std::time::Duration;

use benches::loadgen::{self, Load};
use bytes::Bytes;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(url) = args.iter().find(|a| a.starts_with("http://")) else {
        eprintln!(
            "usage: loadgen http://HOST:PORT/PATH [-c 64] [-d 5] [-w 1] [--post JSON] [--expect 200]"
        );
        std::process::exit(2);
    };
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let mut load = Load::get(url);
    if let Some(c) = flag("-c").and_then(|v| v.parse().ok()) {
        load.connections = c;
    }
    if let Some(d) = flag("-d").and_then(|v| v.parse().ok()) {
        load.duration = Duration::from_secs_f64(d);
    }
    if let Some(w) = flag("-w").and_then(|v| v.parse().ok()) {
        load.warmup = Duration::from_secs_f64(w);
    }
    if let Some(body) = flag("--post") {
        load.method = http::Method::POST;
        load.body = Some((Bytes::from(body.clone()), "application/json"));
    }
    if let Some(s) = flag("--expect").and_then(|v| v.parse().ok()) {
        load.expect_status = s;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let r = rt.block_on(loadgen::run(&load))?;
    println!(
        "{:.0} req/s, {} requests, {} errors, latency p50 {} µs, p90 {} µs, p99 {} µs, max {} µs",
        r.rate(),
        r.requests,
        r.errors,
        r.percentile_us(50.0),
        r.percentile_us(90.0),
        r.percentile_us(99.0),
        r.latency_us.max()
    );
    Ok(())
}
