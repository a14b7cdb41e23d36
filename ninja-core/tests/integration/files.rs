//! File downloads: content type, ETag and 304, ranges (206, 416), attachment, a missing file.

use std::path::PathBuf;

use ninja_core::prelude::*;
use ninja_core::{FileResponse, ServedFile, TestClient};

struct Dir(PathBuf);

#[get("/files/{name}")]
async fn file(name: String, dir: State<Dir>, head: RequestHead) -> ServedFile {
    FileResponse::new(dir.0.0.join(&name))
        .attachment(name)
        .serve(&head)
        .await
}

#[tokio::test]
async fn downloads_with_ranges_and_validators() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("notes.txt"), "0123456789").expect("writes");
    let c = TestClient::new(
        NinjaApi::new("files", "1")
            .routes(routes![file])
            .state(Dir(dir.path().to_owned())),
    );
    let whole = c.get("/files/notes.txt").send().await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.text(), "0123456789");
    assert_eq!(whole.header("content-type"), Some("text/plain"));
    assert_eq!(
        whole.header("content-disposition"),
        Some("attachment; filename=\"notes.txt\"")
    );
    assert!(whole.header("last-modified").is_some());
    let etag = whole.header("etag").expect("an ETag").to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");

    let same = c
        .get("/files/notes.txt")
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(same.status(), 304);
    assert!(same.bytes().is_empty());

    let part = c
        .get("/files/notes.txt")
        .header("range", "bytes=2-4")
        .send()
        .await;
    assert_eq!(part.status(), 206);
    assert_eq!(part.text(), "234");
    assert_eq!(part.header("content-range"), Some("bytes 2-4/10"));

    let beyond = c
        .get("/files/notes.txt")
        .header("range", "bytes=50-60")
        .send()
        .await;
    assert_eq!(beyond.status(), 416);

    let missing = c.get("/files/none.txt").send().await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.header("content-type"),
        Some("application/problem+json")
    );
}

#[test]
fn documented_with_its_statuses() {
    let doc: serde_json::Value = serde_json::from_str(
        &NinjaApi::new("files", "1")
            .routes(routes![file])
            .openapi_json()
            .expect("a document"),
    )
    .expect("JSON");
    let responses = &doc["paths"]["/files/{name}"]["get"]["responses"];
    for status in ["200", "206", "304", "404", "416"] {
        assert!(responses.get(status).is_some(), "{status}: {responses}");
    }
}
