// An operation's error type must be readable back from an answer: a hand-written
// `IntoResponse` is not; the error is on the return type.
use ninja_core::prelude::*;

pub struct Teapot;

impl IntoResponse for Teapot {
    fn into_response(self) -> ninja_core::Response {
        Problem::new(StatusCode::IM_A_TEAPOT).into_response()
    }
}

#[ninja_core::api]
pub trait Kitchen {
    #[get("/tea")]
    fn tea() -> Result<String, Teapot>;
}

fn main() {}
