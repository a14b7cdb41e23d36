use ninja_core::prelude::*;

async fn current_user() -> Result<String, Problem> {
    Ok("ada".to_owned())
}

#[get("/me")]
async fn me(user: Depends<current_user>) -> String {
    user.0
}

fn main() {}
