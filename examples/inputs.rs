//! Every kind of input, validated once and documented once.
//!
//! Run with `cargo run --example inputs`, then browse <http://127.0.0.1:8000/docs>.
//! `--addr HOST:PORT`, `NINJA_ADDR` or `PORT` moves it; `--openapi` prints the document.

fn main() -> std::io::Result<()> {
    examples::run("inputs", examples::access_log(examples::inputs::api()))
}
