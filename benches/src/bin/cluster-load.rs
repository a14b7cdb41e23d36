//! The load of `scripts/cluster.sh`, against the notes API behind a load balancer.
//!
//! `cluster-load mixed URL --token T [-c 16] [--writes-per-s 4] --until FILE --out DIR`:
//! closed-loop clients reading notes (`GET /notes/{id}`, `GET /notes?limit=5`) and, paced
//! to `--writes-per-s` in all, creating them (`POST /notes`, bearer `T`), until `FILE`
//! exists (at most 10 minutes). Writes every failed request to `DIR/failures.tsv` (unix
//! ms, what, error) and every created note's title to `DIR/committed.txt`; prints a JSON
//! summary.
//!
//! `cluster-load burst URL --token T [-c 16] [-n 1000]`: `n` creations as fast as `c`
//! clients can send them; prints how many were let through (201) and refused (429), and
//! the time it took, as JSON.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Method, Request, header};
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;

struct Args {
    host: String,
    port: u16,
    token: String,
    clients: usize,
    writes_per_s: f64,
    until: Option<std::path::PathBuf>,
    out: Option<std::path::PathBuf>,
    n: u64,
}

fn args() -> (String, Args) {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let usage = || -> ! {
        eprintln!(
            "usage: cluster-load mixed|burst http://HOST:PORT --token T [-c 16] [--writes-per-s 4] [--until FILE] [--out DIR] [-n 1000]"
        );
        std::process::exit(2)
    };
    let flag = |name: &str| {
        all.iter()
            .position(|a| a == name)
            .and_then(|i| all.get(i + 1))
    };
    let mode = all.first().cloned().unwrap_or_else(|| usage());
    let url: http::Uri = all
        .get(1)
        .and_then(|u| u.parse().ok())
        .unwrap_or_else(|| usage());
    let args = Args {
        host: url.host().unwrap_or("127.0.0.1").to_owned(),
        port: url.port_u16().unwrap_or(80),
        token: flag("--token").cloned().unwrap_or_else(|| usage()),
        clients: flag("-c").and_then(|v| v.parse().ok()).unwrap_or(16),
        writes_per_s: flag("--writes-per-s")
            .and_then(|v| v.parse().ok())
            .unwrap_or(4.0),
        until: flag("--until").map(Into::into),
        out: flag("--out").map(Into::into),
        n: flag("-n").and_then(|v| v.parse().ok()).unwrap_or(1000),
    };
    (mode, args)
}

fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// One keep-alive connection that reconnects after a failure.
struct Client {
    host: String,
    port: u16,
    sender: Option<hyper::client::conn::http1::SendRequest<Full<Bytes>>>,
}

impl Client {
    /// Sends one request: the status and body, or what went wrong.
    async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<(String, &str)>,
    ) -> Result<(u16, Bytes), String> {
        if self.sender.as_mut().is_none_or(|s| s.is_closed()) {
            let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let _ = stream.set_nodelay(true);
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            tokio::spawn(conn);
            self.sender = Some(sender);
        }
        let sender = self.sender.as_mut().expect("connected above");
        if sender.ready().await.is_err() {
            self.sender = None;
            return Err("connection closed".to_owned());
        }
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, format!("{}:{}", self.host, self.port));
        let body = match body {
            Some((text, token)) => {
                req = req
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::AUTHORIZATION, format!("Bearer {token}"));
                Full::new(Bytes::from(text))
            }
            None => Full::default(),
        };
        let result = async {
            let res = sender
                .send_request(req.body(body).map_err(|e| e.to_string())?)
                .await
                .map_err(|e| format!("request: {e}"))?;
            let status = res.status().as_u16();
            let bytes = res
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("body: {e}"))?
                .to_bytes();
            Ok((status, bytes))
        }
        .await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }
}

#[derive(Default)]
struct Tally {
    statuses: Mutex<BTreeMap<String, u64>>,
    failures: Mutex<Vec<(u128, String, String)>>,
    committed: Mutex<Vec<String>>,
    ids: Mutex<Vec<i64>>,
}

impl Tally {
    fn count(&self, what: &str, outcome: &Result<(u16, Bytes), String>) {
        let key = match outcome {
            Ok((s, _)) => format!("{what} {s}"),
            Err(_) => format!("{what} failed"),
        };
        *self
            .statuses
            .lock()
            .expect("no panics")
            .entry(key)
            .or_default() += 1;
    }
}

