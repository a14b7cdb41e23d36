use ninja_core::prelude::*;

struct Report;

#[get("/report")]
fn report() -> Report {
    Report
}

fn main() {}
