use ninja_core::prelude::*;

#[get("/", auth = "secret")]
fn index() -> &'static str {
    "hi"
}

fn main() {
    let _ = NinjaApi::new("t", "1").routes(routes![index]);
}
