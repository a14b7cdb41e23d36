//! `NinjaApi::metrics`: after known traffic, `/metrics` holds the counts by route template
//! and status, latency histograms, and the pool and connection gauges.

use ninja_core::prelude::*;

use crate::serve_app;

#[get("/items/{id}")]
fn item(#[param(range(max = 100))] id: u32) -> String {
    id.to_string()
}

#[get("/slow")]
async fn slow() -> &'static str {
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    "slow"
}

fn api() -> NinjaApi {
    NinjaApi::new("t", "1")
        .prefix("/api")
        .auth(AuthScheme::bearer(|t: String| (t == "ok").then_some(())))
        .routes(routes![item, slow])
        .metrics("/metrics")
}

/// The sample line starting with `prefix` and its value.
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let c = TestClient::new(api());
    for id in [1, 2, 3] {
        assert_eq!(
            c.get(&format!("/api/items/{id}"))
                .bearer("ok")
                .send()
                .await
                .status(),
            200
        );
    }
    assert_eq!(
        c.get("/api/items/500").bearer("ok").send().await.status(),
        422
    );
    assert_eq!(c.get("/api/items/1").send().await.status(), 401);
    assert_eq!(c.get("/api/nowhere/1").send().await.status(), 404);
    assert_eq!(c.get("/api/slow").bearer("ok").send().await.status(), 200);

    let res = c.get("/api/metrics").send().await;
    assert_eq!(res.status(), 200, "outside the API's auth");
    assert!(
        res.header("content-type")
            .is_some_and(|t| t.starts_with("application/openmetrics-text"))
    );
    let text = res.text();
    let count = |route: &str, status: u16| {
        sample(
            text,
            &format!("http_requests_total{{method=\"GET\",route=\"{route}\",status=\"{status}\"}}"),
        )
    };
    assert_eq!(count("/api/items/{id}", 200), Some(3.0), "{text}");
    assert_eq!(count("/api/items/{id}", 422), Some(1.0), "{text}");
    assert_eq!(count("/api/items/{id}", 401), Some(1.0), "{text}");
    assert_eq!(
        count("<unmatched>", 404),
        Some(1.0),
        "no raw paths as labels: {text}"
    );
    assert!(!text.contains("/api/items/1\""), "{text}");
    let slow =
        "http_request_duration_seconds_sum{method=\"GET\",route=\"/api/slow\",status=\"200\"}";
    assert!(sample(text, slow).is_some_and(|s| s >= 0.02), "{text}");
    let hist = "http_request_duration_seconds_count{method=\"GET\",route=\"/api/items/{id}\",status=\"200\"}";
    assert_eq!(sample(text, hist), Some(3.0), "{text}");
    // The scrape itself is in flight while it is encoded.
    assert_eq!(sample(text, "http_requests_in_flight"), Some(1.0), "{text}");
    assert_eq!(sample(text, "ninja_blocking_busy"), Some(0.0), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
    // Not in the document.
    let doc: serde_json::Value =
        serde_json::from_str(&api().openapi_json().expect("builds")).expect("JSON");
    assert!(doc["paths"].get("/api/metrics").is_none());
}

#[tokio::test]
async fn open_connections_are_counted() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let addr = serve_app(api().build().expect("builds")).await;
    // One idle keep-alive connection, then a scrape on a second.
    let _idle = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    s.write_all(b"GET /api/metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .expect("writes");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("reads");
    assert_eq!(sample(&out, "ninja_connections"), Some(2.0), "{out}");
}
