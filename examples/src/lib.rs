//! The example APIs, as a library so tests (and benches) use exactly what the binaries serve.

pub mod hello;
pub mod inputs;

/// What every example binary does: `--openapi` prints the document and exits; otherwise log,
/// print where the docs are, and serve on `--addr`, `NINJA_ADDR`, `PORT` or 127.0.0.1:8000.
///
/// # Errors
/// When the API cannot be built or the address cannot be bound.
pub fn run(name: &str, api: ninja_core::NinjaApi) -> std::io::Result<()> {
    if std::env::args().any(|a| a == "--openapi") {
        print!("{}", api.openapi_json().map_err(std::io::Error::other)?);
        return Ok(());
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let addr = ninja_core::addr_from_env("127.0.0.1:8000");
    println!("Ninja {name} example: docs on http://{addr}/docs");
    api.shutdown_timeout(std::time::Duration::from_secs(5))
        .serve(addr)
}