async fn mixed(a: Args) -> std::io::Result<()> {
    let tally = Arc::new(Tally::default());
    let writes = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(600);
    let mut tasks = Vec::new();
    for worker in 0..a.clients {
        let (tally, writes) = (Arc::clone(&tally), Arc::clone(&writes));
        let (host, port, token, until) = (a.host.clone(), a.port, a.token.clone(), a.until.clone());
        let writes_per_s = a.writes_per_s;
        tasks.push(tokio::spawn(async move {
            let mut client = Client {
                host,
                port,
                sender: None,
            };
            let mut n: u64 = 0;
            loop {
                if Instant::now() > deadline || until.as_ref().is_some_and(|f| f.exists()) {
                    break;
                }
                n += 1;
                // Paced writes: the k-th write of the run waits until k / writes_per_s.
                let k = writes.load(Ordering::Relaxed);
                let write = k as f64 / writes_per_s <= start.elapsed().as_secs_f64()
                    && writes
                        .compare_exchange(k, k + 1, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok();
                if write {
                    let title = format!("w{worker}-{n}-{}", unix_ms());
                    let body =
                        serde_json::json!({"title": title, "body": "cluster", "tags": ["load"]});
                    let out = client
                        .send(Method::POST, "/notes", Some((body.to_string(), &token)))
                        .await;
                    tally.count("POST /notes", &out);
                    match &out {
                        Ok((201, bytes)) => {
                            tally.committed.lock().expect("no panics").push(title);
                            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes)
                                && let Some(id) = v["id"].as_i64()
                            {
                                tally.ids.lock().expect("no panics").push(id);
                            }
                        }
                        Ok((status, _)) if *status >= 500 => tally
                            .failures
                            .lock()
                            .expect("no panics")
                            .push((unix_ms(), "POST /notes".into(), format!("status {status}"))),
                        Ok(_) => {}
                        Err(e) => tally.failures.lock().expect("no panics").push((
                            unix_ms(),
                            "POST /notes".into(),
                            e.clone(),
                        )),
                    }
                    continue;
                }
                let id = {
                    let ids = tally.ids.lock().expect("no panics");
                    ids.get(usize::try_from(n).unwrap_or(0) % ids.len().max(1))
                        .copied()
                };
                let (what, path) = match id {
                    Some(id) if !n.is_multiple_of(3) => ("GET /notes/{id}", format!("/notes/{id}")),
                    _ => ("GET /notes", "/notes?limit=5".to_owned()),
                };
                let out = client.send(Method::GET, &path, None).await;
                tally.count(what, &out);
                match &out {
                    Ok((status, _)) if *status != 200 => tally
                        .failures
                        .lock()
                        .expect("no panics")
                        .push((unix_ms(), what.into(), format!("status {status}"))),
                    Ok(_) => {}
                    Err(e) => tally.failures.lock().expect("no panics").push((
                        unix_ms(),
                        what.into(),
                        e.clone(),
                    )),
                }
            }
        }));
    }
    for t in tasks {
        t.await.map_err(std::io::Error::other)?;
    }
    let elapsed = start.elapsed();
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir)?;
        let mut f = std::fs::File::create(dir.join("failures.tsv"))?;
        for (at, what, why) in tally.failures.lock().expect("no panics").iter() {
            writeln!(f, "{at}\t{what}\t{why}")?;
        }
        let mut f = std::fs::File::create(dir.join("committed.txt"))?;
        for title in tally.committed.lock().expect("no panics").iter() {
            writeln!(f, "{title}")?;
        }
    }
    let statuses = tally.statuses.lock().expect("no panics").clone();
    let total: u64 = statuses.values().sum();
    println!(
        "{}",
        serde_json::json!({
            "seconds": elapsed.as_secs_f64(),
            "requests": total,
            "per_second": total as f64 / elapsed.as_secs_f64(),
            "committed": tally.committed.lock().expect("no panics").len(),
            "failures": tally.failures.lock().expect("no panics").len(),
            "by_outcome": statuses,
        })
    );
    Ok(())
}

async fn burst(a: Args) -> std::io::Result<()> {
    let next = Arc::new(AtomicU64::new(0));
    let tally = Arc::new(Tally::default());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.clients {
        let (next, tally) = (Arc::clone(&next), Arc::clone(&tally));
        let (host, port, token, n) = (a.host.clone(), a.port, a.token.clone(), a.n);
        tasks.push(tokio::spawn(async move {
            let mut client = Client {
                host,
                port,
                sender: None,
            };
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let body = serde_json::json!({"title": format!("burst-{i}-{}", unix_ms())});
                let out = client
                    .send(Method::POST, "/notes", Some((body.to_string(), &token)))
                    .await;
                tally.count("POST /notes", &out);
            }
        }));
    }
    for t in tasks {
        t.await.map_err(std::io::Error::other)?;
    }
    let statuses = tally.statuses.lock().expect("no panics").clone();
    let get = |k: &str| statuses.get(k).copied().unwrap_or(0);
    println!(
        "{}",
        serde_json::json!({
            "seconds": start.elapsed().as_secs_f64(),
            "sent": a.n,
            "allowed": get("POST /notes 201"),
            "refused": get("POST /notes 429"),
            "by_outcome": statuses,
        })
    );
    Ok(())
}

fn main() -> std::io::Result<()> {
    let (mode, a) = args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match mode.as_str() {
        "mixed" => rt.block_on(mixed(a)),
        "burst" => rt.block_on(burst(a)),
        other => {
            eprintln!("unknown mode `{other}`: mixed or burst");
            std::process::exit(2)
        }
    }
}
