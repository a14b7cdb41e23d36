//! Background tasks: queued by a handler, run after it has answered, in order, failures
//! logged without stopping the rest, waited for by a graceful shutdown.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ninja_core::prelude::*;
use ninja_core::{Background, TestClient};

use crate::serve_until_stopped;

/// What the tasks did, in order (shared by the test and the app's state).
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, s: &str) {
        self.0.lock().expect("not poisoned").push(s.to_owned());
    }
    fn seen(&self) -> Vec<String> {
        self.0.lock().expect("not poisoned").clone()
    }
}

#[get("/work")]
async fn work(log: State<Log>, tasks: Background) -> &'static str {
    let l = Log::clone(&log);
    tasks.spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        l.push("async");
    });
    let l = Log::clone(&log);
    tasks.spawn(async move {
        l.push("failing");
        Err::<(), _>("the mail server said no")
    });
    let l = Log::clone(&log);
    tasks.spawn(async move {
        l.push("panicking");
        if !l.0.lock().expect("not poisoned").is_empty() {
            panic!("a task panicked");
        }
    });
    let l = Log::clone(&log);
    tasks.spawn_blocking(move || {
        std::thread::sleep(Duration::from_millis(20));
        l.push("blocking");
    });
    log.push("handler");
    "answered"
}

#[get("/work-sync")]
fn work_sync(log: State<Log>, tasks: Background) -> &'static str {
    let l = Log::clone(&log);
    tasks.spawn(async move { l.push("from a sync handler") });
    "answered"
}

#[get("/slow-task")]
async fn slow_task(log: State<Log>, tasks: Background, ms: u64) -> &'static str {
    let l = Log::clone(&log);
    tasks.spawn(async move {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        l.push("slow task done");
    });
    "answered"
}

fn api(log: Log) -> NinjaApi {
    NinjaApi::new("bg", "1")
        .routes(routes![work, work_sync, slow_task])
        .state(log)
}

async fn wait_for(log: &Log, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(3);
    while log.seen().len() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    log.seen()
}

#[tokio::test]
async fn tasks_run_after_the_answer_in_order_and_failures_do_not_stop_them() {
    let log = Log::default();
    let client = TestClient::new(api(log.clone()));
    let res = client.get("/work").send().await;
    assert_eq!(res.text(), "answered");
    // Answered before the first task (150 ms) finished.
    assert_eq!(log.seen(), ["handler"]);
    let seen = wait_for(&log, 5).await;
    assert_eq!(
        seen,
        ["handler", "async", "failing", "panicking", "blocking"]
    );
    let res = client.get("/work-sync").send().await;
    assert_eq!(res.text(), "answered");
    let seen = wait_for(&log, 6).await;
    assert_eq!(seen.last().map(String::as_str), Some("from a sync handler"));
}

async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes())
        .await
        .expect("writes");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("reads");
    out
}

#[tokio::test]
async fn shutdown_waits_for_queued_tasks_within_the_grace_period() {
    let log = Log::default();
    let app = api(log.clone())
        .shutdown_timeout(Duration::from_secs(2))
        .build()
        .expect("builds");
    let (addr, stop, server) = serve_until_stopped(app).await;
    assert!(get(addr, "/slow-task?ms=300").await.contains("answered"));
    let _ = stop.send(());
    server.await.expect("joins").expect("serves");
    // serve_on returned only after the task had finished.
    assert_eq!(log.seen(), ["slow task done"]);
}

#[tokio::test]
async fn shutdown_gives_up_on_tasks_beyond_the_grace_period() {
    let log = Log::default();
    let app = api(log.clone())
        .shutdown_timeout(Duration::from_millis(200))
        .build()
        .expect("builds");
    let (addr, stop, server) = serve_until_stopped(app).await;
    assert!(get(addr, "/slow-task?ms=5000").await.contains("answered"));
    let started = Instant::now();
    let _ = stop.send(());
    server.await.expect("joins").expect("serves");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(log.seen().is_empty());
}
