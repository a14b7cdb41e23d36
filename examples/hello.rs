//! The classic django-ninja demo, in both modes, plus items.
//!
//! Run with `cargo run --release --example hello`, then browse <http://127.0.0.1:8000/docs>.
//! Set the address with `--addr HOST:PORT`, `NINJA_ADDR` or `PORT`; `--openapi` prints the
//! OpenAPI document and exits.

fn main() -> std::io::Result<()> {
    examples::run("hello", examples::access_log(examples::hello::api()))
}
