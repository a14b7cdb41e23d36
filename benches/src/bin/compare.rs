//! Ninja against raw hyper and axum, side by side:
//! `cargo run --release -p benches --bin compare [-- --rounds 5 --duration 10 --warmup 2 -c 64
//! --filter sync]`.
//!
//! Builds the servers, starts each pinned to CPU 0 (when there are two or more) while the load
//! runs from this process pinned to CPU 1, interleaves the rounds (every server once per
//! scenario per round, in rotating order), and prints per scenario: median req/s, min–max,
//! median p50 and p99 latency, the ratio to raw hyper's median, and the server's peak RSS.

use std::process::Command;
use std::time::Duration;

use benches::loadgen::{self, Load, Report};
use benches::process::ServerProcess;
use bytes::Bytes;

struct Server {
    name: &'static str,
    bin: &'static str,
}

/// `server-ninja-before`, when present beside the others, is a build of an earlier commit
/// (copied there by hand) for before/after rows in one run; its rows are skipped otherwise.
const SERVERS: [Server; 4] = [
    Server {
        name: "raw hyper",
        bin: "server-hyper",
    },
    Server {
        name: "axum",
        bin: "server-axum",
    },
    Server {
        name: "ninja",
        bin: "server-ninja",
    },
    Server {
        name: "ninja (before)",
        bin: "server-ninja-before",
    },
];

/// A scenario: per server, the path it is served at (`None`: not run against that server).
struct Scenario {
    name: &'static str,
    method: &'static str,
    expect: u16,
    paths: &'static [(&'static str, Option<&'static str>)],
}

/// The row of each scenario: (label, server binary, path).
const SCENARIOS: [Scenario; 5] = [
    Scenario {
        name: "GET /hello (small JSON)",
        method: "GET",
        expect: 200,
        paths: &[
            ("raw hyper", Some("/hello")),
            ("axum", Some("/hello")),
            ("ninja async", Some("/hello")),
            ("ninja async (before)", Some("/hello")),
            ("ninja sync", Some("/hello-sync")),
            ("ninja sync inline", Some("/hello-inline")),
        ],
    },
    Scenario {
        name: "GET /items/42?q=x (path + query)",
        method: "GET",
        expect: 200,
        paths: &[
            ("raw hyper", Some("/items/42?q=x")),
            ("axum", Some("/items/42?q=x")),
            ("ninja async", Some("/items/42?q=x")),
            ("ninja async (before)", Some("/items/42?q=x")),
            ("ninja sync", Some("/items-sync/42?q=x")),
            ("ninja sync inline", Some("/items-inline/42?q=x")),
        ],
    },
    Scenario {
        name: "POST /items (JSON body, validated)",
        method: "POST",
        expect: 201,
        paths: &[
            ("raw hyper", Some("/items")),
            ("axum", Some("/items")),
            ("ninja async", Some("/items")),
            ("ninja sync", None),
            ("ninja sync inline", None),
        ],
    },
    Scenario {
        name: "GET /hello through trace + request id + CORS (`--stack`)",
        method: "GET",
        expect: 200,
        paths: &[
            ("raw hyper", Some("/hello")),
            // The same layers around raw hyper's handler: the most any framework could be
            // over axum with them.
            ("raw hyper + stack", Some("/hello")),
            ("axum + stack", Some("/hello")),
            ("ninja async + stack", Some("/hello")),
            ("ninja async + stack (before)", Some("/hello")),
        ],
    },
    Scenario {
        name: "GET /nope (404)",
        method: "GET",
        expect: 404,
        paths: &[
            ("raw hyper", Some("/nope")),
            ("axum", Some("/nope")),
            ("ninja async", Some("/nope")),
            ("ninja async (before)", Some("/nope")),
            ("ninja sync", None),
            ("ninja sync inline", None),
        ],
    },
];

fn server_of(label: &str) -> &'static Server {
    let bin = match label {
        l if l.starts_with("raw hyper") => "server-hyper",
        l if l.starts_with("axum") => "server-axum",
        l if l.ends_with("(before)") => "server-ninja-before",
        _ => "server-ninja",
    };
    SERVERS
        .iter()
        .find(|s| s.bin == bin)
        .expect("a known server")
}

struct Options {
    rounds: usize,
    load: Load,
    /// Only the variants whose label contains this (raw hyper, the baseline, always runs).
    filter: Option<String>,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |n: &str| {
        args.iter()
            .position(|a| a == n)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<f64>().ok())
    };
    let mut load = Load::get("http://127.0.0.1:1/");
    load.duration = Duration::from_secs_f64(flag("--duration").unwrap_or(5.0));
    load.warmup = Duration::from_secs_f64(flag("--warmup").unwrap_or(1.0));
    load.connections = flag("-c").map_or(64, |c| c as usize);
    Options {
        rounds: flag("--rounds").map_or(3, |r| r as usize),
        load,
        filter: args
            .iter()
            .position(|a| a == "--filter")
            .and_then(|i| args.get(i + 1))
            .cloned(),
    }
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Peak resident memory (VmHWM) of a process, in MiB.
fn peak_rss_mib(pid: u32) -> f64 {
    benches::process::status_field(pid, "VmHWM:").map_or(f64::NAN, |kb| kb as f64 / 1024.0)
}

