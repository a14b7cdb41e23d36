use ninja_core::prelude::*;

#[get("/search")]
fn search(q: &str) -> String {
    q.to_owned()
}

fn main() {}
