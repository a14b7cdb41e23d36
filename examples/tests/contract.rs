//! Every example against its own OpenAPI document: requests generated from each operation's
//! schemas, answers checked for documented statuses, content types and JSON schemas
//! (`ninja_core::contract`). A failure prints the operation and its smallest failing request.

use examples::shop::{self, Partners, partners};
use ninja_core::contract::Contract;

#[tokio::test]
async fn hello_keeps_its_contract() {
    Contract::new(examples::hello::api())
        // They sleep for `delay` (up to 60 s) by design; tests/hello.rs checks them.
        .skip("say_after")
        .skip("say_sync")
        .check()
        .await;
}

#[tokio::test]
async fn inputs_keeps_its_contract() {
    Contract::new(examples::inputs::api()).check().await;
}

#[tokio::test]
async fn live_keeps_its_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    Contract::new(examples::live::api(dir.path().to_owned()))
        // Sockets are checked by tests/live.rs: without an upgrade they answer 426.
        .cases(32)
        .check()
        .await;
}

#[tokio::test]
async fn notes_keeps_its_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pool = examples::notes::open(&dir.path().join("notes.db"))
        .await
        .expect("the database opens");
    Contract::new(examples::notes::api(pool, "token".to_owned()))
        .bearer("token")
        .check()
        .await;
}

#[tokio::test]
async fn shop_keeps_its_contract_in_both_versions() {
    let meet = partners::Rendezvous::default();
    let app = partners::api(meet).build().expect("partners build");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { app.serve_on(listener, std::future::pending()).await });

    let dir = tempfile::tempdir().expect("temp dir");
    let db = shop::db::open(&dir.path().join("shop.db")).expect("database opens");
    let server = shop::server(
        db,
        Partners::new(url),
        "token".to_owned(),
        &[http::HeaderValue::from_static(shop::DEV_ORIGIN)],
    );
    Contract::new(server)
        .header("x-api-key", "ada-key")
        .bearer("token")
        .check()
        .await;
}

/// The check can fail: a handler whose JSON does not match its documented schema, and one
/// answering a status its document does not list, are both reported, the first with its
/// smallest failing request.
#[tokio::test]
async fn a_broken_contract_is_reported() {
    use ninja_core::prelude::*;

    #[derive(serde::Serialize, schemars::JsonSchema)]
    struct Count {
        /// Documented as a `u8`, sent as any integer.
        #[schemars(with = "u8")]
        n: i64,
    }

    /// Answers `n: -1` when `a` is above 0.
    #[get("/count")]
    fn count(#[param(range(max = 100))] a: u32) -> Json<Count> {
        Json(Count {
            n: if a > 0 { -1 } else { 0 },
        })
    }

    /// Answers 409, which nothing in its signature declares.
    #[get("/conflict")]
    fn conflict() -> (StatusCode, &'static str) {
        (StatusCode::CONFLICT, "no")
    }

    #[get("/fine")]
    fn fine(#[param(range(max = 10))] a: u8) -> Json<Count> {
        Json(Count { n: i64::from(a) })
    }

    let api = NinjaApi::new("broken", "1").routes(routes![count, conflict, fine]);
    let report = Contract::new(api).run().await;
    let mut failing: Vec<&str> = report
        .failures
        .iter()
        .map(|f| f.operation.as_str())
        .collect();
    failing.sort_unstable();
    assert_eq!(failing, ["conflict", "count"], "{report}");
    assert_eq!(report.operations, 3, "{report}");
    for failure in &report.failures {
        if failure.operation == "count" {
            assert!(
                failure
                    .problem
                    .contains("does not match the documented schema"),
                "{report}"
            );
            assert!(
                failure.request.ends_with("/count?a=1"),
                "not shrunk to a=1: {report}"
            );
        } else {
            assert_eq!(failure.status, Some(409));
            assert!(failure.problem.contains("not documented"), "{report}");
        }
    }
}
