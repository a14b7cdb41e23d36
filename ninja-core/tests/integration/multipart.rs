//! Multipart bodies: files, JSON in a field, ordinary fields, limits, errors, the document.

use garde::Validate;
use ninja_core::prelude::*;
use ninja_core::test_client::MultipartForm;
use ninja_core::{TestClient, TestResponse};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::locs;

#[derive(Debug, Deserialize, JsonSchema, Validate)]
struct Meta {
    #[garde(length(min = 1))]
    title: String,
    #[garde(skip)]
    tags: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema, Validate)]
struct Upload {
    /// The main file.
    #[garde(skip)]
    file: UploadedFile,
    /// Optional extra files.
    #[garde(skip)]
    #[serde(default)]
    attachments: Vec<UploadedFile>,
    #[garde(skip)]
    thumbnail: Option<UploadedFile>,
    /// Metadata, as JSON text.
    #[garde(dive)]
    meta: JsonPart<Meta>,
    #[garde(skip)]
    public: Option<bool>,
    #[garde(range(max = 5))]
    priority: u8,
}

#[post("/uploads")]
fn upload(Multipart(u): Multipart<Upload>) -> Json<Value> {
    Json(json!({
        "file": [u.file.file_name(), u.file.content_type(), String::from_utf8_lossy(&u.file.read_blocking().expect("readable"))],
        "attachments": u.attachments.iter().map(|a| a.len()).collect::<Vec<_>>(),
        "thumbnail": u.thumbnail.is_some(),
        "meta": [u.meta.title.clone(), u.meta.tags.clone()],
        "public": u.public,
        "priority": u.priority,
    }))
}

fn client() -> TestClient {
    TestClient::new(
        NinjaApi::new("t", "1")
            .body_limit(4096)
            .part_limit(1024)
            .routes(routes![upload]),
    )
}

/// One part: `(name, Some((file_name, content_type)) for a file, content)`.
type PartSpec<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a str);

async fn send(parts: &[PartSpec<'_>]) -> TestResponse {
    let form = parts.iter().fold(
        MultipartForm::new(),
        |form, (name, file, content)| match file {
            Some((file_name, ct)) => form.file(name, file_name, ct, content),
            None => form.text(name, content),
        },
    );
    client().post("/uploads").multipart(form).send().await
}

#[tokio::test]
async fn files_json_and_fields_together() {
    let res = send(&[
        ("file", Some(("notes.txt", "text/plain")), "hello file"),
        (
            "attachments",
            Some(("a.bin", "application/octet-stream")),
            "aaa",
        ),
        (
            "attachments",
            Some(("b.bin", "application/octet-stream")),
            "bbbbb",
        ),
        ("meta", None, r#"{"title": "Report", "tags": ["q3"]}"#),
        ("public", None, "yes"),
        ("priority", None, "2"),
    ])
    .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(
        res.json::<Value>(),
        json!({"file": ["notes.txt", "text/plain", "hello file"], "attachments": [3, 5],
               "thumbnail": false, "meta": ["Report", ["q3"]], "public": true, "priority": 2})
    );
}

#[tokio::test]
async fn bad_fields_are_422_at_their_loc() {
    // Missing file, and JSON that does not parse.
    let res = send(&[("meta", None, "{not json"), ("priority", None, "1")]).await;
    assert_eq!(res.status(), 422, "{}", res.text());
    assert_eq!(locs(&res.json()), [("body.file".into(), "missing".into())]);
    let res = send(&[
        ("file", Some(("f", "text/plain")), "x"),
        ("meta", None, "{not json"),
        ("priority", None, "1"),
    ])
    .await;
    assert_eq!(locs(&res.json()), [("body.meta".into(), "invalid".into())]);
    // Text where a file is expected.
    let res = send(&[
        ("file", None, "just text"),
        ("meta", None, r#"{"title":"t","tags":[]}"#),
        ("priority", None, "1"),
    ])
    .await;
    assert_eq!(
        locs(&res.json()),
        [("body.file".into(), "invalid_type".into())]
    );
}

#[tokio::test]
async fn garde_validates_multipart_structs() {
    let res = send(&[
        ("file", Some(("f", "text/plain")), "x"),
        ("meta", None, r#"{"title": "", "tags": []}"#),
        ("priority", None, "9"),
    ])
    .await;
    assert_eq!(res.status(), 422);
    let mut got = locs(&res.json());
    got.sort();
    assert_eq!(
        got,
        [
            ("body.meta.title".into(), "constraint".into()),
            ("body.priority".into(), "constraint".into())
        ]
    );
}

#[tokio::test]
async fn limits_are_413() {
    let big_part = "x".repeat(2000);
    let res = send(&[("file", Some(("big", "text/plain")), &big_part)]).await;
    assert_eq!(res.status(), 413, "{}", res.text());
    assert!(
        res.text()
            .contains("the part `file` is larger than 1024 bytes"),
        "{}",
        res.text()
    );
    let parts: Vec<PartSpec<'_>> = (0..8)
        .map(|_| ("attachments", Some(("a", "text/plain")), &big_part[..900]))
        .collect();
    let res = send(&parts).await;
    assert_eq!(res.status(), 413, "{}", res.text());
}

#[tokio::test]
async fn other_content_types_are_415() {
    let res = client()
        .post("/uploads")
        .json(&json!({"file": "x"}))
        .send()
        .await;
    assert_eq!(res.status(), 415);
    let res = client()
        .post("/uploads")
        .header("content-type", "multipart/form-data")
        .body("x")
        .send()
        .await;
    assert_eq!(res.status(), 415, "a multipart type without a boundary");
    // The media type is judged before the declared length, as for JSON and forms.
    let res = client()
        .post("/uploads")
        .header("content-type", "multipart/form-data")
        .header("content-length", "999999999999")
        .body("x")
        .send()
        .await;
    assert_eq!(res.status(), 415, "no boundary, declared over the limit");
}

#[test]
fn uploads_are_documented() {
    let api = NinjaApi::new("t", "1").routes(routes![upload]);
    let d: Value = serde_json::from_str(&api.openapi_json().expect("builds")).expect("JSON");
    let body = &d["paths"]["/uploads"]["post"]["requestBody"]["content"]["multipart/form-data"];
    // Inline, as the form's parts.
    assert_eq!(body["schema"]["additionalProperties"], false);
    let props = &body["schema"]["properties"];
    assert_eq!(
        props["file"],
        json!({"type": "string", "format": "binary", "description": "The main file."})
    );
    assert_eq!(
        props["attachments"]["items"],
        json!({"type": "string", "format": "binary"})
    );
    assert_eq!(props["meta"]["$ref"], "#/components/schemas/Meta");
    let required = body["schema"]["required"].clone();
    assert_eq!(required, json!(["file", "meta", "priority"]));
}
