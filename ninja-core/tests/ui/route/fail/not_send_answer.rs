use ninja_core::prelude::*;
use std::rc::Rc;

/// An answer that cannot leave the thread it was made on.
struct Shared(Rc<str>);

impl IntoResponse for Shared {
    fn into_response(self) -> ninja_core::Response {
        self.0.to_string().into_response()
    }
}

/// A sync handler's value goes from the pool's thread to the connection's task.
#[get("/shared")]
fn shared() -> Shared {
    Shared(Rc::from("x"))
}

fn main() {}
