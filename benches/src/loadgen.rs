//! A closed-loop HTTP/1.1 load generator: a fixed number of keep-alive connections, each
//! sending its next request as soon as the previous answer is read; a warm-up that is not
//! counted; latencies in an HDR histogram.

use std::io;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http::{Method, Request, Uri, header};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

/// What to send, how hard, for how long.
#[derive(Debug, Clone)]
pub struct Load {
    /// The URL, `http://host:port/path?query`.
    pub url: Uri,
    /// The method.
    pub method: Method,
    /// The body and its content type, if any.
    pub body: Option<(Bytes, &'static str)>,
    /// The status every answer must have; another one counts as an error.
    pub expect_status: u16,
    /// Concurrent keep-alive connections.
    pub connections: usize,
    /// Time spent sending before measuring starts.
    pub warmup: Duration,
    /// Time measured.
    pub duration: Duration,
}

impl Load {
    /// A `GET` of `url` expecting 200, 64 connections, 1 s warm-up, 5 s measured.
    ///
    /// # Panics
    /// If `url` is not a valid URI.
    #[must_use]
    pub fn get(url: &str) -> Self {
        Self {
            url: url.parse().expect("a valid URL"),
            method: Method::GET,
            body: None,
            expect_status: 200,
            connections: 64,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(5),
        }
    }
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// Answers with the expected status, within the measured time.
    pub requests: u64,
    /// Failed requests and answers with another status.
    pub errors: u64,
    /// The measured time.
    pub elapsed: Duration,
    /// Latencies of the counted requests, in microseconds.
    pub latency_us: Histogram<u64>,
}

impl Report {
    /// Requests per second.
    #[must_use]
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// A latency percentile in microseconds.
    #[must_use]
    pub fn percentile_us(&self, p: f64) -> u64 {
        self.latency_us.value_at_quantile(p / 100.0)
    }
}

/// Runs `load` and reports. Every connection runs on the caller's runtime.
///
/// # Errors
/// When the URL has no host, or no connection can be made at all.
pub async fn run(load: &Load) -> io::Result<Report> {
    let host = load
        .url
        .host()
        .ok_or_else(|| io::Error::other("the URL has no host"))?
        .to_owned();
    let port = load.url.port_u16().unwrap_or(80);
    let start = Instant::now();
    let measure_from = start + load.warmup;
    let end = measure_from + load.duration;
    let mut tasks = Vec::with_capacity(load.connections);
    for _ in 0..load.connections {
        let (load, host) = (load.clone(), host.clone());
        tasks.push(tokio::spawn(async move {
            connection(&load, &host, port, measure_from, end).await
        }));
    }
    let mut total = Report {
        requests: 0,
        errors: 0,
        elapsed: load.duration,
        latency_us: new_histogram(),
    };
    let mut connected = false;
    for t in tasks {
        let (report, ok) = t.await.map_err(io::Error::other)?;
        connected |= ok;
        total.requests += report.requests;
        total.errors += report.errors;
        total
            .latency_us
            .add(&report.latency_us)
            .map_err(io::Error::other)?;
    }
    if !connected {
        return Err(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "no connection could be made",
        ));
    }
    Ok(total)
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// One connection's loop; reconnects after an error. Returns whether it ever connected.
async fn connection(
    load: &Load,
    host: &str,
    port: u16,
    measure_from: Instant,
    end: Instant,
) -> (Report, bool) {
    let mut report = Report {
        requests: 0,
        errors: 0,
        elapsed: load.duration,
        latency_us: new_histogram(),
    };
    let mut ever_connected = false;
    let path = load
        .url
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let authority = format!("{host}:{port}");
    while Instant::now() < end {
        let Ok(stream) = tokio::net::TcpStream::connect((host, port)).await else {
            report.errors += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let Ok((mut sender, conn)) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
        else {
            report.errors += 1;
            continue;
        };
        ever_connected = true;
        tokio::spawn(conn);
        loop {
            let now = Instant::now();
            if now >= end {
                break;
            }
            let mut req = Request::builder()
                .method(load.method.clone())
                .uri(path.as_str())
                .header(header::HOST, authority.as_str());
            let body = match &load.body {
                Some((bytes, content_type)) => {
                    req = req.header(header::CONTENT_TYPE, *content_type);
                    Full::new(bytes.clone())
                }
                None => Full::default(),
            };
            let req = req.body(body).expect("a valid request");
            let ok = match sender.send_request(req).await {
                Ok(res) => {
                    let status = res.status().as_u16();
                    res.into_body().collect().await.is_ok() && status == load.expect_status
                }
                Err(_) => false,
            };
            if now >= measure_from {
                if ok {
                    report.requests += 1;
                    let us = u64::try_from(now.elapsed().as_micros()).unwrap_or(u64::MAX);
                    let _ = report.latency_us.record(us.max(1));
                } else {
                    report.errors += 1;
                }
            }
            if !ok || sender.ready().await.is_err() {
                break;
            }
        }
    }
    (report, ever_connected)
}
