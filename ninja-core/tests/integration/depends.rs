//! Dependencies: nested, computed once per request, failing through the error handler,
//! documented once, cleaned up with the outcome, checked at build, overridden in tests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ninja_core::prelude::*;
use ninja_core::{Cleanup, Outcome};
use serde_json::{Value, json};

/// Counts how often each dependency is computed, and what the cleanups saw.
#[derive(Default)]
struct Log {
    connections: AtomicUsize,
    users: AtomicUsize,
    outcomes: Mutex<Vec<String>>,
}

impl Log {
    fn outcomes(&self) -> Vec<String> {
        std::mem::take(&mut *self.outcomes.lock().expect("lock"))
    }
}

/// A "connection": counted, and its cleanup records how the request went.
#[derive(Clone, Debug)]
struct Conn(u32);

#[dependency]
async fn connection(log: State<Arc<Log>>, cleanup: Cleanup) -> Result<Conn, Problem> {
    tokio::task::yield_now().await;
    log.connections.fetch_add(1, Ordering::SeqCst);
    let log = Arc::clone(&log);
    cleanup.after(move |outcome: Outcome| async move {
        let seen = if outcome.panicked() {
            "panicked".to_owned()
        } else if outcome.is_success() {
            format!("commit {}", outcome.status().as_u16())
        } else {
            format!("rollback {}", outcome.status().as_u16())
        };
        log.outcomes.lock().expect("lock").push(seen);
    });
    Ok(Conn(7))
}

#[derive(Clone, Debug)]
struct User {
    name: String,
    conn: u32,
}

/// The caller, from `X-Token`, looked up over the connection (a nested dependency).
#[dependency]
async fn current_user(
    x_token: Header<String>,
    conn: Depends<connection>,
    log: State<Arc<Log>>,
) -> Result<User, Problem> {
    log.users.fetch_add(1, Ordering::SeqCst);
    match x_token.0.as_str() {
        "ada" | "bob" => Ok(User {
            name: x_token.0.clone(),
            conn: conn.0.0,
        }),
        _ => Err(Problem::new(StatusCode::UNAUTHORIZED).with_detail("unknown token")),
    }
}

/// A page size, shared by two dependencies: its query parameter is documented once.
#[dependency]
async fn page_size(
    #[param(range(min = 1, max = 50), default = 10)] size: u32,
) -> Result<u32, Problem> {
    Ok(size)
}

#[dependency]
async fn listing(size: Depends<page_size>, user: Depends<current_user>) -> Result<String, Problem> {
    Ok(format!("{} items for {}", *size, user.name))
}

#[get("/me")]
async fn me(user: Depends<current_user>, conn: Depends<connection>) -> Json<Value> {
    Json(json!({"name": user.name, "user_conn": user.conn, "conn": conn.0.0}))
}

/// The same, sync: the values were computed on the reactor before the pool runs it.
#[get("/me-sync")]
fn me_sync(user: Depends<current_user>) -> String {
    user.name.clone()
}

#[get("/list")]
async fn list(text: Depends<listing>, size: Depends<page_size>) -> String {
    format!("{} (size {})", *text, *size)
}

#[get("/outcome/{how}")]
async fn outcome(how: String, _conn: Depends<connection>) -> Result<&'static str, Problem> {
    match how.as_str() {
        "ok" => Ok("fine"),
        "missing" => Err(Problem::not_found("nothing here")),
        _ => panic!("the handler panicked"),
    }
}

#[get("/outcome-sync/{how}")]
fn outcome_sync(how: String, _conn: Depends<connection>) -> &'static str {
    assert_eq!(how, "ok", "the sync handler panicked");
    "fine"
}

/// The connection is taken first; then `n` fails to parse: the cleanup still runs.
#[get("/late-failure")]
async fn late_failure(_conn: Depends<connection>, n: u32) -> String {
    n.to_string()
}

fn api(log: Arc<Log>) -> NinjaApi {
    NinjaApi::new("deps", "1").state(log).routes(routes![
        me,
        me_sync,
        list,
        outcome,
        outcome_sync,
        late_failure
    ])
}

