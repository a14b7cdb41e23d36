// A client cannot decode a raw `Response`: the error is on the return type.
use ninja_core::Response;

#[ninja_core::api]
pub trait Items {
    #[get("/items")]
    fn list() -> Response;
}

fn main() {}
