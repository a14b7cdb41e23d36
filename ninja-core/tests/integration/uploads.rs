//! Large uploads: multipart files spooled to disk above the threshold, raw streamed bodies
//! with their limits enforced mid-stream.

use std::time::{Duration, Instant};

use ninja_core::prelude::*;
use ninja_core::test_client::MultipartForm;
use ninja_core::{BodyStream, TestClient};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::{read_until, serve_app};

#[derive(Deserialize, schemars::JsonSchema)]
struct Upload {
    file: UploadedFile,
}

/// Says where the file is and what it holds (its length and first and last bytes).
#[post("/files")]
async fn files(Multipart(u): Multipart<Upload>) -> Json<Value> {
    let path = u.file.path().map(|p| p.display().to_string());
    let on_disk = path
        .as_ref()
        .is_some_and(|p| std::path::Path::new(p).exists());
    let mut reader = u.file.reader().await.expect("opens");
    let mut all = Vec::new();
    reader.read_to_end(&mut all).await.expect("reads");
    Json(json!({
        "len": u.file.len(),
        "read": all.len(),
        "same": all == u.file.read().await.expect("reads"),
        "first_last": [all.first(), all.last()],
        "path": path,
        "on_disk": on_disk,
        "in_memory": u.file.in_memory().is_some(),
    }))
}

/// Moves the upload to `dest`.
#[post("/keep")]
async fn keep(Multipart(u): Multipart<Upload>, dest: String) -> Result<String, Problem> {
    let spooled = u.file.path().map(std::path::Path::to_path_buf);
    u.file
        .persist(&dest)
        .await
        .map_err(|e| Problem::bad_request(e.to_string()))?;
    Ok(format!("{}", spooled.is_some_and(|p| !p.exists())))
}

/// Counts the bytes of a raw body of any size.
#[put("/raw")]
async fn raw(mut body: BodyStream) -> Result<String, Problem> {
    let mut total = 0usize;
    let mut chunks = 0usize;
    while let Some(chunk) = body.chunk().await {
        total += chunk?.len();
        chunks += 1;
    }
    assert_eq!(total, body.bytes_read());
    Ok(format!("{total} bytes in {chunks} chunks"))
}

fn api() -> NinjaApi {
    NinjaApi::new("uploads", "1")
        .body_limit(8 << 20)
        .spool_threshold(64 << 10)
        .body_read_timeout(Duration::from_millis(300))
        .routes(routes![files, keep, raw])
}

fn content(len: usize) -> String {
    (0..len)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect()
}

#[tokio::test]
async fn files_above_the_threshold_go_to_disk_and_are_deleted_after() {
    let client = TestClient::new(api());
    let big = content(3 << 20);
    let res = client
        .post("/files")
        .multipart(MultipartForm::new().file("file", "big.txt", "text/plain", &big))
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    let body: Value = res.json();
    assert_eq!(body["len"], 3 << 20);
    assert_eq!(body["read"], 3 << 20);
    assert_eq!(body["same"], true);
    let last = b'a' + (((3usize << 20) - 1) % 26) as u8;
    assert_eq!(body["first_last"], json!([b'a', last]));
    assert_eq!(body["on_disk"], true);
    assert_eq!(body["in_memory"], false);
    // The temporary file went with the request.
    let path = body["path"].as_str().expect("a path");
    assert!(!std::path::Path::new(path).exists(), "{path} is left over");

    let small = client
        .post("/files")
        .multipart(MultipartForm::new().file("file", "s.txt", "text/plain", "tiny"))
        .send()
        .await;
    let body: Value = small.json();
    assert_eq!(body["in_memory"], true);
    assert_eq!(body["path"], Value::Null);
    assert_eq!(body["len"], 4);
}

#[tokio::test]
async fn a_spooled_file_can_be_kept() {
    let dir = tempfile::tempdir().expect("a dir");
    let dest = dir.path().join("kept.txt");
    let big = content(200 << 10);
    let res = TestClient::new(api())
        .post(&format!("/keep?dest={}", dest.display()))
        .multipart(MultipartForm::new().file("file", "k.txt", "text/plain", &big))
        .send()
        .await;
    assert_eq!(res.text(), "true");
    assert_eq!(std::fs::read_to_string(&dest).expect("kept"), big);
}

#[tokio::test]
async fn a_raw_body_streams_in_chunks() {
    let addr = serve_app(api().build().expect("builds")).await;
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    let len = 6 << 20;
    s.write_all(
        format!(
            "PUT /raw HTTP/1.1\r\nhost: x\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .expect("writes");
    let block = vec![b'x'; 64 << 10];
    for _ in 0..len / block.len() {
        s.write_all(&block).await.expect("writes");
    }
    let answer = read_until(&mut s, "chunks").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(&format!("{len} bytes in ")), "{answer}");
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_reading() {
    let res = TestClient::new(api())
        .put("/raw")
        .header("content-length", "9000000")
        .send()
        .await;
    assert_eq!(res.status(), 413, "{}", res.text());
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_cut_off_mid_stream() {
    let addr = serve_app(api().build().expect("builds")).await;
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    s.write_all(b"PUT /raw HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n")
        .await
        .expect("writes");
    let block = vec![b'y'; 256 << 10];
    let chunk = [
        format!("{:x}\r\n", block.len()).into_bytes(),
        block,
        b"\r\n".to_vec(),
    ]
    .concat();
    // Past 8 MiB the server answers and closes; the writes then fail, which is the point.
    for _ in 0..64 {
        if s.write_all(&chunk).await.is_err() {
            break;
        }
    }
    let answer = read_until(&mut s, "bytes\"").await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("larger than 8388608 bytes"), "{answer}");
    // And the connection is closed, not left waiting for the rest.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(2), s.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the connection stayed open");
}

#[tokio::test]
async fn a_stalled_body_is_408() {
    let addr = serve_app(api().build().expect("builds")).await;
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    s.write_all(b"PUT /raw HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n\r\nsome bytes")
        .await
        .expect("writes");
    let started = Instant::now();
    let answer = read_until(&mut s, "}").await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn documented_as_binary() {
    let app = api().build().expect("builds");
    let doc: Value = serde_json::from_str(app.openapi_json()).expect("JSON");
    assert_eq!(
        doc["paths"]["/raw"]["put"]["requestBody"]["content"]["application/octet-stream"]["schema"],
        json!({"type": "string", "format": "binary"})
    );
}

/// Takes its time with each chunk: longer than the body timeout.
#[put("/slow")]
async fn slow(mut body: BodyStream) -> Result<String, Problem> {
    let mut total = 0;
    while let Some(chunk) = body.chunk().await {
        total += chunk?.len();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(total.to_string())
}

#[tokio::test]
async fn a_slow_handler_is_not_a_stalled_client() {
    let addr = serve_app(api().routes(routes![slow]).build().expect("builds")).await;
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    // Two chunks sent at once; the handler spends 500 ms (over the 300 ms timeout) on each.
    s.write_all(
        b"PUT /slow HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n\
          5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n",
    )
    .await
    .expect("writes");
    let answer = read_until(&mut s, "\r\n\r\n10").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
