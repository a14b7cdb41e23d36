//! Authentication: every scheme accepting and rejecting, its document entries, and where a
//! scheme applies (API, router, route, `auth = none`).

use ninja_core::TestClient;

use crate::problem;
use ninja_core::auth::{ApiKeyIn, AuthScheme, BasicCredentials, constant_time_eq};
use ninja_core::prelude::*;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
struct User {
    name: String,
}

fn user(name: &str) -> User {
    User {
        name: name.to_owned(),
    }
}

// Async checks: awaited on the reactor.
async fn check_token(token: String) -> Option<User> {
    constant_time_eq(&token, "t0ken").then(|| user("bearer-user"))
}

async fn check_key(key: String) -> Option<User> {
    constant_time_eq(&key, "k3y").then(|| user("key-user"))
}

static SYNC_CHECK_THREADS: std::sync::Mutex<Vec<std::thread::ThreadId>> =
    std::sync::Mutex::new(Vec::new());

// A sync check: runs on the blocking pool, like a sync handler.
fn check_basic(c: BasicCredentials) -> Result<User, Problem> {
    SYNC_CHECK_THREADS
        .lock()
        .expect("lock")
        .push(std::thread::current().id());
    match (c.username.as_str(), constant_time_eq(&c.password, "pw")) {
        ("banned", _) => Err(Problem::new(StatusCode::FORBIDDEN).with_detail("banned")),
        (name, true) => Ok(user(name)),
        _ => Err(Problem::new(StatusCode::UNAUTHORIZED)),
    }
}

#[get("/me")]
async fn me(u: Auth<User>) -> String {
    u.name.clone()
}

/// The same, under another router (an operation id is unique in a document).
#[get("/me")]
async fn me_too(u: Auth<User>) -> String {
    u.name.clone()
}

#[get("/open", auth = none)]
async fn open() -> &'static str {
    "open"
}

fn admin() -> AuthScheme {
    AuthScheme::api_key(ApiKeyIn::Header, "X-Admin-Key", |k: String| async move {
        (k == "root").then(|| user("admin"))
    })
    .named("adminKey")
}

#[get("/admin", auth = admin())]
async fn admin_only(u: Auth<User>) -> String {
    format!("admin {}", u.name)
}

/// Every `n` the `count` handler was called with (tests run side by side: each looks for
/// its own values, never at a total).
static COUNTED: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());

#[get("/count")]
fn count(n: u32) -> String {
    COUNTED.lock().expect("not poisoned").push(n);
    n.to_string()
}

fn api_with(scheme: AuthScheme) -> NinjaApi {
    NinjaApi::new("t", "1")
        .auth(scheme)
        .routes(routes![me, open, count])
}

#[tokio::test]
async fn bearer_accepts_and_rejects() {
    let c = TestClient::new(api_with(AuthScheme::bearer(check_token)));
    let res = c.get("/me").bearer("t0ken").send().await;
    assert_eq!((res.status().as_u16(), res.text()), (200, "bearer-user"));
    // The scheme name is case-insensitive.
    let res = c
        .get("/me")
        .header("authorization", "bearer t0ken")
        .send()
        .await;
    assert_eq!(res.status(), 200);

    let res = c.get("/me").send().await;
    let body = problem(&res, 401);
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    assert_eq!(body["detail"], "a bearer token is required");
    let res = c.get("/me").bearer("wrong").send().await;
    problem(&res, 401);
    assert_eq!(
        res.header("www-authenticate"),
        Some("Bearer error=\"invalid_token\"")
    );
    let res = c
        .get("/me")
        .header("authorization", "Basic dTpw")
        .send()
        .await;
    problem(&res, 401);
}

#[tokio::test]
async fn api_key_in_header_query_and_cookie() {
    for (location, send) in [
        (ApiKeyIn::Header, 0),
        (ApiKeyIn::Query, 1),
        (ApiKeyIn::Cookie, 2),
    ] {
        let c = TestClient::new(api_with(AuthScheme::api_key(location, "key", check_key)));
        let with = |key: &str| {
            let r = c.get("/me");
            match send {
                0 => r.header("key", key),
                1 => r.query("key", key),
                _ => r.header("cookie", &format!("a=b; key={key}")),
            }
        };
        let res = with("k3y").send().await;
        assert_eq!(
            (res.status().as_u16(), res.text()),
            (200, "key-user"),
            "{location:?}"
        );
        let res = with("nope").send().await;
        problem(&res, 401);
        // API keys define no challenge.
        assert_eq!(res.header("www-authenticate"), None, "{location:?}");
        problem(&c.get("/me").send().await, 401);
    }
}