#[tokio::test]
async fn nested_dependencies_are_computed_once_per_request() {
    let log = Arc::new(Log::default());
    let client = TestClient::new(api(Arc::clone(&log)));
    let res = client.get("/me").header("x-token", "ada").send().await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(
        res.json::<Value>(),
        json!({"name": "ada", "user_conn": 7, "conn": 7})
    );
    // `connection` is used by `current_user` and by the handler: computed once.
    assert_eq!(log.connections.load(Ordering::SeqCst), 1);
    assert_eq!(log.users.load(Ordering::SeqCst), 1);
    let res = client.get("/me").header("x-token", "bob").send().await;
    assert_eq!(res.json::<Value>()["name"], "bob");
    // Once per request, not once for all.
    assert_eq!(log.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn sync_handlers_take_dependencies_too() {
    let log = Arc::new(Log::default());
    let client = TestClient::new(api(Arc::clone(&log)));
    let res = client.get("/me-sync").header("x-token", "ada").send().await;
    assert_eq!(res.text(), "ada");
    assert_eq!(log.outcomes(), ["commit 200"]);
}

#[tokio::test]
async fn a_failing_dependency_answers_with_its_problem_through_the_error_handler() {
    let log = Arc::new(Log::default());
    let client = TestClient::new(api(Arc::clone(&log)).error_handler(|p: Problem| {
        (
            p.status(),
            Json(json!({"code": p.status().as_u16(), "why": p.detail()})),
        )
    }));
    let res = client.get("/me").header("x-token", "eve").send().await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<Value>(),
        json!({"code": 401, "why": "unknown token"})
    );
    // A missing header is a 422 naming it, once, though two dependencies need the user.
    let res = client.get("/list").send().await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>()["code"], 422);
    let direct = TestClient::new(api(Arc::clone(&log)));
    let body: Value = direct.get("/list?size=0").send().await.json();
    let locs: Vec<String> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["loc"].to_string())
        .collect();
    assert_eq!(
        locs,
        [r#"["query","size"]"#, r#"["header","x-token"]"#],
        "{body}"
    );
}

#[tokio::test]
async fn inputs_of_dependencies_are_documented_once() {
    let app = api(Arc::new(Log::default())).build().expect("builds");
    let doc: Value = serde_json::from_str(app.openapi_json()).expect("JSON");
    let op = &doc["paths"]["/list"]["get"];
    let params: Vec<(&str, &str)> = op["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| {
            (
                p["in"].as_str().expect("in"),
                p["name"].as_str().expect("name"),
            )
        })
        .collect();
    assert_eq!(params, [("query", "size"), ("header", "x-token")]);
    let size = &op["parameters"][0]["schema"];
    assert_eq!(size["minimum"], 1);
    assert_eq!(size["maximum"], 50);
    let responses = op["responses"].as_object().expect("responses");
    assert!(responses.contains_key("422"), "{responses:?}");
    let client = TestClient::new(api(Arc::new(Log::default())));
    let res = client.get("/list").header("x-token", "ada").send().await;
    assert_eq!(res.text(), "10 items for ada (size 10)");
}

#[tokio::test]
async fn cleanups_see_success_error_and_panic() {
    let log = Arc::new(Log::default());
    let client = TestClient::new(api(Arc::clone(&log)));
    assert_eq!(client.get("/outcome/ok").send().await.status(), 200);
    assert_eq!(client.get("/outcome/missing").send().await.status(), 404);
    assert_eq!(client.get("/outcome/boom").send().await.status(), 500);
    assert_eq!(client.get("/outcome-sync/ok").send().await.status(), 200);
    assert_eq!(client.get("/outcome-sync/boom").send().await.status(), 500);
    assert_eq!(client.get("/late-failure?n=x").send().await.status(), 422);
    assert_eq!(
        log.outcomes(),
        [
            "commit 200",
            "rollback 404",
            "panicked",
            "commit 200",
            "panicked",
            "rollback 422"
        ]
    );
}

/// Its cleanup fails: a success becomes a 500.
#[dependency]
async fn failing_commit(cleanup: Cleanup) -> Result<(), Problem> {
    cleanup.after(|outcome: Outcome| async move {
        if outcome.is_success() {
            Err(std::io::Error::other("the commit failed"))
        } else {
            Ok(())
        }
    });
    Ok(())
}

/// Records the outcome its cleanup sees; registered first, so it runs last.
#[dependency]
async fn witness(log: State<Arc<Log>>, cleanup: Cleanup) -> Result<(), Problem> {
    let log = Arc::clone(&log);
    cleanup.after(move |outcome: Outcome| async move {
        log.outcomes
            .lock()
            .expect("lock")
            .push(format!("then {}", outcome.status().as_u16()));
    });
    Ok(())
}

#[post("/commit")]
async fn commit(_w: Depends<witness>, _c: Depends<failing_commit>) -> &'static str {
    "saved"
}

#[tokio::test]
async fn a_failed_cleanup_turns_a_success_into_a_500() {
    let log = Arc::new(Log::default());
    let client = TestClient::new(
        NinjaApi::new("t", "1")
            .state(Arc::clone(&log))
            .routes(routes![commit]),
    );
    let res = client.post("/commit").send().await;
    assert_eq!(res.status(), 500, "{}", res.text());
    // Last registered runs first; the earlier one sees the 500.
    assert_eq!(log.outcomes(), ["then 500"]);
}

#[test]
fn a_missing_state_is_a_build_error_naming_the_route_and_type() {
    let Err(e) = NinjaApi::new("t", "1").routes(routes![me]).build() else {
        panic!("built without the state its dependencies need");
    };
    let msg = e.to_string();
    assert!(
        msg.contains("`GET /me` takes `State<alloc::sync::Arc<integration::depends::Log>>`"),
        "{msg}"
    );
}

