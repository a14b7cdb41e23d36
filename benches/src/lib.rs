//! Load tests: the servers compared (raw hyper, axum, Ninja with identical endpoints) and the
//! load generator that measures them. `cargo run --release -p benches --bin compare` runs the
//! comparison; `loadgen` measures any URL on its own. See `BENCHMARKS.md`.

pub mod loadgen;
pub mod ninja;
pub mod process;
pub mod scenario;

/// The typical middleware stack both frameworks are measured with (`--stack`): request ids
/// set and propagated, a trace span per request, CORS for one origin. One tower layer (a
/// `ServiceBuilder` stack, outermost first), given unchanged to axum, to Ninja and to raw
/// hyper's handler (the ceiling).
#[macro_export]
macro_rules! typical_stack {
    () => {{
        let id = ::http::HeaderName::from_static("x-request-id");
        ::tower::ServiceBuilder::new()
            .layer(::tower_http::request_id::SetRequestIdLayer::new(
                id.clone(),
                ::tower_http::request_id::MakeRequestUuid,
            ))
            .layer(::tower_http::trace::TraceLayer::new_for_http())
            .layer(::tower_http::request_id::PropagateRequestIdLayer::new(id))
            .layer(
                ::tower_http::cors::CorsLayer::new()
                    .allow_origin(::http::HeaderValue::from_static("http://localhost:5173"))
                    .allow_methods([::http::Method::GET, ::http::Method::POST]),
            )
            .into_inner()
    }};
}

/// Whether `--stack` is on the command line.
#[must_use]
pub fn stack_arg() -> bool {
    std::env::args().any(|a| a == "--stack")
}