#[tokio::test]
async fn basic_accepts_rejects_and_lets_the_check_choose_the_status() {
    SYNC_CHECK_THREADS.lock().expect("lock").clear();
    let c = TestClient::new(api_with(AuthScheme::basic(check_basic).realm("shop")));
    let res = c.get("/me").basic_auth("ada", "pw").send().await;
    assert_eq!((res.status().as_u16(), res.text()), (200, "ada"));
    // The sync check ran on the blocking pool, not on this (the reactor's) thread.
    let threads = SYNC_CHECK_THREADS.lock().expect("lock").clone();
    assert_eq!(threads.len(), 1);
    assert_ne!(threads[0], std::thread::current().id());

    let res = c.get("/me").basic_auth("ada", "bad").send().await;
    problem(&res, 401);
    assert_eq!(
        res.header("www-authenticate"),
        Some("Basic realm=\"shop\", charset=\"UTF-8\"")
    );
    let res = c.get("/me").send().await;
    problem(&res, 401);
    assert!(res.header("www-authenticate").is_some());
    // Not base64, or no `:`: a 401, never a 500.
    let res = c
        .get("/me")
        .header("authorization", "Basic !!!")
        .send()
        .await;
    problem(&res, 401);
    let res = c
        .get("/me")
        .header("authorization", "Basic YWRh")
        .send()
        .await;
    problem(&res, 401);
    // The check's own problem is the answer.
    let body = problem(&c.get("/me").basic_auth("banned", "pw").send().await, 403);
    assert_eq!(body["detail"], "banned");
}

#[tokio::test]
async fn rejected_requests_never_reach_extraction_or_the_handler() {
    let c = TestClient::new(api_with(AuthScheme::bearer(check_token)));
    let ran = |n| COUNTED.lock().expect("not poisoned").contains(&n);
    // Bad input *and* no credentials: 401, not 422 (nothing is said about the inputs).
    problem(&c.get("/count").query("n", "x").send().await, 401);
    problem(&c.get("/count").query("n", 4711).send().await, 401);
    assert!(!ran(4711), "the handler ran without credentials");
    let res = c
        .get("/count")
        .query("n", 4711)
        .bearer("t0ken")
        .send()
        .await;
    assert_eq!(res.text(), "4711");
    assert!(ran(4711));
}

#[tokio::test]
async fn inheritance_and_overrides() {
    let bearer = AuthScheme::bearer(check_token);
    let key = AuthScheme::api_key(ApiKeyIn::Header, "X-Key", check_key);
    let api = NinjaApi::new("t", "1")
        .auth(bearer)
        .routes(routes![me])
        .router(
            Router::new("/keyed")
                .auth(key)
                .routes(routes![me_too, open, admin_only]),
        )
        .router(Router::new("/public").no_auth().routes(routes![count]));
    let c = TestClient::new(api);
    // API-level scheme.
    assert_eq!(
        c.get("/me").bearer("t0ken").send().await.text(),
        "bearer-user"
    );
    // The router's scheme replaces the API's.
    assert_eq!(
        c.get("/keyed/me")
            .header("x-key", "k3y")
            .send()
            .await
            .text(),
        "key-user"
    );
    problem(&c.get("/keyed/me").bearer("t0ken").send().await, 401);
    // `auth = none` under an authenticated router.
    assert_eq!(c.get("/keyed/open").send().await.text(), "open");
    // A route's own scheme replaces its router's.
    assert_eq!(
        c.get("/keyed/admin")
            .header("x-admin-key", "root")
            .send()
            .await
            .text(),
        "admin admin"
    );
    problem(
        &c.get("/keyed/admin").header("x-key", "k3y").send().await,
        401,
    );
    // A router without auth under an authenticated API.
    assert_eq!(
        c.get("/public/count").query("n", 1).send().await.text(),
        "1"
    );
}

#[test]
fn the_document_lists_schemes_and_per_operation_security() {
    let api = NinjaApi::new("t", "1")
        .auth(
            AuthScheme::bearer(check_token)
                .bearer_format("JWT")
                .description("A token"),
        )
        .routes(routes![me, open])
        .router(
            Router::new("/k")
                .auth(AuthScheme::api_key(ApiKeyIn::Cookie, "session", check_key))
                .routes(routes![admin_only]),
        )
        .router(
            Router::new("/b")
                .auth(AuthScheme::basic(check_basic))
                .routes(routes![count]),
        );
    let d: Value = serde_json::from_str(&api.openapi_json().expect("builds")).expect("JSON");
    assert_eq!(
        d["components"]["securitySchemes"],
        json!({
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "A token"},
            "adminKey": {"type": "apiKey", "in": "header", "name": "X-Admin-Key"},
            "basicAuth": {"type": "http", "scheme": "basic"},
        })
    );
    let op = |p: &str| d["paths"][p]["get"].clone();
    assert_eq!(op("/me")["security"], json!([{"bearerAuth": []}]));
    assert!(op("/me")["responses"]["401"].is_object());
    assert!(op("/open").get("security").is_none());
    assert!(op("/open")["responses"].get("401").is_none());
    assert_eq!(op("/k/admin")["security"], json!([{"adminKey": []}]));
    assert_eq!(op("/b/count")["security"], json!([{"basicAuth": []}]));
    // The cookie scheme is set on the router, but every route there overrides it: unused,
    // so not listed.
    assert!(
        d["components"]["securitySchemes"]
            .get("apiKeyCookie")
            .is_none()
    );
}

