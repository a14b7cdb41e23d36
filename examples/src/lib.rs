//! The example APIs, as a library so tests (and benches) use exactly what the binaries serve.

pub mod hello;
pub mod inputs;
