//! Micro-benchmarks of one request through the whole stack, in-process (no socket):
//! `cargo bench -p benches --bench micro`.
//!
//! - `route_lookup`: a trivial handler reached among 1 route and among 1,000 routes (the
//!   difference is the router);
//! - `extract_path_query`: `GET /items/42?q=..` into `(id: u32, q: Option<String>)`;
//! - `json_body_validate`: `POST /items` decoded into `Json<NewItem>` and validated by garde;
//! - `hello`: `GET /hello` answering a small JSON.
//! - `dependency`: the same greeting from a handler taking a user computed by an async
//!   dependency (reads a header and the state), against the handler reading them itself.

use std::future::ready;
use std::hint::black_box;

use benches::scenario;
use criterion::{Criterion, criterion_group, criterion_main};
use ninja_core::__private::{BoxFuture, Exec, Operation, RequestCx, Route};
use ninja_core::prelude::*;
use ninja_core::{App, RequestBody, Response};

fn trivial<'a>(_: RequestCx<'a>, _: RequestBody, _: &'a Exec) -> BoxFuture<'a> {
    Box::pin(ready(Response::new(ninja_core::Body::empty())))
}

/// An app of `n` routes `/r{i}/{id}` with a trivial handler.
fn many_routes(n: usize) -> App {
    let routes = (0..n).map(|i| {
        let path: &'static str = Box::leak(format!("/r{i}/{{id}}").into_boxed_str());
        let id: &'static str = Box::leak(format!("r{i}").into_boxed_str());
        Route::new(
            http::Method::GET,
            path,
            trivial,
            |_| {},
            Operation::new(id, None, None, &[], false),
        )
    });
    NinjaApi::new("bench", "1")
        .routes(routes)
        .no_openapi()
        .build()
        .expect("builds")
}

/// Who is calling, as a dependency would find out: a header and the state.
#[derive(Clone)]
struct Caller(String);

struct Greeting(&'static str);

#[dependency]
async fn caller(x_user: Header<String>, greeting: State<Greeting>) -> Result<Caller, Problem> {
    Ok(Caller(format!("{} {}", greeting.0.0, x_user.0)))
}

#[get("/with-dependency")]
async fn with_dependency(caller: Depends<caller>) -> String {
    caller.0.0.clone()
}

#[get("/without")]
async fn without(x_user: Header<String>, greeting: State<Greeting>) -> String {
    format!("{} {}", greeting.0.0, x_user.0)
}

fn get(uri: &str) -> http::Request<RequestBody> {
    http::Request::get(uri)
        .body(RequestBody::empty())
        .expect("valid")
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");

    let one = many_routes(1);
    let thousand = many_routes(1000);
    let mut g = c.benchmark_group("route_lookup");
    g.bench_function("1_route", |b| {
        b.iter(|| rt.block_on(one.call(black_box(get("/r0/7")))))
    });
    g.bench_function("1000_routes", |b| {
        b.iter(|| rt.block_on(thousand.call(black_box(get("/r999/7")))))
    });
    g.finish();

    let app = benches::ninja::api().build().expect("builds");
    c.bench_function("extract_path_query", |b| {
        b.iter(|| rt.block_on(app.call(black_box(get("/items/42?q=hello%20world")))))
    });
    c.bench_function("json_body_validate", |b| {
        b.iter(|| {
            let req = http::Request::post("/items")
                .header("content-type", "application/json")
                .body(RequestBody::full(scenario::NEW_ITEM))
                .expect("valid");
            let res = rt.block_on(app.call(black_box(req)));
            assert_eq!(res.status(), 201);
            res
        })
    });
    c.bench_function("hello", |b| {
        b.iter(|| rt.block_on(app.call(black_box(get("/hello")))))
    });

    let deps = NinjaApi::new("bench", "1")
        .state(Greeting("hello"))
        .routes(routes![with_dependency, without])
        .no_openapi()
        .build()
        .expect("builds");
    let with_user = |path: &str| {
        http::Request::get(path)
            .header("x-user", "ada")
            .body(RequestBody::empty())
            .expect("valid")
    };
    let mut g = c.benchmark_group("dependency");
    g.bench_function("without", |b| {
        b.iter(|| rt.block_on(deps.call(black_box(with_user("/without")))))
    });
    g.bench_function("with_dependency", |b| {
        b.iter(|| rt.block_on(deps.call(black_box(with_user("/with-dependency")))))
    });
    g.finish();
}

criterion_group!(micro, benches);
criterion_main!(micro);
