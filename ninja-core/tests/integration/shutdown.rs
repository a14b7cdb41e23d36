//! SIGTERM under load, on a real process: this test binary runs itself as the server (the
//! ignored `child_server` below), loads it over loopback, signals it, and counts.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use ninja_core::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::wire::parse_answers;

const PORT_VAR: &str = "NINJA_SHUTDOWN_CHILD_PORT";
const GRACE: Duration = Duration::from_secs(2);

/// Takes 200 ms on the reactor.
#[get("/work")]
async fn work() -> &'static str {
    tokio::time::sleep(Duration::from_millis(200)).await;
    "done"
}

/// Takes 200 ms on the blocking pool.
#[get("/work-sync")]
fn work_sync() -> &'static str {
    std::thread::sleep(Duration::from_millis(200));
    "done"
}

/// Never finishes in time.
#[get("/stuck")]
fn stuck() -> &'static str {
    std::thread::sleep(Duration::from_secs(60));
    "late"
}

/// The server process: `NinjaApi::serve`, which handles SIGTERM itself.
#[test]
#[ignore = "the server process of `sigterm_under_load`, started by it"]
fn child_server() {
    serve_child(routes![work, work_sync, stuck]);
}

/// What a child server process does: `NinjaApi::serve` on the port it was given, until its
/// SIGTERM.
fn serve_child(routes: Vec<ninja_core::Route>) {
    let port = std::env::var(PORT_VAR).expect("run by a test of this file");
    NinjaApi::new("t", "1")
        .shutdown_timeout(GRACE)
        .routes(routes)
        .serve(format!("127.0.0.1:{port}"))
        .expect("serves until SIGTERM");
}

const MARKS_VAR: &str = "NINJA_SHUTDOWN_CHILD_MARKS";

/// Queues a task that writes `{name}` into the marks directory after `ms`.
#[post("/mark")]
async fn mark(name: String, ms: u64, tasks: ninja_core::Background) -> &'static str {
    tasks.spawn(async move {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        let dir = std::env::var(MARKS_VAR).expect("set by the test");
        std::fs::write(std::path::Path::new(&dir).join(name), "done")
    });
    "queued"
}

/// The server process of `sigterm_lets_background_tasks_finish_within_grace`.
#[test]
#[ignore = "the server process of `sigterm_lets_background_tasks_finish_within_grace`"]
fn child_server_with_tasks() {
    serve_child(routes![mark]);
}

