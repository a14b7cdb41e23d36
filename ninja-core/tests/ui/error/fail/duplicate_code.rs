// Two variants a client could not tell apart: the error is on the second code.
use ninja_core::prelude::*;

#[derive(Debug, ApiError)]
pub enum ShopError {
    #[api(status = 404)]
    NotFound,
    #[api(status = 410, code = "not_found")]
    Gone,
}

impl std::fmt::Display for ShopError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("shop error")
    }
}

fn main() {}
