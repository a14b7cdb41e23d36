use ninja_core::prelude::*;

#[dependency]
async fn page_size(size: u32) -> u32 {
    size
}

fn main() {}