#[derive(Default)]
struct Samples {
    rates: Vec<f64>,
    p50: Vec<u64>,
    p99: Vec<u64>,
    errors: u64,
    rss: f64,
}

fn median<T: Copy + PartialOrd>(v: &[T]) -> Option<T> {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).expect("comparable"));
    s.get(s.len() / 2).copied()
}

fn main() {
    let opts = options();
    let pin = cpus() >= 2 && Command::new("taskset").arg("-V").output().is_ok();
    if pin {
        let _ = Command::new("taskset")
            .args(["-p", "-c", "1", &std::process::id().to_string()])
            .output();
    }
    println!(
        "building servers; then {} round(s) of {:?} per run after {:?} warm-up, {} connections, servers {}",
        opts.rounds,
        opts.load.duration,
        opts.load.warmup,
        opts.load.connections,
        if pin {
            "pinned to CPU 0, load on CPU 1"
        } else {
            "not pinned (one CPU)"
        }
    );
    benches::process::build_servers();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // samples[scenario][variant]
    let mut samples: Vec<Vec<Samples>> = SCENARIOS
        .iter()
        .map(|s| s.paths.iter().map(|_| Samples::default()).collect())
        .collect();
    // Below Linux's ephemeral range (32768-60999), where the load's own sockets live.
    let mut port = 21_000u16;
    for round in 0..opts.rounds {
        eprintln!("round {}/{}", round + 1, opts.rounds);
        for (si, scenario) in SCENARIOS.iter().enumerate() {
            let n = scenario.paths.len();
            for k in 0..n {
                let vi = (k + round) % n; // rotate who goes first
                let (label, Some(path)) = scenario.paths[vi] else {
                    continue;
                };
                let filtered_out = opts
                    .filter
                    .as_ref()
                    .is_some_and(|f| !label.contains(f.as_str()));
                if label != "raw hyper" && filtered_out {
                    continue;
                }
                let server = server_of(label);
                port += 1;
                let args: &[&str] = if label.contains("+ stack") {
                    &["--stack"]
                } else {
                    &[]
                };
                let child = match ServerProcess::start(server.bin, port, pin, args) {
                    Ok(child) => child,
                    Err(e) => {
                        eprintln!(
                            "warning: {e}; this measurement ({}) is skipped",
                            server.name
                        );
                        continue;
                    }
                };
                let mut load = opts.load.clone();
                load.url = format!("http://127.0.0.1:{port}{path}")
                    .parse()
                    .expect("a URL");
                load.expect_status = scenario.expect;
                if scenario.method == "POST" {
                    load.method = http::Method::POST;
                    load.body = Some((
                        Bytes::from_static(benches::scenario::NEW_ITEM.as_bytes()),
                        "application/json",
                    ));
                }
                let report: Report = rt.block_on(loadgen::run(&load)).expect("the load ran");
                let s = &mut samples[si][vi];
                s.rates.push(report.rate());
                s.p50.push(report.percentile_us(50.0));
                s.p99.push(report.percentile_us(99.0));
                s.errors += report.errors;
                s.rss = s.rss.max(peak_rss_mib(child.pid()));
            }
        }
    }
    for (si, scenario) in SCENARIOS.iter().enumerate() {
        println!("\n### {}\n", scenario.name);
        println!(
            "| server | req/s (median) | min–max | p50 | p99 | vs raw hyper | peak RSS | errors |"
        );
        println!("|---|---|---|---|---|---|---|---|");
        let base = median(&samples[si][0].rates).unwrap_or(f64::NAN);
        for (vi, (label, path)) in scenario.paths.iter().enumerate() {
            if path.is_none() {
                continue;
            }
            let s = &samples[si][vi];
            if s.rates.is_empty() {
                continue;
            }
            let med = median(&s.rates).unwrap_or(f64::NAN);
            let min = s.rates.iter().copied().fold(f64::INFINITY, f64::min);
            let max = s.rates.iter().copied().fold(0.0, f64::max);
            println!(
                "| {label} | {med:.0} | {min:.0}–{max:.0} | {} µs | {} µs | {:.2}× | {:.1} MiB | {} |",
                median(&s.p50).unwrap_or(0),
                median(&s.p99).unwrap_or(0),
                med / base,
                s.rss,
                s.errors
            );
        }
    }
}
