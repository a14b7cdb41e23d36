//! Every kind of input, validated once and documented once.
//!
//! Run with `cargo run --example inputs`, then browse <http://127.0.0.1:8000/docs>.
//! `--addr HOST:PORT`, `NINJA_ADDR` or `PORT` moves it; `--openapi` prints the document.

use examples::inputs;
use ninja_core::addr_from_env;

fn main() -> std::io::Result<()> {
    if std::env::args().any(|a| a == "--openapi") {
        print!(
            "{}",
            inputs::api()
                .openapi_json()
                .map_err(std::io::Error::other)?
        );
        return Ok(());
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let addr = addr_from_env("127.0.0.1:8000");
    println!("Ninja inputs example: docs on http://{addr}/docs");
    inputs::api().serve(addr)
}
