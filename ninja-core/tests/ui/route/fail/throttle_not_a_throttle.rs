use ninja_core::prelude::*;

#[get("/", throttle = "10/s")]
fn index() -> &'static str {
    "hi"
}

fn main() {
    let _ = NinjaApi::new("t", "1").routes(routes![index]);
}
