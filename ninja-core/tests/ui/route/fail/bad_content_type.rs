use ninja_core::prelude::*;

#[get("/export", content_type = "csv")]
fn export() -> String {
    String::new()
}

fn main() {}
