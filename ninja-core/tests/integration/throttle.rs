//! Throttling: rates per IP (behind trusted proxies), per user and per key, at API, router
//! and route level; the 429 with its headers; budgets by name; build errors; the document;
//! the in-memory store over a real socket and the Redis store against a real `redis-server`.

use ninja_core::prelude::*;
use serde_json::Value;

#[derive(Clone)]
struct User {
    name: String,
}

fn users() -> AuthScheme {
    AuthScheme::bearer(|token: String| {
        token.strip_prefix("user-").map(|name| User {
            name: name.to_owned(),
        })
    })
}

#[get("/a")]
async fn a() -> &'static str {
    "a"
}

#[get("/b")]
fn b() -> &'static str {
    "b"
}

#[get("/c")]
async fn c() -> &'static str {
    "c"
}

#[get("/own", throttle = Throttle::per_ip("1/m").named("own"))]
async fn own() -> &'static str {
    "own"
}

#[get("/free", throttle = none)]
async fn free() -> &'static str {
    "free"
}

#[get("/me")]
async fn me(user: Auth<User>) -> String {
    user.name.clone()
}

/// Sends `GET path` as the client at `ip` (through the trusted local proxy).
fn from(client: &TestClient<ninja_core::test_client::Blocking>, path: &str, ip: &str) -> u16 {
    client
        .get(path)
        .header("x-forwarded-for", ip)
        .send()
        .status()
        .as_u16()
}

