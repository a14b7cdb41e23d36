//! The classic django-ninja demo, in both modes, plus items.
//!
//! Run with `cargo run --release --example hello`, then browse <http://127.0.0.1:8000/docs>.
//! Set the address with `--addr HOST:PORT`, `NINJA_ADDR` or `PORT`; `--openapi` prints the
//! OpenAPI document and exits.

use std::time::Duration;

use examples::hello;
use ninja_core::addr_from_env;

fn main() -> std::io::Result<()> {
    if std::env::args().any(|a| a == "--openapi") {
        print!(
            "{}",
            hello::api().openapi_json().map_err(std::io::Error::other)?
        );
        return Ok(());
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let addr = addr_from_env("127.0.0.1:8000");
    println!("Ninja hello example: docs on http://{addr}/docs");
    hello::api()
        .shutdown_timeout(Duration::from_secs(5))
        .serve(addr)
}
