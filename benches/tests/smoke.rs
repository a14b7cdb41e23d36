//! A short run of the load generator against the `hello` example: it measures, and the
//! example answers every request. (Timing belongs to `compare`; this only proves the tool.)

use std::time::Duration;

use benches::loadgen::{self, Load};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loadgen_against_the_hello_example() {
    let app = examples::hello::api().build().expect("the example builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { app.serve_on(listener, std::future::pending()).await });

    for path in ["/say-after?delay=0&word=x", "/say-sync?delay=0&word=x"] {
        let mut load = Load::get(&format!("http://{addr}{path}"));
        load.connections = 8;
        load.warmup = Duration::from_millis(100);
        load.duration = Duration::from_millis(500);
        let report = loadgen::run(&load).await.expect("the load ran");
        assert!(
            report.requests > 50,
            "{path}: only {} requests",
            report.requests
        );
        assert_eq!(report.errors, 0, "{path}: errors");
        assert!(report.percentile_us(50.0) <= report.percentile_us(99.0));
        assert!(report.rate() > 0.0);
    }

    // A wrong expected status is counted as errors, not as requests.
    let mut load = Load::get(&format!("http://{addr}/nope"));
    load.connections = 2;
    load.warmup = Duration::ZERO;
    load.duration = Duration::from_millis(200);
    let report = loadgen::run(&load).await.expect("the load ran");
    assert_eq!(report.requests, 0);
    assert!(report.errors > 0);
}
