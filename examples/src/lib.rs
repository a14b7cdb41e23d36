//! The example APIs, as a library so tests (and benches) use exactly what the binaries serve.

pub mod hello;
pub mod inputs;
pub mod live;
pub mod notes;
pub mod shop;
pub mod shop_client;

/// What every example binary does: `--openapi` prints the document and exits; otherwise log,
/// print where the docs are, and serve on `--addr`, `NINJA_ADDR`, `PORT` or 127.0.0.1:8000.
///
/// # Errors
/// When the API cannot be built or the address cannot be bound.
pub fn run(name: &str, api: ninja_core::NinjaApi) -> std::io::Result<()> {
    run_server(name, api.into(), &[""])
}

/// [`run`] for a server of several APIs, under `prefixes` (where their docs are).
/// `--openapi` prints each document in turn. Server settings come from `ninja.toml` and
/// `NINJA_*` variables ([`ServerConfig`](ninja_core::config::ServerConfig)).
///
/// # Errors
/// When the server cannot be built or the address cannot be bound.
pub fn run_server(
    name: &str,
    server: ninja_core::Server,
    prefixes: &[&str],
) -> std::io::Result<()> {
    if std::env::args().any(|a| a == "--openapi") {
        let app = server.build().map_err(std::io::Error::other)?;
        for prefix in prefixes {
            let doc = app
                .openapi_json_of(prefix)
                .ok_or_else(|| std::io::Error::other(format!("no API under `{prefix}`")))?;
            print!("{doc}");
        }
        return Ok(());
    }
    init_logging();
    let config = ninja_core::config::ServerConfig::load().map_err(std::io::Error::other)?;
    let addr = config.addr_or("127.0.0.1:8000");
    for prefix in prefixes {
        println!("Ninja {name} example: docs on http://{addr}{prefix}/docs");
    }
    server
        .shutdown_timeout(std::time::Duration::from_secs(5))
        .configure(&config)
        .serve(addr)
}

/// The access log every example serves with: an `x-request-id` on each request (the
/// client's, else a new UUID) and on its answer, and one span per request (method, route
/// template, request id) that logs one INFO line when the answer is sent (status, latency).
/// `RUST_LOG=tower_http=off` silences it.
pub fn access_log(api: ninja_core::NinjaApi) -> ninja_core::NinjaApi {
    use ninja_core::MatchedPath;
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
    use tower_http::trace::{DefaultOnResponse, TraceLayer};

    let request_id = http::HeaderName::from_static("x-request-id");
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &http::Request<ninja_core::RequestBody>| {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map_or("-", MatchedPath::as_str);
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), route, id)
        })
        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO));
    // The last layer added runs first: the id is set, then the span opens, then the id is
    // copied onto the answer.
    api.layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(trace)
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`); once per process.
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .try_init();
}

/// Serves `api` on a free loopback port, on a thread and runtime of its own, for as long as
/// the process lives; returns its base URL.
///
/// # Errors
/// When the API cannot be built or no port can be bound.
pub fn serve_in_background(api: impl Into<ninja_core::Server>) -> std::io::Result<String> {
    let app = api.into().build().map_err(std::io::Error::other)?;
    serve_made_in_background(move || async move { Ok(app) })
}

/// [`serve_in_background`] for the notes API over `database_url` with the write token
/// `token`: its pool is opened on the runtime that serves it, where its connections live.
///
/// # Errors
/// When the database cannot be opened, the API cannot be built or no port can be bound.
pub fn serve_notes_in_background(database_url: &str, token: &str) -> std::io::Result<String> {
    let (url, token) = (database_url.to_owned(), token.to_owned());
    serve_made_in_background(move || async move {
        let pool = notes::open_url(&url).await.map_err(std::io::Error::other)?;
        notes::api(pool, token)
            .build()
            .map_err(std::io::Error::other)
    })
}

/// Makes the app on a runtime of its own thread (the future `make` gives is created there,
/// so it need not be `Send`), then serves it there on a free loopback port; its base URL
/// once it is made.
fn serve_made_in_background<F>(make: impl FnOnce() -> F + Send + 'static) -> std::io::Result<String>
where
    F: std::future::Future<Output = std::io::Result<ninja_core::App>>,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let url = format!("http://{}", listener.local_addr()?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let (made, is_made) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("background-api".to_owned())
        .spawn(move || {
            rt.block_on(async move {
                let app = match make().await {
                    Ok(app) => app,
                    Err(e) => {
                        let _ = made.send(Err(e));
                        return;
                    }
                };
                let _ = made.send(Ok(()));
                if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                    let _ = app.serve_on(listener, std::future::pending()).await;
                }
            });
        })?;
    is_made
        .recv()
        .map_err(|_| std::io::Error::other("the background server's thread ended"))??;
    Ok(url)
}