/// Runs `child` (an ignored test of this binary) as a server process on a free port.
async fn spawn_child(child: &str, env: &[(&str, &str)]) -> (Server, u16) {
    let port = free_port();
    let mut cmd = Command::new(std::env::current_exe().expect("own path"));
    cmd.args([
        child,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(PORT_VAR, port.to_string())
    .stdout(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let server = Server(cmd.spawn().expect("starts the server process"));
    let up = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(
            up.elapsed() < Duration::from_secs(20),
            "the server never came up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (server, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_background_tasks_finish_within_grace() {
    let marks = tempfile::tempdir().expect("a dir");
    let dir = marks.path().to_str().expect("UTF-8").to_owned();
    let (mut server, port) =
        spawn_child("shutdown::child_server_with_tasks", &[(MARKS_VAR, &dir)]).await;
    // One task that fits in the grace period, one that cannot.
    for (name, ms) in [("quick", 500), ("slow", 10_000)] {
        let mut s = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connects");
        let req = format!(
            "POST /mark?name={name}&ms={ms} HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await.expect("writes");
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.expect("reads");
        assert!(String::from_utf8_lossy(&raw).contains("queued"));
    }
    let signalled = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let exited = loop {
        if let Some(status) = server.0.try_wait().expect("waits") {
            break status;
        }
        assert!(signalled.elapsed() < GRACE + Duration::from_secs(3));
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(exited.success(), "{exited:?}");
    // It waited for the quick task (written after the signal) and gave up on the slow one
    // at the end of the grace period.
    assert!(
        marks.path().join("quick").exists(),
        "the quick task was lost"
    );
    assert!(!marks.path().join("slow").exists());
    let took = signalled.elapsed();
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert!(took < GRACE + Duration::from_secs(1), "{took:?}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What happened to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// 200 with the handler's body.
    Answered,
    /// The connection closed before any byte of an answer: the server never took it.
    NotTaken,
    /// Anything else (another status, a cut answer): never acceptable.
    Broken,
}

/// Requests one after another on keep-alive connections until the server stops taking
/// them; each with the instant it was sent.
async fn worker(port: u16, path: &'static str) -> Vec<(Instant, Outcome)> {
    let mut log = Vec::new();
    'connections: loop {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)).await else {
            return log; // refused: the listener is closed
        };
        loop {
            let sent = Instant::now();
            let req = format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n");
            if s.write_all(req.as_bytes()).await.is_err() {
                log.push((sent, Outcome::NotTaken));
                continue 'connections;
            }
            let mut raw = Vec::new();
            let mut buf = [0u8; 1024];
            let outcome = loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) if raw.is_empty() => break Outcome::NotTaken,
                    Ok(0) | Err(_) => break Outcome::Broken,
                    Ok(n) => {
                        raw.extend_from_slice(&buf[..n]);
                        let answers = parse_answers(&raw);
                        if let Some(a) = answers.first()
                            && a.body.len() == 4
                        {
                            break if a.status == 200 && a.body == "done" {
                                Outcome::Answered
                            } else {
                                Outcome::Broken
                            };
                        }
                    }
                }
            };
            let closing = String::from_utf8_lossy(&raw)
                .to_ascii_lowercase()
                .contains("connection: close");
            log.push((sent, outcome));
            if outcome != Outcome::Answered {
                continue 'connections;
            }
            if closing {
                continue 'connections;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load() {
    let (mut server, port) = spawn_child("shutdown::child_server", &[]).await;

    // 12 connections of back-to-back requests, half async, half sync, plus one stuck call.
    let mut workers = Vec::new();
    for i in 0..12 {
        let path = if i % 2 == 0 { "/work" } else { "/work-sync" };
        workers.push(tokio::spawn(worker(port, path)));
    }
    let stuck = tokio::spawn(async move {
        let mut s = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connects");
        s.write_all(b"GET /stuck HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .expect("writes");
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw).await;
        raw
    });
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let signalled = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());

    // The process exits within the grace period, the stuck handler notwithstanding.
    let exited = loop {
        if let Some(status) = server.0.try_wait().expect("waits") {
            break status;
        }
        assert!(
            signalled.elapsed() < GRACE + Duration::from_secs(3),
            "still running {:?} after SIGTERM",
            signalled.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let took = signalled.elapsed();
    assert!(exited.success(), "{exited:?}");
    assert!(took < GRACE + Duration::from_secs(1), "{took:?}");

    // New connections are refused once it has stopped.
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());

    let mut sent = 0;
    let mut answered = 0;
    for w in workers {
        for (at, outcome) in w.await.expect("joined") {
            sent += 1;
            match outcome {
                Outcome::Answered => answered += 1,
                Outcome::Broken => panic!(
                    "a request got a broken answer (sent {:?} before the signal)",
                    signalled.saturating_duration_since(at)
                ),
                // Sent well before the signal, the server had it: it must have answered.
                Outcome::NotTaken => assert!(
                    at + Duration::from_millis(50) > signalled,
                    "a request sent {:?} before SIGTERM was dropped",
                    signalled - at
                ),
            }
        }
    }
    eprintln!(
        "sent {sent}, answered {answered}, not taken {}",
        sent - answered
    );
    // Every connection had requests answered (including the one in flight at the signal).
    assert!(answered >= 12, "only {answered} of {sent} answered");
    // The stuck call is the only one cut: no answer, the connection closed at exit.
    let raw = stuck.await.expect("joined");
    assert!(raw.is_empty(), "{}", String::from_utf8_lossy(&raw));
}
