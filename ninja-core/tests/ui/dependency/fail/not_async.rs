use ninja_core::prelude::*;

#[dependency]
fn current_user(x_token: Header<String>) -> Result<String, Problem> {
    Ok(x_token.0)
}

fn main() {}