#[test]
fn auth_mistakes_fail_at_build_naming_the_route() {
    // `Auth<User>` without any scheme.
    let err = NinjaApi::new("t", "1")
        .routes(routes![me])
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("`GET /me` takes `Auth<"), "{err}");
    // A scheme giving another identity type.
    let other = AuthScheme::bearer(|t: String| async move { Some(t) });
    let err = NinjaApi::new("t", "1")
        .auth(other)
        .routes(routes![me])
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("gives a `alloc::string::String`"),
        "{err}"
    );
    // Two different schemes under one name.
    let err = NinjaApi::new("t", "1")
        .auth(AuthScheme::bearer(check_token))
        .routes(routes![me])
        .router(
            Router::new("/x")
                .auth(AuthScheme::bearer(check_token).bearer_format("JWT"))
                .routes(routes![count]),
        )
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("named `bearerAuth`"), "{err}");
}

#[tokio::test]
async fn a_panicking_check_is_a_500_and_the_next_request_is_served() {
    let scheme = AuthScheme::bearer(|t: String| async move {
        assert!(t != "boom", "check exploded");
        Some(user("fine"))
    });
    let c = TestClient::new(api_with(scheme));
    let res = c.get("/me").bearer("boom").send().await;
    let body = problem(&res, 500);
    assert!(!res.text().contains("exploded"), "{body}");
    assert_eq!(c.get("/me").bearer("ok").send().await.text(), "fine");
}

#[tokio::test]
async fn any_of_several_schemes() {
    let either = AuthScheme::any_of([
        AuthScheme::bearer(check_token),
        AuthScheme::api_key(ApiKeyIn::Header, "X-Key", check_key),
        AuthScheme::basic(check_basic),
    ]);
    let c = TestClient::new(api_with(either.clone()));
    assert_eq!(
        c.get("/me").bearer("t0ken").send().await.text(),
        "bearer-user"
    );
    assert_eq!(
        c.get("/me").header("x-key", "k3y").send().await.text(),
        "key-user"
    );
    // A wrong credential for one scheme moves on to the next.
    let res = c
        .get("/me")
        .bearer("wrong")
        .header("x-key", "k3y")
        .send()
        .await;
    assert_eq!(res.text(), "key-user");
    // None accepted: a 401 with every challenge.
    let res = c.get("/me").send().await;
    problem(&res, 401);
    let challenges: Vec<&str> = res
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().expect("ascii"))
        .collect();
    assert_eq!(
        challenges,
        ["Bearer", "Basic realm=\"api\", charset=\"UTF-8\""]
    );
    // A check's own refusal (not a 401) is the answer.
    problem(&c.get("/me").basic_auth("banned", "pw").send().await, 403);

    // The document offers each as an alternative.
    let api = NinjaApi::new("t", "1").auth(either).routes(routes![me]);
    let d: Value = serde_json::from_str(&api.openapi_json().expect("builds")).expect("JSON");
    assert_eq!(
        d["paths"]["/me"]["get"]["security"],
        json!([{"bearerAuth": []}, {"apiKeyHeader": []}, {"basicAuth": []}])
    );
    let names: Vec<&String> = d["components"]["securitySchemes"]
        .as_object()
        .expect("map")
        .keys()
        .collect();
    assert_eq!(names, ["bearerAuth", "apiKeyHeader", "basicAuth"]);
}

/// Every auth misconfiguration ends in `build()`'s error list, none in a panic or a warning
/// (issue 13): mixed identity types, an empty `any_of`, a bad realm.
#[test]
fn auth_misconfigurations_are_build_errors() {
    let mixed = AuthScheme::any_of([
        AuthScheme::bearer(check_token),
        AuthScheme::bearer(|t: String| async move { Some(t) }).named("other"),
    ]);
    let err = api_with(mixed).build().expect_err("mixed identities");
    assert!(
        err.to_string()
            .contains("every scheme must give the same identity type"),
        "{err}"
    );
    let err = api_with(AuthScheme::any_of([])).build().expect_err("empty");
    assert!(
        err.to_string().contains("needs at least one scheme"),
        "{err}"
    );
    let err = api_with(AuthScheme::basic(check_basic).realm("bad\"realm"))
        .build()
        .expect_err("bad realm");
    assert!(err.to_string().contains("not a valid Basic realm"), "{err}");
}

/// Changing a scheme that was already cloned changes a copy: the original is untouched
/// (it used to be ignored with a warning).
#[test]
fn renaming_a_shared_scheme_renames_a_copy() {
    let shared = AuthScheme::bearer(check_token);
    let renamed = shared.clone().named("partnerToken");
    assert_eq!(renamed.name(), "partnerToken");
    assert_eq!(shared.name(), "bearerAuth");
}
