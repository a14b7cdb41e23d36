//! Reading HTTP/1.1 answers off a raw socket, for the tests that write requests byte by byte.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One answer read off the wire.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) head: String,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// Asserts a problem answer with `status` and returns its body.
    #[track_caller]
    pub(crate) fn problem(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}\n{}", self.head, self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.head
        );
        let v: Value = serde_json::from_str(&self.body).expect("a JSON problem body");
        assert_eq!(v["status"], status);
        v
    }
}

/// Splits everything read into answers (by `Content-Length`).
pub(crate) fn parse_answers(mut raw: &[u8]) -> Vec<Answer> {
    let mut out = Vec::new();
    while let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&raw[..end]).into_owned();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        let len = head
            .lines()
            .find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0usize);
        let body_end = (end + 4 + len).min(raw.len());
        let body = String::from_utf8_lossy(&raw[end + 4..body_end]).into_owned();
        out.push(Answer { status, head, body });
        raw = &raw[body_end..];
    }
    out
}

/// Sends `bytes`, reads until the server closes (or 5 s pass), returns every answer.
pub(crate) async fn exchange(addr: SocketAddr, bytes: &[u8]) -> Vec<Answer> {
    let mut s = TcpStream::connect(addr).await.expect("connects");
    s.write_all(bytes).await.expect("writes");
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut raw)).await;
    parse_answers(&raw)
}

/// The single answer to `bytes`.
pub(crate) async fn one(addr: SocketAddr, bytes: &[u8]) -> Answer {
    let mut answers = exchange(addr, bytes).await;
    assert_eq!(answers.len(), 1, "{answers:?}");
    answers.remove(0)
}