#[test]
fn an_ip_runs_out_and_gets_a_429_with_the_draft_headers() {
    let client = TestClient::blocking(
        NinjaApi::new("t", "1")
            .trusted_proxies(["127.0.0.1"])
            .throttle(Throttle::per_ip(["3/m", "100/h"]))
            .routes(routes![a, b]),
    );
    let first = client
        .get("/a")
        .header("x-forwarded-for", "203.0.113.1")
        .send();
    assert_eq!(first.status(), 200);
    assert_eq!(
        first.header("ratelimit-policy"),
        Some(r#""ip:3/m";q=3;w=60, "ip:100/h";q=100;w=3600"#)
    );
    assert_eq!(
        first.header("ratelimit"),
        Some(r#""ip:3/m";r=2;t=20, "ip:100/h";r=99;t=36"#)
    );
    // One budget across the API's routes, sync and async.
    assert_eq!(from(&client, "/b", "203.0.113.1"), 200);
    assert_eq!(from(&client, "/a", "203.0.113.1"), 200);
    let refused = client
        .get("/b")
        .header("x-forwarded-for", "203.0.113.1")
        .send();
    assert_eq!(refused.status(), 429);
    assert_eq!(
        refused.header("content-type"),
        Some("application/problem+json")
    );
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((15..=20).contains(&retry), "Retry-After {retry}");
    assert_eq!(refused.header("ratelimit"), Some(r#""ip:3/m";r=0;t=60"#));
    assert!(refused.header("ratelimit-policy").is_some());
    let body: Value = refused.json();
    assert_eq!(body["status"], 429);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("`ip` limit (3/m, 100/h)"),
        "{body}"
    );
    // Another client has its own budget; a spoofed hop before the real one changes nothing.
    assert_eq!(from(&client, "/a", "203.0.113.2"), 200);
    assert_eq!(from(&client, "/a", "198.51.100.9, 203.0.113.1"), 429);
}

#[test]
fn forwarding_headers_are_ignored_unless_the_proxy_is_trusted() {
    let client = TestClient::blocking(
        NinjaApi::new("t", "1")
            .throttle(Throttle::per_ip("2/m"))
            .routes(routes![a]),
    );
    assert_eq!(from(&client, "/a", "203.0.113.1"), 200);
    assert_eq!(from(&client, "/a", "203.0.113.2"), 200);
    // All three came from 127.0.0.1, whatever they said.
    assert_eq!(from(&client, "/a", "203.0.113.3"), 429);
}

#[test]
fn the_innermost_setting_replaces_the_outer_ones() {
    let quiet = Router::new("/quiet").no_throttle().routes(routes![b]);
    let strict = Router::new("/strict")
        .throttle(Throttle::per_ip("1/m").named("strict"))
        .routes(routes![c, own, free]);
    let client = TestClient::blocking(
        NinjaApi::new("t", "1")
            .throttle(Throttle::per_ip("2/m"))
            .routes(routes![a])
            .router(quiet)
            .router(strict),
    );
    let statuses = |path: &str, n: usize| -> Vec<u16> {
        (0..n)
            .map(|_| client.get(path).send().status().as_u16())
            .collect()
    };
    assert_eq!(statuses("/a", 3), [200, 200, 429], "the API's throttle");
    assert_eq!(
        statuses("/quiet/b", 4),
        [200; 4],
        "a router without throttles"
    );
    assert_eq!(
        statuses("/strict/c", 2),
        [200, 429],
        "the router's own budget"
    );
    assert_eq!(
        statuses("/strict/own", 2),
        [200, 429],
        "the route's own budget"
    );
    assert_eq!(statuses("/strict/free", 4), [200; 4], "`throttle = none`");
    assert!(
        client
            .get("/strict/free")
            .send()
            .header("ratelimit")
            .is_none()
    );
}

#[test]
fn users_and_keys_have_budgets_of_their_own() {
    let client = TestClient::blocking(
        NinjaApi::new("t", "1")
            .auth(users())
            .throttle([
                Throttle::per_user("2/m", |u: &User| u.name.clone()),
                Throttle::per_key("3/m"),
            ])
            .routes(routes![me]),
    );
    let as_user = |token: &str| client.get("/me").bearer(token).send().status().as_u16();
    assert_eq!([as_user("user-ann"), as_user("user-ann")], [200, 200]);
    let refused = client.get("/me").bearer("user-ann").send();
    assert_eq!(refused.status(), 429);
    assert!(
        refused.text().contains("`user` limit"),
        "{}",
        refused.text()
    );
    assert_eq!(as_user("user-bob"), 200);
    // Failed logins are not counted by user throttles (they run after authentication).
    assert_eq!(client.get("/me").bearer("nobody").send().status(), 401);
    // Bob's second request: his user budget is at 0 left, his key budget at 1.
    let res = client.get("/me").bearer("user-bob").send();
    assert_eq!(
        res.header("ratelimit"),
        Some(r#""user:2/m";r=0;t=60, "key:3/m";r=1;t=40"#)
    );
}

/// Of an `any_of`, the alternative that accepted the request names the key: a junk API key
/// sent beside a valid token cannot buy a fresh budget per request.
#[test]
fn a_key_throttle_counts_the_credential_that_was_accepted() {
    use ninja_core::auth::ApiKeyIn;
    let keys = AuthScheme::api_key(ApiKeyIn::Header, "x-api-key", |key: String| {
        (key == "good-key").then(|| User {
            name: "key-user".into(),
        })
    });
    let client = TestClient::blocking(
        NinjaApi::new("t", "1")
            .auth(AuthScheme::any_of([keys, users()]))
            .throttle(Throttle::per_key("2/m"))
            .routes(routes![me]),
    );
    let statuses: Vec<u16> = (0..3)
        .map(|i| {
            client
                .get("/me")
                .header("x-api-key", &format!("junk-{i}"))
                .bearer("user-ann")
                .send()
                .status()
                .as_u16()
        })
        .collect();
    assert_eq!(statuses, [200, 200, 429]);
}

#[test]
fn ip_throttles_count_failed_logins() {
    let client = TestClient::blocking(
        NinjaApi::new("t", "1")
            .auth(users())
            .throttle(Throttle::per_ip("2/m"))
            .routes(routes![me]),
    );
    assert_eq!(client.get("/me").bearer("wrong").send().status(), 401);
    assert_eq!(client.get("/me").bearer("wrong").send().status(), 401);
    assert_eq!(client.get("/me").bearer("user-ann").send().status(), 429);
}

#[test]
fn misconfigured_throttles_are_build_errors() {
    let err = NinjaApi::new("t", "1")
        .trusted_proxies(["10.0.0.0/40"])
        .routes(routes![a, own])
        .router(
            Router::new("/x")
                .throttle([
                    Throttle::per_ip("ten a second"),
                    Throttle::per_user("1/s", |u: &User| u.name.clone()),
                    Throttle::per_key("1/s"),
                ])
                .routes(routes![b]),
        )
        .router(
            Router::new("/y")
                .auth(AuthScheme::bearer(|t: String| Some(t)))
                .throttle(Throttle::per_user("1/s", |u: &User| u.name.clone()))
                .routes(routes![me]),
        )
        .router(
            Router::new("/z")
                .throttle(Throttle::per_ip("2/m").named("own"))
                .routes(routes![free, a]),
        )
        .router(
            Router::new("/w")
                .auth(users())
                .throttle([
                    Throttle::per_user("1/s", |u: &User| u.name.clone()).named("people"),
                    Throttle::per_ip("1/s").named("bell\u{7}"),
                ])
                .routes(routes![me]),
        )
        .router(
            Router::new("/v")
                .auth(AuthScheme::bearer(|t: String| Some(t)))
                .throttle(Throttle::per_user("1/s", String::clone).named("people"))
                .routes(routes![c]),
        )
        .build()
        .expect_err("misconfigured");
    let all = err.messages().join("\n");
    for expected in [
        "trusted proxy `10.0.0.0/40`",
        "`GET /x/b`: throttle rate `ten a second`",
        "`GET /x/b`: the `user` throttle counts per user but the route is not authenticated",
        "`GET /x/b`: the `key` throttle counts per credential",
        "`GET /y/me`: `Throttle::per_user::<",
        "two throttles are named `own`",
        "two throttles are named `people`",
        r#"throttle name "bell\u{7}" must be printable ASCII"#,
    ] {
        assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
    }
}

#[test]
fn throttled_operations_document_the_429_and_the_headers() {
    let doc: Value = serde_json::from_str(
        &NinjaApi::new("t", "1")
            .throttle(Throttle::per_ip("10/s"))
            .routes(routes![a, free])
            .openapi_json()
            .unwrap(),
    )
    .unwrap();
    let throttled = &doc["paths"]["/a"]["get"]["responses"];
    assert_eq!(
        throttled["429"]["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/ProblemDetails"
    );
    assert_eq!(
        throttled["429"]["headers"]["Retry-After"]["schema"]["type"],
        "integer"
    );
    assert!(throttled["200"]["headers"]["RateLimit"].is_object());
    assert!(throttled["200"]["headers"]["RateLimit-Policy"].is_object());
    let unthrottled = &doc["paths"]["/free"]["get"]["responses"];
    assert!(unthrottled.get("429").is_none(), "{unthrottled}");
    assert!(unthrottled["200"].get("headers").is_none(), "{unthrottled}");
}

/// The peer address of a real connection is what an IP throttle counts, and the server
/// only looks it up when one is configured.
#[tokio::test]
async fn over_a_socket_the_peer_address_is_the_client() {
    let app = NinjaApi::new("t", "1")
        .throttle(Throttle::per_ip("2/m"))
        .routes(routes![a])
        .build()
        .unwrap();
    let addr = crate::serve_app(app).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /a HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).await.unwrap();
        let status: u16 = answer[9..12].parse().unwrap();
        statuses.push(status);
        assert!(
            answer.contains("ratelimit-policy: \"ip:2/m\";q=2;w=60\r\n"),
            "{answer}"
        );
        if status == 429 {
            assert!(
                answer.contains("ratelimit: \"ip:2/m\";r=0;t=60\r\n"),
                "{answer}"
            );
        }
    }
    assert_eq!(statuses, [200, 200, 429]);
}

#[cfg(feature = "redis")]
mod redis {
    //! Against a real `redis-server` (Debian's, installed by `scripts/test.sh`), started
    //! on a free loopback port for each test.

    use std::process::{Child, Command, Stdio};
    use std::time::Duration;

    use ninja_core::prelude::*;
    use ninja_core::throttle::RedisStore;

    use super::a;

    struct Redis(Child);

    impl Drop for Redis {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port()
    }

    /// A fresh server, or `None` (the test skips, or fails when tools are required).
    async fn start(port: u16) -> Option<Redis> {
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(c) => c,
            Err(e) => {
                let required = std::env::var_os("NINJA_REQUIRE_TOOLS").is_some()
                    || std::env::var_os("CI").is_some();
                assert!(
                    !required,
                    "redis-server is missing ({e}); scripts/test.sh installs it"
                );
                eprintln!("SKIPPED: redis-server is missing; `scripts/test.sh` installs it");
                return None;
            }
        };
        let redis = Redis(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(redis);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("redis-server did not start on port {port}");
    }

    fn url(port: u16) -> String {
        format!("redis://127.0.0.1:{port}/")
    }

    async fn status(client: &TestClient, ip: &str) -> u16 {
        client
            .get("/a")
            .header("x-forwarded-for", ip)
            .send()
            .await
            .status()
            .as_u16()
    }

    fn instance(store: RedisStore) -> TestClient {
        TestClient::new(
            NinjaApi::new("t", "1")
                .trusted_proxies(["127.0.0.1"])
                .throttle_store(store)
                .throttle(Throttle::per_ip(["3/m", "100/h"]))
                .routes(routes![a]),
        )
    }

    /// Two instances share one budget through Redis; a refused request is counted by no
    /// rate (all or nothing).
    #[tokio::test]
    async fn instances_share_the_budget() {
        let port = free_port();
        let Some(_redis) = start(port).await else {
            return;
        };
        let one = instance(RedisStore::new(&url(port)));
        let two = instance(RedisStore::new(&url(port)));
        assert_eq!(status(&one, "203.0.113.1").await, 200);
        assert_eq!(status(&two, "203.0.113.1").await, 200);
        let third = two
            .get("/a")
            .header("x-forwarded-for", "203.0.113.1")
            .send()
            .await;
        assert_eq!(third.status(), 200);
        assert_eq!(
            third.header("ratelimit"),
            Some(r#""ip:3/m";r=0;t=60, "ip:100/h";r=97;t=108"#)
        );
        let refused = one
            .get("/a")
            .header("x-forwarded-for", "203.0.113.1")
            .send()
            .await;
        assert_eq!(refused.status(), 429);
        let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
        assert!((19..=20).contains(&retry), "Retry-After {retry}");
        // The refusal did not spend the hourly budget: still 97 left.
        assert_eq!(
            refused.header("ratelimit"),
            Some(r#""ip:3/m";r=0;t=60, "ip:100/h";r=97;t=108"#)
        );
        assert_eq!(status(&two, "203.0.113.2").await, 200);
        // Another key prefix is another set of budgets.
        let other = instance(RedisStore::new(&url(port)).key_prefix("other:"));
        assert_eq!(status(&other, "203.0.113.1").await, 200);
    }

    /// Redis down: fail open lets requests through uncounted, fail closed answers 503; both
    /// within the timeout, and counting resumes when Redis is back.
    #[tokio::test]
    async fn a_store_that_is_down_fails_open_or_closed() {
        let port = free_port();
        let Some(redis) = start(port).await else {
            return;
        };
        let store = || RedisStore::new(&url(port)).timeout(Duration::from_millis(200));
        let open = instance(store());
        let closed = instance(store().fail_closed());
        assert_eq!(status(&open, "203.0.113.1").await, 200);
        drop(redis);
        let started = std::time::Instant::now();
        for _ in 0..5 {
            assert_eq!(status(&open, "203.0.113.1").await, 200, "fail open");
        }
        let res = closed
            .get("/a")
            .header("x-forwarded-for", "203.0.113.1")
            .send()
            .await;
        assert_eq!(res.status(), 503, "fail closed");
        assert_eq!(res.header("retry-after"), Some("1"));
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        // Back: the open instance counts again (a fresh server: an empty budget).
        let Some(_redis) = start(port).await else {
            return;
        };
        let mut statuses = Vec::new();
        for _ in 0..6 {
            statuses.push(status(&open, "203.0.113.9").await);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(statuses.ends_with(&[429]), "{statuses:?}");
    }

    #[test]
    fn a_bad_url_is_a_build_error() {
        let err = NinjaApi::new("t", "1")
            .throttle_store(RedisStore::new("http://nope"))
            .build()
            .expect_err("not a Redis URL");
        assert!(err.to_string().contains("Redis URL `http://nope`"), "{err}");
    }
}
