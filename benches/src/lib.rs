//! Load tests: the servers compared (raw hyper, axum, Ninja with identical endpoints) and the
//! load generator that measures them. `cargo run --release -p benches --bin compare` runs the
//! comparison; `loadgen` measures any URL on its own. See `BENCHMARKS.md`.

pub mod loadgen;
pub mod ninja;
pub mod process;
pub mod scenario;