#[test]
fn a_state_registered_twice_is_a_build_error() {
    let Err(e) = api(Arc::new(Log::default()))
        .state(Arc::new(Log::default()))
        .build()
    else {
        panic!("built with two states of one type");
    };
    assert!(e.to_string().contains("registered twice"), "{e}");
    // On purpose, in a test: allowed.
    api(Arc::new(Log::default()))
        .override_state(Arc::new(Log::default()))
        .build()
        .expect("an override is not a mistake");
}

#[dependency]
async fn chicken(egg: Depends<egg>) -> Result<u8, Problem> {
    Ok(*egg)
}

#[dependency]
async fn egg(chicken: Depends<chicken>) -> Result<u8, Problem> {
    Ok(*chicken)
}

#[get("/first")]
async fn first(c: Depends<chicken>) -> String {
    c.to_string()
}

#[test]
fn a_dependency_cycle_is_a_build_error() {
    let Err(e) = NinjaApi::new("t", "1").routes(routes![first]).build() else {
        panic!("built with a cycle");
    };
    assert!(
        e.to_string()
            .contains("the dependencies form a cycle: chicken → egg → chicken"),
        "{e}"
    );
}

#[tokio::test]
async fn overrides_replace_a_dependency_or_a_state_async() {
    let log = Arc::new(Log::default());
    let client = TestClient::new(
        api(Arc::clone(&log)).override_dependency::<current_user>(User {
            name: "tester".into(),
            conn: 0,
        }),
    );
    // No token needed: the override stands in for the whole dependency.
    let res = client.get("/me").send().await;
    assert_eq!(res.json::<Value>()["name"], "tester");
    assert_eq!(log.users.load(Ordering::SeqCst), 0);
}

#[test]
fn overrides_replace_a_dependency_or_a_state_blocking() {
    let log = Arc::new(Log::default());
    let other = Arc::new(Log::default());
    let client = TestClient::blocking(
        api(Arc::clone(&log))
            .override_state(Arc::clone(&other))
            .override_dependency::<connection>(Conn(99)),
    );
    let res = client.get("/me").header("x-token", "ada").send();
    assert_eq!(res.json::<Value>()["conn"], 99);
    assert_eq!(res.json::<Value>()["user_conn"], 99);
    // The overridden state was the one used; the overridden connection never computed.
    assert_eq!(other.users.load(Ordering::SeqCst), 1);
    assert_eq!(log.users.load(Ordering::SeqCst), 0);
    assert_eq!(other.connections.load(Ordering::SeqCst), 0);
}

/// Panics while being computed.
#[dependency]
async fn exploding() -> Result<u8, Problem> {
    panic!("a dependency panicked")
}

#[get("/explodes")]
async fn explodes(_boom: Depends<exploding>) -> &'static str {
    "unreachable"
}

/// Where its `blocking` call ran.
#[dependency]
async fn blocking_thread() -> Result<String, Problem> {
    ninja_core::blocking(|| std::thread::current().name().unwrap_or("?").to_owned()).await
}

#[get("/thread")]
async fn thread(name: Depends<blocking_thread>) -> String {
    name.0.clone()
}

mod one {
    use ninja_core::prelude::*;

    /// One `current`.
    #[dependency]
    pub(super) async fn current() -> Result<u8, Problem> {
        Ok(1)
    }
}

mod two {
    use ninja_core::prelude::*;

    /// Another `current`, using the first: not a cycle.
    #[dependency]
    pub(super) async fn current(first: Depends<super::one::current>) -> Result<u8, Problem> {
        Ok(*first + 1)
    }
}

#[get("/same-names")]
async fn same_names(n: Depends<two::current>) -> String {
    n.to_string()
}

#[tokio::test]
async fn a_panicking_dependency_is_a_500_and_the_next_request_is_served() {
    let log = Arc::new(Log::default());
    let client = TestClient::new(api(log).routes(routes![explodes, thread, same_names]));
    let res = client.get("/explodes").send().await;
    assert_eq!(res.status(), 500);
    assert!(!res.text().contains("panicked"), "{}", res.text());
    assert_eq!(client.get("/same-names").send().await.text(), "2");
}

#[tokio::test]
async fn blocking_in_a_dependency_uses_the_bounded_pool() {
    let client = TestClient::new(api(Arc::new(Log::default())).routes(routes![thread]));
    assert_eq!(client.get("/thread").send().await.text(), "ninja-blocking");
}

#[test]
fn an_overridden_dependency_does_not_need_its_inputs() {
    // `me` needs `State<Arc<Log>>` through `current_user` and `connection`; with both
    // overridden, an API without the state builds.
    NinjaApi::new("t", "1")
        .routes(routes![me])
        .override_dependency::<current_user>(User {
            name: "t".into(),
            conn: 0,
        })
        .override_dependency::<connection>(Conn(1))
        .build()
        .expect("the overrides stand in for what the dependencies need");
}
