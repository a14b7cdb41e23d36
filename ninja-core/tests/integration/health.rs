//! `NinjaApi::health`: liveness, readiness with checks, and readiness failing while the
//! server drains after a shutdown signal, over real sockets.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ninja_core::prelude::*;
use serde_json::{Value, json};

use crate::{serve_app, serve_until_stopped};

#[get("/work")]
async fn work() -> &'static str {
    "done"
}

/// `GET path` on a fresh connection: the status and the JSON body (or `Err` when refused).
async fn get(addr: std::net::SocketAddr, path: &str) -> Result<(u16, Value), String> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut out = String::new();
    s.read_to_string(&mut out)
        .await
        .map_err(|e| e.to_string())?;
    let status = out
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or(format!("no status in {out:?}"))?;
    let body = out.split("\r\n\r\n").nth(1).unwrap_or_default();
    Ok((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

#[tokio::test]
async fn readiness_runs_every_check() {
    let database_up = Arc::new(AtomicBool::new(true));
    let up = Arc::clone(&database_up);
    let app = NinjaApi::new("t", "1")
        .prefix("/api")
        .auth(AuthScheme::bearer(|_: String| None::<()>))
        .routes(routes![work])
        .health("/health")
        .readiness_check("database", move || {
            let up = up.load(Ordering::SeqCst);
            async move {
                if up {
                    Ok(())
                } else {
                    Err("connection refused".to_owned())
                }
            }
        })
        .readiness_check("cache", || async { Ok(()) })
        .build()
        .expect("builds");
    let doc: Value = serde_json::from_str(app.openapi_json()).expect("JSON");
    assert!(
        doc["paths"].get("/api/health/ready").is_none(),
        "outside the document"
    );
    let addr = serve_app(app).await;

    // Outside the API's auth: the probe has no token.
    assert_eq!(
        get(addr, "/api/health/live").await,
        Ok((200, json!({"status": "ok"})))
    );
    assert_eq!(
        get(addr, "/api/health/ready").await,
        Ok((
            200,
            json!({"status": "ready", "checks": {"database": "ok", "cache": "ok"}})
        ))
    );
    database_up.store(false, Ordering::SeqCst);
    assert_eq!(
        get(addr, "/api/health/ready").await,
        Ok((
            503,
            json!({"status": "failing", "checks": {"database": "connection refused", "cache": "ok"}})
        ))
    );
    assert_eq!(get(addr, "/api/health/live").await.map(|r| r.0), Ok(200));
}

#[tokio::test]
async fn readiness_fails_while_draining_then_the_listener_closes() {
    let app = NinjaApi::new("t", "1")
        .routes(routes![work])
        .health("/health")
        .drain_delay(Duration::from_millis(800))
        .build()
        .expect("builds");
    let (addr, stop, server) = serve_until_stopped(app).await;
    assert_eq!(get(addr, "/health/ready").await.map(|r| r.0), Ok(200));
    let signalled = Instant::now();
    stop.send(()).expect("the server runs");
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Draining: still accepting and serving, but not ready.
    assert_eq!(
        get(addr, "/health/ready").await,
        Ok((503, json!({"status": "draining"})))
    );
    assert_eq!(get(addr, "/work").await.map(|r| r.0), Ok(200));
    assert_eq!(get(addr, "/health/live").await.map(|r| r.0), Ok(200));
    server.await.expect("joins").expect("serves");
    assert!(
        signalled.elapsed() >= Duration::from_millis(800),
        "the drain delay was cut short"
    );
    assert!(
        get(addr, "/health/live").await.is_err(),
        "the listener is closed"
    );
}

#[test]
fn checks_without_a_health_endpoint_are_a_build_error() {
    let err = NinjaApi::new("t", "1")
        .readiness_check("database", || async { Ok(()) })
        .build()
        .expect_err("a check nobody can ask for");
    assert!(err.to_string().contains(".health("), "{err}");
}

/// Health and metrics stay out of the document unless the API asks; then they are in it,
/// under `ops`, without the API's auth, and still served.
#[tokio::test]
async fn health_and_metrics_enter_the_document_only_when_asked() {
    let api = || {
        let api = NinjaApi::new("t", "1")
            .prefix("/api")
            .auth(AuthScheme::bearer(|t: String| async move {
                (t == "s").then_some(())
            }))
            .health("/health")
            .routes(routes![work]);
        #[cfg(feature = "metrics")]
        let api = api.metrics("/metrics");
        api
    };
    let paths = |api: NinjaApi| -> Value {
        let doc: Value =
            serde_json::from_str(&api.openapi_json().expect("document")).expect("JSON");
        doc["paths"].clone()
    };
    let plain = paths(api());
    assert!(plain.get("/api/health/ready").is_none(), "{plain}");
    assert!(plain.get("/api/metrics").is_none(), "{plain}");

    let asked = paths(api().document_ops());
    let ready = &asked["/api/health/ready"]["get"];
    assert_eq!(ready["tags"], json!(["ops"]));
    assert_eq!(ready["summary"], "Can it take traffic?");
    assert!(ready["responses"]["503"].is_object(), "{ready}");
    assert!(
        ready.get("security").is_none(),
        "outside the API's auth: {ready}"
    );
    assert!(asked["/api/health/live"]["get"]["responses"]["200"].is_object());
    #[cfg(feature = "metrics")]
    assert!(
        asked["/api/metrics"]["get"]["responses"]["200"]["content"]
            ["application/openmetrics-text; version=1.0.0; charset=utf-8"]
            .is_object(),
        "{asked}"
    );
    // Served as before, and the document the server serves says the same.
    let addr = serve_app(api().document_ops().build().expect("builds")).await;
    assert_eq!(
        get(addr, "/api/health/live").await.expect("answered").0,
        200
    );
    let served = get(addr, "/api/openapi.json").await.expect("answered").1;
    assert_eq!(served["paths"], asked);
}
